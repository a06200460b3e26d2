//! Texts to patients: the SMS provider's and WhatsApp's webhooks, and the clinic admin's
//! list of deliveries with a retry for the failed ones.

use super::consultations::Pair;
use super::extract::{ApiPath, ApiQuery};
use crate::app::scope::Caller;
use crate::{
    app::deliveries,
    auth::RequestCtx,
    error::{AppError, AppResult, Problem},
    notify::sms::{Callback, status_path},
    state::AppState,
};
use axum::{
    Json,
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode},
};
use serde::{Deserialize, Serialize};
use store::messages::{Message, Status};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One text and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: Uuid,
    /// `sms` or `whatsapp`.
    pub channel: String,
    /// What it is about: `appointment.booked`, `appointment.cancelled`, `reminder.24h`, …
    pub kind: String,
    /// The mobile number (E.164).
    pub recipient: String,
    pub body: String,
    /// `queued`, `sent`, `delivered` or `failed`.
    pub status: String,
    /// The provider (`twilio`, `msg91`, `http`, `whatsapp`) and its id of the message, once
    /// it took it.
    pub provider: Option<String>,
    pub provider_ref: Option<String>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub attempts: i32,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        MessageView {
            id: m.id,
            channel: m.channel,
            kind: m.kind,
            recipient: m.recipient,
            body: m.body,
            status: m.status.as_str().into(),
            provider: m.provider,
            provider_ref: m.provider_ref,
            error: m.error,
            attempts: m.attempts,
            created_at: m.created_at.to_string(),
            updated_at: m.updated_at.to_string(),
        }
    }
}

/// Which messages to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessageQuery {
    /// `queued`, `sent`, `delivered` or `failed`.
    pub status: Option<String>,
    /// At most 200; default 50.
    pub limit: Option<u32>,
}

