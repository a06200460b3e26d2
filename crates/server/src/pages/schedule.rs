//! A doctor's schedule: weekly hours, time off and extra hours, and the visit types they
//! offer. Doctors edit their own; admins choose any doctor of the clinic. The visit-type
//! pieces live in `visit_types`, shared with the clinic settings page.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Choice, Errors, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
    time_off::{ExceptionForm, ExceptionLine},
    visit_types::{VisitTypeForm, VisitTypeRow, price_hint, visit_type_detail},
};
use crate::app::policy::Capability;
use crate::routes;
use crate::{
    app::{
        doctors::get_managed,
        local_time::zone_of,
        schedule::{self, IntervalInput},
        time_off,
    },
    auth::{
        RequestCtx,
        extract::{AdminOrDoctor, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{ClinicId, DoctorId, DoctorStatus, VisitTypeId};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Blank rows offered under the existing intervals.
const BLANK_ROWS: usize = 3;
/// Rows a submitted hours form may carry.
const MAX_ROWS: usize = 60;

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

    /// The row as the use case takes it; a visit type that is not an id is refused.
    fn input(&self) -> Result<IntervalInput, AppError> {
        let visit_types = self
            .visit_types
            .iter()
            .map(|v| v.parse::<VisitTypeId>().map(|id| id.as_uuid()))
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::field("visit_types", "Choose visit types the doctor offers."))?;
        Ok(IntervalInput {
            weekday: self.weekday.parse().unwrap_or(0),
            start: self.start.clone(),
            end: self.end.clone(),
            visit_types,
            valid_from: Some(self.from.clone()),
            valid_to: Some(self.to.clone()),
        })
    }
}

/// Which form, if any, comes back with errors.
pub(super) enum Failed {
    None,
    Hours(Vec<HourRow>, Errors),
    Exception(ExceptionForm, Errors),
    VisitType(VisitTypeForm, Errors),
}

/// The schedule of `doctor` again, with `failed`'s form showing its errors.
pub(super) async fn again(
    state: &AppState,
    scope: &ClinicScope<AdminOrDoctor>,
    doctor: &str,
    outcome: Outcome,
    failed: Failed,
) -> Result<Response, PageError> {
    let page = render(state, scope, Some(doctor), failed, None).await?;
    Ok(outcome.render(&page))
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    nav: Nav,
    clinic_id: domain::ClinicId,
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
    /// What the price field takes in the clinic's currency.
    vt_price_hint: String,
    notice: Option<&'static str>,
}

struct DoctorView {
    id: domain::DoctorId,
    /// The caller's own profile.
    own: bool,
    name: String,
    status: &'static str,
    approved: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ScheduleQuery {
    doctor: Option<String>,
    done: Option<String>,
}

/// The doctor the page is about: the one asked for (if the caller manages them), else the
/// caller's own profile, else (admins) the first doctor of the clinic.
async fn doctor_for(
    state: &AppState,
    scope: &ClinicScope<AdminOrDoctor>,
    asked: Option<&str>,
    all: &[store::doctors::Doctor],
) -> Result<Option<store::doctors::Doctor>, PageError> {
    if let Some(id) = asked.filter(|s| !s.is_empty()) {
        let id: DoctorId = id.parse().map_err(|_| AppError::NotFound)?;
        return Ok(Some(get_managed(state, scope, id).await?));
    }
    let own = crate::app::doctors::own_profile(state, scope.person()?, scope.clinic_id()).await?;
    Ok(own.or_else(|| all.first().cloned()))
}

async fn render(
    state: &AppState,
    scope: &ClinicScope<AdminOrDoctor>,
    asked: Option<&str>,
    failed: Failed,
    notice: Option<&'static str>,
) -> Result<SchedulePage, PageError> {
    let clinic = scope.clinic();
    let mut all = Vec::new();
    if scope.can(Capability::ManageAnyPractice) {
        for status in [
            DoctorStatus::Approved,
            DoctorStatus::Pending,
            DoctorStatus::Suspended,
        ] {
            all.extend(crate::app::doctors::list_in_status(state, scope, status, 500).await?);
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
                id: v.id,
                name: v.name.clone(),
                detail: visit_type_detail(v, clinic),
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
        let today = state.now().to_zoned(zone_of(clinic)).date();
        exception_lines = time_off::upcoming(state, scope, Some(d.id), today)
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
        nav: nav(state, scope.person()?, "schedule").await?,
        clinic_id: clinic.id,
        time_zone: clinic.time_zone.clone(),
        is_admin: scope.can(Capability::ManageAnyPractice),
        doctors,
        doctor: doctor.map(|d| DoctorView {
            id: d.id,
            own: scope.is_user(Some(d.user_id)),
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
        vt_action: routes::visit_types(clinic.id),
        vt_price_hint: price_hint(&clinic.currency),
        notice,
    })
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
    PagePath((_, doctor_id)): PagePath<(ClinicId, DoctorId)>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (rows, saved) = match hour_rows(&pairs) {
        Ok(rows) => {
            let saved = async {
                let input = rows
                    .iter()
                    .map(HourRow::input)
                    .collect::<Result<Vec<_>, _>>()?;
                schedule::set_weekly_hours(&state, &ctx, &scope, doctor_id, &input).await
            }
            .await;
            (rows, saved)
        }
        Err(e) => (Vec::new(), Err(e)),
    };
    match saved {
        Ok(_) => Ok(see_other(&back(scope.clinic_id(), doctor_id))),
        Err(e) => {
            let (outcome, errors) = failure(e, &[])?;
            again(
                &state,
                &scope,
                &doctor_id.to_string(),
                outcome,
                Failed::Hours(rows, errors),
            )
            .await
        }
    }
}

/// Where a saved form returns: the doctor's schedule.
pub(super) fn back(clinic: ClinicId, doctor: DoctorId) -> String {
    format!("{}?doctor={doctor}&done=1", routes::schedule(clinic))
}

#[cfg(test)]
mod tests {
    use super::*;

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
