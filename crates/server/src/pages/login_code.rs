//! Signing in with a one-time code (patients): the mobile number or e-mail address, then
//! the six digits sent there. Works without JavaScript, like every page.

use super::{
    error::PageError,
    forms::{Errors, Label, Outcome, PageForm, failure, see_other_with_cookies},
    layout::Nav,
};
use crate::routes;
use crate::{
    app::{otp, sessions},
    auth::RequestCtx,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

const FIELDS: &[Label] = &[("destination", "Mobile number or e-mail"), ("code", "Code")];

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    nav: Nav,
    destination: String,
    /// The code was asked for: show the field to type it.
    asked: bool,
    errors: Errors,
}

/// What was typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    destination: String,
    code: String,
}

fn page(destination: String, asked: bool, errors: Errors, outcome: Outcome) -> Response {
    outcome.render(&CodePage {
        nav: Nav::anonymous("login"),
        destination,
        asked,
        errors,
    })
}

/// GET /login/code.
pub async fn show() -> Response {
    page(String::new(), false, Errors::default(), Outcome::OK)
}

/// POST /login/code: sends a code when an account uses the number or address.
pub async fn ask(
    State(state): State<AppState>,
    ctx: RequestCtx,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, PageError> {
    match otp::request_code(&state, &ctx, &form.destination).await {
        Ok(()) => Ok(page(form.destination, true, Errors::default(), Outcome::OK)),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            Ok(page(form.destination, false, errors, outcome))
        }
    }
}

/// POST /login/code/verify: signs in and goes home.
pub async fn verify(
    State(state): State<AppState>,
    ctx: RequestCtx,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, PageError> {
    match otp::sign_in(&state, &ctx, &form.destination, &form.code).await {
        Ok((_, tokens)) => Ok(see_other_with_cookies(
            "/",
            sessions::session_cookies(&state, &tokens),
        )),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            Ok(page(form.destination, true, errors, outcome))
        }
    }
}
