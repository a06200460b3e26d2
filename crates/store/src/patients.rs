//! Patient records, one per person per clinic, optionally linked to a login, and the word
//! index that finds them by a prefix of any word of the name or of the phone number.

use crate::{StoreResult, all, all_as, exec, get, ms, one, one_as, ts};
use domain::{
    ClinicId, PatientId, UserId,
    patient::{BirthDate, SearchTerms, Sex, name_words, phone_words, prefix_end},
};
use sea_orm::{ConnectionTrait, QueryResult, Value};

/// A patient of one clinic.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Patient {
    pub id: PatientId,
    pub clinic_id: ClinicId,
    pub user_id: Option<UserId>,
    /// Medical record number, unique in the clinic.
    pub mrn: String,
    #[serde(flatten)]
    pub details: PatientDetails,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
    /// Raised by every edit; an edit names the version it started from.
    pub version: i32,
}

/// What registration and edits write; the caller has validated it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PatientDetails {
    pub name: String,
    pub sex: Option<Sex>,
    pub birth: Option<BirthDate>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub emergency_name: Option<String>,
    pub emergency_phone: Option<String>,
}

const COLS: &str = "id, clinic_id, user_id, mrn, name, phone, email, created_at, updated_at, \
    sex, birth_date, birth_estimated, address, emergency_name, emergency_phone, version";

fn row(r: &QueryResult) -> StoreResult<Patient> {
    let corrupt = |what: &str| crate::StoreError::Corrupt(format!("patients.{what}"));
    let sex = get::<Option<String>>(r, "sex")?
        .map(|s| s.parse::<Sex>().map_err(|_| corrupt("sex")))
        .transpose()?;
    let birth = get::<Option<String>>(r, "birth_date")?
        .map(|d| d.parse().map_err(|_| corrupt("birth_date")))
        .transpose()?
        .map(|date| -> StoreResult<BirthDate> {
            Ok(BirthDate {
                date,
                estimated: get::<i32>(r, "birth_estimated")? != 0,
            })
        })
        .transpose()?;
    Ok(Patient {
        id: PatientId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        user_id: get::<Option<uuid::Uuid>>(r, "user_id")?.map(UserId::from_uuid),
        mrn: get(r, "mrn")?,
        details: PatientDetails {
            name: get(r, "name")?,
            sex,
            birth,
            phone: get(r, "phone")?,
            email: get(r, "email")?,
            address: get(r, "address")?,
            emergency_name: get(r, "emergency_name")?,
            emergency_phone: get(r, "emergency_phone")?,
        },
        created_at: ts(get(r, "created_at")?)?,
        updated_at: ts(get(r, "updated_at")?)?,
        version: get(r, "version")?,
    })
}

/// The details as bound values, in the order `name, name_key, phone, email, sex,
/// birth_date, birth_estimated, address, emergency_name, emergency_phone`.
fn detail_values(d: &PatientDetails) -> Vec<Value> {
    vec![
        d.name.as_str().into(),
        d.name.to_lowercase().into(),
        d.phone.clone().into(),
        d.email.clone().into(),
        d.sex.map(|s| s.as_str().to_owned()).into(),
        d.birth.map(|b| b.date.to_string()).into(),
        i32::from(d.birth.is_some_and(|b| b.estimated)).into(),
        d.address.clone().into(),
        d.emergency_name.clone().into(),
        d.emergency_phone.clone().into(),
    ]
}

/// The next value of a per-clinic counter (1, 2, 3, …), in one upsert: concurrent callers
/// queue on the row, and a rolled-back transaction takes its number back with it.
pub async fn next_counter<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    name: &str,
) -> StoreResult<i64> {
    let r = one(
        c,
        "INSERT INTO counters (clinic_id, name, value) VALUES ($1, $2, 1) \
         ON CONFLICT (clinic_id, name) DO UPDATE SET value = counters.value + 1 \
         RETURNING value",
        vec![clinic.as_uuid().into(), name.into()],
    )
    .await?
    .ok_or_else(|| crate::StoreError::Corrupt("counter upsert returned no row".into()))?;
    get::<i64>(&r, "value")
}

