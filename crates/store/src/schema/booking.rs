//! The booking tables (specialties, doctors, schedules, visit types, patients,
//! appointments) and the rule that no two active appointments of a doctor overlap.

use sea_orm::DbBackend;

const BOOKING: &str = r#"
CREATE TABLE specialties (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT specialties_clinic_name_key UNIQUE (clinic_id, name_key)
);

CREATE TABLE doctors (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    user_id {uuid} NOT NULL REFERENCES users(id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
    name TEXT NOT NULL,
    qualifications TEXT NOT NULL,
    languages TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    fee_minor BIGINT NOT NULL CHECK (fee_minor >= 0),
    bio TEXT NOT NULL,
    decision_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT doctors_clinic_user_key UNIQUE (clinic_id, user_id)
);
CREATE INDEX doctors_clinic_status_idx ON doctors (clinic_id, status);

CREATE TABLE doctor_specialties (
    doctor_id {uuid} NOT NULL REFERENCES doctors(id),
    specialty_id {uuid} NOT NULL REFERENCES specialties(id),
    PRIMARY KEY (doctor_id, specialty_id)
);
CREATE INDEX doctor_specialties_specialty_idx ON doctor_specialties (specialty_id);

CREATE TABLE visit_types (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    doctor_id {uuid} REFERENCES doctors(id),
    name TEXT NOT NULL,
    duration_min INTEGER NOT NULL CHECK (duration_min BETWEEN 5 AND 480),
    buffer_before_min INTEGER NOT NULL CHECK (buffer_before_min BETWEEN 0 AND 120),
    buffer_after_min INTEGER NOT NULL CHECK (buffer_after_min BETWEEN 0 AND 120),
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    mode TEXT NOT NULL CHECK (mode IN ('in_person', 'video')),
    is_active {bool} NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX visit_types_clinic_idx ON visit_types (clinic_id);

CREATE TABLE weekly_hours (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    doctor_id {uuid} NOT NULL REFERENCES doctors(id),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_min INTEGER NOT NULL,
    end_min INTEGER NOT NULL,
    visit_types TEXT NOT NULL,
    valid_from TEXT,
    valid_to TEXT,
    CHECK (start_min >= 0 AND start_min < end_min AND end_min <= 1440)
);
CREATE INDEX weekly_hours_doctor_idx ON weekly_hours (doctor_id);

CREATE TABLE schedule_exceptions (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    doctor_id {uuid} REFERENCES doctors(id),
    kind TEXT NOT NULL CHECK (kind IN ('leave', 'holiday', 'extra')),
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL,
    start_min INTEGER,
    end_min INTEGER,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (date_from <= date_to)
);
CREATE INDEX schedule_exceptions_clinic_idx ON schedule_exceptions (clinic_id, date_to);

CREATE TABLE booking_policies (
    clinic_id {uuid} PRIMARY KEY REFERENCES clinics(id),
    min_notice_min INTEGER NOT NULL,
    horizon_days INTEGER NOT NULL,
    cancel_cutoff_min INTEGER NOT NULL,
    daily_cap INTEGER,
    require_approval {bool} NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE counters (
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, name)
);

CREATE TABLE patients (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    user_id {uuid} REFERENCES users(id),
    mrn TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT patients_clinic_mrn_key UNIQUE (clinic_id, mrn),
    CONSTRAINT patients_clinic_user_key UNIQUE (clinic_id, user_id)
);
CREATE INDEX patients_clinic_name_idx ON patients (clinic_id, name_key);
CREATE INDEX patients_clinic_phone_idx ON patients (clinic_id, phone);

CREATE TABLE appointments (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    doctor_id {uuid} NOT NULL REFERENCES doctors(id),
    patient_id {uuid} NOT NULL REFERENCES patients(id),
    visit_type_id {uuid} NOT NULL REFERENCES visit_types(id),
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    block_start BIGINT NOT NULL,
    block_end BIGINT NOT NULL,
    local_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow')),
    source TEXT NOT NULL CHECK (source IN ('online', 'desk', 'phone')),
    reason TEXT NOT NULL,
    ref_code TEXT NOT NULL,
    rescheduled_from {uuid},
    rescheduled_to {uuid},
    cancel_reason TEXT,
    created_by {uuid} REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version INTEGER NOT NULL,
    CONSTRAINT appointments_ref_code_key UNIQUE (clinic_id, ref_code),
    CHECK (block_start <= start_at AND start_at < end_at AND end_at <= block_end)
);
CREATE INDEX appointments_doctor_block_idx ON appointments (doctor_id, block_start);
CREATE INDEX appointments_patient_idx ON appointments (patient_id, start_at);
CREATE INDEX appointments_clinic_start_idx ON appointments (clinic_id, start_at);
CREATE UNIQUE INDEX appointments_doctor_start_active_key ON appointments (doctor_id, block_start)
    WHERE status IN ('pending', 'booked', 'arrived', 'fulfilled');

CREATE TABLE idempotency_keys (
    user_id {uuid} NOT NULL REFERENCES users(id),
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    result_id {uuid} NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);

CREATE TABLE link_tokens (
    token_hash TEXT PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    purpose TEXT NOT NULL,
    target_id {uuid} NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX link_tokens_target_idx ON link_tokens (target_id);
"#;

/// Covers the busy-time read of slot search and booking (`appointments::busy`): a doctor's
/// active appointments in a window come from a few index pages, without visiting a table
/// row (scattered over a large table) for each one.
pub const BUSY_INDEX: &str = "CREATE INDEX appointments_doctor_busy_idx ON appointments \
    (doctor_id, block_start, block_end, local_date, status) \
    WHERE status IN ('pending', 'booked', 'arrived', 'fulfilled')";

/// No two active appointments of one doctor overlap, buffers included. PostgreSQL holds the
/// rule in this constraint; SQLite in the triggers of m0010 (`no_overlap_sqlite`).
const NO_OVERLAP_POSTGRES: &str = r#"
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap
    EXCLUDE USING gist (doctor_id WITH =, int8range(block_start, block_end) WITH &&)
    WHERE (status IN ('pending', 'booked', 'arrived', 'fulfilled'));
"#;

/// The booking tables' DDL for `backend`.
pub fn booking(backend: DbBackend) -> String {
    let (uuid, boolean, extra) = match backend {
        DbBackend::Postgres => ("UUID", "BOOLEAN", NO_OVERLAP_POSTGRES),
        _ => ("BLOB", "INTEGER", ""),
    };
    let mut sql = BOOKING.replace("{uuid}", uuid).replace("{bool}", boolean);
    sql.push_str(extra);
    sql
}

/// SQLite refuses an overlapping active appointment itself, as PostgreSQL's exclusion
/// constraint does (m0002 only refused an identical blocked start there). The active
/// appointments of a doctor never overlap, so ordered by start their ends are ordered too:
/// a new span overlaps one iff an active span starts inside it, or the latest one that
/// starts before it ends after its start. Both are index probes, not scans.
pub fn no_overlap_sqlite(backend: DbBackend) -> String {
    if backend == DbBackend::Postgres {
        return "SELECT 1;".into();
    }
    let body = "SELECT RAISE(ABORT, 'appointments_no_overlap') WHERE EXISTS (\
        SELECT 1 FROM appointments a WHERE a.doctor_id = NEW.doctor_id AND a.id <> NEW.id \
        AND a.status IN ('pending', 'booked', 'arrived', 'fulfilled') \
        AND a.block_start >= NEW.block_start AND a.block_start < NEW.block_end) \
        OR (SELECT a.block_end FROM appointments a WHERE a.doctor_id = NEW.doctor_id AND a.id <> NEW.id \
        AND a.status IN ('pending', 'booked', 'arrived', 'fulfilled') AND a.block_start < NEW.block_start \
        ORDER BY a.block_start DESC LIMIT 1) > NEW.block_start;";
    format!(
        r#"
CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments
WHEN NEW.status IN ('pending', 'booked', 'arrived', 'fulfilled')
BEGIN {body} END;
CREATE TRIGGER appointments_no_overlap_update
BEFORE UPDATE OF doctor_id, status, block_start, block_end ON appointments
WHEN NEW.status IN ('pending', 'booked', 'arrived', 'fulfilled')
BEGIN {body} END;
"#
    )
}

/// The statuses in which a patient is expected at a visit: two of these never overlap for
/// one patient, unless staff booked one of them over the other (`patient_overlap_ok`).
const PATIENT_ACTIVE: &str = "status IN ('pending', 'booked', 'arrived')";

/// No patient has two active appointments at once, unless staff overrode the rule for one
/// (which the row records). Appointments that already overlap are marked as overridden:
/// they were made before the database held the rule (staff overrides, or older data).
/// PostgreSQL holds the rule in an exclusion constraint, SQLite in triggers; both report
/// it as `appointments_patient_overlap`.
pub fn patient_no_overlap(backend: DbBackend) -> String {
    let rule = match backend {
        DbBackend::Postgres => format!(
            "ALTER TABLE appointments ADD CONSTRAINT appointments_patient_overlap \
             EXCLUDE USING gist (patient_id WITH =, int8range(start_at, end_at) WITH &&) \
             WHERE ({PATIENT_ACTIVE} AND NOT patient_overlap_ok);"
        ),
        _ => {
            // By `appointments_patient_end_idx`, as `appointments::patient_overlaps` reads.
            let clash = format!(
                "a.patient_id = NEW.patient_id AND a.id <> NEW.id AND a.{PATIENT_ACTIVE} \
                 AND NOT a.patient_overlap_ok AND +a.start_at < NEW.end_at AND a.end_at > NEW.start_at"
            );
            let body = format!(
                "SELECT RAISE(ABORT, 'appointments_patient_overlap') WHERE EXISTS (\
                 SELECT 1 FROM appointments a WHERE {clash});"
            );
            format!(
                "CREATE TRIGGER appointments_patient_overlap_insert BEFORE INSERT ON appointments \
                 WHEN NEW.{PATIENT_ACTIVE} AND NOT NEW.patient_overlap_ok BEGIN {body} END;
CREATE TRIGGER appointments_patient_overlap_update \
                 BEFORE UPDATE OF patient_id, status, start_at, end_at, patient_overlap_ok ON appointments \
                 WHEN NEW.{PATIENT_ACTIVE} AND NOT NEW.patient_overlap_ok BEGIN {body} END;"
            )
        }
    };
    format!(
        "ALTER TABLE appointments ADD COLUMN patient_overlap_ok BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE appointments SET patient_overlap_ok = TRUE WHERE {PATIENT_ACTIVE} AND EXISTS (\
 SELECT 1 FROM appointments b WHERE b.patient_id = appointments.patient_id \
 AND b.id <> appointments.id AND b.{PATIENT_ACTIVE} \
 AND b.start_at < appointments.end_at AND b.end_at > appointments.start_at);
{rule}
"
    )
}
