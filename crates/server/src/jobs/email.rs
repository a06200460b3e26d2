//! `email`: sends one e-mail queued whole (confirmations, notices, account links).

use super::{Job, JobCtx, JobError};
use crate::app::mail::Email;

/// The e-mail to send; stored as the e-mail itself.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SendEmail(pub Email);

impl Job for SendEmail {
    const KIND: &'static str = "email";

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        Ok(ctx.send_mail(&self.0).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::SendEmail;

    #[test]
    fn the_payload_is_the_email_as_stored_before_jobs_were_typed() {
        let stored = serde_json::json!({"to": "a@b.test", "subject": "S", "body": "B"});
        let job: SendEmail = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(job.0.to, "a@b.test");
        assert_eq!(serde_json::to_value(&job).unwrap(), stored);
    }
}
