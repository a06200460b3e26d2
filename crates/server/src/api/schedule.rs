//! Visit types, weekly hours, leave, holidays, extra hours and the booking policy. The
//! slot search is `api::slots`.

use super::{
    extract::{ApiJson, ApiPath, ApiQuery, date_param},
    views::{ExceptionView, VisitTypeView},
};
use crate::{
    app::{
        schedule::{self, IntervalInput, PolicyInput, VisitTypeInput},
        time_off::{self, TimeOffInput, TimeOffKind},
    },
    auth::{
        RequestCtx,
        extract::{AdminOrDoctor, AnyStaff, ClinicAdmin, ClinicScope, PublicClinic},
    },
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use domain::{DoctorId, ExceptionId, VisitTypeId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Visit-type filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VisitTypeQuery {
    /// Only the types this doctor offers.
    pub doctor_id: Option<Uuid>,
}

/// Add a visit type (admins: clinic-wide or for a doctor; doctors: their own).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/visit-types", operation_id = "create_visit_type", tag = "schedule",
    params(("clinic_id" = Uuid, Path)), request_body = VisitTypeInput,
    responses((status = 201, body = VisitTypeView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_visit_type(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicScope<AdminOrDoctor>,
    ApiJson(b): ApiJson<VisitTypeInput>,
) -> AppResult<(StatusCode, Json<VisitTypeView>)> {
    let vt = schedule::create_visit_type(&state, &ctx, &scope, &b).await?;
    Ok((StatusCode::CREATED, Json(vt.into())))
}

/// The clinic's visit types, or one doctor's (public).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/visit-types", operation_id = "list_visit_types", tag = "schedule",
    params(("clinic_id" = Uuid, Path), VisitTypeQuery),
    responses((status = 200, body = Vec<VisitTypeView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_visit_types(
    State(state): State<AppState>,
    PublicClinic(clinic): PublicClinic,
    ApiQuery(q): ApiQuery<VisitTypeQuery>,
) -> AppResult<Json<Vec<VisitTypeView>>> {
    let list =
        schedule::list_visit_types(&state, clinic.id, q.doctor_id.map(DoctorId::from_uuid)).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Retire a visit type: no longer bookable; booked appointments keep it (admins: any;
/// doctors: their own).
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic_id}/visit-types/{visit_type_id}", operation_id = "archive_visit_type", tag = "schedule",
    params(("clinic_id" = Uuid, Path), ("visit_type_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn archive_visit_type(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicScope<AdminOrDoctor>,
    ApiPath((_, id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<StatusCode> {
    schedule::archive_visit_type(&state, &ctx, &scope, VisitTypeId::from_uuid(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A doctor's week.
#[derive(Debug, Deserialize, serde::Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// Several intervals per weekday make breaks.
    #[schema(max_items = 50)]
    pub intervals: Vec<IntervalInput>,
}

/// Replace a doctor's weekly hours (the doctor, or an admin).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/hours", operation_id = "set_weekly_hours", tag = "schedule",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)), request_body = WeeklyHours,
    responses((status = 200, body = WeeklyHours), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_weekly_hours(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicScope<AdminOrDoctor>,
    ApiPath((_, doctor)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<WeeklyHours>,
) -> AppResult<Json<WeeklyHours>> {
    let hours = schedule::set_weekly_hours(
        &state,
        &ctx,
        &scope,
        DoctorId::from_uuid(doctor),
        &b.intervals,
    )
    .await?;
    Ok(Json(WeeklyHours {
        intervals: hours.iter().map(Into::into).collect(),
    }))
}

/// A doctor's weekly hours (public).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/hours", operation_id = "get_weekly_hours", tag = "schedule",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)),
    responses((status = 200, body = WeeklyHours), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_weekly_hours(
    State(state): State<AppState>,
    PublicClinic(clinic): PublicClinic,
    ApiPath((_, doctor)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Json<WeeklyHours>> {
    let hours = schedule::get_weekly_hours(&state, clinic.id, DoctorId::from_uuid(doctor)).await?;
    Ok(Json(WeeklyHours {
        intervals: hours.iter().map(Into::into).collect(),
    }))
}

/// Add leave for a doctor: one day or a range, whole days or `start`–`end` each day.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/leave", operation_id = "add_leave", tag = "schedule",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)), request_body = TimeOffInput,
    responses((status = 201, body = ExceptionView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn add_leave(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicScope<AdminOrDoctor>,
    ApiPath((_, doctor)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<TimeOffInput>,
) -> AppResult<(StatusCode, Json<ExceptionView>)> {
    let e = time_off::add_doctor_time_off(
        &state,
        &ctx,
        &scope,
        DoctorId::from_uuid(doctor),
        TimeOffKind::Leave,
        &b,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// Add one-off extra hours for a doctor on one day.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/extra-hours", operation_id = "add_extra_hours", tag = "schedule",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)), request_body = TimeOffInput,
    responses((status = 201, body = ExceptionView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn add_extra_hours(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicScope<AdminOrDoctor>,
    ApiPath((_, doctor)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<TimeOffInput>,
) -> AppResult<(StatusCode, Json<ExceptionView>)> {
    let e = time_off::add_doctor_time_off(
        &state,
        &ctx,
        &scope,
        DoctorId::from_uuid(doctor),
        TimeOffKind::Extra,
        &b,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// Close the clinic on a day or a range of days (clinic admins).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/holidays", operation_id = "add_holiday", tag = "schedule",
    params(("clinic_id" = Uuid, Path)), request_body = TimeOffInput,
    responses((status = 201, body = ExceptionView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn add_holiday(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiJson(b): ApiJson<TimeOffInput>,
) -> AppResult<(StatusCode, Json<ExceptionView>)> {
    let e = time_off::add_holiday(&state, &ctx, &scope, &b).await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// Remove a leave, holiday or extra-hours entry (doctors: their own; admins: any).
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic_id}/schedule-exceptions/{exception_id}", operation_id = "remove_schedule_exception", tag = "schedule",
    params(("clinic_id" = Uuid, Path), ("exception_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn remove_schedule_exception(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicScope<AdminOrDoctor>,
    ApiPath((_, id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<StatusCode> {
    time_off::remove_time_off(&state, &ctx, &scope, ExceptionId::from_uuid(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which exceptions to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExceptionQuery {
    /// That doctor's leave and extra hours, with clinic holidays; omitted: holidays only.
    pub doctor_id: Option<Uuid>,
    /// First local date, `YYYY-MM-DD`; default today. The list covers a year from it.
    pub from: Option<String>,
}

/// Upcoming leave, extra hours and clinic holidays (staff of the clinic).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/schedule-exceptions", operation_id = "list_schedule_exceptions", tag = "schedule",
    params(("clinic_id" = Uuid, Path), ExceptionQuery),
    responses((status = 200, body = Vec<ExceptionView>), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_schedule_exceptions(
    State(state): State<AppState>,
    scope: ClinicScope<AnyStaff>,
    ApiQuery(q): ApiQuery<ExceptionQuery>,
) -> AppResult<Json<Vec<ExceptionView>>> {
    let clinic = scope.clinic();
    let from = date_param("from", &q.from)?.unwrap_or_else(|| {
        state
            .now()
            .to_zoned(crate::app::local_time::zone_of(clinic))
            .date()
    });
    let list =
        time_off::upcoming(&state, &scope, q.doctor_id.map(DoctorId::from_uuid), from).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Set the clinic's booking policy (clinic admins).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/booking-policy", operation_id = "set_booking_policy", tag = "schedule",
    params(("clinic_id" = Uuid, Path)), request_body = PolicyInput,
    responses((status = 200, body = PolicyInput), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_booking_policy(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiJson(b): ApiJson<PolicyInput>,
) -> AppResult<Json<PolicyInput>> {
    Ok(Json(
        schedule::set_booking_policy(&state, &ctx, &scope, &b)
            .await?
            .into(),
    ))
}

/// The clinic's booking policy (public).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/booking-policy", operation_id = "get_booking_policy", tag = "schedule",
    params(("clinic_id" = Uuid, Path)),
    responses((status = 200, body = PolicyInput), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_booking_policy(
    State(state): State<AppState>,
    PublicClinic(clinic): PublicClinic,
) -> AppResult<Json<PolicyInput>> {
    Ok(Json(
        schedule::get_booking_policy(&state, clinic.id)
            .await?
            .into(),
    ))
}
