//! The outbox: background work as rows, enqueued in the same transaction as the change that
//! caused it, claimed by workers with a lease, retried with backoff.

use crate::{Batch, StoreResult, exec, get, ms, one, ts};
use domain::{ClinicId, JobId};
use sea_orm::{ConnectionTrait, DbBackend};

/// A job ready to run.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    /// The clinic it works for; `None` for platform work (account e-mails).
    pub clinic: Option<ClinicId>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Enqueues a job to run at `run_at`.
pub async fn enqueue<C: ConnectionTrait>(
    c: &C,
    clinic: Option<ClinicId>,
    kind: &str,
    payload: &serde_json::Value,
    run_at: jiff::Timestamp,
    now: jiff::Timestamp,
) -> StoreResult<JobId> {
    enqueue_keyed(c, clinic, kind, payload, run_at, None, now).await
}

/// Enqueues a job under a dedupe key: a second job with the same key is
/// `Conflict("jobs_dedupe_key_key")`, and `drop_queued_into` can take it back.
pub async fn enqueue_keyed<C: ConnectionTrait>(
    c: &C,
    clinic: Option<ClinicId>,
    kind: &str,
    payload: &serde_json::Value,
    run_at: jiff::Timestamp,
    dedupe_key: Option<&str>,
    now: jiff::Timestamp,
) -> StoreResult<JobId> {
    let job = NewJob {
        id: JobId::new(),
        clinic,
        kind: kind.to_owned(),
        payload: payload.to_string(),
        run_at,
        dedupe_key: dedupe_key.map(str::to_owned),
    };
    enqueue_all(c, std::slice::from_ref(&job), now).await?;
    Ok(job.id)
}

/// A job to enqueue, its payload already serialised.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: JobId,
    pub clinic: Option<ClinicId>,
    pub kind: String,
    pub payload: String,
    pub run_at: jiff::Timestamp,
    /// See `enqueue_keyed`.
    pub dedupe_key: Option<String>,
}

/// Enqueues several jobs with one statement.
pub async fn enqueue_all<C: ConnectionTrait>(
    c: &C,
    jobs: &[NewJob],
    now: jiff::Timestamp,
) -> StoreResult<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let (sql, values) = insert_all(jobs, now, Vec::new());
    exec(c, &sql, values).await?;
    Ok(())
}

/// The one `INSERT` of `jobs`, its placeholders numbered after the `values` already bound
/// (for a statement that writes something else first).
pub(crate) fn insert_all(
    jobs: &[NewJob],
    now: jiff::Timestamp,
    mut values: Vec<sea_orm::Value>,
) -> (String, Vec<sea_orm::Value>) {
    values.push(ms(now).into());
    let at = values.len();
    let mut rows = Vec::with_capacity(jobs.len());
    for j in jobs {
        let n = values.len();
        rows.push(format!(
            "(${}, ${}, ${}, ${}, 'queued', ${}, 0, 8, NULL, NULL, ${}, ${at}, ${at})",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 6
        ));
        values.extend([
            j.id.as_uuid().into(),
            j.clinic.map(|c| c.as_uuid()).into(),
            j.kind.as_str().into(),
            j.payload.as_str().into(),
            ms(j.run_at).into(),
            j.dedupe_key.clone().into(),
        ]);
    }
    let sql = format!(
        "INSERT INTO jobs (id, clinic_id, kind, payload, status, run_at, attempts, max_attempts, lease_until, \
         last_error, dedupe_key, created_at, updated_at) VALUES {}",
        rows.join(", ")
    );
    (sql, values)
}

/// Adds to `b` the removal of queued (not yet running) jobs with these dedupe keys.
pub fn drop_queued_into(b: &mut Batch, keys: &[String]) {
    if keys.is_empty() {
        return;
    }
    let list: Vec<String> = (1..=keys.len()).map(|n| format!("${n}")).collect();
    b.exec(
        format!(
            "DELETE FROM jobs WHERE status = 'queued' AND dedupe_key IN ({})",
            list.join(", ")
        ),
        keys.iter().map(|k| k.as_str().into()).collect(),
    );
}

/// Queued jobs of `kind` with their run time and payload, for tests and the admin view.
pub async fn queued_of_kind<C: ConnectionTrait>(
    c: &C,
    kind: &str,
) -> StoreResult<Vec<(jiff::Timestamp, serde_json::Value)>> {
    crate::all(
        c,
        "SELECT run_at, payload FROM jobs WHERE kind = $1 AND status = 'queued' ORDER BY run_at",
        vec![kind.into()],
    )
    .await?
    .iter()
    .map(|r| {
        let payload: String = get(r, "payload")?;
        Ok((
            ts(get(r, "run_at")?)?,
            serde_json::from_str(&payload)
                .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
        ))
    })
    .collect()
}

