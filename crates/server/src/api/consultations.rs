//! Consultations, prescriptions and the patient's history (the clinic's doctors; patients
//! read their own signed prescriptions).

use super::{
    extract::{ApiJson, ApiPath},
    views::{AppointmentView, PatientView},
};
use crate::app::scope::Caller;
use crate::{
    app::consultations::{self, ConsultationForm, ConsultationRecord},
    auth::RequestCtx,
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use domain::{ConsultationId, PatientId, TokenId};
use serde::{Deserialize, Serialize};
use store::consultations::{Addendum, Consultation, Prescription};
use utoipa::ToSchema;
use uuid::Uuid;

pub use super::prescriptions::PrescriptionView;

/// Vital signs as recorded (tenths where named).
#[derive(Debug, Serialize, ToSchema)]
pub struct VitalsView {
    pub systolic: Option<u16>,
    pub diastolic: Option<u16>,
    pub pulse: Option<u16>,
    /// Tenths of °C.
    pub temperature_dc: Option<u16>,
    /// Tenths of kg.
    pub weight_dg: Option<u32>,
    /// Millimetres.
    pub height_mm: Option<u16>,
    pub spo2: Option<u8>,
}

/// A note added after signing.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddendumView {
    pub author_name: String,
    pub body: String,
    pub created_at: String,
}

impl From<Addendum> for AddendumView {
    fn from(a: Addendum) -> Self {
        AddendumView {
            author_name: a.author_name,
            body: a.body,
            created_at: a.created_at.to_string(),
        }
    }
}

/// A consultation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsultationView {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub patient_mrn: String,
    pub doctor_id: Uuid,
    pub doctor_name: String,
    pub token_id: Option<Uuid>,
    pub appointment_id: Option<Uuid>,
    /// `draft` or `signed` (locked).
    pub status: String,
    pub complaints: String,
    pub vitals: VitalsView,
    pub examination: String,
    pub diagnosis: String,
    pub icd10: Option<String>,
    pub advice: String,
    pub follow_up_date: Option<String>,
    pub started_at: String,
    pub signed_at: Option<String>,
    /// Send it back with a save or a signature; a stale one gets 409.
    pub version: i32,
    pub addenda: Vec<AddendumView>,
    pub prescription: Option<PrescriptionView>,
}

impl ConsultationView {
    fn of(e: Consultation, addenda: Vec<Addendum>, rx: Option<Prescription>) -> Self {
        let v = e.notes.vitals;
        ConsultationView {
            id: e.id.as_uuid(),
            patient_id: e.patient_id.as_uuid(),
            patient_name: e.patient_name,
            patient_mrn: e.patient_mrn,
            doctor_id: e.doctor_id.as_uuid(),
            doctor_name: e.doctor_name,
            token_id: e.token_id.map(|t| t.as_uuid()),
            appointment_id: e.appointment_id.map(|a| a.as_uuid()),
            status: if e.signed { "signed" } else { "draft" }.into(),
            complaints: e.notes.complaints,
            vitals: VitalsView {
                systolic: v.systolic,
                diastolic: v.diastolic,
                pulse: v.pulse,
                temperature_dc: v.temperature_dc,
                weight_dg: v.weight_dg,
                height_mm: v.height_mm,
                spo2: v.spo2,
            },
            examination: e.notes.examination,
            diagnosis: e.notes.diagnosis,
            icd10: e.notes.icd10,
            advice: e.notes.advice,
            follow_up_date: e.notes.follow_up_date,
            started_at: e.started_at.to_string(),
            signed_at: e.signed_at.map(|t| t.to_string()),
            version: e.version,
            addenda: addenda.into_iter().map(Into::into).collect(),
            prescription: rx.map(Into::into),
        }
    }
}

impl From<ConsultationRecord> for ConsultationView {
    fn from(c: ConsultationRecord) -> Self {
        ConsultationView::of(c.consultation, c.addenda, c.prescription)
    }
}

pub(super) type Pair = ApiPath<(Uuid, Uuid)>;

