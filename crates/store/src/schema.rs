//! The schema, written once with a few per-backend words filled in.
//!
//! Instants are BIGINT epoch milliseconds on both backends (range-scanned, no zone surprises).
//! UUIDs are native `UUID` on PostgreSQL and 16-byte BLOBs on SQLite.

use sea_orm::DbBackend;

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
