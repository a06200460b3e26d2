//! A doctor's time off and extra hours, and clinic holidays as listed: the add form on the
//! schedule page and removing an entry from either page.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Label, PageForm, failure, see_other},
    schedule::{self as schedule_page, Failed},
    settings,
};
use crate::{
    app::{
        local_time::hhmm,
        time_off::{self, TimeOffInput, TimeOffKind},
    },
    auth::{
        RequestCtx,
        extract::{AdminOrDoctor, ClinicScope},
    },
    state::AppState,
};
use axum::{extract::State, response::Response};
use domain::{ClinicId, DoctorId, ExceptionId};
use serde::Deserialize;
use store::schedules::ExceptionRow;

const EXCEPTION_FIELDS: &[Label] = &[
    ("from", "First day"),
    ("to", "Last day"),
    ("start", "From"),
    ("end", "Until"),
    ("note", "Note"),
];

/// A leave, holiday or extra-hours entry as listed.
pub(super) struct ExceptionLine {
    pub id: domain::ExceptionId,
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
            id: e.id,
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
    pub from: String,
    pub to: String,
    pub start: String,
    pub end: String,
    pub note: String,
    /// Which button: `leave` or `extra`.
    pub kind: String,
}

impl ExceptionForm {
    fn input(&self) -> TimeOffInput {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        TimeOffInput {
            from: self.from.clone(),
            to: opt(&self.to),
            start: opt(&self.start),
            end: opt(&self.end),
            note: self.note.clone(),
        }
    }
}

/// POST /clinics/{clinic_id}/schedule/{doctor_id}/exceptions: add leave or extra hours.
pub async fn add(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    PagePath((_, doctor_id)): PagePath<(ClinicId, DoctorId)>,
    PageForm(form): PageForm<ExceptionForm>,
) -> Result<Response, PageError> {
    let kind = if form.kind == "extra" {
        TimeOffKind::Extra
    } else {
        TimeOffKind::Leave
    };
    match time_off::add_doctor_time_off(&state, &ctx, &scope, doctor_id, kind, &form.input()).await
    {
        Ok(_) => Ok(see_other(&schedule_page::back(
            scope.clinic_id(),
            doctor_id,
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, EXCEPTION_FIELDS)?;
            schedule_page::again(
                &state,
                &scope,
                &doctor_id.to_string(),
                outcome,
                Failed::Exception(form, errors),
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemoveForm {
    /// Where to come back to: a doctor's schedule, or the settings page when empty.
    pub doctor: String,
}

/// POST /clinics/{clinic_id}/schedule-exceptions/{id}/remove.
pub async fn remove(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    PagePath((_, id)): PagePath<(ClinicId, ExceptionId)>,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, PageError> {
    time_off::remove_time_off(&state, &ctx, &scope, id).await?;
    Ok(see_other(&return_to(scope.clinic_id(), &form.doctor)))
}

/// Where a form shared by both pages returns: a doctor's schedule, or the settings.
pub(super) fn return_to(clinic: domain::ClinicId, doctor: &str) -> String {
    match doctor.parse::<DoctorId>() {
        Ok(d) => schedule_page::back(clinic, d),
        Err(_) => settings::back(clinic),
    }
}
