//! A patient's history for the consultation screen: visits and diagnoses, prescriptions,
//! appointments and documents (the clinic's doctors; audited).

use super::consultations::{clinician, log};
use crate::app::scope::Caller;
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use store::consultations::{self, Consultation, Prescription};

/// A patient's record for the consultation screen.
#[derive(Debug, Clone)]
pub struct History {
    pub patient: store::patients::Patient,
    /// Newest first.
    pub encounters: Vec<Consultation>,
    pub prescriptions: Vec<Prescription>,
    /// Past and upcoming, newest first.
    pub appointments: Vec<store::appointments::Appointment>,
    /// Reports and images, newest first.
    pub documents: Vec<store::documents::Document>,
}

/// The patient's history: visits, diagnoses, prescriptions and appointments (the clinic's
/// doctors; audited).
pub async fn get_patient_history(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    patient: domain::PatientId,
) -> AppResult<History> {
    let now = state.now();
    let tx = state.store().write().await?;
    clinician(&tx, caller).await?;
    let p = store::patients::find(&tx, caller.clinic_id(), patient)
        .await?
        .ok_or(AppError::NotFound)?;
    let encounters = consultations::of_patient(&tx, caller.clinic_id(), patient, 100).await?;
    let prescriptions =
        consultations::prescriptions_of_patient(&tx, caller.clinic_id(), patient, false, 100)
            .await?;
    let year = jiff::SignedDuration::from_hours(24 * 366);
    let mut appointments = store::appointments::list(
        &tx,
        caller.clinic_id(),
        now - year * 5,
        now + year,
        &store::appointments::Filter {
            doctor: None,
            patient: Some(patient),
            status: None,
        },
        200,
    )
    .await?;
    appointments.reverse();
    let documents = store::documents::of_patient(&tx, caller.clinic_id(), patient, 100).await?;
    log(&tx, ctx, caller, "patient.history", "patient", patient, now).await?;
    store::commit(tx).await?;
    Ok(History {
        patient: p,
        encounters,
        prescriptions,
        appointments,
        documents,
    })
}
