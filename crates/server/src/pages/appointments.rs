//! A patient's appointments: upcoming and past, with change and cancel; and the page an
//! e-mailed cancel link opens (it asks before it acts).

use super::{
    error::{Page, PageError, PagePath},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{MaybeUser, Nav, nav},
};
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::clinics::get_clinic,
    app::{appointments, notices::local_time, schedule::get_booking_policy},
    auth::{CurrentUser, RequestCtx},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};
use domain::{AppointmentId, ClinicId};
use serde::Deserialize;
use store::appointments::Appointment;

const CANCEL_FIELDS: &[Label] = &[("reason", "Reason")];

const LINK_GONE: &str = "This cancel link is invalid, used or expired. Sign in to see your appointments, or call the clinic.";

struct Row {
    id: domain::AppointmentId,
    clinic_id: domain::ClinicId,
    when: String,
    doctor: String,
    clinic: String,
    visit: String,
    code: String,
    status: &'static str,
    status_class: &'static str,
    change_href: Option<String>,
    /// Upcoming, but past the clinic's cutoff: only the clinic can change it now.
    too_late: bool,
    /// The clinic's phone number, for changes it alone can make now.
    phone: Option<String>,
}

/// `cutoff`: the clinic's cancel/reschedule cutoff in minutes, for upcoming appointments.
fn row(a: Appointment, now: jiff::Timestamp, cutoff: Option<i32>, phone: Option<String>) -> Row {
    let too_late = cutoff.is_some_and(|m| {
        !domain::appointment::before_cutoff(a.start, jiff::SignedDuration::from_mins(m.into()), now)
    });
    let open = a.status.is_open() && a.start > now && !too_late;
    Row {
        id: a.id,
        clinic_id: a.clinic_id,
        when: local_time(&a.clinic_time_zone, a.start),
        change_href: open.then(|| {
            format!(
                "/c/{}/doctors/{}?visit_type={}&reschedule={}",
                a.clinic_slug, a.doctor_id, a.visit_type_id, a.id
            )
        }),
        doctor: a.doctor_name,
        clinic: a.clinic_name,
        visit: a.visit_type_name,
        code: a.ref_code,
        too_late,
        phone,
        status: a.status.label(),
        status_class: match a.status {
            domain::AppointmentStatus::Booked | domain::AppointmentStatus::Fulfilled => "ok",
            domain::AppointmentStatus::Pending | domain::AppointmentStatus::Arrived => "warn",
            _ => "",
        },
    }
}

#[derive(Template)]
#[template(path = "my_appointments.html")]
struct MyPage {
    nav: Nav,
    upcoming: Vec<Row>,
    /// Where to book, shown when nothing is upcoming.
    book_at: Vec<super::home::BookAt>,
    past: Vec<Row>,
    notice: Option<String>,
    alert: Option<String>,
    errors: Errors,
    failed_id: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    booked: Option<String>,
    /// The booked visit asks for a deposit.
    deposit: Option<String>,
    moved: Option<String>,
    cancelled: Option<String>,
}

async fn my_page(
    state: &AppState,
    me: &CurrentUser,
    notice: Option<String>,
    alert: Option<String>,
    errors: Errors,
    failed_id: String,
) -> Result<MyPage, PageError> {
    let now = state.now();
    let (upcoming, past): (Vec<Appointment>, Vec<Appointment>) =
        appointments::list_mine(state, me, 200, 0)
            .await?
            .into_iter()
            .partition(|a| a.start > now && a.status.is_open());
    Ok(MyPage {
        nav: nav(state, me, "appointments").await?,
        book_at: match upcoming.is_empty() {
            true => super::home::book_at(state, me).await?,
            false => Vec::new(),
        },
        upcoming: {
            // Each clinic's cutoff and phone, read once.
            let mut clinics: Vec<(ClinicId, i32, Option<String>)> = Vec::new();
            let mut rows = Vec::new();
            for a in upcoming {
                let (cutoff, phone) = match clinics.iter().find(|(c, ..)| *c == a.clinic_id) {
                    Some((_, m, p)) => (*m, p.clone()),
                    None => {
                        let m = get_booking_policy(state, a.clinic_id)
                            .await?
                            .cancel_cutoff_min;
                        let p = get_clinic(state, a.clinic_id)
                            .await?
                            .details
                            .phone()
                            .map(|p| p.as_str().to_owned());
                        clinics.push((a.clinic_id, m, p.clone()));
                        (m, p)
                    }
                };
                rows.push(row(a, now, Some(cutoff), phone));
            }
            rows
        },
        past: past.into_iter().map(|a| row(a, now, None, None)).collect(),
        notice,
        alert,
        errors,
        failed_id,
    })
}

