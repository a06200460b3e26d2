//! The day's queue: issue tokens, check booked patients in, read the queues, and move
//! tokens (call next, recall, skip, put back, start, end, transfer).

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::app::scope::Caller;
use crate::{
    app::{
        queue::{self, DoctorQueue, IssueInput},
        queue_status::signed_path,
    },
    auth::RequestCtx,
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use domain::{
    AppointmentId, DoctorId, PatientId, TokenId,
    queue::{Priority, TokenMove},
};
use serde::{Deserialize, Serialize};
use store::queue::Token;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A queue token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    /// The patient's status page (`/q/…`), signed: print it on the slip or send it.
    pub status_path: String,
    /// 1, 2, 3, … per doctor per local day.
    pub number: i32,
    /// The clinic's local date, `YYYY-MM-DD`.
    pub local_date: String,
    pub doctor_id: Uuid,
    pub doctor_name: String,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub patient_mrn: String,
    /// For a booked patient who checked in.
    pub appointment_id: Option<Uuid>,
    /// `normal`, `elderly`, `pregnant`, `disabled`, `child` or `emergency`.
    pub priority: String,
    /// `waiting`, `called`, `in_consultation`, `done`, `skipped` or `transferred`.
    pub status: String,
    /// UTC instants, RFC 3339.
    pub arrived_at: String,
    pub slot_start: Option<String>,
    pub called_at: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// The token that replaced this one in another doctor's queue.
    pub transferred_to: Option<Uuid>,
    pub version: i32,
}

impl TokenView {
    /// The view, with the status link signed by `key` (`AppState::link_key`).
    fn of(t: Token, key: &str) -> AppResult<Self> {
        let at = |x: Option<jiff::Timestamp>| x.map(|t| t.to_string());
        Ok(TokenView {
            status_path: signed_path(key, t.id)?,
            id: t.id.as_uuid(),
            number: t.number,
            local_date: t.local_date,
            doctor_id: t.doctor_id.as_uuid(),
            doctor_name: t.doctor_name,
            patient_id: t.patient_id.as_uuid(),
            patient_name: t.patient_name,
            patient_mrn: t.patient_mrn,
            appointment_id: t.appointment_id.map(|a| a.as_uuid()),
            priority: t.priority.as_str().into(),
            status: t.status.as_str().into(),
            arrived_at: t.arrived_at.to_string(),
            slot_start: at(t.slot_start),
            called_at: at(t.called_at),
            started_at: at(t.started_at),
            ended_at: at(t.ended_at),
            transferred_to: t.transferred_to.map(|x| x.as_uuid()),
            version: t.version,
        })
    }

    /// One token's view.
    async fn one(state: &AppState, t: Token) -> AppResult<Json<Self>> {
        Ok(Json(Self::of(t, state.link_key().await?)?))
    }
}

fn priority(raw: Option<&str>) -> AppResult<Priority> {
    Ok(raw.map(str::parse).transpose()?.unwrap_or(Priority::Normal))
}

/// A walk-in's token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    pub doctor_id: Uuid,
    pub patient_id: Uuid,
    /// Default `normal`.
    #[serde(default)]
    pub priority: Option<String>,
}

