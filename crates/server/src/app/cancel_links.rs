//! Cancelling from the link in an e-mail: no sign-in, the link is the proof; until the visit starts.

use super::appointments::cancel_in;
use super::notices;
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{AppointmentId, events::CancelledBy, values::bounded_text};
use store::{
    appointments::{self, Appointment},
    clinics::Clinic,
};

/// The appointment and clinic an e-mailed cancel link points at, while it is valid.
pub async fn by_cancel_link(state: &AppState, token: &str) -> AppResult<(Clinic, Appointment)> {
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::NotFound);
    }
    let c = state.store().conn();
    let (clinic, target) = store::links::find_link(
        c,
        notices::CANCEL_PURPOSE,
        &store::token_hash(token),
        state.now(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let clinic = store::clinics::find(c, clinic)
        .await?
        .ok_or(AppError::NotFound)?;
    let a = appointments::find(c, clinic.id, AppointmentId::from_uuid(target))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((clinic, a))
}

/// Cancels through an e-mailed link (a POST from the page the link opens).
pub async fn cancel_by_link(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    reason: &str,
) -> AppResult<Appointment> {
    let reason = bounded_text("reason", reason, 500, true)?;
    let (clinic, a) = by_cancel_link(state, token).await?;
    let now = state.now();
    let tx = state.store().write().await?;
    let a = appointments::find(&tx, clinic.id, a.id)
        .await?
        .ok_or(AppError::NotFound)?;
    cancel_in(
        state,
        &tx,
        &ctx.actor(a.patient_user_id),
        &clinic,
        &a,
        &reason,
        CancelledBy::Link,
        now,
    )
    .await?;
    let a = appointments::find(&tx, clinic.id, a.id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::commit(tx).await?;
    super::counters::cancelled(false);
    Ok(a)
}
