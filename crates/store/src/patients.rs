//! Patient records, one per person per clinic, optionally linked to a login.

use crate::{StoreResult, all_as, exec, get, ms, one, one_as, ts};
use domain::{ClinicId, PatientId, UserId};
use sea_orm::{ConnectionTrait, QueryResult};

/// A patient of one clinic.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Patient {
    pub id: PatientId,
    pub clinic_id: ClinicId,
    pub user_id: Option<UserId>,
    /// Medical record number, unique in the clinic.
    pub mrn: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub created_at: jiff::Timestamp,
}

/// What a new record needs; the caller has validated it.
pub struct NewPatient<'a> {
    pub user_id: Option<UserId>,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

const COLS: &str = "id, clinic_id, user_id, mrn, name, phone, email, created_at";

fn row(r: &QueryResult) -> StoreResult<Patient> {
    Ok(Patient {
        id: PatientId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        user_id: get::<Option<uuid::Uuid>>(r, "user_id")?.map(UserId::from_uuid),
        mrn: get(r, "mrn")?,
        name: get(r, "name")?,
        phone: get(r, "phone")?,
        email: get(r, "email")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

/// The next value of a per-clinic counter (1, 2, 3, …). The row update serialises callers.
pub async fn next_counter<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    name: &str,
) -> StoreResult<i64> {
    let n = exec(
        c,
        "UPDATE counters SET value = value + 1 WHERE clinic_id = $1 AND name = $2",
        vec![clinic.as_uuid().into(), name.into()],
    )
    .await?;
    if n == 0 {
        exec(
            c,
            "INSERT INTO counters (clinic_id, name, value) VALUES ($1, $2, 1)",
            vec![clinic.as_uuid().into(), name.into()],
        )
        .await?;
        return Ok(1);
    }
    let r = one(
        c,
        "SELECT value FROM counters WHERE clinic_id = $1 AND name = $2",
        vec![clinic.as_uuid().into(), name.into()],
    )
    .await?;
    r.as_ref().map(|r| get::<i64>(r, "value")).unwrap_or(Ok(1))
}

/// Creates a record with the clinic's next MRN (`P000123`).
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    new: &NewPatient<'_>,
    now: jiff::Timestamp,
) -> StoreResult<Patient> {
    let id = PatientId::new();
    let mrn = format!("P{:06}", next_counter(c, clinic, "mrn").await?);
    exec(
        c,
        &format!("INSERT INTO patients ({COLS}, name_key, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)"),
        vec![
            id.as_uuid().into(),
            clinic.as_uuid().into(),
            new.user_id.map(|u| u.as_uuid()).into(),
            mrn.as_str().into(),
            new.name.into(),
            new.phone.map(str::to_owned).into(),
            new.email.map(str::to_owned).into(),
            ms(now).into(),
            new.name.to_lowercase().into(),
        ],
    )
    .await?;
    Ok(Patient {
        id,
        clinic_id: clinic,
        user_id: new.user_id,
        mrn,
        name: new.name.to_owned(),
        phone: new.phone.map(str::to_owned),
        email: new.email.map(str::to_owned),
        created_at: now,
    })
}

/// One patient of `clinic`.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: PatientId,
) -> StoreResult<Option<Patient>> {
    one_as(
        c,
        &format!("SELECT {COLS} FROM patients WHERE clinic_id = $1 AND id = $2"),
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
        row,
    )
    .await
}

/// The record linked to `user` in `clinic`.
pub async fn of_user<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    user: UserId,
) -> StoreResult<Option<Patient>> {
    one_as(
        c,
        &format!("SELECT {COLS} FROM patients WHERE clinic_id = $1 AND user_id = $2"),
        vec![clinic.as_uuid().into(), user.as_uuid().into()],
        row,
    )
    .await
}

/// Patients whose name or phone starts with `q`, or whose MRN is `q`, by name.
pub async fn search<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    q: &str,
    limit: u64,
) -> StoreResult<Vec<Patient>> {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let phone: String = q
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    // Too short to be a phone prefix: match nothing (stored phones are never empty).
    let phone = if phone.len() >= 3 {
        format!("{phone}%")
    } else {
        String::new()
    };
    all_as(
        c,
        &format!(
            "SELECT {COLS} FROM patients WHERE clinic_id = $1 AND \
             (name_key LIKE $2 ESCAPE '\\' OR phone LIKE $3 OR mrn = $4) ORDER BY name_key, id LIMIT $5"
        ),
        vec![
            clinic.as_uuid().into(),
            format!("{escaped}%").into(),
            phone.into(),
            q.trim().to_uppercase().into(),
            (limit as i64).into(),
        ],
        row,
    )
    .await
}
