//! Text messages behind one trait, like payments: an adapter per provider (`twilio`,
//! `msg91`, and `http` for any gateway that speaks DocSpot's documented JSON protocol),
//! chosen and configured per install (docs/configuration.md). A message is sent with a
//! status-callback address, and the provider's authenticated callbacks report it delivered
//! or failed.

use crate::config::Secret;
use axum::http::HeaderMap;
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// Where `provider`'s status callbacks come in (under the public URL).
pub fn status_path(provider: &str) -> String {
    format!("/api/v1/webhooks/sms/{provider}")
}

/// One text to one mobile number (E.164).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    /// Ours (the message's id): the same for every attempt, so a provider that takes an
    /// idempotency key sends it once.
    pub reference: String,
    pub to: String,
    pub body: String,
    /// When it is sent (what a signature's timestamp says).
    pub at: jiff::Timestamp,
    /// The language it is in (`en`, `hi`).
    pub language: String,
    /// On WhatsApp: the template it is sent as (`body` is what that reads as).
    pub template: Option<super::whatsapp::Template>,
}

/// A status callback as it came in: the full address it was posted to (query included),
/// its headers and its raw body.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    pub url: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub now: jiff::Timestamp,
}

impl Callback<'_> {
    /// The body as form parameters (Twilio's and MSG91's callbacks).
    pub fn form(&self) -> Result<Vec<(String, String)>, SmsError> {
        serde_urlencoded::from_bytes(self.body)
            .map_err(|_| SmsError::Body("the body is not a form".into()))
    }

    /// The value of `name` in the address's query.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.url.split_once('?')?.1;
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
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
    /// Our reference for the message (its id), where the provider echoes it back: a
    /// report can then find a message whose send was cut off before its id was recorded.
    pub reference: Option<String>,
}

/// A text a patient sent to the install's number (a reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The sender's number, as the provider gives it.
    pub from: String,
    pub body: String,
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
    /// A status callback whose signature (or token) does not hold.
    #[error("status callback signature: {0}")]
    Signature(String),
    /// A status callback that does not read as one.
    #[error("status callback body: {0}")]
    Body(String),
}

impl SmsError {
    /// Whether retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, SmsError::Unavailable(_))
    }
}

/// One SMS provider.
pub trait SmsSender: Send + Sync {
    /// `twilio`, `msg91` or `http`: also the last part of its status callback address.
    fn name(&self) -> &'static str;
    /// Sends `sms`, asking for status callbacks at `status_url`; answers the provider's
    /// id for the message.
    fn send<'a>(
        &'a self,
        sms: &'a Sms,
        status_url: &'a str,
    ) -> BoxFuture<'a, Result<String, SmsError>>;
    /// Checks a status callback's signature (or token) and reads the reports it carries.
    fn verify_status(&self, callback: &Callback<'_>) -> Result<Vec<StatusReport>, SmsError>;
    /// The provider's id for `sms` if it took it at `since` or later: asked after a crash
    /// between a send and its commit, so that the text is not sent twice. Providers that
    /// cannot tell answer `None` (and the text goes again).
    fn find_sent<'a>(
        &'a self,
        _sms: &'a Sms,
        _since: jiff::Timestamp,
    ) -> BoxFuture<'a, Result<Option<String>, SmsError>> {
        Box::pin(async { Ok(None) })
    }
    /// Checks a text sent in (a STOP reply), posted to `PUBLIC_URL/api/v1/webhooks/sms/
    /// {name}/inbound`, and reads it; providers DocSpot takes no replies from refuse it.
    fn verify_inbound(&self, _callback: &Callback<'_>) -> Result<Inbound, SmsError> {
        Err(SmsError::Body(format!(
            "replies are not taken from {}",
            self.name()
        )))
    }
}

/// The SMS provider an install is configured with (docs/configuration.md).
#[derive(Debug, Clone)]
pub enum SmsConfig {
    Twilio {
        api_base: String,
        account_sid: String,
        auth_token: Secret,
        from: String,
    },
    Msg91 {
        api_base: String,
        auth_key: Secret,
        template_id: String,
        /// The DLT sender id (header), where the template does not fix one.
        sender: Option<String>,
        /// The template's variable the text goes into.
        variable: String,
        /// The token MSG91's delivery-report webhook carries in its address.
        webhook_token: Option<Secret>,
    },
    Http {
        url: String,
        secret: Secret,
    },
}

impl SmsConfig {
    /// The adapter for this configuration.
    pub fn sender(self) -> Arc<dyn SmsSender> {
        match self {
            SmsConfig::Twilio {
                api_base,
                account_sid,
                auth_token,
                from,
            } => Arc::new(super::twilio::Twilio::new(
                &api_base,
                &account_sid,
                auth_token,
                &from,
            )),
            SmsConfig::Msg91 {
                api_base,
                auth_key,
                template_id,
                sender,
                variable,
                webhook_token,
            } => Arc::new(super::msg91::Msg91 {
                api_base: api_base.trim_end_matches('/').to_owned(),
                auth_key,
                template_id,
                sender,
                variable,
                webhook_token,
                client: crate::gateway::client(),
            }),
            SmsConfig::Http { url, secret } => Arc::new(super::sms_http::HttpGateway {
                url,
                secret,
                client: crate::gateway::client(),
            }),
        }
    }
}

/// Sends a request to a provider and reads its answer: the status and the JSON body (null
/// where it is not JSON). Not reaching the provider may pass if tried later.
pub(crate) async fn call(
    req: http_client::RequestBuilder,
) -> Result<(http_client::StatusCode, serde_json::Value), SmsError> {
    let res = req
        .send()
        .await
        .map_err(|e| SmsError::Unavailable(e.to_string()))?;
    let status = res.status();
    let bytes = res
        .bytes()
        .await
        .map_err(|e| SmsError::Unavailable(e.to_string()))?;
    Ok((status, serde_json::from_slice(&bytes).unwrap_or_default()))
}

/// How an HTTP answer from a provider fails: 5xx, 429 and 408 may pass if tried later;
/// anything else is a refusal.
pub(crate) fn failure(status: http_client::StatusCode, message: String) -> SmsError {
    if status.is_server_error() || matches!(status.as_u16(), 408 | 429) {
        SmsError::Unavailable(message)
    } else {
        SmsError::Refused(message)
    }
}
