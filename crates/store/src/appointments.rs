//! Appointments. No two active appointments of one doctor overlap, buffers included, and
//! none of one patient's, unless staff overrode that for one: the database enforces both
//! (PostgreSQL's exclusion constraints, SQLite's triggers; see `schema/booking.rs`), and
//! writers check first for a useful answer.

use crate::{Batch, StoreError, StoreResult, all_as, exec, get, ms, one, one_as, ts};
use domain::{
    AppointmentId, AppointmentStatus, ClinicId, DoctorId, PatientId, Source, UserId, VisitTypeId,
};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};

pub use crate::appointment_lists::{Filter, count_active, list, of_user};

/// An appointment with the names people see next to it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Appointment {
    pub id: AppointmentId,
    pub clinic_id: ClinicId,
    pub doctor_id: DoctorId,
    pub patient_id: PatientId,
    pub visit_type_id: VisitTypeId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub block_start: Timestamp,
    pub block_end: Timestamp,
    /// The clinic-local date of the start, `YYYY-MM-DD`.
    pub local_date: String,
    pub status: AppointmentStatus,
    pub source: Source,
    pub reason: String,
    pub ref_code: String,
    pub rescheduled_from: Option<AppointmentId>,
    pub rescheduled_to: Option<AppointmentId>,
    pub cancel_reason: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i32,
    pub doctor_name: String,
    pub patient_name: String,
    pub patient_mrn: String,
    pub patient_user_id: Option<UserId>,
    pub patient_email: Option<String>,
    /// The patient record's phone, where texts about the visit go.
    pub patient_phone: Option<String>,
    pub visit_type_name: String,
    pub clinic_name: String,
    pub clinic_slug: String,
    pub clinic_time_zone: String,
}

/// A new appointment; the caller has checked it against the rules.
pub struct NewAppointment<'a> {
    pub id: AppointmentId,
    pub clinic_id: ClinicId,
    pub doctor_id: DoctorId,
    pub patient_id: PatientId,
    pub visit_type_id: VisitTypeId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub block_start: Timestamp,
    pub block_end: Timestamp,
    pub local_date: &'a str,
    pub status: AppointmentStatus,
    pub source: Source,
    pub reason: &'a str,
    pub ref_code: &'a str,
    pub rescheduled_from: Option<AppointmentId>,
    pub created_by: UserId,
    /// Staff booked it over another visit of the patient: the database does not hold it
    /// to the patient's no-overlap rule ([`crate::PATIENT_OVERLAP`]).
    pub patient_overlap_ok: bool,
}

/// The names an appointment is shown with (see `Appointment`).
pub struct Names<'a> {
    pub doctor: &'a str,
    pub patient: &'a str,
    pub patient_mrn: &'a str,
    pub patient_user_id: Option<UserId>,
    pub patient_email: Option<&'a str>,
    pub patient_phone: Option<&'a str>,
    pub visit_type: &'a str,
    pub clinic_name: &'a str,
    pub clinic_slug: &'a str,
    pub clinic_time_zone: &'a str,
}

impl NewAppointment<'_> {
    /// The appointment as `find` reads it back after `insert(self, now)`, without the read.
    pub fn stored(&self, now: Timestamp, names: &Names<'_>) -> Appointment {
        // Stored instants have millisecond precision.
        let now = Timestamp::from_millisecond(ms(now)).unwrap_or(now);
        Appointment {
            id: self.id,
            clinic_id: self.clinic_id,
            doctor_id: self.doctor_id,
            patient_id: self.patient_id,
            visit_type_id: self.visit_type_id,
            start: self.start,
            end: self.end,
            block_start: self.block_start,
            block_end: self.block_end,
            local_date: self.local_date.to_owned(),
            status: self.status,
            source: self.source,
            reason: self.reason.to_owned(),
            ref_code: self.ref_code.to_owned(),
            rescheduled_from: self.rescheduled_from,
            rescheduled_to: None,
            cancel_reason: None,
            created_by: Some(self.created_by),
            created_at: now,
            updated_at: now,
            version: 1,
            doctor_name: names.doctor.to_owned(),
            patient_name: names.patient.to_owned(),
            patient_mrn: names.patient_mrn.to_owned(),
            patient_user_id: names.patient_user_id,
            patient_email: names.patient_email.map(str::to_owned),
            patient_phone: names.patient_phone.map(str::to_owned),
            visit_type_name: names.visit_type.to_owned(),
            clinic_name: names.clinic_name.to_owned(),
            clinic_slug: names.clinic_slug.to_owned(),
            clinic_time_zone: names.clinic_time_zone.to_owned(),
        }
    }
}

