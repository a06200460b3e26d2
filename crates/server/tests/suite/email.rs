//! E-mail through the outbox: a real SMTP conversation with a loopback server, retries with
//! backoff, and the same-transaction guarantee.

use crate::helpers::TestApp;
use docspot_server::{jobs, notify::email::Mailer};
use std::sync::{Arc, Mutex};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// Envelope recipients and message data of each accepted message.
type Received = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server on loopback that records each message's envelope and data.
struct SmtpSink {
    port: u16,
    messages: Received,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages: Received = Arc::new(Mutex::new(Vec::new()));
        let sink = messages.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    w.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                    let mut rcpt = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                            w.write_all(b"250-sink.test\r\n250 8BITMIME\r\n")
                                .await
                                .unwrap();
                        } else if upper.starts_with("MAIL FROM") {
                            w.write_all(b"250 OK\r\n").await.unwrap();
                        } else if upper.starts_with("RCPT TO") {
                            rcpt.push(line[8..].trim().to_owned());
                            w.write_all(b"250 OK\r\n").await.unwrap();
                        } else if upper == "DATA" {
                            w.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            sink.lock().unwrap().push((std::mem::take(&mut rcpt), data));
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else if upper == "QUIT" {
                            w.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        } else {
                            w.write_all(b"250 OK\r\n").await.unwrap();
                        }
                    }
                });
            }
        });
        SmtpSink { port, messages }
    }
}

#[tokio::test]
async fn invitation_mail_goes_out_over_smtp() {
    for app in TestApp::each().await {
        let sink = SmtpSink::start().await;
        let mailer = Mailer::new(
            Some(&format!("smtp://127.0.0.1:{}", sink.port)),
            &app.data_dir,
        )
        .unwrap();
        let root = app.platform_admin("root@smtp.test").await;
        let r = app
            .post(
                "/api/v1/clinics",
                Some(&root),
                serde_json::json!({"name": "Mail Clinic", "slug": "mail", "time_zone": "Europe/London", "currency": "GBP", "admin_email": "boss@mail.test"}),
            )
            .await;
        assert_eq!(r.status, 201);
        assert!(jobs::run_once(&app.state, &mailer).await.unwrap());
        assert!(
            !jobs::run_once(&app.state, &mailer).await.unwrap(),
            "{}: nothing left",
            app.backend
        );
        let got = sink.messages.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{}", app.backend);
        assert!(
            got[0].0[0].contains("boss@mail.test"),
            "envelope {:?}",
            got[0].0
        );
        assert!(
            got[0]
                .1
                .contains("Subject: You are invited to Mail Clinic on DocSpot"),
            "{}",
            got[0].1
        );
        assert!(got[0].1.contains("/invite?token="), "{}", got[0].1);
        assert_eq!(
            store::jobs::count(app.state.store().conn(), "done")
                .await
                .unwrap(),
            1
        );
    }
}

#[tokio::test]
async fn a_failed_send_is_retried_with_backoff_and_then_delivered() {
    for app in TestApp::each().await {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dead_port = closed.local_addr().unwrap().port();
        drop(closed);
        let down = Mailer::new(
            Some(&format!("smtp://127.0.0.1:{dead_port}")),
            &app.data_dir,
        )
        .unwrap();
        app.post("/api/v1/auth/register", None, serde_json::json!({"email": "r@retry.test", "name": "R", "password": crate::helpers::PW})).await;
        app.deliver_mail().await; // the address confirmation
        app.post(
            "/api/v1/auth/password-reset",
            None,
            serde_json::json!({"email": "r@retry.test"}),
        )
        .await;

        assert!(jobs::run_once(&app.state, &down).await.unwrap());
        let conn = app.state.store().conn();
        assert_eq!(
            store::jobs::count(conn, "queued").await.unwrap(),
            1,
            "{}: back in the queue",
            app.backend
        );
        assert!(
            !jobs::run_once(&app.state, &down).await.unwrap(),
            "{}: not due before its backoff",
            app.backend
        );

        let sink = SmtpSink::start().await;
        let up = Mailer::new(
            Some(&format!("smtp://127.0.0.1:{}", sink.port)),
            &app.data_dir,
        )
        .unwrap();
        app.advance(jiff::SignedDuration::from_secs(10));
        assert!(
            jobs::run_once(&app.state, &up).await.unwrap(),
            "{}: due after 10 s",
            app.backend
        );
        assert_eq!(sink.messages.lock().unwrap().len(), 1);
        assert_eq!(
            store::jobs::count(conn, "done").await.unwrap(),
            2,
            "{}: the address confirmation, then the reset",
            app.backend
        );
    }
}

#[tokio::test]
async fn the_default_transport_writes_eml_files_under_the_data_folder() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    app.post(
        "/api/v1/auth/register",
        None,
        serde_json::json!({"email": "f@file.test", "name": "F", "password": crate::helpers::PW}),
    )
    .await;
    app.post(
        "/api/v1/auth/password-reset",
        None,
        serde_json::json!({"email": "f@file.test"}),
    )
    .await;
    let mails = app.deliver_mail().await;
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|(name, _)| name.ends_with(".eml")));
    assert!(
        mails
            .iter()
            .any(|(_, m)| m.contains("Subject: Reset your DocSpot password"))
    );
    assert!(
        mails
            .iter()
            .any(|(_, m)| m.contains("Subject: Confirm your e-mail address for DocSpot"))
    );
    assert!(app.data_dir.join("outbox").join(&mails[0].0).exists());
}
