//! Documents in a patient's record: upload (multipart), list, download.

use super::extract::ApiPath;
use crate::app::scope::Caller;
use crate::{
    app::documents as files,
    auth::RequestCtx,
    error::{AppError, AppResult, Problem},
    state::AppState,
};
use axum::{
    Json,
    extract::{Multipart, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use domain::{DocumentId, PatientId};
use serde::Serialize;
use store::documents::Document;
use utoipa::ToSchema;
use uuid::Uuid;

/// A document in a patient's record.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: Uuid,
    /// `report`, `imaging`, `prescription`, `referral` or `other`.
    pub category: String,
    /// `pdf`, `jpeg` or `png`, from the content.
    pub kind: String,
    pub content_type: String,
    /// The safe name it downloads as.
    pub file_name: String,
    pub size_bytes: i64,
    /// Hex SHA-256, checked on every download.
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: String,
}

impl From<Document> for DocumentView {
    fn from(d: Document) -> Self {
        DocumentView {
            id: d.id.as_uuid(),
            category: d.category.as_str().into(),
            kind: d.kind.as_str().into(),
            content_type: d.kind.content_type().into(),
            file_name: d.file_name,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            uploaded_by: d.uploader_name,
            created_at: d.created_at.to_string(),
        }
    }
}

/// The `file` and `category` parts of an upload form; anything else is refused.
pub async fn read_upload(mut form: Multipart) -> AppResult<(String, String, Vec<u8>)> {
    let (mut name, mut category, mut bytes) = (String::new(), String::new(), None);
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest("The upload could not be read.".into())
        }
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("file") => {
                name = field.file_name().unwrap_or("").chars().take(255).collect();
                bytes = Some(field.bytes().await.map_err(bad)?.to_vec());
            }
            Some("category") => category = field.text().await.map_err(bad)?,
            _ => {
                return Err(AppError::BadRequest(
                    "Send only `file` and `category`.".into(),
                ));
            }
        }
    }
    let bytes = bytes.ok_or_else(|| AppError::field("file", "Choose a file to upload."))?;
    Ok((name, category, bytes))
}

type Pair = ApiPath<(Uuid, Uuid)>;

/// Upload a report or image to a patient's record (staff of the clinic, or the patient):
/// multipart with `file` (PDF, JPEG or PNG, recognised by content; at most the configured
/// size) and `category`.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/patients/{patient_id}/documents", operation_id = "upload_document", tag = "documents",
    params(("clinic_id" = Uuid, Path), ("patient_id" = Uuid, Path)),
    request_body(content_type = "multipart/form-data", description = "`file` and `category`"),
    responses((status = 201, body = DocumentView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn upload_document(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, patient)): Pair,
    form: Multipart,
) -> AppResult<(StatusCode, Json<DocumentView>)> {
    let (name, category, bytes) = read_upload(form).await?;
    let d = files::upload_document(
        &state,
        &ctx,
        &caller,
        PatientId::from_uuid(patient),
        &name,
        &category,
        bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// A patient's documents, newest first (staff of the clinic, or the patient; audited).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/patients/{patient_id}/documents", operation_id = "list_documents", tag = "documents",
    params(("clinic_id" = Uuid, Path), ("patient_id" = Uuid, Path)),
    responses((status = 200, body = Vec<DocumentView>), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_documents(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, patient)): Pair,
) -> AppResult<Json<Vec<DocumentView>>> {
    let list = files::list_documents(&state, &ctx, &caller, PatientId::from_uuid(patient)).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// The file as an attachment that no browser will run: its real type, a safe name,
/// `nosniff` and a sandboxing policy.
pub fn attachment(d: &Document, bytes: Vec<u8>) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(d.kind.content_type()),
    );
    let disposition = format!("attachment; filename=\"{}\"", d.file_name.replace('"', "_"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    } else {
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

/// Download a document (staff of the clinic, or the patient; audited). Its SHA-256 is
/// checked first; a damaged file is refused (409) and logged.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/patients/{patient_id}/documents/{document_id}", operation_id = "download_document", tag = "documents",
    params(("clinic_id" = Uuid, Path), ("patient_id" = Uuid, Path), ("document_id" = Uuid, Path)),
    responses((status = 200, description = "The file, as an attachment", content_type = "application/octet-stream"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn download_document(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, patient, id)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> AppResult<Response> {
    let (d, bytes) = files::download_document(
        &state,
        &ctx,
        &caller,
        PatientId::from_uuid(patient),
        DocumentId::from_uuid(id),
    )
    .await?;
    Ok(attachment(&d, bytes))
}
