//! An integrator's webhook endpoint on loopback: it keeps every request it gets (the
//! event, delivery id, signature and raw body), and answers 500 to the next few when told
//! to, as a receiver that is down would.

use axum::{Router, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use std::sync::{Arc, Mutex};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub delivery: String,
    pub signature: String,
    pub body: String,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    fail: usize,
}

/// A running receiver; it stops with the test's runtime.
#[derive(Clone)]
pub struct WebhookReceiver {
    /// Where to register it.
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

async fn receive(
    State(s): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut g = s.lock().unwrap();
    g.received.push(Received {
        event: header("x-docspot-event"),
        delivery: header("x-docspot-delivery"),
        signature: header("x-docspot-signature"),
        body,
    });
    if g.fail > 0 {
        g.fail -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::NO_CONTENT
}

impl WebhookReceiver {
    pub async fn start() -> WebhookReceiver {
        let (listener, base) = super::bind().await;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .route("/hooks/docspot", post(receive))
            .with_state(shared.clone());
        super::serve(listener, app);
        WebhookReceiver {
            url: format!("{base}/hooks/docspot"),
            shared,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Answers the next `n` requests 500.
    pub fn fail_next(&self, n: usize) {
        self.shared.lock().unwrap().fail = n;
    }
}
