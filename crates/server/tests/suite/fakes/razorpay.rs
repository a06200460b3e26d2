//! Razorpay on loopback: `POST /v1/payment_links` as Razorpay's API answers it (HTTP basic
//! auth with the key id and secret, JSON, a `reference_id` used once), a hosted payment page,
//! the signed return to the link's callback (`razorpay_signature` over
//! `link|reference|status|payment` with the key secret), webhooks signed in
//! `X-Razorpay-Signature` with the webhook secret and named in `X-Razorpay-Event-Id`, and
//! `POST /v1/payments/{id}/refund`.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use docspot_server::gateway::razorpay::link_signature;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub const KEY_ID: &str = "rzp_test_docspot";
pub const KEY_SECRET: &str = "rzp_secret_docspot_fake";
pub const WEBHOOK_SECRET: &str = "rzp_webhook_docspot_fake";

/// A payment link as the fake keeps it.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: String,
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    pub callback: String,
    pub payment: Option<String>,
}

#[derive(Default)]
struct Shared {
    base: String,
    links: Vec<Link>,
    refunds: Vec<(String, i64)>,
    webhook_url: Option<String>,
}

/// A running fake Razorpay; it stops with the test's runtime.
#[derive(Clone)]
pub struct RazorpayFake {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

fn error(status: StatusCode, description: &str) -> Response {
    let body = json!({"error": {"code": "BAD_REQUEST_ERROR", "description": description}});
    (status, axum::Json(body)).into_response()
}

fn unauthorized(headers: &HeaderMap) -> Option<Response> {
    use base64::Engine;
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{KEY_ID}:{KEY_SECRET}"))
    );
    let sent = headers.get("authorization").and_then(|v| v.to_str().ok());
    (sent != Some(want.as_str())).then(|| error(StatusCode::UNAUTHORIZED, "Authentication failed"))
}

async fn create_link(
    State(s): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let b: Value = serde_json::from_str(&body).unwrap_or_default();
    let amount = b["amount"].as_i64().unwrap_or(0);
    let reference = b["reference_id"].as_str().unwrap_or_default().to_owned();
    if amount < 100 || reference.is_empty() || reference.len() > 40 {
        return error(StatusCode::BAD_REQUEST, "amount or reference_id is invalid");
    }
    let mut g = s.lock().unwrap();
    if g.links.iter().any(|l| l.reference == reference) {
        return error(StatusCode::BAD_REQUEST, "reference_id already exists");
    }
    let id = format!("plink_test{}", g.links.len() + 1);
    let link = Link {
        id: id.clone(),
        reference,
        amount,
        currency: b["currency"].as_str().unwrap_or("INR").to_owned(),
        callback: b["callback_url"].as_str().unwrap_or_default().to_owned(),
        payment: None,
    };
    let answer = json!({"id": id, "short_url": format!("{}/rzp/{id}", g.base), "status": "created",
        "amount": amount, "currency": link.currency, "reference_id": link.reference});
    g.links.push(link);
    axum::Json(answer).into_response()
}

