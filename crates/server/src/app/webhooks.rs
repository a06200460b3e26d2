//! Outgoing webhooks, the event bus for integrators: a clinic's admins register endpoints
//! and pick event kinds; each event recorded in the clinic gets one delivery per endpoint
//! that wants it, written in the event's transaction with its job (so none is lost and
//! none doubled). The job posts the event signed with the endpoint's secret
//! (`X-DocSpot-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the
//! scheme of `crate::signing`), retries with backoff until a 2xx, and logs each answer.
//! Admins list deliveries and replay any.

use super::{policy::Capability, scope::Caller};
use crate::{
    auth::RequestCtx,
    error::{AppError, AppResult},
    jobs::{Job, webhook::DeliverWebhook},
    state::AppState,
};
use domain::{ClinicId, Event, EventId};
use jiff::Timestamp;
use serde_json::json;
use store::{
    Conn, audit,
    webhooks::{self, Delivery, Endpoint, Status},
};
use uuid::Uuid;

/// At most this many endpoints per clinic.
const MAX_ENDPOINTS: usize = 20;

/// What an admin registers.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    /// Event kinds, or `*`.
    pub events: Vec<String>,
    pub description: String,
}

fn check(state: &AppState, input: &NewEndpoint) -> AppResult<(String, Vec<String>)> {
    let mut errors = Vec::new();
    let url = input.url.trim().to_owned();
    match http_client::Url::parse(&url) {
        _ if url.len() > 500 => errors.push(("url", "At most 500 characters.".to_owned())),
        Ok(u) if u.host_str().is_none_or(str::is_empty) => {
            errors.push(("url", "Give the full address, with its host.".to_owned()));
        }
        Ok(u) if u.scheme() == "https" => {}
        Ok(u) if u.scheme() == "http" && state.settings().webhook_allow_http => {}
        Ok(_) => errors.push(("url", "Use an https:// address.".to_owned())),
        Err(_) => errors.push(("url", "This is not a web address.".to_owned())),
    }
    let mut events: Vec<String> = Vec::new();
    for e in &input.events {
        let e = e.trim();
        if e == "*" || Event::KINDS.contains(&e) {
            if !events.iter().any(|x| x == e) {
                events.push(e.to_owned());
            }
        } else {
            errors.push((
                "events",
                format!("{e:.40} is not an event DocSpot sends; see the API docs for the list."),
            ));
        }
    }
    if events.is_empty() && errors.iter().all(|(f, _)| *f != "events") {
        errors.push(("events", "Pick at least one event.".to_owned()));
    }
    if input.description.chars().count() > 200 || input.description.chars().any(char::is_control) {
        errors.push((
            "description",
            "One line of at most 200 characters.".to_owned(),
        ));
    }
    if errors.is_empty() {
        Ok((url, events))
    } else {
        Err(AppError::Validation(
            errors
                .into_iter()
                .map(|(field, message)| crate::error::FieldError {
                    field: field.to_owned(),
                    message,
                })
                .collect(),
        ))
    }
}

/// Registers an endpoint (the clinic's admins; audited). Its secret is answered this once.
pub async fn create(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    input: &NewEndpoint,
) -> AppResult<Endpoint> {
    caller.require(Capability::ClinicSettings)?;
    let (url, events) = check(state, input)?;
    let now = state.now();
    let tx = state.store().write().await?;
    if webhooks::endpoints(&tx, caller.clinic_id()).await?.len() >= MAX_ENDPOINTS {
        return Err(AppError::Conflict(format!(
            "A clinic can have at most {MAX_ENDPOINTS} endpoints; remove one first."
        )));
    }
    let endpoint = Endpoint {
        id: Uuid::now_v7(),
        clinic_id: caller.clinic_id(),
        url,
        events,
        description: input.description.trim().to_owned(),
        secret: format!("whsec_{}", &store::new_token()[..40]),
        created_at: now,
    };
    webhooks::insert_endpoint(&tx, &endpoint).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("webhook.create", "webhook_endpoint", endpoint.id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"url": endpoint.url, "events": endpoint.events})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(endpoint)
}

