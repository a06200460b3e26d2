//! Signing in with a one-time code, on both databases: texted through the loopback Twilio
//! or e-mailed; six digits, once, for five minutes and five tries; the same answer whether
//! or not an account has the number; a wrong, used or late code signs nobody in.

use crate::backends::each_backend;
use crate::{helpers::PW, sms::app_with_twilio};
use axum::http::StatusCode;
use serde_json::json;
use store::testing::TestDb;

fn code_in(text: &str) -> String {
    let at = text.find("sign-in code is ").expect("a code") + "sign-in code is ".len();
    text[at..at + 6].to_owned()
}

each_backend!(a_patient_signs_in_with_a_code_texted_or_emailed_once_within_five_minutes);
async fn a_patient_signs_in_with_a_code_texted_or_emailed_once_within_five_minutes(db: TestDb) {
    let (app, fake) = app_with_twilio(db).await;
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "asha@otp.test", "name": "Asha Rao", "password": PW, "phone": "98123 45678"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.deliver_mail().await;
    let ask = |to: &str| app.post("/api/v1/auth/otp", None, json!({"destination": to}));
    let verify = |to: &str, code: &str| {
        app.post(
            "/api/v1/auth/otp/verify",
            None,
            json!({"destination": to, "code": code}),
        )
    };

    // Nobody has this number: the same answer, and nothing is sent.
    let r = ask("+91 99999 00000").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let nobody = r.body.clone();
    app.deliver_mail().await;
    assert!(fake.sent().is_empty());
    let r = ask("not a number").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // By text: the code works once.
    let r = ask("98123 45678").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.body, nobody, "no account enumeration");
    app.deliver_mail().await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "+919812345678");
    let code = code_in(&sent[0].body);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let r = verify("+919812345678", wrong).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = verify("+919812345678", &code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let token = r.body["access_token"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["email"], "asha@otp.test");
    let r = verify("+919812345678", &code).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "used once");

    // By e-mail, and too late after five minutes.
    let r = ask("asha@otp.test").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let mails = app.deliver_mail().await;
    let mail = mails
        .iter()
        .map(|(_, m)| crate::helpers::quoted_printable_flat(m))
        .find(|m| m.contains("sign-in code is"))
        .expect("the code by e-mail");
    let code = code_in(&mail);
    app.advance(jiff::SignedDuration::from_secs(301));
    let r = verify("asha@otp.test", &code).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "expired");

    // Five wrong tries use a code up.
    ask("asha@otp.test").await;
    let mut mails = app.deliver_mail().await;
    // Named by their job ids, which grow with time: the last is the newest.
    mails.sort();
    let code = mails
        .iter()
        .map(|(_, m)| crate::helpers::quoted_printable_flat(m))
        .filter(|m| m.contains("sign-in code is"))
        .map(|m| code_in(&m))
        .next_back()
        .unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(
            verify("asha@otp.test", wrong).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let r = verify("asha@otp.test", &code).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "used up by wrong tries"
    );
    // The password still works.
    assert_eq!(
        app.login_with("asha@otp.test", PW).await.status,
        StatusCode::OK
    );

    // The same on the pages, by text.
    let r = app.get("/login/code", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .send(crate::helpers::form_post(
            "/login/code",
            None,
            "destination=98123+45678",
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains("a six-digit code is on its way"),
        "{}",
        r.text
    );
    app.deliver_mail().await;
    let code = code_in(&fake.sent().last().unwrap().body);
    let r = app
        .send(crate::helpers::form_post(
            "/login/code/verify",
            None,
            "destination=98123+45678&code=12",
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("That code is wrong or has expired"),
        "{}",
        r.text
    );
    let r = app
        .send(crate::helpers::form_post(
            "/login/code/verify",
            None,
            &format!("destination=98123+45678&code={code}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(
        r.headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("ds_access=")),
        "signed in"
    );
}

each_backend!(a_new_mobile_number_replaces_the_old_once_the_code_texted_to_it_comes_back);
async fn a_new_mobile_number_replaces_the_old_once_the_code_texted_to_it_comes_back(db: TestDb) {
    use crate::helpers::{form_post, location, page_get};
    let (app, fake) = app_with_twilio(db).await;
    app.post(
        "/api/v1/auth/register",
        None,
        json!({"email": "ravi@otp.test", "name": "Ravi Das", "password": PW, "phone": "98123 45678"}),
    )
    .await;
    let me = app.login("ravi@otp.test").await.0;
    let r = app.send(page_get("/account/phone", &me)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("+919812345678"), "{}", r.text);
    let r = app
        .send(form_post(
            "/account/phone",
            Some(&me),
            "phone=080+2345+6789",
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a landline");
    let r = app
        .send(form_post("/account/phone", Some(&me), "phone=98450+44444"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text.contains("We have texted a code to +919845044444"),
        "{}",
        r.text
    );
    app.deliver_mail().await;
    let sent = fake.sent();
    assert_eq!(sent.last().unwrap().to, "+919845044444");
    let text = &sent.last().unwrap().body;
    let at = text.find("confirmation code is ").unwrap() + "confirmation code is ".len();
    let code = text[at..at + 6].to_owned();
    // Not a sign-in code, and a wrong one changes nothing.
    let r = app
        .post(
            "/api/v1/auth/otp/verify",
            None,
            json!({"destination": "+919812345678", "code": code}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let r = app
        .send(form_post(
            "/account/phone/confirm",
            Some(&me),
            &format!("phone=%2B919845044444&code={wrong}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let now = app.get("/api/v1/me", Some(&me)).await;
    assert_eq!(now.body["phone"], "+919812345678");
    let r = app
        .send(form_post(
            "/account/phone/confirm",
            Some(&me),
            &format!("phone=%2B919845044444&code={code}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(location(&r).ends_with("/account?done=phone"));
    let now = app.get("/api/v1/me", Some(&me)).await;
    assert_eq!(now.body["phone"], "+919845044444");
}