/// The clinic's texts to patients, newest first (its admins).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/messages", operation_id = "list_message_deliveries", tag = "messages",
    params(("clinic_id" = Uuid, Path), MessageQuery),
    responses((status = 200, body = Vec<MessageView>), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_message_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> AppResult<Json<Vec<MessageView>>> {
    let status = match q.status.as_deref() {
        None => None,
        Some(raw) => Some(Status::parse(raw).ok_or_else(|| {
            AppError::field("status", "must be queued, sent, delivered or failed")
        })?),
    };
    let list = deliveries::list(&state, &caller, status, q.limit.unwrap_or(50)).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Send a failed text again (the clinic's admins; audited).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/messages/{message_id}/retry", operation_id = "retry_message_delivery", tag = "messages",
    params(("clinic_id" = Uuid, Path), ("message_id" = Uuid, Path)),
    responses((status = 202, body = MessageView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn retry_message_delivery(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
) -> AppResult<(StatusCode, Json<MessageView>)> {
    let m = deliveries::retry(&state, &ctx, &caller, id).await?;
    Ok((StatusCode::ACCEPTED, Json(m.into())))
}

/// The public address a provider posted to: `path` with its `query`, as it signed it.
fn address(state: &AppState, path: &str, query: Option<String>) -> String {
    let mut url = format!("{}{path}", state.settings().public_url);
    if let Some(q) = query {
        url.push('?');
        url.push_str(&q);
    }
    url
}

/// Whether the callback was about a message of ours.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackAnswer {
    pub known: bool,
}

/// An SMS provider's status callback: `twilio` (a form signed in `X-Twilio-Signature`
/// over this address and the parameters), `msg91` (its delivery-report form, with the
/// configured token in the query) or `http` (JSON signed in `X-DocSpot-Signature`). Moves
/// the message to sent, delivered or failed.
#[utoipa::path(post, path = "/api/v1/webhooks/sms/{provider}", operation_id = "sms_status_callback", tag = "messages",
    params(("provider" = String, Path), ("token" = Option<String>, Query, description = "MSG91's webhook token")),
    request_body(content = String, description = "The provider's status callback, as it sends it", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = CallbackAnswer), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "The signature does not hold"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such provider is configured")))]
pub async fn sms_status_callback(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<CallbackAnswer>> {
    let url = address(&state, &status_path(&provider), query);
    let callback = Callback {
        url: &url,
        headers: &headers,
        body: &body,
        now: state.now(),
    };
    let known = deliveries::status_callback(&state, &provider, &callback).await?;
    Ok(Json(CallbackAnswer { known }))
}

/// A text a patient sent to the install's number, as the provider posts it (`twilio`: a
/// form signed in `X-Twilio-Signature`; `http`: JSON `{from, body}` signed in
/// `X-DocSpot-Signature`). STOP (STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) stops texts to
/// that number; START (UNSTOP, YES) starts them again; anything else is ignored.
#[utoipa::path(post, path = "/api/v1/webhooks/sms/{provider}/inbound", operation_id = "sms_inbound", tag = "messages",
    params(("provider" = String, Path)),
    request_body(content = String, description = "The provider's incoming-message request, as it sends it", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = InboundAnswer), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "The signature does not hold"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such provider is configured")))]
pub async fn sms_inbound(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<InboundAnswer>> {
    let url = address(&state, &format!("{}/inbound", status_path(&provider)), None);
    let callback = Callback {
        url: &url,
        headers: &headers,
        body: &body,
        now: state.now(),
    };
    let changed = crate::app::preferences::inbound(&state, &provider, &callback).await?;
    Ok(Json(InboundAnswer { changed }))
}

/// Whether a reply changed whether the number gets texts.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundAnswer {
    pub changed: bool,
}

/// Meta's check of the WhatsApp webhook's address: `hub.challenge` back when `hub.mode` is
/// `subscribe` and `hub.verify_token` is the configured one.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HubCheck {
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

/// Meta's subscription check of the WhatsApp webhook: answers `hub.challenge` (plain text)
/// when the verify token is ours, 403 otherwise.
#[utoipa::path(get, path = "/api/v1/webhooks/whatsapp", operation_id = "whatsapp_webhook_check", tag = "messages",
    params(HubCheck),
    responses((status = 200, body = String, content_type = "text/plain"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "Not our verify token"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "WhatsApp is not configured")))]
pub async fn whatsapp_webhook_check(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<HubCheck>,
) -> AppResult<String> {
    let whatsapp = state.whatsapp().ok_or(AppError::NotFound)?;
    match (q.mode.as_deref(), q.verify_token, q.challenge) {
        (Some("subscribe"), Some(token), Some(challenge))
            if whatsapp.verify_token_is(&token) && challenge.len() <= 200 =>
        {
            Ok(challenge)
        }
        _ => Err(AppError::Forbidden(
            "Not a subscription check with our verify token.".into(),
        )),
    }
}

/// What a WhatsApp webhook changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhatsappAnswer {
    /// Whether a status report was about a message of ours.
    pub known: bool,
    /// Whether a reply (STOP, START) changed whether the number gets WhatsApp messages.
    pub changed: bool,
}

/// The WhatsApp Business webhook, signed in `X-Hub-Signature-256` with the app secret:
/// statuses move messages to sent, delivered (or read) or failed; a STOP reply stops
/// WhatsApp messages to that number, START starts them again.
#[utoipa::path(post, path = "/api/v1/webhooks/whatsapp", operation_id = "whatsapp_webhook", tag = "messages",
    request_body(content = String, description = "Meta's webhook body, as it sends it", content_type = "application/json"),
    responses((status = 200, body = WhatsappAnswer), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "The signature does not hold"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "WhatsApp is not configured")))]
pub async fn whatsapp_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<WhatsappAnswer>> {
    let (known, changed) = deliveries::whatsapp_webhook(&state, &headers, &body).await?;
    Ok(Json(WhatsappAnswer { known, changed }))
}
