//! E-mails are outbox jobs: enqueued with the change that causes them, sent by the worker.

use crate::error::AppResult;
use domain::ClinicId;
use store::Conn;

/// The job kind the e-mail worker handles.
pub const KIND: &str = "email";

/// An e-mail to send.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Enqueues `email` in the caller's transaction.
pub async fn enqueue<C: Conn>(
    c: &C,
    clinic: Option<ClinicId>,
    email: &Email,
    now: jiff::Timestamp,
) -> AppResult<()> {
    let payload =
        serde_json::to_value(email).map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    store::jobs::enqueue(c, clinic, KIND, &payload, now, now).await?;
    Ok(())
}
