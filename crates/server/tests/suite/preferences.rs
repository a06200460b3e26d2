//! Patients' notification preferences, on both databases: read and changed by the API and
//! the account page (each choice kept with its time and source; bad input refused by
//! field, changing nothing); texts follow them when due: in the patient's language, held
//! through quiet hours, withheld when texts are off; and a STOP reply, signed by the
//! provider, ends texts to that number until START (or until the patient turns texts on
//! again).

use crate::backends::each_backend;
use crate::{
    helpers::{PW, TestApp, form_post, page_get},
    sms::{app_with_twilio, callback},
    sms_providers::{book, messages},
    world::{World, world},
};
use axum::http::StatusCode;
use serde_json::{Value, json};
use store::testing::TestDb;

const PREFS: &str = "/api/v1/me/notification-preferences";

/// A patient account with `phone`; its access token.
pub(crate) async fn register(app: &TestApp, email: &str, phone: &str) -> String {
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "name": "Meera Iyer", "password": PW, "phone": phone}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.login(email).await.0
}

/// Changes the preferences of the account `token` to `change` (as the API takes it).
pub(crate) async fn set(app: &TestApp, token: &str, change: Value) {
    let r = app.put(PREFS, Some(token), change).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

fn channel<'a>(prefs: &'a Value, name: &str) -> &'a Value {
    prefs["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == name)
        .unwrap()
}

