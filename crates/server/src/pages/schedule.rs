//! A doctor's schedule: weekly hours, time off and extra hours, and the visit types they
//! offer. Doctors edit their own; admins choose any doctor of the clinic. Visit-type forms
//! are shared with the clinic settings page.

use super::{
    desk::clinic_of,
    error::{Page, PageError},
    forms::{Choice, Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
    settings,
};
use crate::{
    app::{
        doctors::managed,
        exceptions::{self, ExceptionInput, ExceptionKind},
        schedule::{self, IntervalInput, VisitTypeInput, hhmm, zone_of},
    },
    auth::{
        RequestCtx,
        extract::{AdminOrDoctor, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::{DoctorId, DoctorStatus, ExceptionId, VisitMode, VisitTypeId};
use serde::Deserialize;
use std::collections::BTreeMap;
use store::{clinics::Clinic, schedules::ExceptionRow};

/// Blank rows offered under the existing intervals.
const BLANK_ROWS: usize = 3;
/// Rows a submitted hours form may carry.
const MAX_ROWS: usize = 60;

const EXCEPTION_FIELDS: &[Label] = &[
    ("from", "First day"),
    ("to", "Last day"),
    ("start", "From"),
    ("end", "Until"),
    ("note", "Note"),
];

pub(super) const VISIT_TYPE_FIELDS: &[Label] = &[
    ("name", "Name"),
    ("duration_min", "Length"),
    ("buffer_before_min", "Buffer before"),
    ("buffer_after_min", "Buffer after"),
    ("price_minor", "Price"),
    ("price", "Price"),
    ("mode", "Mode"),
];

/// One row of the weekly-hours form.
#[derive(Debug, Default, Clone)]
pub(super) struct HourRow {
    weekday: String,
    start: String,
    end: String,
    from: String,
    to: String,
    visit_types: Vec<String>,
}

impl HourRow {
    fn offers(&self, id: &str) -> bool {
        self.visit_types.iter().any(|v| v == id)
    }
}

/// A visit type as listed, with whether the viewer may retire it here.
pub(super) struct VisitTypeRow {
    pub id: String,
    pub name: String,
    pub detail: String,
    pub scope: &'static str,
    pub can_archive: bool,
}

/// The visit-type form as typed (price in major units, e.g. `500` or `450.50`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct VisitTypeForm {
    pub name: String,
    pub duration_min: String,
    pub buffer_before_min: String,
    pub buffer_after_min: String,
    pub price: String,
    pub mode: String,
    /// A doctor's own type, from the schedule page; empty from the clinic settings.
    pub doctor: String,
}

impl Default for VisitTypeForm {
    fn default() -> Self {
        VisitTypeForm {
            name: String::new(),
            duration_min: "15".into(),
            buffer_before_min: "0".into(),
            buffer_after_min: "0".into(),
            price: String::new(),
            mode: "in_person".into(),
            doctor: String::new(),
        }
    }
}

/// A leave, holiday or extra-hours entry as listed.
pub(super) struct ExceptionLine {
    pub id: String,
    pub kind: &'static str,
    pub dates: String,
    pub times: String,
    pub note: String,
    pub can_remove: bool,
}

impl ExceptionLine {
    pub fn of(e: &ExceptionRow, can_remove: bool) -> Self {
        let day = |d: jiff::civil::Date| d.strftime("%a %-d %b %Y").to_string();
        ExceptionLine {
            id: e.id.to_string(),
            kind: match e.kind.as_str() {
                "holiday" => "Clinic holiday",
                "extra" => "Extra hours",
                _ => "Leave",
            },
            dates: if e.date_from == e.date_to {
                day(e.date_from)
            } else {
                format!("{} – {}", day(e.date_from), day(e.date_to))
            },
            times: match (e.start_min, e.end_min) {
                (Some(s), Some(x)) => format!("{}–{}", hhmm(s), hhmm(x)),
                _ => "All day".into(),
            },
            note: e.note.clone(),
            can_remove,
        }
    }
}

/// The time-off form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ExceptionForm {
    from: String,
    to: String,
    start: String,
    end: String,
    note: String,
    /// Which button: `leave` or `extra`.
    kind: String,
}

impl ExceptionForm {
    fn input(&self) -> ExceptionInput {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        ExceptionInput {
            from: self.from.clone(),
            to: opt(&self.to),
            start: opt(&self.start),
            end: opt(&self.end),
            note: self.note.clone(),
        }
    }
}

/// Which form, if any, comes back with errors.
enum Failed {
    None,
    Hours(Vec<HourRow>, Errors),
    Exception(ExceptionForm, Errors),
    VisitType(VisitTypeForm, Errors),
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    nav: Nav,
    clinic_id: String,
    time_zone: String,
    is_admin: bool,
    doctors: Vec<Choice>,
    doctor: Option<DoctorView>,
    weekdays: [(&'static str, &'static str); 7],
    hour_rows: Vec<HourRow>,
    offered: Vec<Choice>,
    hours_errors: Errors,
    exceptions: Vec<ExceptionLine>,
    exception_form: ExceptionForm,
    exception_errors: Errors,
    visit_types: Vec<VisitTypeRow>,
    vt_form: VisitTypeForm,
    vt_errors: Errors,
    vt_action: String,
    notice: Option<&'static str>,
}

struct DoctorView {
    id: String,
    name: String,
    status: &'static str,
    approved: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ScheduleQuery {
    doctor: Option<String>,
    done: Option<String>,
}

/// The clinic's money in its minor unit: `450.50` → 45050. At most two decimals.
pub(super) fn parse_price(raw: &str) -> Result<i64, &'static str> {
    const MSG: &str = "Enter an amount like 500 or 450.50.";
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(0);
    }
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty()
        || whole.len() > 7
        || frac.len() > 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(MSG);
    }
    let whole: i64 = whole.parse().map_err(|_| MSG)?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| MSG)?;
    Ok(whole * 100 + frac)
}

