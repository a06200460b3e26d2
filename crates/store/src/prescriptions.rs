//! The prescription written in a consultation: its items, notes and what its printout needs.

use crate::{
    StoreError, StoreResult, all_as,
    consultations::{Consultation, json},
    exec, get, ms, one_as, ts,
};
use domain::{
    ClinicId, ConsultationId, DoctorId, PatientId, PrescriptionId, UserId, consultation::RxItem,
};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};

/// A prescription, with what its printout needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Prescription {
    pub id: PrescriptionId,
    pub clinic_id: ClinicId,
    pub encounter_id: ConsultationId,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub patient_mrn: String,
    pub patient_user_id: Option<UserId>,
    pub doctor_id: DoctorId,
    pub doctor_name: String,
    pub doctor_registration: String,
    pub items: Vec<RxItem>,
    pub notes: String,
    /// The consultation's signature time: `None` while it is a draft.
    pub signed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub clinic_name: String,
    pub clinic_time_zone: String,
    /// The visit summary the patient sees with it.
    pub diagnosis: String,
    pub advice: String,
    pub follow_up_date: Option<String>,
}

const RX_SELECT: &str = "SELECT x.id, x.clinic_id, x.encounter_id, x.patient_id, x.doctor_id, \
    x.items, x.notes, x.created_at, e.signed_at, e.diagnosis, e.advice, e.follow_up_date, \
    p.name AS patient_name, p.mrn AS patient_mrn, p.user_id AS patient_user_id, \
    d.name AS doctor_name, d.registration_number, c.name AS clinic_name, \
    c.time_zone AS clinic_time_zone \
    FROM prescriptions x JOIN encounters e ON e.id = x.encounter_id \
    JOIN patients p ON p.id = x.patient_id JOIN doctors d ON d.id = x.doctor_id \
    JOIN clinics c ON c.id = x.clinic_id";

fn rx_row(r: &QueryResult) -> StoreResult<Prescription> {
    Ok(Prescription {
        id: PrescriptionId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        encounter_id: ConsultationId::from_uuid(get(r, "encounter_id")?),
        patient_id: PatientId::from_uuid(get(r, "patient_id")?),
        patient_name: get(r, "patient_name")?,
        patient_mrn: get(r, "patient_mrn")?,
        patient_user_id: get::<Option<uuid::Uuid>>(r, "patient_user_id")?.map(UserId::from_uuid),
        doctor_id: DoctorId::from_uuid(get(r, "doctor_id")?),
        doctor_name: get(r, "doctor_name")?,
        doctor_registration: get(r, "registration_number")?,
        items: json(r, "items")?,
        notes: get(r, "notes")?,
        signed_at: get::<Option<i64>>(r, "signed_at")?.map(ts).transpose()?,
        created_at: ts(get(r, "created_at")?)?,
        clinic_name: get(r, "clinic_name")?,
        clinic_time_zone: get(r, "clinic_time_zone")?,
        diagnosis: get(r, "diagnosis")?,
        advice: get(r, "advice")?,
        follow_up_date: get(r, "follow_up_date")?,
    })
}

/// Writes (or replaces) the prescription of a draft consultation; returns its id.
pub async fn put_prescription<C: ConnectionTrait>(
    c: &C,
    e: &Consultation,
    items: &[RxItem],
    notes: &str,
    now: Timestamp,
) -> StoreResult<PrescriptionId> {
    let items = serde_json::to_string(items).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let existing = one_as(
        c,
        "SELECT id FROM prescriptions WHERE encounter_id = $1",
        vec![e.id.as_uuid().into()],
        |r| get::<uuid::Uuid>(r, "id"),
    )
    .await?;
    if let Some(id) = existing {
        exec(
            c,
            "UPDATE prescriptions SET items = $1, notes = $2, updated_at = $3 WHERE id = $4",
            vec![items.into(), notes.into(), ms(now).into(), id.into()],
        )
        .await?;
        return Ok(PrescriptionId::from_uuid(id));
    }
    let id = PrescriptionId::new();
    exec(
        c,
        "INSERT INTO prescriptions (id, clinic_id, encounter_id, patient_id, doctor_id, items, \
         notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        vec![
            id.as_uuid().into(),
            e.clinic_id.as_uuid().into(),
            e.id.as_uuid().into(),
            e.patient_id.as_uuid().into(),
            e.doctor_id.as_uuid().into(),
            items.into(),
            notes.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(id)
}

/// One prescription of `clinic`.
pub async fn find_prescription<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: PrescriptionId,
) -> StoreResult<Option<Prescription>> {
    one_as(
        c,
        &format!("{RX_SELECT} WHERE x.clinic_id = $1 AND x.id = $2"),
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
        rx_row,
    )
    .await
}

/// The prescription written in a consultation, if any.
pub async fn prescription_of<C: ConnectionTrait>(
    c: &C,
    encounter: ConsultationId,
) -> StoreResult<Option<Prescription>> {
    one_as(
        c,
        &format!("{RX_SELECT} WHERE x.encounter_id = $1"),
        vec![encounter.as_uuid().into()],
        rx_row,
    )
    .await
}

/// A patient's prescriptions, newest first; `signed_only` leaves drafts out.
pub async fn prescriptions_of_patient<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    patient: PatientId,
    signed_only: bool,
    limit: u64,
) -> StoreResult<Vec<Prescription>> {
    let signed = if signed_only {
        " AND e.signed_at IS NOT NULL"
    } else {
        ""
    };
    all_as(
        c,
        &format!(
            "{RX_SELECT} WHERE x.clinic_id = $1 AND x.patient_id = $2{signed} \
             ORDER BY x.created_at DESC LIMIT $3"
        ),
        vec![
            clinic.as_uuid().into(),
            patient.as_uuid().into(),
            (limit as i64).into(),
        ],
        rx_row,
    )
    .await
}

/// Signed prescriptions of every clinic record linked to `user`, newest first.
pub async fn prescriptions_of_user<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    limit: u64,
) -> StoreResult<Vec<Prescription>> {
    all_as(
        c,
        &format!(
            "{RX_SELECT} WHERE p.user_id = $1 AND e.signed_at IS NOT NULL \
             ORDER BY e.signed_at DESC LIMIT $2"
        ),
        vec![user.as_uuid().into(), (limit as i64).into()],
        rx_row,
    )
    .await
}
