//! E-mail confirmation: the page a confirmation link opens. Opening it changes nothing
//! (mail scanners open links); its button confirms.

use super::{
    error::PageError,
    forms::{Errors, Outcome, PageForm, QueryOr, failure},
    layout::{MaybeUser, Nav},
};
use crate::routes;
use crate::{app::accounts, auth::RequestCtx, error::AppError, state::AppState};
use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "confirm_email.html")]
struct ConfirmPage {
    nav: Nav,
    token: String,
    done: bool,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token: String,
}

/// GET /confirm-email?token=…: asks to confirm with a button.
pub async fn show(
    State(state): State<AppState>,
    maybe: MaybeUser,
    QueryOr(q): QueryOr<TokenForm>,
) -> Result<Response, PageError> {
    let page = ConfirmPage {
        nav: maybe.nav(&state, "").await?,
        token: q.token,
        done: false,
        errors: Errors::default(),
    };
    Ok(Outcome::OK.render(&page))
}

/// POST /confirm-email.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: RequestCtx,
    maybe: MaybeUser,
    PageForm(form): PageForm<TokenForm>,
) -> Result<Response, PageError> {
    let nav = maybe.nav(&state, "").await?;
    let (outcome, errors, done) = match accounts::confirm_email(&state, &ctx, &form.token).await {
        Ok(()) => (Outcome::OK, Errors::default(), true),
        // The token is no field the person can fix: its message leads the page.
        Err(AppError::Validation(list)) => {
            let mut errors = Errors::default();
            errors.top = list.into_iter().map(|f| f.message).collect();
            (Outcome::INVALID, errors, false)
        }
        Err(e) => {
            let (outcome, errors) = failure(e, &[])?;
            (outcome, errors, false)
        }
    };
    Ok(outcome.render(&ConfirmPage {
        nav,
        token: form.token,
        done,
        errors,
    }))
}