/// A visit type's summary: `20 min (+5 after) · INR 500.00 · video`.
pub(super) fn visit_type_detail(v: &store::schedules::VisitType, clinic: &Clinic) -> String {
    let mut s = format!("{} min", v.duration_min);
    if v.buffer_before_min > 0 || v.buffer_after_min > 0 {
        s.push_str(&format!(
            " (+{} before, +{} after)",
            v.buffer_before_min, v.buffer_after_min
        ));
    }
    s.push_str(" · ");
    s.push_str(&super::booking::money(v.price_minor, &clinic.currency));
    if v.mode == VisitMode::Video {
        s.push_str(" · video");
    }
    s
}

/// The doctor the page is about: the one asked for (if the caller manages them), else the
/// caller's own profile, else (admins) the first doctor of the clinic.
async fn doctor_for(
    state: &AppState,
    scope: &ClinicScope<AdminOrDoctor>,
    asked: Option<&str>,
    all: &[store::doctors::Doctor],
) -> Result<Option<store::doctors::Doctor>, PageError> {
    let c = state.store().conn();
    if let Some(id) = asked.filter(|s| !s.is_empty()) {
        let id: DoctorId = id.parse().map_err(|_| AppError::NotFound)?;
        return Ok(Some(managed(c, scope, id).await?));
    }
    let own = store::doctors::of_user(c, scope.clinic, scope.me.id())
        .await
        .map_err(AppError::from)?;
    Ok(own.or_else(|| all.first().cloned()))
}

