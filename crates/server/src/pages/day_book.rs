//! Booking on a patient's behalf (the desk, or a doctor booking a follow-up): choose a
//! doctor and a free time (the notice rule does not bind staff), then a patient of the
//! clinic or a new one, then book.

use super::{
    booking::{Chosen, Day, SlotLink, Trouble, Week, free_week, visit_type_choices},
    error::{Page, PageError},
    forms::{Choice, Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{
        booking::{self, BookInput, PatientChoice},
        doctors,
        local_time::zone_of,
        patients, schedule,
    },
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{DoctorId, PatientId, Source};
use jiff::{Timestamp, civil::Date};
use serde::Deserialize;
use store::clinics::Clinic;

const PATIENT_FIELDS: &[Label] = &[
    ("name", "Name"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("reason", "Reason"),
    ("q", "Search"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PickQuery {
    doctor: String,
    visit_type: String,
    week: String,
    patient: String,
}

#[derive(Template)]
#[template(path = "day_book.html")]
struct PickPage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    time_zone: String,
    doctors: Vec<Choice>,
    visit_types: Vec<Choice>,
    patient: String,
    week_label: String,
    prev_href: Option<String>,
    next_href: String,
    days: Vec<Day>,
}

/// The confirm step for one slot.
fn confirm_href(clinic: &Clinic, doctor: &str, vt: &str, start: &str, patient: &str) -> String {
    let mut q = vec![("doctor", doctor), ("visit_type", vt), ("start", start)];
    if !patient.is_empty() {
        q.push(("patient", patient));
    }
    format!(
        "/clinics/{}/book/confirm?{}",
        clinic.id,
        serde_urlencoded::to_string(q).unwrap_or_default()
    )
}

/// GET /clinics/{clinic_id}/book: a doctor's free times, week by week.
pub async fn pick(
    State(state): State<AppState>,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    QueryOr(q): QueryOr<PickQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let clinic = caller.clinic();
    let list = doctors::list_doctors(&state, clinic.id, None, 500, 0).await?;
    let wanted: Option<DoctorId> = q.doctor.parse().ok();
    let doctor = list.iter().find(|d| Some(d.id) == wanted).or(list.first());
    let types = match doctor {
        Some(d) => schedule::list_visit_types(&state, clinic.id, Some(d.id)).await?,
        None => Vec::new(),
    };
    let (vt, visit_types) = visit_type_choices(&types, &q.visit_type, &clinic.currency);
    let week = Week::asked(&q.week, state.now().to_zoned(zone_of(clinic)).date());
    let patient = q
        .patient
        .parse::<PatientId>()
        .ok()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let days = match (doctor, vt) {
        (Some(d), Some(v)) => {
            let (d_id, v_id) = (d.id.to_string(), v.id.to_string());
            free_week(&state, clinic, d.id, v.id, week.start, true, |start| {
                confirm_href(clinic, &d_id, &v_id, start, &patient)
            })
            .await?
        }
        _ => Vec::new(),
    };
    let week_href = |w: Date| {
        let mut q = vec![("week", w.to_string())];
        if let Some(d) = doctor {
            q.push(("doctor", d.id.to_string()));
        }
        if let Some(v) = vt {
            q.push(("visit_type", v.id.to_string()));
        }
        if !patient.is_empty() {
            q.push(("patient", patient.clone()));
        }
        format!(
            "/clinics/{}/book?{}",
            clinic.id,
            serde_urlencoded::to_string(q).unwrap_or_default()
        )
    };
    let page = PickPage {
        nav: nav(&state, caller.person()?, "book").await?,
        clinic_id: clinic.id,
        time_zone: clinic.time_zone.clone(),
        doctors: list
            .iter()
            .map(|d| Choice {
                id: d.id.to_string(),
                name: d.name.clone(),
                selected: doctor.is_some_and(|x| x.id == d.id),
            })
            .collect(),
        visit_types,
        patient: patient.clone(),
        prev_href: week.prev.map(&week_href),
        next_href: week_href(week.next),
        week_label: week.label,
        days,
    };
    Ok(Outcome::OK.render(&page))
}

/// The confirm step as typed: the slot, the patient (an id, or `new` with details), why.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    doctor: String,
    visit_type: String,
    start: String,
    /// A patient id, or `new`.
    patient: String,
    /// Search text for patients (GET only).
    q: String,
    name: String,
    phone: String,
    email: String,
    reason: String,
    /// `desk` or `phone`.
    source: String,
    allow_overlap: Option<String>,
}

struct PatientOption {
    id: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "day_confirm.html")]
struct ConfirmPage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    doctor_name: String,
    visit_type_name: String,
    when: String,
    fee: String,
    back_href: String,
    form: ConfirmForm,
    searched: bool,
    results: Vec<PatientOption>,
    new_checked: bool,
    offer_override: bool,
    alert: Option<String>,
    alternatives: Vec<SlotLink>,
    errors: Errors,
}

async fn confirm_page(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    form: ConfirmForm,
    trouble: Trouble,
) -> Result<ConfirmPage, PageError> {
    let clinic = caller.clinic();
    let slot = Chosen::load(state, clinic, &form.doctor, &form.visit_type, &form.start).await?;
    let mut errors = trouble.errors;
    let mut results = Vec::new();
    let searched = !form.q.trim().is_empty();
    if searched {
        match patients::search_patients(state, ctx, caller, &form.q).await {
            Ok(list) => results.extend(list.into_iter().map(|p| PatientOption {
                checked: form.patient == p.id.to_string(),
                label: patient_label(&p),
                id: p.id.to_string(),
            })),
            Err(e) => {
                let (_, more) = failure(e, PATIENT_FIELDS)?;
                errors = more;
            }
        }
    }
    // A patient chosen earlier (or passed from the picker) stays on offer.
    if let Ok(id) = form.patient.parse::<PatientId>()
        && !results.iter().any(|r| r.id == form.patient)
        && let Some(p) = patients::get_patient(state, ctx, caller, id)
            .await
            .map(Some)
            .or_else(|e| match e {
                AppError::NotFound => Ok(None),
                e => Err(e),
            })?
    {
        results.insert(
            0,
            PatientOption {
                id: p.id.to_string(),
                label: patient_label(&p),
                checked: true,
            },
        );
    }
    let new_checked = form.patient == "new" || (results.is_empty() && !form.name.is_empty());
    Ok(ConfirmPage {
        nav: nav(state, caller.person()?, "book").await?,
        clinic_id: clinic.id,
        doctor_name: slot.doctor.name,
        visit_type_name: slot.visit_type_name,
        when: slot.when,
        fee: slot.fee,
        back_href: format!(
            "/clinics/{}/book?doctor={}&visit_type={}",
            clinic.id, slot.doctor.id, slot.vt.id
        ),
        form,
        searched,
        results,
        new_checked,
        offer_override: trouble.conflict,
        alert: trouble.alert,
        alternatives: trouble.alternatives,
        errors,
    })
}

fn patient_label(p: &store::patients::Patient) -> String {
    let mut s = format!("{} · {}", p.details.name, p.mrn);
    if let Some(phone) = &p.details.phone {
        s.push_str(" · ");
        s.push_str(phone);
    }
    s
}

/// GET /clinics/{clinic_id}/book/confirm: choose or register the patient for a slot.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    QueryOr(form): QueryOr<ConfirmForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let page = confirm_page(&state, &ctx, &caller, form, Trouble::default()).await?;
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/book/confirm: book it; success returns to the day.
pub async fn book(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let start: Timestamp = form.start.parse().map_err(|_| AppError::NotFound)?;
    let patient = match form.patient.as_str() {
        "new" => Ok(PatientChoice::New {
            name: form.name.clone(),
            phone: form.phone.clone(),
            email: form.email.clone(),
        }),
        id => id
            .parse::<PatientId>()
            .map(PatientChoice::Existing)
            .map_err(|_| {
                AppError::field(
                    "patient",
                    "Choose a patient from the search, or register a new one.",
                )
            }),
    };
    let result = match patient {
        Ok(patient) => {
            let input = BookInput {
                doctor: form.doctor.parse().map_err(|_| AppError::NotFound)?,
                visit_type: form.visit_type.parse().map_err(|_| AppError::NotFound)?,
                start,
                patient,
                reason: form.reason.clone(),
                source: Some(if form.source == "phone" {
                    Source::Phone
                } else {
                    Source::Desk
                }),
                allow_patient_overlap: form.allow_overlap.is_some(),
            };
            booking::book(&state, &ctx, &caller, &input, None).await
        }
        Err(e) => Err(e),
    };
    let e = match result {
        Ok((a, _)) => {
            return Ok(see_other(&format!(
                "/clinics/{}/day?date={}&booked={}",
                caller.clinic_id(),
                a.local_date,
                a.ref_code
            )));
        }
        Err(e) => e,
    };
    let clinic = caller.clinic();
    let keep = if form.patient == "new" {
        ""
    } else {
        form.patient.as_str()
    };
    let trouble = Trouble::of(
        e,
        clinic,
        "This time has just been taken. The nearest free ones:",
        PATIENT_FIELDS,
        |start| confirm_href(clinic, &form.doctor, &form.visit_type, start, keep),
    )?;
    let status = trouble.status;
    let form = ConfirmForm {
        q: String::new(),
        ..form
    };
    let page = confirm_page(&state, &ctx, &caller, form, trouble).await?;
    Ok(Outcome {
        status,
        retry_after: None,
    }
    .render(&page))
}
