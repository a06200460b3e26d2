//! Two-factor sign-in on the account: its state, setting up an authenticator app (a QR
//! code and the secret to type, then a first code), the recovery codes shown once, and
//! turning it off with a code.

use super::{
    error::{Page, PageError},
    forms::{Errors, Label, Outcome, PageForm, failure},
    layout::{Nav, nav},
    queue_status::qr_svg,
};
use crate::routes;
use crate::{
    app::totp,
    auth::{CurrentUser, RequestCtx},
    error::AppResult,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

const FIELDS: &[Label] = &[("code", "Code")];
const QR_LABEL: &str = "QR code to scan with your authenticator app";

/// What the page shows.
enum Step {
    /// On or off, with how many recovery codes are left.
    Status(totp::Status),
    /// A new secret to scan and confirm.
    Setup { secret: String, qr: Option<String> },
    /// Just turned on: the recovery codes, once.
    Codes(Vec<String>),
}

#[derive(Template)]
#[template(path = "account_totp.html")]
struct TotpPage {
    nav: Nav,
    step: Step,
    staff: bool,
    errors: Errors,
}

impl TotpPage {
    /// The key in groups of four, easier to type.
    fn grouped(&self, secret: &str) -> String {
        secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A code typed (to confirm, or to turn off); the secret being confirmed rides along.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    secret: String,
}

async fn render(
    state: &AppState,
    me: &CurrentUser,
    step: Step,
    errors: Errors,
    outcome: Outcome,
) -> Result<Response, PageError> {
    Ok(outcome.render(&TotpPage {
        nav: nav(state, me, "account").await?,
        step,
        staff: !me.user().is_patient,
        errors,
    }))
}

fn setup(me: &CurrentUser, secret: String) -> Step {
    let uri = crate::auth::totp::from_base32(&secret)
        .map(|s| crate::auth::totp::otpauth_uri("DocSpot", &me.user().email, &s));
    Step::Setup {
        qr: uri.and_then(|u| qr_svg(&u, QR_LABEL)),
        secret,
    }
}

/// GET /account/totp.
pub async fn show(
    State(state): State<AppState>,
    Page(me): Page<CurrentUser>,
) -> Result<Response, PageError> {
    let status = totp::status(&state, &me).await?;
    render(
        &state,
        &me,
        Step::Status(status),
        Errors::default(),
        Outcome::OK,
    )
    .await
}

/// The page after an action: its next step when it went through, else `otherwise` with
/// what was wrong.
async fn answer(
    state: &AppState,
    me: &CurrentUser,
    done: AppResult<Step>,
    otherwise: Step,
) -> Result<Response, PageError> {
    match done {
        Ok(step) => render(state, me, step, Errors::default(), Outcome::OK).await,
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            render(state, me, otherwise, errors, outcome).await
        }
    }
}

/// POST /account/totp: a new secret to set up.
pub async fn start(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
) -> Result<Response, PageError> {
    let done = totp::enroll(&state, &ctx, &me).await.map(|e| Step::Setup {
        qr: qr_svg(&e.uri, QR_LABEL),
        secret: e.secret,
    });
    let status = totp::status(&state, &me).await?;
    answer(&state, &me, done, Step::Status(status)).await
}

/// POST /account/totp/confirm: the first code turns it on; the recovery codes show once.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, PageError> {
    let done = totp::confirm(&state, &ctx, &me, &form.code)
        .await
        .map(Step::Codes);
    let otherwise = setup(&me, form.secret);
    answer(&state, &me, done, otherwise).await
}

/// POST /account/totp/disable.
pub async fn disable(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, PageError> {
    let result = totp::disable(&state, &ctx, &me, &form.code).await;
    let status = totp::status(&state, &me).await?;
    answer(
        &state,
        &me,
        result.map(|()| Step::Status(status)),
        Step::Status(status),
    )
    .await
}
