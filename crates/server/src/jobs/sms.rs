//! `sms`: sends one text through the configured provider and records where it stands in
//! `messages` (queued, sent with the provider's id, or failed with why). A message already
//! sent is not sent again by a repeated run; the provider's status callbacks move it on to
//! delivered or failed.

use super::{Job, JobCtx, JobError, RetryPolicy};
use crate::notify::sms::{Sms, status_path};
use store::messages::{self, NewMessage, Status};

/// One text: which message (its row), what about, to whom, what it says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendSms {
    pub message: uuid::Uuid,
    /// `appointment.booked`, `reminder.24h`, …
    pub kind: String,
    /// E.164.
    pub to: String,
    pub body: String,
    /// Keep the digits out of the stored copy (a sign-in code).
    #[serde(default)]
    pub redact: bool,
}

impl Job for SendSms {
    const KIND: &'static str = "sms";
    const RETRY: RetryPolicy = RetryPolicy::STANDARD;

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        let state = ctx.state;
        let c = state.store().conn();
        let kept = if self.redact {
            self.body
                .chars()
                .map(|c| if c.is_ascii_digit() { '•' } else { c })
                .collect()
        } else {
            self.body.clone()
        };
        let new = NewMessage {
            id: self.message,
            clinic_id: ctx.clinic,
            kind: &self.kind,
            recipient: &self.to,
            body: &kept,
        };
        messages::queue_sms(c, &new, state.now())
            .await
            .map_err(crate::error::AppError::from)?;
        let row = messages::find(c, self.message)
            .await
            .map_err(crate::error::AppError::from)?;
        if row.is_some_and(|m| matches!(m.status, Status::Sent | Status::Delivered)) {
            return Ok(());
        }
        let Some(sender) = state.sms() else {
            let why = "No SMS provider is configured.";
            messages::attempted(
                c,
                self.message,
                Status::Failed,
                None,
                Some(why),
                state.now(),
            )
            .await
            .map_err(crate::error::AppError::from)?;
            return Err(JobError::Invalid(why.into()));
        };
        let status_url = format!(
            "{}{}",
            state.settings().public_url,
            status_path(sender.name())
        );
        let sms = Sms {
            reference: self.message.to_string(),
            to: self.to.clone(),
            body: self.body.clone(),
            at: state.now(),
        };
        match sender.send(&sms, &status_url).await {
            Ok(id) => {
                messages::attempted(
                    c,
                    self.message,
                    Status::Sent,
                    Some((sender.name(), &id)),
                    None,
                    state.now(),
                )
                .await
                .map_err(crate::error::AppError::from)?;
                Ok(())
            }
            Err(e) => {
                // A refusal is final; anything else is tried again, queued meanwhile.
                let status = if e.is_permanent() {
                    Status::Failed
                } else {
                    Status::Queued
                };
                messages::attempted(
                    c,
                    self.message,
                    status,
                    None,
                    Some(&e.to_string()),
                    state.now(),
                )
                .await
                .map_err(crate::error::AppError::from)?;
                Err(JobError::Sms(e))
            }
        }
    }
}
