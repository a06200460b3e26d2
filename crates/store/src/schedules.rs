//! What shapes a doctor's slots: visit types, weekly hours, exceptions and the clinic's
//! booking policy. Local times are minutes after midnight; local dates are `YYYY-MM-DD`.

use crate::{StoreError, StoreResult, all_as, exec, get, ms, one_as};
use domain::{ClinicId, DoctorId, ExceptionId, VisitMode, VisitTypeId};
use jiff::civil::Date;
use sea_orm::{ConnectionTrait, QueryResult};

/// A kind of visit. `doctor_id` of `None` means every doctor of the clinic offers it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VisitType {
    pub id: VisitTypeId,
    pub clinic_id: ClinicId,
    pub doctor_id: Option<DoctorId>,
    pub name: String,
    pub duration_min: i32,
    pub buffer_before_min: i32,
    pub buffer_after_min: i32,
    pub price_minor: i64,
    pub mode: VisitMode,
    pub is_active: bool,
}

const VT_COLS: &str = "id, clinic_id, doctor_id, name, duration_min, buffer_before_min, \
    buffer_after_min, price_minor, mode, is_active";

pub(crate) fn parse_mode(mode: &str) -> StoreResult<VisitMode> {
    mode.parse()
        .map_err(|_| StoreError::Corrupt(format!("visit mode {mode}")))
}

fn vt_row(r: &QueryResult) -> StoreResult<VisitType> {
    let mode: String = get(r, "mode")?;
    Ok(VisitType {
        id: VisitTypeId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        doctor_id: get::<Option<uuid::Uuid>>(r, "doctor_id")?.map(DoctorId::from_uuid),
        name: get(r, "name")?,
        duration_min: get(r, "duration_min")?,
        buffer_before_min: get(r, "buffer_before_min")?,
        buffer_after_min: get(r, "buffer_after_min")?,
        price_minor: get(r, "price_minor")?,
        mode: parse_mode(&mode)?,
        is_active: get(r, "is_active")?,
    })
}

/// Adds a visit type; the caller has checked the values.
pub async fn insert_visit_type<C: ConnectionTrait>(
    c: &C,
    vt: &VisitType,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        &format!("INSERT INTO visit_types ({VT_COLS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
        vec![
            vt.id.as_uuid().into(),
            vt.clinic_id.as_uuid().into(),
            vt.doctor_id.map(|d| d.as_uuid()).into(),
            vt.name.as_str().into(),
            vt.duration_min.into(),
            vt.buffer_before_min.into(),
            vt.buffer_after_min.into(),
            vt.price_minor.into(),
            vt.mode.as_str().into(),
            vt.is_active.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The clinic's active visit types; with `doctor`, those that doctor offers (clinic-wide
/// ones and their own).
pub async fn visit_types<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    doctor: Option<DoctorId>,
) -> StoreResult<Vec<VisitType>> {
    match doctor {
        Some(d) => {
            all_as(
                c,
                &format!(
                    "SELECT {VT_COLS} FROM visit_types WHERE clinic_id = $1 AND is_active = $2 \
                     AND (doctor_id IS NULL OR doctor_id = $3) ORDER BY name, id"
                ),
                vec![clinic.as_uuid().into(), true.into(), d.as_uuid().into()],
                vt_row,
            )
            .await
        }
        None => {
            all_as(
                c,
                &format!(
                    "SELECT {VT_COLS} FROM visit_types WHERE clinic_id = $1 AND is_active = $2 ORDER BY name, id"
                ),
                vec![clinic.as_uuid().into(), true.into()],
                vt_row,
            )
            .await
        }
    }
}

/// Retires (or restores) a visit type of `clinic`; with `doctor`, only one of theirs.
/// Appointments already booked keep it. False when there is no such visit type, or it is
/// already so.
pub async fn set_visit_type_active<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: VisitTypeId,
    doctor: Option<DoctorId>,
    active: bool,
) -> StoreResult<bool> {
    let mut sql = "UPDATE visit_types SET is_active = $1 WHERE clinic_id = $2 AND id = $3 \
        AND is_active = $4"
        .to_owned();
    let mut values = vec![
        active.into(),
        clinic.as_uuid().into(),
        id.as_uuid().into(),
        (!active).into(),
    ];
    if let Some(d) = doctor {
        sql.push_str(" AND doctor_id = $5");
        values.push(d.as_uuid().into());
    }
    Ok(exec(c, &sql, values).await? == 1)
}

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

/// A clinic's booking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Policy {
    pub min_notice_min: i32,
    pub horizon_days: i32,
    pub cancel_cutoff_min: i32,
    pub daily_cap: Option<i32>,
    pub require_approval: bool,
}

impl Policy {
    /// How long before the start patients' changes close.
    pub fn cancel_cutoff(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_mins(self.cancel_cutoff_min.into())
    }
}

impl Default for Policy {
    /// Two hours' notice, 60 days ahead, changes up to 2 hours before, no cap, no approval.
    /// The notice is never shorter than the cutoff, so nobody books a time they could not
    /// change (see `app::schedule::set_booking_policy`).
    fn default() -> Self {
        Policy {
            min_notice_min: 120,
            horizon_days: 60,
            cancel_cutoff_min: 120,
            daily_cap: None,
            require_approval: false,
        }
    }
}

/// The clinic's policy, or the default if it never set one.
pub async fn policy<C: ConnectionTrait>(c: &C, clinic: ClinicId) -> StoreResult<Policy> {
    Ok(one_as(
        c,
        "SELECT min_notice_min, horizon_days, cancel_cutoff_min, daily_cap, require_approval \
         FROM booking_policies WHERE clinic_id = $1",
        vec![clinic.as_uuid().into()],
        |r| {
            Ok(Policy {
                min_notice_min: get(r, "min_notice_min")?,
                horizon_days: get(r, "horizon_days")?,
                cancel_cutoff_min: get(r, "cancel_cutoff_min")?,
                daily_cap: get(r, "daily_cap")?,
                require_approval: get(r, "require_approval")?,
            })
        },
    )
    .await?
    .unwrap_or_default())
}

/// Sets the clinic's policy.
pub async fn set_policy<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    p: &Policy,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "DELETE FROM booking_policies WHERE clinic_id = $1",
        vec![clinic.as_uuid().into()],
    )
    .await?;
    exec(
        c,
        "INSERT INTO booking_policies (clinic_id, min_notice_min, horizon_days, cancel_cutoff_min, daily_cap, require_approval, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            clinic.as_uuid().into(),
            p.min_notice_min.into(),
            p.horizon_days.into(),
            p.cancel_cutoff_min.into(),
            p.daily_cap.into(),
            p.require_approval.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}
