//! Stripe: a Checkout Session per payment (Stripe's hosted page, so DocSpot's pages need no
//! script), created with the bill's idempotency key; webhooks signed in `Stripe-Signature`
//! (`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`), accepted within 5 minutes.

use super::{Checkout, CheckoutRequest, Effect, Gateway, GatewayError, Verified};
use crate::config::Secret;
use axum::http::HeaderMap;
use futures_util::future::BoxFuture;
use jiff::Timestamp;

/// How old a signed event may be.
pub use crate::signing::TOLERANCE_SECS;

/// The Stripe account DocSpot charges through.
pub struct Stripe {
    pub api_base: String,
    pub secret_key: Secret,
    pub webhook_secret: Secret,
    client: http_client::Client,
}

impl Stripe {
    pub fn new(api_base: &str, secret_key: Secret, webhook_secret: Secret) -> Self {
        Stripe {
            api_base: api_base.trim_end_matches('/').to_owned(),
            secret_key,
            webhook_secret,
            client: super::client(),
        }
    }
}

impl Stripe {
    /// A form-encoded POST to Stripe's API under `idempotency_key`; its JSON answer.
    async fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        form: String,
    ) -> Result<serde_json::Value, GatewayError> {
        let res = self
            .client
            .post(format!("{}{path}", self.api_base))
            .bearer_auth(self.secret_key.expose())
            .header("Idempotency-Key", idempotency_key)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await;
        super::answer(res).await
    }
}

/// The `Stripe-Signature` header for `body` signed at `t` (what Stripe sends).
pub use crate::signing::header as signature_header;

/// Checks `header` against `body` as Stripe's libraries do: a `t` within the tolerance of
/// `now` and one `v1` signature that matches.
pub fn check_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<(), GatewayError> {
    crate::signing::check(secret, header, body, now).map_err(GatewayError::Signature)
}

/// What a verified event body means.
pub fn read_event(body: &[u8]) -> Result<Verified, GatewayError> {
    let e: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| GatewayError::Body(e.to_string()))?;
    let id = e["id"].as_str().filter(|s| !s.is_empty() && s.len() <= 255);
    let kind = e["type"].as_str();
    let (Some(id), Some(kind)) = (id, kind) else {
        return Err(GatewayError::Body("an event has an id and a type".into()));
    };
    let o = &e["data"]["object"];
    let session = o["id"].as_str().unwrap_or_default().to_owned();
    let effect = match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded"
            if o["payment_status"] == "paid" =>
        {
            Effect::Paid {
                provider_ref: session,
                payment_ref: o["payment_intent"].as_str().unwrap_or_default().to_owned(),
                amount: o["amount_total"].as_i64().unwrap_or(0),
                currency: o["currency"].as_str().unwrap_or_default().to_uppercase(),
            }
        }
        "checkout.session.expired" | "checkout.session.async_payment_failed" => Effect::Expired {
            provider_ref: session,
        },
        _ => Effect::None,
    };
    Ok(Verified {
        id: id.to_owned(),
        kind: kind.to_owned(),
        effect,
    })
}

impl Gateway for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn start<'a>(
        &'a self,
        req: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<Checkout, GatewayError>> {
        Box::pin(async move {
            let mut form: Vec<(&str, String)> = vec![
                ("mode", "payment".into()),
                ("line_items[0][quantity]", "1".into()),
                (
                    "line_items[0][price_data][currency]",
                    req.currency.to_lowercase(),
                ),
                (
                    "line_items[0][price_data][unit_amount]",
                    req.amount.to_string(),
                ),
                (
                    "line_items[0][price_data][product_data][name]",
                    req.description.clone(),
                ),
                ("success_url", req.success_url.clone()),
                ("cancel_url", req.cancel_url.clone()),
                ("client_reference_id", req.bill.clone()),
                ("metadata[bill_id]", req.bill.clone()),
                ("payment_intent_data[metadata][bill_id]", req.bill.clone()),
            ];
            if let Some(e) = &req.email {
                form.push(("customer_email", e.clone()));
            }
            let body = serde_urlencoded::to_string(&form)
                .map_err(|e| GatewayError::Refused(e.to_string()))?;
            let s = self
                .post("/v1/checkout/sessions", &req.idempotency_key, body)
                .await?;
            match (s["id"].as_str(), s["url"].as_str()) {
                (Some(id), Some(url)) => Ok(Checkout {
                    provider_ref: id.to_owned(),
                    redirect_url: url.to_owned(),
                }),
                _ => Err(GatewayError::Unavailable(
                    "a session without id or url".into(),
                )),
            }
        })
    }

    fn refund<'a>(
        &'a self,
        payment_ref: &'a str,
        amount: i64,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<String, GatewayError>> {
        Box::pin(async move {
            let body = serde_urlencoded::to_string([
                ("payment_intent", payment_ref.to_owned()),
                ("amount", amount.to_string()),
            ])
            .map_err(|e| GatewayError::Refused(e.to_string()))?;
            let r = self.post("/v1/refunds", idempotency_key, body).await?;
            r["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| GatewayError::Unavailable("a refund without id".into()))
        })
    }

    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Verified, GatewayError> {
        let header = headers
            .get("stripe-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| GatewayError::Signature("no Stripe-Signature header".into()))?;
        check_signature(self.webhook_secret.expose(), header, body, now)?;
        read_event(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_what_they_mean() {
        let paid = br#"{"id":"evt_1","type":"checkout.session.completed","data":{"object":
            {"id":"cs_1","payment_status":"paid","amount_total":50000,"currency":"inr","payment_intent":"pi_1"}}}"#;
        let v = read_event(paid).unwrap();
        assert_eq!(
            v.effect,
            Effect::Paid {
                provider_ref: "cs_1".into(),
                payment_ref: "pi_1".into(),
                amount: 50_000,
                currency: "INR".into()
            }
        );
        let unpaid = br#"{"id":"evt_2","type":"checkout.session.completed","data":{"object":{"id":"cs_1","payment_status":"unpaid"}}}"#;
        assert_eq!(read_event(unpaid).unwrap().effect, Effect::None);
        assert!(read_event(b"[]").is_err());
        assert!(read_event(br#"{"type":"x"}"#).is_err());
    }
}
