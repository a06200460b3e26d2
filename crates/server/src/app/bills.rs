//! Bills: proposed from a visit (the visit type's price, else the doctor's fee) or written
//! from scratch, edited while a draft, issued with the next invoice number of the clinic's
//! financial year, voided with a reason. Every change is audited and issuing and voiding
//! are domain events. Patients read their own issued bills.

pub use super::bill_input::{BillInput, LineInput};
use super::bill_input::{compose, less_deposit, visit_line};
pub use super::bill_reads::{get_bill, list_bills, my_bills};
use super::{
    billing_settings::settings_in, events, local_time::date_of, policy::Capability, scope::Caller,
};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    AppointmentId, BillId, ConsultationId, Event, PatientId,
    billing::{self, BillKind, BillStatus, FinancialYear},
    values::bounded_text,
};
use serde_json::json;
use store::{
    Conn, StoreError, audit,
    bills::{self, Bill, BillContent, NewBill},
    invoices::{self, Series},
    payments::PaymentRow,
};

/// What a new bill is for.
#[derive(Debug, Clone, Copy)]
pub enum BillFor {
    Appointment(AppointmentId),
    Consultation(ConsultationId),
    /// A standalone bill (pharmacy, a procedure) of a registered patient.
    Patient(PatientId),
}

/// A bill with its payments.
#[derive(Debug, Clone)]
pub struct BillDetail {
    pub bill: Bill,
    pub payments: Vec<PaymentRow>,
    pub credit_notes: Vec<store::credit_notes::CreditNote>,
}

/// The answer when the bill moved on since it was read.
fn changed_meanwhile() -> AppError {
    AppError::Conflict("Someone changed this bill meanwhile; reload it and try again.".into())
}

fn conflict(e: StoreError, message: &str) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::Conflict(message.into()),
        other => other.into(),
    }
}

pub(super) async fn log<C: Conn>(
    c: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    action: &str,
    id: BillId,
    detail: serde_json::Value,
    now: jiff::Timestamp,
) -> AppResult<()> {
    audit::append(
        c,
        &caller.actor(ctx),
        audit::Event::new(action, "bill", id)
            .in_clinic(caller.clinic_id())
            .detail(detail),
        now,
    )
    .await?;
    Ok(())
}

fn totals_detail(b: &BillContent) -> serde_json::Value {
    json!({"lines": b.lines.len(), "total": b.total, "discount": b.discount_total,
        "discount_reason": b.discount_reason})
}

/// Audits a new bill.
pub(super) async fn log_created<C: Conn>(
    c: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    content: &BillContent,
    now: jiff::Timestamp,
) -> AppResult<()> {
    log(
        c,
        ctx,
        caller,
        "bill.create",
        id,
        totals_detail(content),
        now,
    )
    .await
}

