//! Stripe on loopback: `POST /v1/checkout/sessions` as Stripe's API answers it (bearer
//! secret key, form-encoded parameters, `Idempotency-Key` replaying the first answer and
//! refusing a different body), a hosted checkout page that takes the payment, and webhooks
//! signed as Stripe signs them (`Stripe-Signature: t=…,v1=…`). After a payment it delivers
//! its events the way Stripe's retries can: the completion twice, and a late `expired` for
//! the same session after it.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use docspot_server::gateway::stripe::signature_header;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

pub const SECRET_KEY: &str = "sk_test_docspot_fake";
pub const WEBHOOK_SECRET: &str = "whsec_docspot_fake";

/// A checkout session as the fake keeps it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub success_url: String,
    pub bill: String,
    pub paid: bool,
}

#[derive(Default)]
struct Shared {
    base: String,
    sessions: Vec<Session>,
    /// Idempotency-Key → (body, answer).
    keys: HashMap<String, (String, Value)>,
    /// Where to deliver webhooks (the app's `/api/v1/webhooks/stripe`).
    webhook_url: Option<String>,
    /// Statuses the webhook endpoint answered, in order.
    deliveries: Vec<u16>,
    /// The answer for the next session or refund request instead of doing it.
    fail_next: Option<u16>,
    /// Refunds made: (payment intent, amount).
    refunds: Vec<(String, i64)>,
}

/// A running fake Stripe; it stops with the test's runtime.
#[derive(Clone)]
pub struct StripeFake {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"type": kind, "message": message}})),
    )
        .into_response()
}

/// Stripe's answer to a request without the secret key.
fn unauthorized(headers: &HeaderMap) -> Option<Response> {
    let sent = headers.get("authorization").and_then(|v| v.to_str().ok());
    (sent != Some(&format!("Bearer {SECRET_KEY}"))).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Invalid API Key provided",
        )
    })
}

async fn create_session(
    State(s): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    if let Some(code) = s.lock().unwrap().fail_next.take() {
        return error(
            StatusCode::from_u16(code).unwrap(),
            "api_error",
            "Something went wrong",
        );
    }
    let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let amount: i64 = field("line_items[0][price_data][unit_amount]")
        .parse()
        .unwrap_or(0);
    if field("mode") != "payment" || amount <= 0 || field("success_url").is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "Missing required param",
        );
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut g = s.lock().unwrap();
    if let Some(k) = &key
        && let Some((earlier, answer)) = g.keys.get(k)
    {
        if *earlier != body {
            return error(
                StatusCode::BAD_REQUEST,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters",
            );
        }
        return axum::Json(answer.clone()).into_response();
    }
    let id = format!("cs_test_{}", g.sessions.len() + 1);
    let session = Session {
        id: id.clone(),
        amount,
        currency: field("line_items[0][price_data][currency]"),
        success_url: field("success_url"),
        bill: field("metadata[bill_id]"),
        paid: false,
    };
    let answer = json!({"id": id, "object": "checkout.session", "url": format!("{}/c/pay/{id}", g.base),
        "amount_total": amount, "currency": session.currency, "payment_status": "unpaid",
        "status": "open", "client_reference_id": field("client_reference_id"),
        "metadata": {"bill_id": session.bill}});
    g.sessions.push(session);
    if let Some(k) = key {
        g.keys.insert(k, (body, answer.clone()));
    }
    axum::Json(answer).into_response()
}

async fn create_refund(
    State(s): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(refused) = unauthorized(&headers) {
        return refused;
    }
    let mut g = s.lock().unwrap();
    if let Some(code) = g.fail_next.take() {
        return error(
            StatusCode::from_u16(code).unwrap(),
            "api_error",
            "Something went wrong",
        );
    }
    let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let intent = form.get("payment_intent").cloned().unwrap_or_default();
    let amount: i64 = form.get("amount").and_then(|a| a.parse().ok()).unwrap_or(0);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(k) = &key
        && let Some((_, answer)) = g.keys.get(k)
    {
        return axum::Json(answer.clone()).into_response();
    }
    let Some(session) = g
        .sessions
        .iter()
        .find(|x| x.paid && format!("pi_{}", x.id.trim_start_matches("cs_")) == intent)
        .cloned()
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "No such payment_intent",
        );
    };
    let refunded: i64 = g
        .refunds
        .iter()
        .filter(|r| r.0 == intent)
        .map(|r| r.1)
        .sum();
    if amount <= 0 || refunded + amount > session.amount {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "Refund amount is greater than unrefunded amount on charge",
        );
    }
    g.refunds.push((intent.clone(), amount));
    let answer = json!({"id": format!("re_test_{}", g.refunds.len()), "object": "refund",
        "amount": amount, "payment_intent": intent, "status": "succeeded"});
    if let Some(k) = key {
        g.keys.insert(k, (body, answer.clone()));
    }
    axum::Json(answer).into_response()
}

