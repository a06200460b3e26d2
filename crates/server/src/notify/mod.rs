//! Outgoing notifications: e-mail (confirmations, reminders, account links) and text
//! messages (`sms`, through a provider adapter: `twilio`, `msg91` or the generic
//! `sms_http`), WhatsApp template messages (`whatsapp`, Meta's Cloud API, behind the same
//! trait), and web push to patients' devices (`push`).

pub mod email;
pub mod msg91;
pub mod push;
pub mod sms;
pub mod sms_http;
pub mod twilio;
pub mod whatsapp;

pub use email::{MailError, MailSender, Mailer};