/// A bill with its payments, in the caller's transaction.
pub(super) async fn detail<C: Conn>(c: &C, caller: &Caller, id: BillId) -> AppResult<BillDetail> {
    let bill = bills::find(c, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let payments = store::payments::payments_of(c, id).await?;
    let credit_notes = store::credit_notes::of_bill(c, id).await?;
    Ok(BillDetail {
        bill,
        payments,
        credit_notes,
    })
}

/// Starts a draft bill for a visit or a patient. For a visit, `input` may be left out to
/// take the proposed consultation line. One live bill per appointment: a second is 409.
pub async fn create_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    what: BillFor,
    input: Option<&BillInput>,
) -> AppResult<BillDetail> {
    caller.require(Capability::Billing)?;
    let now = state.now();
    let c = state.store().conn();
    let s = settings_in(c, caller).await?;
    let clinic = caller.clinic_id();
    let (patient, appointment, consultation, doctor, proposed) = match what {
        BillFor::Appointment(a) => {
            let a = store::appointments::find(c, clinic, a)
                .await?
                .ok_or(AppError::NotFound)?;
            let mut line = visit_line(c, caller, &s, a.doctor_id, Some(a.visit_type_id)).await?;
            less_deposit(c, caller, a.id, &mut line).await?;
            (
                a.patient_id,
                Some(a.id),
                None,
                Some(a.doctor_id),
                Some(line),
            )
        }
        BillFor::Consultation(e) => {
            let e = store::consultations::find(c, clinic, e)
                .await?
                .ok_or(AppError::NotFound)?;
            let vt = match e.appointment_id {
                Some(a) => store::appointments::find(c, clinic, a)
                    .await?
                    .map(|a| a.visit_type_id),
                None => None,
            };
            let mut line = visit_line(c, caller, &s, e.doctor_id, vt).await?;
            if let Some(a) = e.appointment_id {
                less_deposit(c, caller, a, &mut line).await?;
            }
            (
                e.patient_id,
                e.appointment_id,
                Some(e.id),
                Some(e.doctor_id),
                Some(line),
            )
        }
        BillFor::Patient(p) => {
            store::patients::find(c, clinic, p)
                .await?
                .ok_or(AppError::NotFound)?;
            (p, None, None, None, None)
        }
    };
    let given = input.filter(|i| !i.items.is_empty());
    let content = match (given, proposed) {
        (Some(i), _) => compose(caller, &s, i)?,
        (None, Some(line)) => compose(
            caller,
            &s,
            &BillInput {
                items: vec![line],
                ..input.cloned().unwrap_or_default()
            },
        )?,
        (None, None) => return Err(AppError::field("items", "Add at least one line.")),
    };
    let bill = NewBill {
        id: BillId::new(),
        clinic_id: clinic,
        patient_id: patient,
        appointment_id: appointment,
        encounter_id: consultation,
        doctor_id: doctor,
        kind: BillKind::Visit,
        currency: caller.clinic().currency.as_str().to_owned(),
        created_by: caller.user_id(),
    };
    let tx = state.store().write().await?;
    bills::insert(&tx, &bill, &content, now)
        .await
        .map_err(|e| conflict(e, "This visit already has a bill; open it instead."))?;
    log_created(&tx, ctx, caller, bill.id, &content, now).await?;
    let d = detail(&tx, caller, bill.id).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// The live bill of a visit, or a new draft proposed from it (the desk's "Bill" button).
pub async fn bill_for_visit(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    appointment: AppointmentId,
) -> AppResult<BillId> {
    caller.require(Capability::Billing)?;
    let c = state.store().conn();
    if let Some(id) =
        bills::of_appointment(c, caller.clinic_id(), appointment, BillKind::Visit).await?
    {
        return Ok(id);
    }
    match create_bill(state, ctx, caller, BillFor::Appointment(appointment), None).await {
        Ok(d) => Ok(d.bill.id),
        // Someone at the next desk billed it meanwhile: theirs is the bill.
        Err(AppError::Conflict(m)) => {
            bills::of_appointment(c, caller.clinic_id(), appointment, BillKind::Visit)
                .await?
                .ok_or(AppError::Conflict(m))
        }
        Err(e) => Err(e),
    }
}

/// Rewrites a draft that is still at `version` (409 once someone else changed it).
pub async fn update_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    version: i32,
    input: &BillInput,
) -> AppResult<BillDetail> {
    caller.require(Capability::Billing)?;
    let now = state.now();
    let s = settings_in(state.store().conn(), caller).await?;
    let content = compose(caller, &s, input)?;
    let tx = state.store().write().await?;
    let b = detail(&tx, caller, id).await?.bill;
    if !b.status.is_editable() {
        return Err(AppError::Conflict(format!(
            "This bill is {}; only a draft can be changed.",
            b.status.label().to_lowercase()
        )));
    }
    if !bills::update_draft(&tx, caller.clinic_id(), id, version, &content, now).await? {
        return Err(changed_meanwhile());
    }
    log(
        &tx,
        ctx,
        caller,
        "bill.update",
        id,
        totals_detail(&content),
        now,
    )
    .await?;
    let d = detail(&tx, caller, id).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// Issues a draft at `version`: it takes the next invoice number of the clinic's financial
/// year (drawn in this transaction, so a failed issue leaves no gap) and the clinic's tax
/// id, and is due from now on. A bill of zero is paid at once.
pub async fn issue_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    version: i32,
) -> AppResult<BillDetail> {
    caller.require(Capability::Billing)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let s = settings_in(&tx, caller).await?;
    issue_in(&tx, ctx, caller, &s, id, version, now).await?;
    let d = detail(&tx, caller, id).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// Issues the draft `id` at `version` in the caller's transaction (see [`issue_bill`]).
pub(super) async fn issue_in<C: Conn>(
    tx: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    s: &billing::BillingSettings,
    id: BillId,
    version: i32,
    now: jiff::Timestamp,
) -> AppResult<()> {
    let b = detail(tx, caller, id).await?.bill;
    let status = b
        .status
        .issue(b.content.total)
        .map_err(|e| AppError::Conflict(e.message))?;
    let year = FinancialYear::containing(date_of(caller.clinic(), now), s.year_start_month)
        .map_err(|e| AppError::field(e.field, e.message))?;
    let seq = invoices::next_number(tx, caller.clinic_id(), Series::Invoice, year.start()).await?;
    let number = billing::invoice_number(&s.invoice_prefix, &year, seq)
        .map_err(|e| AppError::Conflict(e.message))?;
    if !bills::issue(
        tx,
        caller.clinic_id(),
        id,
        version,
        &number,
        &s.tax_id,
        status,
        now,
    )
    .await?
    {
        return Err(changed_meanwhile());
    }
    log(
        tx,
        ctx,
        caller,
        "bill.issue",
        id,
        json!({"number": number, "total": b.content.total}),
        now,
    )
    .await?;
    events::record(
        tx,
        caller.clinic_id(),
        caller.user_id(),
        Event::BillIssued {
            bill: id,
            patient: b.patient_id,
            number,
            total: b.content.total,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Voids an issued bill nothing was paid on, with a reason (the role the policy names;
/// audited). A bill with payments is corrected by a credit note instead.
pub async fn void_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    reason: &str,
) -> AppResult<BillDetail> {
    caller.require(Capability::Billing)?;
    if !caller.can(Capability::CorrectBills) {
        return Err(AppError::Forbidden(
            "Only a clinic admin can void a bill.".into(),
        ));
    }
    let reason = bounded_text("reason", reason, 200, true)
        .map_err(|e| AppError::field(e.field, e.message))?;
    let now = state.now();
    let tx = state.store().write().await?;
    let b = detail(&tx, caller, id).await?.bill;
    void_in(&tx, ctx, caller, &b, &reason, now).await?;
    let d = detail(&tx, caller, id).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// Voids `b` in the caller's transaction, the caller's right to already checked (see
/// [`void_bill`]).
pub(super) async fn void_in<C: Conn>(
    tx: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    b: &Bill,
    reason: &str,
    now: jiff::Timestamp,
) -> AppResult<()> {
    b.status.void(reason).map_err(|e| match e.field {
        "reason" => AppError::field("reason", e.message),
        _ => AppError::Conflict(e.message),
    })?;
    if !bills::void(tx, caller.clinic_id(), b.id, reason, now).await? {
        return Err(AppError::Conflict(
            "A payment was taken on this bill meanwhile; it cannot be voided.".into(),
        ));
    }
    log(
        tx,
        ctx,
        caller,
        "bill.void",
        b.id,
        json!({"reason": reason}),
        now,
    )
    .await?;
    events::record(
        tx,
        caller.clinic_id(),
        caller.user_id(),
        Event::BillVoided {
            bill: b.id,
            patient: b.patient_id,
        },
        now,
    )
    .await?;
    Ok(())
}

/// E-mails the invoice and its receipt to the patient (the billing desk; audited): to the
/// address on their record, else their account's. Refused when there is none.
pub async fn email_receipt(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
) -> AppResult<String> {
    caller.require(Capability::Billing)?;
    let c = state.store().conn();
    let d = detail(c, caller, id).await?;
    if matches!(d.bill.status, BillStatus::Draft) {
        return Err(AppError::Conflict(
            "Issue the bill before sending it.".into(),
        ));
    }
    let patient = store::patients::find(c, caller.clinic_id(), d.bill.patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let account = match patient.user_id {
        Some(u) => store::users::find(c, u).await?.map(|u| u.email),
        None => None,
    };
    let to = patient.details.email.clone().or(account).ok_or_else(|| {
        AppError::field(
            "email",
            "The patient has no e-mail address on record; add one first.",
        )
    })?;
    let inv = crate::print::Invoice::of(caller.clinic(), &d);
    let link = format!(
        "{}{}",
        state.settings().public_url,
        crate::routes::bill_print(caller.clinic_id(), id)
    );
    let email = super::mail::Email::text(
        &to,
        format!("{} {} from {}", inv.title, inv.number, inv.clinic),
        inv.email_text(&link),
    );
    let now = state.now();
    let tx = state.store().write().await?;
    super::mail::enqueue(&tx, Some(caller.clinic_id()), &email, now).await?;
    log(&tx, ctx, caller, "bill.email", id, json!({"to": to}), now).await?;
    store::commit(tx).await?;
    Ok(to)
}
