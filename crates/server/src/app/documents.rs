//! Documents in a patient's record: reports and images uploaded by staff or the patient,
//! kept in the object store. The type comes from the bytes, the name is rewritten, the
//! SHA-256 is checked on every download, and every read is audited.

use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    DocumentId, PatientId,
    upload::{DocCategory, safe_file_name, sniff},
};
use object_store::{PutPayload, path::Path as ObjectPath};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::{
    Conn, audit,
    documents::{self, Document},
    patients,
};

/// The patient's record, if the caller may see its documents: any staff member of the
/// clinic, or the patient it belongs to. Anyone else gets 404.
async fn record<C: Conn>(
    c: &C,
    caller: &Caller,
    patient: PatientId,
) -> AppResult<patients::Patient> {
    patients::find(c, caller.clinic_id(), patient)
        .await?
        .filter(|p| caller.can(Capability::ReadRecords) || caller.is_user(p.user_id))
        .ok_or(AppError::NotFound)
}

fn unavailable(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("document store: {e}"))
}

/// Why a file over the upload limit `max` is refused.
pub fn too_large(max: usize) -> String {
    format!(
        "The file is larger than {}, the most this clinic accepts.",
        domain::upload::size_label(max)
    )
}

/// Stores an upload: PDF, JPEG or PNG by content, within the size limit; the name given is
/// only a hint for the safe name it is served under.
pub async fn upload_document(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    patient: PatientId,
    file_name: &str,
    category: &str,
    bytes: Vec<u8>,
) -> AppResult<Document> {
    let max = state.settings().max_upload_bytes;
    if bytes.len() > max {
        return Err(AppError::field("file", too_large(max)));
    }
    if bytes.is_empty() {
        return Err(AppError::field("file", "Choose a file to upload."));
    }
    let kind =
        sniff(&bytes).ok_or_else(|| AppError::field("file", "Upload a PDF, JPEG or PNG file."))?;
    let category: DocCategory = category.parse()?;
    let c = state.store().conn();
    let p = record(c, caller, patient).await?;
    let id = DocumentId::new();
    let key = format!("{}/{}/{id}.{}", caller.clinic_id(), p.id, kind.extension());
    let doc = Document {
        id,
        clinic_id: caller.clinic_id(),
        patient_id: p.id,
        category,
        kind,
        file_name: safe_file_name(file_name, kind),
        size_bytes: bytes.len() as i64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        object_key: key.clone(),
        uploaded_by: caller.person()?.id(),
        uploader_name: caller.person()?.user().name.clone(),
        created_at: state.now(),
    };
    let objects = state.documents().await.map_err(unavailable)?;
    let path = ObjectPath::from(key.as_str());
    objects
        .put(&path, PutPayload::from(bytes))
        .await
        .map_err(unavailable)?;
    let saved = async {
        let tx = state.store().write().await?;
        documents::insert(&tx, &doc).await?;
        audit::append(
            &tx,
            &caller.actor(ctx),
            audit::Event::new("document.upload", "document", id)
                .in_clinic(caller.clinic_id())
                .detail(
                    json!({"patient_id": p.id.as_uuid(), "kind": kind, "size": doc.size_bytes}),
                ),
            doc.created_at,
        )
        .await?;
        store::commit(tx).await?;
        Ok::<_, AppError>(())
    };
    if let Err(e) = saved.await {
        // Without its row the object is unreachable; do not leave it behind.
        if let Err(del) = objects.delete(&path).await {
            tracing::warn!(key, error = %del, "could not remove an orphaned upload");
        }
        return Err(e);
    }
    Ok(doc)
}

/// A patient's documents, newest first (audited).
pub async fn list_documents(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    patient: PatientId,
) -> AppResult<Vec<Document>> {
    let now = state.now();
    let tx = state.store().write().await?;
    record(&tx, caller, patient).await?;
    let list = documents::of_patient(&tx, caller.clinic_id(), patient, 200).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("document.list", "patient", patient).in_clinic(caller.clinic_id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(list)
}

/// A document's bytes, after checking them against the SHA-256 taken at upload; a
/// mismatch is refused and logged. The read is audited.
pub async fn download_document(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    patient: PatientId,
    id: DocumentId,
) -> AppResult<(Document, Vec<u8>)> {
    let c = state.store().conn();
    record(c, caller, patient).await?;
    let doc = documents::find(c, caller.clinic_id(), patient, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let objects = state.documents().await.map_err(unavailable)?;
    let bytes = objects
        .get(&ObjectPath::from(doc.object_key.as_str()))
        .await
        .map_err(unavailable)?
        .bytes()
        .await
        .map_err(unavailable)?;
    if hex::encode(Sha256::digest(&bytes)) != doc.sha256 {
        tracing::error!(document = %doc.id, key = doc.object_key, "document checksum mismatch; refusing to serve it");
        return Err(AppError::Conflict(
            "This document is damaged in storage and cannot be served. The clinic has been alerted."
                .into(),
        ));
    }
    let now = state.now();
    let tx = state.store().write().await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("document.read", "document", id).in_clinic(caller.clinic_id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok((doc, bytes.to_vec()))
}
