//! The worker: claims due outbox rows, runs them as their job, retries failures that may
//! pass with backoff. Runs in the server process by default; several may run at once.

use super::{JobCtx, registry};
use crate::{error::AppResult, notify::MailSender, state::AppState};
use std::{sync::Arc, time::Duration};
use store::jobs;
use tokio::sync::watch;
use tracing::Instrument;

const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Runs one due job, if any. Returns whether there was one.
pub async fn run_once(state: &AppState, mail: &dyn MailSender) -> AppResult<bool> {
    let tx = state.store().write().await?;
    let job = jobs::claim(&tx, state.now(), LEASE).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    let Some(job) = job else {
        return Ok(false);
    };
    let c = state.store().conn();
    let Some(entry) = registry::find(&job.kind) else {
        // Likely written by a newer release; retrying here cannot help.
        tracing::error!(job = %job.id, kind = %job.kind, "unknown job kind; failed without retry");
        metrics::counter!("jobs_unknown_total").increment(1);
        let reason = format!("unknown job kind {:?}", job.kind);
        jobs::fail(c, job.id, &reason, None, state.now()).await?;
        return Ok(true);
    };
    let ctx = JobCtx {
        state,
        mail,
        id: job.id,
        clinic: job.clinic,
    };
    // Everything the job logs names its kind, id and attempt.
    let span = tracing::info_span!("job", kind = %job.kind, id = %job.id, attempt = job.attempts);
    let outcome = (entry.run)(&ctx, job.payload).instrument(span).await;
    let now = state.now();
    let ran = match outcome {
        Ok(()) => {
            jobs::complete(c, job.id, now).await?;
            "done"
        }
        Err(err) => {
            let retry = if err.is_permanent() {
                None
            } else {
                entry.retry.retry_at(job.attempts, job.max_attempts, now)
            };
            if retry.is_some() {
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %err, "job failed; will retry");
            } else {
                tracing::error!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %err, permanent = err.is_permanent(), "job failed; given up");
            }
            jobs::fail(c, job.id, &err.to_string(), retry, now).await?;
            if retry.is_some() { "retry" } else { "failed" }
        }
    };
    metrics::counter!("docspot_jobs_total", "kind" => entry.kind, "outcome" => ran).increment(1);
    Ok(true)
}

/// Runs jobs until none is due; returns how many ran. Tests drain the outbox with it.
pub async fn run_jobs(state: &AppState, mail: &dyn MailSender) -> AppResult<usize> {
    let mut ran = 0;
    while run_once(state, mail).await? {
        ran += 1;
    }
    Ok(ran)
}

/// Starts the worker loop; it stops when `shutdown` turns true.
pub fn spawn(
    state: AppState,
    mail: Arc<dyn MailSender>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let idle = match run_once(&state, mail.as_ref()).await {
                Ok(true) => false,
                Ok(false) => true,
                Err(e) => {
                    tracing::error!(error = %e, "worker error");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    })
}
