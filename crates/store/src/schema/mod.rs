//! The schema, written once with a few per-backend words filled in.
//!
//! Instants are BIGINT epoch milliseconds on both backends (range-scanned, no zone surprises).
//! UUIDs are native `UUID` on PostgreSQL and 16-byte BLOBs on SQLite.

use sea_orm::DbBackend;

mod clinic_day;
pub use clinic_day::*;

const SPINE: &str = r#"
CREATE TABLE clinics (
    id {uuid} PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT clinics_slug_key UNIQUE (slug)
);

CREATE TABLE users (
    id {uuid} PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT,
    is_platform_admin {bool} NOT NULL,
    is_patient {bool} NOT NULL,
    is_active {bool} NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE memberships (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    user_id {uuid} NOT NULL REFERENCES users(id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'doctor', 'receptionist')),
    is_active {bool} NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT memberships_clinic_user_role_key UNIQUE (clinic_id, user_id, role)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE sessions (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id),
    access_hash TEXT NOT NULL,
    access_expires_at BIGINT NOT NULL,
    active_clinic_id {uuid} REFERENCES clinics(id),
    user_agent TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_reason TEXT,
    CONSTRAINT sessions_access_hash_key UNIQUE (access_hash)
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id {uuid} NOT NULL REFERENCES sessions(id),
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE invites (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'doctor', 'receptionist')),
    token_hash TEXT NOT NULL,
    invited_by {uuid} REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    CONSTRAINT invites_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX invites_clinic_idx ON invites (clinic_id);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE audit_chains (
    chain TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL
);

CREATE TABLE audit_events (
    id {uuid} PRIMARY KEY,
    chain TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_user_id {uuid},
    clinic_id {uuid},
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    ip TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    CONSTRAINT audit_events_chain_seq_key UNIQUE (chain, seq)
);
CREATE INDEX audit_events_clinic_idx ON audit_events (clinic_id, at);

CREATE TABLE jobs (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} REFERENCES clinics(id),
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    run_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    dedupe_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT jobs_dedupe_key_key UNIQUE (dedupe_key)
);
CREATE INDEX jobs_due_idx ON jobs (status, run_at);
"#;

const AUDIT_GUARD_SQLITE: &str = r#"
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
"#;

const AUDIT_GUARD_POSTGRES: &str = r#"
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
"#;

/// The spine's DDL for `backend`.
pub fn spine(backend: DbBackend) -> String {
    let (uuid, boolean, guard) = match backend {
        DbBackend::Postgres => ("UUID", "BOOLEAN", AUDIT_GUARD_POSTGRES),
        _ => ("BLOB", "INTEGER", AUDIT_GUARD_SQLITE),
    };
    let mut sql = SPINE.replace("{uuid}", uuid).replace("{bool}", boolean);
    sql.push_str(guard);
    sql
}

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

/// The column type of ids: native `UUID` on PostgreSQL, 16-byte `BLOB` on SQLite.
pub(crate) fn uuid_type(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "UUID",
        _ => "BLOB",
    }
}

/// E-mail confirmation: when an account proved it receives mail at its address, and the
/// single-use links that prove it (hashes only, bound to the address they were sent to).
pub fn email_confirmation(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

CREATE TABLE email_confirmations (
    token_hash TEXT PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id),
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX email_confirmations_user_idx ON email_confirmations (user_id, created_at);
"#
    )
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

/// A clinic's contact details. SQLite takes one column per `ALTER`. Coordinates are whole
/// micro-degrees, exact and read back alike on both backends, and set in pairs.
pub fn clinic_contact(_backend: DbBackend) -> String {
    r#"
ALTER TABLE clinics ADD COLUMN address TEXT NOT NULL DEFAULT ''
    CONSTRAINT clinics_address_len CHECK (length(address) <= 300);
ALTER TABLE clinics ADD COLUMN phone TEXT NOT NULL DEFAULT ''
    CONSTRAINT clinics_phone_len CHECK (length(phone) <= 16);
ALTER TABLE clinics ADD COLUMN opening_hours TEXT NOT NULL DEFAULT ''
    CONSTRAINT clinics_opening_hours_len CHECK (length(opening_hours) <= 200);
ALTER TABLE clinics ADD COLUMN latitude_e6 BIGINT
    CONSTRAINT clinics_latitude_range CHECK (latitude_e6 BETWEEN -90000000 AND 90000000);
ALTER TABLE clinics ADD COLUMN longitude_e6 BIGINT
    CONSTRAINT clinics_longitude_range CHECK (longitude_e6 BETWEEN -180000000 AND 180000000
        AND (longitude_e6 IS NULL) = (latitude_e6 IS NULL));
"#
    .to_owned()
}

/// Domain events, written in the transaction of the change they record. Append-only like the
/// audit log: subscribers read them; nothing updates or deletes them.
pub fn events(backend: DbBackend) -> String {
    let sql = r#"
CREATE TABLE events (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    kind TEXT NOT NULL,
    subject_id {uuid} NOT NULL,
    body TEXT NOT NULL,
    actor_user_id {uuid},
    occurred_at BIGINT NOT NULL
);
CREATE INDEX events_clinic_idx ON events (clinic_id, occurred_at);
CREATE INDEX events_subject_idx ON events (subject_id, occurred_at);
"#;
    let (uuid, guard) = match backend {
        DbBackend::Postgres => (
            "UUID",
            r#"
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'events is append-only'; END; $$;
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION events_append_only();
"#,
        ),
        _ => (
            "BLOB",
            r#"
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;
"#,
        ),
    };
    format!("{}{guard}", sql.replace("{uuid}", uuid))
}
