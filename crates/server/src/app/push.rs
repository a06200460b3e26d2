//! Patients' devices for web push: subscribing one (the push service's endpoint and the
//! device's keys, from the browser's `PushManager`), unsubscribing it, the install's VAPID
//! public key the browser subscribes with, and the messages events send to them.

use super::events::{Recording, Subscriber};
use crate::{
    auth::{CurrentUser, RequestCtx},
    error::{AppError, AppResult},
    jobs::{Job, push::PushNotify},
    notify::push::unb64,
    state::AppState,
};
use store::{audit, jobs::NewJob};
use uuid::Uuid;

/// At most this many devices per account; the oldest goes.
const MAX_DEVICES: usize = 10;

/// What the browser's `PushSubscription.toJSON()` gives.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Keeps the signed-in person's device subscription (one per endpoint); answers its id.
pub async fn subscribe(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    new: &NewSubscription,
) -> AppResult<Uuid> {
    let mut errors = Vec::new();
    match http_client::Url::parse(new.endpoint.trim()) {
        Ok(u) if u.scheme() == "https" => {}
        Ok(u) if u.scheme() == "http" && state.settings().webhook_allow_http => {}
        _ => errors.push(("endpoint", "Give the push service's https:// endpoint.")),
    }
    if new.endpoint.len() > 1000 {
        errors.push(("endpoint", "At most 1000 characters."));
    }
    if unb64(&new.p256dh)
        .and_then(|b| p256::PublicKey::from_sec1_bytes(&b).ok())
        .is_none()
    {
        errors.push(("keys.p256dh", "Give the device's P-256 key, base64url."));
    }
    if unb64(&new.auth).is_none_or(|a| a.len() != 16) {
        errors.push((
            "keys.auth",
            "Give the device's 16-byte auth secret, base64url.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(
            errors
                .into_iter()
                .map(|(f, m)| crate::error::FieldError {
                    field: f.to_owned(),
                    message: m.to_owned(),
                })
                .collect(),
        ));
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let mine = store::push::of_user(&tx, me.id()).await?;
    if mine.len() >= MAX_DEVICES {
        store::push::forget(&tx, mine[0].id).await?;
    }
    let id = store::push::upsert(
        &tx,
        &store::push::Subscription {
            id: Uuid::now_v7(),
            user: me.id(),
            endpoint: new.endpoint.trim().to_owned(),
            p256dh: new.p256dh.trim().to_owned(),
            auth: new.auth.trim().to_owned(),
            user_agent: ctx.user_agent.chars().take(300).collect(),
            created_at: now,
        },
    )
    .await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("push.subscribe", "push_subscription", id),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(id)
}

/// Forgets one of the signed-in person's devices.
pub async fn unsubscribe(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    id: Uuid,
) -> AppResult<()> {
    let now = state.now();
    let tx = state.store().write().await?;
    if !store::push::delete(&tx, me.id(), id).await? {
        return Err(AppError::NotFound);
    }
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("push.unsubscribe", "push_subscription", id),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// The push job of a message to `message.user`'s devices, at `at`.
pub fn job(
    clinic: domain::ClinicId,
    message: &PushNotify,
    at: jiff::Timestamp,
) -> AppResult<NewJob> {
    message.new_job(Some(clinic), at)
}

/// Adds a push of `message` to the event being recorded, when the patient has an account.
pub fn then_push(
    rec: &mut Recording,
    clinic: domain::ClinicId,
    message: &PushNotify,
    now: jiff::Timestamp,
) -> AppResult<()> {
    if message.user.is_some() {
        rec.then(Subscriber::Push, job(clinic, message, now)?);
    }
    Ok(())
}
