//! Documents in patients' records (the bytes live in the object store).

use crate::{StoreResult, all_as, appointments::parse, exec, get, ms, one_as, ts};
use domain::{
    ClinicId, DocumentId, PatientId, UserId,
    upload::{DocCategory, DocKind},
};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};

/// A stored document.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Document {
    pub id: DocumentId,
    pub clinic_id: ClinicId,
    pub patient_id: PatientId,
    pub category: DocCategory,
    pub kind: DocKind,
    /// The safe name it is served under.
    pub file_name: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes as uploaded.
    pub sha256: String,
    pub object_key: String,
    pub uploaded_by: UserId,
    pub uploader_name: String,
    pub created_at: Timestamp,
}

const COLS: &str = "id, clinic_id, patient_id, category, kind, file_name, size_bytes, sha256, \
    object_key, uploaded_by, uploader_name, created_at";

fn row(r: &QueryResult) -> StoreResult<Document> {
    Ok(Document {
        id: DocumentId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        patient_id: PatientId::from_uuid(get(r, "patient_id")?),
        category: parse(r, "category")?,
        kind: parse(r, "kind")?,
        file_name: get(r, "file_name")?,
        size_bytes: get(r, "size_bytes")?,
        sha256: get(r, "sha256")?,
        object_key: get(r, "object_key")?,
        uploaded_by: UserId::from_uuid(get(r, "uploaded_by")?),
        uploader_name: get(r, "uploader_name")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

/// Records a document whose bytes are already stored.
pub async fn insert<C: ConnectionTrait>(c: &C, d: &Document) -> StoreResult<()> {
    exec(
        c,
        &format!(
            "INSERT INTO documents ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ),
        vec![
            d.id.as_uuid().into(),
            d.clinic_id.as_uuid().into(),
            d.patient_id.as_uuid().into(),
            d.category.as_str().into(),
            d.kind.as_str().into(),
            d.file_name.as_str().into(),
            d.size_bytes.into(),
            d.sha256.as_str().into(),
            d.object_key.as_str().into(),
            d.uploaded_by.as_uuid().into(),
            d.uploader_name.as_str().into(),
            ms(d.created_at).into(),
        ],
    )
    .await?;
    Ok(())
}

/// One document of a patient of `clinic`.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    patient: PatientId,
    id: DocumentId,
) -> StoreResult<Option<Document>> {
    one_as(
        c,
        &format!(
            "SELECT {COLS} FROM documents WHERE clinic_id = $1 AND patient_id = $2 AND id = $3"
        ),
        vec![
            clinic.as_uuid().into(),
            patient.as_uuid().into(),
            id.as_uuid().into(),
        ],
        row,
    )
    .await
}

/// A patient's documents, newest first.
pub async fn of_patient<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    patient: PatientId,
    limit: u64,
) -> StoreResult<Vec<Document>> {
    all_as(
        c,
        &format!(
            "SELECT {COLS} FROM documents WHERE clinic_id = $1 AND patient_id = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ),
        vec![
            clinic.as_uuid().into(),
            patient.as_uuid().into(),
            (limit as i64).into(),
        ],
        row,
    )
    .await
}
