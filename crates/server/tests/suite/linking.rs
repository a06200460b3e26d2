//! A patient the desk registered before they signed up online: their first booking uses
//! that record once they have confirmed their e-mail address, and never makes a second one.

use crate::backends::each_backend;
use crate::{
    helpers::{TestApp, form_post, location, page_get, page_post},
    world::{book, desk, world},
};
use axum::http::StatusCode;
use serde_json::json;

each_backend!(a_confirmed_address_links_the_first_booking_to_the_desk_record_and_an_unconfirmed_one_books_nothing);
async fn a_confirmed_address_links_the_first_booking_to_the_desk_record_and_an_unconfirmed_one_books_nothing(
    app: TestApp,
) {
    let w = world(&app, "autolink").await;
    let desk = desk(&app, &w, "autolink").await;
    let walk_in = json!({"name": "Kavya Nair", "sex": "female", "birth_date": "1990-04-01",
        "phone": "+91 98450 11111", "email": "kavya@autolink.test"});
    let r = app.post(&w.at("/patients"), Some(&desk), walk_in).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let record = r.body["id"].as_str().unwrap().to_owned();
    let records = |q: &'static str| {
        let (app, w, desk) = (&app, &w, &desk);
        async move {
            let r = app
                .get(&w.at(&format!("/patients?q={q}")), Some(desk))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            r.body.as_array().unwrap().len()
        }
    };

    // She signs up online (with her name spelt a little differently) and books at
    // once, before confirming her address: refused, and nothing is written.
    let r = app.register("kavya@autolink.test", "kavya  NAIR").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let kavya = app.login("kavya@autolink.test").await.0;
    let me = app.get("/api/v1/me", Some(&kavya)).await;
    assert_eq!(me.body["email_confirmed"], false, "{}", me.text);
    let r = book(&app, &w, &kavya, "2026-11-23T04:30:00Z").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["rule"], "email_unconfirmed", "{}", r.text);
    assert!(r.text.contains("kavya@autolink.test"), "{}", r.text);
    assert_eq!(records("kavya").await, 1);
    let mine = app.get("/api/v1/me/appointments", Some(&kavya)).await;
    assert_eq!(mine.body.as_array().map(Vec::len), Some(0), "{}", mine.text);

    // A new link waits a minute; the mailed one confirms, once.
    let r = app
        .post("/api/v1/me/email-confirmation", Some(&kavya), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    let token = app
        .link_token_sent_to("kavya@autolink.test", "/confirm-email?token=")
        .await;
    let confirm = |token: String| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/email-confirmation",
                None,
                json!({"token": token}),
            )
            .await
        }
    };
    let r = confirm(format!("{token}x")).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "forged: {}",
        r.text
    );
    let r = confirm(token.clone()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = confirm(token).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "used: {}",
        r.text
    );
    let me = app.get("/api/v1/me", Some(&kavya)).await;
    assert_eq!(me.body["email_confirmed"], true, "{}", me.text);
    let r = app
        .post("/api/v1/me/email-confirmation", Some(&kavya), json!({}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "already confirmed: {}",
        r.text
    );

    // Now her first booking links the desk's record to her account and uses it.
    let r = book(&app, &w, &kavya, "2026-11-23T04:30:00Z").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["patient_id"], record.as_str(), "{}", r.text);
    assert_eq!(records("kavya").await, 1);
    let r = app
        .get(&w.at(&format!("/patients/{record}")), Some(&desk))
        .await;
    assert_eq!(r.body["has_account"], true, "{}", r.text);
    assert_eq!(app.audit_count("patient.link").await, 1);
    assert_eq!(app.audit_count("user.email_confirm").await, 1);
    let r = book(&app, &w, &kavya, "2026-11-23T05:30:00Z").await;
    assert_eq!(r.body["patient_id"], record.as_str(), "{}", r.text);

    // A parent whose address is on their child's record is not linked to the child:
    // confirmed or not, a different name gets a record of its own.
    let child = json!({"name": "Arjun Menon", "sex": "male", "age": "6",
        "phone": "+91 98450 22222", "email": "menon@autolink.test"});
    let r = app.post(&w.at("/patients"), Some(&desk), child).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let arjun = r.body["id"].as_str().unwrap().to_owned();
    app.register("menon@autolink.test", "Lakshmi Menon").await;
    let lakshmi = app.login("menon@autolink.test").await.0;
    let r = book(&app, &w, &lakshmi, "2026-11-23T06:30:00Z").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_ne!(r.body["patient_id"], arjun.as_str(), "{}", r.text);
    assert_eq!(records("menon").await, 2);
    let r = app
        .get(&w.at(&format!("/patients/{arjun}")), Some(&desk))
        .await;
    assert_eq!(r.body["has_account"], false, "{}", r.text);

    // Her online record has no phone; when she later walks in, the desk's form still
    // finds her by name and e-mail address before making a second record.
    let walk_in = json!({"name": "Lakshmi Menon", "sex": "female", "age": "38",
        "phone": "+91 98450 33333", "email": "menon@autolink.test"});
    let r = app.post(&w.at("/patients"), Some(&desk), walk_in).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let reasons: Vec<_> = r.body["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["name"].as_str().unwrap(), d["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(reasons, [("Lakshmi Menon", "name_and_email")], "{}", r.text);
    assert_eq!(records("menon").await, 2);
}

each_backend!(
    the_confirmation_link_opens_a_page_whose_button_confirms_and_the_account_page_resends
);
async fn the_confirmation_link_opens_a_page_whose_button_confirms_and_the_account_page_resends(
    app: TestApp,
) {
    app.register("ravi@confirm.test", "Ravi Kumar").await;
    let (ravi, _) = app.login("ravi@confirm.test").await;
    let token = app
        .link_token_sent_to("ravi@confirm.test", "/confirm-email?token=")
        .await;

    let account = app.send(page_get("/account", &ravi)).await;
    assert!(
        account.text.contains("Not confirmed")
            && account
                .text
                .contains(r#"action="/account/email-confirmation""#),
        "{}",
        account.text
    );
    // Too soon after the registration's link: the page says so and sends nothing.
    let r = page_post(&app, "/account/email-confirmation", &ravi, "").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert!(r.text.contains(r#"role="alert""#), "{}", r.text);
    app.advance(jiff::SignedDuration::from_secs(61));
    let (ravi, _) = app.login("ravi@confirm.test").await;
    let r = page_post(&app, "/account/email-confirmation", &ravi, "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(location(&r), "/account?done=confirmation");
    let newer = app
        .link_token_sent_to("ravi@confirm.test", "/confirm-email?token=")
        .await;
    assert_ne!(newer, token);

    // Opening the link (as a mail scanner would) confirms nothing.
    let r = app
        .get(&format!("/confirm-email?token={newer}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Confirm my e-mail address"), "{}", r.text);
    let me = app.get("/api/v1/me", Some(&ravi)).await;
    assert_eq!(me.body["email_confirmed"], false);

    let post = |body: String| form_post("/confirm-email", None, &body);
    let r = app.send(post("token=nonsense".into())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("invalid, used or expired"), "{}", r.text);
    // The older link still works too.
    let r = app.send(post(format!("token={token}"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("E-mail address confirmed"), "{}", r.text);
    let account = app.send(page_get("/account", &ravi)).await;
    assert!(
        account.text.contains("Confirmed") && !account.text.contains("Not confirmed"),
        "{}",
        account.text
    );
}
