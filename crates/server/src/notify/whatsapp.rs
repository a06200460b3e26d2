//! WhatsApp through Meta's WhatsApp Business Cloud API. Messages a business starts are
//! template messages: `POST {api}/{phone-number-id}/messages` with the access token as a
//! bearer, JSON `{messaging_product: "whatsapp", to, type: "template", template: {name,
//! language: {code}, components: [{type: "body", parameters: [{type: "text", text}…]}]}}`;
//! the answer names the message (`messages[0].id`, a `wamid.…`). The templates DocSpot uses
//! are registered in WhatsApp Manager under the names and texts docs/configuration.md lists.
//!
//! Meta posts one webhook for the app (`PUBLIC_URL/api/v1/webhooks/whatsapp`): statuses
//! (sent, delivered, read, failed) and messages patients send, signed in
//! `X-Hub-Signature-256` (`sha256=` and the hex HMAC-SHA256 of the raw body under the app
//! secret). Subscribing the address is confirmed by a GET that echoes `hub.challenge` when
//! `hub.verify_token` is ours.

use super::sms::{
    Callback, Delivery, Inbound, Sms, SmsError, SmsSender, StatusReport, call, failure,
};
use crate::config::Secret;
use axum::http::HeaderMap;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

/// The template names, by what a message is about: `docspot_` and the kind, dots as
/// underscores (`appointment.booked` is `docspot_appointment_booked`); both reminders use
/// `docspot_reminder`.
pub fn template_name(kind: &str) -> String {
    let kind = if kind.starts_with("reminder.") {
        "reminder"
    } else {
        kind
    };
    format!("docspot_{}", kind.replace('.', "_"))
}

/// A template message: its name, its language (`en`, `hi`) and its body's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub name: String,
    pub params: Vec<String>,
}

/// The WhatsApp Business number DocSpot sends from, and the app's webhook secrets.
#[derive(Debug, Clone)]
pub struct WhatsappConfig {
    /// `https://graph.facebook.com/v21.0`.
    pub api_base: String,
    pub phone_number_id: String,
    pub access_token: Secret,
    /// What signs the webhook's posts.
    pub app_secret: Secret,
    /// What Meta's subscription check must present.
    pub verify_token: Secret,
}

/// The WhatsApp channel.
pub struct Whatsapp {
    config: WhatsappConfig,
    client: http_client::Client,
}

impl Whatsapp {
    pub fn new(mut config: WhatsappConfig) -> Self {
        config.api_base = config.api_base.trim_end_matches('/').to_owned();
        Whatsapp {
            config,
            client: crate::gateway::client(),
        }
    }

    /// Whether a subscription check's token is ours.
    pub fn verify_token_is(&self, token: &str) -> bool {
        crate::signing::same(token, self.config.verify_token.expose())
    }

    /// The webhook's body, once its `X-Hub-Signature-256` holds.
    pub fn verified(&self, headers: &HeaderMap, body: &[u8]) -> Result<Value, SmsError> {
        let given = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("sha256="))
            .ok_or_else(|| SmsError::Signature("no X-Hub-Signature-256".into()))?;
        let want = crate::signing::hmac_hex(self.config.app_secret.expose().as_bytes(), body);
        if !crate::signing::same(&given.to_ascii_lowercase(), &want) {
            return Err(SmsError::Signature(
                "X-Hub-Signature-256 does not match".into(),
            ));
        }
        let body: Value = serde_json::from_slice(body)
            .map_err(|_| SmsError::Body("the body is not JSON".into()))?;
        if body["object"] != "whatsapp_business_account" {
            return Err(SmsError::Body(
                "not a WhatsApp Business Account webhook".into(),
            ));
        }
        Ok(body)
    }
}

