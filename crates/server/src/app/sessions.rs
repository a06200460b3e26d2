//! Sessions: log in, refresh, log out, list and revoke, switch the working clinic.

use super::limit;
use crate::{
    auth::{CurrentUser, cookies, extract::RequestCtx, identity::Identity, password},
    error::{AppError, AppResult},
    state::AppState,
};
use axum::http::HeaderValue;
use domain::{ClinicId, Email, SessionId};
use store::{audit, new_token, sessions, token_hash, users};

/// A freshly issued token pair.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub session_id: SessionId,
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: jiff::Timestamp,
}

/// A new token pair and the hashes that are stored in its place.
struct NewPair {
    access: String,
    refresh: String,
    access_hash: String,
    refresh_hash: String,
    access_expires_at: jiff::Timestamp,
}

impl NewPair {
    fn issue(state: &AppState) -> Self {
        let (access, refresh) = (new_token(), new_token());
        let now = state.now();
        NewPair {
            access_hash: token_hash(&access),
            refresh_hash: token_hash(&refresh),
            access,
            refresh,
            access_expires_at: now.checked_add(state.settings().access_ttl).unwrap_or(now),
        }
    }

    fn stored(&self) -> sessions::TokenPair<'_> {
        sessions::TokenPair {
            access_hash: &self.access_hash,
            access_expires_at: self.access_expires_at,
            refresh_hash: &self.refresh_hash,
        }
    }

    fn into_tokens(self, session_id: SessionId) -> Tokens {
        Tokens {
            session_id,
            access_token: self.access,
            refresh_token: self.refresh,
            access_expires_at: self.access_expires_at,
        }
    }
}

/// Session cookies carrying `tokens`.
pub fn session_cookies(state: &AppState, t: &Tokens) -> [HeaderValue; 2] {
    let s = state.settings();
    [
        cookies::set(
            cookies::ACCESS,
            &t.access_token,
            s.access_ttl.as_secs(),
            s.tls,
        ),
        cookies::set(
            cookies::REFRESH,
            &t.refresh_token,
            s.session_ttl.as_secs(),
            s.tls,
        ),
    ]
}

/// The live identity behind an access token.
pub async fn identify_access(state: &AppState, token: &str) -> AppResult<Option<Identity>> {
    Ok(identify_access_at(state, token, None)
        .await?
        .map(|(ident, _)| ident))
}

/// [`identify_access`], and with `clinic` that clinic and the caller's roles there, read
/// in the same query.
pub async fn identify_access_at(
    state: &AppState,
    token: &str,
    clinic: Option<ClinicId>,
) -> AppResult<Option<(Identity, Option<sessions::ClinicAt>)>> {
    if token.len() > 128 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let found = sessions::identify_at(state.store().conn(), &hash, state.now(), clinic).await?;
    Ok(found.map(|(session, user, at)| (Identity { user, session }, at)))
}

/// Checks credentials: the account they prove. A session opens through
/// [`super::totp::sign_in`], which asks for the second factor first where it is on.
pub async fn check_password(
    state: &AppState,
    ctx: &RequestCtx,
    email: &str,
    password_raw: &str,
) -> AppResult<users::User> {
    let account = email.trim().to_lowercase();
    limit(state, "login", &ctx.ip, Some(&account))?;
    let invalid = || AppError::field("email", "E-mail or password is incorrect.");
    let Ok(email) = Email::parse(email) else {
        return Err(invalid());
    };
    let user = users::find_by_email(state.store().conn(), &email).await?;
    let hash = user
        .as_ref()
        .filter(|u| u.is_active)
        .and_then(|u| u.password_hash.as_deref());
    if !password::verify(password_raw, hash).await {
        tracing::info!(request_id = %ctx.request_id, "failed login");
        return Err(invalid());
    }
    user.ok_or_else(invalid)
}

