//! Doctor profiles and the clinic's list of specialties.

use crate::{StoreError, StoreResult, all, all_as, exec, get, ms, one_as, ts};
use domain::{ClinicId, DoctorId, DoctorStatus, SpecialtyId, UserId};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};
use std::collections::HashMap;

/// A specialty in a clinic's list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Specialty {
    pub id: SpecialtyId,
    pub name: String,
}

/// A doctor's profile in one clinic.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Doctor {
    pub id: DoctorId,
    pub clinic_id: ClinicId,
    pub user_id: UserId,
    pub status: DoctorStatus,
    pub name: String,
    pub qualifications: String,
    pub languages: Vec<String>,
    pub registration_number: String,
    pub fee_minor: i64,
    pub bio: String,
    pub decision_reason: Option<String>,
    pub specialties: Vec<Specialty>,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
}

/// The editable part of a profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub qualifications: String,
    pub languages: Vec<String>,
    pub registration_number: String,
    pub fee_minor: i64,
    pub bio: String,
    pub specialties: Vec<SpecialtyId>,
}

impl Profile {
    /// A profile with only a name, for the doctor to fill in.
    pub fn named(name: &str) -> Self {
        Profile {
            name: name.to_owned(),
            qualifications: String::new(),
            languages: Vec::new(),
            registration_number: String::new(),
            fee_minor: 0,
            bio: String::new(),
            specialties: Vec::new(),
        }
    }
}

const COLS: &str = "id, clinic_id, user_id, status, name, qualifications, languages, \
    registration_number, fee_minor, bio, decision_reason, created_at, updated_at";

fn row(r: &QueryResult) -> StoreResult<Doctor> {
    let status: String = get(r, "status")?;
    let languages: String = get(r, "languages")?;
    Ok(Doctor {
        id: DoctorId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        user_id: UserId::from_uuid(get(r, "user_id")?),
        status: status
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("doctor status {status}")))?,
        name: get(r, "name")?,
        qualifications: get(r, "qualifications")?,
        languages: serde_json::from_str(&languages)
            .map_err(|e| StoreError::Corrupt(format!("languages: {e}")))?,
        registration_number: get(r, "registration_number")?,
        fee_minor: get(r, "fee_minor")?,
        bio: get(r, "bio")?,
        decision_reason: get(r, "decision_reason")?,
        specialties: Vec::new(),
        created_at: ts(get(r, "created_at")?)?,
        updated_at: ts(get(r, "updated_at")?)?,
    })
}

/// Fills in each doctor's specialties with one query.
async fn with_specialties<C: ConnectionTrait>(
    c: &C,
    mut list: Vec<Doctor>,
) -> StoreResult<Vec<Doctor>> {
    if list.is_empty() {
        return Ok(list);
    }
    let placeholders: Vec<String> = (1..=list.len()).map(|i| format!("${i}")).collect();
    let rows = all(
        c,
        &format!(
            "SELECT ds.doctor_id, s.id, s.name FROM doctor_specialties ds \
             JOIN specialties s ON s.id = ds.specialty_id \
             WHERE ds.doctor_id IN ({}) ORDER BY s.name",
            placeholders.join(", ")
        ),
        list.iter().map(|d| d.id.as_uuid().into()).collect(),
    )
    .await?;
    let mut by_doctor: HashMap<uuid::Uuid, Vec<Specialty>> = HashMap::new();
    for r in &rows {
        by_doctor
            .entry(get(r, "doctor_id")?)
            .or_default()
            .push(Specialty {
                id: SpecialtyId::from_uuid(get(r, "id")?),
                name: get(r, "name")?,
            });
    }
    for d in &mut list {
        d.specialties = by_doctor.remove(&d.id.as_uuid()).unwrap_or_default();
    }
    Ok(list)
}

fn languages_json(p: &Profile) -> String {
    serde_json::Value::from(p.languages.clone()).to_string()
}

/// Creates a `pending` profile. A second profile for the same person in the same clinic is
/// `Conflict("doctors_clinic_user_key")`.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    user: UserId,
    profile: &Profile,
    now: jiff::Timestamp,
) -> StoreResult<DoctorId> {
    let id = DoctorId::new();
    exec(
        c,
        "INSERT INTO doctors (id, clinic_id, user_id, status, name, qualifications, languages, \
         registration_number, fee_minor, bio, decision_reason, created_at, updated_at) \
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, NULL, $10, $10)",
        vec![
            id.as_uuid().into(),
            clinic.as_uuid().into(),
            user.as_uuid().into(),
            profile.name.as_str().into(),
            profile.qualifications.as_str().into(),
            languages_json(profile).into(),
            profile.registration_number.as_str().into(),
            profile.fee_minor.into(),
            profile.bio.as_str().into(),
            ms(now).into(),
        ],
    )
    .await?;
    set_specialties(c, id, &profile.specialties).await?;
    Ok(id)
}

async fn set_specialties<C: ConnectionTrait>(
    c: &C,
    doctor: DoctorId,
    specialties: &[SpecialtyId],
) -> StoreResult<()> {
    exec(
        c,
        "DELETE FROM doctor_specialties WHERE doctor_id = $1",
        vec![doctor.as_uuid().into()],
    )
    .await?;
    for s in specialties {
        exec(
            c,
            "INSERT INTO doctor_specialties (doctor_id, specialty_id) VALUES ($1, $2)",
            vec![doctor.as_uuid().into(), s.as_uuid().into()],
        )
        .await?;
    }
    Ok(())
}