/// Creates a record with the clinic's next MRN (`P000123`) and indexes its words.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    user: Option<UserId>,
    details: &PatientDetails,
    now: jiff::Timestamp,
) -> StoreResult<Patient> {
    let id = PatientId::new();
    let mrn = format!("P{:06}", next_counter(c, clinic, "mrn").await?);
    let mut values: Vec<Value> = vec![
        id.as_uuid().into(),
        clinic.as_uuid().into(),
        user.map(|u| u.as_uuid()).into(),
        mrn.as_str().into(),
        ms(now).into(),
    ];
    values.extend(detail_values(details));
    exec(
        c,
        "INSERT INTO patients (id, clinic_id, user_id, mrn, created_at, updated_at, version, \
         name, name_key, phone, email, sex, birth_date, birth_estimated, address, \
         emergency_name, emergency_phone) \
         VALUES ($1, $2, $3, $4, $5, $5, 1, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        values,
    )
    .await?;
    index(c, clinic, id, details).await?;
    Ok(Patient {
        id,
        clinic_id: clinic,
        user_id: user,
        mrn,
        details: details.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

/// Replaces a record's details if it is still at `version`; false when it has moved on
/// (or does not exist).
pub async fn update<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: PatientId,
    version: i32,
    details: &PatientDetails,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let mut values = detail_values(details);
    values.extend([
        ms(now).into(),
        clinic.as_uuid().into(),
        id.as_uuid().into(),
        version.into(),
    ]);
    let n = exec(
        c,
        "UPDATE patients SET name = $1, name_key = $2, phone = $3, email = $4, sex = $5, \
         birth_date = $6, birth_estimated = $7, address = $8, emergency_name = $9, \
         emergency_phone = $10, updated_at = $11, version = version + 1 \
         WHERE clinic_id = $12 AND id = $13 AND version = $14",
        values,
    )
    .await?;
    if n == 1 {
        exec(
            c,
            "DELETE FROM patient_words WHERE patient_id = $1",
            vec![id.as_uuid().into()],
        )
        .await?;
        index(c, clinic, id, details).await?;
    }
    Ok(n == 1)
}

/// Links an unlinked record to a login; false when it is linked already.
pub async fn link_user<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: PatientId,
    user: UserId,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE patients SET user_id = $1, updated_at = $2, version = version + 1 \
         WHERE clinic_id = $3 AND id = $4 AND user_id IS NULL",
        vec![
            user.as_uuid().into(),
            ms(now).into(),
            clinic.as_uuid().into(),
            id.as_uuid().into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Writes the index words of one record (name words and phone keys) in one statement; each
/// row also carries all of them, space-separated, for checking further prefixes in place.
async fn index<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: PatientId,
    details: &PatientDetails,
) -> StoreResult<()> {
    let mut words = name_words(&details.name);
    if let Some(phone) = &details.phone {
        words.extend(phone_words(phone));
    }
    words.dedup();
    if words.is_empty() {
        return Ok(());
    }
    let all_words = format!(" {} ", words.join(" "));
    let mut sql =
        String::from("INSERT INTO patient_words (clinic_id, word, patient_id, words) VALUES ");
    let mut values: Vec<Value> = vec![
        clinic.as_uuid().into(),
        id.as_uuid().into(),
        all_words.into(),
    ];
    for (i, w) in words.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($1, ${}, $2, $3)", i + 4));
        values.push(w.into());
    }
    exec(c, &sql, values).await?;
    Ok(())
}

/// Indexes every record (the migration that introduced the index runs this once).
pub async fn index_all<C: ConnectionTrait>(c: &C) -> StoreResult<()> {
    let rows = all(c, "SELECT id, clinic_id, name, phone FROM patients", vec![]).await?;
    for r in rows {
        let details = PatientDetails {
            name: get(&r, "name")?,
            phone: get(&r, "phone")?,
            ..PatientDetails::default()
        };
        let clinic = ClinicId::from_uuid(get(&r, "clinic_id")?);
        index(c, clinic, PatientId::from_uuid(get(&r, "id")?), &details).await?;
    }
    Ok(())
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

/// Every clinic's record linked to `user` (at most one per clinic), oldest first.
pub async fn all_of_user<C: ConnectionTrait>(c: &C, user: UserId) -> StoreResult<Vec<Patient>> {
    all_as(
        c,
        &format!("SELECT {COLS} FROM patients WHERE user_id = $1 ORDER BY created_at LIMIT 50"),
        vec![user.as_uuid().into()],
        row,
    )
    .await
}

/// Records of `clinic` with this exact (normalised) phone, for the duplicate check.
pub async fn with_phone<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    phone: &str,
) -> StoreResult<Vec<Patient>> {
    all_as(
        c,
        &format!("SELECT {COLS} FROM patients WHERE clinic_id = $1 AND phone = $2 LIMIT 20"),
        vec![clinic.as_uuid().into(), phone.into()],
        row,
    )
    .await
}

/// Records of `clinic` with this (normalised) e-mail address, oldest first: for the
/// duplicate check, and to link a self-registered login.
pub async fn with_email<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    email: &str,
) -> StoreResult<Vec<Patient>> {
    all_as(
        c,
        &format!(
            "SELECT {COLS} FROM patients WHERE clinic_id = $1 AND email = $2 \
             ORDER BY created_at, id LIMIT 20"
        ),
        vec![clinic.as_uuid().into(), email.into()],
        row,
    )
    .await
}

