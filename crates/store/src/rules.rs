//! What shapes one doctor's slots, read in one round trip: the doctor's status and name,
//! the clinic's policy and active visit types, the doctor's weekly hours and the exceptions
//! that touch a date range (and, for a booking or a slot search, the doctor's busy time). A slot search and a booking each need all of them; as separate
//! queries they cost a round trip each.

use crate::{
    StoreError, StoreResult, all,
    appointments::{self, Busy},
    get,
    policy::Policy,
    schedules::{ExceptionRow, Hours, parse_date, parse_visit_type_list},
    visit_types::{VisitType, parse_mode},
};
use domain::{ClinicId, DoctorId, DoctorStatus, ExceptionId, VisitTypeId};
use jiff::Timestamp;
use jiff::civil::Date;
use sea_orm::{ConnectionTrait, QueryResult, Value};

/// One doctor's slot rules.
#[derive(Debug, Clone)]
pub struct DoctorRules {
    pub doctor: DoctorId,
    /// The doctor's status; `None` when the clinic has no such doctor.
    pub status: Option<DoctorStatus>,
    pub name: String,
    pub policy: Policy,
    /// The clinic's active visit types (every doctor's), by name.
    pub visit_types: Vec<VisitType>,
    pub hours: Vec<Hours>,
    /// Clinic holidays and the doctor's own exceptions that touch the dates asked for.
    pub exceptions: Vec<ExceptionRow>,
}

impl DoctorRules {
    /// The visit types this doctor offers (clinic-wide ones and their own), by name.
    pub fn offered(&self) -> impl Iterator<Item = &VisitType> {
        self.visit_types
            .iter()
            .filter(|v| v.doctor_id.is_none_or(|d| d == self.doctor))
    }
}

/// Every part as rows of one shape: a kind tag, two ids, four texts and six numbers.
/// Numbers are cast to BIGINT and the first part's NULLs are typed, so that PostgreSQL
/// gives each column one type (SQLite ignores the casts of NULL).
const SQL: &str = "\
SELECT 'd' AS k, id AS u1, CAST(NULL AS UUID) AS u2, status AS t1, name AS t2, \
    CAST(NULL AS TEXT) AS t3, CAST(NULL AS TEXT) AS t4, CAST(NULL AS BIGINT) AS n1, \
    CAST(NULL AS BIGINT) AS n2, CAST(NULL AS BIGINT) AS n3, CAST(NULL AS BIGINT) AS n4, \
    CAST(NULL AS BIGINT) AS n5, CAST(NULL AS BIGINT) AS n6 \
    FROM doctors WHERE clinic_id = $1 AND id = $2 \
UNION ALL SELECT 'p', NULL, NULL, NULL, NULL, NULL, NULL, CAST(min_notice_min AS BIGINT), \
    CAST(horizon_days AS BIGINT), CAST(cancel_cutoff_min AS BIGINT), CAST(daily_cap AS BIGINT), \
    CAST(CASE WHEN require_approval THEN 1 ELSE 0 END AS BIGINT), NULL \
    FROM booking_policies WHERE clinic_id = $1 \
UNION ALL SELECT 'v', id, doctor_id, name, mode, NULL, NULL, CAST(duration_min AS BIGINT), \
    CAST(buffer_before_min AS BIGINT), CAST(buffer_after_min AS BIGINT), \
    CAST(price_minor AS BIGINT), CAST(deposit_minor AS BIGINT), \
    ROW_NUMBER() OVER (ORDER BY name, id) \
    FROM visit_types WHERE clinic_id = $1 AND is_active = $3 \
UNION ALL SELECT 'h', NULL, NULL, visit_types, valid_from, valid_to, NULL, CAST(weekday AS BIGINT), \
    CAST(start_min AS BIGINT), CAST(end_min AS BIGINT), NULL, NULL, NULL \
    FROM weekly_hours WHERE clinic_id = $1 AND doctor_id = $2 \
UNION ALL SELECT 'x', id, doctor_id, kind, date_from, date_to, note, CAST(start_min AS BIGINT), \
    CAST(end_min AS BIGINT), NULL, NULL, NULL, NULL \
    FROM schedule_exceptions WHERE clinic_id = $1 AND date_to >= $4 AND date_from <= $5 \
    AND (doctor_id IS NULL OR doctor_id = $2)";

fn num(r: &QueryResult, col: &str) -> StoreResult<i64> {
    get::<Option<i64>>(r, col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} missing")))
}

fn small(r: &QueryResult, col: &str) -> StoreResult<i32> {
    i32::try_from(num(r, col)?).map_err(|_| StoreError::Corrupt(format!("{col} out of range")))
}

fn opt_small(r: &QueryResult, col: &str) -> StoreResult<Option<i32>> {
    get::<Option<i64>>(r, col)?
        .map(|n| i32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{col} out of range"))))
        .transpose()
}

fn text(r: &QueryResult, col: &str) -> StoreResult<String> {
    get::<Option<String>>(r, col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} missing")))
}

fn id(r: &QueryResult, col: &str) -> StoreResult<uuid::Uuid> {
    get::<Option<uuid::Uuid>>(r, col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} missing")))
}

fn date(r: &QueryResult, col: &str) -> StoreResult<Date> {
    parse_date(col, get(r, col)?)?.ok_or_else(|| StoreError::Corrupt(format!("{col} missing")))
}

/// The rules of `doctor` of `clinic` for the local dates `from..=to`.
pub async fn doctor_rules<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    doctor: DoctorId,
    from: Date,
    to: Date,
) -> StoreResult<DoctorRules> {
    let rows = all(c, SQL, values(clinic, doctor, from, to)).await?;
    Ok(parse(clinic, doctor, &rows)?.0)
}

