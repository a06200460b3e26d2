//! Texts to patients through the loopback Twilio, on both databases: a booking and a
//! cancellation each send one text (however often the worker runs), with no clinical
//! detail; Twilio's signed status callbacks move a message to delivered (a bad signature
//! changes nothing, and Twilio's own Python library accepts ours); a refused message is
//! failed, a provider outage is retried, and an admin sends a failed one again.

use crate::backends::each_backend;
use crate::{
    fakes::{TwilioFake, twilio},
    helpers::{PW, TestApp},
    world::world,
};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use docspot_server::notify::sms::SmsConfig;
use serde_json::{Value, json};
use store::testing::TestDb;

/// DocSpot's settings for the loopback Twilio at `api_base`.
pub(crate) fn twilio_config(api_base: String) -> SmsConfig {
    SmsConfig::Twilio {
        api_base,
        account_sid: twilio::ACCOUNT_SID.to_owned(),
        auth_token: twilio::AUTH_TOKEN.parse().unwrap(),
        from: twilio::FROM.to_owned(),
    }
}

pub(crate) async fn app_with_twilio(db: TestDb) -> (TestApp, TwilioFake) {
    let fake = TwilioFake::start().await;
    let url = fake.url.clone();
    let app = TestApp::with(db, |s| s.sms = Some(twilio_config(url))).await;
    (app, fake)
}

/// Whether Twilio's Python library accepts `signature` for a callback to `url` with
/// `params`; `None` where the library is not installed (CI has it).
fn twilio_library_accepts(url: &str, params: &[(String, String)], signature: &str) -> Option<bool> {
    let script = "import json, sys\n\
        from twilio.request_validator import RequestValidator\n\
        a = json.loads(sys.argv[1])\n\
        print('ok' if RequestValidator(a['token']).validate(a['url'], a['params'], a['sig']) else 'refused')\n";
    let params: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let input =
        json!({"token": twilio::AUTH_TOKEN, "url": url, "params": params, "sig": signature});
    let text = crate::fakes::provider_library("twilio", script, &[&input.to_string()])?;
    Some(text == "ok")
}

/// Posts a status callback (or an incoming text) as Twilio does.
pub(crate) async fn callback(
    app: &TestApp,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> crate::helpers::Resp {
    let path = url
        .strip_prefix(&app.state.settings().public_url)
        .expect("the callback goes to our public address")
        .to_owned();
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(Body::from(serde_urlencoded::to_string(params).unwrap()))
        .unwrap();
    app.send(req).await
}

async fn messages(app: &TestApp, clinic: &str, admin: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/clinics/{clinic}/messages"), Some(admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

each_backend!(a_booking_and_its_cancellation_are_texted_once_and_delivery_is_reported);
async fn a_booking_and_its_cancellation_are_texted_once_and_delivery_is_reported(db: TestDb) {
    let (app, fake) = app_with_twilio(db).await;
    let w = world(&app, "sms").await;
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "meera@sms.test", "name": "Meera Iyer", "password": PW,
                "phone": "98123 45678"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let meera = app.login("meera@sms.test").await.0;
    let r = app
        .post(
            &w.at("/appointments"),
            Some(&meera),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type,
                "start": "2026-11-24T04:30:00Z", "reason": "canary-reason-7731 chest pain"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let appointment = r.body["id"].as_str().unwrap().to_owned();
    let reference = r.body["ref_code"].as_str().unwrap().to_owned();
    app.deliver_mail().await;
    app.deliver_mail().await;

    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "one text for one booking: {sent:?}");
    let text = &sent[0];
    assert_eq!(text.to, "+919812345678");
    assert_eq!(text.from, twilio::FROM);
    assert!(
        text.body.contains("Dr Asha Rao") && text.body.contains(&reference),
        "{}",
        text.body
    );
    assert!(
        !text.body.contains("canary") && !text.body.contains("chest"),
        "{}",
        text.body
    );
    assert!(
        text.status_callback
            .ends_with("/api/v1/webhooks/sms/twilio"),
        "{}",
        text.status_callback
    );
    let listed = messages(&app, &w.clinic, &w.admin).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["status"], "sent");
    assert_eq!(listed[0]["kind"], "appointment.booked");
    assert_eq!(listed[0]["provider_ref"], text.sid.as_str());

    // Delivered, by a signed callback; a wrong signature changes nothing.
    let (url, params, signature) = fake.callback(text, "delivered");
    if let Some(ok) = twilio_library_accepts(&url, &params, &signature) {
        assert!(ok, "Twilio's library accepts our signature");
    }
    let forged = callback(&app, &url, &params, "bm90IGEgc2lnbmF0dXJl").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text);
    assert_eq!(
        messages(&app, &w.clinic, &w.admin).await[0]["status"],
        "sent"
    );
    let r = callback(&app, &url, &params, &signature).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["known"], true);
    // A late "sent" never takes it back.
    let (url, params, signature) = fake.callback(text, "sent");
    assert_eq!(
        callback(&app, &url, &params, &signature).await.status,
        StatusCode::OK
    );
    assert_eq!(
        messages(&app, &w.clinic, &w.admin).await[0]["status"],
        "delivered"
    );

    // Cancelled: one more text, and the queued text reminders go with it.
    let r = crate::world::cancel(&app, &w, &meera, &appointment, "canary-reason-7731").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.advance(jiff::SignedDuration::from_hours(48));
    app.deliver_mail().await;
    let sent = fake.sent();
    assert_eq!(
        sent.len(),
        2,
        "booked and cancelled, no reminders: {sent:?}"
    );
    assert!(sent[1].body.contains("cancelled"), "{}", sent[1].body);
    assert!(!sent[1].body.contains("canary"), "{}", sent[1].body);
}

