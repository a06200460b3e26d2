//! Accounts and sessions: register, login, refresh, logout, password reset, invites.

use super::{
    extract::ApiJson,
    views::{MeView, TokenResponse},
};
use crate::{
    app::{accounts, sessions, staff, totp},
    auth::{CurrentUser, RequestCtx, cookies},
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Self-registration of a patient.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// 12–128 characters; common passwords are refused.
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
    /// A mobile number for text messages: E.164 (`+919812345678`), or as dialled in the
    /// install's default country. Optional.
    #[serde(default)]
    #[schema(max_length = 32)]
    pub phone: String,
}

/// Credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    /// The account's password; more than 512 bytes (UTF-8) is refused unchecked.
    #[schema(max_length = 512)]
    pub password: String,
}

/// A refresh token to rotate.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(min_length = 1, max_length = 128)]
    pub refresh_token: String,
}

/// Ask for a reset link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
}

/// Use a reset link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
}

/// Use an e-mail confirmation link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmEmailRequest {
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
}

/// Accept a staff invitation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInviteRequest {
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
    /// Needed only when the invited address has no account yet.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub name: String,
    /// A new password (12–128 characters), or the existing account's password (at most
    /// 512 bytes).
    #[schema(max_length = 512)]
    pub password: String,
}

fn token_body(state: &AppState, t: &sessions::Tokens) -> TokenResponse {
    TokenResponse {
        access_token: t.access_token.clone(),
        refresh_token: t.refresh_token.clone(),
        token_type: "Bearer".into(),
        expires_in: state.settings().access_ttl.as_secs(),
        session_id: t.session_id.as_uuid(),
    }
}

