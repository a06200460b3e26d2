//! A gateway speaking DocSpot's generic SMS protocol (docs/configuration.md), on
//! loopback: it checks `X-DocSpot-Signature` over each posted text, keeps one message per
//! `Idempotency-Key` (a repeated post answers the same id and sends nothing more), and
//! signs the status callbacks it makes for the test to deliver.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use docspot_server::signing;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub const SECRET: &str = "sms-gateway-shared-secret-91c2";

/// A message as the gateway received it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: String,
    pub reference: String,
    pub to: String,
    pub body: String,
    pub status_callback: String,
}

#[derive(Default)]
struct Shared {
    sent: Vec<Sent>,
    /// Posts received, repeats included.
    posts: usize,
    /// The HTTP status that answers the next post instead of taking it.
    fail_next: Option<u16>,
    /// Take the next new message, then answer 502 as if the answer were lost.
    lose_next_answer: bool,
}

/// A running fake gateway; it stops with the test's runtime.
#[derive(Clone)]
pub struct SmsGatewayFake {
    /// Where texts are posted.
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, Json(json!({"error": why}))).into_response()
}

async fn send(State(s): State<Arc<Mutex<Shared>>>, headers: HeaderMap, body: String) -> Response {
    let signature = headers
        .get("x-docspot-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // The signature must hold; its age is not checked here, as the server under test runs
    // on a fixed clock (the server's own check of callbacks covers the tolerance).
    let t = signature
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or_default();
    let at = jiff::Timestamp::from_second(t).unwrap_or_default();
    if let Err(why) = signing::check(SECRET, signature, body.as_bytes(), at) {
        return refuse(StatusCode::UNAUTHORIZED, &why);
    }
    let mut g = s.lock().unwrap();
    g.posts += 1;
    if let Some(status) = g.fail_next.take() {
        return refuse(StatusCode::from_u16(status).unwrap(), "the gateway failed");
    }
    let Ok(req) = serde_json::from_str::<Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "not JSON");
    };
    let field = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if key != field("reference") || key.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "Idempotency-Key is the reference");
    }
    if !field("to").starts_with('+') || field("body").is_empty() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "to and body are required");
    }
    if let Some(same) = g.sent.iter().find(|m| m.reference == key) {
        return Json(json!({"id": same.id})).into_response();
    }
    let id = format!("gw-{}", g.sent.len() + 1);
    g.sent.push(Sent {
        id: id.clone(),
        reference: key.to_owned(),
        to: field("to"),
        body: field("body"),
        status_callback: field("status_callback"),
    });
    if std::mem::take(&mut g.lose_next_answer) {
        return refuse(StatusCode::BAD_GATEWAY, "the answer was lost");
    }
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

impl SmsGatewayFake {
    pub async fn start() -> SmsGatewayFake {
        let (listener, url) = super::bind().await;
        let url = format!("{url}/sms");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .route("/sms", post(send))
            .with_state(shared.clone());
        super::serve(listener, app);
        SmsGatewayFake { url, shared }
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.shared.lock().unwrap().sent.clone()
    }

    /// Posts received, repeats included.
    pub fn posts(&self) -> usize {
        self.shared.lock().unwrap().posts
    }

    pub fn fail_next(&self, status: u16) {
        self.shared.lock().unwrap().fail_next = Some(status);
    }

    /// Takes the next message but answers 502, as when the answer is lost on the way.
    pub fn lose_next_answer(&self) {
        self.shared.lock().unwrap().lose_next_answer = true;
    }

    /// The status callback the gateway makes for `message`: its address, JSON body and
    /// `X-DocSpot-Signature`, signed at `t` (unix seconds).
    pub fn callback(&self, message: &Sent, status: &str, t: i64) -> (String, String, String) {
        let mut body = json!({"id": message.id, "status": status});
        if status == "failed" {
            body["error"] = "handset unreachable".into();
        }
        let body = body.to_string();
        let signature = signing::header(SECRET, t, body.as_bytes());
        (message.status_callback.clone(), body, signature)
    }
}
