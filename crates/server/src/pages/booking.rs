//! The public booking flow: clinic page (doctor directory) → doctor page (week-by-week slot
//! picker) → confirm (sign in or register inline) → My appointments. Rescheduling reuses
//! the same screens with `reschedule=<appointment id>`.

use super::{
    error::PageError,
    forms::{Errors, Label, PageForm, QueryOr, failure, see_other_with_cookies},
    layout::{MaybeUser, Nav},
};
use crate::{
    app::{
        accounts,
        booking::{self, BookInput, PatientChoice},
        doctors,
        notices::local_time,
        schedule::{self, zone_of},
        sessions,
        slots::{self, SlotSearch},
    },
    auth::{CurrentUser, RequestCtx, extract::ClinicCaller},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use domain::{AppointmentId, DoctorId, SpecialtyId, VisitTypeId};
use jiff::{Timestamp, civil::Date};
use serde::Deserialize;
use std::sync::Arc;
use store::clinics::Clinic;

const BOOK_FIELDS: &[Label] = &[
    ("reason", "Reason"),
    ("name", "Name"),
    ("email", "E-mail"),
    ("password", "Password"),
];

/// `INR 500.00`.
pub fn money(minor: i64, currency: &str) -> String {
    format!("{currency} {}.{:02}", minor / 100, minor % 100)
}

async fn clinic_by_slug(state: &AppState, slug: &str) -> Result<Clinic, PageError> {
    if slug.len() > 40 {
        return Err(AppError::NotFound.into());
    }
    Ok(store::clinics::find_by_slug(state.store().conn(), slug)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?)
}

fn parse_opt<T: std::str::FromStr>(v: &Option<String>) -> Option<T> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
}

struct DoctorCard {
    href: String,
    name: String,
    specialties: String,
    qualifications: String,
    languages: String,
    fee: String,
}

