//! Appointments: book, read, list, reschedule, cancel and the staff status moves.

use super::{
    extract::{ApiJson, ApiPath, ApiQuery, Page, date_param},
    views::AppointmentView,
};
use crate::app::scope::Caller;
use crate::{
    app::{
        appointments,
        booking::{self, BookInput, Idempotency, PatientChoice},
    },
    auth::{CurrentUser, RequestCtx},
    error::{AppError, AppResult, Problem},
    state::AppState,
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use domain::{AppointmentId, AppointmentStatus, DoctorId, PatientId, Source, VisitTypeId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A patient registered while booking (staff).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPatientRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    #[schema(max_length = 254)]
    pub email: String,
}

/// What to book. Patients book for themselves; staff name a `patient_id` or a `new_patient`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    pub doctor_id: Uuid,
    pub visit_type_id: Uuid,
    /// The slot's start as an RFC 3339 instant, as `search_slots` gives it.
    pub start: String,
    #[serde(default)]
    pub patient_id: Option<Uuid>,
    #[serde(default)]
    pub new_patient: Option<NewPatientRequest>,
    /// Why the patient comes (kept from e-mails).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: String,
    /// Staff: `desk` (default) or `phone`.
    #[serde(default)]
    pub source: Option<String>,
    /// Staff: book although the patient has another appointment then (audited).
    #[serde(default)]
    pub allow_patient_overlap: bool,
}

fn parse_start(raw: &str) -> AppResult<jiff::Timestamp> {
    raw.trim().parse().map_err(|_| {
        AppError::field(
            "start",
            "must be an RFC 3339 instant like 2026-12-01T04:30:00Z",
        )
    })
}

/// The `Idempotency-Key` header, if sent: 1–200 visible ASCII characters.
pub(super) fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .ok()
        .filter(|s| !s.is_empty() && s.len() <= 200 && s.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            AppError::field("Idempotency-Key", "must be 1–200 visible ASCII characters")
        })?;
    Ok(Some(s.to_owned()))
}