/// Patients whose name words (or phone) start with every prefix of `terms`, or whose MRN
/// is the query, by name. The longest prefix drives an index range scan that stops after
/// `limit` hits; the other prefixes are checked on each scanned row, which carries all of its
/// record's words.
pub async fn search<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    terms: &SearchTerms,
    limit: u64,
) -> StoreResult<Vec<Patient>> {
    let (sql, values) = search_statement(clinic, terms, limit);
    all_as(c, &sql, values, row).await
}

/// The statement [`search`] runs, with its values (public so the benchmark can EXPLAIN it).
/// The hits (the MRN, and at most `limit` index words) are gathered first and joined to the
/// records after: an `OR` in the records' own WHERE made both planners walk every record of
/// the clinic (bench: --patients, docs/PERFORMANCE.md).
pub fn search_statement(clinic: ClinicId, terms: &SearchTerms, limit: u64) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = vec![
        clinic.as_uuid().into(),
        terms.mrn.as_str().into(),
        (limit as i64).into(),
    ];
    let mut by_words = String::new();
    if let Some((first, rest)) = terms.prefixes.split_first() {
        let range = |values: &mut Vec<Value>, prefix: &str| {
            values.push(prefix.into());
            values.push(prefix_end(prefix).into());
            (values.len() - 1, values.len())
        };
        let (lo, hi) = range(&mut values, first);
        by_words = format!(
            " UNION SELECT patient_id FROM (SELECT w.patient_id FROM patient_words w \
             WHERE w.clinic_id = $1 AND w.word >= ${lo} AND w.word < ${hi}"
        );
        // Words are alphanumeric or `#` + digits, so a prefix needs no LIKE escaping.
        for prefix in rest {
            values.push(format!("% {prefix}%").into());
            by_words.push_str(&format!(" AND w.words LIKE ${}", values.len()));
        }
        by_words.push_str(" ORDER BY w.word, w.patient_id LIMIT $3) m");
    }
    let sql = format!(
        "SELECT {COLS} FROM (SELECT id AS hit FROM patients WHERE clinic_id = $1 \
         AND mrn = $2{by_words}) h JOIN patients ON id = h.hit WHERE clinic_id = $1 \
         ORDER BY name_key, id LIMIT $3"
    );
    (sql, values)
}