/// [`doctor_rules`] and the time the doctor's appointments block between `busy_from` and
/// `busy_to` ([`appointments::busy`]), in one read: a booking and a slot search need both.
pub async fn doctor_rules_and_busy<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    doctor: DoctorId,
    (from, to): (Date, Date),
    (busy_from, busy_to): (Timestamp, Timestamp),
) -> StoreResult<(DoctorRules, Vec<Busy>)> {
    let sql = format!(
        "{SQL} UNION ALL SELECT 'b', NULL, NULL, spans, NULL, NULL, NULL, NULL, NULL, NULL, \
         NULL, NULL, NULL FROM ({}) AS b",
        appointments::busy_select(c, "spans", 2, 6)
    );
    let mut values = values(clinic, doctor, from, to);
    values.extend(appointments::busy_window(busy_from, busy_to));
    let rows = all(c, &sql, values).await?;
    let (rules, spans) = parse(clinic, doctor, &rows)?;
    Ok((rules, appointments::parse_spans(spans)?))
}

/// The values of [`SQL`]'s five parameters.
fn values(clinic: ClinicId, doctor: DoctorId, from: Date, to: Date) -> Vec<Value> {
    vec![
        clinic.as_uuid().into(),
        doctor.as_uuid().into(),
        true.into(),
        from.to_string().into(),
        to.to_string().into(),
    ]
}

/// The rules in `rows`, and the busy spans of a `'b'` row if there is one.
fn parse(
    clinic: ClinicId,
    doctor: DoctorId,
    rows: &[QueryResult],
) -> StoreResult<(DoctorRules, Option<String>)> {
    let mut spans = None;
    let (mut status, mut name) = (None, String::new());
    let mut policy = Policy::default();
    let mut visit_types = Vec::new();
    let mut hours = Vec::new();
    let mut exceptions = Vec::new();
    for r in rows {
        match text(r, "k")?.as_str() {
            "b" => spans = get(r, "t1")?,
            "d" => {
                let raw = text(r, "t1")?;
                let parsed: DoctorStatus = raw
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("doctor status {raw}")))?;
                status = Some(parsed);
                name = text(r, "t2")?;
            }
            "p" => {
                policy = Policy {
                    min_notice_min: small(r, "n1")?,
                    horizon_days: small(r, "n2")?,
                    cancel_cutoff_min: small(r, "n3")?,
                    daily_cap: opt_small(r, "n4")?,
                    require_approval: num(r, "n5")? != 0,
                }
            }
            "v" => visit_types.push((
                num(r, "n6")?,
                VisitType {
                    id: VisitTypeId::from_uuid(id(r, "u1")?),
                    clinic_id: clinic,
                    doctor_id: get::<Option<uuid::Uuid>>(r, "u2")?.map(DoctorId::from_uuid),
                    name: text(r, "t1")?,
                    duration_min: small(r, "n1")?,
                    buffer_before_min: small(r, "n2")?,
                    buffer_after_min: small(r, "n3")?,
                    price_minor: num(r, "n4")?,
                    deposit_minor: num(r, "n5")?,
                    mode: parse_mode(&text(r, "t2")?)?,
                    is_active: true,
                },
            )),
            "h" => hours.push(Hours {
                weekday: small(r, "n1")?,
                start_min: small(r, "n2")?,
                end_min: small(r, "n3")?,
                visit_types: parse_visit_type_list(&text(r, "t1")?)?,
                valid_from: parse_date("valid_from", get(r, "t2")?)?,
                valid_to: parse_date("valid_to", get(r, "t3")?)?,
            }),
            "x" => exceptions.push(ExceptionRow {
                id: ExceptionId::from_uuid(id(r, "u1")?),
                doctor_id: get::<Option<uuid::Uuid>>(r, "u2")?.map(DoctorId::from_uuid),
                kind: text(r, "t1")?,
                date_from: date(r, "t2")?,
                date_to: date(r, "t3")?,
                start_min: opt_small(r, "n1")?,
                end_min: opt_small(r, "n2")?,
                note: text(r, "t4")?,
            }),
            k => return Err(StoreError::Corrupt(format!("rules row kind {k}"))),
        }
    }
    // The database's order (its collation for names), as `schedules::visit_types` gives it.
    visit_types.sort_by_key(|(rank, _)| *rank);
    hours.sort_by_key(|h| (h.weekday, h.start_min));
    exceptions.sort_by_key(|e| (e.date_from, e.id));
    let rules = DoctorRules {
        doctor,
        status,
        name,
        policy,
        visit_types: visit_types.into_iter().map(|(_, v)| v).collect(),
        hours,
        exceptions,
    };
    Ok((rules, spans))
}
