//! One patient's record at the desk: details, today's tokens and a token form, upcoming
//! appointments (with cancel and reschedule), documents, and linking the patient's login.

use super::{
    day_changes::{Back, Changes, Done},
    error::{Page, PageError, PagePath},
    forms::{Choice, Errors, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
    patients::{PatientRow, SearchQuery},
};
use crate::app::policy::Capability;
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{
        doctors,
        local_time::{date_of, zone_of},
        patients,
    },
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{ClinicId, PatientId, queue::Priority};
use serde::Deserialize;
use store::patients::Patient;

#[derive(Template)]
#[template(path = "patient.html")]
pub(super) struct RecordPage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    row: PatientRow,
    p: Patient,
    done: String,
    born: String,
    link_email: String,
    errors: Errors,
    /// The desk may issue a token: the clinic's doctors and the priorities.
    is_desk: bool,
    doctors: Vec<Choice>,
    priorities: Vec<Choice>,
    /// The patient's tokens today: "Token 3 · Dr Asha Rao · waiting".
    tokens_today: Vec<String>,
    documents: Vec<DocumentRow>,
    categories: Vec<Choice>,
    pub(super) upload_alert: Option<String>,
    /// The patient's appointments still to come, each with cancel and reschedule.
    upcoming: Vec<UpcomingRow>,
    /// What a cancel or reschedule just did.
    pub(super) notice: Option<String>,
    /// The billing desk sees the patient's bills and may start one.
    can_bill: bool,
    bills: Vec<super::bills::ListRow>,
}

/// An appointment still to come, as the record lists it.
struct UpcomingRow {
    when: String,
    detail: String,
    status: &'static str,
    changes: Option<Changes>,
}

/// A document as the record lists it.
struct DocumentRow {
    href: String,
    name: String,
    detail: String,
}

pub(super) async fn record_page(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: PatientId,
    done: String,
    link_email: String,
    errors: Errors,
) -> Result<RecordPage, PageError> {
    let p = patients::get_patient(state, ctx, caller, id).await?;
    let today = date_of(caller.clinic(), state.now());
    let born = match p.details.birth {
        Some(b) if b.estimated => format!("about {} (age given)", b.date.year()),
        Some(b) => b.date.strftime("%-d %b %Y").to_string(),
        None => "not recorded".into(),
    };
    let is_desk = caller.can(Capability::IssueTokens);
    let doctors = if is_desk {
        desk_doctor_choices(state, caller.clinic_id(), today).await?
    } else {
        Vec::new()
    };
    let priorities = Priority::ALL
        .iter()
        .map(|p| Choice {
            id: p.as_str().to_owned(),
            name: p.label().to_owned(),
            selected: *p == Priority::Normal,
        })
        .collect();
    let tokens_today = crate::app::queue::tokens_of_patient(state, caller, p.id, today)
        .await?
        .into_iter()
        .map(|t| {
            format!(
                "Token {} · {} · {}",
                t.number,
                t.doctor_name,
                t.status.label().to_lowercase()
            )
        })
        .collect();
    let zone = zone_of(caller.clinic());
    let documents = crate::app::documents::list_documents(state, ctx, caller, p.id)
        .await?
        .into_iter()
        .map(|d| DocumentRow {
            href: format!(
                "/clinics/{}/patients/{}/documents/{}",
                caller.clinic_id(),
                p.id,
                d.id
            ),
            detail: format!(
                "{} · {} KB · {} · {}",
                d.category.label(),
                (d.size_bytes + 1023) / 1024,
                d.uploader_name,
                d.created_at.to_zoned(zone.clone()).strftime("%-d %b %Y")
            ),
            name: d.file_name,
        })
        .collect();
    let now = state.now();
    let upcoming = crate::app::appointments::upcoming_of_patient(state, caller, p.id, 20)
        .await?
        .into_iter()
        .map(|a| UpcomingRow {
            when: crate::app::notices::local_time(&caller.clinic().time_zone, a.start),
            detail: format!("{} · {} · {}", a.doctor_name, a.visit_type_name, a.ref_code),
            status: a.status.label(),
            changes: Changes::of(&a, now, &Back::record()),
        })
        .collect();
    let categories = super::documents::category_choices();
    let can_bill = caller.can(Capability::Billing);
    let bills = if can_bill {
        let filter = store::bills::BillFilter {
            patient: Some(p.id),
            ..Default::default()
        };
        crate::app::bills::list_bills(state, caller, &filter, 20)
            .await?
            .iter()
            .map(|b| super::bills::ListRow::of(caller.clinic_id(), b))
            .collect()
    } else {
        Vec::new()
    };
    Ok(RecordPage {
        can_bill,
        bills,
        documents,
        categories,
        upload_alert: None,
        upcoming,
        notice: None,
        nav: nav(state, caller.person()?, "patients").await?,
        clinic_id: caller.clinic_id(),
        row: PatientRow::of(&p, today),
        p,
        done,
        born,
        link_email,
        errors,
        is_desk,
        doctors,
        priorities,
        tokens_today,
    })
}

/// GET /clinics/{clinic_id}/patients/{patient_id}: one record (the read is audited).
pub async fn show(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, PatientId)>,
    QueryOr(q): QueryOr<SearchQuery>,
    QueryOr(changed): QueryOr<Done>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let mut page = record_page(
        &state,
        &ctx,
        &caller,
        id,
        q.done,
        String::new(),
        Errors::default(),
    )
    .await?;
    page.notice = changed.notice(caller.clinic());
    Ok(Outcome::OK.render(&page))
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    email: String,
}

/// POST /clinics/{clinic_id}/patients/{patient_id}/link: link the patient's own login.
pub async fn link(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, PatientId)>,
    PageForm(form): PageForm<LinkForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    match patients::link_account(&state, &ctx, &caller, id, &form.email).await {
        Ok(p) => Ok(see_other(&format!(
            "/clinics/{}/patients/{}?done=linked",
            caller.clinic_id(),
            p.id
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, &[("email", "Account e-mail")])?;
            let page =
                record_page(&state, &ctx, &caller, id, String::new(), form.email, errors).await?;
            Ok(outcome.render(&page))
        }
    }
}

/// The token form's doctors: a prompt first, so the desk chooses; doctors working today
/// next; a doctor without hours today says so.
async fn desk_doctor_choices(
    state: &AppState,
    clinic: domain::ClinicId,
    today: jiff::civil::Date,
) -> Result<Vec<Choice>, PageError> {
    let prompt = Choice {
        id: String::new(),
        name: "Choose a doctor".into(),
        selected: true,
    };
    let list = doctors::for_desk(state, clinic, today).await?;
    Ok(std::iter::once(prompt)
        .chain(list.into_iter().map(|(d, works)| Choice {
            id: d.id.to_string(),
            name: if works {
                d.name
            } else {
                format!("{} (no hours today)", d.name)
            },
            selected: false,
        }))
        .collect())
}
