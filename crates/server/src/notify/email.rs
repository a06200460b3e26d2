//! E-mail transports: `.eml` files under the data folder (the default, so a demo needs
//! nothing) or SMTP through lettre.

use crate::app::mail::Email;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType},
};
use std::path::PathBuf;

/// Where e-mail goes.
pub enum Mailer {
    /// Writes one `<job id>.eml` per message into this folder.
    Files(PathBuf),
    /// Hands messages to an SMTP server.
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Files(p) => write!(f, "Mailer::Files({})", p.display()),
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp([redacted])"),
        }
    }
}

impl Mailer {
    /// SMTP when a URL is given, else files under `data_dir/outbox`.
    pub fn new(smtp_url: Option<&str>, data_dir: &std::path::Path) -> Result<Self, String> {
        match smtp_url {
            Some(url) if !url.is_empty() => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Mailer::Smtp(Box::new(b.build())))
                .map_err(|e| format!("invalid SMTP URL: {e}")),
            _ => Ok(Mailer::Files(data_dir.join("outbox"))),
        }
    }

    /// Sends one message. `id` names the file, so a retried job overwrites, not duplicates.
    pub async fn send(&self, from: &str, email: &Email, id: &str) -> Result<(), String> {
        let from: Mailbox = from.parse().map_err(|e| format!("bad From address: {e}"))?;
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| format!("bad To address: {e}"))?;
        let builder = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone());
        let msg = match &email.ics {
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(email.body.clone()),
            Some(ics) => {
                let calendar = ContentType::parse("text/calendar; charset=utf-8")
                    .map_err(|e| format!("content type: {e}"))?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(email.body.clone()))
                        .singlepart(
                            Attachment::new("appointment.ics".into()).body(ics.clone(), calendar),
                        ),
                )
            }
        }
        .map_err(|e| format!("build message: {e}"))?;
        match self {
            Mailer::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("create outbox: {e}"))?;
                let tmp = dir.join(format!(".{id}.tmp"));
                tokio::fs::write(&tmp, msg.formatted())
                    .await
                    .map_err(|e| format!("write .eml: {e}"))?;
                tokio::fs::rename(&tmp, dir.join(format!("{id}.eml")))
                    .await
                    .map_err(|e| format!("rename .eml: {e}"))
            }
            Mailer::Smtp(t) => t
                .send(msg)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
        }
    }
}
