//! The patient registry at the desk: find a patient, register one in a short form (with
//! the likely-duplicate check), read and edit a record, link it to the patient's login.

use super::{
    desk_changes::{Back, Changes, Done},
    error::{Page, PageError},
    forms::{Choice, Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::{
    app::{
        doctors,
        local_time::{date_of, zone_of},
        patients::{self, PatientForm},
    },
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicCaller, ClinicScope},
    },
    error::{AppError, DuplicateView},
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::{
    PatientId, Role,
    patient::{DuplicateReason, Sex},
    queue::Priority,
    upload::DocCategory,
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
    fn of(p: &Patient, today: jiff::civil::Date) -> Self {
        let d = &p.details;
        let mut sex_age = Vec::new();
        if let Some(s) = d.sex.filter(|s| *s != Sex::Unknown) {
            sex_age.push(s.label()[..1].to_owned());
        }
        if let Some(b) = d.birth {
            sex_age.push(b.age_text(today));
        }
        PatientRow {
            href: format!("/clinics/{}/patients/{}", p.clinic_id, p.id),
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
    done: String,
}

#[derive(Template)]
#[template(path = "patients.html")]
struct SearchPage {
    nav: Nav,
    clinic_id: String,
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
    let caller = scope.into_caller(&state).await?;
    let searched = !q.q.trim().is_empty();
    let (mut outcome, mut errors, mut results) = (Outcome::OK, Errors::default(), Vec::new());
    if searched {
        match patients::search_patients(&state, &ctx, &caller, &q.q).await {
            Ok(list) => {
                let today = date_of(&caller.clinic, state.now());
                results = list.iter().map(|p| PatientRow::of(p, today)).collect();
            }
            Err(e) => (outcome, errors) = failure(e, FIELDS)?,
        }
    }
    let page = SearchPage {
        nav: nav(&state, &caller.me, "patients").await?,
        clinic_id: caller.clinic.id.to_string(),
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
    caller: &ClinicCaller,
    editing: Option<PatientId>,
    form: PatientForm,
    duplicates: Vec<DuplicateView>,
    errors: Errors,
) -> FormPage {
    let base = format!("/clinics/{}/patients", caller.clinic.id);
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
            href: format!("{base}/{}", d.id),
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
            format!("{base}/{id}/edit"),
            format!("{base}/{id}"),
            "Save changes",
        ),
        None => (
            "Register a patient",
            format!("{base}/new"),
            base.clone(),
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
    caller: &ClinicCaller,
    editing: Option<PatientId>,
    mut form: PatientForm,
    err: AppError,
) -> Result<Response, PageError> {
    let nav = nav(state, &caller.me, "patients").await?;
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
    let caller = scope.into_caller(&state).await?;
    let nav = nav(&state, &caller.me, "patients").await?;
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
    let caller = scope.into_caller(&state).await?;
    match patients::create_patient(&state, &ctx, &caller, &form).await {
        Ok(p) => Ok(see_other(&format!(
            "/clinics/{}/patients/{}?done=registered",
            caller.clinic.id, p.id
        ))),
        Err(e) => failed(&state, &caller, None, form, e).await,
    }
}

#[derive(Template)]
#[template(path = "patient.html")]
pub(super) struct RecordPage {
    nav: Nav,
    clinic_id: String,
    row: PatientRow,
    p: Patient,
    done: String,
    born: String,
    link_email: String,
    errors: Errors,
    /// The desk may issue a token: the clinic's doctors and the priorities.
    is_desk: bool,
    doctors: Vec<Choice>,
    priorities: Vec<Choice>,
    /// The patient's tokens today: "Token 3 · Dr Asha Rao · waiting".
    tokens_today: Vec<String>,
    documents: Vec<DocumentRow>,
    categories: Vec<Choice>,
    pub(super) upload_alert: Option<String>,
    /// The patient's appointments still to come, each with cancel and reschedule.
    upcoming: Vec<UpcomingRow>,
    /// What a cancel or reschedule just did.
    pub(super) notice: Option<String>,
}

/// An appointment still to come, as the record lists it.
struct UpcomingRow {
    when: String,
    detail: String,
    status: &'static str,
    changes: Option<Changes>,
}

/// A document as the record lists it.
struct DocumentRow {
    href: String,
    name: String,
    detail: String,
}

pub(super) fn patient_id(raw: &str) -> Result<PatientId, PageError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

pub(super) async fn record_page(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    id: PatientId,
    done: String,
    link_email: String,
    errors: Errors,
) -> Result<RecordPage, PageError> {
    let p = patients::get_patient(state, ctx, caller, id).await?;
    let today = date_of(&caller.clinic, state.now());
    let born = match p.details.birth {
        Some(b) if b.estimated => format!("about {} (age given)", b.date.year()),
        Some(b) => b.date.strftime("%-d %b %Y").to_string(),
        None => "not recorded".into(),
    };
    let is_desk = caller.has_any(&[Role::Admin, Role::Receptionist]);
    let doctors = if is_desk {
        desk_doctor_choices(state, caller.clinic.id, today).await?
    } else {
        Vec::new()
    };
    let priorities = Priority::ALL
        .iter()
        .map(|p| Choice {
            id: p.as_str().to_owned(),
            name: p.label().to_owned(),
            selected: *p == Priority::Normal,
        })
        .collect();
    let tokens_today = store::queue::of_patient(
        state.store().conn(),
        caller.clinic.id,
        p.id,
        &today.to_string(),
    )
    .await
    .map_err(AppError::from)?
    .into_iter()
    .map(|t| {
        format!(
            "Token {} · {} · {}",
            t.number,
            t.doctor_name,
            t.status.label().to_lowercase()
        )
    })
    .collect();
    let zone = zone_of(&caller.clinic);
    let documents = crate::app::documents::list_documents(state, ctx, caller, p.id)
        .await?
        .into_iter()
        .map(|d| DocumentRow {
            href: format!(
                "/clinics/{}/patients/{}/documents/{}",
                caller.clinic.id, p.id, d.id
            ),
            detail: format!(
                "{} · {} KB · {} · {}",
                d.category.label(),
                (d.size_bytes + 1023) / 1024,
                d.uploader_name,
                d.created_at.to_zoned(zone.clone()).strftime("%-d %b %Y")
            ),
            name: d.file_name,
        })
        .collect();
    let now = state.now();
    let upcoming = crate::app::appointments::upcoming_of_patient(state, caller, p.id, 20)
        .await?
        .into_iter()
        .map(|a| UpcomingRow {
            when: crate::app::notices::local_time(&caller.clinic.time_zone, a.start),
            detail: format!("{} · {} · {}", a.doctor_name, a.visit_type_name, a.ref_code),
            status: a.status.label(),
            changes: Changes::of(&a, now, &Back::record()),
        })
        .collect();
    let categories = DocCategory::ALL
        .iter()
        .map(|c| Choice {
            id: c.as_str().to_owned(),
            name: c.label().to_owned(),
            selected: *c == DocCategory::Report,
        })
        .collect();
    Ok(RecordPage {
        documents,
        categories,
        upload_alert: None,
        upcoming,
        notice: None,
        nav: nav(state, &caller.me, "patients").await?,
        clinic_id: caller.clinic.id.to_string(),
        row: PatientRow::of(&p, today),
        p,
        done,
        born,
        link_email,
        errors,
        is_desk,
        doctors,
        priorities,
        tokens_today,
    })
}

/// GET /clinics/{clinic_id}/patients/{patient_id}: one record (the read is audited).
pub async fn show(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    Path((_, id)): Path<(String, String)>,
    QueryOr(q): QueryOr<SearchQuery>,
    QueryOr(changed): QueryOr<Done>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller(&state).await?;
    let mut page = record_page(
        &state,
        &ctx,
        &caller,
        patient_id(&id)?,
        q.done,
        String::new(),
        Errors::default(),
    )
    .await?;
    page.notice = changed.notice(&caller.clinic);
    Ok(Outcome::OK.render(&page))
}

/// GET /clinics/{clinic_id}/patients/{patient_id}/edit.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller(&state).await?;
    let id = patient_id(&id)?;
    let p = patients::get_patient(&state, &ctx, &caller, id).await?;
    let nav = nav(&state, &caller.me, "patients").await?;
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
    Path((_, id)): Path<(String, String)>,
    PageForm(form): PageForm<PatientForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller(&state).await?;
    let id = patient_id(&id)?;
    match patients::update_patient(&state, &ctx, &caller, id, &form).await {
        Ok(p) => Ok(see_other(&format!(
            "/clinics/{}/patients/{}?done=saved",
            caller.clinic.id, p.id
        ))),
        Err(e) => failed(&state, &caller, Some(id), form, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    email: String,
}

/// POST /clinics/{clinic_id}/patients/{patient_id}/link: link the patient's own login.
pub async fn link(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    Path((_, id)): Path<(String, String)>,
    PageForm(form): PageForm<LinkForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller(&state).await?;
    let id = patient_id(&id)?;
    match patients::link_account(&state, &ctx, &caller, id, &form.email).await {
        Ok(p) => Ok(see_other(&format!(
            "/clinics/{}/patients/{}?done=linked",
            caller.clinic.id, p.id
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, &[("email", "Account e-mail")])?;
            let page =
                record_page(&state, &ctx, &caller, id, String::new(), form.email, errors).await?;
            Ok(outcome.render(&page))
        }
    }
}

/// The token form's doctors: a prompt first, so the desk chooses; doctors working today
/// next; a doctor without hours today says so.
async fn desk_doctor_choices(
    state: &AppState,
    clinic: domain::ClinicId,
    today: jiff::civil::Date,
) -> Result<Vec<Choice>, PageError> {
    let prompt = Choice {
        id: String::new(),
        name: "Choose a doctor".into(),
        selected: true,
    };
    let list = doctors::for_desk(state, clinic, today).await?;
    Ok(std::iter::once(prompt)
        .chain(list.into_iter().map(|(d, works)| Choice {
            id: d.id.to_string(),
            name: if works {
                d.name
            } else {
                format!("{} (no hours today)", d.name)
            },
            selected: false,
        }))
        .collect())
}
