//! Domain events as rows: written in the transaction of the change they record, read by
//! subscribers and by tests. Append-only (triggers refuse updates and deletes).

use crate::{Batch, Rows, StoreError, StoreResult, all_as, get, ms, one_as, ts};
use domain::{ClinicId, Event, EventId, UserId};
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

/// An event as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: EventId,
    pub clinic: ClinicId,
    /// The signed-in user whose action it was; `None` for a system actor or a link.
    pub actor: Option<UserId>,
    pub occurred_at: jiff::Timestamp,
    pub event: Event,
}

/// Records `event` in `clinic` under `id`, with the `jobs` its subscribers run, and reads
/// the clinic's live webhook endpoints (to fan the event out to), as statements of `b`
/// (the endpoints' read is its statement that answers rows: once it has run, [`endpoints`]
/// reads them).
#[allow(clippy::too_many_arguments)]
pub fn record_into(
    b: &mut Batch,
    id: EventId,
    clinic: ClinicId,
    actor: Option<UserId>,
    event: &Event,
    jobs: &[crate::jobs::NewJob],
    now: jiff::Timestamp,
) -> StoreResult<()> {
    let body = serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let insert = "INSERT INTO events (id, clinic_id, kind, subject_id, body, actor_user_id, occurred_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let values: Vec<sea_orm::Value> = vec![
        id.as_uuid().into(),
        clinic.as_uuid().into(),
        event.kind().into(),
        event.subject().into(),
        body.into(),
        actor.map(|u| u.as_uuid()).into(),
        ms(now).into(),
    ];
    b.exec(insert, values);
    if !jobs.is_empty() {
        let (sql, values) = crate::jobs::insert_all(jobs, now, Vec::new());
        b.exec(sql, values);
    }
    b.rows(
        crate::webhooks::live_endpoints("$1"),
        vec![clinic.as_uuid().into()],
    );
    Ok(())
}

/// The clinic's live webhook endpoints, from the rows of a batch [`record_into`] added to.
pub fn endpoints(rows: &Rows) -> StoreResult<Vec<crate::webhooks::Endpoint>> {
    rows.0.iter().map(crate::webhooks::endpoint).collect()
}

const SELECT: &str = "SELECT id, clinic_id, body, actor_user_id, occurred_at FROM events";

fn row(r: &QueryResult) -> StoreResult<Recorded> {
    let body: String = get(r, "body")?;
    Ok(Recorded {
        id: EventId::from_uuid(get(r, "id")?),
        clinic: ClinicId::from_uuid(get(r, "clinic_id")?),
        actor: get::<Option<Uuid>>(r, "actor_user_id")?.map(UserId::from_uuid),
        occurred_at: ts(get(r, "occurred_at")?)?,
        event: serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("event body: {e}")))?,
    })
}

/// One event.
pub async fn find<C: ConnectionTrait>(c: &C, id: EventId) -> StoreResult<Option<Recorded>> {
    one_as(
        c,
        &format!("{SELECT} WHERE id = $1"),
        vec![id.as_uuid().into()],
        row,
    )
    .await
}

/// The events about one record (an appointment, a token, …), oldest first.
pub async fn of_subject<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    subject: Uuid,
) -> StoreResult<Vec<Recorded>> {
    all_as(
        c,
        &format!("{SELECT} WHERE clinic_id = $1 AND subject_id = $2 ORDER BY occurred_at, id"),
        vec![clinic.as_uuid().into(), subject.into()],
        row,
    )
    .await
}

/// A clinic's events from `since` on, oldest first, at most `limit`.
pub async fn of_clinic<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    since: jiff::Timestamp,
    limit: u32,
) -> StoreResult<Vec<Recorded>> {
    all_as(
        c,
        &format!(
            "{SELECT} WHERE clinic_id = $1 AND occurred_at >= $2 ORDER BY occurred_at, id LIMIT $3"
        ),
        vec![
            clinic.as_uuid().into(),
            ms(since).into(),
            i64::from(limit).into(),
        ],
        row,
    )
    .await
}
