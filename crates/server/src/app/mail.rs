//! E-mails are outbox jobs: enqueued with the change that causes them, sent by the worker.

use crate::{
    error::AppResult,
    jobs::{Job, email::SendEmail},
};
use domain::ClinicId;
use store::Conn;

/// An e-mail to send.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// A calendar entry (`text/calendar`) to attach as `appointment.ics`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ics: Option<String>,
}

impl Email {
    /// A plain-text e-mail.
    pub fn text(to: &str, subject: String, body: String) -> Self {
        Email {
            to: to.to_owned(),
            subject,
            body,
            ics: None,
        }
    }
}

/// The outbox job that sends `email` (now).
pub fn job(
    clinic: Option<ClinicId>,
    email: &Email,
    now: jiff::Timestamp,
) -> AppResult<store::jobs::NewJob> {
    SendEmail(email.clone()).new_job(clinic, now)
}

/// Enqueues `email` in the caller's transaction.
pub async fn enqueue<C: Conn>(
    c: &C,
    clinic: Option<ClinicId>,
    email: &Email,
    now: jiff::Timestamp,
) -> AppResult<()> {
    store::jobs::enqueue_all(c, &[job(clinic, email, now)?], now).await?;
    Ok(())
}
