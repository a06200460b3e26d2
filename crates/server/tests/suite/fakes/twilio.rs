//! Twilio on loopback: `POST /2010-04-01/Accounts/{sid}/Messages.json` as Twilio's API
//! answers it (HTTP basic auth with the account SID and auth token, form-encoded `To`,
//! `From`, `Body`, `StatusCallback`; Twilio's error JSON with its codes), and status
//! callbacks signed as Twilio signs them (`X-Twilio-Signature`), for the test to deliver.

use super::Outbox;
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;

pub const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
pub const AUTH_TOKEN: &str = "twilio_docspot_fake_token";
pub const FROM: &str = "+15005550006";

/// A message as the fake received it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: String,
    pub status_callback: String,
}

/// A running fake Twilio; it stops with the test's runtime. What it took, and its failure
/// switches (a 500 or 429 says "try later"; a 400 with 21211 refuses the number), are its
/// [`Outbox`].
#[derive(Clone)]
pub struct TwilioFake {
    pub url: String,
    outbox: Outbox<Sent>,
}

impl std::ops::Deref for TwilioFake {
    type Target = Outbox<Sent>;
    fn deref(&self) -> &Outbox<Sent> {
        &self.outbox
    }
}

fn error(status: u16, code: u32, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({"code": code, "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status})),
    )
        .into_response()
}

/// Whether the request names our account and carries its basic auth.
fn authorized(sid: &str, headers: &HeaderMap) -> bool {
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    sid == ACCOUNT_SID && auth == Some(want.as_str())
}

async fn create_message(
    State(outbox): State<Outbox<Sent>>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !authorized(&sid, &headers) {
        return error(401, 20003, "Authenticate");
    }
    if let Some((status, code)) = outbox.failure() {
        return error(status, code, "Twilio could not take the message");
    }
    let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let to = field("To");
    if !to.starts_with('+') || to.len() < 8 {
        return error(
            400,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    if field("Body").is_empty() || field("From").is_empty() {
        return error(400, 21602, "Message body is required.");
    }
    let sent = outbox
        .take(|n| Sent {
            sid: format!("SM{n:032x}"),
            to: to.clone(),
            from: field("From"),
            body: field("Body"),
            status_callback: field("StatusCallback"),
        })
        .await;
    let sid = sent.sid;
    (
        StatusCode::CREATED,
        axum::Json(json!({"sid": sid, "account_sid": ACCOUNT_SID, "to": to,
            "from": field("From"), "body": field("Body"), "status": "queued",
            "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01"})),
    )
        .into_response()
}

/// `GET …/Messages.json`: the account's messages, newest first, filtered by `To` (and
/// taking `DateSent>` and `PageSize` as Twilio does).
async fn list_messages(
    State(outbox): State<Outbox<Sent>>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    if !authorized(&sid, &headers) {
        return error(401, 20003, "Authenticate");
    }
    let q: HashMap<String, String> =
        serde_urlencoded::from_str(&query.unwrap_or_default()).unwrap_or_default();
    if !q.contains_key("DateSent>") {
        return error(400, 20001, "This test expects the DateSent> filter");
    }
    let messages: Vec<serde_json::Value> = outbox
        .sent()
        .iter()
        .rev()
        .filter(|m| q.get("To").is_none_or(|to| *to == m.to))
        .map(|m| {
            json!({"sid": m.sid, "to": m.to, "from": m.from, "body": m.body,
            "status": "sent", "account_sid": ACCOUNT_SID})
        })
        .collect();
    axum::Json(json!({"messages": messages, "page": 0, "page_size": 50})).into_response()
}

impl TwilioFake {
    pub async fn start() -> TwilioFake {
        let (listener, url) = super::bind().await;
        let outbox = Outbox::new();
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                post(create_message).get(list_messages),
            )
            .with_state(outbox.clone());
        super::serve(listener, app);
        TwilioFake { url, outbox }
    }

    /// The status callback Twilio would post for `message` at `status`: its URL, form
    /// parameters and `X-Twilio-Signature`.
    pub fn callback(
        &self,
        message: &Sent,
        status: &str,
    ) -> (String, Vec<(String, String)>, String) {
        let mut params = vec![
            ("AccountSid", ACCOUNT_SID.to_owned()),
            ("ApiVersion", "2010-04-01".to_owned()),
            ("From", message.from.clone()),
            ("MessageSid", message.sid.clone()),
            ("MessageStatus", status.to_owned()),
            ("SmsSid", message.sid.clone()),
            ("SmsStatus", status.to_owned()),
            ("To", message.to.clone()),
        ];
        if status == "undelivered" || status == "failed" {
            params.push(("ErrorCode", "30003".to_owned()));
        }
        let params: Vec<(String, String)> =
            params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let signature = docspot_server::notify::twilio::signature(
            AUTH_TOKEN,
            &message.status_callback,
            &params,
        );
        (message.status_callback.clone(), params, signature)
    }

    /// A text `from` a patient, as Twilio posts it to the incoming-message webhook at
    /// `url`: its form parameters and `X-Twilio-Signature`.
    pub fn inbound(&self, url: &str, from: &str, body: &str) -> (Vec<(String, String)>, String) {
        let params: Vec<(String, String)> = [
            ("AccountSid", ACCOUNT_SID),
            ("ApiVersion", "2010-04-01"),
            ("Body", body),
            ("From", from),
            ("MessageSid", "SM99999999999999999999999999999999"),
            ("NumMedia", "0"),
            ("To", FROM),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let signature = docspot_server::notify::twilio::signature(AUTH_TOKEN, url, &params);
        (params, signature)
    }
}
