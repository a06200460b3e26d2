//! The public "join as a doctor" form at `/c/{slug}/join`: a signed-in person applies to the
//! clinic, and the profile waits for a clinic admin's review (the admin's doctors page).

use super::{
    booking::clinic_by_slug,
    error::{Page, PageError},
    forms::{Errors, Outcome, PageForm, failure, login_href, see_other},
    layout::{MaybeUser, Nav},
    profile_form::{
        PROFILE_FIELDS, ProfileForm, SpecialtyBox, fee_hint, on_fee_field, specialty_boxes,
    },
};
use crate::routes;
use crate::{
    app::doctors,
    auth::{CurrentUser, RequestCtx},
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::DoctorStatus;
use store::clinics::Clinic;

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    nav: Nav,
    clinic: Clinic,
    /// Signed out: where signing in comes back here.
    login: Option<String>,
    /// The caller's profile here already: its status as a sentence.
    standing: Option<String>,
    form: ProfileForm,
    fee_hint: String,
    specialties: Vec<SpecialtyBox>,
    errors: Errors,
}

/// What someone with a profile at the clinic is told instead of the form.
fn standing(d: &store::doctors::Doctor) -> String {
    match d.status {
        DoctorStatus::Pending => {
            "Your application is with the clinic's admins. You will get an e-mail when they decide."
                .into()
        }
        DoctorStatus::Approved => "You are a doctor of this clinic.".into(),
        DoctorStatus::Rejected => format!(
            "The clinic did not accept your application{}.",
            d.decision_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        DoctorStatus::Suspended => "Your profile at this clinic is suspended.".into(),
    }
}

async fn page(
    state: &AppState,
    maybe: &MaybeUser,
    clinic: Clinic,
    form: ProfileForm,
    errors: Errors,
) -> Result<JoinPage, PageError> {
    let (login, standing) = match &maybe.0 {
        None => (Some(login_href(&routes::join(&clinic.slug))), None),
        Some(me) => (
            None,
            doctors::own_profile(state, me, clinic.id)
                .await?
                .as_ref()
                .map(standing),
        ),
    };
    let specialties = specialty_boxes(doctors::list_specialties(state, clinic.id).await?, &form);
    Ok(JoinPage {
        nav: maybe.nav(state, "home").await?,
        fee_hint: fee_hint(&clinic.currency),
        clinic,
        login,
        standing,
        form,
        specialties,
        errors,
    })
}

/// GET /c/{slug}/join.
pub async fn show(
    State(state): State<AppState>,
    maybe: MaybeUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let p = page(
        &state,
        &maybe,
        clinic,
        ProfileForm::default(),
        Errors::default(),
    )
    .await?;
    Ok(Outcome::OK.render(&p))
}

/// POST /c/{slug}/join: applies, then shows where the application stands.
pub async fn apply(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    Path(slug): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let form = ProfileForm::from_pairs(pairs);
    let (input, fee_problem) = form.input(&clinic.currency);
    let applied = doctors::apply_as_doctor(&state, &ctx, &me, clinic.id, &input)
        .await
        .map_err(|e| on_fee_field(e, fee_problem.as_deref()));
    match applied {
        Ok(_) => Ok(see_other(&routes::join(&clinic.slug))),
        Err(e) => {
            let (outcome, errors) = failure(e, PROFILE_FIELDS)?;
            let p = page(&state, &MaybeUser(Some(me)), clinic, form, errors).await?;
            Ok(outcome.render(&p))
        }
    }
}
