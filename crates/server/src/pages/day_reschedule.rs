//! Staff move an appointment: a week of the same doctor's free times for the same visit
//! type (staff need no notice), then a step that confirms the new time. It calls the
//! reschedule use case the API calls; a taken time offers the nearest free ones, and
//! success returns to the day page or the record with the new time and reference.

use super::{
    booking::{Day, SlotLink, Trouble, Week, free_week},
    day_changes::{Back, Facts},
    error::{Page, PageError, PagePath},
    forms::{Errors, Outcome, PageForm, QueryOr, see_other},
    layout::{Nav, nav},
};
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{appointments, local_time::zone_of, notices::local_time},
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{AppointmentId, ClinicId};
use jiff::{Timestamp, civil::Date};
use serde::Deserialize;
use store::clinics::Clinic;

#[derive(Template)]
#[template(path = "staff_reschedule.html")]
struct MovePage {
    nav: Nav,
    facts: Facts,
    back_href: String,
    time_zone: String,
    /// Whether it can still be moved.
    open: bool,
    /// This page without a chosen time: the week of free times; the confirm step posts here.
    href: String,
    /// Confirming: the new start (UTC) and how it reads.
    start: String,
    new_when: Option<String>,
    /// Choosing: a week of the doctor's free times for the same visit type.
    week_label: String,
    prev_href: Option<String>,
    next_href: String,
    days: Vec<Day>,
    alert: Option<String>,
    alternatives: Vec<SlotLink>,
    errors: Errors,
    /// The patient has another appointment then: offer to move it anyway.
    offer_override: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PickQuery {
    /// The first day of the week of free times shown.
    week_of: String,
    /// The chosen new start: show the confirm step.
    start: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    start: String,
    /// Move it although the patient has another appointment then.
    allow_overlap: Option<String>,
}

/// The reschedule page of appointment `id`, with `more` in its query (a chosen `start`, a
/// `week_of`) and the place to return to.
fn move_href(
    clinic: &Clinic,
    id: AppointmentId,
    back: &Back,
    more: &[(&'static str, String)],
) -> String {
    back.link(&routes::appointment_reschedule(clinic.id, id), more)
}

async fn move_page(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: AppointmentId,
    back: &Back,
    q: &PickQuery,
    trouble: Trouble,
) -> Result<MovePage, PageError> {
    let clinic = caller.clinic();
    let a = appointments::get(state, ctx, caller, id).await?;
    let open = a.status.is_open();
    let start = q.start.parse::<Timestamp>().ok().filter(|_| open);
    let week = Week::asked(&q.week_of, state.now().to_zoned(zone_of(clinic)).date());
    let days = if open && start.is_none() {
        free_week(
            state,
            clinic,
            a.doctor_id,
            a.visit_type_id,
            week.start,
            true,
            |s| move_href(clinic, a.id, back, &[("start", s.to_owned())]),
        )
        .await?
    } else {
        Vec::new()
    };
    let week_href = |d: Date| move_href(clinic, a.id, back, &[("week_of", d.to_string())]);
    Ok(MovePage {
        nav: nav(state, caller.person()?, back.nav_item()).await?,
        facts: Facts::of(&a, clinic),
        back_href: back.href(&a, &[]),
        time_zone: clinic.time_zone.clone(),
        open,
        href: move_href(clinic, a.id, back, &[]),
        start: start.map(|s| s.to_string()).unwrap_or_default(),
        new_when: start.map(|s| local_time(&clinic.time_zone, s)),
        prev_href: week.prev.map(week_href),
        next_href: week_href(week.next),
        week_label: week.label,
        days,
        offer_override: trouble.conflict,
        alert: trouble.alert,
        alternatives: trouble.alternatives,
        errors: trouble.errors,
    })
}

/// GET /clinics/{clinic_id}/appointments/{appointment_id}/reschedule: a week of the same
/// doctor's free times (staff need no notice); with `start`, the step that confirms it.
pub async fn reschedule_form(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, AppointmentId)>,
    QueryOr(back): QueryOr<Back>,
    QueryOr(q): QueryOr<PickQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let page = move_page(&state, &ctx, &caller, id, &back, &q, Trouble::default()).await?;
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/appointments/{appointment_id}/reschedule: books the new time
/// and cancels the old one, linked; a taken time offers the nearest free ones.
pub async fn reschedule(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, AppointmentId)>,
    QueryOr(back): QueryOr<Back>,
    PageForm(form): PageForm<MoveForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let start: Timestamp = form.start.parse().map_err(|_| AppError::NotFound)?;
    let anyway = form.allow_overlap.is_some();
    let e = match appointments::reschedule(&state, &ctx, &caller, id, start, anyway).await {
        Ok(new) => {
            let done = [
                ("moved", new.ref_code.clone()),
                ("at", new.start.to_string()),
            ];
            return Ok(see_other(&back.href(&new, &done)));
        }
        Err(e) => e,
    };
    let clinic = caller.clinic();
    let trouble = Trouble::of(
        e,
        clinic,
        "This time has just been taken. The nearest free ones:",
        &[],
        |s| move_href(clinic, id, &back, &[("start", s.to_owned())]),
    )?;
    let status = trouble.status;
    let q = PickQuery {
        start: form.start,
        ..PickQuery::default()
    };
    let page = move_page(&state, &ctx, &caller, id, &back, &q, trouble).await?;
    Ok(Outcome {
        status,
        retry_after: None,
    }
    .render(&page))
}
