//! Accounts and sessions: register, log in, refresh, log out, passwords and resets.

use super::{Fields, checked, mail};
use crate::{
    auth::{
        CurrentUser, cookies,
        extract::RequestCtx,
        identity::{ClientMeta, Identity},
        password,
    },
    error::{AppError, AppResult},
    state::AppState,
};
use axum::http::HeaderValue;
use domain::{Email, PersonName, SessionId, password::NewPassword};
use serde_json::json;
use store::{audit, new_token, sessions, token_hash, tokens, users};

/// A freshly issued token pair.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub session_id: SessionId,
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_at: jiff::Timestamp,
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

fn rate(state: &AppState, bucket: &str, ctx_ip: &str, account: Option<&str>) -> AppResult<()> {
    let s = state.settings();
    let now = state.now();
    let lim = state.limiter();
    lim.hit(
        &format!("{bucket}:ip:{ctx_ip}"),
        s.rate_per_ip,
        s.rate_window_secs,
        now,
    )
    .map_err(|secs| AppError::RateLimited {
        retry_after_secs: secs,
    })?;
    if let Some(a) = account {
        lim.hit(
            &format!("{bucket}:acct:{a}"),
            s.rate_per_account,
            s.rate_window_secs,
            now,
        )
        .map_err(|secs| AppError::RateLimited {
            retry_after_secs: secs,
        })?;
    }
    Ok(())
}

/// The live identity behind an access token.
pub async fn identify_access(state: &AppState, token: &str) -> AppResult<Option<Identity>> {
    if token.len() > 128 {
        return Ok(None);
    }
    let c = state.store().conn();
    let Some(session) = sessions::find_by_access(c, &token_hash(token), state.now()).await? else {
        return Ok(None);
    };
    let user = users::find(c, session.user_id).await?;
    Ok(user
        .filter(|u| u.is_active)
        .map(|user| Identity { user, session }))
}

fn new_pair(state: &AppState) -> (String, String, jiff::Timestamp) {
    let access_exp = state
        .now()
        .checked_add(state.settings().access_ttl)
        .unwrap_or(state.now());
    (new_token(), new_token(), access_exp)
}

/// Input of self-registration.
pub struct Registration<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
}

