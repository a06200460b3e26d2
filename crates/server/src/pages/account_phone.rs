//! Changing one's mobile number: the new number, then the code texted to it. Until the
//! code comes back the old number stays.

use super::{
    error::{Page, PageError},
    forms::{Errors, Label, Outcome, PageForm, failure, see_other},
    layout::{Nav, nav},
};
use crate::routes;
use crate::{
    app::otp,
    auth::{CurrentUser, RequestCtx},
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

const FIELDS: &[Label] = &[("phone", "Mobile number"), ("code", "Code")];

#[derive(Template)]
#[template(path = "account_phone.html")]
struct PhonePage {
    nav: Nav,
    current: Option<String>,
    phone: String,
    /// The code went to `phone`: show the field to type it.
    asked: bool,
    errors: Errors,
}

/// What was typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PhoneForm {
    phone: String,
    code: String,
}

async fn render(
    state: &AppState,
    me: &CurrentUser,
    phone: String,
    asked: bool,
    errors: Errors,
    outcome: Outcome,
) -> Result<Response, PageError> {
    Ok(outcome.render(&PhonePage {
        nav: nav(state, me, "account").await?,
        current: me.user().phone.clone(),
        phone,
        asked,
        errors,
    }))
}

/// GET /account/phone.
pub async fn show(
    State(state): State<AppState>,
    Page(me): Page<CurrentUser>,
) -> Result<Response, PageError> {
    render(
        &state,
        &me,
        String::new(),
        false,
        Errors::default(),
        Outcome::OK,
    )
    .await
}

/// POST /account/phone: texts a code to the new number.
pub async fn ask(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PageForm(form): PageForm<PhoneForm>,
) -> Result<Response, PageError> {
    match otp::request_phone_change(&state, &ctx, &me, &form.phone).await {
        Ok(p) => {
            render(
                &state,
                &me,
                p.as_str().to_owned(),
                true,
                Errors::default(),
                Outcome::OK,
            )
            .await
        }
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            render(&state, &me, form.phone, false, errors, outcome).await
        }
    }
}

/// POST /account/phone/confirm: the code proves the number; it becomes the account's.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PageForm(form): PageForm<PhoneForm>,
) -> Result<Response, PageError> {
    match otp::confirm_phone(&state, &ctx, &me, &form.code).await {
        Ok(_) => Ok(see_other(&format!("{}?done=phone", routes::account()))),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            render(&state, &me, form.phone, true, errors, outcome).await
        }
    }
}
