//! Loopback fakes of the outside services DocSpot talks to: the one place for them. Each
//! fake speaks the provider's real protocol on 127.0.0.1, records what it receives, and can
//! be told to fail the way the real service does, so tests cover our error handling too.
//!
//! One file per provider: `smtp.rs` (e-mail), `stripe.rs` and `razorpay.rs` (payments),
//! `twilio.rs` (texts). Others go next to them, each with the same shape: `start()`, the
//! address to configure, what it received, and switches for its failure modes.

pub mod razorpay;
pub mod smtp;
pub mod stripe;
pub mod twilio;

pub use razorpay::RazorpayFake;
pub use smtp::SmtpFake;
pub use stripe::StripeFake;
pub use twilio::TwilioFake;
