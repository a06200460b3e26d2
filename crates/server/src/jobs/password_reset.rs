//! `account.password_reset`: a reset request, run away from the request so that neither its
//! answer nor its timing tells whether the address has an account. For an active account
//! it stores a single-use link and mails it; for any other address it does nothing.

use super::{Job, JobCtx, JobError};
use crate::app::accounts;

/// One request for a reset link.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordReset {
    /// The address as asked for (already parsed once).
    pub email: String,
    /// The request's id and client address, for the audit event.
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub ip: String,
}

impl Job for PasswordReset {
    const KIND: &'static str = "account.password_reset";

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        let address = domain::Email::parse(&self.email)
            .map_err(|_| JobError::Invalid("reset without a valid address".into()))?;
        let mail =
            accounts::password_reset_mail(ctx.state, &address, &self.request_id, &self.ip).await?;
        if let Some(email) = mail {
            ctx.send_mail(&email).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::PasswordReset;

    #[test]
    fn the_payload_keeps_the_stored_shape() {
        let stored =
            serde_json::json!({"email": "a@b.test", "request_id": "req-1", "ip": "10.0.0.1"});
        let job: PasswordReset = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(job.email, "a@b.test");
        assert_eq!(serde_json::to_value(&job).unwrap(), stored);
    }
}