/// Book a slot. Send `Idempotency-Key` to make retries safe: a retry returns the first
/// answer; the same key with a different body is refused. A taken slot is 409 with the
/// nearest free `alternatives`; a slot the rules do not allow is 422 naming the `rule`.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/appointments", operation_id = "book_appointment", tag = "booking",
    params(("clinic_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = BookRequest,
    responses((status = 201, body = AppointmentView), (status = 200, body = AppointmentView, description = "A retry with the same Idempotency-Key"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn book_appointment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(b): ApiJson<BookRequest>,
) -> AppResult<(StatusCode, Json<AppointmentView>)> {
    let idem = idempotency_key(&headers)?.map(|key| Idempotency {
        key,
        request_hash: store::token_hash(&format!(
            "{}\n{}",
            caller.clinic_id(),
            serde_json::to_string(&b).unwrap_or_default()
        )),
    });
    let patient = match (b.patient_id, &b.new_patient) {
        (Some(_), Some(_)) => {
            return Err(AppError::field(
                "patient_id",
                "Give a patient_id or a new_patient, not both.",
            ));
        }
        (Some(id), None) => PatientChoice::Existing(PatientId::from_uuid(id)),
        (None, Some(p)) => PatientChoice::New {
            name: p.name.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
        },
        (None, None) => PatientChoice::Me,
    };
    let source = match b.source.as_deref() {
        None => None,
        Some(s) => Some(
            s.parse::<Source>()
                .map_err(|_| AppError::field("source", "must be desk or phone"))?,
        ),
    };
    let input = BookInput {
        doctor: DoctorId::from_uuid(b.doctor_id),
        visit_type: VisitTypeId::from_uuid(b.visit_type_id),
        start: parse_start(&b.start)?,
        patient,
        reason: b.reason.clone(),
        source,
        allow_patient_overlap: b.allow_patient_overlap,
    };
    let (a, replayed) = booking::book(&state, &ctx, &caller, &input, idem.as_ref()).await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(a.into())))
}

type AppointmentPath = ApiPath<(Uuid, Uuid)>;

fn appointment_id(p: &AppointmentPath) -> AppointmentId {
    AppointmentId::from_uuid(p.0.1)
}

/// One appointment (staff of the clinic, or the patient it is for).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/appointments/{appointment_id}", operation_id = "get_appointment", tag = "booking",
    params(("clinic_id" = Uuid, Path), ("appointment_id" = Uuid, Path)),
    responses((status = 200, body = AppointmentView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_appointment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: AppointmentPath,
) -> AppResult<Json<AppointmentView>> {
    Ok(Json(
        appointments::get(&state, &ctx, &caller, appointment_id(&path))
            .await?
            .into(),
    ))
}

/// List filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// First local date; default today.
    pub from: Option<String>,
    /// Last local date; default `from`; at most 62 days after it.
    pub to: Option<String>,
    pub doctor_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub status: Option<String>,
    /// At most 500; default 200.
    pub limit: Option<u64>,
}

/// The clinic's appointments by local dates (staff).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/appointments", operation_id = "list_appointments", tag = "booking",
    params(("clinic_id" = Uuid, Path), ListQuery),
    responses((status = 200, body = Vec<AppointmentView>), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_appointments(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<Vec<AppointmentView>>> {
    let filter = store::appointments::Filter {
        doctor: q.doctor_id.map(DoctorId::from_uuid),
        patient: q.patient_id.map(PatientId::from_uuid),
        status: q
            .status
            .as_deref()
            .map(|s| s.parse::<AppointmentStatus>())
            .transpose()?,
    };
    let list = appointments::list(
        &state,
        &ctx,
        &caller,
        date_param("from", &q.from)?,
        date_param("to", &q.to)?,
        &filter,
        q.limit.unwrap_or(200).clamp(1, 500),
    )
    .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// The caller's own appointments in every clinic: upcoming first, then past.
#[utoipa::path(get, path = "/api/v1/me/appointments", operation_id = "list_my_appointments", tag = "booking",
    params(Page),
    responses((status = 200, body = Vec<AppointmentView>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_my_appointments(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(p): ApiQuery<Page>,
) -> AppResult<Json<Vec<AppointmentView>>> {
    let list = appointments::list_mine(&state, &me, p.limit(), p.offset()).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// A new start for an appointment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// RFC 3339 instant of the new slot's start.
    pub start: String,
    /// Staff: move it although the patient has another appointment then (audited).
    #[serde(default)]
    pub allow_patient_overlap: bool,
}

/// Move an appointment to another slot of the same doctor: the new one is booked and the
/// old one cancelled in one step, linked both ways. Patients may until the cutoff.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/appointments/{appointment_id}/reschedule", operation_id = "reschedule_appointment", tag = "booking",
    params(("clinic_id" = Uuid, Path), ("appointment_id" = Uuid, Path)), request_body = RescheduleRequest,
    responses((status = 201, body = AppointmentView, description = "The new appointment"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn reschedule_appointment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: AppointmentPath,
    ApiJson(b): ApiJson<RescheduleRequest>,
) -> AppResult<(StatusCode, Json<AppointmentView>)> {
    let a = appointments::reschedule(
        &state,
        &ctx,
        &caller,
        appointment_id(&path),
        parse_start(&b.start)?,
        b.allow_patient_overlap,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Why an appointment is cancelled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Cancel with a reason. Patients may until the cutoff; staff after it too (audited).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/appointments/{appointment_id}/cancel", operation_id = "cancel_appointment", tag = "booking",
    params(("clinic_id" = Uuid, Path), ("appointment_id" = Uuid, Path)), request_body = CancelRequest,
    responses((status = 200, body = AppointmentView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn cancel_appointment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: AppointmentPath,
    ApiJson(b): ApiJson<CancelRequest>,
) -> AppResult<Json<AppointmentView>> {
    Ok(Json(
        appointments::cancel(&state, &ctx, &caller, appointment_id(&path), &b.reason)
            .await?
            .into(),
    ))
}

async fn move_to(
    state: AppState,
    ctx: RequestCtx,
    caller: Caller,
    path: AppointmentPath,
    m: domain::StaffMove,
) -> AppResult<Json<AppointmentView>> {
    Ok(Json(
        appointments::move_status(&state, &ctx, &caller, appointment_id(&path), m)
            .await?
            .into(),
    ))
}

/// Check a booked patient in (staff).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/appointments/{appointment_id}/arrive", operation_id = "mark_arrived", tag = "booking",
    params(("clinic_id" = Uuid, Path), ("appointment_id" = Uuid, Path)),
    responses((status = 200, body = AppointmentView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn mark_arrived(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: AppointmentPath,
) -> AppResult<Json<AppointmentView>> {
    move_to(state, ctx, caller, path, domain::StaffMove::Arrive).await
}

/// Mark a booked patient who did not come, after the start time (staff).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/appointments/{appointment_id}/noshow", operation_id = "mark_noshow", tag = "booking",
    params(("clinic_id" = Uuid, Path), ("appointment_id" = Uuid, Path)),
    responses((status = 200, body = AppointmentView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn mark_noshow(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: AppointmentPath,
) -> AppResult<Json<AppointmentView>> {
    move_to(state, ctx, caller, path, domain::StaffMove::NoShow).await
}

/// Mark an arrived patient's visit as done (doctors and admins).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/appointments/{appointment_id}/complete", operation_id = "complete_appointment", tag = "booking",
    params(("clinic_id" = Uuid, Path), ("appointment_id" = Uuid, Path)),
    responses((status = 200, body = AppointmentView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn complete_appointment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: AppointmentPath,
) -> AppResult<Json<AppointmentView>> {
    move_to(state, ctx, caller, path, domain::StaffMove::Complete).await
}

/// Confirm an online request that awaits approval (staff).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/appointments/{appointment_id}/approve", operation_id = "approve_appointment", tag = "booking",
    params(("clinic_id" = Uuid, Path), ("appointment_id" = Uuid, Path)),
    responses((status = 200, body = AppointmentView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn approve_appointment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: AppointmentPath,
) -> AppResult<Json<AppointmentView>> {
    move_to(state, ctx, caller, path, domain::StaffMove::Approve).await
}
