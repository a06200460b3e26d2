//! Mobile numbers, on both databases: sign-up and the booking page ask for one (optional),
//! read in the clinic's country (else the install's, India here) and kept in E.164; a
//! number that cannot take a text is refused by field and nothing is written; the booked
//! patient's record carries the number the desk then sees.

use crate::backends::each_backend;
use crate::{
    helpers::{PW, TestApp, form_post, location, page_get},
    world::world,
};
use axum::http::StatusCode;
use serde_json::json;

async fn register(app: &TestApp, email: &str, phone: &str) -> crate::helpers::Resp {
    app.post(
        "/api/v1/auth/register",
        None,
        json!({"email": email, "name": "Kavya Nair", "password": PW, "phone": phone}),
    )
    .await
}

each_backend!(sign_up_takes_a_mobile_number_in_e164_and_refuses_what_cannot_take_a_text);
async fn sign_up_takes_a_mobile_number_in_e164_and_refuses_what_cannot_take_a_text(app: TestApp) {
    for (bad, why) in [
        ("12345", "Enter a mobile number"),
        ("080 2345 6789", "landline"),
        ("call me", "Enter a mobile number"),
    ] {
        let r = register(&app, "kavya@phone.test", bad).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert!(
            r.text.contains("\"phone\"") && r.text.contains(why),
            "{}",
            r.text
        );
    }
    // Nothing was written: the address is still free, and the number is read in India.
    let r = register(&app, "kavya@phone.test", "098123 45678").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["phone"], "+919812345678");
    let token = app.login("kavya@phone.test").await.0;
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["phone"], "+919812345678", "{}", me.text);
    // Optional, and international numbers keep their country.
    let r = register(&app, "ravi@phone.test", "").await;
    assert_eq!(r.body["phone"], serde_json::Value::Null);
    let r = register(&app, "tom@phone.test", "+44 7911 123456").await;
    assert_eq!(r.body["phone"], "+447911123456");

    // The sign-up page shows the refusal inline and keeps what was typed.
    let r = app
        .send(form_post(
            "/register",
            None,
            &format!(
                "name=Asha&email=asha@phone.test&phone=12345&password={pw}&confirm={pw}",
                pw = PW.replace(' ', "+")
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Enter a mobile number"), "{}", r.text);
    assert!(r.text.contains("value=\"12345\""), "{}", r.text);
}

each_backend!(the_booking_page_asks_for_a_number_in_the_clinics_country_and_the_record_keeps_it);
async fn the_booking_page_asks_for_a_number_in_the_clinics_country_and_the_record_keeps_it(
    app: TestApp,
) {
    let w = world(&app, "phonebook").await;
    let platform = app.platform_admin("platform@phone.test").await;
    // A clinic in the United Kingdom reads numbers as dialled there.
    let r = app
        .post(
            "/api/v1/clinics",
            Some(&platform),
            json!({"name": "Thames Clinic", "slug": "thames", "time_zone": "Europe/London",
                "currency": "GBP", "country": "GB", "admin_email": "admin@thames.test"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["country"], "GB");
    let r = app
        .post(
            "/api/v1/clinics",
            Some(&platform),
            json!({"name": "Nowhere", "slug": "nowhere", "time_zone": "UTC",
                "currency": "GBP", "country": "XX", "admin_email": "admin@nowhere.test"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("country"), "{}", r.text);

    // A visitor books on the clinic's page, signing up in the same form with a number.
    let book = "/c/phonebook/book";
    let slot = format!(
        "doctor={}&visit_type={}&start=2026-11-23T04%3A30%3A00Z",
        w.doctor, w.visit_type
    );
    let page = app.get(&format!("{book}?{slot}"), None).await;
    assert!(
        page.text.contains("Mobile number (optional)"),
        "{}",
        page.text
    );
    let form = |phone: &str| {
        format!(
            "{slot}&name=Meena+Iyer&email=meena@phone.test&password={}&phone={phone}",
            PW.replace(' ', "+")
        )
    };
    let r = app.send(form_post(book, None, &form("12"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("Enter a mobile number"), "{}", r.text);
    let r = app.send(form_post(book, None, &form("98451+22334"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(location(&r).contains("booked="), "{}", location(&r));

    // The desk sees the number on the patient's record.
    let desk = crate::world::desk(&app, &w, "phonebook").await;
    let list = app.get(&w.at("/patients?q=Meena"), Some(&desk)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.body[0]["phone"], "+919845122334", "{}", list.text);

    // A signed-in patient without a number gives one when booking; it is theirs from now.
    let r = app
        .send(page_get(&format!("{book}?{slot}"), &w.patient))
        .await;
    assert!(
        r.text.contains("For text reminders of this visit"),
        "{}",
        r.text
    );
    let later = slot.replace("04%3A30", "05%3A30");
    let r = app
        .send(form_post(
            book,
            Some(&w.patient),
            &format!("{later}&phone=98450+11111"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let me = app.get("/api/v1/me", Some(&w.patient)).await;
    assert_eq!(me.body["phone"], "+919845011111", "{}", me.text);
    let account = app.send(page_get("/account", &w.patient)).await;
    assert!(account.text.contains("+919845011111"), "{}", account.text);
    let list = app.get(&w.at("/patients?q=Ravi"), Some(&desk)).await;
    assert_eq!(list.body[0]["phone"], "+919845011111", "{}", list.text);
}
