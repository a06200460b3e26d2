//! What a visit costs by itself, billed by the billing subscriber of its events: the
//! booking deposit of its visit type (`appointment.booked`), and the clinic's fee when the
//! patient cancels late or does not come (`appointment.cancelled`, `appointment.noshow`).
//!
//! - A deposit is a bill of its own, issued at once; the visit's bill later asks only for
//!   the rest (see `bill_input::less_deposit`). A rescheduled visit keeps it.
//! - A cancellation in time voids a deposit nothing was paid on, and refunds what was
//!   paid online through the provider (with a credit note); money taken at the desk is
//!   the desk's to hand back (the bill's refund form).
//! - A late cancellation or a no-show is billed the clinic's fee, less what the deposit
//!   paid (kept towards it); an unpaid deposit is voided, the fee replacing it.
//!
//! Each is one job per event (dedupe key), and each bill is one per appointment and kind
//! (a unique index), so a repeated job bills nothing twice.

use super::{
    bill_input::{LineInput, compose, consultation_line},
    billing_settings::{fee_policy_in, settings_in},
    bills::{issue_in, log_created, void_in},
    credit_notes::credit,
    events::{Recording, Subscriber},
    notices::local_time,
    policy::Capability,
    scope::Caller,
};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    jobs::{Job, visit_charge::VisitCharge},
    state::AppState,
};
use domain::{
    AppointmentId, AppointmentStatus, BillId,
    billing::{BillKind, BillingSettings, PaymentMethod, fee_after_deposit},
    events::CancelledBy,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::{
    Conn, StoreError,
    appointments::Appointment,
    bills::{self, Bill, NewBill},
};

/// What the billing subscriber does for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Charge {
    /// Bill the booking deposit, in minor units.
    Deposit { amount: i64 },
    /// The visit was cancelled in time: void an unpaid deposit.
    Cancelled,
    /// Bill a fee of `kind` (late cancellation or no-show), in minor units, less the paid
    /// deposit.
    Fee { kind: FeeKind, amount: i64 },
}

/// Which fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    LateCancel,
    NoShow,
}

impl FeeKind {
    fn bill_kind(self) -> BillKind {
        match self {
            FeeKind::LateCancel => BillKind::LateCancel,
            FeeKind::NoShow => BillKind::NoShow,
        }
    }
}

fn then(rec: &mut Recording, a: &Appointment, charge: Charge, now: Timestamp) -> AppResult<()> {
    let job = VisitCharge {
        appointment: a.id,
        charge,
    };
    rec.then(Subscriber::Billing, job.new_job(Some(a.clinic_id), now)?);
    Ok(())
}

/// At booking: the deposit of the visit type, if it asks for one.
pub fn on_booked(
    rec: &mut Recording,
    a: &Appointment,
    deposit: i64,
    now: Timestamp,
) -> AppResult<()> {
    if deposit > 0 {
        then(rec, a, Charge::Deposit { amount: deposit }, now)?;
    }
    Ok(())
}

/// Whether the visit's type asks for a deposit (then a cancellation has one to settle).
async fn has_deposit<C: Conn>(c: &C, a: &Appointment) -> AppResult<bool> {
    Ok(
        store::visit_types::find_visit_type(c, a.clinic_id, a.visit_type_id)
            .await?
            .is_some_and(|v| v.deposit_minor > 0),
    )
}

/// At a cancellation by `by` at `now`: the late-cancellation fee when it applies, else
/// the deposit's settling.
pub async fn on_cancelled<C: Conn>(
    c: &C,
    rec: &mut Recording,
    a: &Appointment,
    by: CancelledBy,
    now: Timestamp,
) -> AppResult<()> {
    let fees = fee_policy_in(c, a.clinic_id).await?;
    match fees.cancel_fee(by, a.start, now) {
        Some(amount) => then(
            rec,
            a,
            Charge::Fee {
                kind: FeeKind::LateCancel,
                amount,
            },
            now,
        ),
        None if has_deposit(c, a).await? => then(rec, a, Charge::Cancelled, now),
        None => Ok(()),
    }
}

/// When the patient did not come: the no-show fee, if the clinic charges one; else a
/// deposit stays as paid (the desk decides).
pub async fn on_no_show<C: Conn>(
    c: &C,
    rec: &mut Recording,
    a: &Appointment,
    now: Timestamp,
) -> AppResult<()> {
    if let Some(amount) = fee_policy_in(c, a.clinic_id).await?.no_show_fee() {
        then(
            rec,
            a,
            Charge::Fee {
                kind: FeeKind::NoShow,
                amount,
            },
            now,
        )?;
    }
    Ok(())
}

