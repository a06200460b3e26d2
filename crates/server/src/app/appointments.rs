//! An appointment's life after booking: reading one, moving, cancelling (also by
//! an e-mailed link) and the staff status moves.

use super::{
    booking::{Details, Inserted, Want, bookable, fresh_ref_code, patient_busy, patient_clash},
    events,
    local_time::zone_of,
    notices,
};
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    AppointmentId, AppointmentStatus, Event, StaffMove, appointment::before_cutoff,
    billing::BillKind, events::CancelledBy, queue::Priority, schedule::Refusal,
    values::bounded_text,
};
use jiff::Timestamp;
use serde_json::json;
use store::{
    Batch, Conn,
    appointments::{self, Appointment},
    audit,
    clinics::Clinic,
    doctors, rules,
    schedules::{self, Policy},
};

/// An appointment the caller may see: staff of its clinic, or the patient it is for.
async fn visible<C: Conn>(c: &C, caller: &Caller, id: AppointmentId) -> AppResult<Appointment> {
    appointments::find(c, caller.clinic_id(), id)
        .await?
        .filter(|a| caller.can(Capability::ReadAppointments) || caller.is_user(a.patient_user_id))
        .ok_or(AppError::NotFound)
}

/// One appointment (staff of the clinic, or its patient). Reading it is audited.
pub async fn get(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: AppointmentId,
) -> AppResult<Appointment> {
    let now = state.now();
    let tx = state.store().write().await?;
    let a = visible(&tx, caller, id).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("appointment.read", "appointment", id).in_clinic(caller.clinic_id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(a)
}

/// Whether the patient may still change `a` themselves; staff may always, audited.
fn within_cutoff(policy: &Policy, a: &Appointment, now: Timestamp) -> bool {
    before_cutoff(a.start, policy.cancel_cutoff(), now)
}

/// "Please call the clinic on +91…", or without a number when the clinic has none.
fn call_the(clinic: &Clinic) -> String {
    match clinic.details.phone() {
        Some(p) => format!("Please call the clinic on {}.", p.as_str()),
        None => "Please call the clinic.".to_owned(),
    }
}

/// Cancels with a reason. Patients may until the cutoff; staff after it too (audited).
#[tracing::instrument(name = "cancel_appointment", skip_all, fields(clinic = %caller.clinic_id()))]
pub async fn cancel(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: AppointmentId,
    reason: &str,
) -> AppResult<Appointment> {
    let reason = bounded_text("reason", reason, 500, true)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let a = visible(&tx, caller, id).await?;
    let staff = caller.can(Capability::ChangeAppointments);
    cancel_in(
        state,
        &tx,
        &caller.actor(ctx),
        caller.clinic(),
        &a,
        &reason,
        if staff {
            CancelledBy::Staff
        } else {
            CancelledBy::Patient
        },
        now,
    )
    .await?;
    let a = appointments::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::commit(tx).await?;
    super::counters::cancelled(staff);
    Ok(a)
}

/// Cancels `a` in the caller's transaction (shared with the e-mailed cancel link).
#[allow(clippy::too_many_arguments)]
pub async fn cancel_in<C: Conn>(
    state: &AppState,
    c: &C,
    actor: &audit::Actor,
    clinic: &Clinic,
    a: &Appointment,
    reason: &str,
    by: CancelledBy,
    now: Timestamp,
) -> AppResult<()> {
    let staff = by == CancelledBy::Staff;
    if !staff && !a.status.is_open() {
        return Err(AppError::Conflict(format!(
            "This appointment is {} and can no longer be cancelled online.",
            a.status.label().to_lowercase()
        )));
    }
    a.status
        .move_to(AppointmentStatus::Cancelled)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let policy = schedules::policy(c, clinic.id).await?;
    let late = !within_cutoff(&policy, a, now);
    if late && !staff {
        return Err(AppError::Refused {
            rule: "cancel_cutoff",
            message: format!(
                "It is too late to cancel online ({} hours before). {}",
                policy.cancel_cutoff_min as f64 / 60.0,
                call_the(clinic)
            ),
        });
    }
    if !appointments::set_status(
        c,
        a.id,
        a.version,
        AppointmentStatus::Cancelled,
        Some(reason),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "Someone else changed this appointment; reload and try again.".into(),
        ));
    }
    notices::cancelled(state, c, clinic, a, by, actor.user, now).await?;
    audit::append(
        c,
        actor,
        audit::Event::new("appointment.cancel", "appointment", a.id)
            .in_clinic(clinic.id)
            .detail(json!({"reason": reason, "after_cutoff_override": late, "by_staff": staff})),
        now,
    )
    .await?;
    Ok(())
}

