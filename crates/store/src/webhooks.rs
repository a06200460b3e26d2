//! Outgoing webhooks: a clinic's endpoints (the event kinds each wants, or `*` for all;
//! the secret that signs its deliveries) and their deliveries, one per endpoint and event,
//! moved on as each attempt is answered.

use crate::{StoreError, StoreResult, all_as, exec, get, ms, one_as, ts};
use domain::{ClinicId, EventId};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

/// A registered endpoint.
#[derive(Clone)]
pub struct Endpoint {
    pub id: Uuid,
    pub clinic_id: ClinicId,
    pub url: String,
    /// Event kinds, or `*` for every one.
    pub events: Vec<String>,
    pub description: String,
    pub secret: String,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// Whether it wants events of `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == kind)
    }
}

pub(crate) fn endpoint(r: &QueryResult) -> StoreResult<Endpoint> {
    let events: String = get(r, "events")?;
    Ok(Endpoint {
        id: get(r, "id")?,
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        url: get(r, "url")?,
        events: events.split(',').map(str::to_owned).collect(),
        description: get(r, "description")?,
        secret: get(r, "secret")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

const ENDPOINT: &str =
    "SELECT id, clinic_id, url, events, description, secret, created_at FROM webhook_endpoints";

/// Registers an endpoint.
pub async fn insert_endpoint<C: ConnectionTrait>(c: &C, e: &Endpoint) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO webhook_endpoints (id, clinic_id, url, events, description, secret, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            e.id.into(),
            e.clinic_id.as_uuid().into(),
            e.url.clone().into(),
            e.events.join(",").into(),
            e.description.clone().into(),
            e.secret.clone().into(),
            ms(e.created_at).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The clinic's live endpoints, oldest first.
pub async fn endpoints<C: ConnectionTrait>(c: &C, clinic: ClinicId) -> StoreResult<Vec<Endpoint>> {
    all_as(
        c,
        &live_endpoints("$1"),
        vec![clinic.as_uuid().into()],
        endpoint,
    )
    .await
}

/// The `SELECT` of the live endpoints of the clinic bound at `param`.
pub(crate) fn live_endpoints(param: &str) -> String {
    format!("{ENDPOINT} WHERE clinic_id = {param} AND deleted_at IS NULL ORDER BY created_at, id")
}

/// One live endpoint of the clinic.
pub async fn find_endpoint<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: Uuid,
) -> StoreResult<Option<Endpoint>> {
    one_as(
        c,
        &format!("{ENDPOINT} WHERE clinic_id = $1 AND id = $2 AND deleted_at IS NULL"),
        vec![clinic.as_uuid().into(), id.into()],
        endpoint,
    )
    .await
}

/// Removes an endpoint (its deliveries stay, for the record); false when there is none.
pub async fn delete_endpoint<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: Uuid,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE webhook_endpoints SET deleted_at = $1 WHERE clinic_id = $2 AND id = $3 \
         AND deleted_at IS NULL",
        vec![ms(now).into(), clinic.as_uuid().into(), id.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not answered 2xx yet; attempts go on.
    Pending,
    Delivered,
    /// Every attempt failed.
    Failed,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Pending, Status::Delivered, Status::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One delivery of one event to one endpoint.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub clinic_id: ClinicId,
    pub event_id: EventId,
    pub event_kind: String,
    /// The JSON posted, signed as it is.
    pub body: String,
    pub status: Status,
    pub attempts: i32,
    /// The endpoint's last HTTP answer.
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn delivery(r: &QueryResult) -> StoreResult<Delivery> {
    let status: String = get(r, "status")?;
    Ok(Delivery {
        id: get(r, "id")?,
        endpoint_id: get(r, "endpoint_id")?,
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        event_id: EventId::from_uuid(get(r, "event_id")?),
        event_kind: get(r, "event_kind")?,
        body: get(r, "body")?,
        status: Status::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery status {status}")))?,
        attempts: get(r, "attempts")?,
        response_status: get(r, "response_status")?,
        error: get(r, "error")?,
        created_at: ts(get(r, "created_at")?)?,
        updated_at: ts(get(r, "updated_at")?)?,
    })
}

const DELIVERY: &str = "SELECT id, endpoint_id, clinic_id, event_id, event_kind, body, status, \
    attempts, response_status, error, created_at, updated_at FROM webhook_deliveries";

/// A new pending delivery; false when the endpoint has one for this event already.
pub async fn insert_delivery<C: ConnectionTrait>(c: &C, d: &Delivery) -> StoreResult<bool> {
    let n = exec(
        c,
        "INSERT INTO webhook_deliveries (id, endpoint_id, clinic_id, event_id, event_kind, body, \
         status, attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) \
         ON CONFLICT (endpoint_id, event_id) DO NOTHING",
        vec![
            d.id.into(),
            d.endpoint_id.into(),
            d.clinic_id.as_uuid().into(),
            d.event_id.as_uuid().into(),
            d.event_kind.clone().into(),
            d.body.clone().into(),
            ms(d.created_at).into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// One delivery by id (in whatever clinic: jobs carry only the id).
pub async fn find_delivery<C: ConnectionTrait>(c: &C, id: Uuid) -> StoreResult<Option<Delivery>> {
    one_as(
        c,
        &format!("{DELIVERY} WHERE id = $1"),
        vec![id.into()],
        delivery,
    )
    .await
}

/// The endpoint's deliveries, newest first; only those at `status` when given.
pub async fn deliveries<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    endpoint: Uuid,
    status: Option<Status>,
    limit: u32,
) -> StoreResult<Vec<Delivery>> {
    let mut values: Vec<sea_orm::Value> = vec![clinic.as_uuid().into(), endpoint.into()];
    let mut sql = format!("{DELIVERY} WHERE clinic_id = $1 AND endpoint_id = $2");
    if let Some(s) = status {
        values.push(s.as_str().into());
        sql.push_str(" AND status = $3");
    }
    sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT {limit}"));
    all_as(c, &sql, values, delivery).await
}

/// An attempt's outcome: `status`, the endpoint's HTTP answer and the error, if any.
pub async fn attempted<C: ConnectionTrait>(
    c: &C,
    id: Uuid,
    status: Status,
    response_status: Option<i32>,
    error: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    let error = error.map(|e| e.chars().take(300).collect::<String>());
    exec(
        c,
        "UPDATE webhook_deliveries SET status = $1, response_status = $2, error = $3, \
         attempts = attempts + 1, updated_at = $4 WHERE id = $5",
        vec![
            status.as_str().into(),
            response_status.into(),
            error.into(),
            ms(now).into(),
            id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Puts a delivery back to pending for a replay, its attempts counted afresh.
pub async fn reopen<C: ConnectionTrait>(c: &C, id: Uuid, now: Timestamp) -> StoreResult<()> {
    exec(
        c,
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, updated_at = $1 \
         WHERE id = $2",
        vec![ms(now).into(), id.into()],
    )
    .await?;
    Ok(())
}