pub(crate) const SELECT: &str = "SELECT a.id, a.clinic_id, a.doctor_id, a.patient_id, a.visit_type_id, \
    a.start_at, a.end_at, a.block_start, a.block_end, a.local_date, a.status, a.source, a.reason, \
    a.ref_code, a.rescheduled_from, a.rescheduled_to, a.cancel_reason, a.created_by, a.created_at, \
    a.updated_at, a.version, d.name AS doctor_name, p.name AS patient_name, p.mrn AS patient_mrn, \
    p.user_id AS patient_user_id, p.email AS patient_email, p.phone AS patient_phone, \
    vt.name AS visit_type_name, \
    c.name AS clinic_name, c.slug AS clinic_slug, c.time_zone AS clinic_time_zone \
    FROM appointments a JOIN doctors d ON d.id = a.doctor_id JOIN patients p ON p.id = a.patient_id \
    JOIN visit_types vt ON vt.id = a.visit_type_id JOIN clinics c ON c.id = a.clinic_id";

/// The active statuses as an SQL list.
pub(crate) const ACTIVE: &str = "('pending', 'booked', 'arrived', 'fulfilled')";

pub(crate) fn parse<T: std::str::FromStr>(r: &QueryResult, col: &str) -> StoreResult<T> {
    let s: String = get(r, col)?;
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{col}: {s}")))
}

fn opt_id(r: &QueryResult, col: &str) -> StoreResult<Option<uuid::Uuid>> {
    get::<Option<uuid::Uuid>>(r, col)
}

pub(crate) fn row(r: &QueryResult) -> StoreResult<Appointment> {
    Ok(Appointment {
        id: AppointmentId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        doctor_id: DoctorId::from_uuid(get(r, "doctor_id")?),
        patient_id: PatientId::from_uuid(get(r, "patient_id")?),
        visit_type_id: VisitTypeId::from_uuid(get(r, "visit_type_id")?),
        start: ts(get(r, "start_at")?)?,
        end: ts(get(r, "end_at")?)?,
        block_start: ts(get(r, "block_start")?)?,
        block_end: ts(get(r, "block_end")?)?,
        local_date: get(r, "local_date")?,
        status: parse(r, "status")?,
        source: parse(r, "source")?,
        reason: get(r, "reason")?,
        ref_code: get(r, "ref_code")?,
        rescheduled_from: opt_id(r, "rescheduled_from")?.map(AppointmentId::from_uuid),
        rescheduled_to: opt_id(r, "rescheduled_to")?.map(AppointmentId::from_uuid),
        cancel_reason: get(r, "cancel_reason")?,
        created_by: opt_id(r, "created_by")?.map(UserId::from_uuid),
        created_at: ts(get(r, "created_at")?)?,
        updated_at: ts(get(r, "updated_at")?)?,
        version: get(r, "version")?,
        doctor_name: get(r, "doctor_name")?,
        patient_name: get(r, "patient_name")?,
        patient_mrn: get(r, "patient_mrn")?,
        patient_user_id: opt_id(r, "patient_user_id")?.map(UserId::from_uuid),
        patient_email: get(r, "patient_email")?,
        patient_phone: get(r, "patient_phone")?,
        visit_type_name: get(r, "visit_type_name")?,
        clinic_name: get(r, "clinic_name")?,
        clinic_slug: get(r, "clinic_slug")?,
        clinic_time_zone: get(r, "clinic_time_zone")?,
    })
}

