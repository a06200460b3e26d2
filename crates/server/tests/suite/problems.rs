//! The problem+json bodies of representative refusals, pinned with insta: one snapshot per
//! refusal, shared by both databases (see `pinned`).

use crate::backends::each_backend;
use crate::{
    fixtures,
    helpers::{PW, TestApp},
    pinned,
    world::book,
};
use axum::http::StatusCode;
use serde_json::json;
use store::testing::TestDb;

each_backend!(a_refused_booking_answers_with_a_pinned_problem);
async fn a_refused_booking_answers_with_a_pinned_problem(app: TestApp) {
    let w = fixtures::world(&app, "pin").await;
    let r = app
        .post(
            &w.at("/appointments"),
            Some(&w.patient),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": "next tuesday", "reason": "x".repeat(2001)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    pinned::problem("problem_422_booking_with_bad_fields", &r);

    fixtures::patient(&app, "other@pin.test", "Meena Iyer").await;
    let other = app.login("other@pin.test").await.0;
    let start = "2026-11-24T03:30:00Z";
    assert_eq!(
        book(&app, &w, &other, start).await.status,
        StatusCode::CREATED
    );
    let r = book(&app, &w, &w.patient, start).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    pinned::problem("problem_409_slot_taken", &r);
}

each_backend!(unknown_unsigned_and_forbidden_requests_answer_with_pinned_problems);
async fn unknown_unsigned_and_forbidden_requests_answer_with_pinned_problems(app: TestApp) {
    let w = fixtures::world(&app, "deny").await;
    let missing = "01900000-0000-7000-8000-000000000000";
    let r = app
        .get(&w.at(&format!("/appointments/{missing}")), Some(&w.admin))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    pinned::problem("problem_404_not_found", &r);

    let r = app.get("/api/v1/me", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    pinned::problem("problem_401_unauthorized", &r);

    let r = app
        .post(
            "/api/v1/clinics",
            Some(&w.patient),
            json!({"name": "Clinic X", "slug": "x", "time_zone": "Asia/Kolkata", "currency": "INR", "admin_email": "x@deny.test"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    pinned::problem("problem_403_forbidden", &r);
}

each_backend!(a_rate_limited_login_answers_with_a_pinned_problem);
async fn a_rate_limited_login_answers_with_a_pinned_problem(db: TestDb) {
    let app = TestApp::with(db, |s| {
        s.rate_per_account = 2;
        s.rate_window_secs = 60;
    })
    .await;
    fixtures::patient(&app, "busy@limit.test", "Busy Bee").await;
    for _ in 0..2 {
        let r = app.login_with("busy@limit.test", "not the password").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
    let r = app.login_with("busy@limit.test", PW).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    pinned::problem("problem_429_rate_limited", &r);
}