each_backend!(preferences_are_kept_with_their_consent_and_shape_the_texts);
async fn preferences_are_kept_with_their_consent_and_shape_the_texts(db: TestDb) {
    let (app, fake) = app_with_twilio(db).await;
    let w = world(&app, "prefs").await;
    let meera = register(&app, "meera@prefs.test", "98123 45678").await;
    let r = app.get(PREFS, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let before = app.get(PREFS, Some(&meera)).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert_eq!(channel(&before.body, "sms")["enabled"], true);
    assert_eq!(channel(&before.body, "sms")["consent_at"], Value::Null);
    assert_eq!(channel(&before.body, "whatsapp")["enabled"], false);
    assert_eq!(before.body["language"], "en");
    assert_eq!(before.body["quiet_hours"], Value::Null);

    // Bad input is refused by field and changes nothing.
    for (body, field) in [
        (json!({"language": "fr"}), "language"),
        (
            json!({"quiet_hours": {"start": "21:00", "end": "21:00"}}),
            "quiet_end",
        ),
        (
            json!({"quiet_hours": {"start": "9pm", "end": "08:00"}}),
            "quiet_start",
        ),
        (
            json!({"language": "hi", "quiet_hours": {"start": "", "end": "07:00"}}),
            "quiet_start",
        ),
    ] {
        let r = app.put(PREFS, Some(&meera), body.clone()).await;
        crate::helpers::refused_on(&r, field, &body);
    }
    let r = app
        .put(PREFS, Some(&meera), json!({"channels": {"fax": true}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(app.get(PREFS, Some(&meera)).await.body, before.body);

    // Hindi, and quiet hours around now (14:30 in Kolkata).
    let r = app
        .put(
            PREFS,
            Some(&meera),
            json!({"language": "hi", "quiet_hours": {"start": "14:00", "end": "15:00"},
                "channels": {"whatsapp": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["quiet_hours"],
        json!({"start": "14:00", "end": "15:00"})
    );
    let whatsapp = channel(&r.body, "whatsapp");
    assert_eq!(whatsapp["enabled"], true);
    assert_eq!(whatsapp["consent_source"], "api");
    assert_eq!(whatsapp["consent_at"], app.state.now().to_string().as_str());

    book(&app, &w, &meera, "2026-11-24T04:30:00Z").await;
    assert!(fake.sent().is_empty(), "held through quiet hours");
    app.advance(jiff::SignedDuration::from_mins(31));
    app.deliver_mail().await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "sent once they end: {sent:?}");
    assert!(
        sent[0].body.contains("मुलाक़ात"),
        "in Hindi: {}",
        sent[0].body
    );
    assert!(sent[0].body.contains("Dr Asha Rao"), "{}", sent[0].body);
    assert!(!sent[0].body.contains("canary"), "{}", sent[0].body);
    app.deliver_mail().await;
    assert_eq!(fake.sent().len(), 1, "and only once");

    // The account page turns texts off (and quiet hours off); the next text is withheld.
    let meera = app.login("meera@prefs.test").await.0;
    let page = "/account/notifications";
    let r = app.send(page_get(page, &meera)).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{:?} {}",
        r.headers.get("location"),
        r.text
    );
    assert!(r.text.contains("How we reach you") && r.text.contains("value=\"14:00\""));
    let r = app
        .send(form_post(
            page,
            Some(&meera),
            "email=on&language=en&quiet_start=22%3A00&quiet_end=",
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an end is needed"
    );
    assert!(
        r.text.contains("Give the time quiet hours end"),
        "{}",
        r.text
    );
    let r = app
        .send(form_post(
            page,
            Some(&meera),
            "email=on&language=en&quiet_start=&quiet_end=",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let prefs = app.get(PREFS, Some(&meera)).await.body;
    assert_eq!(channel(&prefs, "sms")["enabled"], false);
    assert_eq!(channel(&prefs, "sms")["consent_source"], "account page");
    assert_eq!(channel(&prefs, "whatsapp")["enabled"], false);
    assert_eq!(prefs["quiet_hours"], Value::Null);
    assert_eq!(prefs["language"], "en");
    let r = app.send(page_get(&format!("{page}?saved=1"), &meera)).await;
    assert!(
        r.text.contains("Saved.") && r.text.contains("Off since"),
        "{}",
        r.text
    );

    book(&app, &w, &meera, "2026-11-24T05:30:00Z").await;
    assert_eq!(fake.sent().len(), 1, "texts are off");
    let w = World {
        admin: app.login("admin@prefs.test").await.0,
        ..w
    };
    let listed = messages(&app, &w).await;
    assert_eq!(listed[0]["status"], "failed", "{listed:?}");
    assert!(
        listed[0]["error"]
            .as_str()
            .unwrap()
            .contains("turned texts off"),
        "{listed:?}"
    );
}

each_backend!(a_stop_reply_ends_texts_to_that_number_until_start);
async fn a_stop_reply_ends_texts_to_that_number_until_start(db: TestDb) {
    let (app, fake) = app_with_twilio(db).await;
    let w = world(&app, "stop").await;
    let ravi = register(&app, "ravi@stop.test", "+91 98450 22222").await;
    book(&app, &w, &ravi, "2026-11-24T04:30:00Z").await;
    assert_eq!(fake.sent().len(), 1);

    let url = format!(
        "{}/api/v1/webhooks/sms/twilio/inbound",
        app.state.settings().public_url
    );
    let (params, signature) = fake.inbound(&url, "+919845022222", " Stop ");
    let r = callback(&app, &url, &params, "bm90IGEgc2lnbmF0dXJl").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = callback(&app, &url, &params, &signature).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["changed"], true);
    let (params, signature) = fake.inbound(&url, "+919845022222", "thanks");
    let r = callback(&app, &url, &params, &signature).await;
    assert_eq!(r.body["changed"], false, "{}", r.text);

    book(&app, &w, &ravi, "2026-11-24T05:30:00Z").await;
    assert_eq!(fake.sent().len(), 1, "no text after STOP");
    let listed = messages(&app, &w).await;
    assert_eq!(listed[0]["status"], "failed");
    assert!(listed[0]["error"].as_str().unwrap().contains("STOP"));
    let prefs = app.get(PREFS, Some(&ravi)).await.body;
    assert_eq!(
        prefs["sms_opted_out_at"],
        app.state.now().to_string().as_str()
    );
    let r = app.send(page_get("/account/notifications", &ravi)).await;
    assert!(r.text.contains("replied STOP"), "{}", r.text);

    // START puts the number back.
    let (params, signature) = fake.inbound(&url, "+919845022222", "START");
    let r = callback(&app, &url, &params, &signature).await;
    assert_eq!(r.body["changed"], true, "{}", r.text);
    book(&app, &w, &ravi, "2026-11-24T06:30:00Z").await;
    assert_eq!(fake.sent().len(), 2, "texts again");

    // STOP again; turning texts on in the account also takes the number off the list.
    let (params, signature) = fake.inbound(&url, "+919845022222", "UNSUBSCRIBE");
    assert_eq!(
        callback(&app, &url, &params, &signature).await.body["changed"],
        true
    );
    let r = app
        .put(PREFS, Some(&ravi), json!({"channels": {"sms": true}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sms_opted_out_at"], Value::Null);
    book(&app, &w, &ravi, "2026-11-24T08:30:00Z").await;
    assert_eq!(fake.sent().len(), 3);
}
