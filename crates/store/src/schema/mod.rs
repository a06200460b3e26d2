//! The schema, written once with a few per-backend words filled in.
//!
//! Instants are BIGINT epoch milliseconds on both backends (range-scanned, no zone surprises).
//! UUIDs are native `UUID` on PostgreSQL and 16-byte BLOBs on SQLite.

use sea_orm::DbBackend;

mod billing;
mod booking;
mod clinic_day;
mod messaging;
pub use billing::*;
pub use booking::*;
pub use clinic_day::*;
pub use messaging::*;

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

/// Phone numbers: a person's mobile number (E.164) on their account, and each clinic's
/// country, the region a number typed without `+` is read in.
pub fn phones(_backend: DbBackend) -> String {
    r#"
ALTER TABLE users ADD COLUMN phone TEXT
    CONSTRAINT users_phone_e164 CHECK (phone IS NULL OR length(phone) BETWEEN 8 AND 16);
CREATE INDEX users_phone_idx ON users (phone);
ALTER TABLE clinics ADD COLUMN country TEXT
    CONSTRAINT clinics_country_len CHECK (country IS NULL OR length(country) = 2);
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

/// A patient's appointments by end, for the overlap check when they book: it reads those
/// ending after the new one starts (their coming visits), not their whole history.
pub const PATIENT_END_INDEX: &str =
    "CREATE INDEX appointments_patient_end_idx ON appointments (patient_id, end_at);";

/// A person's patient records across clinics (their documents, the clinics they book at
/// again), found by their account instead of a walk through every clinic's patients.
pub const PATIENT_USER_INDEX: &str =
    "CREATE INDEX patients_user_idx ON patients (user_id) WHERE user_id IS NOT NULL;";

/// An event's insert moves its chain's head to its hash, so appending takes two statements
/// (the head's number and hash, then the event) and the head always names the last event.
pub fn audit_head(backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => r#"
CREATE FUNCTION audit_events_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE audit_chains SET head_hash = NEW.hash WHERE chain = NEW.chain; RETURN NULL; END; $$;
CREATE TRIGGER audit_events_head AFTER INSERT ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_head();
"#
        .to_owned(),
        _ => r#"
CREATE TRIGGER audit_events_head AFTER INSERT ON audit_events
BEGIN UPDATE audit_chains SET head_hash = NEW.hash WHERE chain = NEW.chain; END;
"#
        .to_owned(),
    }
}
