//! The public booking flow's first two screens: the clinic page (doctor directory) and the
//! doctor page (week-by-week slot picker). The third, confirming, is in `book`.
//! Rescheduling reuses the same screens with `reschedule=<appointment id>`.

use super::{
    error::PageError,
    forms::{Choice, QueryOr},
    layout::{MaybeUser, Nav},
};
use crate::{
    app::{
        doctors,
        schedule::{self, zone_of},
        slots::{self, SlotSearch},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::{AppointmentId, DoctorId, SpecialtyId, VisitTypeId};
use jiff::civil::Date;
use serde::Deserialize;
use store::clinics::Clinic;

/// `INR 500.00`.
pub fn money(minor: i64, currency: &str) -> String {
    format!("{currency} {}.{:02}", minor / 100, minor % 100)
}

/// The confirm page for one slot (moving appointment `reschedule`, when not empty).
pub(super) fn book_href(
    slug: &str,
    doctor: &str,
    vt: &str,
    start: &str,
    reschedule: &str,
) -> String {
    let mut href = format!("/c/{slug}/book?doctor={doctor}&visit_type={vt}&start={start}");
    if !reschedule.is_empty() {
        href.push_str("&reschedule=");
        href.push_str(reschedule);
    }
    href
}

pub(super) async fn clinic_by_slug(state: &AppState, slug: &str) -> Result<Clinic, PageError> {
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

pub(super) struct SlotLink {
    pub time: String,
    pub href: String,
}

/// One day of free slots.
pub(super) struct Day {
    pub label: String,
    pub slots: Vec<SlotLink>,
}

/// A doctor's free slots for one visit type in the seven days from `week`, by local day,
/// each linking to `href(start)` (`start` as a UTC instant). Staff ignore the notice rule.
pub(super) async fn free_week(
    state: &AppState,
    clinic: &Clinic,
    doctor: DoctorId,
    visit_type: VisitTypeId,
    week: Date,
    staff: bool,
    href: impl Fn(&str) -> String,
) -> Result<Vec<Day>, PageError> {
    let search = SlotSearch {
        doctor: Some(doctor),
        visit_type: Some(visit_type),
        from: Some(week),
        to: Some(week.checked_add(jiff::Span::new().days(6)).unwrap_or(week)),
        ..SlotSearch::default()
    };
    let (_, _, found) = slots::search_slots(state, clinic, &search, staff).await?;
    let zone = zone_of(clinic);
    let mut days: Vec<Day> = Vec::new();
    for s in found.into_iter().flat_map(|d| d.slots) {
        let z = s.start.to_zoned(zone.clone());
        let label = z.strftime("%A %-d %B").to_string();
        let link = SlotLink {
            time: z.strftime("%H:%M").to_string(),
            href: href(&s.start.to_string()),
        };
        match days.last_mut() {
            Some(d) if d.label == label => d.slots.push(link),
            _ => days.push(Day {
                label,
                slots: vec![link],
            }),
        }
    }
    Ok(days)
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
    let reschedule_raw = &reschedule.map(|r| r.to_string()).unwrap_or_default();
    let reschedule_q = reschedule
        .map(|r| format!("&reschedule={r}"))
        .unwrap_or_default();
    let base = format!("/c/{}/doctors/{}", clinic.slug, doctor.id);
    let vt_q = vt
        .as_ref()
        .map(|v| format!("visit_type={}", v.id))
        .unwrap_or_default();
    let days = match &vt {
        Some(vt) => {
            let (doctor_id, vt_id) = (doctor.id.to_string(), vt.id.to_string());
            free_week(&state, &clinic, doctor.id, vt.id, week, false, |start| {
                book_href(&clinic.slug, &doctor_id, &vt_id, start, reschedule_raw)
            })
            .await?
        }
        None => Vec::new(),
    };
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
        reschedule: reschedule_raw.clone(),
        doctor,
        clinic,
    };
    Ok(super::forms::Outcome::OK.render(&page))
}
