//! The admin's list of texts to patients: what went, where each stands (queued, sent,
//! delivered, failed, with the provider's reason), failed ones first to hand, each with a
//! button to send it again.

use super::{
    error::{Page, PageError, PagePath},
    forms::{QueryOr, see_other},
    layout::{Nav, nav},
};
use crate::routes;
use crate::{
    app::deliveries,
    auth::{RequestCtx, extract::ClinicAdmin},
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::ClinicId;
use serde::Deserialize;
use store::messages::Status;

struct Row {
    id: String,
    when: String,
    kind: String,
    /// SMS or WhatsApp.
    via: &'static str,
    recipient: String,
    body: String,
    status: &'static str,
    error: String,
    failed: bool,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    nav: Nav,
    clinic_id: ClinicId,
    rows: Vec<Row>,
    /// Only the failed ones.
    failed_only: bool,
    notice: Option<String>,
    /// Texts are on for this install.
    sms_on: bool,
}

/// Which messages, and what just happened.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Query {
    pub status: Option<String>,
    pub retried: Option<String>,
}

/// GET /clinics/{clinic_id}/settings/messages (admins).
pub async fn show(
    State(state): State<AppState>,
    Page(scope): Page<ClinicAdmin>,
    QueryOr(q): QueryOr<Query>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let failed_only = q.status.as_deref() == Some("failed");
    let status = failed_only.then_some(Status::Failed);
    let list = deliveries::list(&state, &caller, status, 200).await?;
    let zone = crate::app::local_time::zone_of(caller.clinic());
    let rows = list
        .into_iter()
        .map(|m| Row {
            id: m.id.to_string(),
            when: m
                .created_at
                .to_zoned(zone.clone())
                .strftime("%-d %b, %H:%M")
                .to_string(),
            kind: m.kind,
            via: if m.channel == "whatsapp" {
                "WhatsApp"
            } else {
                "SMS"
            },
            recipient: m.recipient,
            body: m.body,
            status: match m.status {
                Status::Queued => "Queued",
                Status::Sent => "Sent",
                Status::Delivered => "Delivered",
                Status::Failed => "Failed",
            },
            error: m.error.unwrap_or_default(),
            failed: m.status == Status::Failed,
        })
        .collect();
    let page = MessagesPage {
        nav: nav(&state, caller.person()?, "settings").await?,
        clinic_id: caller.clinic_id(),
        rows,
        failed_only,
        notice: q
            .retried
            .map(|_| "The text is queued to be sent again.".to_owned()),
        sms_on: state.sms().is_some() || state.whatsapp().is_some(),
    };
    Ok(super::forms::Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/settings/messages/{message_id}/retry (admins; audited).
pub async fn retry(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PagePath((_, id)): PagePath<(ClinicId, uuid::Uuid)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    deliveries::retry(&state, &ctx, &caller, id).await?;
    Ok(see_other(&format!(
        "{}?retried=1",
        routes::messages(caller.clinic_id())
    )))
}
