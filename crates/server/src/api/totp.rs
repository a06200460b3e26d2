//! Two-factor sign-in: the caller's authenticator (enrol, confirm, turn off) and the roles
//! a clinic requires it of.

use super::extract::ApiJson;
use crate::{
    app::totp,
    auth::{CurrentUser, RequestCtx, extract::ClinicAdmin},
    error::{AppError, AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use domain::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether the caller signs in with a second factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpStatusView {
    pub enabled: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

/// A new authenticator secret, shown this once: scan `otpauth_uri` or type `secret`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrolmentView {
    /// Base32.
    pub secret: String,
    pub otpauth_uri: String,
}

/// A code from the authenticator app (or, to turn it off, a recovery code).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCodeRequest {
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
}

/// The recovery codes, shown this once: each signs in once without the app.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    pub recovery_codes: Vec<String>,
}

/// Whether the caller has two-factor sign-in on.
#[utoipa::path(get, path = "/api/v1/me/totp", operation_id = "get_totp_status", tag = "me",
    responses((status = 200, body = TotpStatusView), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_totp_status(
    State(state): State<AppState>,
    me: CurrentUser,
) -> AppResult<Json<TotpStatusView>> {
    let s = totp::status(&state, &me).await?;
    Ok(Json(TotpStatusView {
        enabled: s.on,
        recovery_codes_left: s.recovery_codes_left,
    }))
}

/// Start setting up an authenticator app (staff accounts; audited). The secret works only
/// once `confirm_totp` proves it was saved; asking again replaces an unconfirmed one.
#[utoipa::path(post, path = "/api/v1/me/totp", operation_id = "enroll_totp", tag = "me",
    responses((status = 201, body = TotpEnrolmentView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "Patients sign in with texted codes instead"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Already on")),
    security(("bearer" = [])))]
pub async fn enroll_totp(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
) -> AppResult<(StatusCode, Json<TotpEnrolmentView>)> {
    let e = totp::enroll(&state, &ctx, &me).await?;
    Ok((
        StatusCode::CREATED,
        Json(TotpEnrolmentView {
            secret: e.secret,
            otpauth_uri: e.uri,
        }),
    ))
}

/// Turn two-factor sign-in on with a first code from the app (audited); answers ten
/// recovery codes, shown this once.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", operation_id = "confirm_totp", tag = "me",
    request_body = TotpCodeRequest,
    responses((status = 200, body = RecoveryCodesView), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
    ApiJson(body): ApiJson<TotpCodeRequest>,
) -> AppResult<Json<RecoveryCodesView>> {
    let codes = totp::confirm(&state, &ctx, &me, &body.code).await?;
    Ok(Json(RecoveryCodesView {
        recovery_codes: codes,
    }))
}

/// Turn two-factor sign-in off, with a code from the app or a recovery code (audited).
#[utoipa::path(post, path = "/api/v1/me/totp/disable", operation_id = "disable_totp", tag = "me",
    request_body = TotpCodeRequest,
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn disable_totp(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
    ApiJson(body): ApiJson<TotpCodeRequest>,
) -> AppResult<StatusCode> {
    totp::disable(&state, &ctx, &me, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The roles whose members must sign in with a second factor to act in the clinic.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClinicSecurityView {
    /// Any of `admin`, `doctor`, `receptionist`.
    #[schema(max_items = 3)]
    pub totp_required_for: Vec<String>,
}

fn view(roles: Vec<Role>) -> ClinicSecurityView {
    ClinicSecurityView {
        totp_required_for: roles.iter().map(|r| r.as_str().to_owned()).collect(),
    }
}

/// The roles the clinic requires two-factor sign-in of (its admins).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/security", operation_id = "get_clinic_security", tag = "clinics",
    params(("clinic_id" = uuid::Uuid, Path)),
    responses((status = 200, body = ClinicSecurityView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_clinic_security(scope: ClinicAdmin) -> AppResult<Json<ClinicSecurityView>> {
    Ok(Json(view(totp::clinic_roles(&scope.into_caller())?)))
}

/// Require two-factor sign-in of these roles (its admins; audited). Members without it
/// cannot act in the clinic until they turn it on. An admin without it cannot require it
/// of their own role (409).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/security", operation_id = "set_clinic_security", tag = "clinics",
    params(("clinic_id" = uuid::Uuid, Path)), request_body = ClinicSecurityView,
    responses((status = 200, body = ClinicSecurityView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_clinic_security(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiJson(body): ApiJson<ClinicSecurityView>,
) -> AppResult<Json<ClinicSecurityView>> {
    let caller = scope.into_caller();
    let mut roles: Vec<Role> = Vec::new();
    for raw in body.totp_required_for.iter().take(10) {
        roles.push(raw.parse().map_err(|_| {
            AppError::field(
                "totp_required_for",
                "Each must be admin, doctor or receptionist.",
            )
        })?);
    }
    let roles = totp::set_clinic_roles(&state, &ctx, &caller, &roles).await?;
    Ok(Json(view(roles)))
}
