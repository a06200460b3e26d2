//! The clinic's day for staff: every doctor's appointments on one local date, with check-in,
//! no-show, approval and completion. Doctors see their own list first.

use super::{
    error::{Page, PageError},
    forms::{Outcome, QueryOr, see_other},
    layout::{Nav, nav},
};
use crate::{
    app::{
        appointments::{self as visits, Move},
        schedule::zone_of,
    },
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicCaller, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use domain::{AppointmentId, AppointmentStatus, Role};
use jiff::civil::Date;
use serde::Deserialize;
use store::appointments::{Appointment, Filter};

struct Row {
    id: String,
    time: String,
    patient: String,
    mrn: String,
    doctor: String,
    visit: String,
    code: String,
    status: &'static str,
    status_class: &'static str,
    actions: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "day.html")]
struct DayPage {
    nav: Nav,
    clinic_id: String,
    clinic_name: String,
    time_zone: String,
    date: String,
    date_label: String,
    prev: String,
    next: String,
    mine_only: bool,
    is_doctor: bool,
    rows: Vec<Row>,
    notice: Option<&'static str>,
    alert: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    date: Option<String>,
    all: Option<String>,
    done: Option<String>,
}

async fn caller_of(
    state: &AppState,
    scope: ClinicScope<AnyStaff>,
) -> Result<ClinicCaller, PageError> {
    let clinic = store::clinics::find(state.store().conn(), scope.clinic)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    Ok(ClinicCaller {
        me: scope.me,
        clinic,
        roles: scope.roles,
    })
}

fn actions(
    a: &Appointment,
    roles: &[Role],
    now: jiff::Timestamp,
    today: Date,
) -> Vec<(&'static str, &'static str)> {
    let on_day = a.local_date.parse::<Date>().is_ok_and(|d| d <= today);
    let mut out = Vec::new();
    match a.status {
        AppointmentStatus::Pending => out.push(("approve", "Approve")),
        AppointmentStatus::Booked => {
            if on_day {
                out.push(("arrive", "Arrived"));
            }
            if a.start <= now {
                out.push(("noshow", "No-show"));
            }
        }
        AppointmentStatus::Arrived
            if roles
                .iter()
                .any(|r| matches!(r, Role::Admin | Role::Doctor)) =>
        {
            out.push(("complete", "Done"))
        }
        _ => {}
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn day_page(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    date: Option<Date>,
    all: bool,
    notice: Option<&'static str>,
    alert: Option<String>,
) -> Result<DayPage, PageError> {
    let zone = zone_of(&caller.clinic);
    let now = state.now();
    let today = now.to_zoned(zone.clone()).date();
    let date = date.unwrap_or(today);
    let is_doctor = caller.roles.contains(&Role::Doctor);
    let me_doctor = if is_doctor && !all {
        store::doctors::of_user(state.store().conn(), caller.clinic.id, caller.me.id())
            .await
            .map_err(AppError::from)?
            .map(|d| d.id)
    } else {
        None
    };
    let filter = Filter {
        doctor: me_doctor,
        ..Filter::default()
    };
    let list = visits::list(state, ctx, caller, Some(date), Some(date), &filter, 500).await?;
    let rows = list
        .into_iter()
        .map(|a| Row {
            id: a.id.to_string(),
            time: a.start.to_zoned(zone.clone()).strftime("%H:%M").to_string(),
            actions: actions(&a, &caller.roles, now, today),
            status: a.status.label(),
            status_class: match a.status {
                AppointmentStatus::Booked | AppointmentStatus::Fulfilled => "ok",
                AppointmentStatus::Pending | AppointmentStatus::Arrived => "warn",
                _ => "",
            },
            patient: a.patient_name,
            mrn: a.patient_mrn,
            doctor: a.doctor_name,
            visit: a.visit_type_name,
            code: a.ref_code,
        })
        .collect();
    let shift = |days: i64| {
        date.checked_add(jiff::Span::new().days(days))
            .unwrap_or(date)
            .to_string()
    };
    Ok(DayPage {
        nav: nav(state, &caller.me, "day").await?,
        clinic_id: caller.clinic.id.to_string(),
        clinic_name: caller.clinic.name.clone(),
        time_zone: caller.clinic.time_zone.clone(),
        date: date.to_string(),
        date_label: date.strftime("%A %-d %B %Y").to_string(),
        prev: shift(-1),
        next: shift(1),
        mine_only: me_doctor.is_some(),
        is_doctor,
        rows,
        notice,
        alert,
    })
}

/// GET /clinics/{clinic_id}/day?date=YYYY-MM-DD[&all=1].
pub async fn show(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    QueryOr(q): QueryOr<DayQuery>,
) -> Result<Response, PageError> {
    let caller = caller_of(&state, scope).await?;
    let date = q.date.as_deref().and_then(|d| d.parse().ok());
    let notice = q.done.is_some().then_some("Saved.");
    let page = day_page(&state, &ctx, &caller, date, q.all.is_some(), notice, None).await?;
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/appointments/{appointment_id}/{action}.
pub async fn act(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    Path((_, id, action)): Path<(String, String, String)>,
    QueryOr(q): QueryOr<DayQuery>,
) -> Result<Response, PageError> {
    let caller = caller_of(&state, scope).await?;
    let id: AppointmentId = id.parse().map_err(|_| AppError::NotFound)?;
    let m = match action.as_str() {
        "approve" => Move::Approve,
        "arrive" => Move::Arrive,
        "noshow" => Move::NoShow,
        "complete" => Move::Complete,
        _ => return Err(AppError::NotFound.into()),
    };
    let date = q.date.as_deref().and_then(|d| d.parse::<Date>().ok());
    match visits::move_status(&state, &ctx, &caller, id, m).await {
        Ok(a) => Ok(see_other(&format!(
            "/clinics/{}/day?date={}{}&done=1",
            caller.clinic.id,
            a.local_date,
            if q.all.is_some() { "&all=1" } else { "" }
        ))),
        Err(AppError::Conflict(msg)) => {
            let page = day_page(
                &state,
                &ctx,
                &caller,
                date,
                q.all.is_some(),
                None,
                Some(msg),
            )
            .await?;
            Ok(Outcome {
                status: StatusCode::CONFLICT,
                retry_after: None,
            }
            .render(&page))
        }
        Err(e) => Err(e.into()),
    }
}
