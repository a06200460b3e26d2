//! Web push, on both databases: a patient subscribes a device (bad keys refused by field);
//! a booking and the call of their token are pushed to it, encrypted (RFC 8291) under the
//! install's VAPID identity, which the loopback push service checks before it decrypts;
//! nothing clinical is in them; push turned off in the preferences sends nothing; a device
//! the push service says is gone is forgotten; only its owner removes a subscription.

use crate::backends::each_backend;
use crate::{fakes::PushService, helpers::TestApp, preferences::register, world::world};
use axum::http::StatusCode;
use serde_json::json;
use store::testing::TestDb;

const SUBS: &str = "/api/v1/me/push-subscriptions";

each_backend!(a_booking_and_a_called_token_are_pushed_encrypted_to_the_patients_device);
async fn a_booking_and_a_called_token_are_pushed_encrypted_to_the_patients_device(db: TestDb) {
    // The loopback push service is plain http, as the install allows for tests.
    let app = TestApp::with(db, |s| s.webhook_allow_http = true).await;
    let w = world(&app, "push").await;
    let r = app.get("/api/v1/push/vapid-public-key", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let vapid = r.body["public_key"].as_str().unwrap().to_owned();
    assert_eq!(vapid.len(), 87, "65 bytes, base64url: {vapid}");
    let device = PushService::start(&vapid).await;
    let meera = register(&app, "meera@push.test", "98123 45678").await;

    let good = json!({"endpoint": device.endpoint, "expirationTime": null,
        "keys": {"p256dh": device.p256dh, "auth": device.auth}});
    let r = app.post(SUBS, None, good.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for (body, field) in [
        (
            json!({"endpoint": device.endpoint, "keys": {"p256dh": "AAAA", "auth": device.auth}}),
            "keys.p256dh",
        ),
        (
            json!({"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": "c2hvcnQ"}}),
            "keys.auth",
        ),
        (
            json!({"endpoint": "ftp://push", "keys": {"p256dh": device.p256dh, "auth": device.auth}}),
            "endpoint",
        ),
    ] {
        let r = app.post(SUBS, Some(&meera), body.clone()).await;
        crate::helpers::refused_on(&r, field, &body);
    }
    let r = app.post(SUBS, Some(&meera), good.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let subscription = r.body["id"].as_str().unwrap().to_owned();

    // Booked: one push, decrypted by the device; no clinical detail.
    let r = app
        .post(
            &w.at("/appointments"),
            Some(&meera),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type,
                "start": "2026-11-24T04:30:00Z", "reason": "canary-reason-6612 chest pain"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let reference = r.body["ref_code"].as_str().unwrap().to_owned();
    let booked = r.body.clone();
    app.deliver_mail().await;
    app.deliver_mail().await;
    assert!(device.refused().is_empty(), "{:?}", device.refused());
    let got = device.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["kind"], "appointment.booked");
    assert_eq!(got[0]["url"], "/appointments");
    let body = got[0]["body"].as_str().unwrap();
    assert!(
        body.contains("Dr Asha Rao") && body.contains(&reference),
        "{body}"
    );
    assert!(!got[0].to_string().contains("canary") && !got[0].to_string().contains("chest"));
    app.deliver_mail().await;
    assert_eq!(device.received().len(), 1, "once");

    // At the clinic: the desk gives the patient of that booking a token; its call is
    // pushed too.
    let patient = booked["patient_id"].as_str().unwrap().to_owned();
    let desk = crate::world::desk(&app, &w, "push").await;
    let t = crate::queue::issue(&app, &w, &desk, &patient, "normal").await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    let r = crate::world::call_next(&app, &w).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.deliver_mail().await;
    app.deliver_mail().await;
    let got = device.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1]["kind"], "token.called");
    assert!(
        got[1]["body"]
            .as_str()
            .unwrap()
            .contains("it is your turn with Dr Asha Rao"),
        "{got:?}"
    );

    // Push turned off: nothing.
    crate::preferences::set(&app, &meera, json!({"channels": {"push": false}})).await;
    let r = app
        .post(
            &w.at("/appointments"),
            Some(&meera),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type,
                "start": "2026-11-24T05:30:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.deliver_mail().await;
    app.deliver_mail().await;
    assert_eq!(device.received().len(), 2, "push is off");
    crate::preferences::set(&app, &meera, json!({"channels": {"push": true}})).await;

    // The device gone: the push service says 410 and the subscription is forgotten.
    device.gone();
    let r = app
        .post(
            &w.at("/appointments"),
            Some(&meera),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type,
                "start": "2026-11-24T06:30:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.deliver_mail().await;
    app.deliver_mail().await;
    let me = app.get("/api/v1/me", Some(&meera)).await;
    let user = domain::UserId::from_uuid(me.body["id"].as_str().unwrap().parse().unwrap());
    let left = store::push::of_user(app.state.store().conn(), user)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");

    // Only the owner removes a subscription.
    let r = app.post(SUBS, Some(&meera), good).await;
    let again = r.body["id"].as_str().unwrap().to_owned();
    assert_ne!(again, subscription);
    let r = app
        .delete(&format!("{SUBS}/{again}"), Some(&w.patient))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.delete(&format!("{SUBS}/{again}"), Some(&meera)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}
