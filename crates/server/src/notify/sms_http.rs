//! A generic HTTP gateway, for a provider DocSpot has no adapter for: a small bridge that
//! speaks this documented protocol (docs/configuration.md, "Any other SMS gateway").
//!
//! - Sending: `POST <url>` with `Content-Type: application/json`, the body
//!   `{"reference", "to", "body", "status_callback"}` and, in `X-DocSpot-Signature`, the
//!   body signed with the shared secret (`t=<unix time>,v1=<hex HMAC-SHA256 of
//!   "<t>.<body>">`). `Idempotency-Key` is the reference, the same for every attempt. A 2xx
//!   answer may name the gateway's id (`{"id": …}`); otherwise the reference stands for
//!   it. 5xx, 408 and 429 are tried again later; any other answer fails the message.
//! - Replies: the gateway posts a text a patient sent in, `{"from", "body"}`, signed the
//!   same way, to `PUBLIC_URL/api/v1/webhooks/sms/http/inbound` (STOP and START count).
//! - Status: the gateway posts `{"id", "status": "sent"|"delivered"|"failed", "error"}` as
//!   JSON to `status_callback`, signed the same way, within five minutes.

use super::sms::{
    Callback, Delivery, Inbound, Sms, SmsError, SmsSender, StatusReport, call, failure,
};
use crate::config::Secret;
use futures_util::future::BoxFuture;
use serde_json::json;

/// The gateway and the secret both sides sign with.
pub struct HttpGateway {
    pub url: String,
    pub secret: Secret,
    pub(crate) client: http_client::Client,
}

impl HttpGateway {
    /// The JSON body of a request the gateway signed, once its signature holds.
    fn verified(&self, callback: &Callback<'_>) -> Result<serde_json::Value, SmsError> {
        let header = callback
            .headers
            .get("x-docspot-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| SmsError::Signature("no X-DocSpot-Signature".into()))?;
        crate::signing::check(self.secret.expose(), header, callback.body, callback.now)
            .map_err(SmsError::Signature)?;
        serde_json::from_slice(callback.body).map_err(|e| SmsError::Body(e.to_string()))
    }
}

impl SmsSender for HttpGateway {
    fn name(&self) -> &'static str {
        "http"
    }

    fn send<'a>(
        &'a self,
        sms: &'a Sms,
        status_url: &'a str,
    ) -> BoxFuture<'a, Result<String, SmsError>> {
        Box::pin(async move {
            let body = json!({"reference": sms.reference, "to": sms.to, "body": sms.body,
                "status_callback": status_url})
            .to_string();
            let t = sms.at.as_second();
            let (status, answer) = call(
                self.client
                    .post(&self.url)
                    .header("content-type", "application/json")
                    .header("idempotency-key", &sms.reference)
                    .header(
                        "x-docspot-signature",
                        crate::signing::header(self.secret.expose(), t, body.as_bytes()),
                    )
                    .body(body),
            )
            .await?;
            if !status.is_success() {
                let why = answer["error"]
                    .as_str()
                    .or(answer["message"].as_str())
                    .unwrap_or("no message");
                return Err(failure(status, format!("{status}: {why}")));
            }
            Ok(answer["id"]
                .as_str()
                .filter(|id| !id.is_empty() && id.len() <= 64)
                .unwrap_or(&sms.reference)
                .to_owned())
        })
    }

    fn verify_inbound(&self, callback: &Callback<'_>) -> Result<Inbound, SmsError> {
        let text = self.verified(callback)?;
        let field = |k: &str| text[k].as_str().map(str::to_owned);
        Ok(Inbound {
            from: field("from").ok_or_else(|| SmsError::Body("no from".into()))?,
            body: field("body").unwrap_or_default(),
        })
    }

    fn verify_status(&self, callback: &Callback<'_>) -> Result<Vec<StatusReport>, SmsError> {
        let report = self.verified(callback)?;
        let id = report["id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| SmsError::Body("no id".into()))?;
        let delivery = match report["status"].as_str() {
            Some("sent") => Delivery::Sent,
            Some("delivered") => Delivery::Delivered,
            Some("failed") => Delivery::Failed,
            other => return Err(SmsError::Body(format!("status {other:?}"))),
        };
        Ok(vec![StatusReport {
            provider_ref: id.to_owned(),
            delivery,
            error: report["error"]
                .as_str()
                .filter(|e| !e.is_empty())
                .map(|e| e.chars().take(300).collect()),
            reference: None,
        }])
    }
}
