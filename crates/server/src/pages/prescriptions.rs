//! Prescriptions on paper and in the patient's portal: a clean printable page (clinic,
//! doctor and registration number, patient, date, items, signature line) and the patient's
//! list of signed prescriptions with their visit summaries.

use super::{
    error::{Page, PageError},
    forms::Outcome,
    layout::{Nav, nav},
};
use crate::{
    app::{clinics::get_clinic, consultations, local_time::zone_named},
    auth::{CurrentUser, RequestCtx, extract::ClinicCaller},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::{ClinicId, PrescriptionId, Role};
use store::encounters::Prescription;

fn day(p: &Prescription, t: jiff::Timestamp) -> String {
    t.to_zoned(zone_named(&p.clinic_time_zone))
        .strftime("%-d %B %Y")
        .to_string()
}

#[derive(Template)]
#[template(path = "prescription_print.html")]
struct PrintPage {
    p: Prescription,
    date: String,
    patient_line: String,
    back_href: String,
}

/// GET /clinics/{clinic_id}/prescriptions/{id}/print: the clinic's doctors, or the patient
/// once it is signed (audited).
pub async fn print(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    Path((clinic, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let clinic: ClinicId = clinic.parse().map_err(|_| AppError::NotFound)?;
    let id: PrescriptionId = id.parse().map_err(|_| AppError::NotFound)?;
    let clinic = get_clinic(&state, clinic).await?;
    let caller = ClinicCaller::new(&state, me, clinic).await?;
    let p = consultations::get_prescription(&state, &ctx, &caller, id).await?;
    let patient = store::patients::find(state.store().conn(), caller.clinic.id, p.patient_id)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    let today = state.now().to_zoned(zone_named(&p.clinic_time_zone)).date();
    let mut facts = vec![format!("MRN {}", p.patient_mrn)];
    if let Some(b) = patient.details.birth {
        facts.push(b.age_text(today));
    }
    if let Some(s) = patient.details.sex {
        facts.push(s.label().to_owned());
    }
    let back_href = if caller.has_any(&[Role::Doctor]) {
        format!(
            "/clinics/{}/consultations/{}",
            caller.clinic.id, p.encounter_id
        )
    } else {
        "/prescriptions".to_owned()
    };
    let page = PrintPage {
        date: day(&p, p.signed_at.unwrap_or(p.created_at)),
        patient_line: facts.join(" · "),
        back_href,
        p,
    };
    Ok(Outcome::OK.render(&page))
}

struct Card {
    href: String,
    title: String,
    diagnosis: String,
    advice: String,
    follow_up: Option<String>,
    items: Vec<String>,
}

#[derive(Template)]
#[template(path = "my_prescriptions.html")]
struct MinePage {
    nav: Nav,
    cards: Vec<Card>,
}

/// GET /prescriptions: the signed-in patient's signed prescriptions and visit summaries.
pub async fn mine(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
) -> Result<Response, PageError> {
    let list = consultations::my_prescriptions(&state, &ctx, &me).await?;
    let cards = list
        .into_iter()
        .map(|p| Card {
            href: format!("/clinics/{}/prescriptions/{}/print", p.clinic_id, p.id),
            title: format!(
                "{} · {} · {}",
                day(&p, p.signed_at.unwrap_or(p.created_at)),
                p.doctor_name,
                p.clinic_name
            ),
            items: p
                .items
                .iter()
                .map(|i| {
                    [&i.drug, &i.strength, &i.dose, &i.frequency, &i.duration]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" · ")
                })
                .collect(),
            diagnosis: p.diagnosis.clone(),
            advice: p.advice.clone(),
            follow_up: p.follow_up_date.clone(),
        })
        .collect();
    let page = MinePage {
        nav: nav(&state, &me, "prescriptions").await?,
        cards,
    };
    Ok(Outcome::OK.render(&page))
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
    categories: Vec<super::forms::Choice>,
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
    super::forms::QueryOr(q): super::forms::QueryOr<DocsQuery>,
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
    let records = store::patients::all_of_user(state.store().conn(), me.id())
        .await
        .map_err(AppError::from)?;
    let mut out = Vec::new();
    for p in records {
        let clinic = get_clinic(state, p.clinic_id).await?;
        let zone = zone_named(&clinic.time_zone);
        let caller = ClinicCaller {
            me: me.clone(),
            clinic,
            roles: Vec::new(),
        };
        let docs = crate::app::documents::list_documents(state, ctx, &caller, p.id).await?;
        out.push(RecordDocs {
            action: format!("/documents/{}/{}", p.clinic_id, p.id),
            clinic_name: caller.clinic.name.clone(),
            documents: docs
                .into_iter()
                .map(|d| {
                    (
                        format!("/documents/{}/{}/{}", p.clinic_id, p.id, d.id),
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
    let categories = domain::upload::DocCategory::ALL
        .iter()
        .map(|c| super::forms::Choice {
            id: c.as_str().to_owned(),
            name: c.label().to_owned(),
            selected: *c == domain::upload::DocCategory::Report,
        })
        .collect();
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
    clinic: &str,
    patient: &str,
) -> Result<(ClinicCaller, domain::PatientId), PageError> {
    let clinic: ClinicId = clinic.parse().map_err(|_| AppError::NotFound)?;
    let patient: domain::PatientId = patient.parse().map_err(|_| AppError::NotFound)?;
    let clinic = get_clinic(state, clinic).await?;
    Ok((
        ClinicCaller {
            me,
            clinic,
            roles: Vec::new(),
        },
        patient,
    ))
}

/// POST /documents/{clinic_id}/{patient_id}: the patient uploads a report or image.
pub async fn upload_mine(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    Path((clinic, patient)): Path<(String, String)>,
    form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let (caller, patient) = as_patient(&state, me.clone(), &clinic, &patient).await?;
    let result = match crate::api::documents::read_upload(form).await {
        Ok((name, category, bytes)) => {
            crate::app::documents::upload_document(
                &state, &ctx, &caller, patient, &name, &category, bytes,
            )
            .await
        }
        Err(e) => Err(e),
    };
    let (outcome, alert) = match result {
        Ok(_) => return Ok(super::forms::see_other("/documents?done=uploaded")),
        Err(e) => super::forms::refused_upload(e)?,
    };
    let page = docs_page(&state, &ctx, &me, false, Some(alert)).await?;
    Ok(outcome.render(&page))
}

/// GET /documents/{clinic_id}/{patient_id}/{document_id}: the patient's own file.
pub async fn download_mine(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    Path((clinic, patient, doc)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let (caller, patient) = as_patient(&state, me, &clinic, &patient).await?;
    let doc: domain::DocumentId = doc.parse().map_err(|_| AppError::NotFound)?;
    let (d, bytes) =
        crate::app::documents::download_document(&state, &ctx, &caller, patient, doc).await?;
    Ok(crate::api::documents::attachment(&d, bytes))
}