each_backend!(a_refused_text_fails_an_outage_is_retried_and_an_admin_sends_it_again);
async fn a_refused_text_fails_an_outage_is_retried_and_an_admin_sends_it_again(db: TestDb) {
    let (app, fake) = app_with_twilio(db).await;
    let w = world(&app, "smsfail").await;
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "ravi@smsfail.test", "name": "Ravi Das", "password": PW,
                "phone": "+91 98450 22222"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ravi = app.login("ravi@smsfail.test").await.0;
    let book = |start: &'static str| {
        let (app, w, ravi) = (&app, &w, ravi.clone());
        async move {
            let r = app
                .post(
                    &w.at("/appointments"),
                    Some(&ravi),
                    json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": start}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
    };

    // Twilio refuses the number: failed for good, with Twilio's reason.
    fake.fail_next(400, 21211);
    book("2026-11-24T04:30:00Z").await;
    app.deliver_mail().await;
    let listed = messages(&app, &w.clinic, &w.admin).await;
    assert_eq!(listed[0]["status"], "failed", "{listed:?}");
    assert!(
        listed[0]["error"].as_str().unwrap().contains("21211"),
        "{listed:?}"
    );
    let failed = listed[0]["id"].as_str().unwrap().to_owned();
    let r = app
        .get(
            &format!("/api/v1/clinics/{}/messages?status=failed", w.clinic),
            Some(&w.admin),
        )
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1, "{}", r.text);

    // An admin sends it again; it goes.
    let retry = format!("/api/v1/clinics/{}/messages/{failed}/retry", w.clinic);
    let desk = crate::world::desk(&app, &w, "smsfail").await;
    let r = app.post(&retry, Some(&desk), json!({})).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "the admin's, not the desk's"
    );
    let r = app.post(&retry, Some(&w.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["status"], "queued");
    let r = app.post(&retry, Some(&w.admin), json!({})).await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "only a failed one: {}",
        r.text
    );
    app.deliver_mail().await;
    assert_eq!(fake.sent().len(), 1);
    assert_eq!(
        messages(&app, &w.clinic, &w.admin).await[0]["status"],
        "sent"
    );

    // An outage: queued and tried again after the backoff.
    fake.fail_next(503, 20500);
    book("2026-11-24T05:30:00Z").await;
    app.deliver_mail().await;
    let listed = messages(&app, &w.clinic, &w.admin).await;
    assert_eq!(listed[0]["status"], "queued", "{listed:?}");
    assert_eq!(listed[0]["attempts"], 1);
    app.advance(jiff::SignedDuration::from_secs(15));
    app.deliver_mail().await;
    let listed = messages(&app, &w.clinic, &w.admin).await;
    assert_eq!(listed[0]["status"], "sent", "{listed:?}");
    assert_eq!(fake.sent().len(), 2);
}

