//! Documents on the pages: the desk uploads to and downloads from a patient's record, and
//! patients keep their own at each clinic (/documents). Every check is the use case's.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Choice, Errors, Outcome, QueryOr, refused_upload, see_other},
    layout::{Nav, nav},
    patient_record::record_page,
};
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    api::documents::{attachment, read_upload},
    app::{
        clinics::get_clinic,
        documents::{download_document, list_documents, upload_document},
        local_time::zone_named,
    },
    auth::{
        CurrentUser, RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Multipart, State},
    response::Response,
};
use domain::{ClinicId, DocumentId, PatientId, upload::DocCategory};

/// POST /clinics/{clinic_id}/patients/{patient_id}/documents: upload a report or image.
pub async fn upload(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, PatientId)>,
    form: Multipart,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let result = match read_upload(form).await {
        Ok((name, category, bytes)) => {
            upload_document(&state, &ctx, &caller, id, &name, &category, bytes).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/clinics/{}/patients/{id}?done=uploaded",
            caller.clinic_id()
        ))),
        Err(e) => {
            let (outcome, alert) = refused_upload(e, state.settings().max_upload_bytes)?;
            let mut page = record_page(
                &state,
                &ctx,
                &caller,
                id,
                String::new(),
                String::new(),
                Errors::default(),
            )
            .await?;
            page.upload_alert = Some(alert);
            Ok(outcome.render(&page))
        }
    }
}

/// GET /clinics/{clinic_id}/patients/{patient_id}/documents/{document_id}: the file, as an
/// attachment (checked and audited).
pub async fn download(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id, doc)): PagePath<(ClinicId, PatientId, DocumentId)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let (d, bytes) = download_document(&state, &ctx, &caller, id, doc).await?;
    Ok(attachment(&d, bytes))
}

/// One clinic's record in the patient's documents page.
struct RecordDocs {
    clinic_name: String,
    action: String,
    documents: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "my_documents.html")]
struct DocsPage {
    nav: Nav,
    records: Vec<RecordDocs>,
    categories: Vec<Choice>,
    done: bool,
    alert: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DocsQuery {
    done: String,
}

/// GET /documents: the patient's documents at each clinic, with an upload form for each.
pub async fn my_documents(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    QueryOr(q): QueryOr<DocsQuery>,
) -> Result<Response, PageError> {
    let page = docs_page(&state, &ctx, &me, q.done == "uploaded", None).await?;
    Ok(Outcome::OK.render(&page))
}

async fn docs_page(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    done: bool,
    alert: Option<String>,
) -> Result<DocsPage, PageError> {
    let records = crate::app::patients::records_of(state, me).await?;
    let mut out = Vec::new();
    for p in records {
        let clinic = get_clinic(state, p.clinic_id).await?;
        let zone = zone_named(&clinic.time_zone);
        let caller = Caller::patient(me.clone(), clinic);
        let docs = list_documents(state, ctx, &caller, p.id).await?;
        out.push(RecordDocs {
            action: routes::my_document_upload(p.clinic_id, p.id),
            clinic_name: caller.clinic().name.clone(),
            documents: docs
                .into_iter()
                .map(|d| {
                    (
                        routes::my_document(p.clinic_id, p.id, d.id),
                        d.file_name,
                        format!(
                            "{} · {}",
                            d.category.label(),
                            d.created_at.to_zoned(zone.clone()).strftime("%-d %b %Y")
                        ),
                    )
                })
                .collect(),
        });
    }
    let categories = category_choices();
    Ok(DocsPage {
        nav: nav(state, me, "documents").await?,
        records: out,
        categories,
        done,
        alert,
    })
}

/// The patient acting on their own record at `clinic` (never as staff, even if they are).
async fn as_patient(
    state: &AppState,
    me: CurrentUser,
    clinic: ClinicId,
    patient: PatientId,
) -> Result<(Caller, PatientId), PageError> {
    let clinic = get_clinic(state, clinic).await?;
    Ok((Caller::patient(me, clinic), patient))
}

/// POST /documents/{clinic_id}/{patient_id}: the patient uploads a report or image.
pub async fn upload_mine(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PagePath((clinic, patient)): PagePath<(ClinicId, PatientId)>,
    form: Multipart,
) -> Result<Response, PageError> {
    let (caller, patient) = as_patient(&state, me.clone(), clinic, patient).await?;
    let result = match read_upload(form).await {
        Ok((name, category, bytes)) => {
            upload_document(&state, &ctx, &caller, patient, &name, &category, bytes).await
        }
        Err(e) => Err(e),
    };
    let (outcome, alert) = match result {
        Ok(_) => return Ok(see_other("/documents?done=uploaded")),
        Err(e) => refused_upload(e, state.settings().max_upload_bytes)?,
    };
    let page = docs_page(&state, &ctx, &me, false, Some(alert)).await?;
    Ok(outcome.render(&page))
}

/// GET /documents/{clinic_id}/{patient_id}/{document_id}: the patient's own file.
pub async fn download_mine(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PagePath((clinic, patient, doc)): PagePath<(ClinicId, PatientId, DocumentId)>,
) -> Result<Response, PageError> {
    let (caller, patient) = as_patient(&state, me, clinic, patient).await?;
    let (d, bytes) = download_document(&state, &ctx, &caller, patient, doc).await?;
    Ok(attachment(&d, bytes))
}

/// The upload form's kinds of document, a report chosen.
pub(super) fn category_choices() -> Vec<Choice> {
    DocCategory::ALL
        .iter()
        .map(|c| Choice {
            id: c.as_str().to_owned(),
            name: c.label().to_owned(),
            selected: *c == DocCategory::Report,
        })
        .collect()
}
