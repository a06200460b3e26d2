//! Online payment providers behind one trait: a checkout started server-side (with an
//! idempotency key derived from the bill, so a retried start reuses the same checkout), and
//! webhooks verified over their raw body before anything is believed. Stripe (Checkout
//! Sessions) and Razorpay (Payment Links, hosted like Stripe's checkout) implement it; base URLs and keys come
//! from the configuration (docs/configuration.md).

pub mod razorpay;
pub mod stripe;

use axum::http::HeaderMap;
use futures_util::future::BoxFuture;
use jiff::Timestamp;

/// What a checkout is for.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// Ours: the bill and the attempt, echoed back by the provider.
    pub bill: String,
    pub amount: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    /// What the patient sees: "Sunrise Clinic · bill INV/26-27/0001".
    pub description: String,
    pub success_url: String,
    pub cancel_url: String,
    /// The same key for the same bill state: a retried start gets the same checkout.
    pub idempotency_key: String,
    pub email: Option<String>,
}

/// A started checkout: the provider's id for it and where to send the patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub provider_ref: String,
    pub redirect_url: String,
}

/// What a verified provider event means for us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The checkout `provider_ref` was paid: `amount` by the provider's payment `payment_ref`.
    Paid {
        provider_ref: String,
        payment_ref: String,
        amount: i64,
        currency: String,
    },
    /// The checkout ended unpaid.
    Expired { provider_ref: String },
    /// Nothing to do (another kind of event).
    None,
}

/// A provider event whose signature was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The provider's event id: each is handled once.
    pub id: String,
    pub kind: String,
    pub effect: Effect,
}

/// Why a provider call or event failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The signature is missing, malformed, wrong or too old: the event is refused.
    #[error("webhook signature: {0}")]
    Signature(String),
    /// The body is not an event we understand.
    #[error("webhook body: {0}")]
    Body(String),
    /// The provider refused the request (bad key, bad parameters).
    #[error("the provider refused: {0}")]
    Refused(String),
    /// The provider could not be reached or failed; trying again later may help.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
}

/// One payment provider.
pub trait Gateway: Send + Sync {
    /// `stripe` or `razorpay`.
    fn name(&self) -> &'static str;
    /// Starts a checkout.
    fn start<'a>(
        &'a self,
        req: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<Checkout, GatewayError>>;
    /// Returns `amount` of the provider's payment `payment_ref` to the payer; the same
    /// `idempotency_key` never refunds twice. Answers the provider's refund id.
    fn refund<'a>(
        &'a self,
        payment_ref: &'a str,
        amount: i64,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<String, GatewayError>>;
    /// Checks the signed query a provider sends the patient back with (Razorpay's), and
    /// reads what it says; providers that send none refuse it.
    fn verify_return(&self, _params: &[(String, String)]) -> Result<Effect, GatewayError> {
        Err(GatewayError::Signature(
            "this provider signs no return".into(),
        ))
    }
    /// Checks a webhook's signature over its raw body and reads what it means.
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Verified, GatewayError>;
}

pub(crate) use crate::signing::{hmac_hex, same};

/// An HTTP client for providers: short timeouts, no redirects followed.
pub(crate) fn client() -> http_client::Client {
    http_client::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .connect_timeout(std::time::Duration::from_secs(5))
        .redirect(http_client::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Reads a provider's answer: JSON on success, its error otherwise.
pub(crate) async fn answer(
    res: Result<http_client::Response, http_client::Error>,
) -> Result<serde_json::Value, GatewayError> {
    let res = res.map_err(|e| GatewayError::Unavailable(e.to_string()))?;
    let status = res.status();
    let bytes = res
        .bytes()
        .await
        .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if status.is_success() {
        return Ok(body);
    }
    let message = body["error"]["message"]
        .as_str()
        .or(body["error"]["description"].as_str())
        .unwrap_or("no message")
        .to_owned();
    if status.is_server_error() || status.as_u16() == 429 {
        Err(GatewayError::Unavailable(format!("{status}: {message}")))
    } else {
        Err(GatewayError::Refused(format!("{status}: {message}")))
    }
}