async fn link_page(State(s): State<Arc<Mutex<Shared>>>, Path(id): Path<String>) -> Response {
    let g = s.lock().unwrap();
    let Some(l) = g.links.iter().find(|l| l.id == id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    Html(format!(
        "<!doctype html><title>Razorpay (loopback)</title><h1>Pay {} {}</h1>\
         <form method=post action=/rzp/{id}><button type=submit id=pay>Pay</button></form>",
        l.currency, l.amount
    ))
    .into_response()
}

async fn pay(State(s): State<Arc<Mutex<Shared>>>, Path(id): Path<String>) -> Response {
    let fake = RazorpayFake {
        url: s.lock().unwrap().base.clone(),
        shared: s.clone(),
    };
    let Some(link) = fake.mark_paid(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = fake.paid_event(&link);
    for _ in 0..2 {
        fake.deliver(&format!("evt_{}", link.id), &body).await;
    }
    Redirect::to(&format!("{}&{}", link.callback, fake.return_query(&link))).into_response()
}

async fn refund(
    State(s): State<Arc<Mutex<Shared>>>,
    Path(payment): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let amount = serde_json::from_str::<Value>(&body).unwrap_or_default()["amount"]
        .as_i64()
        .unwrap_or(0);
    let mut g = s.lock().unwrap();
    let Some(link) = g
        .links
        .iter()
        .find(|l| l.payment.as_deref() == Some(&payment))
        .cloned()
    else {
        return error(StatusCode::BAD_REQUEST, "The id provided does not exist");
    };
    let done: i64 = g
        .refunds
        .iter()
        .filter(|r| r.0 == payment)
        .map(|r| r.1)
        .sum();
    if amount <= 0 || done + amount > link.amount {
        return error(
            StatusCode::BAD_REQUEST,
            "The refund amount is greater than the amount left",
        );
    }
    g.refunds.push((payment.clone(), amount));
    let n = g.refunds.len();
    axum::Json(
        json!({"id": format!("rfnd_test{n}"), "entity": "refund", "amount": amount,
        "payment_id": payment, "status": "processed"}),
    )
    .into_response()
}

impl RazorpayFake {
    /// Binds a free port on 127.0.0.1 and serves.
    pub async fn start() -> RazorpayFake {
        let (listener, url) = super::bind().await;
        let shared = Arc::new(Mutex::new(Shared {
            base: url.clone(),
            ..Shared::default()
        }));
        let app = Router::new()
            .route("/v1/payment_links", post(create_link))
            .route("/v1/payments/{id}/refund", post(refund))
            .route("/rzp/{id}", get(link_page).post(pay))
            .with_state(shared.clone());
        super::serve(listener, app);
        RazorpayFake { url, shared }
    }

    /// Where to deliver webhooks.
    pub fn deliver_to(&self, url: &str) {
        self.shared.lock().unwrap().webhook_url = Some(url.to_owned());
    }

    pub fn links(&self) -> Vec<Link> {
        self.shared.lock().unwrap().links.clone()
    }

    pub fn refunds(&self) -> Vec<(String, i64)> {
        self.shared.lock().unwrap().refunds.clone()
    }

    /// Marks a link paid by a new payment; the link, or `None` if unknown.
    pub fn mark_paid(&self, id: &str) -> Option<Link> {
        let mut g = self.shared.lock().unwrap();
        let n = g.links.len();
        let l = g.links.iter_mut().find(|l| l.id == id)?;
        l.payment = Some(format!("pay_test{n}{}", l.id.len()));
        Some(l.clone())
    }

    /// The query Razorpay sends the patient back with.
    pub fn return_query(&self, l: &Link) -> String {
        let payment = l.payment.clone().unwrap_or_default();
        let sig = link_signature(KEY_SECRET, &l.id, &l.reference, "paid", &payment);
        serde_urlencoded::to_string([
            ("razorpay_payment_id", payment.as_str()),
            ("razorpay_payment_link_id", &l.id),
            ("razorpay_payment_link_reference_id", &l.reference),
            ("razorpay_payment_link_status", "paid"),
            ("razorpay_signature", &sig),
        ])
        .unwrap()
    }

    /// `payment_link.paid` for a paid link, as Razorpay sends it.
    pub fn paid_event(&self, l: &Link) -> String {
        json!({
            "entity": "event",
            "event": "payment_link.paid",
            "contains": ["payment_link", "payment"],
            "payload": {
                "payment_link": {"entity": {"id": l.id, "amount": l.amount, "currency": l.currency,
                    "reference_id": l.reference, "status": "paid"}},
                "payment": {"entity": {"id": l.payment, "amount": l.amount, "currency": l.currency,
                    "status": "captured"}},
            },
            "created_at": 1_796_000_000,
        })
        .to_string()
    }

    /// The `X-Razorpay-Signature` of `body`.
    pub fn sign(&self, body: &str) -> String {
        hmac(WEBHOOK_SECRET, body)
    }

    /// Posts one signed event to the webhook URL.
    pub async fn deliver(&self, event_id: &str, body: &str) {
        let Some(url) = self.shared.lock().unwrap().webhook_url.clone() else {
            return;
        };
        let _ = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .header("x-razorpay-signature", self.sign(body))
            .header("x-razorpay-event-id", event_id)
            .body(body.to_owned())
            .send()
            .await;
    }
}

/// Hex HMAC-SHA256, as Razorpay signs.
fn hmac(secret: &str, body: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body.as_bytes());
    hex::encode(m.finalize().into_bytes())
}
