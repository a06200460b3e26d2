//! WhatsApp through the loopback Cloud API, beside SMS, on both databases: nothing goes to
//! a patient before they say yes to WhatsApp (and nothing is recorded as failed for it);
//! after, each event sends one template message in their language, with no clinical detail;
//! Meta's signed webhook moves it to delivered (a forged one changes nothing); Meta's
//! subscription check is answered only with our verify token; a STOP reply stops WhatsApp
//! for that number, START brings it back; a refused message is failed and an admin sends
//! it again with its template; a send cut off by a crash is not sent again once Meta's
//! webhook (which echoes our id) reports it; words from a visit's notes and diagnosis reach
//! neither channel.

use crate::backends::each_backend;
use crate::{
    fakes::{TwilioFake, WhatsappFake, whatsapp},
    helpers::{Resp, TestApp},
    preferences::register,
    sms_providers::{book, messages},
    world::world,
};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use docspot_server::notify::whatsapp::WhatsappConfig;
use serde_json::json;
use store::testing::TestDb;

async fn app_with_whatsapp(db: TestDb) -> (TestApp, WhatsappFake, TwilioFake) {
    let fake = WhatsappFake::start().await;
    let sms = TwilioFake::start().await;
    let (url, sms_url) = (fake.url.clone(), sms.url.clone());
    let app = TestApp::with(db, |s| {
        s.whatsapp = Some(WhatsappConfig {
            api_base: url,
            phone_number_id: whatsapp::PHONE_NUMBER_ID.to_owned(),
            access_token: whatsapp::ACCESS_TOKEN.parse().unwrap(),
            app_secret: whatsapp::APP_SECRET.parse().unwrap(),
            verify_token: whatsapp::VERIFY_TOKEN.parse().unwrap(),
        });
        s.sms = Some(crate::sms::twilio_config(sms_url));
    })
    .await;
    (app, fake, sms)
}

