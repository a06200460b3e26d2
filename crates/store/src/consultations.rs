//! Consultations (the table is `encounters`) and their addenda. The prescription written in
//! each is in `prescriptions`.

use crate::{StoreError, StoreResult, all_as, exec, get, ms, one_as, ts};
use domain::{
    AppointmentId, ClinicId, ConsultationId, DoctorId, PatientId, TokenId, UserId,
    consultation::Vitals,
};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};

pub use crate::prescriptions::{
    Prescription, find_prescription, prescription_of, prescriptions_of_patient,
    prescriptions_of_user, put_prescription,
};

/// What the doctor writes; the caller has validated it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Notes {
    pub complaints: String,
    pub vitals: Vitals,
    pub examination: String,
    pub diagnosis: String,
    /// An ICD-10 code such as `J06.9`.
    pub icd10: Option<String>,
    pub advice: String,
    /// `YYYY-MM-DD`.
    pub follow_up_date: Option<String>,
}

/// A consultation, with the names its pages show.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Consultation {
    pub id: ConsultationId,
    pub clinic_id: ClinicId,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub patient_mrn: String,
    pub doctor_id: DoctorId,
    pub doctor_name: String,
    pub doctor_user_id: UserId,
    pub token_id: Option<TokenId>,
    pub appointment_id: Option<AppointmentId>,
    /// True once signed: locked, later notes are addenda.
    pub signed: bool,
    pub notes: Notes,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    pub signed_at: Option<Timestamp>,
    pub version: i32,
}

const SELECT: &str = "SELECT e.id, e.clinic_id, e.patient_id, e.doctor_id, e.token_id, \
    e.appointment_id, e.status, e.complaints, e.vitals, e.examination, e.diagnosis, e.icd10, \
    e.advice, e.follow_up_date, e.started_at, e.updated_at, e.signed_at, e.version, \
    p.name AS patient_name, p.mrn AS patient_mrn, d.name AS doctor_name, d.user_id AS doctor_user_id \
    FROM encounters e JOIN patients p ON p.id = e.patient_id JOIN doctors d ON d.id = e.doctor_id";

pub(crate) fn json<T: serde::de::DeserializeOwned>(r: &QueryResult, col: &str) -> StoreResult<T> {
    let s: String = get(r, col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn row(r: &QueryResult) -> StoreResult<Consultation> {
    let opt_id = |col| get::<Option<uuid::Uuid>>(r, col);
    Ok(Consultation {
        id: ConsultationId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        patient_id: PatientId::from_uuid(get(r, "patient_id")?),
        patient_name: get(r, "patient_name")?,
        patient_mrn: get(r, "patient_mrn")?,
        doctor_id: DoctorId::from_uuid(get(r, "doctor_id")?),
        doctor_name: get(r, "doctor_name")?,
        doctor_user_id: UserId::from_uuid(get(r, "doctor_user_id")?),
        token_id: opt_id("token_id")?.map(TokenId::from_uuid),
        appointment_id: opt_id("appointment_id")?.map(AppointmentId::from_uuid),
        signed: get::<String>(r, "status")? == "signed",
        notes: Notes {
            complaints: get(r, "complaints")?,
            vitals: json(r, "vitals")?,
            examination: get(r, "examination")?,
            diagnosis: get(r, "diagnosis")?,
            icd10: get(r, "icd10")?,
            advice: get(r, "advice")?,
            follow_up_date: get(r, "follow_up_date")?,
        },
        started_at: ts(get(r, "started_at")?)?,
        updated_at: ts(get(r, "updated_at")?)?,
        signed_at: get::<Option<i64>>(r, "signed_at")?.map(ts).transpose()?,
        version: get(r, "version")?,
    })
}

fn vitals_json(v: &Vitals) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A new draft consultation.
pub struct NewConsultation {
    pub clinic_id: ClinicId,
    pub patient_id: PatientId,
    pub doctor_id: DoctorId,
    pub token_id: Option<TokenId>,
    pub appointment_id: Option<AppointmentId>,
}

/// Opens an empty draft. A second draft for the same token is `Conflict`.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    new: &NewConsultation,
    now: Timestamp,
) -> StoreResult<ConsultationId> {
    let id = ConsultationId::new();
    exec(
        c,
        "INSERT INTO encounters (id, clinic_id, patient_id, doctor_id, token_id, appointment_id, \
         status, complaints, vitals, examination, diagnosis, advice, started_at, updated_at, \
         version) VALUES ($1, $2, $3, $4, $5, $6, 'draft', '', $7, '', '', '', $8, $8, 1)",
        vec![
            id.as_uuid().into(),
            new.clinic_id.as_uuid().into(),
            new.patient_id.as_uuid().into(),
            new.doctor_id.as_uuid().into(),
            new.token_id.map(|t| t.as_uuid()).into(),
            new.appointment_id.map(|a| a.as_uuid()).into(),
            vitals_json(&Vitals::default())?.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(id)
}

/// One consultation of `clinic`.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: ConsultationId,
) -> StoreResult<Option<Consultation>> {
    one_as(
        c,
        &format!("{SELECT} WHERE e.clinic_id = $1 AND e.id = $2"),
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
        row,
    )
    .await
}

/// The consultation opened for a queue token, if any.
pub async fn of_token<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    token: TokenId,
) -> StoreResult<Option<Consultation>> {
    one_as(
        c,
        &format!("{SELECT} WHERE e.clinic_id = $1 AND e.token_id = $2"),
        vec![clinic.as_uuid().into(), token.as_uuid().into()],
        row,
    )
    .await
}

/// A patient's consultations, newest first (at most `limit`).
pub async fn of_patient<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    patient: PatientId,
    limit: u64,
) -> StoreResult<Vec<Consultation>> {
    all_as(
        c,
        &format!(
            "{SELECT} WHERE e.clinic_id = $1 AND e.patient_id = $2 \
             ORDER BY e.started_at DESC LIMIT $3"
        ),
        vec![
            clinic.as_uuid().into(),
            patient.as_uuid().into(),
            (limit as i64).into(),
        ],
        row,
    )
    .await
}