async fn render(
    state: &AppState,
    scope: &ClinicScope<AdminOrDoctor>,
    asked: Option<&str>,
    failed: Failed,
    notice: Option<&'static str>,
) -> Result<SchedulePage, PageError> {
    let clinic = clinic_of(state, scope.clinic).await?;
    let c = state.store().conn();
    let mut all = Vec::new();
    if scope.is_admin() {
        for status in [
            DoctorStatus::Approved,
            DoctorStatus::Pending,
            DoctorStatus::Suspended,
        ] {
            all.extend(
                store::doctors::list(c, clinic.id, status, None, 500, 0)
                    .await
                    .map_err(AppError::from)?,
            );
        }
    }
    let doctor = doctor_for(state, scope, asked, &all).await?;
    let doctors = all
        .iter()
        .map(|d| Choice {
            id: d.id.to_string(),
            name: d.name.clone(),
            selected: doctor.as_ref().is_some_and(|x| x.id == d.id),
        })
        .collect();
    let (mut hour_rows, mut offered, mut exception_lines, mut vt_rows) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if let Some(d) = &doctor {
        let types = schedule::list_visit_types(state, clinic.id, Some(d.id)).await?;
        offered = types
            .iter()
            .map(|v| Choice {
                id: v.id.to_string(),
                name: v.name.clone(),
                selected: false,
            })
            .collect();
        vt_rows = types
            .iter()
            .map(|v| VisitTypeRow {
                id: v.id.to_string(),
                name: v.name.clone(),
                detail: visit_type_detail(v, &clinic),
                scope: if v.doctor_id.is_some() {
                    "This doctor only"
                } else {
                    "Whole clinic"
                },
                can_archive: v.doctor_id.is_some(),
            })
            .collect();
        hour_rows = schedule::get_weekly_hours(state, clinic.id, d.id)
            .await?
            .iter()
            .map(|h| {
                let i = IntervalInput::from(h);
                HourRow {
                    weekday: i.weekday.to_string(),
                    start: i.start,
                    end: i.end,
                    from: i.valid_from.unwrap_or_default(),
                    to: i.valid_to.unwrap_or_default(),
                    visit_types: i.visit_types.iter().map(|v| v.to_string()).collect(),
                }
            })
            .collect();
        let today = state.now().to_zoned(zone_of(&clinic)).date();
        exception_lines = exceptions::upcoming(state, scope, Some(d.id), today)
            .await?
            .iter()
            .map(|e| ExceptionLine::of(e, e.doctor_id.is_some()))
            .collect();
    }
    let mut hours_errors = Errors::default();
    let mut exception_form = ExceptionForm::default();
    let mut exception_errors = Errors::default();
    let mut vt_form = VisitTypeForm::default();
    let mut vt_errors = Errors::default();
    match failed {
        Failed::None => {}
        Failed::Hours(rows, e) => {
            hour_rows = rows;
            hours_errors = e;
        }
        Failed::Exception(f, e) => {
            exception_form = f;
            exception_errors = e;
        }
        Failed::VisitType(f, e) => {
            vt_form = f;
            vt_errors = e;
        }
    }
    hour_rows.extend(std::iter::repeat_n(HourRow::default(), BLANK_ROWS));
    if let Some(d) = &doctor {
        vt_form.doctor = d.id.to_string();
    }
    Ok(SchedulePage {
        nav: nav(state, &scope.me, "schedule").await?,
        clinic_id: clinic.id.to_string(),
        time_zone: clinic.time_zone.clone(),
        is_admin: scope.is_admin(),
        doctors,
        doctor: doctor.map(|d| DoctorView {
            id: d.id.to_string(),
            approved: d.status == DoctorStatus::Approved,
            status: d.status.as_str(),
            name: d.name,
        }),
        weekdays: [
            ("1", "Monday"),
            ("2", "Tuesday"),
            ("3", "Wednesday"),
            ("4", "Thursday"),
            ("5", "Friday"),
            ("6", "Saturday"),
            ("7", "Sunday"),
        ],
        hour_rows,
        offered,
        hours_errors,
        exceptions: exception_lines,
        exception_form,
        exception_errors,
        visit_types: vt_rows,
        vt_form,
        vt_errors,
        vt_action: format!("/clinics/{}/visit-types", clinic.id),
        notice,
    })
}

fn back(clinic: impl std::fmt::Display, doctor: impl std::fmt::Display) -> String {
    format!("/clinics/{clinic}/schedule?doctor={doctor}&done=1")
}

/// GET /clinics/{clinic_id}/schedule[?doctor=…].
pub async fn show(
    State(state): State<AppState>,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    QueryOr(q): QueryOr<ScheduleQuery>,
) -> Result<Response, PageError> {
    let notice = q.done.is_some().then_some("Saved.");
    let page = render(&state, &scope, q.doctor.as_deref(), Failed::None, notice).await?;
    Ok(Outcome::OK.render(&page))
}

