//! The public booking flow's first two screens: the clinic page (doctor directory) and the
//! doctor page (week-by-week slot picker). The third, confirming, is in `book`.
//! Rescheduling reuses the same screens with `reschedule=<appointment id>`.

use super::{
    clinic_contact::ContactCard,
    error::{PageError, PagePath},
    forms::{Choice, QueryOr},
    layout::{MaybeUser, Nav},
};
use crate::routes;
use crate::{
    app::{
        doctors,
        local_time::zone_of,
        schedule,
        slots::{self, SlotSearch},
    },
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::{AppointmentId, Currency, DoctorId, Money, SpecialtyId, VisitTypeId};
use jiff::civil::Date;
use serde::Deserialize;
use store::{clinics::Clinic, schedules::VisitType};

pub(super) use super::slot_choice::{Chosen, Trouble};

/// The confirm page for one slot (moving appointment `reschedule`, when not empty).
pub(super) fn book_href(
    slug: &str,
    doctor: &str,
    vt: &str,
    start: &str,
    reschedule: &str,
) -> String {
    let book = routes::public_book(slug);
    let mut href = format!("{book}?doctor={doctor}&visit_type={vt}&start={start}");
    if !reschedule.is_empty() {
        href.push_str("&reschedule=");
        href.push_str(reschedule);
    }
    href
}

pub(super) async fn clinic_by_slug(state: &AppState, slug: &str) -> Result<Clinic, PageError> {
    Ok(crate::app::clinics::by_slug(state, slug).await?)
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
    contact: ContactCard,
    specialties: Vec<Choice>,
    doctors: Vec<DoctorCard>,
    filtered: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DirectoryQuery {
    specialty: String,
}

/// GET /c/{slug}: the clinic's doctors, filtered by specialty.
pub async fn clinic_page(
    State(state): State<AppState>,
    maybe: MaybeUser,
    Path(slug): Path<String>,
    QueryOr(q): QueryOr<DirectoryQuery>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let specialty: Option<SpecialtyId> = q.specialty.parse().ok();
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
            href: routes::public_doctor(&clinic.slug, d.id),
            specialties: d
                .specialties
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            qualifications: d.qualifications,
            languages: d.languages.join(", "),
            fee: Money::new(&clinic.currency, d.fee_minor).to_string(),
            name: d.name,
        })
        .collect();
    let page = ClinicPage {
        nav: maybe.nav(&state, "home").await?,
        contact: ContactCard::of(&clinic.details),
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

/// The week of free times a picker shows (from today when none or a past one is asked),
/// and the weeks around it.
pub(super) struct Week {
    pub start: Date,
    pub label: String,
    /// The week before, unless this one starts today.
    pub prev: Option<Date>,
    pub next: Date,
}

impl Week {
    pub fn asked(raw: &str, today: Date) -> Week {
        let days = |n: i64| jiff::Span::new().days(n);
        let start = raw
            .parse::<Date>()
            .ok()
            .filter(|d| *d >= today)
            .unwrap_or(today);
        let end = start.checked_add(days(6)).unwrap_or(start);
        Week {
            start,
            label: format!(
                "{} – {}",
                start.strftime("%-d %b"),
                end.strftime("%-d %b %Y")
            ),
            prev: (start > today).then(|| start.checked_sub(days(7)).unwrap_or(today).max(today)),
            next: start.checked_add(days(7)).unwrap_or(start),
        }
    }
}

/// The visit type asked for (else the first offered), and the options to pick from.
pub(super) fn visit_type_choices<'a>(
    types: &'a [VisitType],
    asked: &str,
    currency: &Currency,
) -> (Option<&'a VisitType>, Vec<Choice>) {
    let wanted: Option<VisitTypeId> = asked.parse().ok();
    let vt = types
        .iter()
        .find(|t| Some(t.id) == wanted)
        .or(types.first());
    let choices = types
        .iter()
        .map(|t| Choice {
            id: t.id.to_string(),
            name: format!(
                "{} · {} min · {}",
                t.name,
                t.duration_min,
                Money::new(currency, t.price_minor)
            ),
            selected: vt.is_some_and(|v| v.id == t.id),
        })
        .collect();
    (vt, choices)
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
#[serde(default)]
pub struct DoctorQuery {
    visit_type: String,
    week: String,
    reschedule: String,
}

/// GET /c/{slug}/doctors/{doctor_id}: profile and a week of free slots.
pub async fn doctor_page(
    State(state): State<AppState>,
    maybe: MaybeUser,
    PagePath((slug, doctor_id)): PagePath<(String, DoctorId)>,
    QueryOr(q): QueryOr<DoctorQuery>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let doctor = doctors::get_doctor(&state, clinic.id, doctor_id).await?;
    let types = schedule::list_visit_types(&state, clinic.id, Some(doctor.id)).await?;
    let (vt, visit_types) = visit_type_choices(&types, &q.visit_type, &clinic.currency);
    let week = Week::asked(&q.week, state.now().to_zoned(zone_of(&clinic)).date());
    let reschedule: Option<AppointmentId> = q.reschedule.parse().ok();
    let reschedule_raw = &reschedule.map(|r| r.to_string()).unwrap_or_default();
    let reschedule_q = reschedule
        .map(|r| format!("&reschedule={r}"))
        .unwrap_or_default();
    let base = routes::public_doctor(&clinic.slug, doctor.id);
    let vt_q = vt
        .map(|v| format!("visit_type={}", v.id))
        .unwrap_or_default();
    let days = match vt {
        Some(vt) => {
            let (doctor_id, vt_id) = (doctor.id.to_string(), vt.id.to_string());
            free_week(
                &state,
                &clinic,
                doctor.id,
                vt.id,
                week.start,
                false,
                |start| book_href(&clinic.slug, &doctor_id, &vt_id, start, reschedule_raw),
            )
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
        fee: Money::new(&clinic.currency, doctor.fee_minor).to_string(),
        visit_types,
        visit_type_label: vt.map(|v| v.name.clone()).unwrap_or_default(),
        prev_href: week.prev.map(&week_href),
        next_href: week_href(week.next),
        week_label: week.label,
        days,
        reschedule: reschedule_raw.clone(),
        doctor,
        clinic,
    };
    Ok(super::forms::Outcome::OK.render(&page))
}
