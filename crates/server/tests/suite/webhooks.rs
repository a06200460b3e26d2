//! Outgoing webhooks, on both databases: a clinic admin registers an endpoint for some
//! events (bad input refused by field; others' endpoints out of reach); each event it wants
//! is posted once, signed with its secret (Stripe's library verifies the scheme), with the
//! event's ids and nothing clinical; a failing endpoint is retried with backoff and each
//! answer logged; an admin replays a delivery; a removed endpoint gets nothing more.

use crate::backends::each_backend;
use crate::{
    fakes::WebhookReceiver,
    helpers::{TestApp, form_post, page_get},
    world::{World, world},
};
use axum::http::StatusCode;
use serde_json::{Value, json};
use store::testing::TestDb;

async fn book(app: &TestApp, w: &World, start: &str) -> String {
    let r = app
        .post(
            &w.at("/appointments"),
            Some(&w.patient),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": start,
                "reason": "canary-reason-3317 chest pain"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn deliveries(app: &TestApp, w: &World, endpoint: &str) -> Vec<Value> {
    let r = app
        .get(
            &w.at(&format!("/webhooks/{endpoint}/deliveries")),
            Some(&w.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

each_backend!(events_are_posted_signed_once_retried_and_replayed);
async fn events_are_posted_signed_once_retried_and_replayed(db: TestDb) {
    let app = TestApp::with(db, |s| s.webhook_allow_http = true).await;
    let w = world(&app, "hooks").await;
    let hook = WebhookReceiver::start().await;
    let hooks = w.at("/webhooks");

    // Bad input is refused by field; only admins may register.
    for (body, field) in [
        (
            json!({"url": "not a url", "events": ["appointment.booked"]}),
            "url",
        ),
        (
            json!({"url": hook.url, "events": ["appointment.exploded"]}),
            "events",
        ),
        (json!({"url": hook.url, "events": []}), "events"),
        (
            json!({"url": hook.url, "events": ["*"], "description": "a\nb"}),
            "description",
        ),
    ] {
        let r = app.post(&hooks, Some(&w.admin), body.clone()).await;
        crate::helpers::refused_on(&r, field, &body);
    }
    let body = json!({"url": hook.url, "events": ["appointment.booked", "appointment.cancelled"],
        "description": "Our CRM"});
    let r = app.post(&hooks, Some(&w.doctor_token), body.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "admins only");
    let r = app.post(&hooks, Some(&w.admin), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let endpoint = r.body["id"].as_str().unwrap().to_owned();
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let listed = app.get(&hooks, Some(&w.admin)).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert!(
        listed.body[0].get("secret").is_none(),
        "the secret is shown once"
    );

    // A booking: one delivery, signed, with ids and no clinical detail.
    let appointment = book(&app, &w, "2026-11-24T04:30:00Z").await;
    app.deliver_mail().await;
    app.deliver_mail().await;
    let got = hook.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].event, "appointment.booked");
    let now = app.state.now();
    docspot_server::signing::check(&secret, &got[0].signature, got[0].body.as_bytes(), now)
        .expect("the signature holds");
    if let Some(ok) =
        crate::online_payments::stripe_library_accepts(&got[0].body, &got[0].signature, &secret)
    {
        assert!(ok, "Stripe's library verifies the same scheme");
    }
    let event: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(event["type"], "appointment.booked");
    assert_eq!(event["clinic_id"], w.clinic.as_str());
    assert_eq!(event["data"]["appointment"], appointment.as_str());
    assert!(!got[0].body.contains("canary") && !got[0].body.contains("chest"));
    let listed = deliveries(&app, &w, &endpoint).await;
    assert_eq!(listed[0]["status"], "delivered", "{listed:?}");
    assert_eq!(listed[0]["response_status"], 204);
    assert_eq!(listed[0]["id"], got[0].delivery.as_str());

    // A failing endpoint is retried with backoff, each answer logged.
    let r = crate::world::cancel(&app, &w, &w.patient, &appointment, "canary-reason-3317").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    hook.fail_next(1);
    app.deliver_mail().await;
    let listed = deliveries(&app, &w, &endpoint).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["event_type"], "appointment.cancelled");
    assert_eq!(listed[0]["status"], "pending");
    assert_eq!(listed[0]["response_status"], 500);
    assert_eq!(listed[0]["attempts"], 1);
    app.advance(jiff::SignedDuration::from_secs(15));
    app.deliver_mail().await;
    let listed = deliveries(&app, &w, &endpoint).await;
    assert_eq!(listed[0]["status"], "delivered", "{listed:?}");
    assert_eq!(listed[0]["attempts"], 2);
    let got = hook.received();
    assert_eq!(got.len(), 3, "booked, cancelled twice");
    assert_eq!(
        got[1].delivery, got[2].delivery,
        "the same delivery, tried again"
    );

    // Replayed on the admin's word, newly signed; the page shows it and replays too.
    let admin = app.login("admin@hooks.test").await.0;
    let first = listed[1]["id"].as_str().unwrap().to_owned();
    let replay = w.at(&format!("/webhook-deliveries/{first}/replay"));
    let r = app.post(&replay, Some(&w.doctor_token), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.post(&replay, Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    app.deliver_mail().await;
    let got = hook.received();
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].delivery, first);
    assert_eq!(got[3].body, got[0].body, "the same event");
    let page = format!("/clinics/{}/settings/webhooks/{endpoint}", w.clinic);
    let r = app.send(page_get(&page, &admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains("appointment.cancelled") && r.text.contains("Delivered"),
        "{}",
        r.text
    );
    let r = app
        .send(form_post(
            &format!("/clinics/{}/settings/webhooks/replay/{first}", w.clinic),
            Some(&admin),
            "",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    app.deliver_mail().await;
    assert_eq!(hook.received().len(), 5);

    // Removed: nothing more.
    let r = app
        .delete(&w.at(&format!("/webhooks/{endpoint}")), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    book(&app, &w, "2026-11-24T05:30:00Z").await;
    app.deliver_mail().await;
    assert_eq!(hook.received().len(), 5);
    let r = app.get(&hooks, Some(&admin)).await;
    assert_eq!(r.body, json!([]));
}

each_backend!(the_admin_page_registers_an_endpoint_and_shows_its_secret_once);
async fn the_admin_page_registers_an_endpoint_and_shows_its_secret_once(db: TestDb) {
    let app = TestApp::new(db).await;
    let w = world(&app, "hookpage").await;
    let page = format!("/clinics/{}/settings/webhooks", w.clinic);
    let r = app.send(page_get(&page, &w.doctor_token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "admins only");
    let r = app
        .send(form_post(
            &page,
            Some(&w.admin),
            "url=http%3A%2F%2Fcrm.example.test%2Fhook&events=appointment.booked",
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "https only here"
    );
    assert!(r.text.contains("Use an https:// address"), "{}", r.text);
    let r = app
        .send(form_post(
            &page,
            Some(&w.admin),
            "url=https%3A%2F%2Fcrm.example.test%2Fhook&events=appointment.booked&events=bill.issued&description=CRM",
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains("whsec_"),
        "the secret, this once: {}",
        r.text
    );
    let r = app.send(page_get(&page, &w.admin)).await;
    assert!(
        r.text.contains("https://crm.example.test/hook"),
        "{}",
        r.text
    );
    assert!(r.text.contains("bill.issued") && !r.text.contains("whsec_"));
}
