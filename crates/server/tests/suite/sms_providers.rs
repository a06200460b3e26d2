//! The other SMS adapters, on both databases: MSG91 (its Flow API, and delivery reports
//! whose webhook address carries a token) and the generic HTTP gateway (signed both ways,
//! one message per idempotency key). Each texts a booking once with no clinical detail,
//! refuses a forged report without changing anything, moves the text to delivered on a
//! good one, fails a refused text with the provider's reason and retries an outage.

use crate::backends::each_backend;
use crate::{
    fakes::{Msg91Fake, SmsGatewayFake, msg91, sms_gateway},
    helpers::{Resp, TestApp},
    world::{World, world},
};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use docspot_server::notify::sms::SmsConfig;
use serde_json::{Value, json};
use store::testing::TestDb;

pub(crate) async fn messages(app: &TestApp, w: &World) -> Vec<Value> {
    let r = app
        .get(
            &format!("/api/v1/clinics/{}/messages", w.clinic),
            Some(&w.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

/// Posts a callback to `url` (one of our addresses) as the provider would.
async fn post_callback(app: &TestApp, url: &str, kind: &str, body: String, sig: &str) -> Resp {
    let path = url
        .strip_prefix(&app.state.settings().public_url)
        .unwrap_or(url)
        .to_owned();
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", kind)
        .header("x-docspot-signature", sig)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// A patient with a mobile number.
async fn patient(app: &TestApp, tag: &str) -> String {
    crate::preferences::register(app, &format!("meera@{tag}.test"), "98123 45678").await
}

/// Books `start` for `who` (with a canary in the reason) and runs the jobs; the booking.
pub(crate) async fn book(app: &TestApp, w: &World, who: &str, start: &str) -> Value {
    let r = app
        .post(
            &w.at("/appointments"),
            Some(who),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": start,
                "reason": "canary-reason-5521 chest pain"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.deliver_mail().await;
    r.body
}

fn clean(body: &str, reference: &str) {
    assert!(
        body.contains("Dr Asha Rao") && body.contains(reference),
        "{body}"
    );
    assert!(
        !body.contains("canary") && !body.contains("chest"),
        "{body}"
    );
}

each_backend!(msg91_texts_a_booking_and_takes_its_tokened_delivery_reports);
async fn msg91_texts_a_booking_and_takes_its_tokened_delivery_reports(db: TestDb) {
    let fake = Msg91Fake::start().await;
    let url = fake.url.clone();
    let app = TestApp::with(db, |s| {
        s.sms = Some(SmsConfig::Msg91 {
            api_base: url,
            auth_key: msg91::AUTH_KEY.parse().unwrap(),
            template_id: msg91::TEMPLATE_ID.to_owned(),
            sender: Some(msg91::SENDER.to_owned()),
            variable: msg91::VARIABLE.to_owned(),
            webhook_token: Some(msg91::WEBHOOK_TOKEN.parse().unwrap()),
        });
    })
    .await;
    let w = world(&app, "msg91").await;
    let meera = patient(&app, "msg91").await;
    let booked = book(&app, &w, &meera, "2026-11-24T04:30:00Z").await;
    let reference = booked["ref_code"].as_str().unwrap();
    app.deliver_mail().await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "one text for one booking: {sent:?}");
    assert_eq!(
        sent[0].mobiles, "919812345678",
        "digits with the country code"
    );
    assert_eq!(sent[0].sender, msg91::SENDER);
    clean(&sent[0].body, reference);
    let listed = messages(&app, &w).await;
    assert_eq!(listed[0]["status"], "sent", "{listed:?}");
    assert_eq!(listed[0]["provider"], "msg91");
    assert_eq!(listed[0]["provider_ref"], sent[0].request_id.as_str());

    // The report comes to the address set in MSG91's panel: a wrong or missing token
    // changes nothing.
    let form = "application/x-www-form-urlencoded";
    let hook = "/api/v1/webhooks/sms/msg91";
    let report = fake.report(&sent[0], "1", "DELIVERED");
    for bad in [format!("{hook}?token=guess"), hook.to_owned()] {
        let r = post_callback(&app, &bad, form, report.clone(), "").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
    assert_eq!(messages(&app, &w).await[0]["status"], "sent");
    let good = format!("{hook}?token={}", msg91::WEBHOOK_TOKEN);
    let r = post_callback(&app, &good, form, "data=not-json".into(), "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = post_callback(&app, &good, form, report, "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["known"], true);
    assert_eq!(messages(&app, &w).await[0]["status"], "delivered");

    // MSG91 will not take the number (an error with HTTP 200): failed, with its reason.
    fake.fail_next(msg91::Failure::InvalidNumber);
    book(&app, &w, &meera, "2026-11-24T05:30:00Z").await;
    let listed = messages(&app, &w).await;
    assert_eq!(listed[0]["status"], "failed", "{listed:?}");
    assert!(
        listed[0]["error"]
            .as_str()
            .unwrap()
            .contains("Mobile number not valid"),
        "{listed:?}"
    );
    // MSG91 is down: queued, and sent after the backoff.
    fake.fail_next(msg91::Failure::Status(503));
    book(&app, &w, &meera, "2026-11-24T06:30:00Z").await;
    assert_eq!(messages(&app, &w).await[0]["status"], "queued");
    app.advance(jiff::SignedDuration::from_secs(15));
    app.deliver_mail().await;
    assert_eq!(messages(&app, &w).await[0]["status"], "sent");
    // A failure report names MSG91's code and description.
    let sent = fake.sent();
    let last = sent.last().unwrap();
    let r = post_callback(&app, &good, form, fake.report(last, "16", "Rejected"), "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let listed = messages(&app, &w).await;
    assert_eq!(listed[0]["status"], "failed", "{listed:?}");
    assert_eq!(listed[0]["error"], "16 Rejected");
}

each_backend!(an_http_gateway_is_signed_both_ways_and_sends_each_text_once);
async fn an_http_gateway_is_signed_both_ways_and_sends_each_text_once(db: TestDb) {
    let fake = SmsGatewayFake::start().await;
    let url = fake.url.clone();
    let app = TestApp::with(db, |s| {
        s.sms = Some(SmsConfig::Http {
            url,
            secret: sms_gateway::SECRET.parse().unwrap(),
        });
    })
    .await;
    let w = world(&app, "smshttp").await;
    let meera = patient(&app, "smshttp").await;
    let booked = book(&app, &w, &meera, "2026-11-24T04:30:00Z").await;
    let reference = booked["ref_code"].as_str().unwrap();
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "+919812345678");
    clean(&sent[0].body, reference);
    assert!(
        sent[0]
            .status_callback
            .ends_with("/api/v1/webhooks/sms/http"),
        "{}",
        sent[0].status_callback
    );
    let listed = messages(&app, &w).await;
    assert_eq!(listed[0]["status"], "sent");
    assert_eq!(listed[0]["provider_ref"], sent[0].id.as_str());
    assert_eq!(sent[0].reference, listed[0]["id"].as_str().unwrap());

    // Callbacks: signed with the shared secret, at our clock's time.
    let json_kind = "application/json";
    let now = app.state.now().as_second();
    let (to, body, sig) = fake.callback(&sent[0], "delivered", now);
    let forged = docspot_server::signing::header("not-the-secret", now, body.as_bytes());
    let r = post_callback(&app, &to, json_kind, body.clone(), &forged).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let (_, _, stale) = fake.callback(&sent[0], "delivered", now - 600);
    let r = post_callback(&app, &to, json_kind, body.clone(), &stale).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "an old signature: {}",
        r.text
    );
    assert_eq!(messages(&app, &w).await[0]["status"], "sent");
    let r = post_callback(&app, &to, json_kind, body, &sig).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(messages(&app, &w).await[0]["status"], "delivered");

    // The gateway refuses (422): failed. It takes a text but its answer is lost (502):
    // queued, then posted again under the same idempotency key, and sent once.
    fake.fail_next(422);
    book(&app, &w, &meera, "2026-11-24T05:30:00Z").await;
    let listed = messages(&app, &w).await;
    assert_eq!(listed[0]["status"], "failed", "{listed:?}");
    assert!(listed[0]["error"].as_str().unwrap().contains("422"));
    fake.lose_next_answer();
    book(&app, &w, &meera, "2026-11-24T06:30:00Z").await;
    assert_eq!(messages(&app, &w).await[0]["status"], "queued");
    app.advance(jiff::SignedDuration::from_secs(15));
    app.deliver_mail().await;
    assert_eq!(messages(&app, &w).await[0]["status"], "sent");
    assert_eq!(fake.sent().len(), 2, "{:?}", fake.sent());
    assert_eq!(
        fake.posts(),
        4,
        "the first, the refused, and the third twice"
    );
    assert_eq!(
        messages(&app, &w).await[0]["provider_ref"],
        fake.sent()[1].id.as_str()
    );
}
