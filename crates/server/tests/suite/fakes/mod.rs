//! Loopback fakes of the outside services DocSpot talks to: the one place for them. Each
//! fake speaks the provider's real protocol on 127.0.0.1, records what it receives, and can
//! be told to fail the way the real service does, so tests cover our error handling too.
//!
//! One file per provider: `smtp.rs` (e-mail), `stripe.rs` and `razorpay.rs` (payments),
//! `twilio.rs`, `msg91.rs` and `sms_gateway.rs` (texts), `whatsapp.rs` (Meta's Cloud API), `push_service.rs`
//! (web push, decrypting), `webhook_receiver.rs` (an integrator's endpoint for our
//! outgoing webhooks). Others go next to them, each with the same shape: `start()`, the
//! address to configure, what it received, and switches for its failure modes.

pub mod msg91;
pub mod push_service;
pub mod razorpay;
pub mod sms_gateway;
pub mod smtp;
pub mod stripe;
pub mod twilio;
pub mod webhook_receiver;
pub mod whatsapp;

pub use msg91::Msg91Fake;
pub use push_service::PushService;
pub use razorpay::RazorpayFake;
pub use sms_gateway::SmsGatewayFake;
pub use smtp::SmtpFake;
pub use stripe::StripeFake;
pub use twilio::TwilioFake;
pub use webhook_receiver::WebhookReceiver;
pub use whatsapp::WhatsappFake;

/// A free port on 127.0.0.1 for a fake, and its base address.
pub async fn bind() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

/// Serves `app` on `listener` until the test's runtime ends.
pub fn serve(listener: tokio::net::TcpListener, app: axum::Router) {
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
}

/// What a provider's own Python library (`package`, from PyPI) prints when it runs
/// `script` with `args`: the tests cross-check the loopback fakes' signatures with it.
/// `None` where the library is not installed; under CI that fails the test.
pub fn provider_library(package: &str, script: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        assert!(
            std::env::var("CI").is_err(),
            "CI is set but {package}'s Python library cannot run (pip install {package}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("SKIPPED the cross-check with {package}'s library: pip install {package}");
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// What a text provider's fake took, and its switches for the next request: fail it with
/// an HTTP status and the provider's error code, or take it and never answer. Shared by the
/// fakes (`Deref` to it) and their handlers (as axum state).
pub struct Outbox<T>(std::sync::Arc<std::sync::Mutex<OutboxState<T>>>);

struct OutboxState<T> {
    sent: Vec<T>,
    fail_next: Option<(u16, u32)>,
    hang_next: bool,
}

impl<T> Clone for Outbox<T> {
    fn clone(&self) -> Self {
        Outbox(self.0.clone())
    }
}

impl<T: Clone> Outbox<T> {
    pub fn new() -> Self {
        Outbox(std::sync::Arc::new(std::sync::Mutex::new(OutboxState {
            sent: Vec::new(),
            fail_next: None,
            hang_next: false,
        })))
    }

    /// What it took, in order.
    pub fn sent(&self) -> Vec<T> {
        self.0.lock().unwrap().sent.clone()
    }

    /// Takes the next message and never answers, as when the sender dies after the
    /// provider took it and before it could record that.
    pub fn hang_next(&self) {
        self.0.lock().unwrap().hang_next = true;
    }

    /// Answers the next request with `status` and the provider's error `code`.
    pub fn fail_next(&self, status: u16, code: u32) {
        self.0.lock().unwrap().fail_next = Some((status, code));
    }

    /// The failure set for this request, once.
    pub fn failure(&self) -> Option<(u16, u32)> {
        self.0.lock().unwrap().fail_next.take()
    }

    /// Takes the message `message(n)` makes as the `n`th (from 1), and returns it, unless
    /// told to hang: then it never returns.
    pub async fn take(&self, message: impl FnOnce(usize) -> T) -> T {
        let (taken, hang) = {
            let mut g = self.0.lock().unwrap();
            let taken = message(g.sent.len() + 1);
            g.sent.push(taken.clone());
            (taken, std::mem::take(&mut g.hang_next))
        };
        if hang {
            std::future::pending::<()>().await;
        }
        taken
    }
}