/// Replaces a profile's editable fields.
pub async fn update_profile<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: DoctorId,
    profile: &Profile,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE doctors SET name = $1, qualifications = $2, languages = $3, registration_number = $4, \
         fee_minor = $5, bio = $6, updated_at = $7 WHERE clinic_id = $8 AND id = $9",
        vec![
            profile.name.as_str().into(),
            profile.qualifications.as_str().into(),
            languages_json(profile).into(),
            profile.registration_number.as_str().into(),
            profile.fee_minor.into(),
            profile.bio.as_str().into(),
            ms(now).into(),
            clinic.as_uuid().into(),
            id.as_uuid().into(),
        ],
    )
    .await?;
    if n == 1 {
        set_specialties(c, id, &profile.specialties).await?;
    }
    Ok(n == 1)
}

/// Records an admin decision, if the profile is still in `from`.
pub async fn set_status<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: DoctorId,
    from: DoctorStatus,
    to: DoctorStatus,
    reason: Option<&str>,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE doctors SET status = $1, decision_reason = $2, updated_at = $3 \
         WHERE clinic_id = $4 AND id = $5 AND status = $6",
        vec![
            to.as_str().into(),
            reason.map(str::to_owned).into(),
            ms(now).into(),
            clinic.as_uuid().into(),
            id.as_uuid().into(),
            from.as_str().into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// The doctor matching `filter` (over `clinic_id` = $1 and one more value, $2).
async fn one_where<C: ConnectionTrait>(
    c: &C,
    filter: &str,
    values: Vec<Value>,
) -> StoreResult<Option<Doctor>> {
    let d = one_as(
        c,
        &format!("SELECT {COLS} FROM doctors WHERE {filter}"),
        values,
        row,
    )
    .await?;
    Ok(with_specialties(c, d.into_iter().collect()).await?.pop())
}

/// One doctor of `clinic`.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: DoctorId,
) -> StoreResult<Option<Doctor>> {
    one_where(
        c,
        "clinic_id = $1 AND id = $2",
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
    )
    .await
}

/// `user`'s profile in `clinic`, if any.
pub async fn of_user<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    user: UserId,
) -> StoreResult<Option<Doctor>> {
    one_where(
        c,
        "clinic_id = $1 AND user_id = $2",
        vec![clinic.as_uuid().into(), user.as_uuid().into()],
    )
    .await
}

/// The standing of one doctor of `clinic` (one indexed read, for the booking path).
pub async fn status<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: DoctorId,
) -> StoreResult<Option<DoctorStatus>> {
    let r = crate::one(
        c,
        "SELECT status FROM doctors WHERE clinic_id = $1 AND id = $2",
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
    )
    .await?;
    r.as_ref()
        .map(|r| {
            let s: String = get(r, "status")?;
            s.parse()
                .map_err(|_| StoreError::Corrupt(format!("doctor status {s}")))
        })
        .transpose()
}

/// Doctors of a clinic in `status`, optionally of one specialty, by name.
pub async fn list<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    status: DoctorStatus,
    specialty: Option<SpecialtyId>,
    limit: u64,
    offset: u64,
) -> StoreResult<Vec<Doctor>> {
    let mut values: Vec<Value> = vec![
        clinic.as_uuid().into(),
        status.as_str().into(),
        (limit as i64).into(),
        (offset as i64).into(),
    ];
    let filter = match specialty {
        Some(s) => {
            values.push(s.as_uuid().into());
            " AND id IN (SELECT doctor_id FROM doctor_specialties WHERE specialty_id = $5)"
        }
        None => "",
    };
    let list = all_as(
        c,
        &format!(
            "SELECT {COLS} FROM doctors WHERE clinic_id = $1 AND status = $2{filter} \
             ORDER BY name, id LIMIT $3 OFFSET $4"
        ),
        values,
        row,
    )
    .await?;
    with_specialties(c, list).await
}

/// Takes the doctor's row lock on PostgreSQL, so that changes to one doctor's bookings
/// queue up and see each other (a daily cap's count) instead of racing. Overlap needs no
/// lock: the exclusion constraint refuses it. SQLite's writers are serial anyway.
pub async fn lock<C: ConnectionTrait>(c: &C, id: DoctorId) -> StoreResult<()> {
    if c.get_database_backend() == DbBackend::Postgres {
        crate::one(
            c,
            "SELECT id FROM doctors WHERE id = $1 FOR UPDATE",
            vec![id.as_uuid().into()],
        )
        .await?;
    }
    Ok(())
}

/// Adds a specialty to the clinic's list. A duplicate name (any case) is
/// `Conflict("specialties_clinic_name_key")`.
pub async fn insert_specialty<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    name: &str,
    now: jiff::Timestamp,
) -> StoreResult<Specialty> {
    let id = SpecialtyId::new();
    exec(
        c,
        "INSERT INTO specialties (id, clinic_id, name, name_key, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            id.as_uuid().into(),
            clinic.as_uuid().into(),
            name.into(),
            name.to_lowercase().into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(Specialty {
        id,
        name: name.to_owned(),
    })
}

/// The clinic's specialties, by name.
pub async fn specialties<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
) -> StoreResult<Vec<Specialty>> {
    all_as(
        c,
        "SELECT id, name FROM specialties WHERE clinic_id = $1 ORDER BY name_key",
        vec![clinic.as_uuid().into()],
        |r| {
            Ok(Specialty {
                id: SpecialtyId::from_uuid(get(r, "id")?),
                name: get(r, "name")?,
            })
        },
    )
    .await
}
