//! Outgoing notifications: e-mail (confirmations, reminders, account links). SMS and push
//! are to come, behind the same kind of adapter.

pub mod email;

pub use email::{MailError, MailSender, Mailer};
