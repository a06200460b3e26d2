//! The signed-in user: profile, sessions, password.

use super::{
    extract::{ApiJson, ApiPath},
    views::{MeView, SessionView},
};
use crate::{
    app::{accounts, sessions},
    auth::{CurrentUser, RequestCtx},
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::ToSchema;

/// The caller's profile and clinic roles.
#[utoipa::path(get, path = "/api/v1/me", operation_id = "get_me", tag = "me",
    responses((status = 200, body = MeView), (status = 401, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn get_me(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
) -> AppResult<Json<MeView>> {
    let roles = accounts::me(&state, &ctx, &me).await?;
    Ok(Json(MeView::of(me.user(), roles)))
}

/// The caller's live sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions", operation_id = "list_sessions", tag = "me",
    responses((status = 200, body = Vec<SessionView>), (status = 401, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn list_sessions(
    State(state): State<AppState>,
    me: CurrentUser,
) -> AppResult<Json<Vec<SessionView>>> {
    let current = me.session().id;
    let list = sessions::list_sessions(&state, &me).await?;
    Ok(Json(
        list.into_iter()
            .map(|s| SessionView::new(s, current))
            .collect(),
    ))
}

/// End one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{session_id}", operation_id = "revoke_session", tag = "me",
    params(("session_id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn revoke_session(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
    ApiPath(session_id): ApiPath<uuid::Uuid>,
) -> AppResult<StatusCode> {
    sessions::revoke_session(&state, &ctx, &me, domain::SessionId::from_uuid(session_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// At most 512 bytes (UTF-8).
    #[schema(max_length = 512)]
    pub current_password: String,
    /// 12–128 characters; common passwords are refused.
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

/// Change the caller's password; every other session ends.
#[utoipa::path(post, path = "/api/v1/me/password", operation_id = "change_password", tag = "me",
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> AppResult<StatusCode> {
    accounts::change_password(
        &state,
        &ctx,
        &me,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// E-mail the caller a new link that confirms their address (at most one a minute).
#[utoipa::path(post, path = "/api/v1/me/email-confirmation", operation_id = "send_email_confirmation", tag = "me",
    responses((status = 202), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn send_email_confirmation(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
) -> AppResult<StatusCode> {
    accounts::request_confirmation(&state, &ctx, &me).await?;
    Ok(StatusCode::ACCEPTED)
}
