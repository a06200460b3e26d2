//! Clinic admins review doctors: approve or reject applications (with a reason), suspend
//! and reinstate; and keep the clinic's list of specialties.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::routes;
use crate::{
    app::doctors::{self, Decision},
    auth::{RequestCtx, extract::ClinicAdmin},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{ClinicId, DoctorId, DoctorStatus, SpecialtyId};
use serde::Deserialize;

struct Row {
    id: domain::DoctorId,
    name: String,
    registration: String,
    qualifications: String,
    specialties: String,
    reason: String,
    /// Approved but without weekly hours: nobody can book them yet.
    needs_hours: bool,
}

struct Group {
    title: &'static str,
    status: &'static str,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "doctors_admin.html")]
struct DoctorsPage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    groups: Vec<Group>,
    specialties: Vec<String>,
    specialty: SpecialtyForm,
    notice: Option<&'static str>,
    alert: Option<String>,
}

/// The "Add a specialty" form as typed, with its errors, or what was just added.
#[derive(Debug, Default)]
struct SpecialtyForm {
    name: String,
    errors: Errors,
    notice: Option<String>,
}

const SPECIALTY_FIELDS: &[Label] = &[("name", "Specialty")];

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
    /// The id of the specialty just added.
    added: Option<String>,
}

async fn page(
    state: &AppState,
    scope: &ClinicAdmin,
    notice: Option<&'static str>,
    alert: Option<String>,
    specialty: SpecialtyForm,
) -> Result<DoctorsPage, PageError> {
    let with_hours = crate::app::schedule::doctors_with_hours(state, scope).await?;
    let mut groups = Vec::new();
    for (status, title) in [
        (DoctorStatus::Pending, "Waiting for review"),
        (DoctorStatus::Approved, "Approved"),
        (DoctorStatus::Suspended, "Suspended"),
        (DoctorStatus::Rejected, "Rejected"),
    ] {
        let list = doctors::list_in_status(state, scope, status, 200).await?;
        groups.push(Group {
            title,
            status: status.as_str(),
            rows: list
                .into_iter()
                .map(|d| Row {
                    needs_hours: status == DoctorStatus::Approved && !with_hours.contains(&d.id),
                    id: d.id,
                    specialties: d
                        .specialties
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    name: d.name,
                    registration: d.registration_number,
                    qualifications: d.qualifications,
                    reason: d.decision_reason.unwrap_or_default(),
                })
                .collect(),
        });
    }
    Ok(DoctorsPage {
        nav: nav(state, scope.person()?, "doctors").await?,
        clinic_id: scope.clinic_id(),
        groups,
        specialties: doctors::list_specialties(state, scope.clinic_id())
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect(),
        specialty,
        notice,
        alert,
    })
}

/// GET /clinics/{clinic_id}/doctors.
pub async fn list(
    State(state): State<AppState>,
    Page(scope): Page<ClinicAdmin>,
    QueryOr(q): QueryOr<Done>,
) -> Result<Response, PageError> {
    let notice = q
        .done
        .is_some()
        .then_some("Saved. The doctor has been e-mailed.");
    let mut specialty = SpecialtyForm::default();
    if let Some(added) = q.added.and_then(|id| id.parse::<SpecialtyId>().ok()) {
        specialty.notice = doctors::list_specialties(&state, scope.clinic_id())
            .await?
            .into_iter()
            .find(|s| s.id == added)
            .map(|s| format!("Added {}.", s.name));
    }
    let page = page(&state, &scope, notice, None, specialty).await?;
    Ok(Outcome::OK.render(&page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    reason: String,
}

/// POST /clinics/{clinic_id}/doctors/{doctor_id}/{approve|reject|suspend}.
pub async fn decide(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PagePath((_, id, decision)): PagePath<(ClinicId, DoctorId, String)>,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, PageError> {
    let decision = match decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        "suspend" => Decision::Suspend,
        _ => return Err(AppError::NotFound.into()),
    };
    match doctors::decide(&state, &ctx, &scope, id, decision, &form.reason).await {
        Ok(_) => Ok(see_other(&format!(
            "/clinics/{}/doctors?done=1",
            scope.clinic_id()
        ))),
        Err(e @ (AppError::Conflict(_) | AppError::Validation(_))) => {
            let msg = match &e {
                AppError::Validation(f) => f
                    .iter()
                    .map(|f| format!("Reason {}.", f.message.trim_end_matches('.')))
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.to_string(),
            };
            let status = e.status();
            let page = page(&state, &scope, None, Some(msg), SpecialtyForm::default()).await?;
            Ok(Outcome {
                status,
                retry_after: None,
            }
            .render(&page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewSpecialtyForm {
    name: String,
}

/// POST /clinics/{clinic_id}/specialties: adds one to the clinic's list.
pub async fn add_specialty(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PageForm(form): PageForm<NewSpecialtyForm>,
) -> Result<Response, PageError> {
    match doctors::create_specialty(&state, &ctx, &scope, &form.name).await {
        Ok(s) => Ok(see_other(&format!(
            "/clinics/{}/doctors?added={}",
            scope.clinic_id(),
            s.id
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, SPECIALTY_FIELDS)?;
            let specialty = SpecialtyForm {
                name: form.name,
                errors,
                notice: None,
            };
            let page = page(&state, &scope, None, None, specialty).await?;
            Ok(outcome.render(&page))
        }
    }
}
