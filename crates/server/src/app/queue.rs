//! The day's queue: tokens for walk-ins and checked-in appointments, one queue per doctor,
//! called in the order `domain::queue::call_order` gives; every move is audited.

use super::local_time::date_of;
use crate::{
    auth::extract::{ClinicCaller, RequestCtx},
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    AppointmentId, AppointmentStatus, ClinicId, DoctorId, DoctorStatus, PatientId, Role, TokenId,
    queue::{Priority, TokenMove, TokenStatus, call_order},
};
use jiff::Timestamp;
use serde_json::json;
use store::{
    Conn,
    appointments::{self, Appointment},
    audit, doctors, patients,
    queue::{self, NewToken, Stamps, Token},
};

/// The clinic's local date today, as tokens store it.
fn today(state: &AppState, caller: &ClinicCaller) -> String {
    date_of(&caller.clinic, state.now()).to_string()
}

/// A write transaction that may issue tokens. Issuing signs the patient's status link, and
/// the key is read before the transaction opens: read inside it, on SQLite's one writer,
/// the first read of the key would wait on the transaction itself.
pub(crate) async fn issuing_write(state: &AppState) -> AppResult<store::Tx> {
    state.link_key().await?;
    Ok(state.store().write().await?)
}

/// Commits a queue change and tells the live boards: every instance's through
/// PostgreSQL, and this one's directly.
pub(crate) async fn commit_change(
    state: &AppState,
    tx: store::Tx,
    clinic: ClinicId,
) -> AppResult<()> {
    queue::announce(&tx, clinic).await?;
    store::commit(tx).await?;
    state.queue_changed(clinic);
    Ok(())
}

