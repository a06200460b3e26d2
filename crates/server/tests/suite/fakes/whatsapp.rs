//! WhatsApp Business Cloud API on loopback: `POST /v21.0/{phone-number-id}/messages` as
//! Meta's Graph API answers it (the access token as a bearer; a template message's JSON
//! checked field by field; Graph's error JSON with its codes; `messages[0].id` a
//! `wamid.…`), and the webhook posts Meta makes (statuses, a patient's reply), signed in
//! `X-Hub-Signature-256` as Meta signs them, for the test to deliver.

use super::Outbox;
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};

pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const ACCESS_TOKEN: &str = "EAAwhatsapp_docspot_fake_token";
pub const APP_SECRET: &str = "whatsapp_docspot_fake_app_secret";
pub const VERIFY_TOKEN: &str = "docspot-verify-me";

/// A template message as the fake received it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: String,
    pub to: String,
    pub template: String,
    pub language: String,
    /// The body's parameters, in order.
    pub params: Vec<String>,
    /// `biz_opaque_callback_data`: echoed in the message's status webhooks.
    pub reference: Option<String>,
}

/// A running fake Cloud API; it stops with the test's runtime. What it took, and its
/// failure switches (a 500 with a Graph code says "try later"), are its [`Outbox`].
#[derive(Clone)]
pub struct WhatsappFake {
    /// The Graph API base DocSpot is configured with (`…/v21.0`).
    pub url: String,
    outbox: Outbox<Sent>,
}

impl std::ops::Deref for WhatsappFake {
    type Target = Outbox<Sent>;
    fn deref(&self) -> &Outbox<Sent> {
        &self.outbox
    }
}

fn error(status: u16, code: u32, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        Json(
            json!({"error": {"message": message, "type": "OAuthException", "code": code,
            "fbtrace_id": "AbCdEfGhIjK"}}),
        ),
    )
        .into_response()
}

/// What is wrong with a message's JSON, as the Cloud API would refuse it.
fn refusal(m: &Value) -> Option<String> {
    if m["messaging_product"] != "whatsapp" {
        return Some("messaging_product must be whatsapp".into());
    }
    if m["type"] != "template" {
        return Some("only template messages are expected from DocSpot".into());
    }
    let to = m["to"].as_str().unwrap_or_default();
    if !to
        .trim_start_matches('+')
        .chars()
        .all(|c| c.is_ascii_digit())
        || to.len() < 8
    {
        return Some(format!("(#100) Invalid parameter: to {to}"));
    }
    let t = &m["template"];
    if !t["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("docspot_"))
    {
        return Some("(#132001) Template name does not exist in the translation".into());
    }
    if !matches!(t["language"]["code"].as_str(), Some("en" | "hi")) {
        return Some("(#132001) Template language is not approved".into());
    }
    let Some(params) = t["components"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "body"))
        .and_then(|b| b["parameters"].as_array())
    else {
        return Some("(#131008) The body's parameters are missing".into());
    };
    if params.iter().any(|p| {
        p["type"] != "text"
            || p["text"]
                .as_str()
                .is_none_or(|t| t.is_empty() || t.len() > 1024)
    }) {
        return Some("(#131008) Required parameter is missing or empty".into());
    }
    None
}

async fn send(
    State(outbox): State<Outbox<Sent>>,
    Path(phone_number_id): Path<String>,
    headers: HeaderMap,
    Json(m): Json<Value>,
) -> Response {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(format!("Bearer {ACCESS_TOKEN}").as_str()) {
        return error(
            401,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    if phone_number_id != PHONE_NUMBER_ID {
        return error(400, 100, "Unsupported post request. Object does not exist");
    }
    if let Some((status, code)) = outbox.failure() {
        return error(status, code, "Service temporarily unavailable");
    }
    if let Some(why) = refusal(&m) {
        return error(400, 131009, &why);
    }
    let params = m["template"]["components"][0]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    let to = m["to"].as_str().unwrap_or_default().to_owned();
    let sent = outbox
        .take(|n| Sent {
            reference: m["biz_opaque_callback_data"].as_str().map(str::to_owned),
            id: format!("wamid.HBgMOTE5ODc2NTQzMjEwFQIAERgSQzVGMjhBN0Q5NTc2OUQ0{n:06}AA=="),
            to: to.clone(),
            template: m["template"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            language: m["template"]["language"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            params,
        })
        .await;
    let id = sent.id;
    Json(json!({"messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
        "messages": [{"id": id, "message_status": "accepted"}]}))
    .into_response()
}

/// Meta's `X-Hub-Signature-256` of `body`.
pub fn signature(body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A webhook post's body around one `value`.
fn envelope(value: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{
        "id": "102290129340398",
        "changes": [{"field": "messages", "value": value}]}]}))
    .unwrap()
}

fn metadata() -> Value {
    json!({"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID})
}

impl WhatsappFake {
    pub async fn start() -> WhatsappFake {
        let (listener, url) = super::bind().await;
        let outbox = Outbox::new();
        let app = Router::new()
            .route("/v21.0/{phone_number_id}/messages", post(send))
            .with_state(outbox.clone());
        super::serve(listener, app);
        WhatsappFake {
            url: format!("{url}/v21.0"),
            outbox,
        }
    }

    /// The webhook Meta would post when `message` reaches `status` (`sent`, `delivered`,
    /// `read`, `failed`): its body and `X-Hub-Signature-256`.
    pub fn status(&self, message: &Sent, status: &str) -> (Vec<u8>, String) {
        let mut s = json!({"id": message.id, "status": status, "timestamp": "1764900000",
            "biz_opaque_callback_data": message.reference,
            "recipient_id": message.to.trim_start_matches('+'),
            "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "utility"}},
            "pricing": {"billable": true, "pricing_model": "CBP", "category": "utility"}});
        if status == "failed" {
            s["errors"] = json!([{"code": 131026, "title": "Message undeliverable"}]);
        }
        let body = envelope(
            json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "statuses": [s]}),
        );
        let sig = signature(&body);
        (body, sig)
    }

    /// The webhook Meta would post when the number `from` (E.164) writes `text`.
    pub fn reply(&self, from: &str, text: &str) -> (Vec<u8>, String) {
        let wa_id = from.trim_start_matches('+');
        let body = envelope(
            json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "contacts": [{"profile": {"name": "Patient"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": "wamid.INBOUND", "timestamp": "1764900000",
                "type": "text", "text": {"body": text}}]}),
        );
        let sig = signature(&body);
        (body, sig)
    }
}