each_backend!(
    a_called_patient_is_texted_their_link_and_turn_and_the_admin_page_sends_a_failed_text_again
);
async fn a_called_patient_is_texted_their_link_and_turn_and_the_admin_page_sends_a_failed_text_again(
    db: TestDb,
) {
    let (app, fake) = app_with_twilio(db).await;
    let w = world(&app, "smsturn").await;
    let desk = crate::world::desk(&app, &w, "smsturn").await;
    // The desk types the number as the patient says it.
    let p = crate::queue::patient(&app, &w, &desk, "Kiran Das", "98450 33333").await;
    let t = crate::queue::issue(&app, &w, &desk, &p, "normal").await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    // The token's status link goes by text at once.
    app.deliver_mail().await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].body.contains("your token 1 for Dr Asha Rao")
            && sent[0]
                .body
                .contains(&format!("{}/q/", app.state.settings().public_url)),
        "{}",
        sent[0].body
    );
    let link = sent[0].body.split("queue: ").nth(1).unwrap().to_owned();
    let path = link.strip_prefix(&app.state.settings().public_url).unwrap();
    let r = app.get(path, None).await;
    assert_eq!(r.status, StatusCode::OK, "the link opens the status page");
    fake.fail_next(400, 21211);
    let r = crate::world::call_next(&app, &w).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.deliver_mail().await;

    // The admin finds it failed on the page and sends it again from there.
    let page = format!("/clinics/{}/settings/messages", w.clinic);
    let r = app
        .send(crate::helpers::page_get(
            &format!("{page}?status=failed"),
            &w.admin,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains("Failed") && r.text.contains("21211"),
        "{}",
        r.text
    );
    assert!(r.text.contains("+919845033333"), "{}", r.text);
    let r = app.send(crate::helpers::page_get(&page, &desk)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "the admin's page");
    let id = messages(&app, &w.clinic, &w.admin).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .send(crate::helpers::form_post(
            &format!("{page}/{id}/retry"),
            Some(&w.admin),
            "",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    app.deliver_mail().await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].to, "+919845033333");
    assert!(
        sent[1]
            .body
            .contains("it is your turn with Dr Asha Rao. Token 1"),
        "{}",
        sent[1].body
    );
    let r = app.send(crate::helpers::page_get(&page, &w.admin)).await;
    assert!(r.text.contains(">Sent<"), "{}", r.text);
}

each_backend!(two_workers_text_each_event_once_and_a_send_cut_off_by_a_crash_is_not_sent_again);
async fn two_workers_text_each_event_once_and_a_send_cut_off_by_a_crash_is_not_sent_again(
    db: TestDb,
) {
    use docspot_server::jobs;
    let (app, fake) = app_with_twilio(db).await;
    let w = world(&app, "smscrash").await;
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "asha@smscrash.test", "name": "Asha Menon", "password": PW,
                "phone": "98123 40000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let asha = app.login("asha@smscrash.test").await.0;
    app.deliver_mail().await;
    let mut booked = Vec::new();
    for start in [
        "2026-11-24T04:30:00Z",
        "2026-11-24T05:30:00Z",
        "2026-11-24T06:30:00Z",
    ] {
        let r = app
            .post(
                &w.at("/appointments"),
                Some(&asha),
                json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": start}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        booked.push(r.body["id"].as_str().unwrap().to_owned());
    }
    // Two workers (two instances on one database) drain the queue together: each booking
    // is texted once.
    let other = app.second_instance().await;
    let (a, b) = tokio::join!(
        jobs::run_jobs(&app.state, &app.mailer),
        jobs::run_jobs(&other.state, &other.mailer)
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(fake.sent().len(), 3, "{:?}", fake.sent());

    // A worker sends the cancellation text and dies before recording it: Twilio has it.
    let r = app
        .post(
            &w.at(&format!("/appointments/{}/cancel", booked[0])),
            Some(&asha),
            json!({"reason": "away"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    fake.hang_next();
    let run = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        jobs::run_jobs(&app.state, &app.mailer),
    );
    assert!(run.await.is_err(), "the worker dies waiting for Twilio");
    assert_eq!(fake.sent().len(), 4);
    // Nothing runs it while its lease holds (the event's other jobs go on); then the other
    // worker finds that Twilio took it, records it as sent, and sends nothing more.
    jobs::run_jobs(&other.state, &other.mailer).await.unwrap();
    assert_eq!(fake.sent().len(), 4);
    let admin = app.login("admin@smscrash.test").await.0;
    let cancel_status = |listed: Vec<Value>| {
        listed
            .into_iter()
            .find(|m| m["kind"] == "appointment.cancelled")
            .expect("the cancellation text")
    };
    let held = cancel_status(messages(&app, &w.clinic, &admin).await);
    assert_eq!(held["status"], "queued", "{held}");
    app.advance(jiff::SignedDuration::from_mins(6));
    assert_eq!(
        jobs::run_jobs(&other.state, &other.mailer).await.unwrap(),
        1
    );
    let sent = fake.sent();
    assert_eq!(sent.len(), 4, "not sent twice: {sent:?}");
    assert!(sent[3].body.contains("cancelled"), "{}", sent[3].body);
    let admin = app.login("admin@smscrash.test").await.0;
    let cancel = cancel_status(messages(&app, &w.clinic, &admin).await);
    assert_eq!(cancel["status"], "sent", "{cancel}");
    assert_eq!(cancel["provider_ref"], sent[3].sid.as_str());
    assert_eq!(jobs::run_jobs(&app.state, &app.mailer).await.unwrap(), 0);
}
