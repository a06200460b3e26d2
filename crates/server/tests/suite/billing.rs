//! Billing at the desk through the API: a visit billed, issued with its invoice number and
//! paid in parts; every bad bill or payment refused without a change; patients reading only
//! their own bills; concurrent payments never paying twice or beyond what is due; the cash
//! drawer's close-out and the collection report.

use crate::backends::each_backend;
use crate::{
    fixtures::{desk, world},
    helpers::{Resp, TestApp, pdf_text, send_to},
    world::{World, book, events},
};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// A booked visit of the world's patient: (appointment id, patient id).
async fn visit(app: &TestApp, w: &World, start: &str) -> (String, String) {
    let r = book(app, w, &w.patient, start).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["patient_id"].as_str().unwrap().to_owned(),
    )
}

fn ok(r: &Resp, want: StatusCode, what: &str) {
    assert_eq!(r.status, want, "{what}: {}", r.text);
}

fn bill_path(w: &World, bill: &Value, rest: &str) -> String {
    w.at(&format!("/bills/{}{rest}", bill["id"].as_str().unwrap()))
}

/// A visit's bill, issued with its proposed line: the bill.
async fn issued(app: &TestApp, w: &World, token: &str, start: &str) -> Value {
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

/// Sends the same payment from `n` tasks at once; their statuses.
async fn at_once(
    app: &TestApp,
    path: &str,
    token: &str,
    bodies: Vec<(Value, Option<String>)>,
) -> Vec<StatusCode> {
    let mut tasks = Vec::new();
    for (body, key) in bodies {
        let router = app.router.clone();
        let (path, token) = (path.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut req = TestApp::req(Method::POST, &path, Some(&token), Some(&body));
            if let Some(k) = key {
                req.headers_mut()
                    .insert("idempotency-key", k.parse().unwrap());
            }
            send_to(router, req).await.status
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn payment_rows(app: &TestApp) -> (i64, i64) {
    use sea_orm::ConnectionTrait;
    let c = app.state.store().conn();
    let r = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS s FROM payments",
        ))
        .await
        .unwrap()
        .unwrap();
    (r.try_get("", "n").unwrap(), r.try_get("", "s").unwrap())
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    twenty_payments_with_one_key_make_one_payment
);
async fn twenty_payments_with_one_key_make_one_payment(app: TestApp) {
    let w = world(&app, "idem").await;
    let desk = desk(&app, &w, "idem").await;
    let bill = issued(&app, &w, &desk, "2026-11-23T04:30:00Z").await;
    let body = json!({"parts": [{"method": "card", "amount_minor": 20_000, "reference": "T-778"}]});
    let sent = (0..20)
        .map(|_| (body.clone(), Some("pay-once-1".to_owned())))
        .collect();
    let statuses = at_once(&app, &bill_path(&w, &bill, "/payments"), &desk, sent).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{}: {statuses:?}", app.backend);
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(payment_rows(&app).await, (1, 20_000));
    let r = app.get(&bill_path(&w, &bill, ""), Some(&desk)).await;
    assert_eq!(r.body["paid_minor"], 20_000);
    assert_eq!(r.body["status"], "partly_paid");
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    twenty_concurrent_payments_never_overpay_a_bill
);
async fn twenty_concurrent_payments_never_overpay_a_bill(app: TestApp) {
    let w = world(&app, "overpay").await;
    let desk = desk(&app, &w, "overpay").await;
    let bill = issued(&app, &w, &desk, "2026-11-23T04:30:00Z").await;
    // 500.00 due; twenty card payments of 150.00 at once: at most three fit.
    let sent = (0..20)
        .map(|i| (json!({"parts": [{"method": "card", "amount_minor": 15_000, "reference": format!("T{i}")}]}), None))
        .collect();
    let statuses = at_once(&app, &bill_path(&w, &bill, "/payments"), &desk, sent).await;
    for s in &statuses {
        assert!(
            [
                StatusCode::CREATED,
                StatusCode::CONFLICT,
                StatusCode::UNPROCESSABLE_ENTITY
            ]
            .contains(s),
            "{}: {statuses:?}",
            app.backend
        );
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count() as i64;
    assert!((1..=3).contains(&created), "{statuses:?}");
    let (n, sum) = payment_rows(&app).await;
    assert_eq!((n, sum), (created, created * 15_000));
    let r = app.get(&bill_path(&w, &bill, ""), Some(&desk)).await;
    assert_eq!(
        r.body["paid_minor"], sum,
        "the bill agrees with its payments"
    );
    assert!(sum <= 50_000, "never beyond what is due");
}

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
