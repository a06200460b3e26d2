//! The clinic day's tables: the patient registry and its search index, queue tokens,
//! consultations and prescriptions, documents, and e-mail confirmation.

use super::uuid_type;
use sea_orm::DbBackend;

/// The patient registry: the rest of the short form, an edit version, and the word index
/// that prefix search runs on. Index words compare byte-wise on both backends (`COLLATE
/// "C"` on PostgreSQL), so a prefix is a plain range scan.
pub fn registry(backend: DbBackend) -> String {
    let (uuid, collate) = match backend {
        DbBackend::Postgres => ("UUID", r#" COLLATE "C""#),
        _ => ("BLOB", ""),
    };
    format!(
        r#"
ALTER TABLE patients ADD COLUMN sex TEXT;
ALTER TABLE patients ADD COLUMN birth_date TEXT;
ALTER TABLE patients ADD COLUMN birth_estimated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patients ADD COLUMN address TEXT;
ALTER TABLE patients ADD COLUMN emergency_name TEXT;
ALTER TABLE patients ADD COLUMN emergency_phone TEXT;
ALTER TABLE patients ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE patient_words (
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    word TEXT{collate} NOT NULL,
    patient_id {uuid} NOT NULL REFERENCES patients(id),
    PRIMARY KEY (clinic_id, word, patient_id)
);
CREATE INDEX patient_words_patient_idx ON patient_words (patient_id, word);
CREATE INDEX patients_clinic_email_idx ON patients (clinic_id, email);
"#
    )
}

/// Queue tokens: one patient's place in one doctor's queue on one local day. Numbers come
/// from a per-doctor-per-day counter in the issuing transaction; the unique key means a
/// number is never handed out twice.
pub fn queue(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE queue_tokens (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    doctor_id {uuid} NOT NULL REFERENCES doctors(id),
    local_date TEXT NOT NULL,
    number INTEGER NOT NULL,
    patient_id {uuid} NOT NULL REFERENCES patients(id),
    appointment_id {uuid} REFERENCES appointments(id),
    slot_start BIGINT,
    priority TEXT NOT NULL CHECK (priority IN ('normal', 'elderly', 'pregnant', 'disabled', 'child', 'emergency')),
    status TEXT NOT NULL CHECK (status IN ('waiting', 'called', 'in_consultation', 'done', 'skipped', 'transferred')),
    arrived_at BIGINT NOT NULL,
    requeued_at BIGINT,
    called_at BIGINT,
    started_at BIGINT,
    ended_at BIGINT,
    transferred_to {uuid},
    created_by {uuid} REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version INTEGER NOT NULL,
    CONSTRAINT queue_tokens_number_key UNIQUE (doctor_id, local_date, number)
);
CREATE INDEX queue_tokens_clinic_day_idx ON queue_tokens (clinic_id, local_date);
CREATE INDEX queue_tokens_patient_idx ON queue_tokens (patient_id, local_date);
CREATE UNIQUE INDEX queue_tokens_appointment_key ON queue_tokens (appointment_id)
    WHERE appointment_id IS NOT NULL AND status <> 'transferred';
CREATE UNIQUE INDEX queue_tokens_open_key ON queue_tokens (doctor_id, local_date, patient_id)
    WHERE status IN ('waiting', 'called', 'in_consultation', 'skipped');
CREATE INDEX queue_tokens_doctor_ended_idx ON queue_tokens (doctor_id, ended_at)
    WHERE ended_at IS NOT NULL;

CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#
    )
}

/// Consultations (encounters) with their addenda, and the prescription written in each.
/// A signed encounter is locked: the application refuses edits, and later notes are addenda.
pub fn consultation(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE encounters (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    patient_id {uuid} NOT NULL REFERENCES patients(id),
    doctor_id {uuid} NOT NULL REFERENCES doctors(id),
    token_id {uuid} REFERENCES queue_tokens(id),
    appointment_id {uuid} REFERENCES appointments(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
    complaints TEXT NOT NULL,
    vitals TEXT NOT NULL,
    examination TEXT NOT NULL,
    diagnosis TEXT NOT NULL,
    icd10 TEXT,
    advice TEXT NOT NULL,
    follow_up_date TEXT,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    signed_at BIGINT,
    signed_by {uuid} REFERENCES users(id),
    version INTEGER NOT NULL
);
CREATE INDEX encounters_patient_idx ON encounters (clinic_id, patient_id, started_at);
CREATE UNIQUE INDEX encounters_token_key ON encounters (token_id) WHERE token_id IS NOT NULL;

CREATE TABLE encounter_addenda (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    encounter_id {uuid} NOT NULL REFERENCES encounters(id),
    author_id {uuid} NOT NULL REFERENCES users(id),
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX encounter_addenda_encounter_idx ON encounter_addenda (encounter_id, created_at);

CREATE TABLE prescriptions (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    encounter_id {uuid} NOT NULL REFERENCES encounters(id),
    patient_id {uuid} NOT NULL REFERENCES patients(id),
    doctor_id {uuid} NOT NULL REFERENCES doctors(id),
    items TEXT NOT NULL,
    notes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT prescriptions_encounter_key UNIQUE (encounter_id)
);
CREATE INDEX prescriptions_patient_idx ON prescriptions (patient_id, created_at);
"#
    )
}

/// Patients' documents: the bytes live in the object store under `object_key`; the row keeps
/// what was checked on upload (kind by content, size, SHA-256) to check every download.
pub fn documents(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE documents (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    patient_id {uuid} NOT NULL REFERENCES patients(id),
    category TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pdf', 'jpeg', 'png')),
    file_name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    object_key TEXT NOT NULL,
    uploaded_by {uuid} NOT NULL REFERENCES users(id),
    uploader_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX documents_patient_idx ON documents (clinic_id, patient_id, created_at);
"#
    )
}

/// Rebuilds the word index with each row carrying all of its record's words
/// (`' kavya nair #919845012345 '`), so a search with several prefixes scans the longest
/// prefix's range and checks the others on the row it reads instead of probing per hit.
/// SQLite keeps the rows in the key's order (`WITHOUT ROWID`); PostgreSQL carries the words
/// in the key's index (`INCLUDE`). The rows are derived data: the migration re-indexes.
pub fn search_words(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    let (collate, include, without_rowid) = match backend {
        DbBackend::Postgres => (r#" COLLATE "C""#, " INCLUDE (words)", ""),
        _ => ("", "", " WITHOUT ROWID"),
    };
    format!(
        r#"
DROP TABLE patient_words;
CREATE TABLE patient_words (
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    word TEXT{collate} NOT NULL,
    patient_id {uuid} NOT NULL REFERENCES patients(id),
    words TEXT NOT NULL,
    PRIMARY KEY (clinic_id, word, patient_id){include}
){without_rowid};
CREATE INDEX patient_words_patient_idx ON patient_words (patient_id);
"#
    )
}
