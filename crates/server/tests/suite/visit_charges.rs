//! A visit's own charges, billed by the billing subscriber of its events: the visit type's
//! deposit at booking (taken off the visit's bill, moved with a reschedule), and the
//! clinic's late-cancellation and no-show fees (less a paid deposit), each billed once
//! however often its job runs; the policy refused when bad and shown before booking.

use crate::backends::each_backend;
use crate::billing::{bill_path, ok};
use crate::{
    fixtures::{desk, world},
    helpers::{TestApp, page_get},
    world::World,
};
use axum::http::StatusCode;
use jiff::SignedDuration;
use serde_json::{Value, json};

/// Tomorrow 10:00 in the clinic (Asia/Kolkata): 19.5 hours after the test clock's now.
const TOMORROW: &str = "2026-11-23T04:30:00Z";
/// Three days ahead.
const LATER: &str = "2026-11-25T04:30:00Z";

/// A clinic-wide visit type priced 500.00 with `deposit` (minor units): its id.
async fn deposit_type(app: &TestApp, w: &World, deposit: i64) -> String {
    let r = app
        .post(
            &w.at("/visit-types"),
            Some(&w.admin),
            json!({"name": "Deposit visit", "duration_min": 15, "price_minor": 50_000,
                "deposit_minor": deposit}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "visit type");
    assert_eq!(r.body["deposit_minor"], deposit);
    r.body["id"].as_str().unwrap().to_owned()
}

/// Books `start` of `vt` for the world's patient: the appointment id.
async fn book_type(app: &TestApp, w: &World, vt: &str, start: &str) -> String {
    let r = app
        .post(
            &w.at("/appointments"),
            Some(&w.patient),
            json!({"doctor_id": w.doctor, "visit_type_id": vt, "start": start}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "book");
    r.body["id"].as_str().unwrap().to_owned()
}

/// The patient's bills, after the worker has run every due job (twice: a repeated run
/// bills nothing more).
async fn my_bills(app: &TestApp, w: &World) -> Vec<Value> {
    app.deliver_mail().await;
    app.deliver_mail().await;
    let r = app.get("/api/v1/me/bills", Some(&w.patient)).await;
    ok(&r, StatusCode::OK, "my bills");
    r.body.as_array().unwrap().clone()
}

fn of<'a>(bills: &'a [Value], kind: &str, appointment: &str) -> Vec<&'a Value> {
    bills
        .iter()
        .filter(|b| b["kind"] == kind && b["appointment_id"] == appointment)
        .collect()
}

async fn set_fees(app: &TestApp, w: &World, fees: Value) -> crate::helpers::Resp {
    let r = app.get(&w.at("/billing-settings"), Some(&w.admin)).await;
    ok(&r, StatusCode::OK, "settings");
    let mut s = r.body;
    for (k, v) in fees.as_object().unwrap() {
        s[k] = v.clone();
    }
    app.put(&w.at("/billing-settings"), Some(&w.admin), s).await
}

