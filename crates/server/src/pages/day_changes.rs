//! Staff cancel or move an appointment from the day page or a patient's record. This
//! module holds what both share (where a change returns to, the links, the notice after)
//! and the cancel page, which asks for the reason first; `day_reschedule` picks a new
//! time. Both call the use cases the API calls, so the same rules, e-mails and audit
//! events follow.

use super::{
    appointments::cancel_failure,
    error::{Page, PageError, PagePath},
    forms::{Errors, Outcome, PageForm, QueryOr, see_other},
    layout::{Nav, nav},
};
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{appointments, notices::local_time, schedule::get_booking_policy},
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{AppointmentId, AppointmentStatus, ClinicId};
use jiff::{Timestamp, civil::Date};
use serde::Deserialize;
use store::{appointments::Appointment, clinics::Clinic};

/// Where a change returns to: the day page (its date and view), or with `back=record` the
/// patient's record. Read from the change pages' query; anything unknown is dropped.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Back {
    back: String,
    date: String,
    all: String,
    week: String,
}

impl Back {
    /// Back to the day page showing `date`, all doctors with `all`, a week with `week`.
    pub(super) fn day(date: Date, all: bool, week: bool) -> Back {
        let flag = |on: bool| if on { "1" } else { "" }.to_owned();
        Back {
            date: date.to_string(),
            all: flag(all),
            week: flag(week),
            ..Back::default()
        }
    }

    /// Back to the patient's record.
    pub(super) fn record() -> Back {
        Back {
            back: "record".into(),
            ..Back::default()
        }
    }

    fn to_record(&self) -> bool {
        self.back == "record"
    }

    fn date(&self) -> Option<Date> {
        self.date.parse().ok()
    }

    /// The query pairs that keep this place across the change pages.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        if self.to_record() {
            return vec![("back", "record".into())];
        }
        let mut q = Vec::new();
        if let Some(d) = self.date() {
            q.push(("date", d.to_string()));
        }
        if !self.all.is_empty() {
            q.push(("all", "1".into()));
        }
        if !self.week.is_empty() {
            q.push(("week", "1".into()));
        }
        q
    }

    /// `path` with `more` and this place in its query.
    pub(super) fn link(&self, path: &str, more: &[(&'static str, String)]) -> String {
        let mut q = more.to_vec();
        q.extend(self.pairs());
        if q.is_empty() {
            return path.to_owned();
        }
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(q).unwrap_or_default()
        )
    }

    /// The page to return to about `a`, with `done` added to its query.
    pub(super) fn href(&self, a: &Appointment, done: &[(&'static str, String)]) -> String {
        if self.to_record() {
            return Back::default().link(&routes::patient(a.clinic_id, a.patient_id), done);
        }
        let mut keep = self.clone();
        if keep.date().is_none() {
            keep.date = a.local_date.clone();
        }
        keep.link(&routes::day(a.clinic_id), done)
    }

    pub(super) fn nav_item(&self) -> &'static str {
        if self.to_record() { "patients" } else { "day" }
    }
}

/// The cancel and reschedule links of an appointment still to come.
pub(super) struct Changes {
    pub cancel: String,
    pub reschedule: String,
}

impl Changes {
    /// Links for `a` when it is pending or booked and starts after `now`; they return to
    /// `back` when done.
    pub(super) fn of(a: &Appointment, now: Timestamp, back: &Back) -> Option<Changes> {
        (a.status.is_open() && a.start > now).then(|| Changes {
            cancel: back.link(&routes::appointment_cancel(a.clinic_id, a.id), &[]),
            reschedule: back.link(&routes::appointment_reschedule(a.clinic_id, a.id), &[]),
        })
    }
}

/// What a change left in the query of the page it returned to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    /// The reference of the appointment cancelled.
    cancelled: String,
    /// The new reference of an appointment moved, and its new start (`at`).
    moved: String,
    at: String,
}

