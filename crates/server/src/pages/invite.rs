//! Accepting a staff invitation from its e-mailed link.

use super::{
    error::PageError,
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure},
    layout::{MaybeUser, Nav},
};
use crate::routes;
use crate::{app::staff, auth::RequestCtx, error::AppError, state::AppState};
use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};
use domain::{PersonName, password::NewPassword};
use serde::Deserialize;

const NEW_FIELDS: &[Label] = &[
    ("name", "Name"),
    ("password", "Password"),
    ("confirm", "Confirmation"),
];
const EXISTING_FIELDS: &[Label] = &[("password", "Password")];

/// What the invitation page shows.
enum InviteView {
    /// The form; `has_account` asks only for the existing password.
    Form {
        clinic: String,
        role: &'static str,
        email: String,
        has_account: bool,
    },
    Closed,
    Joined {
        clinic: String,
        role: &'static str,
    },
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    nav: Nav,
    view: InviteView,
    token: String,
    name: String,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    token: String,
    name: String,
    password: String,
    confirm: String,
}

fn closed(nav: Nav) -> Response {
    let page = InvitePage {
        nav,
        view: InviteView::Closed,
        token: String::new(),
        name: String::new(),
        errors: Errors::default(),
    };
    Outcome {
        status: StatusCode::NOT_FOUND,
        retry_after: None,
    }
    .render(&page)
}

/// The open invitation behind `token` as a form, or `None` when the link is no good.
async fn form_view(state: &AppState, token: &str) -> Result<Option<InviteView>, PageError> {
    let invite = match staff::open_invite(state, token).await {
        Ok(i) => i,
        Err(AppError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let has_account = staff::invitee_has_account(state, &invite).await?;
    Ok(Some(InviteView::Form {
        clinic: invite.clinic_name,
        role: invite.role.label(),
        email: invite.email,
        has_account,
    }))
}

/// GET /invite?token=….
pub async fn show(
    State(state): State<AppState>,
    maybe: MaybeUser,
    QueryOr(q): QueryOr<TokenQuery>,
) -> Result<Response, PageError> {
    let nav = maybe.nav(&state, "").await?;
    let token = q.token.unwrap_or_default();
    let Some(view) = form_view(&state, &token).await? else {
        return Ok(closed(nav));
    };
    Ok(Outcome::OK.render(&InvitePage {
        nav,
        view,
        token,
        name: String::new(),
        errors: Errors::default(),
    }))
}

/// POST /invite: joins the clinic, creating the account if the address has none.
pub async fn accept(
    State(state): State<AppState>,
    ctx: RequestCtx,
    maybe: MaybeUser,
    PageForm(form): PageForm<AcceptForm>,
) -> Result<Response, PageError> {
    let nav = maybe.nav(&state, "").await?;
    let Some(view) = form_view(&state, &form.token).await? else {
        return Ok(closed(nav));
    };
    let has_account = matches!(
        view,
        InviteView::Form {
            has_account: true,
            ..
        }
    );
    let mut errors = Errors::default();
    let outcome = if !has_account && form.password != form.confirm {
        errors.add_domain(NEW_FIELDS, PersonName::parse(&form.name).err());
        errors.add_domain(NEW_FIELDS, NewPassword::parse(&form.password).err());
        errors.add("confirm", "The two passwords do not match.");
        Outcome::INVALID
    } else {
        match staff::accept_invite(&state, &ctx, &form.token, &form.name, &form.password).await {
            Ok(invite) => {
                let view = InviteView::Joined {
                    clinic: invite.clinic_name,
                    role: invite.role.label(),
                };
                let page = InvitePage {
                    nav,
                    view,
                    token: String::new(),
                    name: String::new(),
                    errors,
                };
                return Ok(Outcome::OK.render(&page));
            }
            Err(e) => {
                let (outcome, e) = failure(
                    e,
                    if has_account {
                        EXISTING_FIELDS
                    } else {
                        NEW_FIELDS
                    },
                )?;
                errors = e;
                outcome
            }
        }
    };
    Ok(outcome.render(&InvitePage {
        nav,
        view,
        token: form.token,
        name: form.name,
        errors,
    }))
}
