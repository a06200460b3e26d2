//! Doctors: applications, admin review, the public directory, profiles and specialties.

use super::{
    extract::{ApiJson, ApiPath, ApiQuery, Page},
    views::{DoctorView, SpecialtyView},
};
use crate::{
    app::doctors::{self, Decision, ProfileInput},
    auth::{
        CurrentUser, RequestCtx,
        extract::{AdminOrDoctor, ClinicAdmin, ClinicScope, PublicClinic},
    },
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use domain::{DoctorId, SpecialtyId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

type DoctorPath = ApiPath<(Uuid, Uuid)>;

fn doctor_id(p: &DoctorPath) -> DoctorId {
    DoctorId::from_uuid(p.0.1)
}

/// Apply to join a clinic as a doctor (signed-in users). The profile waits for an admin.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/doctor-applications", operation_id = "apply_as_doctor", tag = "doctors",
    params(("clinic_id" = Uuid, Path)), request_body = ProfileInput,
    responses((status = 201, body = DoctorView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn apply_as_doctor(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
    PublicClinic(clinic): PublicClinic,
    ApiJson(b): ApiJson<ProfileInput>,
) -> AppResult<(StatusCode, Json<DoctorView>)> {
    let d = doctors::apply_as_doctor(&state, &ctx, &me, clinic.id, &b).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Doctor profiles waiting for review (clinic admins).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/doctors/pending", operation_id = "list_pending_doctors", tag = "doctors",
    params(("clinic_id" = Uuid, Path)),
    responses((status = 200, body = Vec<DoctorView>), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_pending_doctors(
    State(state): State<AppState>,
    scope: ClinicAdmin,
) -> AppResult<Json<Vec<DoctorView>>> {
    let list = doctors::list_pending(&state, &scope).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Why a profile is rejected or suspended.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// Required to reject; optional to suspend.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: String,
}

async fn decide(
    state: AppState,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    path: DoctorPath,
    decision: Decision,
    reason: &str,
) -> AppResult<Json<DoctorView>> {
    let d = doctors::decide(&state, &ctx, &scope, doctor_id(&path), decision, reason).await?;
    Ok(Json(d.into()))
}

/// Approve a pending (or suspended) doctor: listed and bookable from now on.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/approve", operation_id = "approve_doctor", tag = "doctors",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)),
    responses((status = 200, body = DoctorView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn approve_doctor(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    path: DoctorPath,
) -> AppResult<Json<DoctorView>> {
    decide(state, ctx, scope, path, Decision::Approve, "").await
}

/// Reject a pending doctor, with a reason.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/reject", operation_id = "reject_doctor", tag = "doctors",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)), request_body = DecisionRequest,
    responses((status = 200, body = DoctorView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn reject_doctor(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    path: DoctorPath,
    ApiJson(b): ApiJson<DecisionRequest>,
) -> AppResult<Json<DoctorView>> {
    decide(state, ctx, scope, path, Decision::Reject, &b.reason).await
}

/// Suspend an approved doctor: no longer listed or bookable.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/suspend", operation_id = "suspend_doctor", tag = "doctors",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)), request_body = DecisionRequest,
    responses((status = 200, body = DoctorView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn suspend_doctor(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    path: DoctorPath,
    ApiJson(b): ApiJson<DecisionRequest>,
) -> AppResult<Json<DoctorView>> {
    decide(state, ctx, scope, path, Decision::Suspend, &b.reason).await
}

/// Directory filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DoctorQuery {
    /// Only doctors of this specialty.
    pub specialty_id: Option<Uuid>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// The clinic's approved doctors (public).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/doctors", operation_id = "list_doctors", tag = "doctors",
    params(("clinic_id" = Uuid, Path), DoctorQuery),
    responses((status = 200, body = Vec<DoctorView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_doctors(
    State(state): State<AppState>,
    PublicClinic(clinic): PublicClinic,
    ApiQuery(q): ApiQuery<DoctorQuery>,
) -> AppResult<Json<Vec<DoctorView>>> {
    let page = Page {
        limit: q.limit,
        offset: q.offset,
    };
    let list = doctors::list_doctors(
        &state,
        clinic.id,
        q.specialty_id.map(SpecialtyId::from_uuid),
        page.limit(),
        page.offset(),
    )
    .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// One approved doctor (public).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}", operation_id = "get_doctor", tag = "doctors",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)),
    responses((status = 200, body = DoctorView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_doctor(
    State(state): State<AppState>,
    PublicClinic(clinic): PublicClinic,
    path: DoctorPath,
) -> AppResult<Json<DoctorView>> {
    Ok(Json(
        doctors::get_doctor(&state, clinic.id, doctor_id(&path))
            .await?
            .into(),
    ))
}

/// Update a profile (the doctor themselves, or a clinic admin).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}", operation_id = "update_doctor_profile", tag = "doctors",
    params(("clinic_id" = Uuid, Path), ("doctor_id" = Uuid, Path)), request_body = ProfileInput,
    responses((status = 200, body = DoctorView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_doctor_profile(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicScope<AdminOrDoctor>,
    path: DoctorPath,
    ApiJson(b): ApiJson<ProfileInput>,
) -> AppResult<Json<DoctorView>> {
    let d = doctors::update_profile(&state, &ctx, &scope, doctor_id(&path), &b).await?;
    Ok(Json(d.into()))
}

/// The clinic's specialties (public).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/specialties", operation_id = "list_specialties", tag = "doctors",
    params(("clinic_id" = Uuid, Path)),
    responses((status = 200, body = Vec<SpecialtyView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_specialties(
    State(state): State<AppState>,
    PublicClinic(clinic): PublicClinic,
) -> AppResult<Json<Vec<SpecialtyView>>> {
    let list = doctors::list_specialties(&state, clinic.id).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// A specialty to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecialtyRequest {
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
}

/// Add a specialty to the clinic's list (clinic admins).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/specialties", operation_id = "create_specialty", tag = "doctors",
    params(("clinic_id" = Uuid, Path)), request_body = SpecialtyRequest,
    responses((status = 201, body = SpecialtyView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_specialty(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiJson(b): ApiJson<SpecialtyRequest>,
) -> AppResult<(StatusCode, Json<SpecialtyView>)> {
    let s = doctors::create_specialty(&state, &ctx, &scope, &b.name).await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}
