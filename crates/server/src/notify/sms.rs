//! Text messages behind one trait, like payments: an adapter per provider (Twilio here),
//! chosen and configured per install (docs/configuration.md). A message is sent with a
//! status-callback address, and the provider's signed callbacks report it delivered or
//! failed.

use axum::http::HeaderMap;
use futures_util::future::BoxFuture;

/// Where `provider`'s status callbacks come in (under the public URL).
pub fn status_path(provider: &str) -> String {
    format!("/api/v1/webhooks/sms/{provider}")
}

/// One text to one mobile number (E.164).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    pub to: String,
    pub body: String,
}

/// Where a message stands, as a provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Handed to the provider (its `queued`, `accepted`, `sending`, `sent`).
    Sent,
    /// The handset received it.
    Delivered,
    /// The provider gave up (`undelivered`, `failed`).
    Failed,
}

/// A verified status callback: which message, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub provider_ref: String,
    pub delivery: Delivery,
    /// The provider's error code, when it failed.
    pub error: Option<String>,
}

/// Why sending failed.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The provider refused the message (bad number, bad credentials): no retry helps.
    #[error("the SMS provider refused: {0}")]
    Refused(String),
    /// The provider could not be reached or failed; trying later may help.
    #[error("the SMS provider is unavailable: {0}")]
    Unavailable(String),
    /// A status callback whose signature does not hold.
    #[error("status callback signature: {0}")]
    Signature(String),
}

impl SmsError {
    /// Whether retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, SmsError::Unavailable(_))
    }
}

/// One SMS provider.
pub trait SmsSender: Send + Sync {
    /// `twilio`.
    fn name(&self) -> &'static str;
    /// Sends `sms`, asking for status callbacks at `status_url`; answers the provider's
    /// id for the message.
    fn send<'a>(
        &'a self,
        sms: &'a Sms,
        status_url: &'a str,
    ) -> BoxFuture<'a, Result<String, SmsError>>;
    /// Checks a status callback posted to `url` (as the provider signed it) with its form
    /// `params`, and reads it.
    fn verify_status(
        &self,
        url: &str,
        headers: &HeaderMap,
        params: &[(String, String)],
    ) -> Result<StatusReport, SmsError>;
}
