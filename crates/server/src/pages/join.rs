//! The public "join as a doctor" form at `/c/{slug}/join`: a signed-in person applies to the
//! clinic, and the profile waits for a clinic admin's review (the admin's doctors page).

use super::{
    booking::clinic_by_slug,
    error::{Page, PageError},
    forms::{Errors, Label, Outcome, PageForm, failure, login_href, see_other},
    layout::{MaybeUser, Nav},
    visit_types::parse_price,
};
use crate::{
    app::doctors::{self, ProfileInput},
    auth::{CurrentUser, RequestCtx},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::DoctorStatus;
use store::clinics::Clinic;

const FIELDS: &[Label] = &[
    ("name", "Name"),
    ("registration_number", "Registration number"),
    ("qualifications", "Qualifications"),
    ("languages", "Languages"),
    ("fee", "Consultation fee"),
    ("bio", "About you"),
    ("specialties", "Specialties"),
];

/// The form as typed: languages comma-separated, the fee in major units.
#[derive(Debug, Default)]
struct JoinForm {
    name: String,
    registration_number: String,
    qualifications: String,
    languages: String,
    fee: String,
    bio: String,
    specialties: Vec<String>,
}

impl JoinForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = JoinForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "registration_number" => f.registration_number = v,
                "qualifications" => f.qualifications = v,
                "languages" => f.languages = v,
                "fee" => f.fee = v,
                "bio" => f.bio = v,
                "specialty" => f.specialties.push(v),
                _ => {}
            }
        }
        f
    }

    /// The use case's input with the fee in minor units (-1, which it refuses, when the
    /// typed fee does not read as money, so that every other problem shows too). An unknown
    /// specialty id is passed on as the nil id, which the clinic's list refuses.
    fn input(&self, fee_minor: i64) -> ProfileInput {
        ProfileInput {
            name: self.name.clone(),
            qualifications: self.qualifications.clone(),
            languages: self
                .languages
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            registration_number: self.registration_number.clone(),
            fee_minor,
            bio: self.bio.clone(),
            specialties: self
                .specialties
                .iter()
                .map(|s| s.parse().unwrap_or_default())
                .collect(),
        }
    }
}

/// The use case names the fee `fee_minor`; the form's field is `fee`, and a fee that did not
/// read as money is explained as such.
fn on_fee_field(err: AppError, unreadable: Option<&str>) -> AppError {
    match err {
        AppError::Validation(mut list) => {
            for f in list.iter_mut().filter(|f| f.field == "fee_minor") {
                f.field = "fee".into();
                if let Some(msg) = unreadable {
                    f.message = msg.into();
                }
            }
            AppError::Validation(list)
        }
        other => other,
    }
}

struct SpecialtyBox {
    id: String,
    name: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    nav: Nav,
    clinic: Clinic,
    /// Signed out: where signing in comes back here.
    login: Option<String>,
    /// The caller's profile here already: its status as a sentence.
    standing: Option<String>,
    form: JoinForm,
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
    form: JoinForm,
    errors: Errors,
) -> Result<JoinPage, PageError> {
    let (login, standing) = match &maybe.0 {
        None => (Some(login_href(&format!("/c/{}/join", clinic.slug))), None),
        Some(me) => (
            None,
            doctors::own_profile(state, me, clinic.id)
                .await?
                .as_ref()
                .map(standing),
        ),
    };
    let specialties = doctors::list_specialties(state, clinic.id)
        .await?
        .into_iter()
        .map(|s| SpecialtyBox {
            checked: form.specialties.contains(&s.id.to_string()),
            id: s.id.to_string(),
            name: s.name,
        })
        .collect();
    Ok(JoinPage {
        nav: maybe.nav(state, "home").await?,
        fee_hint: format!("In {}, for example 500 or 450.50", clinic.currency),
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
        JoinForm::default(),
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
    let form = JoinForm::from_pairs(pairs);
    let fee = parse_price(&form.fee);
    let applied =
        doctors::apply_as_doctor(&state, &ctx, &me, clinic.id, &form.input(fee.unwrap_or(-1)))
            .await
            .map_err(|e| on_fee_field(e, fee.err()));
    match applied {
        Ok(_) => Ok(see_other(&format!("/c/{}/join", clinic.slug))),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let p = page(&state, &MaybeUser(Some(me)), clinic, form, errors).await?;
            Ok(outcome.render(&p))
        }
    }
}
