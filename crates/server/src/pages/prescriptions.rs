//! Prescriptions on paper and in the patient's portal: a clean printable page (clinic,
//! doctor and registration number, patient, date, items, signature line) and the patient's
//! list of signed prescriptions with their visit summaries.

use super::{
    error::{Page, PageError, PagePath},
    forms::Outcome,
    layout::{Nav, nav},
};
use crate::app::policy::Capability;
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{clinics::get_clinic, local_time::zone_named, prescriptions},
    auth::{CurrentUser, RequestCtx},
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{ClinicId, PrescriptionId};
use store::consultations::Prescription;

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
    pdf_href: String,
}

/// GET /clinics/{clinic_id}/prescriptions/{id}/print: the clinic's doctors, or the patient
/// once it is signed (audited).
pub async fn print(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PagePath((clinic, id)): PagePath<(ClinicId, PrescriptionId)>,
) -> Result<Response, PageError> {
    let (caller, page) = printable(&state, &ctx, me, clinic, id).await?;
    let back_href = if caller.can(Capability::WriteConsultation) {
        routes::consultation(caller.clinic_id(), page.p.encounter_id)
    } else {
        routes::my_prescriptions()
    };
    Ok(Outcome::OK.render(&PrintPage { back_href, ..page }))
}

/// GET /clinics/{clinic_id}/prescriptions/{id}/pdf: the same, as a PDF download.
pub async fn pdf(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PagePath((clinic, id)): PagePath<(ClinicId, PrescriptionId)>,
) -> Result<Response, PageError> {
    let (_, page) = printable(&state, &ctx, me, clinic, id).await?;
    let bytes = crate::print::prescription_pdf(&page.p, &page.patient_line, &page.date);
    Ok(crate::print::pdf_download(
        &format!("prescription-{}", page.date.replace(' ', "-")),
        bytes,
    ))
}

/// The prescription as printed, for whoever may read it (audited).
async fn printable(
    state: &AppState,
    ctx: &RequestCtx,
    me: CurrentUser,
    clinic: ClinicId,
    id: PrescriptionId,
) -> Result<(Caller, PrintPage), PageError> {
    let clinic = get_clinic(state, clinic).await?;
    let caller = Caller::signed_in(state, me, clinic).await?;
    let (p, patient) = prescriptions::printable(state, ctx, &caller, id).await?;
    let today = state.now().to_zoned(zone_named(&p.clinic_time_zone)).date();
    let mut facts = vec![format!("MRN {}", p.patient_mrn)];
    if let Some(b) = patient.details.birth {
        facts.push(b.age_text(today));
    }
    if let Some(s) = patient.details.sex {
        facts.push(s.label().to_owned());
    }
    let page = PrintPage {
        date: day(&p, p.signed_at.unwrap_or(p.created_at)),
        patient_line: facts.join(" · "),
        back_href: String::new(),
        pdf_href: routes::prescription_pdf(caller.clinic_id(), id),
        p,
    };
    Ok((caller, page))
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
    let list = prescriptions::my_prescriptions(&state, &ctx, &me).await?;
    let cards = list
        .into_iter()
        .map(|p| Card {
            href: routes::prescription_print(p.clinic_id, p.id),
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