fn desk(caller: &ClinicCaller) -> AppResult<()> {
    if caller.has_any(&[Role::Admin, Role::Receptionist]) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

async fn append(
    c: &impl Conn,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    action: &str,
    t: &Token,
    detail: serde_json::Value,
    now: Timestamp,
) -> AppResult<()> {
    audit::append(
        c,
        &ctx.actor(Some(caller.me.id())),
        audit::Event::new(action, "queue_token", t.id)
            .in_clinic(caller.clinic.id)
            .detail(detail),
        now,
    )
    .await?;
    Ok(())
}

/// An approved doctor of the clinic, or a field error on `doctor_id`.
async fn bookable_doctor<C: Conn>(
    c: &C,
    caller: &ClinicCaller,
    id: DoctorId,
) -> AppResult<doctors::Doctor> {
    doctors::find(c, caller.clinic.id, id)
        .await?
        .filter(|d| d.status == DoctorStatus::Approved)
        .ok_or_else(|| AppError::field("doctor_id", "Choose a doctor of this clinic."))
}

/// Issues the doctor's next token of the day in `c`'s transaction, refusing a second open
/// token of the same patient with the same doctor.
async fn issue_in<C: Conn>(
    state: &AppState,
    c: &C,
    caller: &ClinicCaller,
    new: NewToken<'_>,
    now: Timestamp,
) -> AppResult<Token> {
    let held = queue::of_patient(c, caller.clinic.id, new.patient_id, new.local_date).await?;
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
    let t = queue::find(c, caller.clinic.id, id)
        .await?
        .ok_or_else(|| AppError::Internal("issued token vanished".into()))?;
    super::queue_status::email_link(state, c, &caller.clinic, &t, now).await?;
    Ok(t)
}

/// What the desk asks for a walk-in.
pub struct IssueInput {
    pub doctor_id: DoctorId,
    pub patient_id: PatientId,
    pub priority: Priority,
}

/// Issues today's token for a walk-in to a doctor (desk staff).
pub async fn issue_token(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    input: &IssueInput,
) -> AppResult<Token> {
    desk(caller)?;
    let now = state.now();
    let date = today(state, caller);
    let tx = issuing_write(state).await?;
    bookable_doctor(&tx, caller, input.doctor_id).await?;
    patients::find(&tx, caller.clinic.id, input.patient_id)
        .await?
        .ok_or_else(|| AppError::field("patient_id", "Choose a patient of this clinic."))?;
    let t = issue_in(
        state,
        &tx,
        caller,
        NewToken {
            clinic_id: caller.clinic.id,
            doctor_id: input.doctor_id,
            local_date: &date,
            patient_id: input.patient_id,
            appointment_id: None,
            slot_start: None,
            priority: input.priority,
            arrived_at: now,
            created_by: caller.me.id(),
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
    commit_change(state, tx, caller.clinic.id).await?;
    Ok(t)
}

/// Gives a booked patient who has just been checked in a token in their doctor's queue,
/// in the check-in's transaction.
pub(crate) async fn join_for_appointment<C: Conn>(
    state: &AppState,
    c: &C,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    a: &Appointment,
    priority: Priority,
    now: Timestamp,
) -> AppResult<Token> {
    if let Some(t) = queue::of_appointment(c, a.id).await? {
        return Ok(t);
    }
    let date = date_of(&caller.clinic, now).to_string();
    let t = issue_in(
        state,
        c,
        caller,
        NewToken {
            clinic_id: caller.clinic.id,
            doctor_id: a.doctor_id,
            local_date: &date,
            patient_id: a.patient_id,
            appointment_id: Some(a.id),
            slot_start: Some(a.start),
            priority,
            arrived_at: now,
            created_by: caller.me.id(),
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
    queue::announce(c, caller.clinic.id).await?;
    Ok(t)
}

/// Checks a booked patient in and gives them a token in their doctor's queue (desk staff).
pub async fn check_in(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    id: AppointmentId,
    priority: Priority,
) -> AppResult<Token> {
    desk(caller)?;
    use super::appointments::{Move, move_status_with};
    move_status_with(state, ctx, caller, id, Move::Arrive, priority)
        .await?
        .1
        .ok_or_else(|| AppError::Internal("check-in without a token".into()))
}

/// One doctor's queue of the day.
#[derive(Debug, Clone)]
pub struct DoctorQueue {
    pub doctor_id: DoctorId,
    pub doctor_name: String,
    /// Called, or in consultation.
    pub current: Vec<Token>,
    /// Waiting, in the order they will be called.
    pub waiting: Vec<Token>,
    pub skipped: Vec<Token>,
    /// Done or transferred, latest first.
    pub closed: Vec<Token>,
}

/// A doctor's queue with nobody in it.
pub fn arrange_empty(doctor_id: DoctorId, doctor_name: String) -> DoctorQueue {
    DoctorQueue {
        doctor_id,
        doctor_name,
        current: Vec::new(),
        waiting: Vec::new(),
        skipped: Vec::new(),
        closed: Vec::new(),
    }
}

/// Sorts a day's tokens into per-doctor queues.
pub fn arrange(tokens: Vec<Token>) -> Vec<DoctorQueue> {
    let mut out: Vec<DoctorQueue> = Vec::new();
    for t in tokens {
        let q = match out.iter_mut().position(|q| q.doctor_id == t.doctor_id) {
            Some(i) => &mut out[i],
            None => {
                out.push(arrange_empty(t.doctor_id, t.doctor_name.clone()));
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        match t.status {
            TokenStatus::Called | TokenStatus::InConsultation => q.current.push(t),
            TokenStatus::Waiting => q.waiting.push(t),
            TokenStatus::Skipped => q.skipped.push(t),
            TokenStatus::Done | TokenStatus::Transferred => q.closed.push(t),
        }
    }
    for q in &mut out {
        let keys: Vec<_> = q.waiting.iter().map(Token::waiting).collect();
        let order = call_order(&keys);
        let mut slots: Vec<Option<Token>> = q.waiting.drain(..).map(Some).collect();
        q.waiting = order.into_iter().filter_map(|i| slots[i].take()).collect();
        q.closed
            .sort_by_key(|t| std::cmp::Reverse(t.ended_at.unwrap_or(t.arrived_at)));
    }
    out
}

/// Today's queues (staff): every doctor's, or one doctor's.
pub async fn get_queue(
    state: &AppState,
    caller: &ClinicCaller,
    doctor: Option<DoctorId>,
) -> AppResult<Vec<DoctorQueue>> {
    if !caller.is_staff() {
        return Err(AppError::NotFound);
    }
    let date = today(state, caller);
    let tokens = queue::day(state.store().conn(), caller.clinic.id, &date, doctor).await?;
    Ok(arrange(tokens))
}

/// The caller may run `t`'s queue: its doctor, or an admin; desk staff too for `desk_ok`.
async fn may_run<C: Conn>(
    c: &C,
    caller: &ClinicCaller,
    doctor: DoctorId,
    desk_ok: bool,
) -> AppResult<()> {
    if caller.has_any(&[Role::Admin]) || (desk_ok && caller.has_any(&[Role::Receptionist])) {
        return Ok(());
    }
    match doctors::of_user(c, caller.clinic.id, caller.me.id()).await? {
        Some(d) if d.id == doctor => Ok(()),
        _ if caller.is_staff() => Err(AppError::Forbidden(
            "Only the token's doctor, an admin or the desk can do that.".into(),
        )),
        _ => Err(AppError::NotFound),
    }
}

/// Applies `mv` to a token still at its read version, with the instants the move records.
pub(crate) async fn apply<C: Conn>(
    c: &C,
    t: &Token,
    mv: TokenMove,
    now: Timestamp,
) -> AppResult<Token> {
    let to = t
        .status
        .apply(mv)
        .map_err(|e| AppError::Conflict(e.message))?;
    let stamps = match mv {
        TokenMove::Call | TokenMove::Recall => Stamps {
            called_at: Some(now),
            ..Stamps::default()
        },
        TokenMove::Start => Stamps {
            started_at: Some(now),
            ..Stamps::default()
        },
        TokenMove::End => Stamps {
            ended_at: Some(now),
            ..Stamps::default()
        },
        TokenMove::Requeue => Stamps {
            requeued_at: Some(now),
            ..Stamps::default()
        },
        TokenMove::Skip | TokenMove::Transfer => Stamps::default(),
    };
    if !queue::set_status(c, t.id, t.version, to, stamps, now).await? {
        return Err(AppError::Conflict(
            "Someone else moved this token meanwhile; reload the queue.".into(),
        ));
    }
    queue::find(c, t.clinic_id, t.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Ends the consultation of a token; a checked-in appointment becomes fulfilled.
pub(crate) async fn end_visit<C: Conn>(c: &C, t: &Token, now: Timestamp) -> AppResult<Token> {
    let moved = apply(c, t, TokenMove::End, now).await?;
    if let Some(a) = moved.appointment_id
        && let Some(a) = appointments::find(c, t.clinic_id, a).await?
        && a.status == AppointmentStatus::Arrived
    {
        appointments::set_status(c, a.id, a.version, AppointmentStatus::Fulfilled, None, now)
            .await?;
    }
    Ok(moved)
}

/// Refuses to call or start `t` while another of its doctor's tokens that day is called or
/// with the doctor.
pub(crate) async fn doctor_free_for<C: Conn>(c: &C, t: &Token) -> AppResult<()> {
    let others: Vec<Token> = queue::day(c, t.clinic_id, &t.local_date, Some(t.doctor_id))
        .await?
        .into_iter()
        .filter(|o| o.id != t.id)
        .collect();
    doctor_free(&others)
}

/// Refuses to call another patient while one is called or with the doctor.
fn doctor_free(tokens: &[Token]) -> AppResult<()> {
    match tokens
        .iter()
        .find(|t| matches!(t.status, TokenStatus::Called | TokenStatus::InConsultation))
    {
        Some(t) if t.status == TokenStatus::Called => Err(AppError::Conflict(format!(
            "Token {} has been called; start, recall or skip it first.",
            t.number
        ))),
        Some(t) => Err(AppError::Conflict(format!(
            "Token {} is with the doctor; end that consultation first.",
            t.number
        ))),
        None => Ok(()),
    }
}

/// Calls the doctor's next token by the queue's order (the doctor, or an admin).
pub async fn call_next(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    doctor: DoctorId,
) -> AppResult<Token> {
    let now = state.now();
    let date = today(state, caller);
    let tx = state.store().write().await?;
    may_run(&tx, caller, doctor, false).await?;
    let tokens = queue::day(&tx, caller.clinic.id, &date, Some(doctor)).await?;
    doctor_free(&tokens)?;
    let next = arrange(tokens)
        .into_iter()
        .next()
        .and_then(|q| q.waiting.into_iter().next())
        .ok_or_else(|| AppError::Conflict("Nobody is waiting.".into()))?;
    let t = apply(&tx, &next, TokenMove::Call, now).await?;
    record_move(state, tx, ctx, caller, TokenMove::Call, t, now).await
}

/// Audits a move as `queue.<move>`, commits, and tells the boards.
async fn record_move(
    state: &AppState,
    tx: store::Tx,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    mv: TokenMove,
    t: Token,
    now: Timestamp,
) -> AppResult<Token> {
    let action = format!("queue.{}", mv.as_str());
    append(
        &tx,
        ctx,
        caller,
        &action,
        &t,
        json!({"number": t.number}),
        now,
    )
    .await?;
    commit_change(state, tx, caller.clinic.id).await?;
    Ok(t)
}

/// Recall, skip, put back, start or end one token. Starting needs the doctor free; ending
/// a checked-in appointment's token marks the appointment completed.
pub async fn move_token(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    id: TokenId,
    mv: TokenMove,
) -> AppResult<Token> {
    if mv == TokenMove::Transfer || !caller.is_staff() {
        return Err(AppError::NotFound);
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let t = queue::find(&tx, caller.clinic.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let desk_ok = matches!(mv, TokenMove::Skip | TokenMove::Requeue);
    may_run(&tx, caller, t.doctor_id, desk_ok).await?;
    if mv == TokenMove::Start || mv == TokenMove::Call {
        doctor_free_for(&tx, &t).await?;
    }
    let moved = match mv {
        TokenMove::End => end_visit(&tx, &t, now).await?,
        _ => apply(&tx, &t, mv, now).await?,
    };
    record_move(state, tx, ctx, caller, mv, moved, now).await
}

/// Moves a waiting, called or skipped token to another doctor's queue (desk staff): the
/// old token closes as transferred and the patient gets that doctor's next number, queued
/// from their original arrival.
pub async fn transfer(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    id: TokenId,
    to: DoctorId,
) -> AppResult<Token> {
    desk(caller)?;
    let now = state.now();
    let tx = issuing_write(state).await?;
    let t = queue::find(&tx, caller.clinic.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let doctor = bookable_doctor(&tx, caller, to).await?;
    if doctor.id == t.doctor_id {
        return Err(AppError::field(
            "doctor_id",
            "The token is already in this doctor's queue.",
        ));
    }
    // The old token closes first: an appointment has one live token at a time.
    let closed = apply(&tx, &t, TokenMove::Transfer, now).await?;
    let new = issue_in(
        state,
        &tx,
        caller,
        NewToken {
            clinic_id: caller.clinic.id,
            doctor_id: to,
            local_date: &t.local_date,
            patient_id: t.patient_id,
            appointment_id: t.appointment_id,
            slot_start: None,
            priority: t.priority,
            arrived_at: t.arrived_at,
            created_by: caller.me.id(),
        },
        now,
    )
    .await?;
    let link = Stamps {
        transferred_to: Some(new.id),
        ..Stamps::default()
    };
    queue::set_status(
        &tx,
        t.id,
        closed.version,
        TokenStatus::Transferred,
        link,
        now,
    )
    .await?;
    append(
        &tx,
        ctx,
        caller,
        "queue.transfer",
        &t,
        json!({"number": t.number, "to_doctor_id": to.as_uuid(), "new_number": new.number}),
        now,
    )
    .await?;
    commit_change(state, tx, caller.clinic.id).await?;
    Ok(new)
}