/// GET /appointments.
pub async fn mine(
    State(state): State<AppState>,
    Page(me): Page<CurrentUser>,
    QueryOr(q): QueryOr<Done>,
) -> Result<Response, PageError> {
    let code = |c: Option<String>| {
        c.filter(|c| c.len() <= 8 && c.chars().all(|x| x.is_ascii_alphanumeric() || x == '-'))
    };
    let notice = if let Some(c) = code(q.booked) {
        let deposit = if q.deposit.is_some() {
            " A deposit is billed: see Bills to pay it."
        } else {
            ""
        };
        Some(format!(
            "Booked. Your reference is {c}; a confirmation is on its way by e-mail.{deposit}"
        ))
    } else if let Some(c) = code(q.moved) {
        Some(format!(
            "Moved. Your new reference is {c}; the old time is cancelled."
        ))
    } else {
        q.cancelled
            .map(|_| "Cancelled. The clinic has been told.".to_owned())
    };
    let page = my_page(&state, &me, notice, None, Errors::default(), String::new()).await?;
    Ok(Outcome::OK.render(&page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CancelForm {
    reason: String,
    token: String,
}

/// POST /appointments/{clinic_id}/{appointment_id}/cancel.
pub async fn cancel(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PagePath((clinic, id)): PagePath<(ClinicId, AppointmentId)>,
    PageForm(form): PageForm<CancelForm>,
) -> Result<Response, PageError> {
    let clinic = get_clinic(&state, clinic).await?;
    // This page is the patient's own list: act as the patient even if they also work there.
    let caller = Caller::patient(me.clone(), clinic);
    match appointments::cancel(&state, &ctx, &caller, id, &form.reason).await {
        Ok(_) => Ok(see_other("/appointments?cancelled=1")),
        Err(e) => {
            let (status, alert, errors) = cancel_failure(e)?;
            let page = my_page(&state, &me, None, alert, errors, id.to_string()).await?;
            Ok(Outcome {
                status,
                retry_after: None,
            }
            .render(&page))
        }
    }
}

/// What a refused cancellation shows: a rule or conflict as an alert (409), a bad reason
/// next to its field. The staff cancel page shows the same.
pub(super) fn cancel_failure(
    e: AppError,
) -> Result<(StatusCode, Option<String>, Errors), PageError> {
    match e {
        AppError::Refused { message, .. } | AppError::Conflict(message) => {
            Ok((StatusCode::CONFLICT, Some(message), Errors::default()))
        }
        other => {
            let (o, errs) = failure(other, CANCEL_FIELDS)?;
            Ok((o.status, None, errs))
        }
    }
}

#[derive(Template)]
#[template(path = "cancel_link.html")]
struct LinkPage {
    nav: Nav,
    token: String,
    when: String,
    doctor: String,
    clinic: String,
    code: String,
    done: bool,
    alert: Option<String>,
    errors: Errors,
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

async fn link_page(
    state: &AppState,
    maybe: &MaybeUser,
    token: &str,
    done: bool,
    alert: Option<String>,
    errors: Errors,
    reason: String,
) -> Result<LinkPage, PageError> {
    let (clinic, a) = appointments::by_cancel_link(state, token)
        .await
        .map_err(|_| AppError::BadRequest(LINK_GONE.into()))?;
    Ok(LinkPage {
        nav: maybe.nav(state, "appointments").await?,
        token: token.to_owned(),
        when: local_time(&clinic.time_zone, a.start),
        doctor: a.doctor_name,
        clinic: clinic.name,
        code: a.ref_code,
        done,
        alert,
        errors,
        reason,
    })
}

/// GET /appointments/cancel?token=…: shows the appointment and asks to confirm. Never acts.
pub async fn link_form(
    State(state): State<AppState>,
    maybe: MaybeUser,
    QueryOr(q): QueryOr<TokenQuery>,
) -> Result<Response, PageError> {
    let page = link_page(
        &state,
        &maybe,
        q.token.as_deref().unwrap_or(""),
        false,
        None,
        Errors::default(),
        String::new(),
    )
    .await?;
    Ok(Outcome::OK.render(&page))
}

/// POST /appointments/cancel: cancels with the link's token and a reason.
pub async fn link_cancel(
    State(state): State<AppState>,
    ctx: RequestCtx,
    maybe: MaybeUser,
    PageForm(form): PageForm<CancelForm>,
) -> Result<Response, PageError> {
    match appointments::cancel_by_link(&state, &ctx, &form.token, &form.reason).await {
        Ok(a) => {
            let page = LinkPage {
                nav: maybe.nav(&state, "appointments").await?,
                token: String::new(),
                when: local_time(&a.clinic_time_zone, a.start),
                doctor: a.doctor_name,
                clinic: a.clinic_name,
                code: a.ref_code,
                done: true,
                alert: None,
                errors: Errors::default(),
                reason: String::new(),
            };
            Ok(Outcome::OK.render(&page))
        }
        Err(AppError::NotFound) => Err(AppError::BadRequest(LINK_GONE.into()).into()),
        Err(e) => {
            let (status, alert, errors) = cancel_failure(e)?;
            let page = link_page(
                &state,
                &maybe,
                &form.token,
                false,
                alert,
                errors,
                form.reason,
            )
            .await?;
            Ok(Outcome {
                status,
                retry_after: None,
            }
            .render(&page))
        }
    }
}