/// Open the consultation for a token in the caller's queue (its doctor): the token moves to
/// `in_consultation`. Opening it again returns the same consultation.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/queue/tokens/{token_id}/consultation", operation_id = "start_consultation", tag = "consultations",
    params(("clinic_id" = Uuid, Path), ("token_id" = Uuid, Path)),
    responses((status = 201, body = ConsultationView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn start_consultation(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, token)): Pair,
) -> AppResult<(StatusCode, Json<ConsultationView>)> {
    let e =
        consultations::start_consultation(&state, &ctx, &caller, TokenId::from_uuid(token)).await?;
    let c = consultations::get_consultation(&state, &ctx, &caller, e.id).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// One consultation with its addenda and prescription (the clinic's doctors; audited).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/consultations/{consultation_id}", operation_id = "get_consultation", tag = "consultations",
    params(("clinic_id" = Uuid, Path), ("consultation_id" = Uuid, Path)),
    responses((status = 200, body = ConsultationView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_consultation(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
) -> AppResult<Json<ConsultationView>> {
    let c = consultations::get_consultation(&state, &ctx, &caller, ConsultationId::from_uuid(id))
        .await?;
    Ok(Json(c.into()))
}

/// Save the draft (its doctor): the whole form with the `version` read. Vitals are
/// range-checked; a signed consultation is 409.
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/consultations/{consultation_id}", operation_id = "save_consultation", tag = "consultations",
    params(("clinic_id" = Uuid, Path), ("consultation_id" = Uuid, Path)),
    request_body = ConsultationForm,
    responses((status = 200, body = ConsultationView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn save_consultation(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(form): ApiJson<ConsultationForm>,
) -> AppResult<Json<ConsultationView>> {
    let id = ConsultationId::from_uuid(id);
    Ok(Json(
        consultations::save_consultation(&state, &ctx, &caller, id, &form)
            .await?
            .into(),
    ))
}

/// Which version to sign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    pub version: i32,
}

/// Sign the draft (its doctor): locked from then on; a visit still with the doctor ends.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/consultations/{consultation_id}/sign", operation_id = "sign_consultation", tag = "consultations",
    params(("clinic_id" = Uuid, Path), ("consultation_id" = Uuid, Path)),
    request_body = SignRequest,
    responses((status = 200, body = ConsultationView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn sign_consultation(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<SignRequest>,
) -> AppResult<Json<ConsultationView>> {
    let id = ConsultationId::from_uuid(id);
    Ok(Json(
        consultations::sign_consultation(&state, &ctx, &caller, id, b.version)
            .await?
            .into(),
    ))
}

/// An addendum's text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddendumRequest {
    /// 1–4000 characters.
    #[schema(min_length = 1, max_length = 4000)]
    pub body: String,
}

/// Add a note to a signed consultation (any doctor of the clinic), with author and time.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/consultations/{consultation_id}/addenda", operation_id = "add_addendum", tag = "consultations",
    params(("clinic_id" = Uuid, Path), ("consultation_id" = Uuid, Path)),
    request_body = AddendumRequest,
    responses((status = 201, body = AddendumView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn add_addendum(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<AddendumRequest>,
) -> AppResult<(StatusCode, Json<AddendumView>)> {
    let a = consultations::add_addendum(
        &state,
        &ctx,
        &caller,
        ConsultationId::from_uuid(id),
        &b.body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// A past consultation in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitSummary {
    pub id: Uuid,
    pub started_at: String,
    pub doctor_name: String,
    pub diagnosis: String,
    pub icd10: Option<String>,
    /// `draft` or `signed`.
    pub status: String,
}

/// A patient's history for the consultation screen.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub patient: PatientView,
    /// Newest first.
    pub visits: Vec<VisitSummary>,
    pub prescriptions: Vec<PrescriptionView>,
    /// Past and upcoming, newest first.
    pub appointments: Vec<AppointmentView>,
    /// Reports and images, newest first.
    pub documents: Vec<super::documents::DocumentView>,
}

/// A patient's history: visits and diagnoses, prescriptions, appointments (the clinic's
/// doctors; audited).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/patients/{patient_id}/history", operation_id = "get_patient_history", tag = "consultations",
    params(("clinic_id" = Uuid, Path), ("patient_id" = Uuid, Path)),
    responses((status = 200, body = HistoryView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_patient_history(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
) -> AppResult<Json<HistoryView>> {
    let h =
        crate::app::history::get_patient_history(&state, &ctx, &caller, PatientId::from_uuid(id))
            .await?;
    Ok(Json(HistoryView {
        patient: h.patient.into(),
        visits: h
            .encounters
            .into_iter()
            .map(|e| VisitSummary {
                id: e.id.as_uuid(),
                started_at: e.started_at.to_string(),
                doctor_name: e.doctor_name,
                diagnosis: e.notes.diagnosis,
                icd10: e.notes.icd10,
                status: if e.signed { "signed" } else { "draft" }.into(),
            })
            .collect(),
        prescriptions: h.prescriptions.into_iter().map(Into::into).collect(),
        appointments: h.appointments.into_iter().map(Into::into).collect(),
        documents: h.documents.into_iter().map(Into::into).collect(),
    }))
}