/// Saves a draft still at `version`; false when it moved on or is signed.
pub async fn save<C: ConnectionTrait>(
    c: &C,
    id: ConsultationId,
    version: i32,
    notes: &Notes,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE encounters SET complaints = $1, vitals = $2, examination = $3, diagnosis = $4, \
         icd10 = $5, advice = $6, follow_up_date = $7, updated_at = $8, version = version + 1 \
         WHERE id = $9 AND version = $10 AND status = 'draft'",
        vec![
            notes.complaints.as_str().into(),
            vitals_json(&notes.vitals)?.into(),
            notes.examination.as_str().into(),
            notes.diagnosis.as_str().into(),
            notes.icd10.clone().into(),
            notes.advice.as_str().into(),
            notes.follow_up_date.clone().into(),
            ms(now).into(),
            id.as_uuid().into(),
            version.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Signs a draft still at `version`, locking it; false when it moved on or is signed.
pub async fn sign<C: ConnectionTrait>(
    c: &C,
    id: ConsultationId,
    version: i32,
    by: UserId,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE encounters SET status = 'signed', signed_at = $1, signed_by = $2, updated_at = $1, \
         version = version + 1 WHERE id = $3 AND version = $4 AND status = 'draft'",
        vec![
            ms(now).into(),
            by.as_uuid().into(),
            id.as_uuid().into(),
            version.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// A note added to a signed consultation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Addendum {
    pub author_name: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// Adds an addendum.
pub async fn add_addendum<C: ConnectionTrait>(
    c: &C,
    e: &Consultation,
    author: UserId,
    author_name: &str,
    body: &str,
    now: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO encounter_addenda (id, clinic_id, encounter_id, author_id, author_name, body, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            uuid::Uuid::now_v7().into(),
            e.clinic_id.as_uuid().into(),
            e.id.as_uuid().into(),
            author.as_uuid().into(),
            author_name.into(),
            body.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}

/// A consultation's addenda, oldest first.
pub async fn addenda<C: ConnectionTrait>(c: &C, id: ConsultationId) -> StoreResult<Vec<Addendum>> {
    all_as(
        c,
        "SELECT author_name, body, created_at FROM encounter_addenda WHERE encounter_id = $1 \
         ORDER BY created_at, id",
        vec![id.as_uuid().into()],
        |r| {
            Ok(Addendum {
                author_name: get(r, "author_name")?,
                body: get(r, "body")?,
                created_at: ts(get(r, "created_at")?)?,
            })
        },
    )
    .await
}
