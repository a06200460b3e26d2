//! Forgotten passwords: a reset request (the same work for any address), the e-mailed link, the new password.

use super::{limit, mail};
use crate::routes;
use crate::{
    auth::{extract::RequestCtx, password},
    error::{AppError, AppResult},
    jobs::{Job, password_reset::PasswordReset},
    state::AppState,
};
use domain::{Email, password::NewPassword};
use store::{audit, links, new_token, sessions, token_hash, users};

/// Someone asks for a reset link. Known address or not, the request does the same work
/// (one transaction that queues one job), so neither its answer nor its timing tells
/// whether the address has an account; the worker looks the address up and mails the link.
#[tracing::instrument(name = "request_password_reset", skip_all)]
pub async fn request_password_reset(
    state: &AppState,
    ctx: &RequestCtx,
    email: &str,
) -> AppResult<()> {
    let account = email.trim().to_lowercase();
    limit(state, "reset", &ctx.ip, Some(&account))?;
    let Ok(email) = Email::parse(email) else {
        return Err(AppError::field("email", "Enter a valid e-mail address."));
    };
    let now = state.now();
    let job = PasswordReset {
        email: email.as_str().to_owned(),
        request_id: ctx.request_id.clone(),
        ip: ctx.ip.clone(),
    }
    .new_job(None, now)?;
    let tx = state.store().write().await?;
    store::jobs::enqueue_all(&tx, &[job], now).await?;
    store::commit(tx).await?;
    Ok(())
}

/// Runs a queued reset request: for an active account, stores a single-use link (audited
/// with the request's id and client address) and returns the e-mail carrying it; for an
/// unknown or deactivated address, nothing.
pub async fn password_reset_mail(
    state: &AppState,
    email: &Email,
    request_id: &str,
    ip: &str,
) -> AppResult<Option<mail::Email>> {
    let c = state.store().conn();
    let Some(user) = users::find_by_email(c, email)
        .await?
        .filter(|u| u.is_active)
    else {
        return Ok(None);
    };
    let now = state.now();
    let token = new_token();
    let expires = now.checked_add(state.settings().reset_ttl).unwrap_or(now);
    let tx = state.store().write().await?;
    links::insert_reset(&tx, user.id, &token_hash(&token), now, expires).await?;
    let actor = audit::Actor {
        user: None,
        request_id: request_id.to_owned(),
        ip: ip.to_owned(),
    };
    audit::append(
        &tx,
        &actor,
        audit::Event::new("user.password_reset_request", "user", user.id),
        now,
    )
    .await?;
    store::commit(tx).await?;
    let link = format!(
        "{}{}?token={token}",
        state.settings().public_url,
        routes::reset_password()
    );
    Ok(Some(mail::Email::text(
        &user.email,
        "Reset your DocSpot password".into(),
        format!(
            "Hello {},\n\nSomeone asked to reset the password of your DocSpot account. \
             To choose a new password, open this link within 30 minutes:\n\n{link}\n\n\
             If it was not you, ignore this e-mail; your password stays as it is.\n",
            user.name
        ),
    )))
}

/// Whether a reset link can still be used.
pub async fn reset_link_is_open(state: &AppState, token: &str) -> AppResult<bool> {
    if token.len() > 128 {
        return Ok(false);
    }
    Ok(links::reset_is_open(state.store().conn(), &token_hash(token), state.now()).await?)
}

/// Sets a new password from a reset link; ends every session of the account.
pub async fn reset_password(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    new: &str,
) -> AppResult<()> {
    limit(state, "reset", &ctx.ip, None)?;
    let hash = password::hash(&NewPassword::parse(new)?).await?;
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
    let Some(user) = links::take_reset(&tx, &token_hash(token), now).await? else {
        return Err(expired());
    };
    users::set_password(&tx, user, &hash).await?;
    // The link reached the account's mailbox, which confirms the address too.
    if let Some(u) = users::find(&tx, user).await? {
        users::set_email_verified(&tx, user, &u.email, now).await?;
    }
    sessions::revoke_all_but(&tx, user, None, "password reset", now).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(user)),
        audit::Event::new("user.password_reset", "user", user),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}
