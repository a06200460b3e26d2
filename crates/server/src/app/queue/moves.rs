//! Moving tokens through the queue: call, recall, skip, put back, start, end and transfer.

use super::{
    append, arrange, commit_change, desk,
    issue::{bookable_doctor, issue_in},
    issuing_write, today, token_event,
};
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    AppointmentStatus, DoctorId, TokenId,
    queue::{TokenMove, TokenStatus},
};
use jiff::Timestamp;
use serde_json::json;
use store::{
    Conn, appointments, doctors,
    queue::{self, Arrival, NewToken, Stamps, Token},
};

/// The caller may run `t`'s queue: its doctor, or an admin; desk staff too for `desk_ok`.
async fn may_run<C: Conn>(
    c: &C,
    caller: &Caller,
    doctor: DoctorId,
    desk_ok: bool,
) -> AppResult<()> {
    if caller.can(Capability::RunAnyQueue) || (desk_ok && caller.can(Capability::IssueTokens)) {
        return Ok(());
    }
    match doctors::of_user(c, caller.clinic_id(), caller.person()?.id()).await? {
        Some(d) if d.id == doctor => Ok(()),
        _ if caller.can(Capability::ViewQueue) => Err(AppError::Forbidden(
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
    caller: &Caller,
    doctor: DoctorId,
) -> AppResult<Token> {
    let now = state.now();
    let date = today(state, caller);
    let tx = state.store().write().await?;
    may_run(&tx, caller, doctor, false).await?;
    let tokens = queue::day(&tx, caller.clinic_id(), &date, Some(doctor)).await?;
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
    caller: &Caller,
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
    if mv == TokenMove::Call {
        token_event(state, &tx, caller, &t, true, now).await?;
    }
    commit_change(state, tx, caller.clinic_id()).await?;
    Ok(t)
}

/// Recall, skip, put back, start or end one token. Starting needs the doctor free; ending
/// a checked-in appointment's token marks the appointment completed.
pub async fn move_token(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: TokenId,
    mv: TokenMove,
) -> AppResult<Token> {
    if mv == TokenMove::Transfer || !caller.can(Capability::ViewQueue) {
        return Err(AppError::NotFound);
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let t = queue::find(&tx, caller.clinic_id(), id)
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
    caller: &Caller,
    id: TokenId,
    to: DoctorId,
) -> AppResult<Token> {
    desk(caller)?;
    let now = state.now();
    let tx = issuing_write(state).await?;
    let t = queue::find(&tx, caller.clinic_id(), id)
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
            clinic_id: caller.clinic_id(),
            doctor_id: to,
            local_date: &t.local_date,
            patient_id: t.patient_id,
            appointment_id: t.appointment_id,
            slot_start: None,
            priority: t.priority,
            arrival: Arrival::Kept(t.arrived_at),
            created_by: caller.person()?.id(),
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
    commit_change(state, tx, caller.clinic_id()).await?;
    Ok(new)
}
