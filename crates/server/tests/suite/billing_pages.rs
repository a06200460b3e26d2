//! The billing pages without a browser, on both databases: the desk bills a visit from the
//! day page (a second press opens the same bill), a standalone bill for a patient, bad
//! input shown inline with nothing written, a payment form sent twice taking one payment,
//! the admin's billing settings, the drawer and the collection report's CSV; and who may
//! open each page.

use crate::backends::each_backend;
use crate::{
    fixtures::{desk, world},
    helpers::{Resp, TestApp, location, page_get, page_post, pdf_text},
    world::book,
};
use axum::http::StatusCode;

async fn get(app: &TestApp, path: &str, token: &str) -> Resp {
    app.send(page_get(path, token)).await
}

fn ok(r: &Resp, want: StatusCode, what: &str) {
    assert_eq!(r.status, want, "{what}: {}", r.text);
}

each_backend!(the_desk_bills_a_visit_and_a_patient_from_the_pages);
async fn the_desk_bills_a_visit_and_a_patient_from_the_pages(app: TestApp) {
    let w = world(&app, "bpages").await;
    let desk = desk(&app, &w, "bpages").await;
    let r = book(&app, &w, &w.patient, "2026-11-23T04:30:00Z").await;
    let appointment = r.body["id"].as_str().unwrap().to_owned();
    let patient = r.body["patient_id"].as_str().unwrap().to_owned();
    let bills = format!("/clinics/{}/bills", w.clinic);

    // The visit's bill: pressing Bill twice opens the same one.
    let r = page_post(&app, &bills, &desk, &format!("appointment={appointment}")).await;
    ok(&r, StatusCode::SEE_OTHER, "bill the visit");
    let bill = location(&r);
    let again = page_post(&app, &bills, &desk, &format!("appointment={appointment}")).await;
    assert_eq!(location(&again), bill, "one bill per visit");
    let r = get(&app, &bill, &desk).await;
    ok(&r, StatusCode::OK, "draft");
    assert!(
        r.text.contains("Consultation with Dr Asha Rao"),
        "{}",
        r.text
    );

    // A bad price is explained inline; what was typed stays.
    let body = "version=1&description_0=Consultation&quantity_0=1&price_0=500&tax_0=0\
        &description_1=Dressing&quantity_1=1&price_1=12.345&tax_1=12&action=issue";
    let r = page_post(&app, &bill, &desk, body).await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad price");
    assert!(r.text.contains("Line 2: price"), "{}", r.text);
    assert!(r.text.contains("value=\"12.345\""), "{}", r.text);
    // Fixed, saved and issued in one press.
    let r = page_post(&app, &bill, &desk, &body.replace("12.345", "120")).await;
    ok(&r, StatusCode::SEE_OTHER, "issue");
    assert!(location(&r).ends_with("?done=issued"), "{}", location(&r));
    let r = get(&app, &location(&r), &desk).await;
    assert!(r.text.contains("Issued as INV/26-27/0001"), "{}", r.text);
    assert!(
        r.text.contains("INR 634.40"),
        "500 + 120 + 12% of 120: {}",
        r.text
    );
    let key = r
        .text
        .split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();

    // The payment form sent twice (a double click) takes one payment.
    let pay = format!("{bill}/pay");
    let body = format!("key={key}&cash=700&upi=&upi_ref=&card=&card_ref=");
    let first = page_post(&app, &pay, &desk, &body).await;
    ok(&first, StatusCode::SEE_OTHER, "pay");
    let second = page_post(&app, &pay, &desk, &body).await;
    assert_eq!(location(&second), location(&first), "the same receipt");
    let r = get(&app, &location(&first), &desk).await;
    assert!(r.text.contains("Give INR 65.60 change."), "{}", r.text);
    let api = app
        .get(
            &format!("/api/v1/clinics/{}/bills?status=paid", w.clinic),
            Some(&desk),
        )
        .await;
    assert_eq!(api.body.as_array().unwrap().len(), 1);
    assert_eq!(api.body[0]["paid_minor"], 63_440);

    // The admin refunds part of the cash from the bill's page, with a credit note.
    let paid_bill = api.body[0]["id"].as_str().unwrap().to_owned();
    let detail = app
        .get(
            &format!("/api/v1/clinics/{}/bills/{paid_bill}", w.clinic),
            Some(&desk),
        )
        .await;
    let pid = detail.body["payments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refund = format!("{bill}/refund");
    let r = page_post(
        &app,
        &refund,
        &w.admin,
        &format!("payment={pid}&amount=lots&reason=x"),
    )
    .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad amount");
    assert!(r.text.contains("Enter an amount like 500"), "{}", r.text);
    let r = page_post(
        &app,
        &refund,
        &w.admin,
        &format!("payment={pid}&amount=100&reason=Dressing+returned"),
    )
    .await;
    ok(&r, StatusCode::SEE_OTHER, "refund");
    let r = get(&app, &location(&r), &w.admin).await;
    assert!(
        r.text.contains("Credit note CN/26-27/0001 issued."),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("Dressing returned · INR 100.00 refunded"),
        "{}",
        r.text
    );
    let r = page_post(
        &app,
        &refund,
        &desk,
        &format!("payment={pid}&amount=1&reason=x"),
    )
    .await;
    ok(&r, StatusCode::FORBIDDEN, "not the desk's");

    // The receipt by e-mail, to the patient's account address.
    let r = page_post(&app, &format!("{bill}/email"), &desk, "").await;
    ok(&r, StatusCode::SEE_OTHER, "e-mail");
    let r = get(&app, &location(&r), &desk).await;
    assert!(r.text.contains("on their way to the patient"), "{}", r.text);
    let mails = app.deliver_mail().await;
    let mail = mails
        .iter()
        .map(|(_, m)| crate::helpers::quoted_printable_flat(m))
        .find(|m| m.contains("Invoice INV/26-27/0001 from"))
        .expect("the receipt e-mail");
    assert!(mail.contains("To: pat@bpages.test"), "{mail}");
    for want in ["Balance due: INR 0.00", "CASH", "/print"] {
        assert!(mail.contains(want), "{want}: {mail}");
    }

    // A standalone bill for the patient, from their record.
    let r = get(&app, &format!("{bills}?patient={patient}"), &desk).await;
    ok(&r, StatusCode::OK, "new bill form");
    assert!(r.text.contains("New bill"), "{}", r.text);
    let r = page_post(
        &app,
        &bills,
        &desk,
        &format!("patient={patient}&description_0=&price_0="),
    )
    .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "no line");
    assert!(r.text.contains("Add at least one line."), "{}", r.text);
    let r = page_post(&app, &bills, &desk, &format!("patient={patient}&description_0=Nebulisation&quantity_0=1&price_0=250&tax_0=5&action=save")).await;
    ok(&r, StatusCode::SEE_OTHER, "standalone");
    let r = get(
        &app,
        &format!("/clinics/{}/patients/{patient}", w.clinic),
        &desk,
    )
    .await;
    assert!(
        r.text.contains("INV/26-27/0001") && r.text.contains("Draft"),
        "{}",
        r.text
    );

    // The print page: the desk and the patient; not another patient, not the doctor.
    let print = format!("{bill}/print");
    let r = get(&app, &format!("{bill}/pdf"), &w.patient).await;
    ok(&r, StatusCode::OK, "the patient's invoice pdf");
    assert_eq!(r.headers["content-type"], "application/pdf");
    if let Some(text) = pdf_text(&r.bytes) {
        assert!(
            text.contains("INV/26-27/0001") && text.contains("INR 634.40"),
            "{text}"
        );
    }
    ok(
        &get(&app, &print, &desk).await,
        StatusCode::OK,
        "desk print",
    );
    let r = get(&app, &print, &w.patient).await;
    ok(&r, StatusCode::OK, "patient print");
    assert!(
        r.text.contains("Balance due") && r.text.contains("CASH"),
        "{}",
        r.text
    );
    let r = get(&app, "/bills", &w.patient).await;
    assert!(r.text.contains("INV/26-27/0001"), "{}", r.text);
    for (who, token) in [("doctor", &w.doctor_token), ("patient", &w.patient)] {
        for path in [
            bill.clone(),
            bills.clone(),
            format!("/clinics/{}/drawer", w.clinic),
        ] {
            let r = get(&app, &path, token).await;
            ok(&r, StatusCode::NOT_FOUND, &format!("{who} on {path}"));
        }
    }
    ok(
        &get(&app, &print, &w.doctor_token).await,
        StatusCode::NOT_FOUND,
        "doctor print",
    );
}

