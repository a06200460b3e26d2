//! The signed-in user's account: profile, password, sessions, and the working clinic.

use super::{
    error::{Page, PageError, PagePath},
    forms::{
        Errors, Label, Outcome, PageForm, QueryOr, failure, fmt_ts, see_other,
        see_other_with_cookies,
    },
    layout::{Nav, nav},
};
use crate::routes;
use crate::{
    app::{accounts, sessions},
    auth::{CurrentUser, RequestCtx, cookies},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{ClinicId, SessionId, password::NewPassword};
use serde::Deserialize;

const PASSWORD_FIELDS: &[Label] = &[
    ("current_password", "Current password"),
    ("password", "New password"),
    ("confirm", "Confirmation"),
];

/// One live session as the table shows it.
struct SessionRow {
    id: domain::SessionId,
    user_agent: String,
    ip: String,
    created: String,
    last_seen: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    nav: Nav,
    name: String,
    email: String,
    email_confirmed: bool,
    /// The mobile number texts go to, if any.
    phone: Option<String>,
    notice: Option<&'static str>,
    /// Why a new confirmation link was not sent.
    confirm_error: Option<String>,
    errors: Errors,
    sessions: Vec<SessionRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    done: Option<String>,
}

fn notice_text(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "password" => Some("Password changed; your other sessions were signed out."),
        "revoked" => Some("That session was signed out."),
        "confirmation" => Some("We have e-mailed you a new confirmation link."),
        "phone" => Some("Your mobile number is changed; texts go there from now on."),
        _ => None,
    }
}

/// A user agent short enough for a table cell.
fn short_agent(ua: &str) -> String {
    if ua.is_empty() {
        return "Unknown device".into();
    }
    let mut s: String = ua.chars().take(90).collect();
    if ua.chars().count() > 90 {
        s.push('…');
    }
    s
}

async fn page(
    state: &AppState,
    me: &CurrentUser,
    notice: Option<&'static str>,
    errors: Errors,
) -> Result<AccountPage, PageError> {
    let sessions = sessions::list_sessions(state, me)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            id: s.id,
            user_agent: short_agent(&s.user_agent),
            ip: s.ip,
            created: fmt_ts(s.created_at),
            last_seen: fmt_ts(s.last_seen_at),
            current: s.id == me.session().id,
        })
        .collect();
    Ok(AccountPage {
        nav: nav(state, me, "account").await?,
        name: me.user().name.clone(),
        email: me.user().email.clone(),
        email_confirmed: me.user().email_verified_at.is_some(),
        phone: me.user().phone.clone(),
        notice,
        confirm_error: None,
        errors,
        sessions,
    })
}

/// GET /account.
pub async fn show(
    State(state): State<AppState>,
    Page(me): Page<CurrentUser>,
    QueryOr(q): QueryOr<Notice>,
) -> Result<Response, PageError> {
    let page = page(
        &state,
        &me,
        notice_text(q.done.as_deref()),
        Errors::default(),
    )
    .await?;
    Ok(Outcome::OK.render(&page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    password: String,
    confirm: String,
}

/// POST /account/password.
pub async fn change_password(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PageForm(form): PageForm<PasswordForm>,
) -> Result<Response, PageError> {
    let mut errors = Errors::default();
    let outcome = if form.password != form.confirm {
        errors.add_domain(PASSWORD_FIELDS, NewPassword::parse(&form.password).err());
        errors.add("confirm", "The two new passwords do not match.");
        Outcome::INVALID
    } else {
        match accounts::change_password(&state, &ctx, &me, &form.current_password, &form.password)
            .await
        {
            Ok(()) => return Ok(see_other("/account?done=password")),
            Err(e) => {
                let (outcome, e) = failure(e, PASSWORD_FIELDS)?;
                errors = e;
                outcome
            }
        }
    };
    Ok(outcome.render(&page(&state, &me, None, errors).await?))
}

/// POST /account/email-confirmation: e-mails a new confirmation link.
pub async fn send_confirmation(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
) -> Result<Response, PageError> {
    match accounts::request_confirmation(&state, &ctx, &me).await {
        Ok(()) => Ok(see_other("/account?done=confirmation")),
        Err(e) => {
            let (outcome, errors) = failure(e, &[])?;
            let mut page = page(&state, &me, None, Errors::default()).await?;
            page.confirm_error = errors.top.into_iter().next();
            Ok(outcome.render(&page))
        }
    }
}

/// POST /account/sessions/{id}/revoke. Revoking this very session signs out.
pub async fn revoke_session(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PagePath(id): PagePath<SessionId>,
) -> Result<Response, PageError> {
    sessions::revoke_session(&state, &ctx, &me, id).await?;
    if id == me.session().id {
        return Ok(see_other_with_cookies(
            "/login",
            cookies::clear(state.settings().tls),
        ));
    }
    Ok(see_other("/account?done=revoked"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SwitchForm {
    clinic_id: String,
}

/// POST /switch-clinic.
pub async fn switch_clinic(
    State(state): State<AppState>,
    Page(ctx): Page<RequestCtx>,
    Page(me): Page<CurrentUser>,
    PageForm(form): PageForm<SwitchForm>,
) -> Result<Response, PageError> {
    let clinic: ClinicId = form
        .clinic_id
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)?;
    sessions::switch_clinic(&state, &ctx, &me, clinic).await?;
    Ok(see_other("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_notices_are_shown() {
        assert!(notice_text(Some("password")).is_some());
        assert!(notice_text(Some("<script>")).is_none());
        assert!(notice_text(None).is_none());
    }

    #[test]
    fn long_user_agents_are_shortened() {
        assert_eq!(short_agent(""), "Unknown device");
        assert_eq!(short_agent(&"x".repeat(200)).chars().count(), 91);
    }
}
