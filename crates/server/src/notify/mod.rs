//! Outgoing notifications. E-mail for now; SMS and push arrive with reminders.

pub mod email;