impl Done {
    /// "Cancelled AB12-CD…" or "Moved to …; new reference …", if the query says so.
    pub(super) fn notice(&self, clinic: &Clinic) -> Option<String> {
        let code = |c: &str| {
            (!c.is_empty()
                && c.len() <= 12
                && c.chars().all(|x| x.is_ascii_alphanumeric() || x == '-'))
            .then(|| c.to_owned())
        };
        if let (Some(c), Ok(at)) = (code(&self.moved), self.at.parse::<Timestamp>()) {
            return Some(format!(
                "Moved to {}; new reference {c}. The old time is cancelled.",
                local_time(&clinic.time_zone, at)
            ));
        }
        code(&self.cancelled).map(|c| {
            format!("Cancelled {c}. The patient is told by e-mail if the record has an address.")
        })
    }
}

/// The appointment being changed, as both pages show it.
pub(super) struct Facts {
    pub when: String,
    pub patient: String,
    pub patient_href: String,
    pub doctor: String,
    pub visit: String,
    pub code: String,
    pub status: &'static str,
}

impl Facts {
    pub(super) fn of(a: &Appointment, clinic: &Clinic) -> Facts {
        Facts {
            when: local_time(&clinic.time_zone, a.start),
            patient: format!("{} · {}", a.patient_name, a.patient_mrn),
            patient_href: routes::patient(clinic.id, a.patient_id),
            doctor: a.doctor_name.clone(),
            visit: a.visit_type_name.clone(),
            code: a.ref_code.clone(),
            status: a.status.label(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff_cancel.html")]
struct CancelPage {
    nav: Nav,
    facts: Facts,
    action: String,
    back_href: String,
    /// Whether it can still be cancelled at all.
    open: bool,
    /// Inside the clinic's cutoff: patients could not cancel now; staff may, recorded.
    late: Option<String>,
    reason: String,
    alert: Option<String>,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CancelForm {
    reason: String,
}

#[allow(clippy::too_many_arguments)]
async fn cancel_page(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: AppointmentId,
    back: &Back,
    reason: String,
    alert: Option<String>,
    errors: Errors,
) -> Result<CancelPage, PageError> {
    let a = appointments::get(state, ctx, caller, id).await?;
    let now = state.now();
    let cutoff = get_booking_policy(state, caller.clinic_id())
        .await?
        .cancel_cutoff_min;
    let open = a.status.move_to(AppointmentStatus::Cancelled).is_ok();
    let late = (open
        && a.start.duration_since(now) < jiff::SignedDuration::from_mins(cutoff.into()))
    .then(|| {
        format!(
            "This is within the clinic's cancel cutoff ({} hours before the start), when \
             patients can no longer cancel online. Cancelling it here is recorded as a staff \
             override.",
            f64::from(cutoff) / 60.0
        )
    });
    Ok(CancelPage {
        nav: nav(state, caller.person()?, back.nav_item()).await?,
        facts: Facts::of(&a, caller.clinic()),
        action: back.link(&routes::appointment_cancel(caller.clinic_id(), a.id), &[]),
        back_href: back.href(&a, &[]),
        open,
        late,
        reason,
        alert,
        errors,
    })
}

/// GET /clinics/{clinic_id}/appointments/{appointment_id}/cancel: asks for the reason.
pub async fn cancel_form(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, AppointmentId)>,
    QueryOr(back): QueryOr<Back>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let page = cancel_page(
        &state,
        &ctx,
        &caller,
        id,
        &back,
        String::new(),
        None,
        Errors::default(),
    )
    .await?;
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/appointments/{appointment_id}/cancel: cancels with the reason
/// (after the cutoff too: staff override, audited), then returns with a notice.
pub async fn cancel(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, AppointmentId)>,
    QueryOr(back): QueryOr<Back>,
    PageForm(form): PageForm<CancelForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    match appointments::cancel(&state, &ctx, &caller, id, &form.reason).await {
        Ok(a) => Ok(see_other(
            &back.href(&a, &[("cancelled", a.ref_code.clone())]),
        )),
        Err(e) => {
            let (status, alert, errors) = cancel_failure(e)?;
            let page =
                cancel_page(&state, &ctx, &caller, id, &back, form.reason, alert, errors).await?;
            Ok(Outcome {
                status,
                retry_after: None,
            }
            .render(&page))
        }
    }
}
