//! Forgotten passwords: asking for a reset link and choosing a new password with it.

use super::{
    error::PageError,
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure},
    layout::{MaybeUser, Nav},
};
use crate::routes;
use crate::{app::accounts, auth::RequestCtx, state::AppState};
use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};
use domain::password::NewPassword;
use serde::Deserialize;

const FORGOT_FIELDS: &[Label] = &[("email", "E-mail")];
const RESET_FIELDS: &[Label] = &[("password", "New password"), ("confirm", "Confirmation")];

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    nav: Nav,
    email: String,
    sent: bool,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

/// GET /forgot-password.
pub async fn forgot_form(
    State(state): State<AppState>,
    maybe: MaybeUser,
) -> Result<Response, PageError> {
    let page = ForgotPage {
        nav: maybe.nav(&state, "").await?,
        email: String::new(),
        sent: false,
        errors: Errors::default(),
    };
    Ok(Outcome::OK.render(&page))
}

/// POST /forgot-password: the answer is the same whether or not the address has an account.
pub async fn forgot(
    State(state): State<AppState>,
    ctx: RequestCtx,
    maybe: MaybeUser,
    PageForm(form): PageForm<ForgotForm>,
) -> Result<Response, PageError> {
    let nav = maybe.nav(&state, "").await?;
    let (outcome, errors, sent) =
        match accounts::request_password_reset(&state, &ctx, &form.email).await {
            Ok(()) => (Outcome::OK, Errors::default(), true),
            Err(e) => {
                let (outcome, errors) = failure(e, FORGOT_FIELDS)?;
                (outcome, errors, false)
            }
        };
    Ok(outcome.render(&ForgotPage {
        nav,
        email: form.email,
        sent,
        errors,
    }))
}

/// Which part of the reset page to show.
#[derive(Debug)]
enum ResetState {
    Form,
    Closed,
    Done,
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    nav: Nav,
    state: ResetState,
    token: String,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    token: String,
    password: String,
    confirm: String,
}

/// GET /reset-password?token=…: the form, or why the link no longer works.
pub async fn reset_form(
    State(state): State<AppState>,
    maybe: MaybeUser,
    QueryOr(q): QueryOr<TokenQuery>,
) -> Result<Response, PageError> {
    let nav = maybe.nav(&state, "").await?;
    let token = q.token.unwrap_or_default();
    let open = !token.is_empty() && accounts::reset_link_is_open(&state, &token).await?;
    if !open {
        let page = ResetPage {
            nav,
            state: ResetState::Closed,
            token: String::new(),
            errors: Errors::default(),
        };
        return Ok(render_closed(&page));
    }
    Ok(Outcome::OK.render(&ResetPage {
        nav,
        state: ResetState::Form,
        token,
        errors: Errors::default(),
    }))
}

fn render_closed(page: &ResetPage) -> Response {
    Outcome {
        status: StatusCode::NOT_FOUND,
        retry_after: None,
    }
    .render(page)
}

/// POST /reset-password: sets the password and ends every session of the account.
pub async fn reset(
    State(state): State<AppState>,
    ctx: RequestCtx,
    maybe: MaybeUser,
    PageForm(form): PageForm<ResetForm>,
) -> Result<Response, PageError> {
    let nav = maybe.nav(&state, "").await?;
    let mut errors = Errors::default();
    let outcome = if form.password != form.confirm {
        errors.add_domain(RESET_FIELDS, NewPassword::parse(&form.password).err());
        errors.add("confirm", "The two passwords do not match.");
        Outcome::INVALID
    } else {
        match accounts::reset_password(&state, &ctx, &form.token, &form.password).await {
            Ok(()) => {
                // Every session of the account has just ended, this one included if it was theirs.
                let nav = if maybe.0.is_some() {
                    Nav::minimal()
                } else {
                    nav
                };
                let page = ResetPage {
                    nav,
                    state: ResetState::Done,
                    token: String::new(),
                    errors,
                };
                return Ok(Outcome::OK.render(&page));
            }
            Err(e) => {
                let (outcome, e) = failure(e, RESET_FIELDS)?;
                errors = e;
                outcome
            }
        }
    };
    let page = ResetPage {
        nav,
        state: ResetState::Form,
        token: form.token,
        errors,
    };
    Ok(outcome.render(&page))
}
