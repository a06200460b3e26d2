//! Web push: the install's VAPID public key, and the caller's device subscriptions.

use super::extract::{ApiJson, ApiPath};
use crate::{
    app::push::{self, NewSubscription},
    auth::{CurrentUser, RequestCtx},
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The key browsers subscribe with (`applicationServerKey`).
#[derive(Debug, Serialize, ToSchema)]
pub struct VapidKeyView {
    /// The P-256 public key, uncompressed, base64url.
    pub public_key: String,
}

/// The install's VAPID public key, for `PushManager.subscribe`.
#[utoipa::path(get, path = "/api/v1/push/vapid-public-key", operation_id = "get_vapid_public_key", tag = "me",
    responses((status = 200, body = VapidKeyView)))]
pub async fn get_vapid_public_key(State(state): State<AppState>) -> AppResult<Json<VapidKeyView>> {
    let vapid = state.vapid().await.map_err(crate::error::AppError::from)?;
    Ok(Json(VapidKeyView {
        public_key: vapid.public_key().to_owned(),
    }))
}

/// A device's keys, as `PushSubscription.toJSON()` gives them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// The device's P-256 key, base64url.
    #[schema(max_length = 100)]
    pub p256dh: String,
    /// Its 16-byte auth secret, base64url.
    #[schema(max_length = 32)]
    pub auth: String,
}

/// A browser's push subscription (`PushSubscription.toJSON()`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushSubscriptionRequest {
    /// The push service's endpoint for this device.
    #[schema(max_length = 1000)]
    pub endpoint: String,
    pub keys: PushKeys,
    /// Sent by browsers (milliseconds since the epoch, or null); not used.
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<f64>,
}

/// The subscription kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushSubscriptionView {
    pub id: Uuid,
}

/// Subscribe one of the caller's devices to web push (the same events as texts); a device
/// subscribing again replaces its earlier subscription.
#[utoipa::path(post, path = "/api/v1/me/push-subscriptions", operation_id = "register_push_subscription", tag = "me",
    request_body = PushSubscriptionRequest,
    responses((status = 201, body = PushSubscriptionView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn register_push_subscription(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
    ApiJson(body): ApiJson<PushSubscriptionRequest>,
) -> AppResult<(StatusCode, Json<PushSubscriptionView>)> {
    let new = NewSubscription {
        endpoint: body.endpoint,
        p256dh: body.keys.p256dh,
        auth: body.keys.auth,
    };
    let id = push::subscribe(&state, &ctx, &me, &new).await?;
    Ok((StatusCode::CREATED, Json(PushSubscriptionView { id })))
}

/// Unsubscribe one of the caller's devices.
#[utoipa::path(delete, path = "/api/v1/me/push-subscriptions/{subscription_id}", operation_id = "delete_push_subscription", tag = "me",
    params(("subscription_id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_push_subscription(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    push::unsubscribe(&state, &ctx, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