/// Reads the weekly-hours form: per row `w{i}`, `s{i}`, `e{i}`, `f{i}`, `t{i}`, `rm{i}` and
/// any number of `vt{i}`. Rows without a weekday, and rows marked for removal, are dropped.
fn hour_rows(pairs: &[(String, String)]) -> Result<Vec<HourRow>, AppError> {
    let mut rows: BTreeMap<usize, (HourRow, bool)> = BTreeMap::new();
    for (k, v) in pairs {
        let split = k.find(|c: char| c.is_ascii_digit()).unwrap_or(k.len());
        let (name, idx) = k.split_at(split);
        let Ok(i) = idx.parse::<usize>() else {
            continue;
        };
        if i >= MAX_ROWS || v.len() > 40 {
            return Err(AppError::field("intervals", "At most 50 intervals a week."));
        }
        let (row, removed) = rows.entry(i).or_default();
        match name {
            "w" => row.weekday = v.clone(),
            "s" => row.start = v.clone(),
            "e" => row.end = v.clone(),
            "f" => row.from = v.clone(),
            "t" => row.to = v.clone(),
            "vt" if row.visit_types.len() < 20 => row.visit_types.push(v.clone()),
            "rm" => *removed = true,
            _ => {}
        }
    }
    Ok(rows
        .into_values()
        .filter(|(r, removed)| !removed && !r.weekday.is_empty())
        .map(|(r, _)| r)
        .collect())
}

/// POST /clinics/{clinic_id}/schedule/{doctor_id}/hours: replace the week.
pub async fn save_hours(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    Path((_, doctor)): Path<(String, String)>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let doctor_id: DoctorId = doctor.parse().map_err(|_| AppError::NotFound)?;
    let result = match hour_rows(&pairs) {
        Ok(rows) => {
            let mut bad_vt = false;
            let input: Vec<IntervalInput> = rows
                .iter()
                .map(|r| IntervalInput {
                    weekday: r.weekday.parse().unwrap_or(0),
                    start: r.start.clone(),
                    end: r.end.clone(),
                    visit_types: r
                        .visit_types
                        .iter()
                        .filter_map(|v| {
                            let id = v.parse::<VisitTypeId>().ok();
                            bad_vt |= id.is_none();
                            id.map(|i| i.as_uuid())
                        })
                        .collect(),
                    valid_from: Some(r.from.clone()),
                    valid_to: Some(r.to.clone()),
                })
                .collect();
            let saved = if bad_vt {
                Err(AppError::field(
                    "visit_types",
                    "Choose visit types the doctor offers.",
                ))
            } else {
                schedule::set_weekly_hours(&state, &ctx, &scope, doctor_id, &input)
                    .await
                    .map(|_| ())
            };
            saved.map_err(|e| (e, rows))
        }
        Err(e) => Err((e, Vec::new())),
    };
    match result {
        Ok(()) => Ok(see_other(&back(scope.clinic, doctor_id))),
        Err((e, rows)) => {
            let (outcome, errors) = failure(e, &[])?;
            let page = render(
                &state,
                &scope,
                Some(&doctor),
                Failed::Hours(rows, errors),
                None,
            )
            .await?;
            Ok(outcome.render(&page))
        }
    }
}

