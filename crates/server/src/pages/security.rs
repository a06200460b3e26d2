//! The admin's security settings: which roles must sign in with a second factor to act in
//! the clinic.

use super::{
    error::{Page, PageError},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::{
    app::totp,
    auth::{RequestCtx, extract::ClinicAdmin},
    routes,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{ClinicId, Role};
use serde::Deserialize;

const FIELDS: &[Label] = &[("roles", "Roles")];

struct RoleRow {
    name: &'static str,
    label: &'static str,
    on: bool,
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    nav: Nav,
    clinic_id: ClinicId,
    roles: Vec<RoleRow>,
    saved: bool,
    errors: Errors,
}

/// `?saved=1` after a save.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Saved {
    saved: Option<String>,
}

fn rows(on: &[Role]) -> Vec<RoleRow> {
    Role::ALL
        .into_iter()
        .map(|r| RoleRow {
            name: r.as_str(),
            label: r.label(),
            on: on.contains(&r),
        })
        .collect()
}

/// GET /clinics/{clinic_id}/settings/security (admins).
pub async fn show(
    State(state): State<AppState>,
    Page(scope): Page<ClinicAdmin>,
    QueryOr(q): QueryOr<Saved>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let page = SecurityPage {
        nav: nav(&state, caller.person()?, "settings").await?,
        clinic_id: caller.clinic_id(),
        roles: rows(&totp::clinic_roles(&caller)?),
        saved: q.saved.is_some(),
        errors: Errors::default(),
    };
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/settings/security (admins; audited).
pub async fn save(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    // The ticked roles: `roles=admin&roles=doctor`.
    let wanted: Vec<Role> = pairs
        .iter()
        .filter(|(k, _)| k == "roles")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    match totp::set_clinic_roles(&state, &ctx, &caller, &wanted).await {
        Ok(_) => Ok(see_other(&format!(
            "{}?saved=1",
            routes::settings_security(caller.clinic_id())
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let page = SecurityPage {
                nav: nav(&state, caller.person()?, "settings").await?,
                clinic_id: caller.clinic_id(),
                roles: rows(&wanted),
                saved: false,
                errors,
            };
            Ok(outcome.render(&page))
        }
    }
}
