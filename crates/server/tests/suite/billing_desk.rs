//! The billing desk's money beyond a single bill, through the API on both databases: the
//! cash drawer's close-out and the collection report, the clinic's billing settings, and
//! correcting issued bills with credit notes and refunds.

use crate::backends::each_backend;
use crate::{
    billing::{bill_path, issued, ok},
    fixtures::{desk, world},
    helpers::TestApp,
    world::events,
};
use axum::http::StatusCode;
use serde_json::json;

each_backend!(the_drawer_closes_with_its_variance_and_the_day_is_reported);
async fn the_drawer_closes_with_its_variance_and_the_day_is_reported(app: TestApp) {
    let w = world(&app, "drawer").await;
    let desk = desk(&app, &w, "drawer").await;
    let r = app
        .post(
            &w.at("/cash-sessions"),
            Some(&desk),
            json!({"opening_float_minor": 100_000}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "open");
    let session = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &w.at("/cash-sessions"),
            Some(&desk),
            json!({"opening_float_minor": 0}),
        )
        .await;
    ok(&r, StatusCode::CONFLICT, "one open drawer");
    let r = app
        .post(
            &w.at("/cash-sessions"),
            Some(&desk),
            json!({"opening_float_minor": -1}),
        )
        .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "a negative float");

    let a = issued(&app, &w, &desk, "2026-11-23T04:30:00Z").await;
    let r = app.post(&bill_path(&w, &a, "/payments"), Some(&desk),
        json!({"parts": [{"method": "cash", "amount_minor": 30_000}, {"method": "card", "amount_minor": 20_000, "reference": "T1"}]})).await;
    ok(&r, StatusCode::CREATED, "pay a");
    let b = issued(&app, &w, &desk, "2026-11-24T04:30:00Z").await;
    let r = app.post(&bill_path(&w, &b, "/payments"), Some(&desk),
        json!({"parts": [{"method": "upi", "amount_minor": 50_000, "reference": "987654321012"}]})).await;
    ok(&r, StatusCode::CREATED, "pay b");

    // The admin is not the drawer's receptionist but may close it; a patient may not.
    let close = w.at(&format!("/cash-sessions/{session}/close"));
    let r = app
        .post(&close, Some(&w.patient), json!({"counted_cash_minor": 1}))
        .await;
    ok(&r, StatusCode::NOT_FOUND, "a patient");
    let r = app.post(&close, Some(&desk), json!({"counted_cash_minor": 129_500, "counted_card_minor": 20_000, "counted_upi_minor": 50_000, "note": "one 5 rupee coin short"})).await;
    ok(&r, StatusCode::OK, "close");
    let line = |m: &str| {
        r.body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["method"] == m)
            .unwrap()
            .clone()
    };
    assert_eq!(
        line("cash")["expected_minor"],
        130_000,
        "float plus cash taken"
    );
    assert_eq!(line("cash")["variance_minor"], -500);
    assert_eq!(line("card")["variance_minor"], 0);
    assert_eq!(line("upi")["expected_minor"], 50_000);
    let r = app
        .post(&close, Some(&desk), json!({"counted_cash_minor": 1}))
        .await;
    ok(&r, StatusCode::CONFLICT, "closed already");

    let r = app
        .get(&w.at("/reports/collections?from=2026-11-22"), Some(&desk))
        .await;
    ok(&r, StatusCode::OK, "report");
    assert_eq!(r.body["total_minor"], 100_000);
    assert_eq!(
        (
            r.body["cash_minor"].as_i64(),
            r.body["card_minor"].as_i64(),
            r.body["upi_minor"].as_i64()
        ),
        (Some(30_000), Some(20_000), Some(50_000))
    );
    assert_eq!(r.body["cells"][0]["doctor_name"], "Dr Asha Rao");
    assert_eq!(
        r.body["by_day"],
        json!([{"date": "2026-11-22", "amount_minor": 100_000}])
    );
    assert_eq!(r.body["sessions"][0]["lines"][0]["variance_minor"], -500);
    let r = app
        .get(
            &w.at("/reports/collections?from=2026-11-22&format=csv"),
            Some(&desk),
        )
        .await;
    ok(&r, StatusCode::OK, "csv");
    assert!(
        r.text.starts_with("doctor,method,payments,amount_minor\n"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("\"Dr Asha Rao\",cash,1,30000"),
        "{}",
        r.text
    );
    let r = app
        .get(
            &w.at("/reports/collections?from=2026-11-22&to=2026-01-01"),
            Some(&desk),
        )
        .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "a backwards range");
    let r = app
        .get(&w.at("/reports/collections"), Some(&w.doctor_token))
        .await;
    ok(&r, StatusCode::NOT_FOUND, "not the doctor's");
}

