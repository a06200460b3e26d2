//! E-mail transports behind [`MailSender`]: `.eml` files under the data folder (the default,
//! so a demo needs nothing) or SMTP through lettre. [`Mailer`] is the one configuration picks.

use crate::app::mail::Email;
use futures_util::future::BoxFuture;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType},
};
use std::{error::Error as _, path::PathBuf};

/// A way to send e-mail. Boxed futures keep it object-safe, so the worker takes any sender
/// (a test's fake too) as `&dyn MailSender`.
pub trait MailSender: Send + Sync {
    /// Sends `email` from `from`. `message_id` stays the same when a failed send is retried,
    /// so a transport can make the retry overwrite rather than duplicate.
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a Email,
        message_id: &'a str,
    ) -> BoxFuture<'a, Result<(), MailError>>;
}

/// Why a message was not sent: [`MailError::is_permanent`] tells whether trying again later
/// can help.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address that does not parse: permanent.
    #[error("bad {which} address: {reason}")]
    BadAddress { which: &'static str, reason: String },
    /// A message lettre cannot build: permanent.
    #[error("cannot build the message: {0}")]
    Message(String),
    /// A 5xx SMTP reply: the server will not take this message. Permanent.
    #[error("SMTP server refused the message: {code} {text}")]
    Rejected { code: u16, text: String },
    /// A 4xx SMTP reply: the server may take the message later. Transient.
    #[error("SMTP server deferred the message: {code} {text}")]
    Deferred { code: u16, text: String },
    /// No complete conversation with the server: connection refused, timed out or cut off,
    /// TLS, an unreadable reply. Transient.
    #[error("SMTP: {0}")]
    Transport(String),
    /// The `.eml` file cannot be written. Transient.
    #[error("cannot write to the outbox: {0}")]
    Outbox(#[source] std::io::Error),
}

impl MailError {
    /// Whether trying again cannot help, so the message should be given up at once.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            MailError::BadAddress { .. } | MailError::Message(_) | MailError::Rejected { .. }
        )
    }
}

impl From<lettre::transport::smtp::Error> for MailError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        // For a reply, lettre's source is the server's text.
        let text = || e.source().map(|s| s.to_string()).unwrap_or_default();
        match e.status() {
            Some(code) if e.is_permanent() => MailError::Rejected {
                code: code.into(),
                text: text(),
            },
            Some(code) => MailError::Deferred {
                code: code.into(),
                text: text(),
            },
            None => MailError::Transport(e.to_string()),
        }
    }
}

/// Writes one `<message id>.eml` per message into a folder.
#[derive(Debug)]
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    /// Files go into `dir`, created on the first message.
    pub fn new(dir: PathBuf) -> Self {
        FileMailer { dir }
    }

    async fn write(&self, from: &str, email: &Email, id: &str) -> Result<(), MailError> {
        let msg = message(from, email, id)?;
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(MailError::Outbox)?;
        // Written aside, then renamed: a reader never sees half a message.
        let tmp = self.dir.join(format!(".{id}.tmp"));
        tokio::fs::write(&tmp, msg.formatted())
            .await
            .map_err(MailError::Outbox)?;
        tokio::fs::rename(&tmp, self.dir.join(format!("{id}.eml")))
            .await
            .map_err(MailError::Outbox)
    }
}

impl MailSender for FileMailer {
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a Email,
        message_id: &'a str,
    ) -> BoxFuture<'a, Result<(), MailError>> {
        Box::pin(self.write(from, email, message_id))
    }
}

/// Hands messages to an SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry credentials.
        f.write_str("SmtpMailer([redacted])")
    }
}

impl SmtpMailer {
    /// From an `smtp://` or `smtps://` URL.
    pub fn from_url(url: &str) -> Result<Self, String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map(|b| SmtpMailer {
                transport: b.build(),
            })
            .map_err(|e| format!("invalid SMTP URL: {e}"))
    }

    async fn deliver(&self, from: &str, email: &Email, id: &str) -> Result<(), MailError> {
        let msg = message(from, email, id)?;
        self.transport.send(msg).await?;
        Ok(())
    }
}

