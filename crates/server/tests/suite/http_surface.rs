//! Health, metrics, OpenAPI, security headers, request ids, CSRF, malformed input.

use crate::backends::each_backend;
use crate::helpers::{PW, TestApp};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["status"], "ready");
    app.register("metrics@example.com", "Metric Reader").await;
    let m = app.get("/metrics", None).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.text.contains("http_requests_total"), "{}", m.text);
    // SQLite's writer says how many write transactions its commits took.
    let count = |name: &str| -> u64 {
        let line = m
            .text
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| {
                panic!("{name} missing: {}", m.text);
            });
        line[name.len()..].trim().parse().unwrap()
    };
    let (transactions, commits) = (
        count("docspot_sqlite_write_transactions_total "),
        count("docspot_sqlite_commits_total "),
    );
    assert!(
        commits >= 1 && commits <= transactions,
        "{transactions} in {commits}"
    );
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    for path in ["/", "/login", "/api/v1/me", "/api/v1/nope"] {
        let r = app.get(path, None).await;
        let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{path}: {csp}"
        );
        assert_eq!(
            r.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{path}"
        );
        assert_eq!(r.headers[header::REFERRER_POLICY], "no-referrer", "{path}");
        assert!(r.headers.contains_key("x-request-id"), "{path}");
        assert!(
            !r.headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
            "{path}: no HSTS over plain HTTP"
        );
    }
    let r = app.get("/api/v1/me", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.body["request_id"],
        r.headers["x-request-id"].to_str().unwrap(),
        "problem names the request id"
    );

    let tls = TestApp::with(store::testing::TestDb::sqlite().await, |s| s.tls = true).await;
    assert!(
        tls.get("/", None)
            .await
            .headers
            .contains_key(header::STRICT_TRANSPORT_SECURITY),
        "HSTS over TLS"
    );
}

