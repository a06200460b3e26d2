//! Outgoing notifications: e-mail (confirmations, reminders, account links) and text
//! messages (`sms`, through a provider adapter such as `twilio`). Push is to come, behind
//! the same kind of adapter.

pub mod email;
pub mod sms;
pub mod twilio;

pub use email::{MailError, MailSender, Mailer};