/// POST /clinics/{clinic_id}/schedule/{doctor_id}/exceptions: add leave or extra hours.
pub async fn add_exception(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    Path((_, doctor)): Path<(String, String)>,
    PageForm(form): PageForm<ExceptionForm>,
) -> Result<Response, PageError> {
    let doctor_id: DoctorId = doctor.parse().map_err(|_| AppError::NotFound)?;
    let kind = if form.kind == "extra" {
        ExceptionKind::Extra
    } else {
        ExceptionKind::Leave
    };
    match exceptions::add_doctor_exception(&state, &ctx, &scope, doctor_id, kind, &form.input())
        .await
    {
        Ok(_) => Ok(see_other(&back(scope.clinic, doctor_id))),
        Err(e) => {
            let (outcome, errors) = failure(e, EXCEPTION_FIELDS)?;
            let page = render(
                &state,
                &scope,
                Some(&doctor),
                Failed::Exception(form, errors),
                None,
            )
            .await?;
            Ok(outcome.render(&page))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemoveForm {
    /// Where to come back to: a doctor's schedule, or the settings page when empty.
    doctor: String,
}

/// POST /clinics/{clinic_id}/schedule-exceptions/{id}/remove.
pub async fn remove_exception(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    Path((_, id)): Path<(String, String)>,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, PageError> {
    let id: ExceptionId = id.parse().map_err(|_| AppError::NotFound)?;
    exceptions::remove_exception(&state, &ctx, &scope, id).await?;
    Ok(see_other(&return_to(scope.clinic, &form.doctor)))
}

fn return_to(clinic: domain::ClinicId, doctor: &str) -> String {
    match doctor.parse::<DoctorId>() {
        Ok(d) => back(clinic, d),
        Err(_) => settings::back(clinic),
    }
}

/// POST /clinics/{clinic_id}/visit-types: add a clinic-wide type (settings) or a doctor's own
/// (schedule).
pub async fn create_visit_type(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    PageForm(form): PageForm<VisitTypeForm>,
) -> Result<Response, PageError> {
    let doctor = form.doctor.parse::<DoctorId>().ok();
    if doctor.is_none() && !scope.is_admin() {
        return Err(AppError::NotFound.into());
    }
    let num = |s: &str| s.trim().parse::<i32>().unwrap_or(-1);
    let result = match parse_price(&form.price) {
        Ok(price_minor) => {
            let input = VisitTypeInput {
                name: form.name.clone(),
                duration_min: num(&form.duration_min),
                buffer_before_min: num(&form.buffer_before_min),
                buffer_after_min: num(&form.buffer_after_min),
                price_minor,
                mode: Some(form.mode.clone()),
                doctor_id: doctor.map(|d| d.as_uuid()),
            };
            schedule::create_visit_type(&state, &ctx, &scope, &input)
                .await
                .map(|_| ())
        }
        Err(msg) => Err(AppError::field("price", msg)),
    };
    match (result, doctor) {
        (Ok(()), _) => Ok(see_other(&return_to(scope.clinic, &form.doctor))),
        (Err(e), Some(_)) => {
            let (outcome, errors) = failure(e, VISIT_TYPE_FIELDS)?;
            let asked = form.doctor.clone();
            let page = render(
                &state,
                &scope,
                Some(&asked),
                Failed::VisitType(form, errors),
                None,
            )
            .await?;
            Ok(outcome.render(&page))
        }
        (Err(e), None) => settings::visit_type_failed(&state, &scope, form, e).await,
    }
}

/// POST /clinics/{clinic_id}/visit-types/{id}/archive.
pub async fn archive_visit_type(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    Path((_, id)): Path<(String, String)>,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, PageError> {
    let id: VisitTypeId = id.parse().map_err(|_| AppError::NotFound)?;
    schedule::archive_visit_type(&state, &ctx, &scope, id).await?;
    Ok(see_other(&return_to(scope.clinic, &form.doctor)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_in_major_units_with_at_most_two_decimals() {
        assert_eq!(parse_price(""), Ok(0));
        assert_eq!(parse_price("500"), Ok(50_000));
        assert_eq!(parse_price(" 450.5 "), Ok(45_050));
        assert_eq!(parse_price("0.05"), Ok(5));
        for bad in ["-1", "1.234", "abc", ".5", "1e3", "12345678", "1,000"] {
            assert!(parse_price(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hour_rows_keep_order_and_drop_blank_and_removed_rows() {
        let pairs: Vec<(String, String)> = [
            ("w1", "2"),
            ("s1", "14:00"),
            ("e1", "18:00"),
            ("w0", "1"),
            ("s0", "09:00"),
            ("e0", "13:00"),
            ("vt0", "a"),
            ("vt0", "b"),
            ("w2", ""),
            ("s2", ""),
            ("w3", "3"),
            ("rm3", "on"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let rows = hour_rows(&pairs).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].weekday, "1");
        assert_eq!(rows[0].visit_types, ["a", "b"]);
        assert_eq!(rows[1].start, "14:00");
        let too_many = vec![("w60".to_string(), "1".to_string())];
        assert!(hour_rows(&too_many).is_err());
    }
}
