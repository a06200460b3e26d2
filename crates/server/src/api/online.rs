//! Paying a bill online, and the providers' webhooks.

use super::consultations::Pair;
use super::extract::{ApiJson, ApiPath};
use crate::app::scope::Caller;
use crate::{
    app::online_payments::{self, Handled},
    auth::RequestCtx,
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use domain::BillId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Which provider to pay through.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlinePaymentRequest {
    /// `stripe` or `razorpay`.
    pub provider: String,
}

/// A started checkout: send the patient to `redirect_url`. The bill is paid when the
/// provider's webhook confirms it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnlinePaymentView {
    pub id: Uuid,
    pub provider: String,
    /// The provider's id of the checkout.
    pub provider_ref: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `started`, `paid`, `expired` or `excess`.
    pub status: String,
    pub redirect_url: String,
}

/// Start paying what is due on a bill online (its patient, or the billing desk). Started
/// again for the same bill state, it answers 200 with the same checkout.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/bills/{bill_id}/online-payments", operation_id = "start_online_payment", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("bill_id" = Uuid, Path)),
    request_body = OnlinePaymentRequest,
    responses((status = 201, body = OnlinePaymentView), (status = 200, body = OnlinePaymentView, description = "The same checkout, started before"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn start_online_payment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<OnlinePaymentRequest>,
) -> AppResult<(StatusCode, Json<OnlinePaymentView>)> {
    let s = online_payments::start_online_payment(
        &state,
        &ctx,
        &caller,
        BillId::from_uuid(id),
        &b.provider,
    )
    .await?;
    let a = s.attempt;
    let view = OnlinePaymentView {
        id: a.id,
        provider: a.provider,
        provider_ref: a.provider_ref,
        amount_minor: a.amount,
        currency: a.currency,
        status: a.status,
        redirect_url: a.redirect_url,
    };
    let code = if s.again {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((code, Json(view)))
}

/// What a webhook did with an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAnswer {
    /// False when the event was handled before or changes nothing.
    pub applied: bool,
}

/// Stripe's webhook: events signed in `Stripe-Signature` (5 minutes' tolerance) over the raw
/// body. Each event id has one effect, however often it arrives.
#[utoipa::path(post, path = "/api/v1/webhooks/stripe", operation_id = "stripe_webhook", tag = "billing",
    request_body(content = String, description = "A Stripe event, as Stripe sends it", content_type = "application/json"),
    responses((status = 200, body = WebhookAnswer), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "Stripe is not configured")))]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<WebhookAnswer>> {
    let h = online_payments::webhook(&state, "stripe", &headers, &body).await?;
    Ok(Json(WebhookAnswer {
        applied: h == Handled::Applied,
    }))
}

/// Razorpay's webhook: events signed in `X-Razorpay-Signature` over the raw body, named in
/// `X-Razorpay-Event-Id`. Each event has one effect, however often it arrives.
#[utoipa::path(post, path = "/api/v1/webhooks/razorpay", operation_id = "razorpay_webhook", tag = "billing",
    request_body(content = String, description = "A Razorpay event, as Razorpay sends it", content_type = "application/json"),
    responses((status = 200, body = WebhookAnswer), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "Razorpay is not configured")))]
pub async fn razorpay_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<WebhookAnswer>> {
    let h = online_payments::webhook(&state, "razorpay", &headers, &body).await?;
    Ok(Json(WebhookAnswer {
        applied: h == Handled::Applied,
    }))
}
