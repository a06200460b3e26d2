//! Where messages to patients stand once sent: the providers' signed status callbacks and
//! webhooks (SMS providers, WhatsApp), and the clinic admin's list of deliveries with a
//! retry for the failed ones.

use super::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    jobs::sms::SendSms,
    notify::{
        sms::{Callback, Delivery, SmsError, SmsSender, StatusReport},
        whatsapp::{self, Template},
    },
    state::AppState,
};
use axum::http::HeaderMap;
use domain::preferences::Channel;
use serde_json::json;
use store::{
    audit,
    messages::{self, Message, Status},
};

/// What the configured SMS provider named `provider` reads from a request it signed, by
/// `check`; a provider not configured is 404, a bad signature 403, a body it does not
/// understand 400.
pub fn verified<'s, T>(
    state: &'s AppState,
    provider: &str,
    check: impl FnOnce(&dyn SmsSender) -> Result<T, SmsError>,
) -> AppResult<(&'s dyn SmsSender, T)> {
    let sender = state
        .sms()
        .filter(|s| s.name() == provider)
        .ok_or(AppError::NotFound)?;
    let read = check(sender.as_ref()).map_err(refused)?;
    Ok((sender.as_ref(), read))
}

/// How a provider's request that does not check out is answered: a bad signature 403,
/// a body that does not read 400.
fn refused(e: SmsError) -> AppError {
    match e {
        SmsError::Signature(m) => AppError::Forbidden(format!("Signature: {m}")),
        other => AppError::BadRequest(other.to_string()),
    }
}

/// A status callback of `provider`: verified, then applied to its messages. Answers whether a message of ours was found.
pub async fn status_callback(
    state: &AppState,
    provider: &str,
    callback: &Callback<'_>,
) -> AppResult<bool> {
    let (_, reports) = verified(state, provider, |s| s.verify_status(callback))?;
    apply_reports(state, provider, &reports).await
}

/// Applies `provider`'s status reports to its messages, in one transaction; answers whether
/// any was about a message of ours.
async fn apply_reports(
    state: &AppState,
    provider: &str,
    reports: &[StatusReport],
) -> AppResult<bool> {
    let tx = state.store().write().await?;
    let mut known = false;
    for report in reports.iter().take(1000) {
        let status = match report.delivery {
            Delivery::Sent => Status::Sent,
            Delivery::Delivered => Status::Delivered,
            Delivery::Failed => Status::Failed,
        };
        let mut found = messages::reported(
            &tx,
            provider,
            &report.provider_ref,
            status,
            report.error.as_deref(),
            state.now(),
        )
        .await?;
        // A message whose send was cut off before its reference was recorded.
        if let (false, Some(id)) = (
            found,
            report.reference.as_deref().and_then(|r| r.parse().ok()),
        ) {
            found = messages::claim(
                &tx,
                id,
                provider,
                &report.provider_ref,
                status,
                report.error.as_deref(),
                state.now(),
            )
            .await?;
        }
        known |= found;
    }
    store::commit(tx).await?;
    Ok(known)
}

/// The WhatsApp webhook: verified, then its status reports applied to our messages and its
/// STOP and START replies to the numbers' WhatsApp. Answers whether a report was about a
/// message of ours, and whether a reply changed anything.
pub async fn whatsapp_webhook(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> AppResult<(bool, bool)> {
    let whatsapp = state.whatsapp().ok_or(AppError::NotFound)?;
    let body = whatsapp.verified(headers, body).map_err(refused)?;
    let known = apply_reports(state, "whatsapp", &whatsapp::statuses(&body)).await?;
    let mut changed = false;
    for text in whatsapp::messages(&body) {
        changed |= super::preferences::reply(state, Channel::Whatsapp, "whatsapp", &text).await?;
    }
    Ok((known, changed))
}

/// The clinic's texts, newest first; only those at `status` when given (its admins).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    status: Option<Status>,
    limit: u32,
) -> AppResult<Vec<Message>> {
    caller.require(Capability::ClinicSettings)?;
    Ok(messages::list(
        state.store().conn(),
        caller.clinic_id(),
        status,
        limit.clamp(1, 200),
    )
    .await?)
}

/// Sends a failed text again (its admins; audited): queued, with a new job.
pub async fn retry(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: uuid::Uuid,
) -> AppResult<Message> {
    caller.require(Capability::ClinicSettings)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let m = messages::find(&tx, id)
        .await?
        .filter(|m| m.clinic_id == Some(caller.clinic_id()))
        .ok_or(AppError::NotFound)?;
    if m.kind == "otp" {
        return Err(AppError::Conflict(
            "A sign-in code is not sent again (it is kept masked): the patient asks for a new one."
                .into(),
        ));
    }
    if !messages::requeue(&tx, caller.clinic_id(), id, now).await? {
        return Err(AppError::Conflict(format!(
            "This message is {}; only a failed one is sent again.",
            m.status.as_str()
        )));
    }
    let channel = Channel::parse(&m.channel).unwrap_or(Channel::Sms);
    let template = match &m.template {
        Some(t) => Some(
            serde_json::from_str::<Template>(t)
                .map_err(|e| AppError::internal("stored message template", &e))?,
        ),
        None => None,
    };
    let job = SendSms {
        message: m.id,
        kind: m.kind.clone(),
        to: m.recipient.clone(),
        body: m.body.clone(),
        template,
        user: m.user_id,
        ..SendSms::default()
    }
    .job_on(channel, Some(caller.clinic_id()), now)?;
    store::jobs::enqueue_all(&tx, &[job], now).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("message.retry", "message", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"kind": m.kind})),
        now,
    )
    .await?;
    let m = messages::find(&tx, id).await?.ok_or(AppError::NotFound)?;
    store::commit(tx).await?;
    Ok(m)
}