/// Moves an appointment to a new start (same doctor and visit type): the new one is booked
/// and the old one cancelled in one transaction, linked both ways.
#[tracing::instrument(name = "reschedule_appointment", skip_all, fields(clinic = %caller.clinic_id()))]
pub async fn reschedule(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: AppointmentId,
    start: Timestamp,
    allow_patient_overlap: bool,
) -> AppResult<Appointment> {
    let now = state.now();
    let clinic = caller.clinic();
    let staff = caller.can(Capability::ChangeAppointments);
    let tx = state.store().write().await?;
    // Read once to learn whose lock to take, then again under it: the version may have moved.
    let old = visible(&tx, caller, id).await?;
    doctors::lock(&tx, old.doctor_id).await?;
    let old = visible(&tx, caller, id).await?;
    if !old.status.is_open() {
        return Err(AppError::Conflict(format!(
            "This appointment is {} and cannot be moved.",
            old.status.label().to_lowercase()
        )));
    }
    let date = start.to_zoned(zone_of(clinic)).date();
    let rules = rules::doctor_rules(&tx, clinic.id, old.doctor_id, date, date).await?;
    let late = !within_cutoff(&rules.policy, &old, now);
    if late && !staff {
        return Err(AppError::Refused {
            rule: "cancel_cutoff",
            message: format!(
                "It is too late to move this appointment online. {}",
                call_the(clinic)
            ),
        });
    }
    let vt = bookable(&rules, old.visit_type_id)?;
    let want = Want {
        clinic,
        rules: &rules,
        vt: &vt,
        staff,
        start,
    };
    let placed = match want
        .slot(&tx, now, Some((old.block_start, old.block_end)))
        .await?
    {
        Ok(p) => p,
        Err(r) => {
            tx.rollback().await?;
            return Err(want.refused(state, r).await);
        }
    };
    if !appointments::set_status(
        &tx,
        old.id,
        old.version,
        AppointmentStatus::Cancelled,
        Some("Rescheduled"),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "Someone else changed this appointment; reload and try again.".into(),
        ));
    }
    // A visit is not moved onto another of the patient's, unless staff override that, as at
    // booking. One booked meanwhile is refused by the database (`Inserted::PatientBusy`).
    let clashes =
        appointments::patient_overlaps(&tx, old.patient_id, placed.slot.start, placed.slot.end)
            .await?;
    let name = staff.then_some(old.patient_name.as_str());
    if let Some(other) = clashes.first()
        && !(staff && allow_patient_overlap)
    {
        tx.rollback().await?;
        return Err(patient_clash(clinic, name, "Move", other));
    }
    let details = Details {
        patient: old.patient_id,
        status: old.status,
        source: old.source,
        reason: &old.reason,
        rescheduled_from: Some(old.id),
        created_by: caller.person()?.id(),
        patient_overlap_ok: !clashes.is_empty(),
    };
    let new_id = AppointmentId::new();
    let ref_code = fresh_ref_code(&tx, clinic.id).await?;
    let local_date = placed.date.to_string();
    let row = want.row(new_id, &placed, &details, &ref_code, &local_date);
    match want.insert(&tx, &row, Batch::on(&tx), now).await? {
        Inserted::Done(_) => {}
        Inserted::Taken => {
            tx.rollback().await?;
            return Err(want.refused(state, Refusal::Taken).await);
        }
        Inserted::PatientBusy => {
            tx.rollback().await?;
            let pool = state.store().conn();
            let slot = &placed.slot;
            return Err(patient_busy(pool, clinic, name, "Move", old.patient_id, slot).await);
        }
        Inserted::RefCodeTaken => {
            return Err(AppError::Conflict(
                "Another booking took the new reference code; try again.".into(),
            ));
        }
    }
    appointments::set_rescheduled_to(&tx, old.id, new_id).await?;
    let new = appointments::find(&tx, clinic.id, new_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if vt.deposit_minor > 0 {
        // The deposit goes with the visit (and is billed for the new one should its job
        // not have run yet).
        store::bills::move_to(&tx, clinic.id, old.id, new.id, BillKind::Deposit, now).await?;
    }
    notices::booked(
        state,
        &tx,
        clinic,
        &new,
        Some(&old),
        vt.deposit_minor,
        caller.user_id(),
        now,
    )
    .await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("appointment.reschedule", "appointment", old.id)
            .in_clinic(clinic.id)
            .detail(json!({
                "to": new_id, "from_start": old.start.to_string(), "to_start": new.start.to_string(),
                "after_cutoff_override": late, "patient_overlap_override": !clashes.is_empty(),
            })),
        now,
    )
    .await?;
    store::commit(tx).await?;
    super::counters::rescheduled();
    Ok(new)
}

