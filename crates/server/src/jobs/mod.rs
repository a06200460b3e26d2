//! The background worker: claims due outbox jobs, runs them, retries failures with
//! exponential backoff. Runs in the server process by default; several may run at once.

use crate::{
    app::{accounts, mail, notices},
    error::AppResult,
    notify::email::Mailer,
    state::AppState,
};
use std::{sync::Arc, time::Duration};
use store::jobs;
use tokio::sync::watch;

const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Delay before retry number `attempt` (1-based): 10 s, 20 s, 40 s … capped at one hour.
pub fn backoff(attempt: i32) -> jiff::SignedDuration {
    let secs = 10i64.saturating_mul(1i64 << attempt.clamp(1, 20).saturating_sub(1));
    jiff::SignedDuration::from_secs(secs.min(3600))
}

/// Runs one due job, if any. Returns whether there was one.
pub async fn run_once(state: &AppState, mailer: &Mailer) -> AppResult<bool> {
    let tx = state.store().write().await?;
    let job = jobs::claim(&tx, state.now(), LEASE).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    let Some(job) = job else {
        return Ok(false);
    };
    let outcome = match job.kind.as_str() {
        mail::KIND => match serde_json::from_value::<mail::Email>(job.payload.clone()) {
            Ok(email) => {
                mailer
                    .send(&state.settings().mail_from, &email, &job.id.to_string())
                    .await
            }
            Err(e) => Err(format!("bad e-mail payload: {e}")),
        },
        accounts::RESET_KIND => {
            let built = accounts::password_reset_mail(state, &job.payload).await;
            send_if_any(state, mailer, built, &job.id.to_string()).await
        }
        notices::REMINDER_KIND => {
            let built = notices::reminder(state, &job.payload).await;
            send_if_any(state, mailer, built, &job.id.to_string()).await
        }
        other => Err(format!("unknown job kind {other}")),
    };
    let now = state.now();
    let c = state.store().conn();
    match outcome {
        Ok(()) => jobs::complete(c, job.id, now).await?,
        Err(err) => {
            let retry = (job.attempts < job.max_attempts)
                .then(|| now.checked_add(backoff(job.attempts)).unwrap_or(now));
            tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %err, retry = retry.is_some(), "job failed");
            jobs::fail(c, job.id, &err, retry, now).await?;
        }
    }
    Ok(true)
}

/// Sends the e-mail a job built, if it built one.
async fn send_if_any(
    state: &AppState,
    mailer: &Mailer,
    built: Result<Option<mail::Email>, String>,
    job_id: &str,
) -> Result<(), String> {
    match built? {
        Some(email) => {
            mailer
                .send(&state.settings().mail_from, &email, job_id)
                .await
        }
        None => Ok(()),
    }
}

/// Starts the worker loop; it stops when `shutdown` turns true.
pub fn spawn(
    state: AppState,
    mailer: Arc<Mailer>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let idle = match run_once(&state, &mailer).await {
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

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_and_caps_at_an_hour() {
        assert_eq!(backoff(1).as_secs(), 10);
        assert_eq!(backoff(2).as_secs(), 20);
        assert_eq!(backoff(4).as_secs(), 80);
        assert_eq!(backoff(30).as_secs(), 3600);
    }
}
