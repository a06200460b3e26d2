//! Today's queue for the desk and the doctors (the list itself, kept live, is in
//! `queue_list`), the moves on it, and issuing a walk-in's token.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Outcome, PageForm, QueryOr, see_other},
    layout::{Nav, nav},
    queue_list::{QueueList, queue_list},
};
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{
        local_time::zone_of,
        queue::{self, IssueInput},
    },
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};
use domain::{
    ClinicId, DoctorId, TokenId,
    queue::{Priority, TokenMove, TokenStatus},
};
use serde::Deserialize;
use store::queue::Token;

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    date_label: String,
    list: QueueList,
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

async fn queue_page(
    state: &AppState,
    caller: &Caller,
    notice: Option<String>,
    alert: Option<String>,
) -> Result<QueuePage, PageError> {
    let zone = zone_of(caller.clinic());
    Ok(QueuePage {
        nav: nav(state, caller.person()?, "queue").await?,
        clinic_id: caller.clinic_id(),
        date_label: state
            .now()
            .to_zoned(zone)
            .strftime("%A %-d %B %Y")
            .to_string(),
        list: queue_list(state, caller).await?,
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
    let caller = scope.into_caller();
    let (notice, slip_href) = token_notice(&state, &caller, &q.token).await?;
    let mut page = queue_page(&state, &caller, notice, None).await?;
    if page.list.is_desk {
        page.slip_href = slip_href;
    }
    Ok(Outcome::OK.render(&page))
}

/// What a page says after a token was issued or moved (`token` names it, from the query):
/// "Token 3 · Kavya Nair · Dr Rao: waiting.", and, while it waits, where its slip prints.
pub(super) async fn token_notice(
    state: &AppState,
    caller: &Caller,
    token: &str,
) -> Result<(Option<String>, Option<String>), PageError> {
    let Ok(id) = token.parse::<TokenId>() else {
        return Ok((None, None));
    };
    let Some(t) = crate::app::queue::find_token(state, caller, id).await? else {
        return Ok((None, None));
    };
    let notice = format!(
        "Token {} · {} · {}: {}.",
        t.number,
        t.patient_name,
        t.doctor_name,
        t.status.label().to_lowercase()
    );
    let slip =
        (t.status == TokenStatus::Waiting).then(|| routes::token_slip(caller.clinic_id(), t.id));
    Ok((Some(notice), slip))
}

/// After a move: back to the queue confirming `t`, or the queue with the refusal.
async fn answer(
    state: &AppState,
    caller: &Caller,
    result: Result<Token, AppError>,
) -> Result<Response, PageError> {
    let (status, msg) = match result {
        Ok(t) => {
            return Ok(see_other(&format!(
                "/clinics/{}/queue?token={}",
                caller.clinic_id(),
                t.id
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
    PagePath((_, doctor)): PagePath<(ClinicId, DoctorId)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let r = queue::call_next(&state, &ctx, &caller, doctor).await;
    answer(&state, &caller, r).await
}

/// POST /clinics/{clinic_id}/queue/tokens/{token_id}/{action}: recall, skip, requeue,
/// start or end.
pub async fn act(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id, action)): PagePath<(ClinicId, TokenId, String)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let mv: TokenMove = action.parse().map_err(|_| AppError::NotFound)?;
    let r = queue::move_token(&state, &ctx, &caller, id, mv).await;
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
    PagePath((_, id)): PagePath<(ClinicId, TokenId)>,
    PageForm(form): PageForm<TransferForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let r = match form.doctor.parse::<DoctorId>() {
        Ok(to) => queue::transfer(&state, &ctx, &caller, id, to).await,
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
    let caller = scope.into_caller();
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
        Ok(input) => queue::issue_token(&state, &ctx, &caller, &input).await,
        Err(e) => Err(e),
    };
    answer(&state, &caller, r).await
}
