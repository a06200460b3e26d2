//! The clinic's patient registry: register, find, read, edit, link to a login.

use super::{
    extract::{ApiJson, ApiPath, ApiQuery},
    views::PatientView,
};
use crate::app::scope::Caller;
use crate::{
    app::patients::{self, PatientForm},
    auth::RequestCtx,
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use domain::PatientId;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Register a patient (staff). A likely duplicate gets 409 `likely-duplicate` listing the
/// records it resembles; resend with `allow_duplicate` to register anyway.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/patients", operation_id = "create_patient", tag = "patients",
    params(("clinic_id" = Uuid, Path)),
    request_body = PatientForm,
    responses((status = 201, body = PatientView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_patient(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiJson(form): ApiJson<PatientForm>,
) -> AppResult<(StatusCode, Json<PatientView>)> {
    let p = patients::create_patient(&state, &ctx, &caller, &form).await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// Patient search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PatientQuery {
    /// The start of any words of a name (every word typed must match), the start of a
    /// phone number, or an MRN; 2–100 characters.
    pub q: String,
}

/// Find the clinic's patients by name, phone or MRN (staff; at most 20, by name; audited).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/patients", operation_id = "search_patients", tag = "patients",
    params(("clinic_id" = Uuid, Path), PatientQuery),
    responses((status = 200, body = Vec<PatientView>), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn search_patients(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiQuery(q): ApiQuery<PatientQuery>,
) -> AppResult<Json<Vec<PatientView>>> {
    let list = patients::search_patients(&state, &ctx, &caller, &q.q).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

type PatientPath = ApiPath<(Uuid, Uuid)>;

fn patient_id(p: &PatientPath) -> PatientId {
    PatientId::from_uuid(p.0.1)
}

/// One patient record (staff of the clinic, or the patient themself; audited).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/patients/{patient_id}", operation_id = "get_patient", tag = "patients",
    params(("clinic_id" = Uuid, Path), ("patient_id" = Uuid, Path)),
    responses((status = 200, body = PatientView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_patient(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: PatientPath,
) -> AppResult<Json<PatientView>> {
    let p = patients::get_patient(&state, &ctx, &caller, patient_id(&path)).await?;
    Ok(Json(p.into()))
}

/// Edit a patient record (staff): the whole form with the `version` read. A stale one gets 409; the audit log names the
/// fields that changed.
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/patients/{patient_id}", operation_id = "update_patient", tag = "patients",
    params(("clinic_id" = Uuid, Path), ("patient_id" = Uuid, Path)),
    request_body = PatientForm,
    responses((status = 200, body = PatientView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_patient(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: PatientPath,
    ApiJson(form): ApiJson<PatientForm>,
) -> AppResult<Json<PatientView>> {
    let p = patients::update_patient(&state, &ctx, &caller, patient_id(&path), &form).await?;
    Ok(Json(p.into()))
}

/// Which login to link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkAccountRequest {
    /// The e-mail address of the patient's own DocSpot account.
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
}

/// Link a record to the patient's self-registered account (staff, after checking who they
/// are), so they see their visits online. One record per account per clinic.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/patients/{patient_id}/link-account", operation_id = "link_patient_account", tag = "patients",
    params(("clinic_id" = Uuid, Path), ("patient_id" = Uuid, Path)),
    request_body = LinkAccountRequest,
    responses((status = 200, body = PatientView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn link_patient_account(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    path: PatientPath,
    ApiJson(b): ApiJson<LinkAccountRequest>,
) -> AppResult<Json<PatientView>> {
    let p = patients::link_account(&state, &ctx, &caller, patient_id(&path), &b.email).await?;
    Ok(Json(p.into()))
}