/// Posts Meta's webhook `body` with `signature`.
async fn webhook(app: &TestApp, body: Vec<u8>, signature: &str) -> Resp {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/webhooks/whatsapp")
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

each_backend!(whatsapp_goes_only_to_patients_who_said_yes_in_their_language_and_meta_reports_it);
async fn whatsapp_goes_only_to_patients_who_said_yes_in_their_language_and_meta_reports_it(
    db: TestDb,
) {
    let (app, fake, sms) = app_with_whatsapp(db).await;
    let w = world(&app, "wapp").await;
    let meera = register(&app, "meera@wapp.test", "98123 45678").await;

    // No yes yet: a text, and nothing on WhatsApp (nor a failure for it).
    book(&app, &w, &meera, "2026-11-24T04:30:00Z").await;
    app.deliver_mail().await;
    assert_eq!(sms.sent().len(), 1);
    assert!(fake.sent().is_empty(), "{:?}", fake.sent());
    let listed = messages(&app, &w).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["channel"], "sms");

    // She says yes to WhatsApp, in Hindi.
    crate::preferences::set(
        &app,
        &meera,
        json!({"channels": {"whatsapp": true}, "language": "hi"}),
    )
    .await;
    let a = book(&app, &w, &meera, "2026-11-24T05:30:00Z").await;
    app.deliver_mail().await;
    app.deliver_mail().await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "one WhatsApp message per event: {sent:?}");
    let m = &sent[0];
    assert_eq!(m.to, "+919812345678");
    assert_eq!(m.template, "docspot_appointment_booked");
    assert_eq!(m.language, "hi");
    assert_eq!(m.params.len(), 4, "{m:?}");
    assert_eq!(m.params[1], "Dr Asha Rao");
    assert_eq!(m.params[3], a["ref_code"].as_str().unwrap());
    assert!(
        m.params
            .iter()
            .all(|p| !p.contains("canary") && !p.contains("chest")),
        "{m:?}"
    );
    assert_eq!(sms.sent().len(), 2, "the text goes too");
    let listed = messages(&app, &w).await;
    let row = listed
        .iter()
        .find(|r| r["channel"] == "whatsapp")
        .expect("the WhatsApp message is listed");
    assert_eq!(row["status"], "sent");
    assert_eq!(row["provider"], "whatsapp");
    assert_eq!(row["provider_ref"], m.id.as_str());
    assert!(
        row["body"].as_str().unwrap().contains("Dr Asha Rao"),
        "it is kept as it reads: {row}"
    );

    // Meta's signed webhook: delivered; a forged one changes nothing.
    let (body, signature) = fake.status(m, "delivered");
    let forged = webhook(&app, body.clone(), &format!("sha256={}", "0".repeat(64))).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text);
    let unsigned = webhook(&app, body.clone(), "").await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN, "{}", unsigned.text);
    let r = webhook(&app, body, &signature).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["known"], true);
    let (body, signature) = fake.status(m, "sent");
    assert_eq!(webhook(&app, body, &signature).await.status, StatusCode::OK);
    let listed = messages(&app, &w).await;
    let row = listed.iter().find(|r| r["channel"] == "whatsapp").unwrap();
    assert_eq!(
        row["status"], "delivered",
        "a late 'sent' never takes it back"
    );

    // Meta's subscription check.
    let check = |token: &str| {
        format!(
            "/api/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        )
    };
    let r = app.get(&check(whatsapp::VERIFY_TOKEN), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.text, "1158201444");
    let r = app.get(&check("guess"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // STOP on WhatsApp: the cancellation goes by text, not on WhatsApp; START brings it back.
    let (body, signature) = fake.reply("+919812345678", "STOP");
    let r = webhook(&app, body, &signature).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["changed"], true);
    let id = a["id"].as_str().unwrap();
    let r = crate::world::cancel(&app, &w, &meera, id, "away").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.deliver_mail().await;
    assert_eq!(fake.sent().len(), 1, "no WhatsApp after STOP");
    assert_eq!(sms.sent().len(), 3, "the text of the cancellation goes");
    let listed = messages(&app, &w).await;
    let stopped = listed
        .iter()
        .find(|r| r["channel"] == "whatsapp" && r["kind"] == "appointment.cancelled")
        .expect("the withheld message is listed");
    assert_eq!(stopped["status"], "failed");
    assert!(
        stopped["error"].as_str().unwrap().contains("STOP"),
        "{stopped}"
    );
    let (body, signature) = fake.reply("+919812345678", "START");
    let r = webhook(&app, body, &signature).await;
    assert_eq!(r.body["changed"], true, "{}", r.text);
    book(&app, &w, &meera, "2026-11-24T06:30:00Z").await;
    app.deliver_mail().await;
    assert_eq!(fake.sent().len(), 2, "WhatsApp again after START");
}

each_backend!(a_refused_whatsapp_message_fails_and_an_admin_sends_it_again_as_its_template);
async fn a_refused_whatsapp_message_fails_and_an_admin_sends_it_again_as_its_template(db: TestDb) {
    let (app, fake, _sms) = app_with_whatsapp(db).await;
    let w = world(&app, "wafail").await;
    let ravi = register(&app, "ravi@wafail.test", "+91 98450 22222").await;
    crate::preferences::set(&app, &ravi, json!({"channels": {"whatsapp": true}})).await;

    // Meta refuses it (the number is not on WhatsApp): failed for good, with Meta's code.
    fake.fail_next(400, 131026);
    book(&app, &w, &ravi, "2026-11-24T04:30:00Z").await;
    app.deliver_mail().await;
    let failed = messages(&app, &w)
        .await
        .into_iter()
        .find(|r| r["channel"] == "whatsapp")
        .unwrap();
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("131026"),
        "{failed}"
    );
    let id = failed["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/clinics/{}/messages/{id}/retry", w.clinic),
            Some(&w.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    app.deliver_mail().await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].template, "docspot_appointment_booked");
    assert_eq!(sent[0].language, "en");
    assert_eq!(sent[0].params[1], "Dr Asha Rao");
    let row = messages(&app, &w)
        .await
        .into_iter()
        .find(|r| r["id"] == id)
        .unwrap();
    assert_eq!(row["status"], "sent", "{row}");

    // An outage is tried again after the backoff.
    fake.fail_next(503, 2);
    book(&app, &w, &ravi, "2026-11-24T05:30:00Z").await;
    app.deliver_mail().await;
    assert_eq!(fake.sent().len(), 1);
    app.advance(jiff::SignedDuration::from_mins(10));
    app.deliver_mail().await;
    assert_eq!(fake.sent().len(), 2);
}

