//! Issuing tokens: walk-ins from the desk, and booked patients as they check in.

use super::{append, commit_change, desk, issuing_write, today, token_event};
use crate::app::local_time::date_of;
use crate::app::scope::Caller;
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{AppointmentId, DoctorId, DoctorStatus, PatientId, queue::Priority};
use jiff::Timestamp;
use serde_json::json;
use store::{
    Conn,
    appointments::Appointment,
    doctors, patients,
    queue::{self, Arrival, NewToken, Token},
};

/// An approved doctor of the clinic, or a field error on `doctor_id`.
pub(super) async fn bookable_doctor<C: Conn>(
    c: &C,
    caller: &Caller,
    id: DoctorId,
) -> AppResult<doctors::Doctor> {
    doctors::find(c, caller.clinic_id(), id)
        .await?
        .filter(|d| d.status == DoctorStatus::Approved)
        .ok_or_else(|| AppError::field("doctor_id", "Choose a doctor of this clinic."))
}

/// Issues the doctor's next token of the day in `c`'s transaction, refusing a second open
/// token of the same patient with the same doctor.
pub(super) async fn issue_in<C: Conn>(
    state: &AppState,
    c: &C,
    caller: &Caller,
    new: NewToken<'_>,
    now: Timestamp,
) -> AppResult<Token> {
    let held = queue::of_patient(c, caller.clinic_id(), new.patient_id, new.local_date).await?;
    if let Some(t) = held
        .iter()
        .find(|t| t.doctor_id == new.doctor_id && !t.status.is_closed())
    {
        return Err(AppError::Conflict(format!(
            "{} already holds token {} for {} today.",
            t.patient_name, t.number, t.doctor_name
        )));
    }
    let id = match queue::insert(c, &new, now).await {
        Err(store::StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(
                "This patient was just given a token for this doctor; reload the queue.".into(),
            ));
        }
        other => other?,
    };
    let t = queue::find(c, caller.clinic_id(), id)
        .await?
        .ok_or_else(|| AppError::Internal("issued token vanished".into()))?;
    crate::app::queue_status::send_link(state, c, caller.clinic(), &t, now).await?;
    Ok(t)
}

/// What the desk asks for a walk-in.
pub struct IssueInput {
    pub doctor_id: DoctorId,
    pub patient_id: PatientId,
    pub priority: Priority,
}

/// Issues today's token for a walk-in to a doctor (desk staff).
#[tracing::instrument(name = "issue_token", skip_all, fields(clinic = %caller.clinic_id()))]
pub async fn issue_token(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    input: &IssueInput,
) -> AppResult<Token> {
    desk(caller)?;
    let now = state.now();
    let date = today(state, caller);
    let tx = issuing_write(state).await?;
    bookable_doctor(&tx, caller, input.doctor_id).await?;
    patients::find(&tx, caller.clinic_id(), input.patient_id)
        .await?
        .ok_or_else(|| AppError::field("patient_id", "Choose a patient of this clinic."))?;
    let t = issue_in(
        state,
        &tx,
        caller,
        NewToken {
            clinic_id: caller.clinic_id(),
            doctor_id: input.doctor_id,
            local_date: &date,
            patient_id: input.patient_id,
            appointment_id: None,
            slot_start: None,
            priority: input.priority,
            arrival: Arrival::Now(now),
            created_by: caller.person()?.id(),
        },
        now,
    )
    .await?;
    append(
        &tx,
        ctx,
        caller,
        "queue.issue",
        &t,
        json!({"number": t.number, "priority": t.priority}),
        now,
    )
    .await?;
    token_event(state, &tx, caller, &t, false, now).await?;
    commit_change(state, tx, caller.clinic_id()).await?;
    crate::app::counters::token_issued(false);
    Ok(t)
}

/// Gives a booked patient who has just been checked in a token in their doctor's queue,
/// in the check-in's transaction.
pub(crate) async fn join_for_appointment<C: Conn>(
    state: &AppState,
    c: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    a: &Appointment,
    priority: Priority,
    now: Timestamp,
) -> AppResult<Token> {
    if let Some(t) = queue::of_appointment(c, a.id).await? {
        return Ok(t);
    }
    let date = date_of(caller.clinic(), now).to_string();
    let t = issue_in(
        state,
        c,
        caller,
        NewToken {
            clinic_id: caller.clinic_id(),
            doctor_id: a.doctor_id,
            local_date: &date,
            patient_id: a.patient_id,
            appointment_id: Some(a.id),
            slot_start: Some(a.start),
            priority,
            arrival: Arrival::Now(now),
            created_by: caller.person()?.id(),
        },
        now,
    )
    .await?;
    append(
        c,
        ctx,
        caller,
        "queue.issue",
        &t,
        json!({"number": t.number, "priority": t.priority, "appointment_id": a.id.as_uuid()}),
        now,
    )
    .await?;
    token_event(state, c, caller, &t, false, now).await?;
    queue::announce(c, caller.clinic_id()).await?;
    Ok(t)
}

/// Checks a booked patient in and gives them a token in their doctor's queue (desk staff).
pub async fn check_in(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: AppointmentId,
    priority: Priority,
) -> AppResult<Token> {
    desk(caller)?;
    use crate::app::appointments::move_status_with;
    move_status_with(state, ctx, caller, id, domain::StaffMove::Arrive, priority)
        .await?
        .1
        .ok_or_else(|| AppError::Internal("check-in without a token".into()))
}
