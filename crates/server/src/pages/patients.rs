//! The patient registry at the desk: find a patient, register one in a short form (with
//! the likely-duplicate check) and edit a record. The record page is `patient_record`.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Choice, Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{
        local_time::date_of,
        patients::{self, PatientForm},
    },
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    error::{AppError, DuplicateView},
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{
    ClinicId, PatientId,
    patient::{DuplicateReason, Sex},
};
use serde::Deserialize;
use store::patients::Patient;

const FIELDS: &[Label] = &[
    ("name", "Full name"),
    ("sex", "Sex"),
    ("birth_date", "Date of birth"),
    ("age", "Age"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("address", "Address"),
    ("emergency_name", "Emergency contact"),
    ("emergency_phone", "Emergency contact's phone"),
    ("q", "Search"),
];

/// A record as lists and the record page show it.
pub struct PatientRow {
    pub href: String,
    pub name: String,
    pub mrn: String,
    /// "F · 36 y", or empty when neither is known.
    pub sex_age: String,
    pub phone: String,
}

impl PatientRow {
    pub(super) fn of(p: &Patient, today: jiff::civil::Date) -> Self {
        let d = &p.details;
        let mut sex_age = Vec::new();
        if let Some(s) = d.sex.filter(|s| *s != Sex::Unknown) {
            sex_age.push(s.label()[..1].to_owned());
        }
        if let Some(b) = d.birth {
            sex_age.push(b.age_text(today));
        }
        PatientRow {
            href: routes::patient(p.clinic_id, p.id),
            name: d.name.clone(),
            mrn: p.mrn.clone(),
            sex_age: sex_age.join(" · "),
            phone: d.phone.clone().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    /// `registered` after a registration, to confirm it.
    pub(super) done: String,
}

#[derive(Template)]
#[template(path = "patients.html")]
struct SearchPage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    q: String,
    searched: bool,
    results: Vec<PatientRow>,
    errors: Errors,
}

/// GET /clinics/{clinic_id}/patients: find a patient by name, phone or MRN.
pub async fn search(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    QueryOr(q): QueryOr<SearchQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let searched = !q.q.trim().is_empty();
    let (mut outcome, mut errors, mut results) = (Outcome::OK, Errors::default(), Vec::new());
    if searched {
        match patients::search_patients(&state, &ctx, &caller, &q.q).await {
            Ok(list) => {
                let today = date_of(caller.clinic(), state.now());
                results = list.iter().map(|p| PatientRow::of(p, today)).collect();
            }
            Err(e) => (outcome, errors) = failure(e, FIELDS)?,
        }
    }
    let page = SearchPage {
        nav: nav(&state, caller.person()?, "patients").await?,
        clinic_id: caller.clinic_id(),
        q: q.q,
        searched,
        results,
        errors,
    };
    Ok(outcome.render(&page))
}

#[derive(Template)]
#[template(path = "patient_form.html")]
struct FormPage {
    nav: Nav,
    title: &'static str,
    action: String,
    cancel_href: String,
    submit: &'static str,
    form: PatientForm,
    sexes: Vec<Choice>,
    duplicates: Vec<DuplicateRow>,
    errors: Errors,
}

struct DuplicateRow {
    href: String,
    label: String,
}

fn form_page(
    nav: Nav,
    caller: &Caller,
    editing: Option<PatientId>,
    form: PatientForm,
    duplicates: Vec<DuplicateView>,
    errors: Errors,
) -> FormPage {
    let cid = caller.clinic_id();
    let sexes = std::iter::once(("", "Choose…"))
        .chain(Sex::ALL.iter().map(|s| (s.as_str(), s.label())))
        .map(|(id, name)| Choice {
            id: id.to_owned(),
            name: name.to_owned(),
            selected: form.sex == id,
        })
        .collect();
    let duplicates = duplicates
        .into_iter()
        .map(|d| DuplicateRow {
            href: routes::patient(cid, PatientId::from_uuid(d.id)),
            label: format!(
                "{} · {} · {} · born {} ({})",
                d.name,
                d.mrn,
                d.phone.unwrap_or_default(),
                d.birth_date.unwrap_or_else(|| "unknown".into()),
                d.reason
                    .parse::<DuplicateReason>()
                    .map_or("similar", DuplicateReason::label)
            ),
        })
        .collect();
    let (title, action, cancel_href, submit) = match editing {
        Some(id) => (
            "Edit patient",
            routes::edit_patient(cid, id),
            routes::patient(cid, id),
            "Save changes",
        ),
        None => (
            "Register a patient",
            routes::new_patient(cid),
            routes::patients(cid),
            "Register",
        ),
    };
    FormPage {
        nav,
        title,
        action,
        cancel_href,
        submit,
        form,
        sexes,
        duplicates,
        errors,
    }
}

/// The form again after a failed save: inline errors, or the likely duplicates with an
/// offer to save anyway.
async fn failed(
    state: &AppState,
    caller: &Caller,
    editing: Option<PatientId>,
    mut form: PatientForm,
    err: AppError,
) -> Result<Response, PageError> {
    let nav = nav(state, caller.person()?, "patients").await?;
    form.allow_duplicate = false;
    if let AppError::LikelyDuplicate { matches } = err {
        let page = form_page(nav, caller, editing, form, matches, Errors::default());
        return Ok(Outcome {
            status: axum::http::StatusCode::CONFLICT,
            retry_after: None,
        }
        .render(&page));
    }
    let (outcome, errors) = failure(err, FIELDS)?;
    Ok(outcome.render(&form_page(nav, caller, editing, form, Vec::new(), errors)))
}

/// GET /clinics/{clinic_id}/patients/new: the short registration form.
pub async fn new_form(
    State(state): State<AppState>,
    Page(scope): Page<ClinicScope<AnyStaff>>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let nav = nav(&state, caller.person()?, "patients").await?;
    let page = form_page(
        nav,
        &caller,
        None,
        PatientForm::default(),
        Vec::new(),
        Errors::default(),
    );
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/patients/new: register, then open the new record.
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PageForm(form): PageForm<PatientForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    match patients::create_patient(&state, &ctx, &caller, &form).await {
        Ok(p) => Ok(see_other(&format!(
            "/clinics/{}/patients/{}?done=registered",
            caller.clinic_id(),
            p.id
        ))),
        Err(e) => failed(&state, &caller, None, form, e).await,
    }
}

/// GET /clinics/{clinic_id}/patients/{patient_id}/edit.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, PatientId)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let p = patients::get_patient(&state, &ctx, &caller, id).await?;
    let nav = nav(&state, caller.person()?, "patients").await?;
    let page = form_page(
        nav,
        &caller,
        Some(id),
        PatientForm::of(&p),
        Vec::new(),
        Errors::default(),
    );
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/patients/{patient_id}/edit.
pub async fn update(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, PatientId)>,
    PageForm(form): PageForm<PatientForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    match patients::update_patient(&state, &ctx, &caller, id, &form).await {
        Ok(p) => Ok(see_other(&format!(
            "/clinics/{}/patients/{}?done=saved",
            caller.clinic_id(),
            p.id
        ))),
        Err(e) => failed(&state, &caller, Some(id), form, e).await,
    }
}
