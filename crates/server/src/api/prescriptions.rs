//! Prescriptions: written in a consultation (its doctor), read by the clinic's doctors and
//! by the patient, listed for the signed-in patient across clinics.

use super::consultations::Pair;
use super::extract::{ApiJson, ApiPath};
use crate::app::scope::Caller;
use crate::{
    app::prescriptions::{self as rx, RxRow},
    auth::{CurrentUser, RequestCtx},
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State};
use domain::{ConsultationId, PrescriptionId};
use serde::{Deserialize, Serialize};
use store::consultations::Prescription;
use utoipa::ToSchema;
use uuid::Uuid;

/// A prescription.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrescriptionView {
    pub id: Uuid,
    pub encounter_id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub patient_mrn: String,
    pub doctor_name: String,
    pub doctor_registration: String,
    pub items: Vec<RxRow>,
    pub notes: String,
    /// False while the consultation is a draft.
    pub signed: bool,
    pub signed_at: Option<String>,
    pub created_at: String,
}

impl From<Prescription> for PrescriptionView {
    fn from(p: Prescription) -> Self {
        PrescriptionView {
            id: p.id.as_uuid(),
            encounter_id: p.encounter_id.as_uuid(),
            patient_id: p.patient_id.as_uuid(),
            patient_name: p.patient_name,
            patient_mrn: p.patient_mrn,
            doctor_name: p.doctor_name,
            doctor_registration: p.doctor_registration,
            items: p
                .items
                .into_iter()
                .map(|i| RxRow {
                    drug: i.drug,
                    strength: i.strength,
                    form: i.form,
                    dose: i.dose,
                    frequency: i.frequency,
                    duration: i.duration,
                    route: i.route,
                    instructions: i.instructions,
                })
                .collect(),
            notes: p.notes,
            signed: p.signed_at.is_some(),
            signed_at: p.signed_at.map(|t| t.to_string()),
            created_at: p.created_at.to_string(),
        }
    }
}

/// A prescription's rows and notes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionRequest {
    /// Up to 30 medicines in at most 60 rows; blank rows are dropped.
    #[schema(max_items = 60)]
    pub items: Vec<RxRow>,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub notes: String,
}

/// Write the prescription of a draft consultation (its doctor); it replaces the previous
/// one and is locked when the consultation is signed.
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/consultations/{consultation_id}/prescription", operation_id = "create_prescription", tag = "consultations",
    params(("clinic_id" = Uuid, Path), ("consultation_id" = Uuid, Path)),
    request_body = PrescriptionRequest,
    responses((status = 200, body = PrescriptionView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_prescription(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<PrescriptionRequest>,
) -> AppResult<Json<PrescriptionView>> {
    let id = ConsultationId::from_uuid(id);
    let p = rx::save_prescription(&state, &ctx, &caller, id, &b.items, &b.notes).await?;
    Ok(Json(p.into()))
}

/// One prescription: the clinic's doctors, or the patient once signed (audited).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/prescriptions/{prescription_id}", operation_id = "get_prescription", tag = "consultations",
    params(("clinic_id" = Uuid, Path), ("prescription_id" = Uuid, Path)),
    responses((status = 200, body = PrescriptionView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_prescription(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
) -> AppResult<Json<PrescriptionView>> {
    let p = rx::get_prescription(&state, &ctx, &caller, PrescriptionId::from_uuid(id)).await?;
    Ok(Json(p.into()))
}

/// The signed-in patient's signed prescriptions from every clinic, newest first (audited).
#[utoipa::path(get, path = "/api/v1/me/prescriptions", operation_id = "list_my_prescriptions", tag = "me",
    responses((status = 200, body = Vec<PrescriptionView>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_my_prescriptions(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
) -> AppResult<Json<Vec<PrescriptionView>>> {
    let list = rx::my_prescriptions(&state, &ctx, &me).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}
