//! E-mail through the outbox: a real SMTP conversation with a loopback server, retries with
//! backoff, and the same-transaction guarantee.

use crate::backends::each_backend;
use crate::{fakes::SmtpFake, helpers::TestApp};
use docspot_server::{jobs, notify::email::Mailer};
use tokio::net::TcpListener;

each_backend!(invitation_mail_goes_out_over_smtp);
async fn invitation_mail_goes_out_over_smtp(app: TestApp) {
    let sink = SmtpFake::start().await;
    let mailer = sink.mailer();
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
    let got = sink.received();
    assert_eq!(got.len(), 1, "{}", app.backend);
    assert!(
        got[0].rcpt[0].contains("boss@mail.test"),
        "envelope {:?}",
        got[0].rcpt
    );
    assert!(
        got[0]
            .data
            .contains("Subject: You are invited to Mail Clinic on DocSpot"),
        "{}",
        got[0].data
    );
    assert!(got[0].data.contains("/invite?token="), "{}", got[0].data);
    assert_eq!(
        store::jobs::count(app.state.store().conn(), "done")
            .await
            .unwrap(),
        1
    );
}

each_backend!(a_failed_send_is_retried_with_backoff_and_then_delivered);
async fn a_failed_send_is_retried_with_backoff_and_then_delivered(app: TestApp) {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = Mailer::new(
        Some(&format!("smtp://127.0.0.1:{dead_port}")),
        &app.data_dir,
    )
    .unwrap();
    app.post(
        "/api/v1/auth/register",
        None,
        serde_json::json!({"email": "r@retry.test", "name": "R", "password": crate::helpers::PW}),
    )
    .await;
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

    let sink = SmtpFake::start().await;
    let up = sink.mailer();
    app.advance(jiff::SignedDuration::from_secs(10));
    assert!(
        jobs::run_once(&app.state, &up).await.unwrap(),
        "{}: due after 10 s",
        app.backend
    );
    assert_eq!(sink.received().len(), 1);
    assert_eq!(
        store::jobs::count(conn, "done").await.unwrap(),
        2,
        "{}: the address confirmation, then the reset",
        app.backend
    );
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

each_backend!(a_4xx_reply_is_retried_later_and_then_delivered);
async fn a_4xx_reply_is_retried_later_and_then_delivered(app: TestApp) {
    let smtp = SmtpFake::start().await;
    smtp.refuse_next(451, "4.7.1 greylisted, try again later");
    let mailer = smtp.mailer();
    app.register("g@grey.test", "G").await; // queues the address confirmation

    assert!(jobs::run_once(&app.state, &mailer).await.unwrap());
    let conn = app.state.store().conn();
    let queued = store::jobs::in_status(conn, "queued", 10).await.unwrap();
    assert_eq!(queued.len(), 1, "{}: back in the queue", app.backend);
    assert_eq!(queued[0].attempts, 1, "{}", app.backend);
    assert_eq!(
        queued[0].run_at,
        crate::helpers::start_time() + jiff::SignedDuration::from_secs(10),
        "{}: after the first backoff",
        app.backend
    );
    let reason = queued[0].last_error.clone().unwrap_or_default();
    assert!(
        reason.contains("451") && reason.contains("greylisted"),
        "{}: the reason is recorded: {reason}",
        app.backend
    );
    assert_eq!(
        jobs::run_jobs(&app.state, &mailer).await.unwrap(),
        0,
        "{}: not due before its backoff",
        app.backend
    );
    assert!(smtp.received().is_empty(), "{}", app.backend);

    app.advance(jiff::SignedDuration::from_secs(10));
    assert_eq!(jobs::run_jobs(&app.state, &mailer).await.unwrap(), 1);
    let got = smtp.received();
    assert_eq!(got.len(), 1, "{}: delivered on the retry", app.backend);
    assert!(got[0].rcpt[0].contains("g@grey.test"), "{:?}", got[0].rcpt);
    assert!(
        got[0]
            .data
            .contains("Subject: Confirm your e-mail address for DocSpot"),
        "{}",
        got[0].data
    );
    assert_eq!(store::jobs::count(conn, "done").await.unwrap(), 1);
    assert_eq!(store::jobs::count(conn, "failed").await.unwrap(), 0);
}

each_backend!(a_5xx_reply_fails_the_job_at_once_with_the_reason_recorded);
async fn a_5xx_reply_fails_the_job_at_once_with_the_reason_recorded(app: TestApp) {
    let smtp = SmtpFake::start().await;
    smtp.refuse_next(550, "5.1.1 no such mailbox");
    let mailer = smtp.mailer();
    app.register("gone@bounce.test", "Gone").await;

    assert_eq!(jobs::run_jobs(&app.state, &mailer).await.unwrap(), 1);
    let conn = app.state.store().conn();
    let failed = store::jobs::in_status(conn, "failed", 10).await.unwrap();
    assert_eq!(failed.len(), 1, "{}: given up at once", app.backend);
    assert_eq!(failed[0].kind, "email");
    assert_eq!(failed[0].attempts, 1, "{}: one attempt only", app.backend);
    let reason = failed[0].last_error.clone().unwrap_or_default();
    assert!(
        reason.contains("550") && reason.contains("no such mailbox"),
        "{}: the reason is recorded: {reason}",
        app.backend
    );

    app.advance(jiff::SignedDuration::from_hours(24));
    assert_eq!(
        jobs::run_jobs(&app.state, &mailer).await.unwrap(),
        0,
        "{}: never retried",
        app.backend
    );
    assert!(smtp.received().is_empty(), "{}", app.backend);
    assert_eq!(store::jobs::count(conn, "queued").await.unwrap(), 0);
}

each_backend!(a_message_to_a_bad_address_fails_at_once_without_reaching_the_server);
async fn a_message_to_a_bad_address_fails_at_once_without_reaching_the_server(app: TestApp) {
    let smtp = SmtpFake::start().await;
    let conn = app.state.store().conn();
    let email =
        docspot_server::app::mail::Email::text("not an address", "Hello".into(), "Body".into());
    docspot_server::app::mail::enqueue(conn, None, &email, app.state.now())
        .await
        .unwrap();

    assert_eq!(jobs::run_jobs(&app.state, &smtp.mailer()).await.unwrap(), 1);
    let failed = store::jobs::in_status(conn, "failed", 10).await.unwrap();
    assert_eq!(failed.len(), 1, "{}", app.backend);
    let reason = failed[0].last_error.clone().unwrap_or_default();
    assert!(
        reason.contains("bad To address"),
        "{}: {reason}",
        app.backend
    );
    assert!(smtp.received().is_empty());
}