/// Inserts an appointment. An overlap with another active appointment of the doctor is
/// `Conflict(NO_OVERLAP)`; one with another of the patient's, unless `patient_overlap_ok`,
/// `Conflict(PATIENT_OVERLAP)`; a reference code already used in the clinic is
/// `Conflict("appointments_ref_code_key")`.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    a: &NewAppointment<'_>,
    now: Timestamp,
) -> StoreResult<()> {
    let mut b = Batch::on(c);
    insert_into(&mut b, a, now);
    b.run(c).await?;
    Ok(())
}

/// Adds [`insert`]'s statement to `b`.
pub fn insert_into(b: &mut Batch, a: &NewAppointment<'_>, now: Timestamp) {
    b.exec(
        "INSERT INTO appointments (id, clinic_id, doctor_id, patient_id, visit_type_id, start_at, end_at, \
         block_start, block_end, local_date, status, source, reason, ref_code, rescheduled_from, \
         rescheduled_to, cancel_reason, created_by, created_at, updated_at, version, patient_overlap_ok) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, NULL, $16, $17, $17, 1, $18)",
        vec![
            a.id.as_uuid().into(),
            a.clinic_id.as_uuid().into(),
            a.doctor_id.as_uuid().into(),
            a.patient_id.as_uuid().into(),
            a.visit_type_id.as_uuid().into(),
            ms(a.start).into(),
            ms(a.end).into(),
            ms(a.block_start).into(),
            ms(a.block_end).into(),
            a.local_date.into(),
            a.status.as_str().into(),
            a.source.as_str().into(),
            a.reason.into(),
            a.ref_code.into(),
            a.rescheduled_from.map(|r| r.as_uuid()).into(),
            a.created_by.as_uuid().into(),
            ms(now).into(),
            a.patient_overlap_ok.into(),
        ],
    );
}

/// One appointment of `clinic`.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: AppointmentId,
) -> StoreResult<Option<Appointment>> {
    one_as(
        c,
        &format!("{SELECT} WHERE a.clinic_id = $1 AND a.id = $2"),
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
        row,
    )
    .await
}

/// One appointment by id, in whatever clinic (for links that carry only the id).
pub async fn find_any<C: ConnectionTrait>(
    c: &C,
    id: AppointmentId,
) -> StoreResult<Option<Appointment>> {
    one_as(
        c,
        &format!("{SELECT} WHERE a.id = $1"),
        vec![id.as_uuid().into()],
        row,
    )
    .await
}

/// One appointment of `clinic` by its reference code.
pub async fn find_by_ref<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    code: &str,
) -> StoreResult<Option<Appointment>> {
    one_as(
        c,
        &format!("{SELECT} WHERE a.clinic_id = $1 AND a.ref_code = $2"),
        vec![clinic.as_uuid().into(), code.into()],
        row,
    )
    .await
}

/// Time one active appointment blocks, with its local date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub block_start: Timestamp,
    pub block_end: Timestamp,
    /// The clinic-local date of the start, `YYYY-MM-DD` (for the daily cap).
    pub local_date: String,
}

