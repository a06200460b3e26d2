//! Payments racing on one bill, on both databases: twenty at once with one
//! `Idempotency-Key` make one payment, and twenty different ones never pay a bill beyond
//! what is due.

use crate::backends::each_backend;
use crate::{
    billing::{bill_path, issued},
    fixtures::{desk, world},
    helpers::{TestApp, send_to},
};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// Sends the same payment from `n` tasks at once; their statuses.
async fn at_once(
    app: &TestApp,
    path: &str,
    token: &str,
    bodies: Vec<(Value, Option<String>)>,
) -> Vec<StatusCode> {
    let mut tasks = Vec::new();
    for (body, key) in bodies {
        let router = app.router.clone();
        let (path, token) = (path.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut req = TestApp::req(Method::POST, &path, Some(&token), Some(&body));
            if let Some(k) = key {
                req.headers_mut()
                    .insert("idempotency-key", k.parse().unwrap());
            }
            send_to(router, req).await.status
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn payment_rows(app: &TestApp) -> (i64, i64) {
    use sea_orm::ConnectionTrait;
    let c = app.state.store().conn();
    let r = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS s FROM payments",
        ))
        .await
        .unwrap()
        .unwrap();
    (r.try_get("", "n").unwrap(), r.try_get("", "s").unwrap())
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    twenty_payments_with_one_key_make_one_payment
);
async fn twenty_payments_with_one_key_make_one_payment(app: TestApp) {
    let w = world(&app, "idem").await;
    let desk = desk(&app, &w, "idem").await;
    let bill = issued(&app, &w, &desk, "2026-11-23T04:30:00Z").await;
    let body = json!({"parts": [{"method": "card", "amount_minor": 20_000, "reference": "T-778"}]});
    let sent = (0..20)
        .map(|_| (body.clone(), Some("pay-once-1".to_owned())))
        .collect();
    let statuses = at_once(&app, &bill_path(&w, &bill, "/payments"), &desk, sent).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{}: {statuses:?}", app.backend);
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(payment_rows(&app).await, (1, 20_000));
    let r = app.get(&bill_path(&w, &bill, ""), Some(&desk)).await;
    assert_eq!(r.body["paid_minor"], 20_000);
    assert_eq!(r.body["status"], "partly_paid");
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    twenty_concurrent_payments_never_overpay_a_bill
);
async fn twenty_concurrent_payments_never_overpay_a_bill(app: TestApp) {
    let w = world(&app, "overpay").await;
    let desk = desk(&app, &w, "overpay").await;
    let bill = issued(&app, &w, &desk, "2026-11-23T04:30:00Z").await;
    // 500.00 due; twenty card payments of 150.00 at once: at most three fit.
    let sent = (0..20)
        .map(|i| (json!({"parts": [{"method": "card", "amount_minor": 15_000, "reference": format!("T{i}")}]}), None))
        .collect();
    let statuses = at_once(&app, &bill_path(&w, &bill, "/payments"), &desk, sent).await;
    for s in &statuses {
        assert!(
            [
                StatusCode::CREATED,
                StatusCode::CONFLICT,
                StatusCode::UNPROCESSABLE_ENTITY
            ]
            .contains(s),
            "{}: {statuses:?}",
            app.backend
        );
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count() as i64;
    assert!((1..=3).contains(&created), "{statuses:?}");
    let (n, sum) = payment_rows(&app).await;
    assert_eq!((n, sum), (created, created * 15_000));
    let r = app.get(&bill_path(&w, &bill, ""), Some(&desk)).await;
    assert_eq!(
        r.body["paid_minor"], sum,
        "the bill agrees with its payments"
    );
    assert!(sum <= 50_000, "never beyond what is due");
}
