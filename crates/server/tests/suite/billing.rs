//! Billing at the desk through the API: a visit billed, issued with its invoice number and
//! paid in parts; every bad bill or payment refused without a change; patients reading only
//! their own bills; concurrent payments never paying twice or beyond what is due; the cash
//! drawer's close-out and the collection report.

use crate::backends::each_backend;
use crate::{
    fixtures::{desk, world},
    helpers::{Resp, TestApp, pdf_text},
    world::{World, book, events},
};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// A booked visit of the world's patient: (appointment id, patient id).
pub(crate) async fn visit(app: &TestApp, w: &World, start: &str) -> (String, String) {
    let r = book(app, w, &w.patient, start).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["patient_id"].as_str().unwrap().to_owned(),
    )
}

pub(crate) fn ok(r: &Resp, want: StatusCode, what: &str) {
    assert_eq!(r.status, want, "{what}: {}", r.text);
}

pub(crate) fn bill_path(w: &World, bill: &Value, rest: &str) -> String {
    w.at(&format!("/bills/{}{rest}", bill["id"].as_str().unwrap()))
}

/// A visit's bill, issued with its proposed line: the bill.
pub(crate) async fn issued(app: &TestApp, w: &World, token: &str, start: &str) -> Value {
    let (appointment, _) = visit(app, w, start).await;
    let r = app
        .post(
            &w.at("/bills"),
            Some(token),
            json!({"appointment_id": appointment}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "create");
    let r = app
        .post(
            &bill_path(w, &r.body, "/issue"),
            Some(token),
            json!({"version": r.body["version"]}),
        )
        .await;
    ok(&r, StatusCode::OK, "issue");
    r.body
}

each_backend!(a_visit_is_billed_issued_and_paid_in_parts_with_change);
async fn a_visit_is_billed_issued_and_paid_in_parts_with_change(app: TestApp) {
    let w = world(&app, "bill").await;
    let desk = desk(&app, &w, "bill").await;
    let (appointment, patient) = visit(&app, &w, "2026-11-23T04:30:00Z").await;

    // Proposed from the visit: the visit type's price, exempt.
    let r = app
        .post(
            &w.at("/bills"),
            Some(&desk),
            json!({"appointment_id": appointment}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "create");
    let bill = r.body;
    assert_eq!(bill["status"], "draft");
    assert_eq!(bill["number"], Value::Null);
    assert_eq!(bill["patient_id"], patient.as_str());
    assert_eq!(
        bill["items"][0]["description"],
        "Consultation with Dr Asha Rao"
    );
    assert_eq!(bill["items"][0]["unit_price_minor"], 50_000);
    assert_eq!(bill["total_minor"], 50_000);
    assert_eq!(bill["due_minor"], 0, "a draft is not due");

    // Edited: two strips of tablets at 12% and a 10% discount with its reason.
    let r = app
        .put(
            &bill_path(&w, &bill, ""),
            Some(&desk),
            json!({"version": bill["version"], "items": [
                {"description": "Consultation", "quantity": 1, "unit_price_minor": 50_000, "tax_rate": "0", "code": "999312"},
                {"description": "Paracetamol 500 mg strip", "quantity": 2, "unit_price_minor": 3_333, "tax_rate": "12", "code": "3004"}
            ], "discount_percent": "10", "discount_reason": "Senior citizen"}),
        )
        .await;
    ok(&r, StatusCode::OK, "update");
    let bill = r.body;
    // 56,666 gross; 10% off is 5,667 shared 5,000 / 667; tax 12% of 5,999 = 720.
    assert_eq!(bill["subtotal_minor"], 56_666);
    assert_eq!(bill["discount_minor"], 5_667);
    assert_eq!(bill["tax_minor"], 720);
    assert_eq!(bill["total_minor"], 51_719);
    let lines: i64 = bill["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["total_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(lines, 51_719, "the lines add up to the bill");

    let r = app
        .post(
            &bill_path(&w, &bill, "/issue"),
            Some(&desk),
            json!({"version": bill["version"]}),
        )
        .await;
    ok(&r, StatusCode::OK, "issue");
    let bill = r.body;
    assert_eq!(bill["status"], "issued");
    assert_eq!(bill["number"], "INV/26-27/0001");
    assert_eq!(bill["due_minor"], 51_719);

    // UPI for 200.00, then 400.00 cash handed over for the rest: 82.81 change.
    let r = app
        .post(
            &bill_path(&w, &bill, "/payments"),
            Some(&desk),
            json!({"parts": [
                {"method": "cash", "amount_minor": 40_000},
                {"method": "upi", "amount_minor": 20_000, "reference": "412345678901"}
            ]}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "pay");
    assert_eq!(r.body["change_minor"], 40_000 + 20_000 - 51_719);
    let paid = &r.body["bill"];
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["due_minor"], 0);
    assert_eq!(paid["paid_minor"], 51_719);
    let parts = paid["payments"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert!(
        parts
            .iter()
            .all(|p| p["receipt_id"] == r.body["receipt_id"])
    );
    let cash = parts.iter().find(|p| p["method"] == "cash").unwrap();
    assert_eq!(
        (
            cash["amount_minor"].as_i64(),
            cash["tendered_minor"].as_i64()
        ),
        (Some(31_719), Some(40_000))
    );
    assert_eq!(cash["received_by"], "Anil Desk");

    // The invoice as a PDF: every field a receipt needs, as poppler reads it.
    let r = app.get(&bill_path(&w, &bill, "/pdf"), Some(&desk)).await;
    ok(&r, StatusCode::OK, "pdf");
    assert_eq!(r.headers["content-type"], "application/pdf");
    assert!(
        r.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("invoice-INV-26-27-0001.pdf")
    );
    if let Some(text) = pdf_text(&r.bytes) {
        for want in [
            "Invoice INV/26-27/0001",
            "Ravi Kumar",
            "MRN ",
            "Paracetamol 500 mg strip",
            "3004",
            "Discount (Senior citizen)",
            "Tax at 12% on INR 59.99",
            "INR 517.19",
            "UPI ref. 412345678901",
            "CASH",
            "Balance due",
            "INR 0.00",
        ] {
            assert!(text.contains(want), "{want} missing from the PDF: {text}");
        }
    }
    let r = app
        .get(&bill_path(&w, &bill, "/pdf"), Some(&w.patient))
        .await;
    ok(&r, StatusCode::OK, "the patient's own pdf");

    // A second visit's bill takes the next number.
    let next = issued(&app, &w, &desk, "2026-11-24T04:30:00Z").await;
    assert_eq!(next["number"], "INV/26-27/0002");

    let log = events(&app, &w).await;
    for action in ["bill.create", "bill.update", "bill.issue", "payment.record"] {
        assert!(log.iter().any(|(a, _)| a == action), "{action} audited");
    }
    let pay = log.iter().find(|(a, _)| a == "payment.record").unwrap();
    assert_eq!(pay.1["change"], 8_281);
    let kinds = domain_events(&app).await;
    assert!(kinds.contains(&"bill.issued".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"payment.recorded".to_owned()), "{kinds:?}");
}

async fn domain_events(app: &TestApp) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    let c = app.state.store().conn();
    c.query_all_raw(sea_orm::Statement::from_string(
        c.get_database_backend(),
        "SELECT kind FROM events ORDER BY occurred_at",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get::<String>("", "kind").unwrap())
    .collect()
}

each_backend!(bad_bills_and_payments_are_refused_and_change_nothing);
async fn bad_bills_and_payments_are_refused_and_change_nothing(app: TestApp) {
    let w = world(&app, "badbill").await;
    let desk = desk(&app, &w, "badbill").await;
    let (appointment, patient) = visit(&app, &w, "2026-11-23T04:30:00Z").await;
    let line = |rate: &str| json!({"description": "Dressing", "quantity": 1, "unit_price_minor": 10_000, "tax_rate": rate});
    let cases = [
        (
            json!({"patient_id": patient, "items": [line("7")]}),
            "items",
        ),
        (json!({"patient_id": patient}), "items"),
        (
            json!({"patient_id": patient, "appointment_id": appointment}),
            "appointment_id",
        ),
        (
            json!({"patient_id": patient, "items": [line("5")], "discount_minor": 100}),
            "discount_reason",
        ),
        (
            json!({"patient_id": patient, "items": [line("5")], "discount_percent": "25", "discount_reason": "staff"}),
            "discount",
        ),
        (
            json!({"patient_id": patient, "items": [line("5")], "discount_minor": 100, "discount_percent": "5", "discount_reason": "x"}),
            "discount",
        ),
        (
            json!({"patient_id": patient, "items": [{"description": "", "quantity": 1, "unit_price_minor": 1}]}),
            "items",
        ),
        (
            json!({"patient_id": patient, "items": [{"description": "x", "quantity": 0, "unit_price_minor": 1}]}),
            "items",
        ),
        (
            json!({"patient_id": patient, "items": [{"description": "x", "quantity": 1, "unit_price_minor": -1}]}),
            "items",
        ),
        (
            json!({"patient_id": patient, "items": [{"description": "x", "quantity": 1, "unit_price_minor": 1, "code": "ABC"}]}),
            "items",
        ),
    ];
    for (body, field) in cases {
        let r = app.post(&w.at("/bills"), Some(&desk), body.clone()).await;
        ok(&r, StatusCode::UNPROCESSABLE_ENTITY, &body.to_string());
        assert_eq!(r.body["errors"][0]["field"], field, "{body}");
    }
    let r = app.get(&w.at("/bills"), Some(&desk)).await;
    assert_eq!(r.body.as_array().unwrap().len(), 0, "nothing was written");
    // The admin may discount beyond the desk's limit.
    let r = app
        .post(
            &w.at("/bills"),
            Some(&w.admin),
            json!({"patient_id": patient, "items": [line("5")], "discount_percent": "25", "discount_reason": "staff"}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "admin discount");
    let draft = r.body;

    let r = app
        .post(
            &bill_path(&w, &draft, "/payments"),
            Some(&desk),
            json!({"parts": [{"method": "cash", "amount_minor": 100}]}),
        )
        .await;
    ok(&r, StatusCode::CONFLICT, "a draft is not paid");
    let r = app
        .post(
            &bill_path(&w, &draft, "/issue"),
            Some(&desk),
            json!({"version": 99}),
        )
        .await;
    ok(&r, StatusCode::CONFLICT, "a stale version");

    let bill = {
        let r = app
            .post(
                &w.at("/bills"),
                Some(&desk),
                json!({"appointment_id": appointment}),
            )
            .await;
        ok(&r, StatusCode::CREATED, "visit bill");
        let r = app
            .post(
                &w.at("/bills"),
                Some(&desk),
                json!({"appointment_id": appointment}),
            )
            .await;
        ok(&r, StatusCode::CONFLICT, "one live bill per visit");
        let list = app.get(&w.at("/bills?status=draft"), Some(&desk)).await;
        let b = list
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["appointment_id"] == appointment.as_str())
            .unwrap()
            .clone();
        let r = app
            .post(
                &bill_path(&w, &b, "/issue"),
                Some(&desk),
                json!({"version": b["version"]}),
            )
            .await;
        ok(&r, StatusCode::OK, "issue");
        r.body
    };
    let pay = |parts: Value| {
        let path = bill_path(&w, &bill, "/payments");
        let desk = desk.clone();
        let app = &app;
        async move { app.post(&path, Some(&desk), json!({"parts": parts})).await }
    };
    for (parts, what) in [
        (
            json!([{"method": "card", "amount_minor": 10_000}]),
            "a card part needs its reference",
        ),
        (
            json!([{"method": "card", "amount_minor": 50_001, "reference": "T1"}]),
            "card beyond what is due",
        ),
        (
            json!([{"method": "cheque", "amount_minor": 100}]),
            "unknown method",
        ),
        (json!([{"method": "cash", "amount_minor": 0}]), "zero"),
        (
            json!([{"method": "upi", "amount_minor": 50_000, "reference": "U1"}, {"method": "cash", "amount_minor": 100}]),
            "a part that pays nothing",
        ),
        (json!([]), "no part"),
    ] {
        let r = pay(parts).await;
        ok(&r, StatusCode::UNPROCESSABLE_ENTITY, what);
    }
    let r =
        pay(json!([{"method": "upi", "amount_minor": 10_000, "reference": "412345678901"}])).await;
    ok(&r, StatusCode::CREATED, "a part");
    let r =
        pay(json!([{"method": "upi", "amount_minor": 10_000, "reference": "412345678901"}])).await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "the same UTR twice");
    assert!(r.text.contains("already recorded"), "{}", r.text);
    let r = app
        .put(
            &bill_path(&w, &bill, ""),
            Some(&desk),
            json!({"version": 2, "items": [line("0")]}),
        )
        .await;
    ok(&r, StatusCode::CONFLICT, "an issued bill is not edited");

    // Voiding: not by the desk, not once paid in part; an unpaid one by the admin.
    let r = app
        .post(
            &bill_path(&w, &bill, "/void"),
            Some(&desk),
            json!({"reason": "wrong patient"}),
        )
        .await;
    ok(&r, StatusCode::FORBIDDEN, "the desk cannot void");
    let r = app
        .post(
            &bill_path(&w, &bill, "/void"),
            Some(&w.admin),
            json!({"reason": "wrong patient"}),
        )
        .await;
    ok(&r, StatusCode::CONFLICT, "paid in part");
    let other = issued(&app, &w, &desk, "2026-11-24T04:30:00Z").await;
    let r = app
        .post(
            &bill_path(&w, &other, "/void"),
            Some(&w.admin),
            json!({"reason": " "}),
        )
        .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    let r = app
        .post(
            &bill_path(&w, &other, "/void"),
            Some(&w.admin),
            json!({"reason": "Booked twice"}),
        )
        .await;
    ok(&r, StatusCode::OK, "void");
    assert_eq!(r.body["status"], "void");
    assert_eq!(
        r.body["number"], other["number"],
        "a void bill keeps its number"
    );
    let r = app
        .post(
            &bill_path(&w, &other, "/payments"),
            Some(&desk),
            json!({"parts": [{"method": "cash", "amount_minor": 100}]}),
        )
        .await;
    ok(&r, StatusCode::CONFLICT, "a void bill is not paid");
    let r = app.get(&w.at("/bills?status=nope"), Some(&desk)).await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad status filter");
}

each_backend!(patients_read_only_their_own_issued_bills);
async fn patients_read_only_their_own_issued_bills(app: TestApp) {
    let w = world(&app, "mybill").await;
    let desk = desk(&app, &w, "mybill").await;
    let bill = issued(&app, &w, &desk, "2026-11-23T04:30:00Z").await;
    let r = app.get(&bill_path(&w, &bill, ""), Some(&w.patient)).await;
    ok(&r, StatusCode::OK, "own bill");
    assert_eq!(r.body["number"], bill["number"]);
    let r = app.get("/api/v1/me/bills", Some(&w.patient)).await;
    ok(&r, StatusCode::OK, "my bills");
    assert_eq!(r.body.as_array().unwrap().len(), 1);

    app.register("other@mybill.test", "Meera Iyer").await;
    let other = app.login("other@mybill.test").await.0;
    for token in [&other, &w.doctor_token] {
        let r = app.get(&bill_path(&w, &bill, ""), Some(token)).await;
        ok(&r, StatusCode::NOT_FOUND, "someone else's bill");
        let r = app.get(&bill_path(&w, &bill, "/pdf"), Some(token)).await;
        ok(&r, StatusCode::NOT_FOUND, "someone else's invoice");
        let r = app.get(&w.at("/bills"), Some(token)).await;
        ok(&r, StatusCode::NOT_FOUND, "the list");
    }
    let r = app.get("/api/v1/me/bills", Some(&other)).await;
    assert_eq!(r.body.as_array().unwrap().len(), 0);
    // A draft is the desk's until issued.
    let (appointment, _) = visit(&app, &w, "2026-11-24T04:30:00Z").await;
    let r = app
        .post(
            &w.at("/bills"),
            Some(&desk),
            json!({"appointment_id": appointment}),
        )
        .await;
    let r = app.get(&bill_path(&w, &r.body, ""), Some(&w.patient)).await;
    ok(&r, StatusCode::NOT_FOUND, "a draft");
}
