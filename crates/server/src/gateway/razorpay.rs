//! Razorpay: a Payment Link per payment (Razorpay's hosted page, so DocSpot's pages need no
//! script), API calls with HTTP basic auth (key id and secret); the patient comes back with
//! a query signed with the key secret (`HMAC-SHA256(link id|reference|status|payment id)`),
//! and webhooks are signed in `X-Razorpay-Signature` (hex HMAC-SHA256 of the raw body with
//! the webhook secret). Refunds go through `POST /v1/payments/{id}/refund`.

use super::{Checkout, CheckoutRequest, Effect, Gateway, GatewayError, Verified, hmac_hex, same};
use crate::config::Secret;
use axum::http::HeaderMap;
use futures_util::future::BoxFuture;
use jiff::Timestamp;

/// The Razorpay account DocSpot charges through.
pub struct Razorpay {
    pub api_base: String,
    pub key_id: String,
    pub key_secret: Secret,
    pub webhook_secret: Secret,
    client: http_client::Client,
}

impl Razorpay {
    pub fn new(api_base: &str, key_id: &str, key_secret: Secret, webhook_secret: Secret) -> Self {
        Razorpay {
            api_base: api_base.trim_end_matches('/').to_owned(),
            key_id: key_id.to_owned(),
            key_secret,
            webhook_secret,
            client: super::client(),
        }
    }
}

impl Razorpay {
    /// A JSON POST to Razorpay's API with the key's basic auth; its JSON answer.
    async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, GatewayError> {
        let res = self
            .client
            .post(format!("{}{path}", self.api_base))
            .basic_auth(&self.key_id, Some(self.key_secret.expose()))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await;
        super::answer(res).await
    }
}

/// The signature Razorpay puts on the return from a paid link.
pub fn link_signature(
    key_secret: &str,
    link: &str,
    reference: &str,
    status: &str,
    payment: &str,
) -> String {
    hmac_hex(
        key_secret.as_bytes(),
        format!("{link}|{reference}|{status}|{payment}").as_bytes(),
    )
}

/// A link's reference: unique per checkout and at most 40 characters, from the idempotency
/// key (Razorpay refuses a reference it has seen).
pub fn reference(idempotency_key: &str) -> String {
    hmac_hex(b"docspot-razorpay-reference", idempotency_key.as_bytes())[..40].to_owned()
}

/// What a verified webhook body means.
pub fn read_event(event_id: &str, body: &[u8]) -> Result<Verified, GatewayError> {
    let e: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| GatewayError::Body(e.to_string()))?;
    let kind = e["event"]
        .as_str()
        .ok_or_else(|| GatewayError::Body("an event names itself".into()))?;
    let link = &e["payload"]["payment_link"]["entity"];
    let payment = &e["payload"]["payment"]["entity"];
    let provider_ref = link["id"].as_str().unwrap_or_default().to_owned();
    let effect = match kind {
        "payment_link.paid" => Effect::Paid {
            provider_ref,
            payment_ref: payment["id"].as_str().unwrap_or_default().to_owned(),
            amount: payment["amount"].as_i64().unwrap_or(0),
            currency: payment["currency"]
                .as_str()
                .unwrap_or_default()
                .to_uppercase(),
        },
        "payment_link.expired" | "payment_link.cancelled" => Effect::Expired { provider_ref },
        _ => Effect::None,
    };
    let id = if event_id.is_empty() {
        // Razorpay names each event in `x-razorpay-event-id`; without it, the body is the id.
        format!("body:{}", &hmac_hex(b"docspot", body)[..32])
    } else {
        event_id.to_owned()
    };
    Ok(Verified {
        id,
        kind: kind.to_owned(),
        effect,
    })
}

impl Gateway for Razorpay {
    fn name(&self) -> &'static str {
        "razorpay"
    }

    fn start<'a>(
        &'a self,
        req: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<Checkout, GatewayError>> {
        Box::pin(async move {
            let mut body = serde_json::json!({
                "amount": req.amount,
                "currency": req.currency,
                "description": req.description,
                "reference_id": reference(&req.idempotency_key),
                "callback_url": req.success_url,
                "callback_method": "get",
                "notes": {"bill_id": req.bill},
            });
            if let Some(e) = &req.email {
                body["customer"] = serde_json::json!({"email": e});
            }
            let l = self.post("/v1/payment_links", &body).await?;
            match (l["id"].as_str(), l["short_url"].as_str()) {
                (Some(id), Some(url)) => Ok(Checkout {
                    provider_ref: id.to_owned(),
                    redirect_url: url.to_owned(),
                }),
                _ => Err(GatewayError::Unavailable("a link without id or url".into())),
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
            let body = serde_json::json!({"amount": amount, "receipt": reference(idempotency_key)});
            let path = format!("/v1/payments/{payment_ref}/refund");
            let r = self.post(&path, &body).await?;
            r["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| GatewayError::Unavailable("a refund without id".into()))
        })
    }

    fn verify_return(&self, params: &[(String, String)]) -> Result<Effect, GatewayError> {
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        let (payment, link) = (get("razorpay_payment_id"), get("razorpay_payment_link_id"));
        let (reference, status) = (
            get("razorpay_payment_link_reference_id"),
            get("razorpay_payment_link_status"),
        );
        let want = link_signature(self.key_secret.expose(), link, reference, status, payment);
        if payment.is_empty() || link.is_empty() || !same(get("razorpay_signature"), &want) {
            return Err(GatewayError::Signature(
                "the return is not signed by Razorpay".into(),
            ));
        }
        Ok(match status {
            // The amount is the link's; the attempt knows it.
            "paid" => Effect::Paid {
                provider_ref: link.to_owned(),
                payment_ref: payment.to_owned(),
                amount: -1,
                currency: String::new(),
            },
            _ => Effect::None,
        })
    }

    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        _now: Timestamp,
    ) -> Result<Verified, GatewayError> {
        let sig = headers
            .get("x-razorpay-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| GatewayError::Signature("no X-Razorpay-Signature header".into()))?;
        if !same(
            sig,
            &hmac_hex(self.webhook_secret.expose().as_bytes(), body),
        ) {
            return Err(GatewayError::Signature(
                "the signature does not match".into(),
            ));
        }
        let id = headers
            .get("x-razorpay-event-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 200)
            .unwrap_or_default();
        read_event(id, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_return_is_believed_only_with_its_signature() {
        let r = Razorpay::new(
            "http://x",
            "rzp_test",
            "s3cret".parse().unwrap(),
            "wh".parse().unwrap(),
        );
        let sig = link_signature("s3cret", "plink_1", "ref", "paid", "pay_1");
        let params = |sig: &str| {
            [
                ("razorpay_payment_id", "pay_1"),
                ("razorpay_payment_link_id", "plink_1"),
                ("razorpay_payment_link_reference_id", "ref"),
                ("razorpay_payment_link_status", "paid"),
                ("razorpay_signature", sig),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec()
        };
        assert!(matches!(
            r.verify_return(&params(&sig)),
            Ok(Effect::Paid { .. })
        ));
        assert!(r.verify_return(&params("00")).is_err());
        assert_eq!(reference("docspot-bill-x").len(), 40);
    }
}
