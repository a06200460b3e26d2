//! Background work as typed jobs. Each kind is one type implementing [`Job`], in its own
//! file: the kind stored in the row, the payload (the type itself, stored as JSON), how it
//! runs and how it is retried. `registry` maps stored kinds to their jobs; `worker` claims
//! due rows and runs them. Rows are enqueued in the same transaction as the change that
//! caused them (see [`Job::new_job`]).

pub mod email;
pub mod password_reset;
pub mod push;
mod registry;
pub mod reminder;
pub mod sms;
pub mod visit_charge;
pub mod webhook;
mod worker;

use crate::{
    app::{
        mail::Email,
        scope::{Caller, SystemActor},
    },
    error::{AppError, AppResult},
    notify::{MailError, MailSender},
    state::AppState,
};
use domain::{ClinicId, JobId};
use jiff::{SignedDuration, Timestamp};
use serde::{Serialize, de::DeserializeOwned};
use std::future::Future;
use store::jobs::NewJob;

pub use registry::kinds;
pub use worker::{run_jobs, run_once, spawn};

/// One kind of background work; a value of the type is one job's payload.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The kind stored in the row. Rows outlive releases: never change it.
    const KIND: &'static str;

    /// How failures that may pass are retried.
    const RETRY: RetryPolicy = RetryPolicy::STANDARD;

    /// Does the work. A permanent error gives the job up at once; any other is retried.
    fn run(&self, ctx: &JobCtx<'_>) -> impl Future<Output = Result<(), JobError>> + Send;

    /// The outbox row that runs this job at `run_at`, for the caller's transaction.
    fn new_job(&self, clinic: Option<ClinicId>, run_at: Timestamp) -> AppResult<NewJob> {
        let payload = serde_json::to_string(self)
            .map_err(|e| AppError::internal(&format!("{} payload", Self::KIND), &e))?;
        Ok(NewJob {
            id: JobId::new(),
            clinic,
            kind: Self::KIND.to_owned(),
            payload,
            run_at,
            dedupe_key: None,
        })
    }
}

/// How often and how soon a failed job runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Runs in all, the first one included. The row's own `max_attempts` caps it too.
    pub max_attempts: i32,
    /// The delay before the first retry; it doubles for each one after.
    pub first_delay: SignedDuration,
    /// The longest delay.
    pub max_delay: SignedDuration,
}

impl RetryPolicy {
    /// Eight runs, 10 s after the first failure, doubling up to an hour (about 21 min in all).
    pub const STANDARD: RetryPolicy = RetryPolicy {
        max_attempts: 8,
        first_delay: SignedDuration::from_secs(10),
        max_delay: SignedDuration::from_hours(1),
    };

    /// The delay before retry number `attempt` (1-based).
    pub fn backoff(&self, attempt: i32) -> SignedDuration {
        let factor = 1i32 << attempt.clamp(1, 20).saturating_sub(1);
        self.first_delay
            .checked_mul(factor)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }

    /// When a job that has run `attempts` times (capped by the row at `row_max`) runs
    /// again after failing at `now`; `None` when it is used up.
    pub fn retry_at(&self, attempts: i32, row_max: i32, now: Timestamp) -> Option<Timestamp> {
        (attempts < self.max_attempts.min(row_max))
            .then(|| now.checked_add(self.backoff(attempts)).unwrap_or(now))
    }
}

/// What a running job may use.
pub struct JobCtx<'a> {
    pub state: &'a AppState,
    pub mail: &'a dyn MailSender,
    /// The job's id, the same on every retry.
    pub id: JobId,
    /// The clinic the job works for, as its row says.
    pub clinic: Option<ClinicId>,
}

impl JobCtx<'_> {
    /// The job acting as `kind` in its clinic, for use cases; `None` for a job without one,
    /// or whose clinic is gone.
    pub async fn caller(&self, kind: &'static str) -> AppResult<Option<Caller>> {
        let Some(id) = self.clinic else {
            return Ok(None);
        };
        match crate::app::clinics::get_clinic(self.state, id).await {
            Ok(clinic) => Ok(Some(Caller::system(clinic, SystemActor::Job(kind)))),
            Err(AppError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends `email` from the configured sender, named after this job so that a retry
    /// replaces rather than duplicates.
    pub async fn send_mail(&self, email: &Email) -> Result<(), MailError> {
        self.mail
            .send(
                &self.state.settings().mail_from,
                email,
                &self.id.to_string(),
            )
            .await
    }
}

/// Why a job failed; [`JobError::is_permanent`] decides between retry and giving up.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Sending mail failed, for good or for now as the provider said.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// Sending a text failed, for good or for now as the provider said.
    #[error(transparent)]
    Sms(#[from] crate::notify::sms::SmsError),
    /// The stored payload does not fit the job's type: no retry can fix it.
    #[error("bad {kind} payload: {reason}")]
    Payload { kind: &'static str, reason: String },
    /// The job cannot be done with what it holds: permanent.
    #[error("{0}")]
    Invalid(String),
    /// An outgoing delivery was not taken (a webhook endpoint's error): retried.
    #[error("{0}")]
    Delivery(String),
    /// The application failed (the database, mostly): retried.
    #[error(transparent)]
    App(#[from] AppError),
}

impl JobError {
    /// Whether retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        match self {
            JobError::Mail(e) => e.is_permanent(),
            JobError::Sms(e) => e.is_permanent(),
            JobError::Payload { .. } | JobError::Invalid(_) => true,
            JobError::App(_) | JobError::Delivery(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RetryPolicy;

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn backoff_doubles_and_caps_at_an_hour() {
        let p = RetryPolicy::STANDARD;
        assert_eq!(p.backoff(1).as_secs(), 10);
        assert_eq!(p.backoff(2).as_secs(), 20);
        assert_eq!(p.backoff(4).as_secs(), 80);
        assert_eq!(p.backoff(30).as_secs(), 3600);
    }

    #[test]
    fn a_job_is_retried_until_its_attempts_are_used_up() {
        let p = RetryPolicy::STANDARD;
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(p.retry_at(1, 8, now), Some(at("2026-01-01T00:00:10Z")));
        assert_eq!(p.retry_at(7, 8, now), Some(at("2026-01-01T00:10:40Z")));
        assert_eq!(p.retry_at(8, 8, now), None, "the eighth run was the last");
        assert_eq!(p.retry_at(3, 3, now), None, "the row's cap is lower");
    }
}