/// Issue today's token for a walk-in to a doctor (desk staff). The number is the doctor's
/// next of the clinic's day, never reused.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/queue/tokens", operation_id = "issue_token", tag = "queue",
    params(("clinic_id" = Uuid, Path)),
    request_body = IssueRequest,
    responses((status = 201, body = TokenView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn issue_token(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiJson(b): ApiJson<IssueRequest>,
) -> AppResult<(StatusCode, Json<TokenView>)> {
    let input = IssueInput {
        doctor_id: DoctorId::from_uuid(b.doctor_id),
        patient_id: PatientId::from_uuid(b.patient_id),
        priority: priority(b.priority.as_deref())?,
    };
    let t = queue::issue_token(&state, &ctx, &caller, &input).await?;
    Ok((StatusCode::CREATED, TokenView::one(&state, t).await?))
}

/// A check-in's options.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    /// Default `normal`.
    #[serde(default)]
    pub priority: Option<String>,
}

/// Check a booked patient in (desk staff): the appointment becomes `arrived` and the
/// patient gets a token in their doctor's queue, called near their slot time.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/appointments/{appointment_id}/check-in", operation_id = "check_in_appointment", tag = "queue",
    params(("clinic_id" = Uuid, Path), ("appointment_id" = Uuid, Path)),
    request_body = CheckInRequest,
    responses((status = 201, body = TokenView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn check_in_appointment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<CheckInRequest>,
) -> AppResult<(StatusCode, Json<TokenView>)> {
    let p = priority(b.priority.as_deref())?;
    let t = queue::check_in(&state, &ctx, &caller, AppointmentId::from_uuid(id), p).await?;
    Ok((StatusCode::CREATED, TokenView::one(&state, t).await?))
}

/// One doctor's queue today.
#[derive(Debug, Serialize, ToSchema)]
pub struct DoctorQueueView {
    pub doctor_id: Uuid,
    pub doctor_name: String,
    /// Called, or with the doctor.
    pub current: Vec<TokenView>,
    /// In the order they will be called.
    pub waiting: Vec<TokenView>,
    pub skipped: Vec<TokenView>,
    /// Done or transferred, latest first.
    pub closed: Vec<TokenView>,
}

impl DoctorQueueView {
    fn of(q: DoctorQueue, key: &str) -> AppResult<Self> {
        let views = |v: Vec<Token>| -> AppResult<Vec<TokenView>> {
            v.into_iter().map(|t| TokenView::of(t, key)).collect()
        };
        Ok(DoctorQueueView {
            doctor_id: q.doctor_id.as_uuid(),
            doctor_name: q.doctor_name,
            current: views(q.current)?,
            waiting: views(q.waiting)?,
            skipped: views(q.skipped)?,
            closed: views(q.closed)?,
        })
    }
}

/// Queue filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// Only this doctor's queue.
    pub doctor_id: Option<Uuid>,
}

/// Today's queues, per doctor, waiting tokens in call order (staff).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/queue", operation_id = "get_queue", tag = "queue",
    params(("clinic_id" = Uuid, Path), QueueQuery),
    responses((status = 200, body = Vec<DoctorQueueView>), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_queue(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> AppResult<Json<Vec<DoctorQueueView>>> {
    let list = queue::get_queue(&state, &caller, q.doctor_id.map(DoctorId::from_uuid)).await?;
    let key = state.link_key().await?;
    let views = list.into_iter().map(|q| DoctorQueueView::of(q, key));
    Ok(Json(views.collect::<AppResult<_>>()?))
}

/// Call the doctor's next waiting token by the queue's order (the doctor, or an admin).
/// 409 while another token is called or with the doctor, or when nobody waits.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/queue/doctors/{doctor_id}/call-next", operation_id = "call_next_token", tag = "queue",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)),
    responses((status = 200, body = TokenView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn call_next_token(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, doctor)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Json<TokenView>> {
    let t = queue::call_next(&state, &ctx, &caller, DoctorId::from_uuid(doctor)).await?;
    TokenView::one(&state, t).await
}

type TokenPath = ApiPath<(Uuid, Uuid)>;

async fn move_token(
    state: AppState,
    ctx: RequestCtx,
    caller: Caller,
    path: TokenPath,
    mv: TokenMove,
) -> AppResult<Json<TokenView>> {
    let id = TokenId::from_uuid(path.0.1);
    let t = queue::move_token(&state, &ctx, &caller, id, mv).await?;
    TokenView::one(&state, t).await
}

macro_rules! token_move {
    ($(#[$doc:meta])* $name:ident, $path:literal, $mv:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, operation_id = stringify!($name), tag = "queue",
            params(("clinic_id" = Uuid, Path), ("token_id" = Uuid, Path)),
            responses((status = 200, body = TokenView), (status = 403, body = Problem, content_type = "application/problem+json"),
                (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
            security(("bearer" = [])))]
        pub async fn $name(
            State(state): State<AppState>,
            ctx: RequestCtx,
            caller: Caller,
            path: TokenPath,
        ) -> AppResult<Json<TokenView>> {
            move_token(state, ctx, caller, path, $mv).await
        }
    };
}

token_move!(
    /// Call a called token again (its doctor, or an admin).
    recall_token, "/api/v1/clinics/{clinic_id}/queue/tokens/{token_id}/recall", TokenMove::Recall
);
token_move!(
    /// Pass over a waiting or called token whose patient is not here (doctor, admin or desk).
    skip_token, "/api/v1/clinics/{clinic_id}/queue/tokens/{token_id}/skip", TokenMove::Skip
);
token_move!(
    /// Put a skipped token back in the queue, queued from now (doctor, admin or desk).
    requeue_token, "/api/v1/clinics/{clinic_id}/queue/tokens/{token_id}/requeue", TokenMove::Requeue
);
token_move!(
    /// The patient is with the doctor (its doctor, or an admin).
    start_token, "/api/v1/clinics/{clinic_id}/queue/tokens/{token_id}/start", TokenMove::Start
);
token_move!(
    /// The consultation is over; a checked-in appointment becomes fulfilled.
    end_token, "/api/v1/clinics/{clinic_id}/queue/tokens/{token_id}/end", TokenMove::End
);

/// Where to move a token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub doctor_id: Uuid,
}

/// Move a token to another doctor's queue (desk staff). The old token closes as
/// `transferred`; the answer is the new token, queued from the original arrival.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/queue/tokens/{token_id}/transfer", operation_id = "transfer_token", tag = "queue",
    params(("clinic_id" = Uuid, Path), ("token_id" = Uuid, Path)),
    request_body = TransferRequest,
    responses((status = 201, body = TokenView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn transfer_token(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: TokenPath,
    ApiJson(b): ApiJson<TransferRequest>,
) -> AppResult<(StatusCode, Json<TokenView>)> {
    let id = TokenId::from_uuid(path.0.1);
    let t = queue::transfer(&state, &ctx, &caller, id, DoctorId::from_uuid(b.doctor_id)).await?;
    Ok((StatusCode::CREATED, TokenView::one(&state, t).await?))
}

/// A patient's place in the queue, as their signed link shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueStatusView {
    pub clinic_name: String,
    pub doctor_name: String,
    pub number: i32,
    /// `waiting`, `called`, `in_consultation`, `done`, `skipped` or `transferred`.
    pub status: String,
    /// While waiting: patients to be seen first.
    pub ahead: Option<usize>,
    /// While waiting: the estimated wait as a range of minutes.
    pub wait_min_minutes: Option<u32>,
    pub wait_max_minutes: Option<u32>,
    /// The range in words ("about 10–25 minutes").
    pub wait_label: Option<String>,
    /// Consultations the estimate rests on (0: the default length).
    pub estimate_samples: usize,
    /// After a transfer: the path of the new token's status.
    pub moved_to: Option<String>,
}

/// The queue status behind a patient's signed link (no login: the signature is the
/// credential; a wrong one is 404).
#[utoipa::path(get, path = "/api/v1/queue-status/{token_id}/{signature}", operation_id = "get_queue_status", tag = "queue",
    params(("token_id" = Uuid, Path), ("signature" = String, Path)),
    responses((status = 200, body = QueueStatusView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_queue_status(
    State(state): State<AppState>,
    ApiPath((id, sig)): ApiPath<(String, String)>,
) -> AppResult<Json<QueueStatusView>> {
    let s = crate::app::queue_status::queue_status(&state, &id, &sig).await?;
    Ok(Json(QueueStatusView {
        clinic_name: s.clinic_name,
        doctor_name: s.doctor_name,
        number: s.number,
        status: s.status.as_str().into(),
        ahead: s.ahead,
        wait_min_minutes: s.wait.map(|w| w.min_minutes),
        wait_max_minutes: s.wait.map(|w| w.max_minutes),
        wait_label: s.wait.map(|w| w.label()),
        estimate_samples: s.samples,
        moved_to: s.moved_to,
    }))
}