/// Runs one charge of the billing subscriber, acting as `caller` (a job in the clinic).
pub async fn apply(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    appointment: AppointmentId,
    charge: Charge,
) -> AppResult<()> {
    caller.require(Capability::Billing)?;
    let now = state.now();
    let clinic = caller.clinic_id();
    let tx = state.store().write().await?;
    let Some(a) = store::appointments::find(&tx, clinic, appointment).await? else {
        return Ok(());
    };
    // Rescheduling holds the doctor's lock too: a deposit is billed either before a
    // reschedule (which moves it) or after (on the new visit), never lost between.
    store::doctors::lock(&tx, a.doctor_id).await?;
    let Some(a) = store::appointments::find(&tx, clinic, appointment).await? else {
        return Ok(());
    };
    let s = settings_in(&tx, caller).await?;
    let deposit = match bills::of_appointment(&tx, clinic, a.id, BillKind::Deposit).await? {
        Some(id) => bills::find(&tx, clinic, id).await?,
        None => None,
    };
    match charge {
        Charge::Deposit { amount } => {
            let open = matches!(
                a.status,
                AppointmentStatus::Booked | AppointmentStatus::Pending
            );
            if open && deposit.is_none() {
                let line = line(caller, &a, BillKind::Deposit, amount, &s);
                bill(&tx, ctx, caller, &s, &a, BillKind::Deposit, line, now).await?;
            }
        }
        Charge::Cancelled => match deposit {
            Some(d) if d.paid == 0 => {
                void_in(&tx, ctx, caller, &d, "Appointment cancelled in time", now).await?;
            }
            Some(d) => {
                // What was paid online goes back through the provider, after this
                // transaction (the provider is called outside it).
                store::commit(tx).await?;
                return refund_online(state, ctx, caller, d.id).await;
            }
            None => {}
        },
        Charge::Fee { kind, amount } => {
            let paid = deposit.as_ref().map_or(0, |d| d.paid);
            if let Some(d) = deposit.filter(|d| d.paid == 0) {
                let why = format!(
                    "Replaced by the {}",
                    kind.bill_kind().label().to_lowercase()
                );
                void_in(&tx, ctx, caller, &d, &why, now).await?;
            }
            if let Some(rest) = fee_after_deposit(amount, paid) {
                let line = line(caller, &a, kind.bill_kind(), rest, &s);
                bill(&tx, ctx, caller, &s, &a, kind.bill_kind(), line, now).await?;
            }
        }
    }
    store::commit(tx).await?;
    Ok(())
}

/// Refunds what is left of each online payment of the deposit `id`, each with its credit
/// note. A repeated run finds nothing left to refund; the provider's refund key is made
/// from the payment's state, so a retry after a crash refunds once.
async fn refund_online(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
) -> AppResult<()> {
    let payments = store::payments::payments_of(state.store().conn(), id).await?;
    for p in payments
        .iter()
        .filter(|p| p.method == PaymentMethod::Online && p.amount > p.refunded)
    {
        credit(
            state,
            ctx,
            caller,
            id,
            p.amount - p.refunded,
            "Deposit refunded: the appointment was cancelled in time",
            Some(p.id),
        )
        .await?;
    }
    Ok(())
}

/// The one line of a charge: what, for which visit.
fn line(
    caller: &Caller,
    a: &Appointment,
    kind: BillKind,
    amount: i64,
    s: &BillingSettings,
) -> LineInput {
    let when = local_time(&caller.clinic().time_zone, a.start);
    let what = format!(
        "{}: {} with {}, {when}",
        kind.label(),
        a.visit_type_name,
        a.doctor_name
    );
    consultation_line(what, amount, s)
}

/// Writes and issues the charge's bill in the caller's transaction. A bill of its kind
/// that exists already (a repeated job) is left as it is.
#[allow(clippy::too_many_arguments)]
async fn bill<C: Conn>(
    tx: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    s: &BillingSettings,
    a: &Appointment,
    kind: BillKind,
    line: LineInput,
    now: Timestamp,
) -> AppResult<Option<Bill>> {
    if bills::of_appointment(tx, caller.clinic_id(), a.id, kind)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let content = compose(
        caller,
        s,
        &super::bill_input::BillInput {
            items: vec![line],
            ..Default::default()
        },
    )?;
    let id = BillId::new();
    let new = NewBill {
        id,
        clinic_id: caller.clinic_id(),
        patient_id: a.patient_id,
        appointment_id: Some(a.id),
        encounter_id: None,
        doctor_id: Some(a.doctor_id),
        kind,
        currency: caller.clinic().currency.as_str().to_owned(),
        created_by: None,
    };
    bills::insert(tx, &new, &content, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict("billed meanwhile".into()),
            other => other.into(),
        })?;
    log_created(tx, ctx, caller, id, &content, now).await?;
    issue_in(tx, ctx, caller, s, id, 1, now).await?;
    Ok(bills::find(tx, caller.clinic_id(), id).await?)
}
