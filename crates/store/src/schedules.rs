//! A doctor's weekly hours and the exceptions to them (time off, holidays, extra hours).
//! Local times are minutes after midnight; local dates are `YYYY-MM-DD`. Visit types and the
//! booking policy, which shape slots too, live in `visit_types` and `policy`.

use crate::{StoreError, StoreResult, all_as, exec, get, ms};
use domain::{ClinicId, DoctorId, ExceptionId, VisitTypeId};
use jiff::civil::Date;
use sea_orm::{ConnectionTrait, QueryResult};

pub use crate::policy::{Policy, policy, set_policy};
pub use crate::visit_types::{VisitType, insert_visit_type, set_visit_type_active, visit_types};

/// One interval of weekly hours, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hours {
    /// ISO weekday, Monday = 1.
    pub weekday: i32,
    pub start_min: i32,
    pub end_min: i32,
    /// Empty: every visit type the doctor offers.
    pub visit_types: Vec<VisitTypeId>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

/// A stored `YYYY-MM-DD` of column `col`.
pub(crate) fn parse_date(col: &str, s: Option<String>) -> StoreResult<Option<Date>> {
    s.map(|s| {
        s.parse()
            .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
    })
    .transpose()
}

fn date_col(r: &QueryResult, col: &str) -> StoreResult<Option<Date>> {
    parse_date(col, get::<Option<String>>(r, col)?)
}

/// The stored JSON list of an interval's visit types.
pub(crate) fn parse_visit_type_list(types: &str) -> StoreResult<Vec<VisitTypeId>> {
    serde_json::from_str(types).map_err(|e| StoreError::Corrupt(format!("visit_types: {e}")))
}

fn hours_row(r: &QueryResult) -> StoreResult<Hours> {
    let types: String = get(r, "visit_types")?;
    Ok(Hours {
        weekday: get(r, "weekday")?,
        start_min: get(r, "start_min")?,
        end_min: get(r, "end_min")?,
        visit_types: parse_visit_type_list(&types)?,
        valid_from: date_col(r, "valid_from")?,
        valid_to: date_col(r, "valid_to")?,
    })
}

/// Replaces a doctor's weekly hours.
pub async fn replace_hours<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    doctor: DoctorId,
    hours: &[Hours],
) -> StoreResult<()> {
    exec(
        c,
        "DELETE FROM weekly_hours WHERE clinic_id = $1 AND doctor_id = $2",
        vec![clinic.as_uuid().into(), doctor.as_uuid().into()],
    )
    .await?;
    for h in hours {
        exec(
            c,
            "INSERT INTO weekly_hours (id, clinic_id, doctor_id, weekday, start_min, end_min, visit_types, valid_from, valid_to) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                uuid::Uuid::now_v7().into(),
                clinic.as_uuid().into(),
                doctor.as_uuid().into(),
                h.weekday.into(),
                h.start_min.into(),
                h.end_min.into(),
                serde_json::to_string(&h.visit_types)
                    .unwrap_or_else(|_| "[]".into())
                    .into(),
                h.valid_from.map(|d| d.to_string()).into(),
                h.valid_to.map(|d| d.to_string()).into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// The doctors of `clinic` who have weekly hours.
pub async fn doctors_with_hours<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
) -> StoreResult<Vec<DoctorId>> {
    all_as(
        c,
        "SELECT DISTINCT doctor_id FROM weekly_hours WHERE clinic_id = $1",
        vec![clinic.as_uuid().into()],
        |r| Ok(DoctorId::from_uuid(get(r, "doctor_id")?)),
    )
    .await
}

/// A doctor's weekly hours, by weekday and start.
pub async fn hours<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    doctor: DoctorId,
) -> StoreResult<Vec<Hours>> {
    all_as(
        c,
        "SELECT weekday, start_min, end_min, visit_types, valid_from, valid_to FROM weekly_hours \
         WHERE clinic_id = $1 AND doctor_id = $2 ORDER BY weekday, start_min",
        vec![clinic.as_uuid().into(), doctor.as_uuid().into()],
        hours_row,
    )
    .await
}

/// A leave, clinic holiday or extra hours, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExceptionRow {
    pub id: ExceptionId,
    /// `None` for clinic holidays.
    pub doctor_id: Option<DoctorId>,
    /// `leave`, `holiday` or `extra`.
    pub kind: String,
    pub date_from: Date,
    pub date_to: Date,
    /// Partial-day leave or extra hours; `None` is all day.
    pub start_min: Option<i32>,
    pub end_min: Option<i32>,
    pub note: String,
}

fn exception_row(r: &QueryResult) -> StoreResult<ExceptionRow> {
    let need =
        |col: &str| date_col(r, col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} missing")));
    Ok(ExceptionRow {
        id: ExceptionId::from_uuid(get(r, "id")?),
        doctor_id: get::<Option<uuid::Uuid>>(r, "doctor_id")?.map(DoctorId::from_uuid),
        kind: get(r, "kind")?,
        date_from: need("date_from")?,
        date_to: need("date_to")?,
        start_min: get(r, "start_min")?,
        end_min: get(r, "end_min")?,
        note: get(r, "note")?,
    })
}

/// Records an exception.
pub async fn insert_exception<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    e: &ExceptionRow,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO schedule_exceptions (id, clinic_id, doctor_id, kind, date_from, date_to, start_min, end_min, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            e.id.as_uuid().into(),
            clinic.as_uuid().into(),
            e.doctor_id.map(|d| d.as_uuid()).into(),
            e.kind.as_str().into(),
            e.date_from.to_string().into(),
            e.date_to.to_string().into(),
            e.start_min.into(),
            e.end_min.into(),
            e.note.as_str().into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Removes an exception of `clinic`; with `doctor`, only one of theirs.
pub async fn delete_exception<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: ExceptionId,
    doctor: Option<DoctorId>,
) -> StoreResult<bool> {
    let n = match doctor {
        Some(d) => exec(
            c,
            "DELETE FROM schedule_exceptions WHERE clinic_id = $1 AND id = $2 AND doctor_id = $3",
            vec![
                clinic.as_uuid().into(),
                id.as_uuid().into(),
                d.as_uuid().into(),
            ],
        )
        .await?,
        None => {
            exec(
                c,
                "DELETE FROM schedule_exceptions WHERE clinic_id = $1 AND id = $2",
                vec![clinic.as_uuid().into(), id.as_uuid().into()],
            )
            .await?
        }
    };
    Ok(n == 1)
}

/// Exceptions that touch `from..=to`: clinic holidays, plus the doctor's own when given
/// (with `None`, every doctor's).
pub async fn exceptions<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    doctor: Option<DoctorId>,
    from: Date,
    to: Date,
) -> StoreResult<Vec<ExceptionRow>> {
    const COLS: &str = "id, doctor_id, kind, date_from, date_to, start_min, end_min, note";
    let mut values = vec![
        clinic.as_uuid().into(),
        from.to_string().into(),
        to.to_string().into(),
    ];
    let who = match doctor {
        Some(d) => {
            values.push(d.as_uuid().into());
            " AND (doctor_id IS NULL OR doctor_id = $4)"
        }
        None => "",
    };
    all_as(
        c,
        &format!(
            "SELECT {COLS} FROM schedule_exceptions WHERE clinic_id = $1 AND date_to >= $2 \
             AND date_from <= $3{who} ORDER BY date_from, id"
        ),
        values,
        exception_row,
    )
    .await
}