each_backend!(a_deposit_is_billed_at_booking_and_taken_off_the_visit_bill);
async fn a_deposit_is_billed_at_booking_and_taken_off_the_visit_bill(app: TestApp) {
    let w = world(&app, "dep").await;
    let desk = desk(&app, &w, "dep").await;
    let r = app
        .post(
            &w.at("/visit-types"),
            Some(&w.admin),
            json!({"name": "Too much", "duration_min": 15, "price_minor": 100,
                "deposit_minor": 101}),
        )
        .await;
    ok(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deposit above the price",
    );
    assert!(r.text.contains("deposit_minor"), "{}", r.text);
    let vt = deposit_type(&app, &w, 20_000).await;

    // Booked: the deposit is billed by itself, issued, for the patient to pay.
    let a = book_type(&app, &w, &vt, LATER).await;
    let bills = my_bills(&app, &w).await;
    let deposits = of(&bills, "deposit", &a);
    assert_eq!(deposits.len(), 1, "one deposit however often the job runs");
    let deposit = deposits[0].clone();
    assert_eq!(deposit["status"], "issued");
    assert_eq!(deposit["total_minor"], 20_000);
    assert_eq!(deposit["due_minor"], 20_000);
    let number = deposit["number"].as_str().unwrap().to_owned();
    let full = app
        .get(&bill_path(&w, &deposit, ""), Some(&w.patient))
        .await;
    ok(&full, StatusCode::OK, "the patient reads their deposit");
    assert!(
        full.body["items"][0]["description"]
            .as_str()
            .unwrap()
            .starts_with("Booking deposit: Deposit visit with Dr Asha Rao, "),
        "{deposit}"
    );
    // A visit type without one bills nothing at booking.
    let plain = crate::world::book(&app, &w, &w.patient, "2026-11-25T05:30:00Z").await;
    let plain = plain.body["id"].as_str().unwrap().to_owned();
    assert!(
        my_bills(&app, &w)
            .await
            .iter()
            .all(|b| b["appointment_id"] != plain.as_str())
    );

    // Moved: the deposit goes with the visit.
    let r = app
        .post(
            &w.at(&format!("/appointments/{a}/reschedule")),
            Some(&w.patient),
            json!({"start": "2026-11-25T06:30:00Z"}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "reschedule");
    let moved = r.body["id"].as_str().unwrap().to_owned();
    let bills = my_bills(&app, &w).await;
    assert!(of(&bills, "deposit", &a).is_empty());
    let deposits = of(&bills, "deposit", &moved);
    assert_eq!(deposits.len(), 1, "{bills:?}");
    assert_eq!(deposits[0]["number"], number.as_str());

    // Paid at the desk; the visit's bill asks only for the rest, naming the deposit.
    let r = app
        .post(
            &bill_path(&w, &deposit, "/payments"),
            Some(&desk),
            json!({"parts": [{"method": "cash", "amount_minor": 20_000}]}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "pay the deposit");
    let r = app
        .post(
            &w.at("/bills"),
            Some(&desk),
            json!({"appointment_id": moved}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "the visit's bill");
    assert_eq!(r.body["kind"], "visit");
    assert_eq!(r.body["items"][0]["unit_price_minor"], 30_000);
    assert_eq!(
        r.body["items"][0]["description"],
        format!("Deposit visit with Dr Asha Rao, less deposit {number}").as_str()
    );

    // Cancelled in time: an unpaid deposit is voided, and no fee.
    let b = book_type(&app, &w, &vt, "2026-11-26T04:30:00Z").await;
    assert_eq!(
        of(&my_bills(&app, &w).await, "deposit", &b)[0]["status"],
        "issued"
    );
    let r = crate::world::cancel(&app, &w, &w.patient, &b, "travelling").await;
    ok(&r, StatusCode::OK, "cancel");
    let bills = my_bills(&app, &w).await;
    let voided = of(&bills, "deposit", &b);
    assert_eq!(voided.len(), 1, "{bills:?}");
    assert_eq!(voided[0]["status"], "void");
    assert_eq!(voided[0]["void_reason"], "Appointment cancelled in time");
}

each_backend!(late_cancellations_and_no_shows_are_billed_by_the_clinics_policy);
async fn late_cancellations_and_no_shows_are_billed_by_the_clinics_policy(app: TestApp) {
    let mut w = world(&app, "fees").await;
    let desk = desk(&app, &w, "fees").await;

    // A bad policy is refused by field and changes nothing.
    for (bad, field) in [
        (json!({"late_cancel_hours": 721}), "late_cancel_hours"),
        (json!({"late_cancel_fee": "-5"}), "late_cancel_fee"),
        (json!({"no_show_fee": "lots"}), "no_show_fee"),
    ] {
        let r = set_fees(&app, &w, bad).await;
        ok(&r, StatusCode::UNPROCESSABLE_ENTITY, field);
        assert!(r.text.contains(field), "{}", r.text);
    }
    let r = app.get(&w.at("/billing-settings"), Some(&desk)).await;
    assert_eq!(r.body["late_cancel_fee"], "");
    assert_eq!(r.body["late_cancel_hours"], 24);
    let r = set_fees(
        &app,
        &w,
        json!({"late_cancel_hours": 24, "late_cancel_fee": "200", "no_show_fee": "300"}),
    )
    .await;
    ok(&r, StatusCode::OK, "fees set");
    assert_eq!(r.body["late_cancel_fee"], "200");
    assert_eq!(r.body["no_show_fee"], "300");

    // Shown before booking, with the deposit of the visit type.
    let vt = deposit_type(&app, &w, 10_000).await;
    let slug = "fees";
    let page = app
        .send(page_get(
            &format!(
                "/c/{slug}/book?doctor={}&visit_type={vt}&start={LATER}",
                w.doctor
            ),
            &w.patient,
        ))
        .await;
    ok(&page, StatusCode::OK, "confirm page");
    for said in [
        "A deposit of INR 100.00 is billed when you book (see Bills and payments)",
        "Cancelling less than 24 hours before the visit costs INR 200.00.",
        "Not coming without cancelling costs INR 300.00.",
    ] {
        assert!(page.text.contains(said), "{said}: {}", page.text);
    }

    // The patient cancels tomorrow's visit late: the fee.
    let late = crate::world::book(&app, &w, &w.patient, TOMORROW).await;
    let late = late.body["id"].as_str().unwrap().to_owned();
    // In time, and the clinic's own late cancellation: nothing.
    let early = crate::world::book(&app, &w, &w.patient, LATER).await;
    let early = early.body["id"].as_str().unwrap().to_owned();
    let clinics = crate::world::book(&app, &w, &w.patient, "2026-11-23T05:30:00Z").await;
    let clinics = clinics.body["id"].as_str().unwrap().to_owned();
    for (id, who) in [(&late, &w.patient), (&early, &w.patient), (&clinics, &desk)] {
        let r = crate::world::cancel(&app, &w, who, id, "cannot come").await;
        ok(&r, StatusCode::OK, "cancel");
    }
    let bills = my_bills(&app, &w).await;
    let fee = of(&bills, "late_cancel", &late);
    assert_eq!(fee.len(), 1, "{bills:?}");
    assert_eq!(fee[0]["status"], "issued");
    assert_eq!(fee[0]["total_minor"], 20_000);
    let full = app.get(&bill_path(&w, fee[0], ""), Some(&w.patient)).await;
    assert!(
        full.body["items"][0]["description"]
            .as_str()
            .unwrap()
            .starts_with("Late cancellation fee: Consultation with Dr Asha Rao, "),
        "{}",
        fee[0]
    );
    assert!(
        bills
            .iter()
            .all(|b| b["appointment_id"] != early.as_str()
                && b["appointment_id"] != clinics.as_str())
    );

    // No-shows: a plain visit owes the whole fee; a paid deposit counts towards it; an
    // unpaid one is replaced by the fee.
    let plain = crate::world::book(&app, &w, &w.patient, TOMORROW).await;
    let plain = plain.body["id"].as_str().unwrap().to_owned();
    let paid = book_type(&app, &w, &vt, "2026-11-23T05:00:00Z").await;
    let unpaid = book_type(&app, &w, &vt, "2026-11-23T06:00:00Z").await;
    let bills = my_bills(&app, &w).await;
    let deposit = of(&bills, "deposit", &paid)[0].clone();
    let r = app
        .post(
            &bill_path(&w, &deposit, "/payments"),
            Some(&desk),
            json!({"parts": [{"method": "upi", "amount_minor": 10_000, "reference": "998877665544"}]}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "deposit paid");
    app.advance(SignedDuration::from_hours(22));
    // Signed in again after the day passed.
    let desk = app.login("desk@fees.test").await.0;
    w.patient = app.login("pat@fees.test").await.0;
    for id in [&plain, &paid, &unpaid] {
        let r = app
            .post(
                &w.at(&format!("/appointments/{id}/noshow")),
                Some(&desk),
                json!({}),
            )
            .await;
        ok(&r, StatusCode::OK, "no-show");
    }
    let bills = my_bills(&app, &w).await;
    let total = |id: &str| -> Vec<(String, i64, String)> {
        bills
            .iter()
            .filter(|b| b["appointment_id"] == id)
            .map(|b| {
                (
                    b["kind"].as_str().unwrap().to_owned(),
                    b["total_minor"].as_i64().unwrap(),
                    b["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(total(&plain), [("no_show".into(), 30_000, "issued".into())]);
    let mut p = total(&paid);
    p.sort();
    assert_eq!(
        p,
        [
            ("deposit".into(), 10_000, "paid".into()),
            ("no_show".into(), 20_000, "issued".into())
        ]
    );
    // The unpaid deposit is voided, the whole fee billed instead.
    let mut u = total(&unpaid);
    u.sort();
    assert_eq!(
        u,
        [
            ("deposit".into(), 10_000, "void".into()),
            ("no_show".into(), 30_000, "issued".into())
        ]
    );

    // Every bill the job made is audited as the job's.
    let audit = crate::world::events(&app, &w).await;
    assert!(
        audit.iter().filter(|(a, _)| a == "bill.issue").count() >= 6,
        "{audit:?}"
    );
}

each_backend!(a_deposit_paid_online_is_refunded_through_the_provider_when_cancelled_in_time);
async fn a_deposit_paid_online_is_refunded_through_the_provider_when_cancelled_in_time(
    db: store::testing::TestDb,
) {
    use crate::online_payments::{app_with_stripe, webhook};
    let (app, fake) = app_with_stripe(db).await;
    let w = world(&app, "depon").await;
    let vt = deposit_type(&app, &w, 25_000).await;
    let a = book_type(&app, &w, &vt, LATER).await;
    let deposit = of(&my_bills(&app, &w).await, "deposit", &a)[0].clone();
    let r = app
        .post(
            &bill_path(&w, &deposit, "/online-payments"),
            Some(&w.patient),
            json!({"provider": "stripe"}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "pay the deposit online");
    assert_eq!(r.body["amount_minor"], 25_000);
    let session_id = r.body["provider_ref"].as_str().unwrap().to_owned();
    let session = fake.mark_paid(&session_id).unwrap();
    let intent = format!("pi_{}", session_id.trim_start_matches("cs_"));
    let paid = fake.event("evt_dep", "checkout.session.completed", &session);
    let now = app.state.now().as_second();
    let r = app.send(webhook(&paid, &fake.sign(&paid, now))).await;
    ok(&r, StatusCode::OK, "webhook");

    let r = crate::world::cancel(&app, &w, &w.patient, &a, "better now").await;
    ok(&r, StatusCode::OK, "cancel in time");
    let bills = my_bills(&app, &w).await;
    assert_eq!(fake.refunds(), [(intent, 25_000)], "refunded once");
    let d = of(&bills, "deposit", &a)[0];
    assert_eq!(d["credited_minor"], 25_000, "{d}");
    let full = app.get(&bill_path(&w, d, ""), Some(&w.patient)).await;
    assert_eq!(full.body["payments"][0]["refunded_minor"], 25_000);
    assert_eq!(
        full.body["credit_notes"][0]["reason"],
        "Deposit refunded: the appointment was cancelled in time"
    );
}