/// The clinic's endpoints (its admins).
pub async fn list(state: &AppState, caller: &Caller) -> AppResult<Vec<Endpoint>> {
    caller.require(Capability::ClinicSettings)?;
    Ok(webhooks::endpoints(state.store().conn(), caller.clinic_id()).await?)
}

/// Removes an endpoint (its admins; audited): nothing more is sent to it.
pub async fn delete(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: Uuid,
) -> AppResult<()> {
    caller.require(Capability::ClinicSettings)?;
    let now = state.now();
    let tx = state.store().write().await?;
    if !webhooks::delete_endpoint(&tx, caller.clinic_id(), id, now).await? {
        return Err(AppError::NotFound);
    }
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("webhook.delete", "webhook_endpoint", id).in_clinic(caller.clinic_id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// An endpoint's deliveries, newest first (its admins).
pub async fn deliveries(
    state: &AppState,
    caller: &Caller,
    endpoint: Uuid,
    status: Option<Status>,
    limit: u32,
) -> AppResult<(Endpoint, Vec<Delivery>)> {
    caller.require(Capability::ClinicSettings)?;
    let c = state.store().conn();
    let e = webhooks::find_endpoint(c, caller.clinic_id(), endpoint)
        .await?
        .ok_or(AppError::NotFound)?;
    let list =
        webhooks::deliveries(c, caller.clinic_id(), endpoint, status, limit.clamp(1, 200)).await?;
    Ok((e, list))
}

/// Sends a delivery again, whatever became of it (its admins; audited).
pub async fn replay(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: Uuid,
) -> AppResult<Delivery> {
    caller.require(Capability::ClinicSettings)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let d = webhooks::find_delivery(&tx, id)
        .await?
        .filter(|d| d.clinic_id == caller.clinic_id())
        .ok_or(AppError::NotFound)?;
    webhooks::find_endpoint(&tx, caller.clinic_id(), d.endpoint_id)
        .await?
        .ok_or_else(|| AppError::Conflict("Its endpoint was removed.".into()))?;
    webhooks::reopen(&tx, id, now).await?;
    let job = store::jobs::NewJob {
        dedupe_key: Some(format!("webhook-replay:{}", Uuid::now_v7())),
        ..DeliverWebhook { delivery: id }.new_job(Some(caller.clinic_id()), now)?
    };
    store::jobs::enqueue_all(&tx, &[job], now).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("webhook.replay", "webhook_delivery", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"event": d.event_kind})),
        now,
    )
    .await?;
    let d = webhooks::find_delivery(&tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::commit(tx).await?;
    Ok(d)
}

/// The deliveries of event `id` to those of the clinic's live `endpoints` (read in the
/// event's transaction) that want it, with their jobs, in that transaction.
pub async fn fan_out<C: Conn>(
    c: &C,
    id: EventId,
    clinic: ClinicId,
    event: &Event,
    endpoints: &[Endpoint],
    now: Timestamp,
) -> AppResult<()> {
    let wanted: Vec<&Endpoint> = endpoints.iter().filter(|e| e.wants(event.kind())).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let body = json!({
        "id": id.to_string(),
        "type": event.kind(),
        "clinic_id": clinic.to_string(),
        "created_at": now.to_string(),
        "data": event,
    })
    .to_string();
    let mut jobs = Vec::new();
    for e in wanted {
        let d = Delivery {
            id: Uuid::now_v7(),
            endpoint_id: e.id,
            clinic_id: clinic,
            event_id: id,
            event_kind: event.kind().to_owned(),
            body: body.clone(),
            status: Status::Pending,
            attempts: 0,
            response_status: None,
            error: None,
            created_at: now,
            updated_at: now,
        };
        if webhooks::insert_delivery(c, &d).await? {
            jobs.push(store::jobs::NewJob {
                dedupe_key: Some(format!("webhook:{}", d.id)),
                ..DeliverWebhook { delivery: d.id }.new_job(Some(clinic), now)?
            });
        }
    }
    store::jobs::enqueue_all(c, &jobs, now).await?;
    Ok(())
}
