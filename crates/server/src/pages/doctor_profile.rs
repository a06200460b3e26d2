//! A doctor's profile and fee at `/clinics/{clinic_id}/doctors/{doctor_id}/profile`: the
//! doctor edits their own, clinic admins anyone's (`app::doctors::update_profile` decides;
//! everyone else gets a 404). The form's pieces are shared with the join page.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Errors, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
    profile_form::{
        PROFILE_FIELDS, ProfileForm, SpecialtyBox, fee_hint, on_fee_field, specialty_boxes,
    },
};
use crate::routes;
use crate::{
    app::doctors,
    auth::{
        RequestCtx,
        extract::{AdminOrDoctor, ClinicScope},
    },
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{ClinicId, DoctorId, DoctorStatus};
use serde::Deserialize;
use store::{clinics::Clinic, doctors::Doctor};

#[derive(Template)]
#[template(path = "doctor_profile.html")]
struct ProfilePage {
    nav: Nav,
    title: String,
    back_href: String,
    back_label: &'static str,
    action: String,
    /// Why patients cannot see the profile yet, if they cannot.
    status_note: Option<&'static str>,
    notice: Option<&'static str>,
    form: ProfileForm,
    fee_hint: String,
    specialties: Vec<SpecialtyBox>,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

type ProfilePath = PagePath<(ClinicId, DoctorId)>;

/// The doctor in the path, if the caller may edit their profile; else a 404.
async fn doctor_in(
    state: &AppState,
    scope: &ClinicScope<AdminOrDoctor>,
    id: DoctorId,
) -> Result<Doctor, PageError> {
    Ok(doctors::get_managed(state, scope, id).await?)
}

async fn render(
    state: &AppState,
    scope: &ClinicScope<AdminOrDoctor>,
    clinic: &Clinic,
    doctor: &Doctor,
    form: ProfileForm,
    errors: Errors,
    notice: Option<&'static str>,
) -> Result<ProfilePage, PageError> {
    let own = doctor.user_id == scope.person()?.id();
    let (title, back_href, back_label, current) = if own {
        (
            "Your profile and fee".to_owned(),
            routes::schedule(clinic.id),
            "My schedule",
            "schedule",
        )
    } else {
        (
            format!("Profile of {}", doctor.name),
            routes::doctors(clinic.id),
            "Doctors",
            "doctors",
        )
    };
    let status_note = match doctor.status {
        DoctorStatus::Approved => None,
        DoctorStatus::Pending => Some("Patients see this profile once an admin approves it."),
        DoctorStatus::Rejected | DoctorStatus::Suspended => {
            Some("Patients do not see this profile while it is not approved.")
        }
    };
    let specialties = specialty_boxes(doctors::list_specialties(state, clinic.id).await?, &form);
    Ok(ProfilePage {
        nav: nav(state, scope.person()?, current).await?,
        title,
        back_href,
        back_label,
        action: routes::doctor_profile(clinic.id, doctor.id),
        status_note,
        notice,
        fee_hint: fee_hint(&clinic.currency),
        form,
        specialties,
        errors,
    })
}

/// GET /clinics/{clinic_id}/doctors/{doctor_id}/profile.
pub async fn show(
    State(state): State<AppState>,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    PagePath((_, id)): ProfilePath,
    QueryOr(q): QueryOr<Done>,
) -> Result<Response, PageError> {
    let doctor = doctor_in(&state, &scope, id).await?;
    let notice = q.done.is_some().then_some("Saved.");
    let clinic = scope.clinic();
    let form = ProfileForm::of(&doctor, &clinic.currency);
    let errors = Errors::default();
    let page = render(&state, &scope, clinic, &doctor, form, errors, notice).await?;
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/doctors/{doctor_id}/profile: saves, or shows every problem.
pub async fn save(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    PagePath((_, id)): ProfilePath,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let doctor = doctor_in(&state, &scope, id).await?;
    let clinic = scope.clinic();
    let form = ProfileForm::from_pairs(pairs);
    let (input, fee_problem) = form.input(&clinic.currency);
    match doctors::update_profile(&state, &ctx, &scope, doctor.id, &input).await {
        Ok(_) => Ok(see_other(&format!(
            "/clinics/{}/doctors/{}/profile?done=1",
            scope.clinic_id(),
            doctor.id
        ))),
        Err(e) => {
            let fee_problem = fee_problem.as_deref();
            let (outcome, errors) = failure(on_fee_field(e, fee_problem), PROFILE_FIELDS)?;
            let page = render(&state, &scope, clinic, &doctor, form, errors, None).await?;
            Ok(outcome.render(&page))
        }
    }
}
