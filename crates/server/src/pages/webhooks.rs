//! The admin's webhook settings: the clinic's endpoints (add with the events to send,
//! remove), the secret shown once when one is added, and each endpoint's deliveries with
//! how each was answered and a button to send it again.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::{
    app::{
        scope::Caller,
        webhooks::{self, NewEndpoint},
    },
    auth::{RequestCtx, extract::ClinicAdmin},
    routes,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{ClinicId, Event};
use serde::Deserialize;
use store::webhooks::Status;

const FIELDS: &[Label] = &[
    ("url", "Address"),
    ("events", "Events"),
    ("description", "Description"),
];

struct EndpointRow {
    id: String,
    url: String,
    events: String,
    description: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    nav: Nav,
    clinic_id: ClinicId,
    endpoints: Vec<EndpointRow>,
    kinds: Vec<(&'static str, bool)>,
    url: String,
    description: String,
    /// Just added: its secret, shown this once.
    secret: Option<String>,
    notice: Option<&'static str>,
    errors: Errors,
}

struct DeliveryRow {
    id: String,
    when: String,
    event: String,
    status: &'static str,
    attempts: i32,
    answer: String,
    error: String,
}

#[derive(Template)]
#[template(path = "webhook_deliveries.html")]
struct DeliveriesPage {
    nav: Nav,
    clinic_id: ClinicId,
    url: String,
    rows: Vec<DeliveryRow>,
    notice: Option<&'static str>,
}

/// `?removed=1`, `?replayed=1`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    removed: Option<String>,
    replayed: Option<String>,
}

async fn page(
    state: &AppState,
    caller: &Caller,
    form: Option<(&NewEndpoint, Errors)>,
    secret: Option<String>,
    notice: Option<&'static str>,
) -> Result<WebhooksPage, PageError> {
    let endpoints = webhooks::list(state, caller)
        .await?
        .into_iter()
        .map(|e| EndpointRow {
            id: e.id.to_string(),
            url: e.url,
            events: e.events.join(", "),
            description: e.description,
        })
        .collect();
    let (picked, url, description, errors) = match form {
        Some((f, errors)) => (
            f.events.clone(),
            f.url.clone(),
            f.description.clone(),
            errors,
        ),
        None => (Vec::new(), String::new(), String::new(), Errors::default()),
    };
    let kinds = std::iter::once("*")
        .chain(Event::KINDS)
        .map(|k| (k, picked.iter().any(|p| p == k)))
        .collect();
    Ok(WebhooksPage {
        nav: nav(state, caller.person()?, "settings").await?,
        clinic_id: caller.clinic_id(),
        endpoints,
        kinds,
        url,
        description,
        secret,
        notice,
        errors,
    })
}

/// GET /clinics/{clinic_id}/settings/webhooks (admins).
pub async fn show(
    State(state): State<AppState>,
    Page(scope): Page<ClinicAdmin>,
    QueryOr(q): QueryOr<Notice>,
) -> Result<Response, PageError> {
    let notice = q
        .removed
        .map(|_| "The endpoint is removed: nothing more goes to it.");
    let caller = scope.into_caller();
    Ok(Outcome::OK.render(&page(&state, &caller, None, None, notice).await?))
}

/// POST /clinics/{clinic_id}/settings/webhooks: adds an endpoint (`url`, `description`,
/// and `events` once per ticked kind); its secret shows this once.
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let input = NewEndpoint {
        url: field("url"),
        events: pairs
            .iter()
            .filter(|(k, _)| k == "events")
            .map(|(_, v)| v.clone())
            .take(20)
            .collect(),
        description: field("description"),
    };
    let caller = scope.into_caller();
    match webhooks::create(&state, &ctx, &caller, &input).await {
        Ok(e) => {
            let added = Some("The endpoint is added.");
            Ok(Outcome::OK.render(&page(&state, &caller, None, Some(e.secret), added).await?))
        }
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let form = Some((&input, errors));
            Ok(outcome.render(&page(&state, &caller, form, None, None).await?))
        }
    }
}

/// POST /clinics/{clinic_id}/settings/webhooks/{endpoint_id}/delete (admins; audited).
pub async fn delete(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PagePath((_, id)): PagePath<(ClinicId, uuid::Uuid)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    webhooks::delete(&state, &ctx, &caller, id).await?;
    Ok(see_other(&format!(
        "{}?removed=1",
        routes::webhooks(caller.clinic_id())
    )))
}

/// GET /clinics/{clinic_id}/settings/webhooks/{endpoint_id}: its deliveries (admins).
pub async fn deliveries(
    State(state): State<AppState>,
    Page(scope): Page<ClinicAdmin>,
    PagePath((_, id)): PagePath<(ClinicId, uuid::Uuid)>,
    QueryOr(q): QueryOr<Notice>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let (endpoint, list) = webhooks::deliveries(&state, &caller, id, None, 200).await?;
    let zone = crate::app::local_time::zone_of(caller.clinic());
    let rows = list
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.id.to_string(),
            when: d
                .created_at
                .to_zoned(zone.clone())
                .strftime("%-d %b, %H:%M:%S")
                .to_string(),
            event: d.event_kind,
            status: match d.status {
                Status::Pending => "Pending",
                Status::Delivered => "Delivered",
                Status::Failed => "Failed",
            },
            attempts: d.attempts,
            answer: d.response_status.map(|s| s.to_string()).unwrap_or_default(),
            error: d.error.unwrap_or_default(),
        })
        .collect();
    let page = DeliveriesPage {
        nav: nav(&state, caller.person()?, "settings").await?,
        clinic_id: caller.clinic_id(),
        url: endpoint.url,
        rows,
        notice: q
            .replayed
            .map(|_| "The delivery is queued to be sent again."),
    };
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/settings/webhooks/replay/{delivery_id} (admins; audited).
pub async fn replay(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PagePath((_, id)): PagePath<(ClinicId, uuid::Uuid)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let d = webhooks::replay(&state, &ctx, &caller, id).await?;
    Ok(see_other(&format!(
        "{}?replayed=1",
        routes::webhook_deliveries(caller.clinic_id(), d.endpoint_id.to_string())
    )))
}
