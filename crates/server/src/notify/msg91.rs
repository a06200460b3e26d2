//! MSG91, the Indian gateway: its Flow API (`POST /api/v5/flow` with the `authkey`
//! header), one DLT-approved template whose variable carries the text, the number as
//! digits with the country code. MSG91 answers `{"type": "success", "message": <request
//! id>}`, or `{"type": "error", "message": …}`.
//!
//! Delivery reports come from the webhook set in MSG91's panel, posted as a form whose
//! `data` is a JSON list of `{requestId, report: [{number, status, desc, date}]}`. MSG91
//! signs nothing, so the webhook's address carries a secret token
//! (`PUBLIC_URL/api/v1/webhooks/sms/msg91?token=…`), compared in constant time.

use super::sms::{Callback, Delivery, Sms, SmsError, SmsSender, StatusReport, call, failure};
use crate::config::Secret;
use futures_util::future::BoxFuture;
use serde_json::json;

/// The MSG91 account DocSpot texts through.
pub struct Msg91 {
    pub api_base: String,
    pub auth_key: Secret,
    pub template_id: String,
    pub sender: Option<String>,
    pub variable: String,
    pub webhook_token: Option<Secret>,
    pub(crate) client: http_client::Client,
}

/// What a report's status code means: 1 delivered; 2 failed, 9 NDNC, 16 and 25 rejected,
/// 17 blocked, 26 expired; 8 and 3 on the way.
fn delivery(code: &str) -> Option<Delivery> {
    match code {
        "1" => Some(Delivery::Delivered),
        "2" | "9" | "16" | "17" | "25" | "26" => Some(Delivery::Failed),
        "3" | "8" => Some(Delivery::Sent),
        _ => None,
    }
}

impl SmsSender for Msg91 {
    fn name(&self) -> &'static str {
        "msg91"
    }

    fn send<'a>(
        &'a self,
        sms: &'a Sms,
        _status_url: &'a str,
    ) -> BoxFuture<'a, Result<String, SmsError>> {
        Box::pin(async move {
            let mut recipient = serde_json::Map::new();
            recipient.insert(
                "mobiles".into(),
                sms.to.trim_start_matches('+').to_owned().into(),
            );
            recipient.insert(self.variable.clone(), sms.body.clone().into());
            let mut body = json!({
                "template_id": self.template_id,
                "short_url": "0",
                "recipients": [recipient],
            });
            if let Some(sender) = &self.sender {
                body["sender"] = sender.clone().into();
            }
            let (status, answer) = call(
                self.client
                    .post(format!("{}/api/v5/flow", self.api_base))
                    .header("authkey", self.auth_key.expose())
                    .header("accept", "application/json")
                    .header("content-type", "application/json")
                    .body(body.to_string()),
            )
            .await?;
            let message = answer["message"].as_str().unwrap_or("no message");
            if !status.is_success() {
                return Err(failure(status, format!("{status}: {message}")));
            }
            match answer["type"].as_str() {
                Some("success") if !message.is_empty() => Ok(message.to_owned()),
                Some("success") => Err(SmsError::Unavailable("no request id".into())),
                _ => Err(SmsError::Refused(format!("MSG91: {message}"))),
            }
        })
    }

    fn verify_status(&self, callback: &Callback<'_>) -> Result<Vec<StatusReport>, SmsError> {
        let want = self
            .webhook_token
            .as_ref()
            .ok_or_else(|| SmsError::Signature("no MSG91 webhook token is configured".into()))?;
        let token = callback
            .query("token")
            .ok_or_else(|| SmsError::Signature("no token in the address".into()))?;
        if !crate::signing::same(want.expose(), &token) {
            return Err(SmsError::Signature("the token does not match".into()));
        }
        let data = callback
            .form()?
            .into_iter()
            .find(|(k, _)| k == "data")
            .map(|(_, v)| v)
            .ok_or_else(|| SmsError::Body("no data".into()))?;
        let requests: Vec<serde_json::Value> =
            serde_json::from_str(&data).map_err(|e| SmsError::Body(e.to_string()))?;
        let mut reports = Vec::new();
        for r in &requests {
            let Some(id) = r["requestId"].as_str().filter(|s| !s.is_empty()) else {
                continue;
            };
            for line in r["report"].as_array().into_iter().flatten() {
                let code = match &line["status"] {
                    serde_json::Value::Number(n) => n.to_string(),
                    v => v.as_str().unwrap_or_default().to_owned(),
                };
                if let Some(delivery) = delivery(&code) {
                    reports.push(StatusReport {
                        provider_ref: id.to_owned(),
                        delivery,
                        error: (delivery == Delivery::Failed).then(|| {
                            format!("{code} {}", line["desc"].as_str().unwrap_or_default())
                                .trim()
                                .to_owned()
                        }),
                        reference: None,
                    });
                }
            }
        }
        Ok(reports)
    }
}