each_backend!(settings_drawer_and_report_pages_work_and_refuse_bad_input);
async fn settings_drawer_and_report_pages_work_and_refuse_bad_input(app: TestApp) {
    let w = world(&app, "bset2").await;
    let desk = desk(&app, &w, "bset2").await;
    let settings = format!("/clinics/{}/settings/billing", w.clinic);
    ok(
        &get(&app, &settings, &desk).await,
        StatusCode::NOT_FOUND,
        "not the desk's",
    );
    let r = get(&app, &settings, &w.admin).await;
    ok(&r, StatusCode::OK, "settings");
    assert!(r.text.contains("0, 5, 12, 18"), "{}", r.text);
    assert!(r.text.contains("Stripe: not set up."), "{}", r.text);
    let good = "tax_id=29ABCDE1234F1Z5&tax_rates=0,5,12,18&consultation_tax_rate=0&rounding=line\
        &invoice_prefix=SUN&year_start_month=4&desk_discount_limit=15&upi_vpa=sun@okbank&upi_payee=Sunrise";
    let r = page_post(
        &app,
        &settings,
        &w.admin,
        &good.replace("sun@okbank", "sun"),
    )
    .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad UPI id");
    assert!(
        r.text.contains("Enter a UPI id like clinic@okbank."),
        "{}",
        r.text
    );
    let r = page_post(
        &app,
        &settings,
        &w.admin,
        &format!("{good}&late_cancel_hours=soon&late_cancel_fee=150"),
    )
    .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad window");
    assert!(r.text.contains("Use 0 to 720 hours."), "{}", r.text);
    assert!(r.text.contains("value=\"150\""), "{}", r.text);
    let r = page_post(
        &app,
        &settings,
        &w.admin,
        &format!("{good}&late_cancel_hours=12&late_cancel_fee=150&no_show_fee="),
    )
    .await;
    ok(&r, StatusCode::SEE_OTHER, "saved");
    let r = app
        .get(
            &format!("/api/v1/clinics/{}/billing-settings", w.clinic),
            Some(&desk),
        )
        .await;
    assert_eq!(r.body["invoice_prefix"], "SUN");
    assert_eq!(r.body["desk_discount_limit"], "15");
    assert_eq!(r.body["late_cancel_hours"], 12);
    assert_eq!(r.body["late_cancel_fee"], "150");
    assert_eq!(r.body["no_show_fee"], "");

    let drawer = format!("/clinics/{}/drawer", w.clinic);
    let r = page_post(&app, &drawer, &desk, "float=lots").await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad float");
    assert!(r.text.contains("Enter an amount like 500"), "{}", r.text);
    let r = page_post(&app, &drawer, &desk, "float=500").await;
    ok(&r, StatusCode::SEE_OTHER, "open");
    let r = get(&app, &drawer, &desk).await;
    assert!(r.text.contains("with a float of INR 500.00"), "{}", r.text);
    let report = format!("/clinics/{}/reports/collections", w.clinic);
    let r = get(&app, &format!("{report}?from=2026-11-22"), &desk).await;
    ok(&r, StatusCode::OK, "report");
    assert!(r.text.contains("Anil Desk · opened"), "{}", r.text);
    let r = get(
        &app,
        &format!("{report}?from=2026-11-22&to=2026-01-01"),
        &desk,
    )
    .await;
    ok(
        &r,
        StatusCode::OK,
        "a backwards range shows today, with why",
    );
    assert!(
        r.text.contains("Choose a range of up to 92 days"),
        "{}",
        r.text
    );
    let r = get(&app, &format!("{report}?from=2026-11-22&format=csv"), &desk).await;
    ok(&r, StatusCode::OK, "csv");
    assert!(
        r.text.starts_with("doctor,method,payments,amount_minor"),
        "{}",
        r.text
    );
    assert!(
        r.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("collections-2026-11-22")
    );
}