async fn checkout_page(State(s): State<Arc<Mutex<Shared>>>, Path(id): Path<String>) -> Response {
    let g = s.lock().unwrap();
    let Some(session) = g.sessions.iter().find(|x| x.id == id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    Html(format!(
        "<!doctype html><title>Stripe Checkout (loopback)</title><h1>Pay {} {}</h1>\
         <form method=post action=/c/pay/{id}><button type=submit id=pay>Pay</button></form>",
        session.currency.to_uppercase(),
        session.amount
    ))
    .into_response()
}

async fn pay(State(s): State<Arc<Mutex<Shared>>>, Path(id): Path<String>) -> Response {
    let fake = StripeFake {
        url: s.lock().unwrap().base.clone(),
        shared: s.clone(),
    };
    let Some(session) = fake.mark_paid(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    #[allow(clippy::disallowed_methods)]
    let now = jiff::Timestamp::now().as_second();
    fake.deliver_payment(&session, now).await;
    Redirect::to(&session.success_url).into_response()
}

impl StripeFake {
    /// Binds a free port on 127.0.0.1 and serves.
    pub async fn start() -> StripeFake {
        let (listener, url) = super::bind().await;
        let shared = Arc::new(Mutex::new(Shared {
            base: url.clone(),
            ..Shared::default()
        }));
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/refunds", post(create_refund))
            .route("/c/pay/{id}", get(checkout_page).post(pay))
            .with_state(shared.clone());
        super::serve(listener, app);
        StripeFake { url, shared }
    }

    /// Where to deliver webhooks.
    pub fn deliver_to(&self, url: &str) {
        self.shared.lock().unwrap().webhook_url = Some(url.to_owned());
    }

    /// Answers the next session request with `status` (a 500 or 429 says "try later").
    pub fn fail_next(&self, status: u16) {
        self.shared.lock().unwrap().fail_next = Some(status);
    }

    /// The sessions created.
    pub fn sessions(&self) -> Vec<Session> {
        self.shared.lock().unwrap().sessions.clone()
    }

    /// The refunds made: (payment intent, amount).
    pub fn refunds(&self) -> Vec<(String, i64)> {
        self.shared.lock().unwrap().refunds.clone()
    }

    /// The statuses webhook deliveries got.
    pub fn deliveries(&self) -> Vec<u16> {
        self.shared.lock().unwrap().deliveries.clone()
    }

    /// Marks a session paid (as the hosted page does); the session, or `None` if unknown.
    pub fn mark_paid(&self, id: &str) -> Option<Session> {
        let mut g = self.shared.lock().unwrap();
        let s = g.sessions.iter_mut().find(|x| x.id == id)?;
        s.paid = true;
        Some(s.clone())
    }

    /// A Stripe event about `session`, as Stripe sends it.
    pub fn event(&self, id: &str, kind: &str, session: &Session) -> String {
        let paid = kind != "checkout.session.expired";
        json!({
            "id": id,
            "object": "event",
            "type": kind,
            "api_version": "2024-06-20",
            "data": {"object": {
                "id": session.id,
                "object": "checkout.session",
                "amount_total": session.amount,
                "currency": session.currency,
                "payment_status": if paid { "paid" } else { "unpaid" },
                "status": if paid { "complete" } else { "expired" },
                "payment_intent": format!("pi_{}", session.id.trim_start_matches("cs_")),
                "metadata": {"bill_id": session.bill},
            }},
        })
        .to_string()
    }

    /// The `Stripe-Signature` of `body` at unix time `t`.
    pub fn sign(&self, body: &str, t: i64) -> String {
        signature_header(WEBHOOK_SECRET, t, body.as_bytes())
    }

    /// Delivers a paid session's events as retries and reordering can: the completion
    /// twice (one event id), then a late `expired` for the same session.
    pub async fn deliver_payment(&self, session: &Session, now: i64) {
        let completed = self.event(
            &format!("evt_done_{}", session.id),
            "checkout.session.completed",
            session,
        );
        let late = self.event(
            &format!("evt_late_{}", session.id),
            "checkout.session.expired",
            session,
        );
        for body in [&completed, &completed, &late] {
            self.deliver(body, now).await;
        }
    }

    /// Posts one signed event to the webhook URL; records the answer's status.
    pub async fn deliver(&self, body: &str, now: i64) {
        let Some(url) = self.shared.lock().unwrap().webhook_url.clone() else {
            return;
        };
        let status = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .header("stripe-signature", self.sign(body, now))
            .body(body.to_owned())
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        self.shared.lock().unwrap().deliveries.push(status);
    }
}