struct Choice {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "clinic_public.html")]
struct ClinicPage {
    nav: Nav,
    clinic: Clinic,
    specialties: Vec<Choice>,
    doctors: Vec<DoctorCard>,
    filtered: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct DirectoryQuery {
    specialty: Option<String>,
}

/// GET /c/{slug}: the clinic's doctors, filtered by specialty.
pub async fn clinic_page(
    State(state): State<AppState>,
    maybe: MaybeUser,
    Path(slug): Path<String>,
    QueryOr(q): QueryOr<DirectoryQuery>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let specialty: Option<SpecialtyId> = parse_opt(&q.specialty);
    let specialties = doctors::list_specialties(&state, clinic.id)
        .await?
        .into_iter()
        .map(|s| Choice {
            selected: Some(s.id) == specialty,
            id: s.id.to_string(),
            name: s.name,
        })
        .collect();
    let doctors = doctors::list_doctors(&state, clinic.id, specialty, 100, 0)
        .await?
        .into_iter()
        .map(|d| DoctorCard {
            href: format!("/c/{}/doctors/{}", clinic.slug, d.id),
            specialties: d
                .specialties
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            qualifications: d.qualifications,
            languages: d.languages.join(", "),
            fee: money(d.fee_minor, &clinic.currency),
            name: d.name,
        })
        .collect();
    let page = ClinicPage {
        nav: maybe.nav(&state, "home").await?,
        clinic,
        specialties,
        doctors,
        filtered: specialty.is_some(),
    };
    Ok(super::forms::Outcome::OK.render(&page))
}

struct SlotLink {
    time: String,
    href: String,
}

struct Day {
    label: String,
    slots: Vec<SlotLink>,
}

#[derive(Template)]
#[template(path = "doctor_public.html")]
struct DoctorPage {
    nav: Nav,
    clinic: Clinic,
    doctor: store::doctors::Doctor,
    specialties: String,
    fee: String,
    visit_types: Vec<Choice>,
    visit_type_label: String,
    week_label: String,
    prev_href: Option<String>,
    next_href: String,
    days: Vec<Day>,
    reschedule: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoctorQuery {
    visit_type: Option<String>,
    week: Option<String>,
    reschedule: Option<String>,
}

/// GET /c/{slug}/doctors/{doctor_id}: profile and a week of free slots.
pub async fn doctor_page(
    State(state): State<AppState>,
    maybe: MaybeUser,
    Path((slug, doctor)): Path<(String, String)>,
    QueryOr(q): QueryOr<DoctorQuery>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let doctor_id: DoctorId = doctor.parse().map_err(|_| AppError::NotFound)?;
    let doctor = doctors::get_doctor(&state, clinic.id, doctor_id).await?;
    let types = schedule::list_visit_types(&state, clinic.id, Some(doctor.id)).await?;
    let wanted: Option<VisitTypeId> = parse_opt(&q.visit_type);
    let vt = types
        .iter()
        .find(|t| Some(t.id) == wanted)
        .or(types.first())
        .cloned();
    let today = state.now().to_zoned(zone_of(&clinic)).date();
    let week: Date = parse_opt::<Date>(&q.week)
        .filter(|d| *d >= today)
        .unwrap_or(today);
    let week_end = week.checked_add(jiff::Span::new().days(6)).unwrap_or(week);
    let reschedule: Option<AppointmentId> = parse_opt(&q.reschedule);
    let reschedule_q = reschedule
        .map(|r| format!("&reschedule={r}"))
        .unwrap_or_default();
    let base = format!("/c/{}/doctors/{}", clinic.slug, doctor.id);
    let vt_q = vt
        .as_ref()
        .map(|v| format!("visit_type={}", v.id))
        .unwrap_or_default();
    let mut days: Vec<Day> = Vec::new();
    if let Some(vt) = &vt {
        let search = SlotSearch {
            doctor: Some(doctor.id),
            visit_type: Some(vt.id),
            from: Some(week),
            to: Some(week_end),
            ..SlotSearch::default()
        };
        let (_, _, found) = slots::search_slots(&state, &clinic, &search, false).await?;
        let zone = zone_of(&clinic);
        for s in found.into_iter().flat_map(|d| d.slots) {
            let z = s.start.to_zoned(zone.clone());
            let label = z.strftime("%A %-d %B").to_string();
            let link = SlotLink {
                time: z.strftime("%H:%M").to_string(),
                href: format!(
                    "/c/{}/book?doctor={}&visit_type={}&start={}{reschedule_q}",
                    clinic.slug, doctor.id, vt.id, s.start
                ),
            };
            match days.last_mut() {
                Some(d) if d.label == label => d.slots.push(link),
                _ => days.push(Day {
                    label,
                    slots: vec![link],
                }),
            }
        }
    }
    let week_href = |d: Date| format!("{base}?{vt_q}&week={d}{reschedule_q}");
    let page = DoctorPage {
        nav: maybe.nav(&state, "home").await?,
        specialties: doctor
            .specialties
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        fee: money(doctor.fee_minor, &clinic.currency),
        visit_types: types
            .iter()
            .map(|t| Choice {
                id: t.id.to_string(),
                name: format!(
                    "{} · {} min · {}",
                    t.name,
                    t.duration_min,
                    money(t.price_minor, &clinic.currency)
                ),
                selected: vt.as_ref().is_some_and(|v| v.id == t.id),
            })
            .collect(),
        visit_type_label: vt.as_ref().map(|v| v.name.clone()).unwrap_or_default(),
        week_label: format!(
            "{} – {}",
            week.strftime("%-d %b"),
            week_end.strftime("%-d %b %Y")
        ),
        prev_href: (week > today).then(|| {
            week_href(
                week.checked_sub(jiff::Span::new().days(7))
                    .unwrap_or(today)
                    .max(today),
            )
        }),
        next_href: week_href(week.checked_add(jiff::Span::new().days(7)).unwrap_or(week)),
        days,
        reschedule: reschedule.map(|r| r.to_string()).unwrap_or_default(),
        doctor,
        clinic,
    };
    Ok(super::forms::Outcome::OK.render(&page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BookForm {
    doctor: String,
    visit_type: String,
    start: String,
    reschedule: String,
    reason: String,
    name: String,
    email: String,
    password: String,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    nav: Nav,
    clinic: Clinic,
    signed_in: bool,
    doctor_name: String,
    visit_type_name: String,
    when: String,
    fee: String,
    form: BookForm,
    login_href: String,
    back_href: String,
    alert: Option<String>,
    alternatives: Vec<SlotLink>,
    errors: Errors,
}

impl BookPage {
    fn rescheduling(&self) -> bool {
        !self.form.reschedule.is_empty()
    }
}

async fn book_page(
    state: &AppState,
    maybe: &MaybeUser,
    clinic: Clinic,
    form: BookForm,
    alert: Option<String>,
    alternatives: Vec<SlotLink>,
    errors: Errors,
) -> Result<BookPage, PageError> {
    let doctor_id: DoctorId = form.doctor.parse().map_err(|_| AppError::NotFound)?;
    let doctor = doctors::get_doctor(state, clinic.id, doctor_id).await?;
    let vt_id: VisitTypeId = form.visit_type.parse().map_err(|_| AppError::NotFound)?;
    let vt = schedule::list_visit_types(state, clinic.id, Some(doctor.id))
        .await?
        .into_iter()
        .find(|v| v.id == vt_id)
        .ok_or(AppError::NotFound)?;
    let start: Timestamp = form.start.parse().map_err(|_| AppError::NotFound)?;
    let query = format!(
        "/c/{}/book?doctor={}&visit_type={}&start={}{}",
        clinic.slug,
        doctor.id,
        vt.id,
        start,
        if form.reschedule.is_empty() {
            String::new()
        } else {
            format!("&reschedule={}", form.reschedule)
        }
    );
    Ok(BookPage {
        nav: maybe.nav(state, "home").await?,
        signed_in: maybe.0.is_some(),
        doctor_name: doctor.name.clone(),
        visit_type_name: format!("{} ({} min)", vt.name, vt.duration_min),
        when: local_time(&clinic, start),
        fee: money(vt.price_minor.max(doctor.fee_minor), &clinic.currency),
        login_href: format!("/login?next={}", urlencode(&query)),
        back_href: format!(
            "/c/{}/doctors/{}?visit_type={}",
            clinic.slug, doctor.id, vt.id
        ),
        form,
        alert,
        alternatives,
        errors,
        clinic,
    })
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .map(|e| e.trim_start_matches("x=").to_owned())
        .unwrap_or_default()
}

/// GET /c/{slug}/book: confirm a chosen slot.
pub async fn confirm(
    State(state): State<AppState>,
    maybe: MaybeUser,
    Path(slug): Path<String>,
    QueryOr(q): QueryOr<BookQuery>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let form = BookForm {
        doctor: q.doctor.unwrap_or_default(),
        visit_type: q.visit_type.unwrap_or_default(),
        start: q.start.unwrap_or_default(),
        reschedule: q.reschedule.unwrap_or_default(),
        ..BookForm::default()
    };
    let page = book_page(
        &state,
        &maybe,
        clinic,
        form,
        None,
        Vec::new(),
        Errors::default(),
    )
    .await?;
    Ok(super::forms::Outcome::OK.render(&page))
}

#[derive(Debug, Default, Deserialize)]
pub struct BookQuery {
    doctor: Option<String>,
    visit_type: Option<String>,
    start: Option<String>,
    reschedule: Option<String>,
}

/// POST /c/{slug}/book: book (or move) the slot; a visitor without an account registers
/// in the same form.
pub async fn book(
    State(state): State<AppState>,
    ctx: RequestCtx,
    maybe: MaybeUser,
    Path(slug): Path<String>,
    PageForm(form): PageForm<BookForm>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let mut cookies = Vec::new();
    let me = match &maybe.0 {
        Some(me) => me.clone(),
        None => {
            let input = accounts::Registration {
                email: &form.email,
                name: &form.name,
                password: &form.password,
            };
            let registered = match accounts::register_patient(&state, &ctx, input).await {
                Ok(u) => sessions::login(&state, &ctx, &u.email, &form.password).await,
                Err(e) => Err(e),
            };
            match registered {
                Ok((_, tokens)) => {
                    cookies.extend(sessions::session_cookies(&state, &tokens));
                    let ident = sessions::identify_access(&state, &tokens.access_token)
                        .await?
                        .ok_or(AppError::Unauthorized)?;
                    CurrentUser(Arc::new(ident))
                }
                Err(e) => return failed(&state, &maybe, clinic, form, e).await,
            }
        }
    };
    let roles = store::memberships::roles_in(state.store().conn(), clinic.id, me.id())
        .await
        .map_err(AppError::from)?;
    let caller = ClinicCaller {
        me,
        clinic: clinic.clone(),
        roles,
    };
    let Ok(start) = form.start.parse::<Timestamp>() else {
        return Err(AppError::NotFound.into());
    };
    let result = match form.reschedule.parse::<AppointmentId>() {
        Ok(old) => booking::reschedule(&state, &ctx, &caller, old, start)
            .await
            .map(|a| (a, "moved")),
        Err(_) => {
            let input = BookInput {
                doctor: form.doctor.parse().map_err(|_| AppError::NotFound)?,
                visit_type: form.visit_type.parse().map_err(|_| AppError::NotFound)?,
                start,
                patient: PatientChoice::Me,
                reason: form.reason.clone(),
                source: None,
                allow_patient_overlap: false,
            };
            booking::book(&state, &ctx, &caller, &input, None)
                .await
                .map(|(a, _)| (a, "booked"))
        }
    };
    match result {
        Ok((a, what)) => Ok(see_other_with_cookies(
            &format!("/appointments?{what}={}", a.ref_code),
            cookies,
        )),
        Err(e) => {
            // A visitor who just registered is signed in from now on, even if the slot went.
            let maybe = MaybeUser(Some(caller.me.clone()));
            let mut res = failed(&state, &maybe, clinic, form, e).await?;
            for c in cookies {
                res.headers_mut().append(axum::http::header::SET_COOKIE, c);
            }
            Ok(res)
        }
    }
}

/// Re-renders the confirm page with what went wrong.
async fn failed(
    state: &AppState,
    maybe: &MaybeUser,
    clinic: Clinic,
    form: BookForm,
    e: AppError,
) -> Result<Response, PageError> {
    let (status, alert, alternatives, errors) = match e {
        AppError::SlotTaken { alternatives } => {
            let links = alternatives
                .iter()
                .filter_map(|a| {
                    let t: Timestamp = a.start.parse().ok()?;
                    Some(SlotLink {
                        time: local_time(&clinic, t),
                        href: format!(
                            "/c/{}/book?doctor={}&visit_type={}&start={}{}",
                            clinic.slug,
                            form.doctor,
                            form.visit_type,
                            a.start,
                            if form.reschedule.is_empty() {
                                String::new()
                            } else {
                                format!("&reschedule={}", form.reschedule)
                            }
                        ),
                    })
                })
                .collect();
            (
                StatusCode::CONFLICT,
                Some(
                    "Sorry, someone has just taken this slot. These are the nearest free ones:"
                        .to_owned(),
                ),
                links,
                Errors::default(),
            )
        }
        AppError::Refused { message, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
            Vec::new(),
            Errors::default(),
        ),
        AppError::Conflict(message) => (
            StatusCode::CONFLICT,
            Some(message),
            Vec::new(),
            Errors::default(),
        ),
        other => {
            let (outcome, errors) = failure(other, BOOK_FIELDS)?;
            (outcome.status, None, Vec::new(), errors)
        }
    };
    let form = BookForm {
        password: String::new(),
        ..form
    };
    let page = book_page(state, maybe, clinic, form, alert, alternatives, errors).await?;
    Ok(super::forms::Outcome {
        status,
        retry_after: None,
    }
    .render(&page))
}