/// Register a patient account.
#[utoipa::path(post, path = "/api/v1/auth/register", operation_id = "register_patient", tag = "auth",
    request_body = RegisterRequest,
    responses((status = 201, body = MeView), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn register_patient(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> AppResult<Response> {
    let signup = accounts::register_patient(
        &state,
        &ctx,
        accounts::Registration {
            email: &body.email,
            name: &body.name,
            password: &body.password,
            phone: &body.phone,
            region: crate::app::phones::region(&state, None),
        },
    )
    .await?;
    let view = match signup {
        accounts::Signup::Created(user) => MeView::of(&user, vec![]),
        // Answered as a new account would be; the owner was e-mailed instead.
        accounts::Signup::AlreadyRegistered { email, name } => MeView {
            id: uuid::Uuid::now_v7(),
            email,
            name,
            is_platform_admin: false,
            is_patient: true,
            email_confirmed: false,
            phone: None,
            memberships: Vec::new(),
        },
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// A password sign-in that waits for the second factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChallenge {
    /// Answer it with `verify_totp` and a code from the authenticator app (or a recovery
    /// code).
    pub mfa_token: String,
    /// Seconds it stays open.
    pub expires_in: i64,
}

/// Log in: returns tokens and sets the browser's session cookies. An account with
/// two-factor sign-in on gets 202 and an `mfa_token` instead, for `verify_totp`.
#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "login", tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 202, body = MfaChallenge, description = "The password holds; a second-factor code is needed"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn login(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<LoginRequest>,
) -> AppResult<Response> {
    let user = sessions::check_password(&state, &ctx, &body.email, &body.password).await?;
    Ok(
        match totp::sign_in(&state, &ctx, &user, "session.login").await? {
            totp::SignIn::Session(tokens) => signed_in(&state, &tokens),
            totp::SignIn::Challenge { token, expires_in } => (
                StatusCode::ACCEPTED,
                Json(MfaChallenge {
                    mfa_token: token,
                    expires_in,
                }),
            )
                .into_response(),
        },
    )
}

/// The second step of a sign-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyTotpRequest {
    #[schema(min_length = 1, max_length = 128)]
    pub mfa_token: String,
    /// Six digits from the authenticator app, or a recovery code (`k3vq7-m2xpa`).
    #[schema(min_length = 1, max_length = 32)]
    pub code: String,
}

/// Finish a sign-in with a second-factor code: returns tokens and sets the session
/// cookies. Five wrong codes end the challenge; rate-limited per IP.
#[utoipa::path(post, path = "/api/v1/auth/totp", operation_id = "verify_totp", tag = "auth",
    request_body = VerifyTotpRequest,
    responses((status = 200, body = TokenResponse), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn verify_totp(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<VerifyTotpRequest>,
) -> AppResult<Response> {
    let (_, tokens) = totp::answer(&state, &ctx, &body.mfa_token, &body.code).await?;
    Ok(signed_in(&state, &tokens))
}

/// A new session's tokens, in the body and as the browser's cookies.
fn signed_in(state: &AppState, tokens: &sessions::Tokens) -> Response {
    let mut res = Json(token_body(state, tokens)).into_response();
    for c in sessions::session_cookies(state, tokens) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// Where to send a sign-in code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpRequest {
    /// The account's mobile number (E.164, or as dialled in the install's default
    /// country) or e-mail address.
    #[schema(min_length = 1, max_length = 254)]
    pub destination: String,
}

/// A sign-in code, with where it was sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpVerifyRequest {
    #[schema(min_length = 1, max_length = 254)]
    pub destination: String,
    /// The six digits.
    #[schema(min_length = 6, max_length = 6)]
    pub code: String,
}

/// What asking for a code answers, whether or not an account matched.
#[derive(Serialize, ToSchema)]
pub struct OtpRequested {
    pub message: String,
}

/// Ask for a one-time sign-in code (patients): texted to the account's mobile number, or
/// e-mailed. It works for 5 minutes, once, and for 5 tries. The answer is the same whether
/// or not an account matched.
#[utoipa::path(post, path = "/api/v1/auth/otp", operation_id = "request_otp", tag = "auth",
    request_body = OtpRequest,
    responses((status = 202, body = OtpRequested), (status = 409, body = Problem, content_type = "application/problem+json", description = "Texts are not set up: ask by e-mail"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn request_otp(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<OtpRequest>,
) -> AppResult<(StatusCode, Json<OtpRequested>)> {
    crate::app::otp::request_code(&state, &ctx, &body.destination).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(OtpRequested {
            message: "If an account uses it, a code is on its way.".into(),
        }),
    ))
}

/// Sign in with a one-time code: the same tokens (and cookies) as a password sign-in.
#[utoipa::path(post, path = "/api/v1/auth/otp/verify", operation_id = "verify_otp", tag = "auth",
    request_body = OtpVerifyRequest,
    responses((status = 200, body = TokenResponse), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn verify_otp(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<OtpVerifyRequest>,
) -> AppResult<Response> {
    let (_, tokens) = crate::app::otp::sign_in(&state, &ctx, &body.destination, &body.code).await?;
    Ok(signed_in(&state, &tokens))
}

/// Exchange a refresh token for a new pair. Reusing a spent refresh token ends the session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", operation_id = "refresh_token", tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn refresh_token(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> AppResult<Json<TokenResponse>> {
    let (_, tokens) = sessions::refresh(&state, &ctx, &body.refresh_token).await?;
    Ok(Json(token_body(&state, &tokens)))
}

/// End the current session at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", operation_id = "logout", tag = "auth",
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
) -> AppResult<Response> {
    sessions::logout(&state, &ctx, &me).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    for c in cookies::clear(state.settings().tls) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res.headers_mut()
        .insert("clear-site-data", cookies::clear_site_data());
    Ok(res)
}

/// E-mail a password-reset link. The answer is the same whether or not the address is registered.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", operation_id = "request_password_reset", tag = "auth",
    request_body = ResetRequest,
    responses((status = 202), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<ResetRequest>,
) -> AppResult<StatusCode> {
    accounts::request_password_reset(&state, &ctx, &body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with a reset link's token; ends every session of the account.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", operation_id = "reset_password", tag = "auth",
    request_body = ResetConfirm,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reset_password(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> AppResult<StatusCode> {
    accounts::reset_password(&state, &ctx, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirm an account's e-mail address with the token of the link sent to it (single use,
/// expiring). A confirmed address lets the first booking at a clinic use the record that
/// clinic already has for the patient.
#[utoipa::path(post, path = "/api/v1/auth/email-confirmation", operation_id = "confirm_email", tag = "auth",
    request_body = ConfirmEmailRequest,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn confirm_email(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<ConfirmEmailRequest>,
) -> AppResult<StatusCode> {
    accounts::confirm_email(&state, &ctx, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept a staff invitation (single use, expiring).
#[utoipa::path(post, path = "/api/v1/invites/accept", operation_id = "accept_invite", tag = "staff",
    request_body = AcceptInviteRequest,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn accept_invite(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(body): ApiJson<AcceptInviteRequest>,
) -> AppResult<StatusCode> {
    staff::accept_invite(&state, &ctx, &body.token, &body.name, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
