//! Consultations (encounters), their addenda, and the prescription written in each.

use crate::{StoreError, StoreResult, all_as, exec, get, ms, one_as, ts};
use domain::{
    AppointmentId, ClinicId, ConsultationId, DoctorId, PatientId, PrescriptionId, TokenId, UserId,
    consultation::{RxItem, Vitals},
};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};

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

fn json<T: serde::de::DeserializeOwned>(r: &QueryResult, col: &str) -> StoreResult<T> {
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
