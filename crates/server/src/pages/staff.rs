//! A clinic's staff, for its admins: members, invitations, inviting and deactivating.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, fmt_ts, see_other},
    layout::{Nav, memberships},
};
use crate::routes;
use crate::{
    app::staff,
    auth::{RequestCtx, extract::ClinicAdmin},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{ClinicId, MembershipId, Role};
use serde::Deserialize;

const INVITE_FIELDS: &[Label] = &[("email", "E-mail"), ("role", "Role")];

struct StaffRow {
    id: domain::MembershipId,
    name: String,
    email: String,
    role: &'static str,
    active: bool,
}

struct InviteRow {
    email: String,
    role: &'static str,
    expires: String,
    status: &'static str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

impl InviteForm {
    /// The empty form, offering the most common role.
    fn blank() -> Self {
        InviteForm {
            email: String::new(),
            role: Role::Doctor.as_str().into(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    clinic_name: String,
    staff: Vec<StaffRow>,
    invites: Vec<InviteRow>,
    /// A page-level message: a success notice, or why an action was refused.
    notice: Option<&'static str>,
    alert: Option<String>,
    form: InviteForm,
    roles: &'static [Role],
    errors: Errors,
}

impl StaffPage {
    fn role_selected(&self, role: &Role) -> bool {
        self.form.role == role.as_str()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    done: Option<String>,
}

fn notice_text(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "invited" => Some("Invitation sent. The link in the e-mail is valid for 7 days."),
        "deactivated" => Some("Staff member deactivated. They can no longer act for this clinic."),
        _ => None,
    }
}

async fn page(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &ClinicAdmin,
    notice: Option<&'static str>,
    alert: Option<String>,
    form: InviteForm,
    errors: Errors,
) -> Result<StaffPage, PageError> {
    let now = state.now();
    let (members, invites) = staff::list_staff(state, ctx, scope, 200, 0).await?;
    let mine = memberships(state, scope.person()?).await?;
    let clinic_name = mine
        .iter()
        .chain(members.iter())
        .find(|m| m.clinic_id == scope.clinic_id())
        .map_or_else(|| "Clinic".to_owned(), |m| m.clinic_name.clone());
    let staff = members
        .into_iter()
        .map(|m| StaffRow {
            id: m.id,
            name: m.user_name,
            email: m.user_email,
            role: m.role.label(),
            active: m.is_active,
        })
        .collect();
    let invites = invites
        .into_iter()
        .map(|i| InviteRow {
            status: match i.used_at {
                Some(_) => "Used",
                None if i.expires_at <= now => "Expired",
                None => "Pending",
            },
            email: i.email,
            role: i.role.label(),
            expires: fmt_ts(i.expires_at),
        })
        .collect();
    Ok(StaffPage {
        nav: Nav::signed_in(scope.person()?, &mine, "staff"),
        clinic_id: scope.clinic_id(),
        clinic_name,
        staff,
        invites,
        notice,
        alert,
        form,
        roles: &Role::ALL,
        errors,
    })
}

/// GET /clinics/{clinic_id}/staff.
pub async fn list(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    QueryOr(q): QueryOr<Notice>,
) -> Result<Response, PageError> {
    let form = InviteForm::blank();
    let page = page(
        &state,
        &ctx,
        &scope,
        notice_text(q.done.as_deref()),
        None,
        form,
        Errors::default(),
    )
    .await?;
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/staff/invite.
pub async fn invite(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PageForm(form): PageForm<InviteForm>,
) -> Result<Response, PageError> {
    match staff::invite_staff(&state, &ctx, &scope, &form.email, &form.role).await {
        Ok(()) => Ok(see_other(&format!(
            "/clinics/{}/staff?done=invited",
            scope.clinic_id()
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, INVITE_FIELDS)?;
            Ok(outcome.render(&page(&state, &ctx, &scope, None, None, form, errors).await?))
        }
    }
}

/// POST /clinics/{clinic_id}/staff/{membership_id}/deactivate. A refusal (the last admin)
/// is shown on the staff page.
pub async fn deactivate(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PagePath((_, id)): PagePath<(ClinicId, MembershipId)>,
) -> Result<Response, PageError> {
    match staff::deactivate_staff(&state, &ctx, &scope, id).await {
        Ok(()) => Ok(see_other(&format!(
            "/clinics/{}/staff?done=deactivated",
            scope.clinic_id()
        ))),
        Err(AppError::Conflict(msg)) => {
            let form = InviteForm::blank();
            let page = page(
                &state,
                &ctx,
                &scope,
                None,
                Some(msg),
                form,
                Errors::default(),
            )
            .await?;
            Ok(Outcome {
                status: axum::http::StatusCode::CONFLICT,
                retry_after: None,
            }
            .render(&page))
        }
        Err(e) => Err(e.into()),
    }
}