impl MailSender for SmtpMailer {
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a Email,
        message_id: &'a str,
    ) -> BoxFuture<'a, Result<(), MailError>> {
        Box::pin(self.deliver(from, email, message_id))
    }
}

/// The transport configuration picks.
#[derive(Debug)]
pub enum Mailer {
    Files(FileMailer),
    Smtp(SmtpMailer),
}

impl MailSender for Mailer {
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a Email,
        message_id: &'a str,
    ) -> BoxFuture<'a, Result<(), MailError>> {
        match self {
            Mailer::Files(m) => m.send(from, email, message_id),
            Mailer::Smtp(m) => m.send(from, email, message_id),
        }
    }
}

impl Mailer {
    /// SMTP when a URL is given, else files under `data_dir/outbox`.
    pub fn new(smtp_url: Option<&str>, data_dir: &std::path::Path) -> Result<Self, String> {
        match smtp_url {
            Some(url) if !url.is_empty() => SmtpMailer::from_url(url).map(Mailer::Smtp),
            _ => Ok(Mailer::Files(FileMailer::new(data_dir.join("outbox")))),
        }
    }
}

/// The message for `email`, from `from`.
/// The message, its `Message-ID` made from `id` (the job's, the same on every retry) and the
/// sender's domain, so that a message sent again after a crash is recognisably the same one.
fn message(from: &str, email: &Email, id: &str) -> Result<Message, MailError> {
    let address = |which: &'static str, text: &str| {
        text.parse::<Mailbox>().map_err(|e| MailError::BadAddress {
            which,
            reason: e.to_string(),
        })
    };
    let from = address("From", from)?;
    let message_id = format!("<{id}@{}>", from.email.domain());
    let builder = Message::builder()
        .message_id(Some(message_id))
        .from(from)
        .to(address("To", &email.to)?)
        .subject(email.subject.clone());
    match &email.ics {
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone()),
        Some(ics) => {
            let calendar = ContentType::parse("text/calendar; charset=utf-8")
                .map_err(|e| MailError::Message(format!("content type: {e}")))?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(email.body.clone()))
                    .singlepart(
                        Attachment::new("appointment.ics".into()).body(ics.clone(), calendar),
                    ),
            )
        }
    }
    .map_err(|e| MailError::Message(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::{Email, MailError, message};

    #[test]
    fn a_bad_address_is_a_permanent_failure() {
        let to_nobody = Email::text("not an address", "S".into(), "B".into());
        let err = message("DocSpot <noreply@docspot.test>", &to_nobody, "j1").unwrap_err();
        assert!(
            matches!(err, MailError::BadAddress { which: "To", .. }),
            "{err:?}"
        );
        assert!(err.is_permanent());
        let ok = Email::text("a@b.test", "S".into(), "B".into());
        assert!(
            message("not a sender", &ok, "j1")
                .unwrap_err()
                .is_permanent()
        );
    }

    #[test]
    fn the_message_id_is_the_jobs_so_a_resent_message_is_the_same_one() {
        let e = Email::text("a@b.test", "S".into(), "B".into());
        let from = "DocSpot <noreply@docspot.test>";
        let text = |id| String::from_utf8(message(from, &e, id).unwrap().formatted()).unwrap();
        let first = text("0193a0c4-5d2e-7c3a-9b1e-2f4d6a8c0e12");
        assert!(
            first.contains("Message-ID: <0193a0c4-5d2e-7c3a-9b1e-2f4d6a8c0e12@docspot.test>"),
            "{first}"
        );
        let again = text("0193a0c4-5d2e-7c3a-9b1e-2f4d6a8c0e12");
        let id_line = |t: &str| {
            t.lines()
                .find(|l| l.starts_with("Message-ID"))
                .map(str::to_owned)
        };
        assert_eq!(id_line(&first), id_line(&again));
    }

    #[test]
    fn deferrals_and_broken_connections_are_transient() {
        let deferred = MailError::Deferred {
            code: 451,
            text: "later".into(),
        };
        assert!(!deferred.is_permanent());
        assert!(!MailError::Transport("connection refused".into()).is_permanent());
        let rejected = MailError::Rejected {
            code: 550,
            text: "no".into(),
        };
        assert!(rejected.is_permanent());
    }
}