/// A patient creates their own account.
pub async fn register_patient(
    state: &AppState,
    ctx: &RequestCtx,
    input: Registration<'_>,
) -> AppResult<users::User> {
    rate(state, "register", &ctx.ip, None)?;
    let mut f = Fields::default();
    let email = f.take(Email::parse(input.email));
    let name = f.take(PersonName::parse(input.name));
    let pw = f.take(NewPassword::parse(input.password));
    f.finish()?;
    let (email, name, pw) = (checked(email)?, checked(name)?, checked(pw)?);
    let hash = password::hash(&pw).await?;
    let now = state.now();
    let tx = state.store().write().await?;
    let user = match users::insert(
        &tx,
        users::NewUser {
            email: &email,
            name: &name,
            password_hash: Some(hash),
            is_platform_admin: false,
            is_patient: true,
        },
        now,
    )
    .await
    {
        Ok(u) => u,
        Err(store::StoreError::Conflict(_)) => {
            return Err(AppError::field(
                "email",
                "An account with this e-mail already exists. Sign in or reset your password.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &tx,
        &ctx.actor(Some(user.id)),
        audit::Event {
            clinic: None,
            action: "user.register",
            target_type: "user",
            target_id: user.id.to_string(),
            detail: json!({"role": "patient"}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(user)
}

/// Checks credentials and opens a session.
pub async fn login(
    state: &AppState,
    ctx: &RequestCtx,
    email: &str,
    password_raw: &str,
) -> AppResult<(users::User, Tokens)> {
    let account = email.trim().to_lowercase();
    rate(state, "login", &ctx.ip, Some(&account))?;
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
    let user = user.ok_or_else(invalid)?;
    let now = state.now();
    let (access, refresh, access_exp) = new_pair(state);
    let tx = state.store().write().await?;
    let pair = sessions::TokenPair {
        access_hash: &token_hash(&access),
        access_expires_at: access_exp,
        refresh_hash: &token_hash(&refresh),
    };
    let expires = now.checked_add(state.settings().session_ttl).unwrap_or(now);
    let sid = sessions::create(&tx, user.id, &pair, expires, &ctx.user_agent, &ctx.ip, now).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(user.id)),
        audit::Event {
            clinic: None,
            action: "session.login",
            target_type: "session",
            target_id: sid.to_string(),
            detail: json!({}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok((
        user,
        Tokens {
            session_id: sid,
            access_token: access,
            refresh_token: refresh,
            access_expires_at: access_exp,
        },
    ))
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
    let (access, refresh, access_exp) = new_pair(state);
    let tx = state.store().write().await?;
    let pair = sessions::TokenPair {
        access_hash: &token_hash(&access),
        access_expires_at: access_exp,
        refresh_hash: &token_hash(&refresh),
    };
    match sessions::rotate(&tx, &token_hash(refresh_token), &pair, now).await? {
        sessions::Rotation::Rotated(session) => {
            let user = users::find(&tx, session.user_id)
                .await?
                .filter(|u| u.is_active)
                .ok_or(AppError::Unauthorized)?;
            audit::append(
                &tx,
                &ctx.actor(Some(user.id)),
                audit::Event {
                    clinic: None,
                    action: "session.refresh",
                    target_type: "session",
                    target_id: session.id.to_string(),
                    detail: json!({}),
                },
                now,
            )
            .await?;
            tx.commit().await.map_err(store::StoreError::from)?;
            let tokens = Tokens {
                session_id: session.id,
                access_token: access,
                refresh_token: refresh,
                access_expires_at: access_exp,
            };
            Ok((Identity { user, session }, tokens))
        }
        sessions::Rotation::Reused(sid) => {
            audit::append(
                &tx,
                &ctx.actor(None),
                audit::Event {
                    clinic: None,
                    action: "session.revoke_reused_refresh",
                    target_type: "session",
                    target_id: sid.to_string(),
                    detail: json!({}),
                },
                now,
            )
            .await?;
            tx.commit().await.map_err(store::StoreError::from)?;
            tracing::warn!(request_id = %ctx.request_id, session = %sid, "refresh token reuse: session revoked");
            Err(AppError::Unauthorized)
        }
        sessions::Rotation::Invalid => Err(AppError::Unauthorized),
    }
}

/// `refresh` for the identity middleware, which has no `RequestCtx` extractor.
pub async fn refresh_for_browser(
    state: &AppState,
    token: &str,
    meta: Option<&ClientMeta>,
) -> AppResult<Option<(Identity, Tokens)>> {
    let ctx = RequestCtx {
        request_id: crate::error::request_id(),
        ip: meta.map_or_else(|| "unknown".into(), |m| m.ip.clone()),
        user_agent: meta.map(|m| m.user_agent.clone()).unwrap_or_default(),
    };
    match refresh(state, &ctx, token).await {
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
            audit::Event {
                clinic: None,
                action,
                target_type: "session",
                target_id: id.to_string(),
                detail: json!({}),
            },
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(store::StoreError::from)?;
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

/// Changes the caller's password and ends all their other sessions.
pub async fn change_password(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    current: &str,
    new: &str,
) -> AppResult<()> {
    rate(state, "password", &ctx.ip, Some(&me.user().email))?;
    if !password::verify(current, me.user().password_hash.as_deref()).await {
        return Err(AppError::field(
            "current_password",
            "Your current password is not correct.",
        ));
    }
    let pw = NewPassword::parse(new)?;
    let hash = password::hash(&pw).await?;
    let now = state.now();
    let tx = state.store().write().await?;
    users::set_password(&tx, me.id(), &hash).await?;
    let ended =
        sessions::revoke_all_but(&tx, me.id(), Some(me.session().id), "password changed", now)
            .await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event {
            clinic: None,
            action: "user.password_change",
            target_type: "user",
            target_id: me.id().to_string(),
            detail: json!({"sessions_ended": ended}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// E-mails a reset link if the address has an account. Says the same thing either way.
pub async fn request_password_reset(
    state: &AppState,
    ctx: &RequestCtx,
    email: &str,
) -> AppResult<()> {
    let account = email.trim().to_lowercase();
    rate(state, "reset", &ctx.ip, Some(&account))?;
    let Ok(email) = Email::parse(email) else {
        return Err(AppError::field("email", "Enter a valid e-mail address."));
    };
    let Some(user) = users::find_by_email(state.store().conn(), &email)
        .await?
        .filter(|u| u.is_active)
    else {
        return Ok(());
    };
    let now = state.now();
    let token = new_token();
    let expires = now.checked_add(state.settings().reset_ttl).unwrap_or(now);
    let tx = state.store().write().await?;
    tokens::insert_reset(&tx, user.id, &token_hash(&token), now, expires).await?;
    let link = format!(
        "{}/reset-password?token={token}",
        state.settings().public_url
    );
    mail::enqueue(
        &tx,
        None,
        &mail::Email {
            to: user.email.clone(),
            subject: "Reset your DocSpot password".into(),
            body: format!(
                "Hello {},\n\nSomeone asked to reset the password of your DocSpot account. \
                 To choose a new password, open this link within 30 minutes:\n\n{link}\n\n\
                 If it was not you, ignore this e-mail; your password stays as it is.\n",
                user.name
            ),
        },
        now,
    )
    .await?;
    audit::append(
        &tx,
        &ctx.actor(None),
        audit::Event {
            clinic: None,
            action: "user.password_reset_request",
            target_type: "user",
            target_id: user.id.to_string(),
            detail: json!({}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// Whether a reset link can still be used.
pub async fn reset_link_is_open(state: &AppState, token: &str) -> AppResult<bool> {
    if token.len() > 128 {
        return Ok(false);
    }
    Ok(tokens::reset_is_open(state.store().conn(), &token_hash(token), state.now()).await?)
}

/// Sets a new password from a reset link; ends every session of the account.
pub async fn reset_password(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    new: &str,
) -> AppResult<()> {
    rate(state, "reset", &ctx.ip, None)?;
    let pw = NewPassword::parse(new)?;
    let hash = password::hash(&pw).await?;
    let expired = || {
        AppError::field(
            "token",
            "This reset link is invalid, used or expired. Ask for a new one.",
        )
    };
    if token.is_empty() || token.len() > 128 {
        return Err(expired());
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let Some(user) = tokens::take_reset(&tx, &token_hash(token), now).await? else {
        return Err(expired());
    };
    users::set_password(&tx, user, &hash).await?;
    sessions::revoke_all_but(&tx, user, None, "password reset", now).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(user)),
        audit::Event {
            clinic: None,
            action: "user.password_reset",
            target_type: "user",
            target_id: user.to_string(),
            detail: json!({}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// The caller's own record and roles. Reading a person's record is audited.
pub async fn me(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
) -> AppResult<Vec<store::memberships::Membership>> {
    let now = state.now();
    let tx = state.store().write().await?;
    let roles = store::memberships::of_user(&tx, me.id()).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event {
            clinic: None,
            action: "user.read",
            target_type: "user",
            target_id: me.id().to_string(),
            detail: json!({"self": true}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(roles.into_iter().filter(|m| m.is_active).collect())
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
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event {
            clinic: Some(clinic),
            action: "session.switch_clinic",
            target_type: "session",
            target_id: me.session().id.to_string(),
            detail: json!({}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// Creates a platform admin (from the command line). Fails if the e-mail is taken.
pub async fn create_platform_admin(
    state: &AppState,
    email: &str,
    name: &str,
    password_raw: &str,
) -> AppResult<users::User> {
    let mut f = Fields::default();
    let email = f.take(Email::parse(email));
    let name = f.take(PersonName::parse(name));
    let pw = f.take(NewPassword::parse(password_raw));
    f.finish()?;
    let (email, name, pw) = (checked(email)?, checked(name)?, checked(pw)?);
    let hash = password::hash(&pw).await?;
    let now = state.now();
    let tx = state.store().write().await?;
    let user = users::insert(
        &tx,
        users::NewUser {
            email: &email,
            name: &name,
            password_hash: Some(hash),
            is_platform_admin: true,
            is_patient: false,
        },
        now,
    )
    .await
    .map_err(|e| match e {
        store::StoreError::Conflict(_) => {
            AppError::field("email", "A user with this e-mail already exists.")
        }
        other => other.into(),
    })?;
    let actor = store::audit::Actor {
        user: None,
        request_id: "cli".into(),
        ip: "local".into(),
    };
    audit::append(
        &tx,
        &actor,
        audit::Event {
            clinic: None,
            action: "user.create_platform_admin",
            target_type: "user",
            target_id: user.id.to_string(),
            detail: json!({}),
        },
        now,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(user)
}
