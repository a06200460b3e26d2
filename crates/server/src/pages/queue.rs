//! Today's queue for the desk and the doctors: every doctor's current, waiting, skipped and
//! finished tokens, with the moves each viewer may make, and issuing a walk-in's token.

use super::{
    error::{Page, PageError},
    forms::{Choice, Outcome, PageForm, QueryOr, see_other},
    layout::{Nav, nav},
};
use crate::{
    app::{
        doctors,
        local_time::zone_of,
        queue::{self as line, DoctorQueue, IssueInput},
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
use domain::{
    DoctorId, Role, TokenId,
    queue::{Priority, TokenMove, TokenStatus},
};
use serde::Deserialize;
use store::queue::Token;

/// One token as a row, with the moves this viewer may make.
struct TokenRow {
    id: String,
    number: i32,
    patient: String,
    mrn: String,
    /// "Booked 10:30 · arrived 10:12", "Walk-in · arrived 10:05".
    detail: String,
    /// "Emergency", … or empty for normal.
    priority: &'static str,
    status: &'static str,
    actions: Vec<(&'static str, &'static str)>,
    /// Offer moving the token to another doctor.
    transfer: bool,
}

struct QueueBox {
    doctor_id: String,
    doctor_name: String,
    can_call: bool,
    current: Vec<TokenRow>,
    waiting: Vec<TokenRow>,
    skipped: Vec<TokenRow>,
    done: usize,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    nav: Nav,
    clinic_id: String,
    date_label: String,
    queues: Vec<QueueBox>,
    doctors: Vec<Choice>,
    is_desk: bool,
    notice: Option<String>,
    alert: Option<String>,
    /// The slip of the token just issued.
    slip_href: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    /// The token just issued or moved, to confirm it.
    token: String,
}

struct Viewer {
    desk: bool,
    admin: bool,
    doctor: Option<DoctorId>,
}

impl Viewer {
    async fn of(state: &AppState, caller: &ClinicCaller) -> Result<Self, PageError> {
        let doctor = if caller.has_any(&[Role::Doctor]) {
            store::doctors::of_user(state.store().conn(), caller.clinic.id, caller.me.id())
                .await
                .map_err(AppError::from)?
                .map(|d| d.id)
        } else {
            None
        };
        Ok(Viewer {
            desk: caller.has_any(&[Role::Admin, Role::Receptionist]),
            admin: caller.has_any(&[Role::Admin]),
            doctor,
        })
    }

    fn runs(&self, doctor: DoctorId) -> bool {
        self.admin || self.doctor == Some(doctor)
    }
}

fn row(t: &Token, v: &Viewer, zone: &jiff::tz::TimeZone, free: bool) -> TokenRow {
    let hm = |ts: jiff::Timestamp| ts.to_zoned(zone.clone()).strftime("%H:%M").to_string();
    let detail = match t.slot_start {
        Some(s) => format!("Booked {} · arrived {}", hm(s), hm(t.arrived_at)),
        None => format!("Walk-in · arrived {}", hm(t.arrived_at)),
    };
    let runs = v.runs(t.doctor_id);
    let may_start = free || t.status == TokenStatus::Called;
    // The token's own doctor opens the consultation, which starts the visit; an admin who
    // is not that doctor only moves the token.
    let own = v.doctor == Some(t.doctor_id);
    let mut actions = Vec::new();
    if own
        && (t.status == TokenStatus::InConsultation
            || (may_start && t.status.apply(TokenMove::Start).is_ok()))
    {
        actions.push(("consult", "See patient"));
    }
    let mut offer = |ok: bool, mv: TokenMove, label| {
        if ok && t.status.apply(mv).is_ok() {
            actions.push((mv.as_str(), label));
        }
    };
    offer(runs && !own && may_start, TokenMove::Start, "Start");
    offer(runs, TokenMove::Recall, "Recall");
    offer(runs, TokenMove::End, "End");
    offer(runs || v.desk, TokenMove::Skip, "Skip");
    offer(runs || v.desk, TokenMove::Requeue, "Put back");
    TokenRow {
        id: t.id.to_string(),
        number: t.number,
        patient: t.patient_name.clone(),
        mrn: t.patient_mrn.clone(),
        detail,
        priority: if t.priority == Priority::Normal {
            ""
        } else {
            t.priority.label()
        },
        status: t.status.label(),
        actions,
        transfer: v.desk && t.status.apply(TokenMove::Transfer).is_ok(),
    }
}

fn queue_box(q: DoctorQueue, v: &Viewer, zone: &jiff::tz::TimeZone) -> QueueBox {
    let free = q.current.is_empty();
    let rows = |list: &[Token]| list.iter().map(|t| row(t, v, zone, free)).collect();
    QueueBox {
        doctor_id: q.doctor_id.to_string(),
        can_call: v.runs(q.doctor_id) && free && !q.waiting.is_empty(),
        current: rows(&q.current),
        waiting: rows(&q.waiting),
        skipped: rows(&q.skipped),
        done: q.closed.len(),
        doctor_name: q.doctor_name,
    }
}

async fn queue_page(
    state: &AppState,
    caller: &ClinicCaller,
    notice: Option<String>,
    alert: Option<String>,
) -> Result<QueuePage, PageError> {
    let v = Viewer::of(state, caller).await?;
    let zone = zone_of(&caller.clinic);
    let mut queues = line::get_queue(state, caller, None).await?;
    // A doctor sees their own queue first, and sees it even while it is empty.
    if let Some(me) = v.doctor {
        match queues.iter().position(|q| q.doctor_id == me) {
            Some(i) => queues[..=i].rotate_right(1),
            None => {
                if let Some(d) = store::doctors::find(state.store().conn(), caller.clinic.id, me)
                    .await
                    .map_err(AppError::from)?
                {
                    queues.insert(0, line::arrange_empty(d.id, d.name));
                }
            }
        }
    }
    let list = doctors::list_doctors(state, caller.clinic.id, None, 500, 0).await?;
    Ok(QueuePage {
        nav: nav(state, &caller.me, "queue").await?,
        clinic_id: caller.clinic.id.to_string(),
        date_label: state
            .now()
            .to_zoned(zone.clone())
            .strftime("%A %-d %B %Y")
            .to_string(),
        queues: queues
            .into_iter()
            .map(|q| queue_box(q, &v, &zone))
            .collect(),
        doctors: list
            .into_iter()
            .map(|d| Choice {
                id: d.id.to_string(),
                name: d.name,
                selected: false,
            })
            .collect(),
        is_desk: v.desk,
        notice,
        alert,
        slip_href: None,
    })
}

/// GET /clinics/{clinic_id}/queue.
pub async fn show(
    State(state): State<AppState>,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    QueryOr(q): QueryOr<QueueQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller(&state).await?;
    let token = match q.token.parse::<TokenId>() {
        Ok(id) => store::queue::find(state.store().conn(), caller.clinic.id, id)
            .await
            .map_err(AppError::from)?,
        Err(_) => None,
    };
    let notice = token.as_ref().map(|t| {
        format!(
            "Token {} · {} · {}: {}.",
            t.number,
            t.patient_name,
            t.doctor_name,
            t.status.label().to_lowercase()
        )
    });
    let mut page = queue_page(&state, &caller, notice, None).await?;
    if page.is_desk
        && let Some(t) = token.filter(|t| t.status == TokenStatus::Waiting)
    {
        page.slip_href = Some(format!(
            "/clinics/{}/queue/tokens/{}/slip",
            caller.clinic.id, t.id
        ));
    }
    Ok(Outcome::OK.render(&page))
}

/// After a move: back to the queue confirming `t`, or the queue with the refusal.
async fn answer(
    state: &AppState,
    caller: &ClinicCaller,
    result: Result<Token, AppError>,
) -> Result<Response, PageError> {
    let (status, msg) = match result {
        Ok(t) => {
            return Ok(see_other(&format!(
                "/clinics/{}/queue?token={}",
                caller.clinic.id, t.id
            )));
        }
        Err(AppError::Conflict(m)) => (StatusCode::CONFLICT, m),
        Err(AppError::Forbidden(m)) => (StatusCode::FORBIDDEN, m),
        Err(AppError::Validation(list)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            list.into_iter()
                .map(|f| f.message)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Err(e) => return Err(e.into()),
    };
    let page = queue_page(state, caller, None, Some(msg)).await?;
    Ok(Outcome {
        status,
        retry_after: None,
    }
    .render(&page))
}

/// POST /clinics/{clinic_id}/queue/doctors/{doctor_id}/call-next.
pub async fn call_next(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    Path((_, doctor)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller(&state).await?;
    let doctor: DoctorId = doctor.parse().map_err(|_| AppError::NotFound)?;
    let r = line::call_next(&state, &ctx, &caller, doctor).await;
    answer(&state, &caller, r).await
}

/// POST /clinics/{clinic_id}/queue/tokens/{token_id}/{action}: recall, skip, requeue,
/// start or end.
pub async fn act(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    Path((_, id, action)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller(&state).await?;
    let id: TokenId = id.parse().map_err(|_| AppError::NotFound)?;
    let mv: TokenMove = action.parse().map_err(|_| AppError::NotFound)?;
    let r = line::move_token(&state, &ctx, &caller, id, mv).await;
    answer(&state, &caller, r).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TransferForm {
    doctor: String,
}

/// POST /clinics/{clinic_id}/queue/tokens/{token_id}/transfer.
pub async fn transfer(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    Path((_, id)): Path<(String, String)>,
    PageForm(form): PageForm<TransferForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller(&state).await?;
    let id: TokenId = id.parse().map_err(|_| AppError::NotFound)?;
    let r = match form.doctor.parse::<DoctorId>() {
        Ok(to) => line::transfer(&state, &ctx, &caller, id, to).await,
        Err(_) => Err(AppError::field("doctor_id", "Choose a doctor.")),
    };
    answer(&state, &caller, r).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IssueForm {
    patient: String,
    doctor: String,
    priority: String,
}

/// POST /clinics/{clinic_id}/queue/tokens: a walk-in's token, from the patient's record.
pub async fn issue(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PageForm(form): PageForm<IssueForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller(&state).await?;
    let input = (|| {
        Ok::<_, AppError>(IssueInput {
            patient_id: form.patient.parse().map_err(|_| AppError::NotFound)?,
            doctor_id: form
                .doctor
                .parse()
                .map_err(|_| AppError::field("doctor_id", "Choose a doctor."))?,
            priority: if form.priority.is_empty() {
                Priority::Normal
            } else {
                form.priority.parse()?
            },
        })
    })();
    let r = match input {
        Ok(input) => line::issue_token(&state, &ctx, &caller, &input).await,
        Err(e) => Err(e),
    };
    answer(&state, &caller, r).await
}