/// Every `value` of the webhook's `entry[].changes[]`.
fn values(body: &Value) -> impl Iterator<Item = &Value> {
    body["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .take(100)
        .flat_map(|e| e["changes"].as_array().into_iter().flatten().take(100))
        .map(|c| &c["value"])
}

/// The status reports a verified webhook carries (`read` counts as delivered).
pub fn statuses(body: &Value) -> Vec<StatusReport> {
    values(body)
        .flat_map(|v| v["statuses"].as_array().into_iter().flatten())
        .filter_map(|s| {
            let delivery = match s["status"].as_str()? {
                "sent" => Delivery::Sent,
                "delivered" | "read" => Delivery::Delivered,
                "failed" => Delivery::Failed,
                _ => return None,
            };
            let error = s["errors"][0]["code"].as_i64().map(|code| {
                match s["errors"][0]["title"].as_str() {
                    Some(title) => format!("{code} {title}"),
                    None => code.to_string(),
                }
            });
            Some(StatusReport {
                provider_ref: s["id"].as_str()?.chars().take(128).collect(),
                delivery,
                error,
                reference: s["biz_opaque_callback_data"].as_str().map(str::to_owned),
            })
        })
        .take(1000)
        .collect()
}

/// The text messages patients sent that a verified webhook carries (the sender as E.164).
pub fn messages(body: &Value) -> Vec<Inbound> {
    values(body)
        .flat_map(|v| v["messages"].as_array().into_iter().flatten())
        .filter_map(|m| {
            let text = match m["type"].as_str()? {
                "text" => m["text"]["body"].as_str()?,
                // A tap on a quick-reply button ("Stop promotions" and the like).
                "button" => m["button"]["text"].as_str()?,
                _ => return None,
            };
            let from = m["from"].as_str()?;
            Some(Inbound {
                from: format!("+{}", from.trim_start_matches('+')),
                body: text.chars().take(160).collect(),
            })
        })
        .take(100)
        .collect()
}

impl SmsSender for Whatsapp {
    fn name(&self) -> &'static str {
        "whatsapp"
    }

    fn send<'a>(
        &'a self,
        sms: &'a Sms,
        _status_url: &'a str,
    ) -> BoxFuture<'a, Result<String, SmsError>> {
        Box::pin(async move {
            let Some(template) = &sms.template else {
                return Err(SmsError::Refused(
                    "WhatsApp takes only template messages from a business".into(),
                ));
            };
            let parameters: Vec<Value> = template
                .params
                .iter()
                .map(|p| json!({"type": "text", "text": p}))
                .collect();
            let message = json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": sms.to,
                // Echoed in the message's status webhooks: a send cut off before its id
                // was recorded is still found.
                "biz_opaque_callback_data": sms.reference,
                "type": "template",
                "template": {
                    "name": template.name,
                    "language": {"code": sms.language},
                    "components": [{"type": "body", "parameters": parameters}],
                },
            });
            let (status, body) = call(
                self.client
                    .post(format!(
                        "{}/{}/messages",
                        self.config.api_base, self.config.phone_number_id
                    ))
                    .bearer_auth(self.config.access_token.expose())
                    .header("Content-Type", "application/json")
                    .body(message.to_string()),
            )
            .await?;
            if status.is_success() {
                return body["messages"][0]["id"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| SmsError::Unavailable("no message id".into()));
            }
            Err(failure(
                status,
                format!(
                    "{status}: {} {}",
                    body["error"]["code"],
                    body["error"]["message"].as_str().unwrap_or("no message")
                ),
            ))
        })
    }

    fn verify_status(&self, callback: &Callback<'_>) -> Result<Vec<StatusReport>, SmsError> {
        Ok(statuses(&self.verified(callback.headers, callback.body)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_named_after_what_a_message_is_about() {
        assert_eq!(
            template_name("appointment.booked"),
            "docspot_appointment_booked"
        );
        assert_eq!(template_name("reminder.24h"), "docspot_reminder");
        assert_eq!(template_name("token.called"), "docspot_token_called");
    }

    #[test]
    fn a_webhook_reads_as_statuses_and_replies() {
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1",
            "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
                "statuses": [
                    {"id": "wamid.A", "status": "read", "timestamp": "1"},
                    {"id": "wamid.B", "status": "failed", "timestamp": "1",
                     "errors": [{"code": 131026, "title": "Message undeliverable"}]},
                    {"id": "wamid.C", "status": "deleted"}],
                "messages": [{"from": "919876543210", "id": "wamid.D", "type": "text",
                    "text": {"body": "STOP"}}, {"from": "1", "type": "image"}]}}]}]});
        let s = statuses(&body);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].delivery, Delivery::Delivered);
        assert_eq!(s[1].error.as_deref(), Some("131026 Message undeliverable"));
        let m = messages(&body);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].from, "+919876543210");
        assert_eq!(m[0].body, "STOP");
    }
}
