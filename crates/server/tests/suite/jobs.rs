//! The worker's bookkeeping: unknown kinds are reported rather than guessed at, and a test
//! that leaves a job claimed but never finished fails.

use crate::backends::each_backend;
use crate::helpers::TestApp;
use docspot_server::jobs;
use store::testing::TestDb;

each_backend!(an_unknown_job_kind_is_reported_and_not_retried);
async fn an_unknown_job_kind_is_reported_and_not_retried(app: TestApp) {
    let conn = app.state.store().conn();
    let now = app.state.now();
    let id = store::jobs::enqueue(
        conn,
        None,
        "fax.send",
        &serde_json::json!({"to": "+44 20 7946 0000"}),
        now,
        now,
    )
    .await
    .unwrap();

    assert_eq!(jobs::run_jobs(&app.state, &app.mailer).await.unwrap(), 1);
    let (status, attempts, _) = store::jobs::status(conn, id).await.unwrap().unwrap();
    assert_eq!(
        (status.as_str(), attempts),
        ("failed", 1),
        "{}: failed on its first run",
        app.backend
    );
    let failed = store::jobs::in_status(conn, "failed", 10).await.unwrap();
    assert_eq!(
        failed[0].last_error.as_deref(),
        Some("unknown job kind \"fax.send\""),
        "{}",
        app.backend
    );

    app.advance(jiff::SignedDuration::from_hours(24));
    assert_eq!(
        jobs::run_jobs(&app.state, &app.mailer).await.unwrap(),
        0,
        "{}: never retried",
        app.backend
    );
    let metrics = app.get("/metrics", None).await;
    assert!(
        metrics
            .text
            .lines()
            .any(|l| l.starts_with("jobs_unknown_total ")),
        "{}: counted: {}",
        app.backend,
        metrics.text
    );
}

each_backend!(jobs_queued_for_later_are_not_stuck);
async fn jobs_queued_for_later_are_not_stuck(app: TestApp) {
    let conn = app.state.store().conn();
    let now = app.state.now();
    let tomorrow = now + jiff::SignedDuration::from_hours(24);
    let email =
        docspot_server::app::mail::Email::text("later@jobs.test", "Later".into(), "Body".into());
    docspot_server::app::mail::enqueue(conn, None, &email, tomorrow)
        .await
        .unwrap();
    assert!(app.deliver_mail().await.is_empty(), "{}", app.backend);
    assert_eq!(store::jobs::count(conn, "queued").await.unwrap(), 1);
}

/// Takes the lease of the next due job, as a worker that dies mid-job would.
async fn claim_and_abandon(app: &TestApp) {
    let tx = app.state.store().write().await.unwrap();
    let lease = jiff::SignedDuration::from_mins(5);
    let job = store::jobs::claim(&tx, app.state.now(), lease)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(job.is_some(), "a job was due");
}

#[tokio::test]
#[should_panic(expected = "the test left jobs stuck")]
async fn a_test_that_leaves_a_job_claimed_fails_when_its_app_is_dropped() {
    let app = TestApp::new(TestDb::sqlite().await).await;
    app.register("stuck@jobs.test", "Stuck").await;
    claim_and_abandon(&app).await;
}

#[tokio::test]
#[should_panic(expected = "jobs stuck")]
async fn delivering_mail_fails_on_a_job_left_claimed() {
    let app = TestApp::new(TestDb::sqlite().await).await;
    app.register("stuck@jobs.test", "Stuck").await;
    claim_and_abandon(&app).await;
    app.deliver_mail().await;
}
