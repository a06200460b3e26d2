//! Web push (RFC 8030): a message to each device a patient subscribed, encrypted to the
//! device's keys (RFC 8291, `aes128gcm`, by the `web-push-native` crate) and sent with the
//! install's VAPID identity (RFC 8292): an ES256 token for the push service's origin and
//! the public key the browser subscribed with. The key pair is the install's, made on
//! first use and shared by every instance through the database.

use base64::Engine;
use jiff::Timestamp;
use p256::ecdsa::{Signature, SigningKey, signature::Signer};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long a push service keeps an undelivered message (seconds).
const TTL_SECS: u64 = 24 * 60 * 60;

/// Reads base64url, padded or not.
pub fn unb64(text: &str) -> Option<Vec<u8>> {
    B64.decode(text.trim().trim_end_matches('=')).ok()
}

/// The install's VAPID key pair.
#[derive(Clone)]
pub struct Vapid {
    key: SigningKey,
    public: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Vapid {
    /// The key pair grown from `seed` (the install's stored secret, hex): its SHA-256, so
    /// any seed makes a valid key.
    pub fn from_seed(seed: &str) -> Vapid {
        use sha2::Digest;
        let mut digest = sha2::Sha256::digest(format!("docspot-vapid:{seed}").as_bytes());
        let secret = loop {
            // A digest outside the curve's order is rare beyond counting; hash again.
            if let Ok(k) = p256::SecretKey::from_slice(&digest) {
                break k;
            }
            digest = sha2::Sha256::digest(digest);
        };
        let public = B64.encode(secret.public_key().to_sec1_bytes());
        Vapid {
            key: SigningKey::from(&secret),
            public,
        }
    }

    /// The public key as browsers take it (`applicationServerKey`): the uncompressed
    /// point, base64url.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a push to `endpoint`, good for 12 hours from `now`;
    /// `subject` is how the push service reaches the install's operator.
    pub fn authorization(&self, endpoint: &str, subject: &str, now: Timestamp) -> Option<String> {
        let origin = http_client::Url::parse(endpoint)
            .ok()?
            .origin()
            .ascii_serialization();
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = B64.encode(
            serde_json::json!({"aud": origin, "exp": now.as_second() + 12 * 3600, "sub": subject})
                .to_string(),
        );
        let signed = format!("{header}.{claims}");
        let signature: Signature = self.key.sign(signed.as_bytes());
        Some(format!(
            "vapid t={signed}.{}, k={}",
            B64.encode(signature.to_bytes()),
            self.public
        ))
    }
}

/// A device to push to.
#[derive(Debug, Clone)]
pub struct Device<'a> {
    pub endpoint: &'a str,
    /// base64url.
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// What the push service made of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// The subscription is gone (404, 410): forget it.
    Gone,
}

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The subscription or the message cannot be sent as it is.
    #[error("the push cannot be sent: {0}")]
    Refused(String),
    /// The push service could not be reached or failed; trying later may help.
    #[error("the push service is unavailable: {0}")]
    Unavailable(String),
}

/// Encrypts `payload` to `device` and posts it, with the install's VAPID authorization.
pub async fn send(
    vapid: &Vapid,
    subject: &str,
    device: &Device<'_>,
    payload: &[u8],
    now: Timestamp,
) -> Result<Outcome, PushError> {
    let refused = |m: &str| PushError::Refused(m.to_owned());
    let public = unb64(device.p256dh)
        .and_then(|b| p256::PublicKey::from_sec1_bytes(&b).ok())
        .ok_or_else(|| refused("the device key does not read"))?;
    let auth: [u8; 16] = unb64(device.auth)
        .and_then(|a| a.try_into().ok())
        .ok_or_else(|| refused("the device auth secret does not read"))?;
    let uri: axum::http::Uri = device
        .endpoint
        .parse()
        .map_err(|_| refused("the endpoint is not an address"))?;
    let request =
        web_push_native::WebPushBuilder::new(uri, public, web_push_native::Auth::from(auth))
            .with_valid_duration(std::time::Duration::from_secs(TTL_SECS))
            .build(payload.to_vec())
            .map_err(|e| PushError::Refused(e.to_string()))?;
    let authorization = vapid
        .authorization(device.endpoint, subject, now)
        .ok_or_else(|| refused("the endpoint has no origin"))?;
    let (parts, body) = request.into_parts();
    let res = crate::gateway::client()
        .post(device.endpoint)
        .headers(parts.headers)
        .header("authorization", authorization)
        .header("urgency", "normal")
        .body(body)
        .send()
        .await
        .map_err(|e| PushError::Unavailable(e.to_string()))?;
    match res.status().as_u16() {
        200..=299 => Ok(Outcome::Accepted),
        404 | 410 => Ok(Outcome::Gone),
        413 => Err(refused("the message is too large")),
        s if s >= 500 || s == 429 => Err(PushError::Unavailable(format!("{s}"))),
        s => Err(PushError::Refused(format!("the push service answered {s}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::Vapid;
    use p256::ecdsa::{Signature, VerifyingKey, signature::Verifier};

    #[test]
    fn the_vapid_token_is_es256_for_the_push_services_origin() {
        let v = Vapid::from_seed("abc");
        assert_eq!(v.public_key(), Vapid::from_seed("abc").public_key());
        assert_ne!(v.public_key(), Vapid::from_seed("abd").public_key());
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let h = v
            .authorization(
                "https://push.example.test:8443/send/abc?x=1",
                "mailto:a@b.test",
                now,
            )
            .unwrap();
        let (t, k) = h
            .strip_prefix("vapid t=")
            .unwrap()
            .split_once(", k=")
            .unwrap();
        assert_eq!(k, v.public_key());
        let parts: Vec<&str> = t.split('.').collect();
        let claims: serde_json::Value =
            serde_json::from_slice(&super::unb64(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.test:8443");
        assert_eq!(claims["exp"], 1_800_000_000 + 12 * 3600);
        let key = VerifyingKey::from_sec1_bytes(&super::unb64(k).unwrap()).unwrap();
        let sig = Signature::from_slice(&super::unb64(parts[2]).unwrap()).unwrap();
        key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .expect("the signature holds");
    }
}
