//! MSG91 on loopback: its Flow API (`POST /api/v5/flow`, the `authkey` header, JSON with
//! `template_id` and `recipients` whose `mobiles` are digits with the country code) as
//! MSG91 answers it: `{"type": "success", "message": <request id>}`, a 401 for a bad key,
//! and `{"type": "error", …}` with HTTP 200 for a bad template or number. Its delivery
//! reports are the form MSG91's webhook posts (`data` = a JSON list of requests and their
//! report lines), for the test to deliver to the address configured in MSG91's panel.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub const AUTH_KEY: &str = "msg91-docspot-fake-authkey";
pub const TEMPLATE_ID: &str = "6650b0c1d6fc05000f0c1a2b";
pub const SENDER: &str = "DOCSPT";
pub const VARIABLE: &str = "message";
pub const WEBHOOK_TOKEN: &str = "msg91-webhook-token-4f1c";

/// A message as the fake received it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub request_id: String,
    /// Digits with the country code, as MSG91 takes them.
    pub mobiles: String,
    pub body: String,
    pub sender: String,
}

/// How the next request is answered instead of being taken.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    /// An HTTP error status (500, 503: MSG91 is down).
    Status(u16),
    /// `{"type": "error"}` with HTTP 200, as MSG91 answers a number it will not take.
    InvalidNumber,
}

#[derive(Default)]
struct Shared {
    sent: Vec<Sent>,
    fail_next: Option<Failure>,
}

/// A running fake MSG91; it stops with the test's runtime.
#[derive(Clone)]
pub struct Msg91Fake {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

fn error(status: u16, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        Json(json!({"type": "error", "message": message, "code": status.to_string()})),
    )
        .into_response()
}

async fn flow(State(s): State<Arc<Mutex<Shared>>>, headers: HeaderMap, body: String) -> Response {
    if headers.get("authkey").and_then(|v| v.to_str().ok()) != Some(AUTH_KEY) {
        return error(401, "Authentication failure");
    }
    match s.lock().unwrap().fail_next.take() {
        Some(Failure::Status(status)) => return error(status, "Service unavailable"),
        Some(Failure::InvalidNumber) => return error(200, "Mobile number not valid"),
        None => {}
    }
    let Ok(req) = serde_json::from_str::<Value>(&body) else {
        return error(400, "Invalid JSON");
    };
    if req["template_id"] != TEMPLATE_ID {
        return error(200, "Template ID Missing or Invalid Template");
    }
    let Some([recipient]) = req["recipients"].as_array().map(Vec::as_slice) else {
        return error(200, "Recipients missing");
    };
    let mobiles = recipient["mobiles"].as_str().unwrap_or_default().to_owned();
    if mobiles.len() < 10 || !mobiles.bytes().all(|b| b.is_ascii_digit()) {
        return error(200, "Mobile number not valid");
    }
    let text = recipient[VARIABLE].as_str().unwrap_or_default().to_owned();
    if text.is_empty() {
        return error(200, "Template variable missing");
    }
    let mut g = s.lock().unwrap();
    let request_id = format!("{:024x}", 0x3763_646c_3058 + g.sent.len() as u64);
    g.sent.push(Sent {
        request_id: request_id.clone(),
        mobiles,
        body: text,
        sender: req["sender"].as_str().unwrap_or_default().to_owned(),
    });
    Json(json!({"type": "success", "message": request_id})).into_response()
}

impl Msg91Fake {
    pub async fn start() -> Msg91Fake {
        let (listener, url) = super::bind().await;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .route("/api/v5/flow", post(flow))
            .with_state(shared.clone());
        super::serve(listener, app);
        Msg91Fake { url, shared }
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.shared.lock().unwrap().sent.clone()
    }

    pub fn fail_next(&self, failure: Failure) {
        self.shared.lock().unwrap().fail_next = Some(failure);
    }

    /// The form body MSG91's webhook posts for `message`, with its status code (1
    /// delivered, 2 failed, 8 submitted) and description.
    pub fn report(&self, message: &Sent, code: &str, desc: &str) -> String {
        let data = json!([{
            "senderId": message.sender, "requestId": message.request_id,
            "userId": "312345", "campaignName": "API",
            "report": [{"date": "2026-11-20 10:00:03", "number": message.mobiles,
                "status": code, "desc": desc}],
        }]);
        serde_urlencoded::to_string([("data", data.to_string())]).unwrap()
    }
}
