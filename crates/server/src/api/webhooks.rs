//! Outgoing webhooks: a clinic's endpoints and their deliveries (its admins).

use super::consultations::Pair;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::webhooks,
    auth::{RequestCtx, extract::ClinicAdmin},
    error::{AppError, AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use store::webhooks::{Delivery, Endpoint, Status};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookEndpointRequest {
    /// `https://` (or `http://` where the install allows it), at most 500 characters.
    #[schema(max_length = 500)]
    pub url: String,
    /// Event kinds (`appointment.booked`, `appointment.cancelled`, `bill.issued`, …), or
    /// `*` for all.
    #[schema(min_items = 1, max_items = 20)]
    pub events: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: String,
}

/// A registered endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub created_at: String,
    /// Only when it is created: what deliveries are signed with (`X-DocSpot-Signature`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookEndpointView {
    fn of(e: Endpoint, with_secret: bool) -> Self {
        WebhookEndpointView {
            id: e.id,
            secret: with_secret.then_some(e.secret),
            url: e.url,
            events: e.events,
            description: e.description,
            created_at: e.created_at.to_string(),
        }
    }
}

/// One delivery of one event to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveryView {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    /// The endpoint's last HTTP status.
    pub response_status: Option<i32>,
    pub error: Option<String>,
    /// The JSON posted.
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Delivery> for WebhookDeliveryView {
    fn from(d: Delivery) -> Self {
        WebhookDeliveryView {
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_id: d.event_id.as_uuid(),
            event_type: d.event_kind,
            status: d.status.as_str().into(),
            attempts: d.attempts,
            response_status: d.response_status,
            error: d.error,
            body: d.body,
            created_at: d.created_at.to_string(),
            updated_at: d.updated_at.to_string(),
        }
    }
}

/// Register an endpoint for some event kinds (the clinic's admins; audited). The answer
/// carries its signing secret, this once.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/webhooks", operation_id = "create_webhook_endpoint", tag = "webhooks",
    params(("clinic_id" = Uuid, Path)), request_body = CreateWebhookEndpointRequest,
    responses((status = 201, body = WebhookEndpointView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_webhook_endpoint(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiJson(body): ApiJson<CreateWebhookEndpointRequest>,
) -> AppResult<(StatusCode, Json<WebhookEndpointView>)> {
    let caller = scope.into_caller();
    let input = webhooks::NewEndpoint {
        url: body.url,
        events: body.events.into_iter().take(20).collect(),
        description: body.description,
    };
    let e = webhooks::create(&state, &ctx, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(WebhookEndpointView::of(e, true))))
}

/// The clinic's endpoints (its admins).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/webhooks", operation_id = "list_webhook_endpoints", tag = "webhooks",
    params(("clinic_id" = Uuid, Path)),
    responses((status = 200, body = Vec<WebhookEndpointView>), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_webhook_endpoints(
    State(state): State<AppState>,
    scope: ClinicAdmin,
) -> AppResult<Json<Vec<WebhookEndpointView>>> {
    let caller = scope.into_caller();
    let list = webhooks::list(&state, &caller).await?;
    Ok(Json(
        list.into_iter()
            .map(|e| WebhookEndpointView::of(e, false))
            .collect(),
    ))
}

/// Remove an endpoint (the clinic's admins; audited); nothing more is sent to it.
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic_id}/webhooks/{endpoint_id}", operation_id = "delete_webhook_endpoint", tag = "webhooks",
    params(("clinic_id" = Uuid, Path), ("endpoint_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_webhook_endpoint(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiPath((_, id)): Pair,
) -> AppResult<StatusCode> {
    let caller = scope.into_caller();
    webhooks::delete(&state, &ctx, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `failed`.
    pub status: Option<String>,
    /// At most 200; default 50.
    pub limit: Option<u32>,
}

/// An endpoint's deliveries, newest first (the clinic's admins).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/webhooks/{endpoint_id}/deliveries", operation_id = "list_webhook_deliveries", tag = "webhooks",
    params(("clinic_id" = Uuid, Path), ("endpoint_id" = Uuid, Path), DeliveryQuery),
    responses((status = 200, body = Vec<WebhookDeliveryView>), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_webhook_deliveries(
    State(state): State<AppState>,
    scope: ClinicAdmin,
    ApiPath((_, endpoint)): Pair,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> AppResult<Json<Vec<WebhookDeliveryView>>> {
    let caller = scope.into_caller();
    let status = match q.status.as_deref() {
        None => None,
        Some(raw) => Some(
            Status::parse(raw)
                .ok_or_else(|| AppError::field("status", "must be pending, delivered or failed"))?,
        ),
    };
    let (_, list) =
        webhooks::deliveries(&state, &caller, endpoint, status, q.limit.unwrap_or(50)).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Send a delivery again, as it was, newly signed (the clinic's admins; audited).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/webhook-deliveries/{delivery_id}/replay", operation_id = "replay_webhook_delivery", tag = "webhooks",
    params(("clinic_id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 202, body = WebhookDeliveryView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn replay_webhook_delivery(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiPath((_, id)): Pair,
) -> AppResult<(StatusCode, Json<WebhookDeliveryView>)> {
    let caller = scope.into_caller();
    let d = webhooks::replay(&state, &ctx, &caller, id).await?;
    Ok((StatusCode::ACCEPTED, Json(d.into())))
}
