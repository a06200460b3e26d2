//! The clinic's billing settings: read by the billing desk, set by its admin.

use super::extract::ApiJson;
use crate::app::scope::Caller;
use crate::{
    app::billing_settings::{self, SettingsInput},
    auth::RequestCtx,
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State};

/// The clinic's billing settings (the billing desk and admins).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/billing-settings", operation_id = "get_billing_settings", tag = "billing",
    params(("clinic_id" = Uuid, Path)),
    responses((status = 200, body = SettingsInput), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_billing_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<SettingsInput>> {
    let s = billing_settings::billing_settings(&state, &caller).await?;
    Ok(Json(SettingsInput::of(&s, &caller.clinic().currency)))
}

/// Set the clinic's billing settings (its admin; audited).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/billing-settings", operation_id = "set_billing_settings", tag = "billing",
    params(("clinic_id" = Uuid, Path)),
    request_body = SettingsInput,
    responses((status = 200, body = SettingsInput), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_billing_settings(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiJson(b): ApiJson<SettingsInput>,
) -> AppResult<Json<SettingsInput>> {
    let s = billing_settings::set_billing_settings(&state, &ctx, &caller, &b).await?;
    Ok(Json(SettingsInput::of(&s, &caller.clinic().currency)))
}