each_backend!(a_whatsapp_send_cut_off_by_a_crash_is_not_sent_again_once_meta_reports_it);
async fn a_whatsapp_send_cut_off_by_a_crash_is_not_sent_again_once_meta_reports_it(db: TestDb) {
    use docspot_server::jobs;
    let (app, fake, sms) = app_with_whatsapp(db).await;
    let w = world(&app, "wacrash").await;
    let asha = register(&app, "asha@wacrash.test", "98123 40000").await;
    crate::preferences::set(
        &app,
        &asha,
        json!({"channels": {"whatsapp": true, "sms": false}}),
    )
    .await;
    app.deliver_mail().await;

    // The worker sends the booking's WhatsApp message and dies before recording it.
    fake.hang_next();
    let r = crate::world::book(&app, &w, &asha, "2026-11-24T04:30:00Z").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let run = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        jobs::run_jobs(&app.state, &app.mailer),
    );
    assert!(run.await.is_err(), "the worker dies waiting for Meta");
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    let id = sent[0].reference.clone().expect("our id rides along");

    // Meta's webhook reports it sent, naming our id: the message gets its wamid.
    let (body, signature) = fake.status(&sent[0], "sent");
    let r = webhook(&app, body, &signature).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["known"], true);
    let row = messages(&app, &w)
        .await
        .into_iter()
        .find(|m| m["id"] == id.as_str())
        .expect("the message");
    assert_eq!(row["status"], "sent", "{row}");
    assert_eq!(row["provider_ref"], sent[0].id.as_str());

    // After the lease, another worker finds it sent and sends nothing more.
    let other = app.second_instance().await;
    app.advance(jiff::SignedDuration::from_mins(6));
    jobs::run_jobs(&other.state, &other.mailer).await.unwrap();
    assert_eq!(fake.sent().len(), 1, "not sent twice: {:?}", fake.sent());
    assert!(sms.sent().is_empty(), "texts are off for her");
}

each_backend!(words_from_notes_and_diagnoses_reach_no_text_and_no_whatsapp_message);
async fn words_from_notes_and_diagnoses_reach_no_text_and_no_whatsapp_message(db: TestDb) {
    let (app, fake, sms) = app_with_whatsapp(db).await;
    let w = world(&app, "wanotes").await;
    let desk = crate::world::desk(&app, &w, "wanotes").await;
    let (_, kavya, token) = crate::consultations::kavya_in_queue(&app, &w, &desk, "wanotes").await;
    crate::preferences::set(&app, &kavya, json!({"channels": {"whatsapp": true}})).await;
    // Called in, seen, and the visit written up with clinical words no message may carry.
    let r = crate::world::call_next(&app, &w).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{token}/consultation")),
            Some(&w.doctor_token),
            json!({}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let at = w.at(&format!(
        "/consultations/{}",
        r.body["id"].as_str().unwrap()
    ));
    let r = app
        .put(
            &at,
            Some(&w.doctor_token),
            json!({"complaints": "canary-complaint-3141 palpitations", "bp": "150/95",
                "examination": "canary-exam-1618 murmur", "diagnosis": "canary-diagnosis-2718 arrhythmia",
                "icd10": "i499", "advice": "canary-advice-1414 beta blocker", "version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &format!("{at}/sign"),
            Some(&w.doctor_token),
            json!({"version": r.body["version"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A follow-up booked and cancelled.
    let a = book(&app, &w, &kavya, "2026-11-24T04:30:00Z").await;
    let r = app
        .post(
            &w.at(&format!(
                "/appointments/{}/cancel",
                a["id"].as_str().unwrap()
            )),
            Some(&kavya),
            json!({"reason": "feeling better"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.deliver_mail().await;

    let texts: Vec<String> = sms.sent().into_iter().map(|m| m.body).collect();
    let whatsapp: Vec<String> = fake
        .sent()
        .into_iter()
        .map(|m| m.params.join(" | "))
        .collect();
    let kept: Vec<String> = messages(&app, &w)
        .await
        .into_iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    // Queue link, turn, booked and cancelled on both channels.
    assert!(texts.len() >= 4, "{texts:?}");
    assert!(whatsapp.len() >= 3, "{whatsapp:?}");
    for said in texts.iter().chain(&whatsapp).chain(&kept) {
        for word in [
            "canary",
            "palpitations",
            "murmur",
            "arrhythmia",
            "beta blocker",
            "150/95",
        ] {
            assert!(!said.contains(word), "{word} in {said}");
        }
    }
}
