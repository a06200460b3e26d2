//! An SMTP server on loopback: enough of RFC 5321 for lettre (EHLO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT). It keeps each accepted message's envelope and data, and refuses the next
//! messages with the replies it is given (`451` to make the sender try later, `550` to
//! bounce for good).

use docspot_server::notify::email::{Mailer, SmtpMailer};
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope recipients, as given to `RCPT TO`.
    pub rcpt: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, lines ending in `\n`.
    pub data: String,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Replies for the next messages' `RCPT TO`, in order, one per message.
    refusals: VecDeque<String>,
}

/// A running fake SMTP server; it stops with the test's runtime.
pub struct SmtpFake {
    port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl SmtpFake {
    /// Binds a free port on 127.0.0.1 and serves.
    pub async fn start() -> SmtpFake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let serving = shared.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(session(sock, serving.clone()));
            }
        });
        SmtpFake { port, shared }
    }

    /// A mailer that sends here.
    pub fn mailer(&self) -> Mailer {
        Mailer::Smtp(SmtpMailer::from_url(&format!("smtp://127.0.0.1:{}", self.port)).unwrap())
    }

    /// Answers the next message's recipient with `code text` instead of `250`: a 4xx says
    /// "try later", a 5xx "never". Calls queue up, one per message.
    pub fn refuse_next(&self, code: u16, text: &str) {
        assert!((400..600).contains(&code), "{code} is not a refusal");
        self.shared
            .lock()
            .unwrap()
            .refusals
            .push_back(format!("{code} {text}"));
    }

    /// The messages accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }
}

/// A reply line as sent.
fn reply(text: String) -> Vec<u8> {
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"\r\n");
    bytes
}

/// One client connection, until QUIT or hang-up.
async fn session(sock: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r).lines();
    let mut rcpt = Vec::new();
    let mut refusal: Option<String> = None;
    if w.write_all(&reply("220 fake.test ESMTP".into()))
        .await
        .is_err()
    {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" | "HELO" => "250-fake.test\r\n250 8BITMIME".to_owned(),
            "MAIL" => {
                rcpt.clear();
                refusal = shared.lock().unwrap().refusals.pop_front();
                "250 OK".to_owned()
            }
            "RCPT" => match &refusal {
                Some(refused) => refused.clone(),
                None => {
                    rcpt.push(line[8..].trim().to_owned());
                    "250 OK".to_owned()
                }
            },
            "DATA" if rcpt.is_empty() => "554 no valid recipients".to_owned(),
            "DATA" => {
                if w.write_all(&reply("354 go ahead".into())).await.is_err() {
                    return;
                }
                let mut data = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push('\n');
                }
                shared.lock().unwrap().received.push(Received {
                    rcpt: std::mem::take(&mut rcpt),
                    data,
                });
                "250 queued".to_owned()
            }
            "RSET" => {
                rcpt.clear();
                refusal = None;
                "250 OK".to_owned()
            }
            "QUIT" => {
                let _ = w.write_all(&reply("221 bye".into())).await;
                return;
            }
            _ => "250 OK".to_owned(),
        };
        if w.write_all(&reply(answer)).await.is_err() {
            return;
        }
    }
}