each_backend!(malformed_requests_get_4xx_problems_never_500);
async fn malformed_requests_get_4xx_problems_never_500(app: TestApp) {
    app.register("m@example.com", "M").await;
    let (token, _) = app.login("m@example.com").await;
    let raw = |method: Method, path: &str, ctype: Option<&str>, body: Vec<u8>| {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(c) = ctype {
            b = b.header(header::CONTENT_TYPE, c);
        }
        b.body(Body::from(body)).unwrap()
    };
    let cases = [
        (
            raw(
                Method::POST,
                "/api/v1/auth/login",
                Some("application/json"),
                b"{not json".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/auth/login",
                Some("text/plain"),
                b"{}".to_vec(),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            raw(Method::POST, "/api/v1/auth/login", None, b"{}".to_vec()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/auth/login",
                Some("application/json"),
                br#"{"email":"a@b.c","password":"x","admin":true}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/auth/login",
                Some("application/json"),
                br#"{"email":5}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/auth/register",
                Some("application/json"),
                vec![b' '; 2 * 1024 * 1024],
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            raw(Method::GET, "/api/v1/clinics?limit=lots", None, vec![]),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(Method::GET, "/api/v1/does-not-exist", None, vec![]),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (req, want) in cases {
        let label = format!("{} {}", req.method(), req.uri());
        let r = app.send(req).await;
        assert_eq!(r.status, want, "{}: {label}: {}", app.backend, r.text);
        if want != StatusCode::PAYLOAD_TOO_LARGE || r.headers.get(header::CONTENT_TYPE).is_some() {
            assert_eq!(
                r.headers[header::CONTENT_TYPE],
                "application/problem+json",
                "{label}"
            );
        }
    }
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_changes_nothing() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    app.register("v@example.com", "Victim").await;
    let (access, _) = app.login("v@example.com").await;
    let forged = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/logout")
        .header(header::COOKIE, format!("ds_access={access}"))
        .header("sec-fetch-site", "cross-site")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::empty())
        .unwrap();
    let r = app.send(forged).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(
        app.me_status(&access).await,
        StatusCode::OK,
        "the session survived"
    );

    let no_fetch_meta = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/logout")
        .header(header::COOKIE, format!("ds_access={access}"))
        .header(header::ORIGIN, "https://evil.example")
        .header(header::HOST, "docspot.test")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.send(no_fetch_meta).await.status,
        StatusCode::FORBIDDEN,
        "Origin/Host mismatch refused"
    );
    assert_eq!(app.me_status(&access).await, StatusCode::OK);

    let same_origin = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/logout")
        .header(header::COOKIE, format!("ds_access={access}"))
        .header("sec-fetch-site", "same-origin")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(same_origin).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&access).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn browsers_are_refreshed_transparently_when_the_access_cookie_expires() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    app.register("w@example.com", "W").await;
    let (access, refresh) = app.login("w@example.com").await;
    app.advance(jiff::SignedDuration::from_mins(20));
    let req = Request::builder()
        .uri("/api/v1/me")
        .header(
            header::COOKIE,
            format!("ds_access={access}; ds_refresh={refresh}"),
        )
        .body(Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let set: Vec<_> = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        set.iter()
            .any(|c| c.starts_with("ds_access=") && !c.starts_with("ds_access=;")),
        "{set:?}"
    );
    let again = app.refresh(&refresh).await;
    assert_eq!(
        again.status,
        StatusCode::UNAUTHORIZED,
        "the browser's old refresh token was rotated"
    );
    let _ = PW;
}

#[tokio::test]
async fn error_pages_show_the_request_id_as_a_reference() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    let r = app.get("/no-such-page", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert!(r.text.contains(id), "the page names its request id {id}");
}

each_backend!(a_nul_byte_in_a_path_or_query_is_refused_on_every_route);
async fn a_nul_byte_in_a_path_or_query_is_refused_on_every_route(app: TestApp) {
    let w = crate::world::world(&app, "nul").await;
    let desk = crate::world::desk(&app, &w, "nul").await;
    let c = &w.clinic;
    for (path, api) in [
        ("/c/nul%00".to_owned(), false),
        ("/c/nul?x=%00".to_owned(), false),
        (format!("/clinics/{c}/patients?q=ar%00jun"), false),
        (format!("/api/v1/clinics/{c}/patients?q=ar%00jun"), true),
        (
            format!("/api/v1/clinics/{c}/doctors?specialty_id=%00"),
            true,
        ),
        ("/api/v1/clinics?q=%00".to_owned(), true),
        (format!("/api/v1/clinics/{c}%00/staff"), true),
    ] {
        let r = app
            .send(
                Request::builder()
                    .uri(&path)
                    .header(header::AUTHORIZATION, format!("Bearer {desk}"))
                    .header(header::COOKIE, format!("ds_access={desk}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{}: {path}: {}",
            app.backend,
            r.text
        );
        let ct = r.headers[header::CONTENT_TYPE].to_str().unwrap();
        if api {
            assert_eq!(ct, "application/problem+json", "{path}");
        } else {
            assert!(ct.starts_with("text/html"), "{path}: {ct}");
        }
    }
}

each_backend!(a_json_field_of_the_wrong_type_is_named_with_what_it_expects);
async fn a_json_field_of_the_wrong_type_is_named_with_what_it_expects(app: TestApp) {
    let w = crate::world::world(&app, "jsonf").await;
    let cases = [
        (
            serde_json::json!({"doctor_id": "not-a-uuid", "visit_type_id": w.visit_type, "start": "2026-11-23T03:30:00Z"}),
            "doctor_id",
            "must be an id",
        ),
        (
            serde_json::json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": 5}),
            "start",
            "must be a string",
        ),
        (
            serde_json::json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type}),
            "start",
            "is required",
        ),
        (
            serde_json::json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": "2026-11-23T03:30:00Z", "colour": 1}),
            "colour",
            "is not a field",
        ),
    ];
    for (body, field, says) in cases {
        let r = app
            .post(&w.at("/appointments"), Some(&w.patient), body.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.text);
        let message = r.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
    let r = app
        .post(
            &w.at("/patients"),
            Some(&w.admin),
            serde_json::json!({"name": "X", "sex": "female", "age": "40", "phone": "9845000000", "email": ["x"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "email", "{}", r.text);
}

#[tokio::test]
async fn pages_styles_and_json_are_compressed_but_live_streams_are_not() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    for (path, enc) in [
        ("/login", "gzip"),
        ("/static/app.css", "br"),
        ("/static/app.js", "gzip"),
        ("/api/v1/openapi.json", "br"),
    ] {
        let r = app
            .send(
                Request::builder()
                    .uri(path)
                    .header(header::ACCEPT_ENCODING, enc)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.headers
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            Some(enc),
            "{path}"
        );
    }
    let w = crate::world::world(&app, "zip").await;
    let _ = w;
    let res = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::builder()
            .uri("/c/zip/board/events")
            .header(header::ACCEPT_ENCODING, "gzip, br")
            .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, 1],
                5555,
            ))))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().get(header::CONTENT_ENCODING).is_none(),
        "the board's event stream goes out as it is written"
    );
}

/// `/metrics` counts what the clinics did: bookings by source, cancellations by who,
/// staff moves and queue tokens, each after its change committed.
#[tokio::test]
async fn business_counters_show_on_metrics() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    let w = crate::world::world(&app, "counted").await;
    let desk = crate::world::desk(&app, &w, "counted").await;
    let count = |text: &str, series: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let before = app.get("/metrics", None).await.text;
    let a = crate::world::book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let r = app
        .post(
            &w.at(&format!(
                "/appointments/{}/cancel",
                a.body["id"].as_str().unwrap()
            )),
            Some(&w.patient),
            serde_json::json!({"reason": "feeling better"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (_, _, _) = crate::consultations::kavya_in_queue(&app, &w, &desk, "counted").await;
    app.deliver_mail().await;
    let after = app.get("/metrics", None).await.text;
    for series in [
        "docspot_appointments_booked_total{source=\"online\"}",
        "docspot_appointments_cancelled_total{by=\"patient\"}",
        "docspot_tokens_issued_total{kind=\"walk_in\"}",
        "docspot_jobs_total{kind=\"email\",outcome=\"done\"}",
    ] {
        assert!(
            count(&after, series) >= count(&before, series) + 1.0,
            "{series} counts the change: {after}"
        );
    }
}