/// Time a doctor's active appointments block between `from` and `to`, sorted by start.
/// Index-driven: one range scan on `(doctor_id, block_start)`; no visit blocks more than a
/// day. The rows come back aggregated into one text value (backend-specific: SQLite's
/// `group_concat`, PostgreSQL's `string_agg`), because fetching a month of a busy doctor's
/// appointments row by row costs far more in the driver than in the database.
pub async fn busy<C: ConnectionTrait>(
    c: &C,
    doctor: DoctorId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<Busy>> {
    let mut values = vec![doctor.as_uuid().into()];
    values.extend(busy_window(from, to));
    let row = one(c, &busy_select(c, "spans", 1, 2), values).await?;
    parse_spans(match &row {
        Some(r) => get(r, "spans")?,
        None => None,
    })
}

/// [`busy`]'s query, its spans as column `col`, the doctor as `$doctor` and the three values
/// of [`busy_window`] as `$window` onwards: one row, also as a part of a larger read.
pub(crate) fn busy_select<C: ConnectionTrait>(
    c: &C,
    col: &str,
    doctor: usize,
    window: usize,
) -> String {
    let agg = crate::text_agg(c);
    let (lo, hi, end) = (window, window + 1, window + 2);
    format!(
        "SELECT {agg}(CAST(block_start AS TEXT) || ',' || CAST(block_end AS TEXT) || ',' || local_date, ';') \
         AS {col} FROM appointments WHERE doctor_id = ${doctor} AND block_start >= ${lo} \
         AND block_start < ${hi} AND block_end > ${end} AND status IN {ACTIVE}"
    )
}

/// The values of [`busy_select`]'s window for busy time between `from` and `to`: no visit
/// blocks more than a day, so the scan starts a day early.
pub(crate) fn busy_window(from: Timestamp, to: Timestamp) -> [sea_orm::Value; 3] {
    const DAY_MS: i64 = 86_400_000;
    [(ms(from) - DAY_MS).into(), ms(to).into(), ms(from).into()]
}

/// The spans [`busy_select`] aggregated, sorted by start.
pub(crate) fn parse_spans(spans: Option<String>) -> StoreResult<Vec<Busy>> {
    let mut out = spans
        .as_deref()
        .unwrap_or_default()
        .split(';')
        .filter(|s| !s.is_empty())
        .map(parse_busy)
        .collect::<StoreResult<Vec<Busy>>>()?;
    out.sort_unstable_by_key(|b| b.block_start);
    Ok(out)
}

fn parse_busy(s: &str) -> StoreResult<Busy> {
    let bad = || StoreError::Corrupt(format!("busy span {s}"));
    let mut parts = s.splitn(3, ',');
    let mut instant = || -> StoreResult<Timestamp> {
        ts(parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?)
    };
    let (block_start, block_end) = (instant()?, instant()?);
    let local_date = parts.next().ok_or_else(bad)?.to_owned();
    Ok(Busy {
        block_start,
        block_end,
        local_date,
    })
}

/// The patient's active appointments whose visit time overlaps `start..end` (overridden
/// ones too), to refuse a booking over them with their names. Read before a write, it may
/// miss one booked meanwhile: the database's rule ([`crate::PATIENT_OVERLAP`]) refuses that.
pub async fn patient_overlaps<C: ConnectionTrait>(
    c: &C,
    patient: PatientId,
    start: Timestamp,
    end: Timestamp,
) -> StoreResult<Vec<Appointment>> {
    all_as(
        c,
        // By `appointments_patient_end_idx`: the patient's appointments ending after this
        // one starts, which are few; the unary `+` keeps SQLite off the index by start, by
        // which it would read every earlier appointment of theirs.
        &format!(
            "{SELECT} WHERE a.patient_id = $1 AND +a.start_at < $2 AND a.end_at > $3 \
             AND a.status IN ('pending', 'booked', 'arrived') ORDER BY a.start_at"
        ),
        vec![patient.as_uuid().into(), ms(end).into(), ms(start).into()],
        row,
    )
    .await
}

/// Moves an appointment from `from` to `to` if nobody changed it since `version`.
pub async fn set_status<C: ConnectionTrait>(
    c: &C,
    id: AppointmentId,
    version: i32,
    to: AppointmentStatus,
    cancel_reason: Option<&str>,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE appointments SET status = $1, cancel_reason = COALESCE($2, cancel_reason), updated_at = $3, \
         version = version + 1 WHERE id = $4 AND version = $5",
        vec![
            to.as_str().into(),
            cancel_reason.map(str::to_owned).into(),
            ms(now).into(),
            id.as_uuid().into(),
            version.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Links a cancelled appointment to the one that replaced it.
pub async fn set_rescheduled_to<C: ConnectionTrait>(
    c: &C,
    id: AppointmentId,
    to: AppointmentId,
) -> StoreResult<()> {
    exec(
        c,
        "UPDATE appointments SET rescheduled_to = $1 WHERE id = $2",
        vec![to.as_uuid().into(), id.as_uuid().into()],
    )
    .await?;
    Ok(())
}
