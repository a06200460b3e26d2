//! The order of the queue's numbers: drawn without gaps or reuse under concurrent issues
//! (two instances on PostgreSQL), and called in number order even when the requests read
//! the clock out of order.

use crate::backends::each_backend;
use crate::{
    fixtures::{desk, patient_record, world},
    helpers::{TestApp, send_to},
    queue::{issue, waiting},
};
use axum::http::{Method, StatusCode};
use serde_json::json;

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_issues_give_gap_free_numbers_that_are_never_reused
);
async fn concurrent_issues_give_gap_free_numbers_that_are_never_reused(app: TestApp) {
    let w = world(&app, "burst").await;
    let desk = desk(&app, &w, "burst").await;
    let clinic = w.clinic.parse().unwrap();
    let mut ids = Vec::new();
    for i in 0..30 {
        let name = format!("Burst Patient {i}");
        let record = patient_record(&app, clinic, None, &name, &format!("98450{i:05}")).await;
        ids.push(record.to_string());
    }
    // Two instances on PostgreSQL; SQLite serves one process.
    let routers = if app.backend == "postgres" {
        [
            app.router.clone(),
            app.second_instance().await.router.clone(),
        ]
    } else {
        [app.router.clone(), app.router.clone()]
    };
    let mut tasks = Vec::new();
    // Every patient twice: the second request of each must be refused, taking no number.
    for (i, id) in ids.iter().chain(ids.iter()).enumerate() {
        let router = routers[i % 2].clone();
        let (path, desk) = (w.at("/queue/tokens"), desk.clone());
        let body = json!({"doctor_id": w.doctor, "patient_id": id});
        tasks.push(tokio::spawn(async move {
            let req = TestApp::req(Method::POST, &path, Some(&desk), Some(&body));
            send_to(router, req).await
        }));
    }
    let mut issued = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::CREATED => issued.push(r.body["number"].as_i64().unwrap()),
            StatusCode::CONFLICT => {}
            other => panic!("{}: unexpected {other}: {}", app.backend, r.text),
        }
    }
    issued.sort_unstable();
    assert_eq!(issued, (1..=30).collect::<Vec<i64>>(), "{}", app.backend);
    let q = app.get(&w.at("/queue"), Some(&desk)).await;
    assert_eq!(q.body[0]["waiting"].as_array().unwrap().len(), 30);
    assert_eq!(
        waiting(&app, &w, &desk).await,
        issued,
        "{}: walk-ins of one priority are called in number order",
        app.backend
    );
}

each_backend!(walk_ins_are_called_in_number_order_even_when_their_clock_readings_run_backwards);
/// Each request reads the clock before it waits for its turn to write, so a request that
/// draws a later number may have read an earlier time (and a wall clock can step back).
/// The arrival stamped with the number never puts a later number first.
async fn walk_ins_are_called_in_number_order_even_when_their_clock_readings_run_backwards(
    app: TestApp,
) {
    let w = world(&app, "qclock").await;
    let desk = desk(&app, &w, "qclock").await;
    let clinic = w.clinic.parse().unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let name = format!("Clock Patient {i}");
        let record = patient_record(&app, clinic, None, &name, &format!("98451{i:05}")).await;
        ids.push(record.to_string());
    }
    let mut numbers = Vec::new();
    for id in &ids {
        let r = issue(&app, &w, &desk, id, "normal").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        numbers.push(r.body["number"].as_i64().unwrap());
        app.clock.advance(jiff::SignedDuration::from_millis(-250));
    }
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    assert_eq!(
        waiting(&app, &w, &desk).await,
        numbers,
        "{}: #1 is called first",
        app.backend
    );
}
