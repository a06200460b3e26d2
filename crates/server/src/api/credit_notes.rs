//! Corrections of an issued bill: credit notes, and refunds with theirs (admins).

use super::bills::BillView;
use super::consultations::Pair;
use super::extract::{ApiJson, ApiPath};
use crate::app::scope::Caller;
use crate::{
    auth::RequestCtx,
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use domain::BillId;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A correction's amount and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    pub amount_minor: i64,
    #[schema(max_length = 200)]
    pub reason: String,
}

/// Issue a credit note lowering what an issued bill owes (admins; audited). A bill paid in
/// full is corrected by `refund_payment` instead.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/bills/{bill_id}/credit-notes", operation_id = "create_credit_note", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("bill_id" = Uuid, Path)),
    request_body = CreditRequest,
    responses((status = 201, body = BillView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_credit_note(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<CreditRequest>,
) -> AppResult<(StatusCode, Json<BillView>)> {
    let d = crate::app::credit_notes::create_credit_note(
        &state,
        &ctx,
        &caller,
        BillId::from_uuid(id),
        b.amount_minor,
        &b.reason,
        None,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Refund all or part of a payment (admins; audited), with a credit note of the same amount.
/// An online payment is refunded through its provider first; cash, card and UPI are handed
/// back at the desk.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/bills/{bill_id}/payments/{payment_id}/refund", operation_id = "refund_payment", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("bill_id" = Uuid, Path), ("payment_id" = Uuid, Path)),
    request_body = CreditRequest,
    responses((status = 201, body = BillView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn refund_payment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id, payment)): ApiPath<(Uuid, Uuid, Uuid)>,
    ApiJson(b): ApiJson<CreditRequest>,
) -> AppResult<(StatusCode, Json<BillView>)> {
    let d = crate::app::credit_notes::create_credit_note(
        &state,
        &ctx,
        &caller,
        BillId::from_uuid(id),
        b.amount_minor,
        &b.reason,
        Some(domain::PaymentId::from_uuid(payment)),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}
