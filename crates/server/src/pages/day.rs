//! The clinic's day (or week) for staff: every doctor's appointments on one local date, with
//! check-in, no-show, approval and completion. Doctors see their own list first.

use super::{
    day_changes::{Back, Changes, Done},
    error::{Page, PageError, PagePath},
    forms::{Outcome, QueryOr, see_other},
    layout::{Nav, nav},
};
use crate::app::policy::Capability;
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{appointments, local_time::zone_of},
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};
use domain::{AppointmentId, AppointmentStatus, ClinicId, Role, StaffMove, queue::Priority};
use jiff::civil::Date;
use serde::Deserialize;
use store::appointments::{Appointment, Filter};

struct Row {
    id: domain::AppointmentId,
    time: String,
    patient: String,
    mrn: String,
    doctor: String,
    visit: String,
    code: String,
    status: &'static str,
    status_class: &'static str,
    actions: Vec<(&'static str, &'static str)>,
    /// Cancel and reschedule, while it is still to come.
    changes: Option<Changes>,
    /// Whether the desk may bill it (it has arrived or taken place).
    billable: bool,
}

/// One day's appointments.
struct DayGroup {
    label: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "day.html")]
struct DayPage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    clinic_name: String,
    time_zone: String,
    date: String,
    date_label: String,
    prev: String,
    next: String,
    mine_only: bool,
    is_doctor: bool,
    week: bool,
    /// The query that keeps the view (`&all=1`, `&week=1`) across links and forms.
    keep: String,
    groups: Vec<DayGroup>,
    notice: Option<String>,
    alert: Option<String>,
    /// After a check-in: the new token's slip.
    slip_href: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    date: Option<String>,
    all: Option<String>,
    week: Option<String>,
    done: Option<String>,
    /// The reference code just booked from the desk.
    booked: Option<String>,
    /// The token a check-in just issued.
    token: Option<String>,
}

impl DayQuery {
    fn view(&self) -> View {
        View {
            all: self.all.is_some(),
            week: self.week.is_some(),
        }
    }
}

/// Which doctors and how many days the page shows.
#[derive(Debug, Clone, Copy)]
struct View {
    all: bool,
    week: bool,
}

fn actions(
    a: &Appointment,
    caller: &Caller,
    now: jiff::Timestamp,
    today: Date,
) -> Vec<(&'static str, &'static str)> {
    let date = a.local_date.parse::<Date>().ok();
    StaffMove::ALL
        .into_iter()
        .filter(|m| caller.can(Capability::to_move(*m)))
        .filter(|m| m.refusal(a.status, a.start, date, now, today).is_none())
        .map(|m| (m.action(), m.label()))
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn day_page(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    date: Option<Date>,
    view: View,
    notice: Option<String>,
    alert: Option<String>,
) -> Result<DayPage, PageError> {
    let zone = zone_of(caller.clinic());
    let now = state.now();
    let today = now.to_zoned(zone.clone()).date();
    let date = date.unwrap_or(today);
    let is_doctor = caller.roles().contains(&Role::Doctor);
    let me_doctor = if is_doctor && !view.all {
        crate::app::doctors::own_profile(state, caller.person()?, caller.clinic_id())
            .await?
            .map(|d| d.id)
    } else {
        None
    };
    let filter = Filter {
        doctor: me_doctor,
        ..Filter::default()
    };
    let days = if view.week { 7 } else { 1 };
    let last = date
        .checked_add(jiff::Span::new().days(days - 1))
        .unwrap_or(date);
    let list =
        appointments::list(state, ctx, caller, Some(date), Some(last), &filter, 2000).await?;
    let back = Back::day(date, is_doctor && me_doctor.is_none(), view.week);
    let mut groups: Vec<DayGroup> = Vec::new();
    for a in list {
        let local = a.start.to_zoned(zone.clone());
        let label = local.strftime("%A %-d %B").to_string();
        let row = Row {
            id: a.id,
            time: local.strftime("%H:%M").to_string(),
            actions: actions(&a, caller, now, today),
            changes: Changes::of(&a, now, &back),
            billable: caller.can(crate::app::policy::Capability::Billing)
                && matches!(
                    a.status,
                    AppointmentStatus::Arrived | AppointmentStatus::Fulfilled
                ),
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
        };
        match groups.last_mut() {
            Some(g) if g.label == label => g.rows.push(row),
            _ => groups.push(DayGroup {
                label,
                rows: vec![row],
            }),
        }
    }
    let shift = |n: i64| {
        date.checked_add(jiff::Span::new().days(n))
            .unwrap_or(date)
            .to_string()
    };
    let mut keep = String::new();
    if is_doctor && me_doctor.is_none() {
        keep.push_str("&all=1");
    }
    if view.week {
        keep.push_str("&week=1");
    }
    Ok(DayPage {
        nav: nav(state, caller.person()?, "day").await?,
        clinic_id: caller.clinic_id(),
        clinic_name: caller.clinic().name.clone(),
        time_zone: caller.clinic().time_zone.clone(),
        date: date.to_string(),
        date_label: if view.week {
            format!(
                "Week of {} – {}",
                date.strftime("%-d %b"),
                last.strftime("%-d %b %Y")
            )
        } else {
            date.strftime("%A %-d %B %Y").to_string()
        },
        prev: shift(-days),
        next: shift(days),
        mine_only: me_doctor.is_some(),
        is_doctor,
        week: view.week,
        keep,
        groups,
        notice,
        alert,
        slip_href: None,
    })
}

/// GET /clinics/{clinic_id}/day?date=YYYY-MM-DD[&all=1].
pub async fn show(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    QueryOr(q): QueryOr<DayQuery>,
    QueryOr(changed): QueryOr<Done>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let date = q.date.as_deref().and_then(|d| d.parse().ok());
    let (checked_in, slip_href) =
        super::queue::token_notice(&state, &caller, q.token.as_deref().unwrap_or("")).await?;
    let notice = match (&q.booked, &q.done) {
        (Some(code), _)
            if code.len() <= 12 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            Some(format!("Booked {code}."))
        }
        _ if checked_in.is_some() => checked_in.map(|n| format!("Checked in. {n}")),
        (_, Some(_)) => Some("Saved.".to_owned()),
        _ => changed.notice(caller.clinic()),
    };
    let mut page = day_page(&state, &ctx, &caller, date, q.view(), notice, None).await?;
    page.slip_href = slip_href;
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/appointments/{appointment_id}/{action}.
pub async fn act(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id, action)): PagePath<(ClinicId, AppointmentId, String)>,
    QueryOr(q): QueryOr<DayQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let Some(m) = StaffMove::from_action(&action) else {
        return Err(AppError::NotFound.into());
    };
    let date = q.date.as_deref().and_then(|d| d.parse::<Date>().ok());
    match appointments::move_status_with(&state, &ctx, &caller, id, m, Priority::Normal).await {
        Ok((a, token)) => Ok(see_other(&format!(
            "/clinics/{}/day?date={}{}{}&done=1{}",
            caller.clinic_id(),
            date.map_or(a.local_date, |d| d.to_string()),
            if q.all.is_some() { "&all=1" } else { "" },
            if q.week.is_some() { "&week=1" } else { "" },
            token.map_or_else(String::new, |t| format!("&token={}", t.id))
        ))),
        Err(AppError::Conflict(msg)) => {
            let page = day_page(&state, &ctx, &caller, date, q.view(), None, Some(msg)).await?;
            Ok(Outcome {
                status: StatusCode::CONFLICT,
                retry_after: None,
            }
            .render(&page))
        }
        Err(e) => Err(e.into()),
    }
}