each_backend!(a_signed_prescription_downloads_as_a_pdf);
async fn a_signed_prescription_downloads_as_a_pdf(app: TestApp) {
    use serde_json::json;
    let w = world(&app, "rxpdf").await;
    let desk = desk(&app, &w, "rxpdf").await;
    let r = book(&app, &w, &w.patient, "2026-11-23T04:30:00Z").await;
    let patient = r.body["patient_id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/clinics/{}/queue/tokens", w.clinic),
            Some(&desk),
            json!({"doctor_id": w.doctor, "patient_id": patient}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "token");
    let token = r.body["id"].as_str().unwrap().to_owned();
    let at = |rest: &str| format!("/api/v1/clinics/{}{rest}", w.clinic);
    let r = app
        .post(
            &at(&format!("/queue/tokens/{token}/consultation")),
            Some(&w.doctor_token),
            json!({}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "consultation");
    let consultation = r.body["id"].as_str().unwrap().to_owned();
    let item = json!({"drug": "Amoxicillin", "strength": "500 mg", "form": "capsule", "dose": "1 capsule",
        "frequency": "TDS", "duration": "5 days", "route": "oral", "instructions": "after food"});
    let r = app
        .put(
            &at(&format!("/consultations/{consultation}/prescription")),
            Some(&w.doctor_token),
            json!({"items": [item], "notes": "Complete the course"}),
        )
        .await;
    ok(&r, StatusCode::OK, "prescription");
    let rx = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .get(
            &at(&format!("/consultations/{consultation}")),
            Some(&w.doctor_token),
        )
        .await;
    let version = r.body["version"].clone();
    let r = app
        .post(
            &at(&format!("/consultations/{consultation}/sign")),
            Some(&w.doctor_token),
            json!({"version": version}),
        )
        .await;
    ok(&r, StatusCode::OK, "sign");

    let pdf = format!("/clinics/{}/prescriptions/{rx}/pdf", w.clinic);
    let r = get(&app, &pdf, &w.patient).await;
    ok(&r, StatusCode::OK, "the patient's prescription pdf");
    assert_eq!(r.headers["content-type"], "application/pdf");
    if let Some(text) = pdf_text(&r.bytes) {
        for want in [
            "Dr Asha Rao",
            "Ravi Kumar",
            "MRN ",
            "Amoxicillin 500 mg capsule",
            "TDS",
            "5 days",
            "Complete the course",
            "Signature",
        ] {
            assert!(text.contains(want), "{want} missing: {text}");
        }
    }
    ok(
        &get(&app, &pdf, &desk).await,
        StatusCode::NOT_FOUND,
        "not the desk's",
    );
    let r = get(
        &app,
        &format!("/clinics/{}/prescriptions/{rx}/print", w.clinic),
        &w.patient,
    )
    .await;
    assert!(r.text.contains(&pdf), "the print page links its PDF");
}

each_backend!(the_queue_bills_the_patient_with_the_doctor_and_those_seen_today);
async fn the_queue_bills_the_patient_with_the_doctor_and_those_seen_today(app: TestApp) {
    let w = world(&app, "bqueue").await;
    let desk = desk(&app, &w, "bqueue").await;
    let mut walk_ins = Vec::new();
    for (name, phone) in [
        ("Meena Iyer", "+919812345678"),
        ("Kiran Das", "+919812345679"),
    ] {
        let p = crate::queue::patient(&app, &w, &desk, name, phone).await;
        let t = crate::queue::issue(&app, &w, &desk, &p, "normal").await;
        ok(&t, StatusCode::CREATED, "token");
        walk_ins.push((p, t.body["id"].as_str().unwrap().to_owned()));
    }
    let step = |token: String, action: &'static str| {
        let path = w.at(&format!("/queue/tokens/{token}/{action}"));
        let app = &app;
        let doctor = w.doctor_token.clone();
        async move { app.post(&path, Some(&doctor), serde_json::json!({})).await }
    };
    ok(
        &step(walk_ins[0].1.clone(), "start").await,
        StatusCode::OK,
        "start",
    );
    ok(
        &step(walk_ins[0].1.clone(), "end").await,
        StatusCode::OK,
        "end",
    );
    ok(
        &step(walk_ins[1].1.clone(), "start").await,
        StatusCode::OK,
        "start",
    );

    let queue = format!("/clinics/{}/queue", w.clinic);
    let r = get(&app, &queue, &desk).await;
    ok(&r, StatusCode::OK, "queue");
    assert!(r.text.contains("Seen today"), "{}", r.text);
    for (p, _) in &walk_ins {
        let bill = format!("/clinics/{}/bills?patient={p}", w.clinic);
        assert!(r.text.contains(&bill), "{bill}: {}", r.text);
        // The link opens a new bill for the walk-in.
        let page = get(&app, &bill, &desk).await;
        ok(&page, StatusCode::OK, "new bill");
    }
    // The doctor runs the queue; billing is the desk's.
    let r = get(&app, &queue, &w.doctor_token).await;
    ok(&r, StatusCode::OK, "doctor's queue");
    assert!(!r.text.contains("/bills?patient="), "{}", r.text);
}
