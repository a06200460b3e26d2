//! The waiting-room board (server-sent events, across instances on PostgreSQL) and the
//! patient's signed status link with its wait estimate. The clock reads Sunday 2026-11-22
//! 14:30 in the clinic (Asia/Kolkata).

use crate::backends::each_backend;
use crate::{
    helpers::TestApp,
    world::{World, desk, world},
};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub(crate) async fn walk_in(
    app: &TestApp,
    w: &World,
    desk: &str,
    name: &str,
    phone: &str,
    email: &str,
) -> Value {
    let r = app
        .post(
            &w.at("/patients"),
            Some(desk),
            json!({"name": name, "sex": "male", "age": "50", "phone": phone, "email": email}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            &w.at("/queue/tokens"),
            Some(desk),
            json!({"doctor_id": w.doctor, "patient_id": r.body["id"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

/// A GET without a login.
fn get(path: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap()
}

fn api_status(path: &str) -> String {
    format!("/api/v1/queue-status/{}", path.trim_start_matches("/q/"))
}

/// One consultation of `minutes` by the doctor of `slug`'s world (signed in afresh: the
/// clock moves past the access token's life).
async fn consult(app: &TestApp, w: &World, slug: &str, minutes: i64) {
    let doc = &app.login(&format!("doc@{slug}.test")).await.0;
    let r = app
        .post(
            &w.at(&format!("/queue/doctors/{}/call-next", w.doctor)),
            Some(doc),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{id}/start")),
            Some(doc),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.advance(jiff::SignedDuration::from_mins(minutes));
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{id}/end")),
            Some(doc),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

each_backend!(a_patient_follows_their_token_by_a_signed_link_with_a_wait_range_from_recent_visits);
async fn a_patient_follows_their_token_by_a_signed_link_with_a_wait_range_from_recent_visits(
    app: TestApp,
) {
    let w = world(&app, "wait").await;
    let desk = desk(&app, &w, "wait").await;
    let mut tokens = Vec::new();
    for i in 0..6 {
        let email = if i == 5 { "kavya@wait.test" } else { "" };
        let name = if i == 5 {
            "Kavya Nair".to_owned()
        } else {
            format!("Patient {i}")
        };
        tokens.push(walk_in(&app, &w, &desk, &name, &format!("98450{i:05}"), email).await);
    }
    let kavya = &tokens[5];
    let path = kavya["status_path"].as_str().unwrap().to_owned();
    assert!(
        path.starts_with(&format!("/q/{}/", kavya["id"].as_str().unwrap())),
        "{path}"
    );
    let sent: Vec<String> = app
        .deliver_mail()
        .await
        .into_iter()
        .map(|(_, m)| crate::helpers::quoted_printable_flat(&m))
        .filter(|m| m.contains("Your token"))
        .collect();
    assert_eq!(sent.len(), 1, "patients without an address get no e-mail");
    assert!(
        sent[0].contains("kavya@wait.test")
            && sent[0].contains(&format!("http://docspot.test{path}"))
            && sent[0].contains("number 6"),
        "{}",
        sent[0]
    );

    // Nobody seen yet today: half to one and a half of the doctor's 15-minute visit type
    // per patient ahead (7.5–22.5 minutes, rounded outwards).
    let r = app.get(&api_status(&path), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["ahead"].as_u64(), r.body["status"].as_str()),
        (Some(5), Some("waiting"))
    );
    assert_eq!(
        (
            r.body["wait_min_minutes"].as_u64(),
            r.body["wait_max_minutes"].as_u64()
        ),
        (Some(37), Some(113))
    );
    assert_eq!(r.body["estimate_samples"], 0);

    // Three consultations of 12, 8 and 10 minutes: now 8–12 minutes per patient.
    for m in [12, 8, 10] {
        consult(&app, &w, "wait", m).await;
    }
    let r = app.get(&api_status(&path), None).await;
    assert_eq!(
        (
            r.body["ahead"].as_u64(),
            r.body["estimate_samples"].as_u64()
        ),
        (Some(2), Some(3)),
        "{}",
        r.text
    );
    assert_eq!(
        (
            r.body["wait_min_minutes"].as_u64(),
            r.body["wait_max_minutes"].as_u64()
        ),
        (Some(16), Some(24)),
        "{}",
        r.text
    );
    let page = app.send(get(&path)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("2 patients before you.") && page.text.contains("16–24 minutes"),
        "{}",
        page.text
    );

    // A wrong or borrowed signature finds nothing.
    let other = tokens[0]["status_path"].as_str().unwrap();
    let (mine_id, mine_sig) = path.trim_start_matches("/q/").split_once('/').unwrap();
    let (_, other_sig) = other.trim_start_matches("/q/").split_once('/').unwrap();
    for bad in [
        format!("/q/{mine_id}/{other_sig}"),
        format!("/q/{mine_id}/{}", "0".repeat(32)),
        format!("/q/{mine_id}/{}", &mine_sig[..20]),
        format!("/q/not-a-token/{mine_sig}"),
    ] {
        let r = app.get(&api_status(&bad), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }

    // Called: the page says so; moved: it points to the new token.
    for _ in 0..2 {
        consult(&app, &w, "wait", 9).await;
    }
    let r = app
        .post(
            &w.at(&format!("/queue/doctors/{}/call-next", w.doctor)),
            Some(&app.login("doc@wait.test").await.0),
            json!({}),
        )
        .await;
    assert_eq!(r.body["number"], 6);
    let r = app.get(&api_status(&path), None).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["ahead"].as_u64()),
        (Some("called"), None)
    );
    let page = app.send(get(&path)).await;
    assert!(page.text.contains("Please go in now."), "{}", page.text);
}

each_backend!(the_board_shows_numbers_and_initials_only);
async fn the_board_shows_numbers_and_initials_only(app: TestApp) {
    let w = world(&app, "tvboard").await;
    let desk = desk(&app, &w, "tvboard").await;
    walk_in(&app, &w, &desk, "Kavya Nair", "9845011111", "").await;
    walk_in(&app, &w, &desk, "Arjun Mehta", "9845022222", "").await;
    app.post(
        &w.at(&format!("/queue/doctors/{}/call-next", w.doctor)),
        Some(&w.doctor_token),
        json!({}),
    )
    .await;
    let page = app.send(get("/c/tvboard/board")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("K. N.")
            && page.text.contains("A. M.")
            && page.text.contains("Please go in")
            && page.text.contains(r#"data-live="/c/tvboard/board/events""#),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("Kavya") && !page.text.contains("Mehta"),
        "no names on the board"
    );
    let page = app.send(get("/c/nowhere/board")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

/// Serves `app` on a loopback port (as `docspot serve` would) and returns its base URL.
pub(crate) async fn bind(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// Reads server-sent events until a `name` event whose data contains `marker`.
pub(crate) async fn event_with(
    resp: &mut reqwest::Response,
    buf: &mut String,
    name: &str,
    marker: &str,
) {
    loop {
        if let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if event.contains(&format!("event: {name}\n")) && event.contains(marker) {
                return;
            }
            continue;
        }
        let chunk = resp.chunk().await.unwrap().expect("the stream stays open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    an_open_board_updates_within_a_second_also_from_another_instance
);
async fn an_open_board_updates_within_a_second_also_from_another_instance(app: TestApp) {
    let w = world(&app, "live").await;
    let desk = desk(&app, &w, "live").await;
    // On PostgreSQL the board watches a second instance with its own pool and state.
    let second = if app.backend == "postgres" {
        Some(app.second_instance().await)
    } else {
        None
    };
    let watched = bind(second.as_ref().unwrap_or(&app)).await;
    let client = reqwest::Client::new();
    let mut resp = client
        .get(format!("{watched}/c/live/board/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut buf = String::new();
    tokio::time::timeout(
        Duration::from_secs(5),
        event_with(&mut resp, &mut buf, "board", "No tokens yet today"),
    )
    .await
    .expect("the board is drawn at once");
    for (i, name) in ["Kavya Nair", "Arjun Mehta", "Zoya Qureshi"]
        .iter()
        .enumerate()
    {
        let t0 = Instant::now();
        walk_in(&app, &w, &desk, name, &format!("98450{i:05}"), "").await;
        let initials: String = name
            .split(' ')
            .map(|p| format!("{}.", &p[..1]))
            .collect::<Vec<_>>()
            .join(" ");
        tokio::time::timeout(
            Duration::from_secs(1),
            event_with(&mut resp, &mut buf, "board", &initials),
        )
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{}: the board showed {name}'s token within a second",
                app.backend
            )
        });
        assert!(t0.elapsed() < Duration::from_secs(2));
    }
    let t0 = Instant::now();
    app.post(
        &w.at(&format!("/queue/doctors/{}/call-next", w.doctor)),
        Some(&w.doctor_token),
        json!({}),
    )
    .await;
    tokio::time::timeout(
        Duration::from_secs(1),
        event_with(&mut resp, &mut buf, "board", "Please go in"),
    )
    .await
    .expect("the call reaches the board within a second");
    assert!(t0.elapsed() < Duration::from_secs(2));
}