each_backend!(billing_settings_are_the_admins_and_number_the_next_bill);
async fn billing_settings_are_the_admins_and_number_the_next_bill(app: TestApp) {
    let w = world(&app, "bset").await;
    let desk = desk(&app, &w, "bset").await;
    let r = app.get(&w.at("/billing-settings"), Some(&desk)).await;
    ok(&r, StatusCode::OK, "read");
    assert_eq!(r.body["tax_rates"], "0, 5, 12, 18");
    assert_eq!(r.body["year_start_month"], 4);
    let mut s = r.body.clone();
    s["invoice_prefix"] = json!("asha");
    s["tax_id"] = json!("29abcde1234f1z5");
    s["upi_vpa"] = json!("asha.clinic@okbank");
    s["upi_payee"] = json!("Asha Clinic");
    let r = app
        .put(&w.at("/billing-settings"), Some(&desk), s.clone())
        .await;
    ok(&r, StatusCode::NOT_FOUND, "not the desk's");
    let mut bad = s.clone();
    bad["tax_rates"] = json!("5, lots");
    bad["upi_vpa"] = json!("nobank");
    let r = app
        .put(&w.at("/billing-settings"), Some(&w.admin), bad)
        .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad settings");
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 2, "{}", r.text);
    let r = app.put(&w.at("/billing-settings"), Some(&w.admin), s).await;
    ok(&r, StatusCode::OK, "set");
    assert_eq!(r.body["invoice_prefix"], "ASHA");
    let bill = issued(&app, &w, &desk, "2026-11-23T04:30:00Z").await;
    assert_eq!(bill["number"], "ASHA/26-27/0001");
    assert_eq!(bill["tax_id"], "29ABCDE1234F1Z5");
}

each_backend!(credit_notes_and_refunds_correct_an_issued_bill);
async fn credit_notes_and_refunds_correct_an_issued_bill(app: TestApp) {
    let w = world(&app, "credit").await;
    let desk = desk(&app, &w, "credit").await;
    let bill = issued(&app, &w, &desk, "2026-11-23T04:30:00Z").await;
    let credit = bill_path(&w, &bill, "/credit-notes");
    let r = app
        .post(
            &credit,
            Some(&desk),
            json!({"amount_minor": 10_000, "reason": "Overcharged"}),
        )
        .await;
    ok(&r, StatusCode::FORBIDDEN, "the desk cannot credit");
    let r = app
        .post(
            &credit,
            Some(&w.admin),
            json!({"amount_minor": 10_000, "reason": " "}),
        )
        .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    let r = app
        .post(
            &credit,
            Some(&w.admin),
            json!({"amount_minor": 10_000, "reason": "Overcharged"}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "credit");
    assert_eq!(r.body["credit_notes"][0]["number"], "CN/26-27/0001");
    assert_eq!(
        (
            r.body["credited_minor"].as_i64(),
            r.body["due_minor"].as_i64()
        ),
        (Some(10_000), Some(40_000))
    );
    let r = app
        .post(
            &credit,
            Some(&w.admin),
            json!({"amount_minor": 40_000, "reason": "All of it"}),
        )
        .await;
    ok(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing paid: void instead",
    );
    let r = app
        .post(
            &bill_path(&w, &bill, "/payments"),
            Some(&desk),
            json!({"parts": [{"method": "cash", "amount_minor": 40_000}]}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "pay");
    assert_eq!(r.body["bill"]["status"], "paid");
    let payment = r.body["bill"]["payments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &credit,
            Some(&w.admin),
            json!({"amount_minor": 100, "reason": "Late"}),
        )
        .await;
    ok(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a paid bill is refunded, not credited",
    );
    let refund = bill_path(&w, &bill, &format!("/payments/{payment}/refund"));
    let r = app
        .post(
            &refund,
            Some(&w.admin),
            json!({"amount_minor": 15_000, "reason": "Dressing not used"}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "refund");
    assert_eq!(r.body["credit_notes"][1]["number"], "CN/26-27/0002");
    assert_eq!(r.body["credit_notes"][1]["refund_of"], payment.as_str());
    assert_eq!(
        (
            r.body["paid_minor"].as_i64(),
            r.body["credited_minor"].as_i64()
        ),
        (Some(25_000), Some(25_000))
    );
    assert_eq!(r.body["status"], "paid", "what is left is paid");
    assert_eq!(r.body["payments"][0]["refunded_minor"], 15_000);
    let r = app
        .post(
            &refund,
            Some(&w.admin),
            json!({"amount_minor": 25_001, "reason": "Too much"}),
        )
        .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "beyond the payment");
    let unknown = bill_path(
        &w,
        &bill,
        &format!("/payments/{}/refund", uuid::Uuid::now_v7()),
    );
    let r = app
        .post(
            &unknown,
            Some(&w.admin),
            json!({"amount_minor": 1, "reason": "x"}),
        )
        .await;
    ok(&r, StatusCode::NOT_FOUND, "another payment");
    // The day's takings are net of the refund.
    let r = app
        .get(&w.at("/reports/collections?from=2026-11-22"), Some(&desk))
        .await;
    assert_eq!(r.body["cash_minor"], 25_000);
    let log = events(&app, &w).await;
    assert_eq!(
        log.iter()
            .filter(|(a, _)| a == "credit_note.create")
            .count(),
        2
    );
}
