//! The staff queue page follows the queue live, like the board (server-sent events, across
//! instances on PostgreSQL), but with names: so only staff of that clinic may follow it, and
//! a stream ends once its viewer has signed out.

use crate::backends::each_backend;
use crate::{
    board::{bind, event_with, walk_in},
    helpers::{TestApp, page_get},
    world::{desk, world},
};
use axum::http::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// Opens the queue's event stream of `clinic` at `base`, signed in with `token`.
async fn follow(base: &str, clinic: &str, token: &str) -> reqwest::Response {
    let resp = reqwest::Client::new()
        .get(format!("{base}/clinics/{clinic}/queue/events"))
        .header("cookie", format!("ds_access={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    resp
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    an_open_queue_page_shows_each_change_within_a_second_also_from_another_instance
);
async fn an_open_queue_page_shows_each_change_within_a_second_also_from_another_instance(
    app: TestApp,
) {
    let w = world(&app, "livequeue").await;
    let desk = desk(&app, &w, "livequeue").await;
    let page = app
        .send(page_get(&format!("/clinics/{}/queue", w.clinic), &desk))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains(&format!(
            r#"data-live="/clinics/{}/queue/events" data-live-event="queue""#,
            w.clinic
        )) && page.text.contains(&format!(
            r#"<a href="/clinics/{}/queue">Refresh</a>"#,
            w.clinic
        )),
        "the list is a live region with a refresh link for pages without JavaScript: {}",
        page.text
    );
    // On PostgreSQL the doctor watches a second instance with its own pool and state.
    let second = if app.backend == "postgres" {
        Some(app.second_instance().await)
    } else {
        None
    };
    let watched = bind(second.as_ref().unwrap_or(&app)).await;
    let mut resp = follow(&watched, &w.clinic, &w.doctor_token).await;
    let mut buf = String::new();
    tokio::time::timeout(
        Duration::from_secs(5),
        event_with(&mut resp, &mut buf, "queue", "Nobody waiting."),
    )
    .await
    .expect("the doctor's own empty queue is drawn at once");

    let t0 = Instant::now();
    let token = walk_in(&app, &w, &desk, "Kavya Nair", "9845011111", "").await;
    tokio::time::timeout(
        Duration::from_secs(1),
        event_with(&mut resp, &mut buf, "queue", "Kavya Nair"),
    )
    .await
    .unwrap_or_else(|_| panic!("{}: the new token within a second", app.backend));
    assert!(t0.elapsed() < Duration::from_secs(2));

    let r = app
        .post(
            &w.at(&format!(
                "/queue/tokens/{}/skip",
                token["id"].as_str().unwrap()
            )),
            Some(&desk),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    tokio::time::timeout(
        Duration::from_secs(1),
        event_with(&mut resp, &mut buf, "queue", "<h3>Skipped</h3>"),
    )
    .await
    .unwrap_or_else(|_| panic!("{}: the skip within a second", app.backend));
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    only_staff_of_the_clinic_may_follow_its_queue_and_a_stream_ends_at_sign_out
);
async fn only_staff_of_the_clinic_may_follow_its_queue_and_a_stream_ends_at_sign_out(app: TestApp) {
    let w = world(&app, "ownqueue").await;
    let other = world(&app, "otherqueue").await;
    let desk = desk(&app, &w, "ownqueue").await;
    let events = format!("/clinics/{}/queue/events", w.clinic);
    let anonymous = app
        .send(
            axum::http::Request::get(&events)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::NOT_FOUND,
        "{}",
        anonymous.text
    );
    for (who, token) in [
        ("a patient", &w.patient),
        ("another clinic's admin", &other.admin),
        ("another clinic's doctor", &other.doctor_token),
    ] {
        let r = app.send(page_get(&events, token)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}: {who}", app.backend);
        assert!(!r.text.contains("event:"), "{who} gets no stream");
    }
    let r = app
        .send(page_get("/clinics/not-a-clinic/queue/events", &desk))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let base = bind(&app).await;
    let mut resp = follow(&base, &w.clinic, &desk).await;
    let mut buf = String::new();
    tokio::time::timeout(
        Duration::from_secs(5),
        event_with(&mut resp, &mut buf, "queue", "No tokens yet today."),
    )
    .await
    .expect("drawn at once");
    let r = app
        .post("/api/v1/auth/logout", Some(&desk), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // The admin issues the next token; the signed-out desk must not see it.
    walk_in(&app, &w, &w.admin, "Zoya Qureshi", "9845022222", "").await;
    let rest = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(chunk) = resp.chunk().await.unwrap() {
            buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(
        rest.is_ok(),
        "{}: the stream ends after sign-out",
        app.backend
    );
    assert!(!buf.contains("Zoya"), "{}: {buf}", app.backend);
}
