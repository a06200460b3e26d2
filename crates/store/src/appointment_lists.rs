//! Lists of appointments: a clinic's, filtered, and a patient account's across clinics.

use crate::{
    StoreResult, all_as,
    appointments::{ACTIVE, Appointment, SELECT, row},
    get, ms, one,
};
use domain::{AppointmentStatus, ClinicId, DoctorId, PatientId, UserId};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, Value};

/// Filters for the clinic's appointment list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub doctor: Option<DoctorId>,
    pub patient: Option<PatientId>,
    pub status: Option<AppointmentStatus>,
}

/// How many active appointments of the clinic (of one doctor, with `doctor`) start in
/// `from..to`.
pub async fn count_active<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    from: Timestamp,
    to: Timestamp,
    doctor: Option<DoctorId>,
) -> StoreResult<i64> {
    let mut sql = format!(
        "SELECT COUNT(*) AS n FROM appointments WHERE clinic_id = $1 AND start_at >= $2 \
         AND start_at < $3 AND status IN {ACTIVE}"
    );
    let mut values: Vec<Value> = vec![clinic.as_uuid().into(), ms(from).into(), ms(to).into()];
    if let Some(d) = doctor {
        values.push(d.as_uuid().into());
        sql.push_str(" AND doctor_id = $4");
    }
    match one(c, &sql, values).await? {
        Some(r) => get(&r, "n"),
        None => Ok(0),
    }
}

/// The clinic's appointments starting in `from..to`, by start.
pub async fn list<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    from: Timestamp,
    to: Timestamp,
    filter: &Filter,
    limit: u64,
) -> StoreResult<Vec<Appointment>> {
    let mut sql =
        format!("{SELECT} WHERE a.clinic_id = $1 AND a.start_at >= $2 AND a.start_at < $3");
    let mut values: Vec<Value> = vec![clinic.as_uuid().into(), ms(from).into(), ms(to).into()];
    if let Some(d) = filter.doctor {
        values.push(d.as_uuid().into());
        sql.push_str(&format!(" AND a.doctor_id = ${}", values.len()));
    }
    if let Some(p) = filter.patient {
        values.push(p.as_uuid().into());
        sql.push_str(&format!(" AND a.patient_id = ${}", values.len()));
    }
    if let Some(s) = filter.status {
        values.push(s.as_str().into());
        sql.push_str(&format!(" AND a.status = ${}", values.len()));
    }
    values.push((limit as i64).into());
    sql.push_str(&format!(
        " ORDER BY a.start_at, a.id LIMIT ${}",
        values.len()
    ));
    all_as(c, &sql, values, row).await
}

/// A signed-in person's appointments in every clinic, soonest upcoming first, then past.
pub async fn of_user<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    now: Timestamp,
    limit: u64,
    offset: u64,
) -> StoreResult<Vec<Appointment>> {
    all_as(
        c,
        &format!(
            "{SELECT} WHERE p.user_id = $1 ORDER BY CASE WHEN a.start_at >= $2 THEN 0 ELSE 1 END, \
             CASE WHEN a.start_at >= $2 THEN a.start_at ELSE -a.start_at END, a.id LIMIT $3 OFFSET $4"
        ),
        vec![
            user.as_uuid().into(),
            ms(now).into(),
            (limit as i64).into(),
            (offset as i64).into(),
        ],
        row,
    )
    .await
}