/// Claims the next due job (or one whose lease ran out) for `lease`.
/// Run it in a write transaction: on PostgreSQL `SKIP LOCKED` lets workers pass each other,
/// on SQLite the IMMEDIATE transaction serialises them.
pub async fn claim<C: ConnectionTrait>(
    c: &C,
    now: jiff::Timestamp,
    lease: jiff::SignedDuration,
) -> StoreResult<Option<Job>> {
    let lock = if c.get_database_backend() == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let Some(r) = one(
        c,
        &format!(
            "SELECT id, clinic_id, kind, payload, attempts, max_attempts FROM jobs \
             WHERE (status = 'queued' AND run_at <= $1) OR (status = 'running' AND lease_until < $1) \
             ORDER BY run_at LIMIT 1 {lock}"
        ),
        vec![ms(now).into()],
    )
    .await?
    else {
        return Ok(None);
    };
    let id = JobId::from_uuid(get(&r, "id")?);
    let lease_until = now.checked_add(lease).unwrap_or(now);
    exec(
        c,
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $1, updated_at = $2 WHERE id = $3",
        vec![ms(lease_until).into(), ms(now).into(), id.as_uuid().into()],
    )
    .await?;
    let payload: String = get(&r, "payload")?;
    Ok(Some(Job {
        id,
        clinic: get::<Option<uuid::Uuid>>(&r, "clinic_id")?.map(ClinicId::from_uuid),
        kind: get(&r, "kind")?,
        payload: serde_json::from_str(&payload)
            .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
        attempts: get::<i32>(&r, "attempts")? + 1,
        max_attempts: get(&r, "max_attempts")?,
    }))
}

/// Marks a job done.
pub async fn complete<C: ConnectionTrait>(
    c: &C,
    id: JobId,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "UPDATE jobs SET status = 'done', lease_until = NULL, last_error = NULL, updated_at = $1 WHERE id = $2",
        vec![ms(now).into(), id.as_uuid().into()],
    )
    .await?;
    Ok(())
}

/// Records a failure: the job runs again at `retry_at`, or is given up when `retry_at` is None.
pub async fn fail<C: ConnectionTrait>(
    c: &C,
    id: JobId,
    error: &str,
    retry_at: Option<jiff::Timestamp>,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    let error: String = error.chars().take(500).collect();
    let (status, run_at) = match retry_at {
        Some(t) => ("queued", ms(t)),
        None => ("failed", ms(now)),
    };
    exec(
        c,
        "UPDATE jobs SET status = $1, run_at = $2, lease_until = NULL, last_error = $3, updated_at = $4 WHERE id = $5",
        vec![status.into(), run_at.into(), error.into(), ms(now).into(), id.as_uuid().into()],
    )
    .await?;
    Ok(())
}

/// A job's status and attempts, for tests and the admin view.
pub async fn status<C: ConnectionTrait>(
    c: &C,
    id: JobId,
) -> StoreResult<Option<(String, i32, jiff::Timestamp)>> {
    let r = one(
        c,
        "SELECT status, attempts, run_at FROM jobs WHERE id = $1",
        vec![id.as_uuid().into()],
    )
    .await?;
    r.as_ref()
        .map(|r| {
            Ok((
                get(r, "status")?,
                get(r, "attempts")?,
                ts(get(r, "run_at")?)?,
            ))
        })
        .transpose()
}

/// How many jobs are in `status`.
pub async fn count<C: ConnectionTrait>(c: &C, status: &str) -> StoreResult<i64> {
    let r = one(
        c,
        "SELECT COUNT(*) AS n FROM jobs WHERE status = $1",
        vec![status.into()],
    )
    .await?;
    r.as_ref()
        .map(|r| get::<i64>(r, "n"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}

/// A job as tests and the admin view see it.
#[derive(Debug, Clone)]
pub struct JobInfo {
    pub id: JobId,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub run_at: jiff::Timestamp,
    /// Until when a worker holds it, while it runs.
    pub lease_until: Option<jiff::Timestamp>,
    /// Why its last run failed.
    pub last_error: Option<String>,
    /// The key that makes it one of a kind (see `enqueue_keyed`).
    pub dedupe_key: Option<String>,
}

const INFO_COLUMNS: &str =
    "id, kind, status, attempts, run_at, lease_until, last_error, dedupe_key";

fn info(r: &sea_orm::QueryResult) -> StoreResult<JobInfo> {
    Ok(JobInfo {
        id: JobId::from_uuid(get(r, "id")?),
        kind: get(r, "kind")?,
        status: get(r, "status")?,
        attempts: get(r, "attempts")?,
        run_at: ts(get(r, "run_at")?)?,
        lease_until: get::<Option<i64>>(r, "lease_until")?.map(ts).transpose()?,
        last_error: get(r, "last_error")?,
        dedupe_key: get(r, "dedupe_key")?,
    })
}

/// Up to `limit` jobs in `status`, by run time.
pub async fn in_status<C: ConnectionTrait>(
    c: &C,
    status: &str,
    limit: u64,
) -> StoreResult<Vec<JobInfo>> {
    crate::all(
        c,
        &format!("SELECT {INFO_COLUMNS} FROM jobs WHERE status = $1 ORDER BY run_at, id LIMIT $2"),
        vec![status.into(), (limit.min(i64::MAX as u64) as i64).into()],
    )
    .await?
    .iter()
    .map(info)
    .collect()
}

/// Jobs whose lease ran out by `now` without them completing or failing: their worker died
/// (`claim` hands them out again). Once no worker runs, as at a test's end, pass
/// `jiff::Timestamp::MAX` and every job still leased is stuck.
pub async fn stuck<C: ConnectionTrait>(c: &C, now: jiff::Timestamp) -> StoreResult<Vec<JobInfo>> {
    crate::all(
        c,
        &format!(
            "SELECT {INFO_COLUMNS} FROM jobs WHERE status = 'running' AND lease_until < $1 \
             ORDER BY run_at, id"
        ),
        vec![ms(now).into()],
    )
    .await?
    .iter()
    .map(info)
    .collect()
}