/// Opens a session for `user`, who has just proved who they are (audited as `action`).
pub(crate) async fn start_session(
    state: &AppState,
    ctx: &RequestCtx,
    user: &users::User,
    action: &str,
) -> AppResult<Tokens> {
    let now = state.now();
    let pair = NewPair::issue(state);
    let expires = now.checked_add(state.settings().session_ttl).unwrap_or(now);
    let tx = state.store().write().await?;
    let sid = sessions::create(
        &tx,
        user.id,
        &pair.stored(),
        expires,
        &ctx.user_agent,
        &ctx.ip,
        now,
    )
    .await?;
    audit::append(
        &tx,
        &ctx.actor(Some(user.id)),
        audit::Event::new(action, "session", sid),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(pair.into_tokens(sid))
}

/// Rotates a refresh token. A reused token revokes its whole session and fails.
pub async fn refresh(
    state: &AppState,
    ctx: &RequestCtx,
    refresh_token: &str,
) -> AppResult<(Identity, Tokens)> {
    if refresh_token.is_empty() || refresh_token.len() > 128 {
        return Err(AppError::Unauthorized);
    }
    let now = state.now();
    let pair = NewPair::issue(state);
    let tx = state.store().write().await?;
    match sessions::rotate(&tx, &token_hash(refresh_token), &pair.stored(), now).await? {
        sessions::Rotation::Rotated(session) => {
            let user = users::find(&tx, session.user_id)
                .await?
                .filter(|u| u.is_active)
                .ok_or(AppError::Unauthorized)?;
            let event = audit::Event::new("session.refresh", "session", session.id);
            audit::append(&tx, &ctx.actor(Some(user.id)), event, now).await?;
            store::commit(tx).await?;
            let tokens = pair.into_tokens(session.id);
            Ok((Identity { user, session }, tokens))
        }
        sessions::Rotation::Reused(sid) => {
            let event = audit::Event::new("session.revoke_reused_refresh", "session", sid);
            audit::append(&tx, &ctx.actor(None), event, now).await?;
            store::commit(tx).await?;
            tracing::warn!(request_id = %ctx.request_id, session = %sid, "refresh token reuse: session revoked");
            Err(AppError::Unauthorized)
        }
        sessions::Rotation::Invalid => Err(AppError::Unauthorized),
    }
}

/// `refresh` for the identity middleware: an unusable cookie means "not signed in".
pub async fn refresh_for_browser(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
) -> AppResult<Option<(Identity, Tokens)>> {
    match refresh(state, ctx, token).await {
        Ok(r) => Ok(Some(r)),
        Err(AppError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn revoke_with_audit(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    id: SessionId,
    action: &str,
) -> AppResult<bool> {
    let now = state.now();
    let tx = state.store().write().await?;
    let done = sessions::revoke_own(&tx, me.id(), id, now).await?;
    if done {
        audit::append(
            &tx,
            &ctx.actor(Some(me.id())),
            audit::Event::new(action, "session", id),
            now,
        )
        .await?;
    }
    store::commit(tx).await?;
    Ok(done)
}

/// Ends the caller's session at once.
pub async fn logout(state: &AppState, ctx: &RequestCtx, me: &CurrentUser) -> AppResult<()> {
    revoke_with_audit(state, ctx, me, me.session().id, "session.logout").await?;
    Ok(())
}

/// The caller's live sessions.
pub async fn list_sessions(
    state: &AppState,
    me: &CurrentUser,
) -> AppResult<Vec<sessions::Session>> {
    Ok(sessions::list_live(state.store().conn(), me.id(), state.now()).await?)
}

/// Ends one of the caller's sessions; another user's session reads as missing.
pub async fn revoke_session(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    id: SessionId,
) -> AppResult<()> {
    if revoke_with_audit(state, ctx, me, id, "session.revoke").await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Makes `clinic` the session's working clinic, if the caller is staff there.
pub async fn switch_clinic(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    clinic: domain::ClinicId,
) -> AppResult<()> {
    let now = state.now();
    let tx = state.store().write().await?;
    if !store::memberships::has_role(&tx, clinic, me.id(), &domain::Role::ALL).await? {
        return Err(AppError::NotFound);
    }
    sessions::set_active_clinic(&tx, me.session().id, clinic).await?;
    let event =
        audit::Event::new("session.switch_clinic", "session", me.session().id).in_clinic(clinic);
    audit::append(&tx, &ctx.actor(Some(me.id())), event, now).await?;
    store::commit(tx).await?;
    Ok(())
}