pub use super::appointment_lists::{list, list_mine, upcoming_of_patient};

pub use super::cancel_links::{by_cancel_link, cancel_by_link};

/// Applies a staff status change; illegal moves are 409. Checking in also gives the
/// patient a token in their doctor's queue (normal priority).
pub async fn move_status(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: AppointmentId,
    m: StaffMove,
) -> AppResult<Appointment> {
    Ok(
        move_status_with(state, ctx, caller, id, m, Priority::Normal)
            .await?
            .0,
    )
}

/// [`move_status`], returning the queue token a check-in issued, with its `priority`.
#[tracing::instrument(name = "move_appointment", skip_all, fields(clinic = %caller.clinic_id()))]
pub async fn move_status_with(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: AppointmentId,
    m: StaffMove,
    priority: Priority,
) -> AppResult<(Appointment, Option<store::queue::Token>)> {
    if !caller.can(Capability::to_move(m)) {
        return Err(AppError::NotFound);
    }
    let to = m.target();
    let now = state.now();
    let tx = if m == StaffMove::Arrive {
        super::queue::issuing_write(state).await?
    } else {
        state.store().write().await?
    };
    let a = visible(&tx, caller, id).await?;
    let today = now.to_zoned(zone_of(caller.clinic())).date();
    if let Some(why) = m.refusal(a.status, a.start, a.local_date.parse().ok(), now, today) {
        return Err(AppError::Conflict(why));
    }
    if !appointments::set_status(&tx, a.id, a.version, to, None, now).await? {
        return Err(AppError::Conflict(
            "Someone else changed this appointment; reload and try again.".into(),
        ));
    }
    let a = appointments::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = caller.user_id();
    let (appointment, doctor, patient) = (a.id, a.doctor_id, a.patient_id);
    match m {
        StaffMove::Approve => {
            notices::approved(state, &tx, caller.clinic(), &a, actor, now).await?;
        }
        StaffMove::Arrive => {
            let e = Event::AppointmentArrived {
                appointment,
                doctor,
                patient,
            };
            events::record(&tx, caller.clinic_id(), actor, e, now).await?;
        }
        StaffMove::NoShow => {
            let e = Event::AppointmentNoShow {
                appointment,
                doctor,
                patient,
                start: a.start,
            };
            let mut rec = events::Recording::new(caller.clinic_id(), actor, e);
            super::visit_charges::on_no_show(&tx, &mut rec, &a, now).await?;
            rec.write(&tx, now).await?;
        }
        StaffMove::Complete => {
            let e = Event::AppointmentCompleted {
                appointment,
                doctor,
                patient,
            };
            events::record(&tx, caller.clinic_id(), actor, e, now).await?;
        }
    }
    let token = match m {
        StaffMove::Arrive => Some(
            super::queue::join_for_appointment(state, &tx, ctx, caller, &a, priority, now).await?,
        ),
        _ => None,
    };
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new(&format!("appointment.{}", to.as_str()), "appointment", id)
            .in_clinic(caller.clinic_id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    super::counters::moved(to);
    if token.is_some() {
        super::counters::token_issued(true);
        state.queue_changed(caller.clinic_id());
    }
    Ok((a, token))
}
