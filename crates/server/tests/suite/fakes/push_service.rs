//! A push service on loopback (what Chrome's or Firefox's would be): it holds one device's
//! keys, as a browser would after `PushManager.subscribe`, checks each push's VAPID
//! `Authorization` (an ES256 token for its own origin, under the public key it is told
//! to expect) and `aes128gcm` encoding, and decrypts the body (RFC 8291) with the device's
//! private key, so the test reads what the device would show.

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use base64::Engine;
use p256::ecdsa::{Signature, VerifyingKey, signature::Verifier};
use std::sync::{Arc, Mutex};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

struct Shared {
    origin: String,
    vapid_key: String,
    secret: p256::SecretKey,
    auth: [u8; 16],
    /// Decrypted messages.
    received: Vec<serde_json::Value>,
    /// Refusals, with why.
    refused: Vec<String>,
    gone: bool,
}

/// A running push service with one subscribed device.
#[derive(Clone)]
pub struct PushService {
    /// The device's endpoint.
    pub endpoint: String,
    /// The device's public key and auth secret, base64url, as the browser reports them.
    pub p256dh: String,
    pub auth: String,
    shared: Arc<Mutex<Shared>>,
}

fn check_vapid(s: &Shared, headers: &HeaderMap) -> Result<(), String> {
    let h = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Authorization")?;
    let (t, k) = h
        .strip_prefix("vapid t=")
        .and_then(|r| r.split_once(", k="))
        .ok_or("not a vapid authorization")?;
    if k != s.vapid_key {
        return Err("another application server key".into());
    }
    let parts: Vec<&str> = t.split('.').collect();
    let [header, claims, sig] = parts[..] else {
        return Err("not a JWT".into());
    };
    let key = VerifyingKey::from_sec1_bytes(&B64.decode(k).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let sig = Signature::from_slice(&B64.decode(sig).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    key.verify(format!("{header}.{claims}").as_bytes(), &sig)
        .map_err(|_| "the ES256 signature does not hold".to_owned())?;
    let claims: serde_json::Value =
        serde_json::from_slice(&B64.decode(claims).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    if claims["aud"] != s.origin.as_str() || !claims["sub"].is_string() {
        return Err(format!("claims {claims}"));
    }
    if headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        != Some("aes128gcm")
        || headers.get("ttl").is_none()
    {
        return Err("not aes128gcm with a TTL".into());
    }
    Ok(())
}

async fn receive(
    State(s): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut g = s.lock().unwrap();
    if g.gone {
        return StatusCode::GONE;
    }
    if let Err(why) = check_vapid(&g, &headers) {
        g.refused.push(why);
        return StatusCode::UNAUTHORIZED;
    }
    let auth = web_push_native::Auth::from(g.auth);
    match web_push_native::decrypt(body.to_vec(), &g.secret, &auth) {
        Ok(plain) => {
            let v = serde_json::from_slice(&plain).unwrap_or(serde_json::Value::Null);
            g.received.push(v);
            StatusCode::CREATED
        }
        Err(e) => {
            g.refused.push(format!("does not decrypt: {e}"));
            StatusCode::BAD_REQUEST
        }
    }
}

impl PushService {
    /// Starts the service, expecting pushes signed by `vapid_key` (the install's).
    pub async fn start(vapid_key: &str) -> PushService {
        use rand::RngCore;
        let (listener, origin) = super::bind().await;
        let mut seed = [0u8; 32];
        let secret = loop {
            rand::rng().fill_bytes(&mut seed);
            if let Ok(k) = p256::SecretKey::from_slice(&seed) {
                break k;
            }
        };
        let mut auth = [0u8; 16];
        rand::rng().fill_bytes(&mut auth);
        let p256dh = B64.encode(secret.public_key().to_sec1_bytes());
        let shared = Arc::new(Mutex::new(Shared {
            origin: origin.clone(),
            vapid_key: vapid_key.to_owned(),
            secret,
            auth,
            received: Vec::new(),
            refused: Vec::new(),
            gone: false,
        }));
        let app = Router::new()
            .route("/push/device-1", post(receive))
            .with_state(shared.clone());
        super::serve(listener, app);
        PushService {
            endpoint: format!("{origin}/push/device-1"),
            p256dh,
            auth: B64.encode(auth),
            shared,
        }
    }

    /// What the device would show, decrypted.
    pub fn received(&self) -> Vec<serde_json::Value> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Pushes it refused, with why.
    pub fn refused(&self) -> Vec<String> {
        self.shared.lock().unwrap().refused.clone()
    }

    /// The device unsubscribed: answers 410 from now on.
    pub fn gone(&self) {
        self.shared.lock().unwrap().gone = true;
    }
}
