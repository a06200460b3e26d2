//! The billing desk in the browser. Arjun booked for later today and arrives; reception
//! checks him in, presses Bill on the day page, finds the visit's consultation line
//! proposed, adds the dressing he needed, issues the bill and takes it in two parts, UPI
//! with its UTR and cash with change. The invoice prints with the clinic, the patient and
//! his MRN, the items, the tax, the payments and the balance. Her cash drawer closes with
//! the variance she counted.

use super::{
    clinic::{Api, midday_clinic},
    *,
};
use crate::helpers::PW;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reception_bills_a_visit_takes_upi_and_cash_and_prints_the_receipt() {
    let Some(desk_browser) = browser().await else {
        return;
    };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let d = &desk_browser.driver;
    let clinic = midday_clinic(&server, "till").await;
    let api = Api::new(&server);
    api.register("arjun@example.com", "Arjun Rao").await;
    let arjun = api.login("arjun@example.com", PW).await;
    let start = clinic.slot_later_today(&api).await;
    let body = json!({"doctor_id": clinic.doctor, "visit_type_id": clinic.visit_type,
        "start": start, "reason": "Dressing of a cut"});
    let appointments = format!("/api/v1/clinics/{}/appointments", clinic.id);
    api.call(Method::POST, &appointments, Some(&arjun), Some(body), 201)
        .await;

    // The drawer opens with a float of 1,000.
    sign_in_as(d, &server, &clinic.desk_email, PW).await;
    click(d, "nav a[href$='/bills']").await;
    wait_text(d, "Your cash drawer is not open").await;
    click(d, "main a[href$='/drawer']").await;
    fill(d, "float", "1000").await;
    click(d, "main form[action$='/drawer'] button[type='submit']").await;
    wait_text(d, "with a float of INR 1000.00").await;

    // Arjun arrives; the desk checks him in and bills the visit from the day page.
    click(d, "nav a[href$='/day']").await;
    wait_text(d, "Arjun Rao").await;
    click(d, "main form[action*='/arrive'] button").await;
    wait_text(d, "Checked in.").await;
    click(d, "main form[action$='/bills'] button").await;
    wait_text(d, "Draft bill").await;
    let proposed = d
        .find(By::Id("f-description_0"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(proposed.ends_with("with Dr. Ravi Iyer"), "{proposed}");
    assert_fits(d).await;
    // A second line, typed into the empty row: a dressing at 12% GST.
    fill(d, "description_1", "Wound dressing").await;
    fill(d, "code_1", "3005").await;
    fill(d, "quantity_1", "2").await;
    fill(d, "price_1", "150").await;
    set_value(d, "tax_1", "12").await;
    // A discount without its reason is explained inline and nothing is lost.
    fill(d, "discount", "10%").await;
    click(d, "main button[value='save']").await;
    wait_text(d, "Say why the bill is discounted.").await;
    assert!(d.source().await.unwrap().contains("Wound dressing"));
    fill(d, "discount", "").await;
    click(d, "main button[value='issue']").await;
    wait_text(d, "Issued as INV/").await;
    let page = d.source().await.unwrap();
    // The visit type's 500, and 2 × 150 at 12% (36 tax): 836.
    assert!(page.contains("INR 836.00"), "{page}");

    // A UPI part without its UTR is refused; then UPI 300 and 600 cash handed over.
    fill(d, "cash", "600").await;
    fill(d, "upi", "300").await;
    click(d, "main form[action$='/pay'] button[type='submit']").await;
    wait_text(d, "Enter the UPI reference.").await;
    fill(d, "cash", "600").await;
    fill(d, "upi", "300").await;
    fill(d, "upi_ref", "412345678901").await;
    click(d, "main form[action$='/pay'] button[type='submit']").await;
    wait_text(d, "Give INR 64.00 change.").await;
    wait_text(d, "UPI · 412345678901").await;
    assert_fits(d).await;

    // The invoice and receipt print with everything a patient and an auditor look for.
    click(d, "main a[href$='/print']").await;
    wait_text(d, "Balance due").await;
    let print = d.source().await.unwrap();
    for want in [
        "Noon Family Clinic",
        "Arjun Rao",
        "MRN P",
        "Wound dressing",
        "3005",
        "Tax at 12% on INR 300.00",
        "INR 836.00",
        "UPI ref. 412345678901",
        "Paid",
    ] {
        assert!(print.contains(want), "{want} missing: {print}");
    }
    assert_in_view(d, "table.rx-items td[data-label='Amount']").await;
    assert_fits(d).await;

    // The drawer expects the float and the cash kept (536); she counts 530.
    d.goto(format!("{}/clinics/{}/drawer", server.url, clinic.id))
        .await
        .unwrap();
    wait_text(d, "INR 1536.00").await;
    fill(d, "cash", "1530").await;
    fill(d, "upi", "300").await;
    click(d, "main form[action$='/close'] button[type='submit']").await;
    wait_text(d, "Close-out").await;
    wait_text(d, "INR -6.00").await;
    assert_fits(d).await;

    // Arjun finds the bill among his own.
    sign_out(d).await;
    wait_path(d, "/login").await;
    sign_in_as(d, &server, "arjun@example.com", PW).await;
    click(d, "nav a[href='/bills']").await;
    wait_text(d, "Total INR 836.00 · Due INR 0.00 · Paid").await;
    click(d, "main a[href$='/print']").await;
    wait_text(d, "Wound dressing").await;
}

/// Arjun pays his bill online through the loopback Stripe: the checkout page takes the
/// payment, Stripe's webhook arrives twice and a late "expired" after it, and the bill
/// shows paid once, with one payment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_pays_a_bill_online_and_repeated_webhooks_pay_it_once() {
    let Some(patient_browser) = browser().await else {
        return;
    };
    let (server, fake) = with_stripe().await;
    let d = &patient_browser.driver;
    let (api, desk, at, id) =
        billed_visit(&server, "online", "arjun@example.com", "Arjun Rao").await;

    sign_in_as(d, &server, "arjun@example.com", PW).await;
    click(d, "nav a[href='/bills']").await;
    wait_text(d, "INR 500.00 due on bill INV/").await;
    assert_fits(d).await;
    click(d, "main a[href$='/pay-online']").await;
    wait_text(d, "Stripe Checkout (loopback)").await;
    click(d, "#pay").await;
    wait_text(d, "Thank you. Your payment shows here").await;
    wait_text(d, "Due INR 0.00 · Paid").await;
    assert!(
        !d.source().await.unwrap().contains("online</button>"),
        "nothing left to pay"
    );
    assert_eq!(
        fake.deliveries(),
        [200, 200, 200],
        "every delivery acknowledged"
    );
    let b = api
        .call(
            Method::GET,
            &at(&format!("/bills/{id}")),
            Some(&desk),
            None,
            200,
        )
        .await;
    assert_eq!(b["status"], "paid");
    assert_eq!(b["payments"].as_array().unwrap().len(), 1, "{b}");
}

/// The same through Razorpay: its hosted link page, its webhooks (twice) and its signed
/// return pay the bill once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_pays_a_bill_through_razorpay_and_it_is_paid_once() {
    use crate::fakes::{RazorpayFake, razorpay};
    let Some(patient_browser) = browser().await else {
        return;
    };
    let fake = RazorpayFake::start().await;
    let base = fake.url.clone();
    let server = tokio::task::spawn_blocking(move || {
        start_server_with(&[
            "--razorpay-api-base",
            &base,
            "--razorpay-key-id",
            razorpay::KEY_ID,
            "--razorpay-key-secret",
            razorpay::KEY_SECRET,
            "--razorpay-webhook-secret",
            razorpay::WEBHOOK_SECRET,
        ])
    })
    .await
    .unwrap();
    fake.deliver_to(&format!("{}/api/v1/webhooks/razorpay", server.url));
    let d = &patient_browser.driver;
    let (api, desk, at, id) = billed_visit(&server, "rzp", "kavya@example.com", "Kavya Nair").await;

    sign_in_as(d, &server, "kavya@example.com", PW).await;
    click(d, "nav a[href='/bills']").await;
    click(d, "main a[href$='/pay-online']").await;
    wait_text(d, "Razorpay (loopback)").await;
    click(d, "#pay").await;
    wait_text(d, "Thank you. Your payment shows here").await;
    wait_text(d, "Due INR 0.00 · Paid").await;
    let b = api
        .call(
            Method::GET,
            &at(&format!("/bills/{id}")),
            Some(&desk),
            None,
            200,
        )
        .await;
    assert_eq!(b["status"], "paid");
    assert_eq!(b["payments"].as_array().unwrap().len(), 1, "{b}");
}

/// A midday clinic where `email` (`name`) signed up, booked for later today and had the
/// visit billed and issued by the desk: the API, the desk's token, the clinic's API path
/// maker and the bill's id.
async fn billed_visit(
    server: &Server,
    slug: &str,
    email: &str,
    name: &str,
) -> (Api, String, impl Fn(&str) -> String, String) {
    let clinic = midday_clinic(server, slug).await;
    let api = Api::new(server);
    api.register(email, name).await;
    let patient = api.login(email, PW).await;
    let start = clinic.slot_later_today(&api).await;
    let body = json!({"doctor_id": clinic.doctor, "visit_type_id": clinic.visit_type,
        "start": start, "reason": "Fever"});
    let id = clinic.id.clone();
    let at = move |rest: &str| format!("/api/v1/clinics/{id}{rest}");
    let booked = api
        .call(
            Method::POST,
            &at("/appointments"),
            Some(&patient),
            Some(body),
            201,
        )
        .await;
    let desk = api.login(&clinic.desk_email, PW).await;
    let body = json!({"appointment_id": booked["id"]});
    let bill = api
        .call(Method::POST, &at("/bills"), Some(&desk), Some(body), 201)
        .await;
    let id = bill["id"].as_str().unwrap().to_owned();
    let body = json!({"version": bill["version"]});
    let issue = at(&format!("/bills/{id}/issue"));
    api.call(Method::POST, &issue, Some(&desk), Some(body), 200)
        .await;
    (api, desk, at, id)
}

/// Meera books a visit type that asks for a deposit. The confirm page tells her the
/// deposit and the clinic's late-cancellation and no-show fees before she books; after
/// booking she is told the deposit is due, finds it under Bills (billed by the worker)
/// and pays it online through the loopback Stripe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_sees_the_deposit_and_fees_before_booking_and_pays_the_deposit_online() {
    let Some(patient_browser) = browser().await else {
        return;
    };
    // The fake serves the checkout page and delivers the webhook while it lives.
    let (server, _stripe) = with_stripe().await;
    let d = &patient_browser.driver;
    let clinic = midday_clinic(&server, "deposit").await;
    let api = Api::new(&server);
    let admin = api.login("admin@deposit.example.com", PW).await;
    let at = |rest: &str| format!("/api/v1/clinics/{}{rest}", clinic.id);
    let mut s = api
        .call(
            Method::GET,
            &at("/billing-settings"),
            Some(&admin),
            None,
            200,
        )
        .await;
    s["late_cancel_fee"] = json!("200");
    s["no_show_fee"] = json!("300");
    api.call(
        Method::PUT,
        &at("/billing-settings"),
        Some(&admin),
        Some(s),
        200,
    )
    .await;
    let body = json!({"name": "First visit", "duration_min": 15, "price_minor": 50_000,
        "deposit_minor": 20_000});
    let vt = api
        .call(
            Method::POST,
            &at("/visit-types"),
            Some(&admin),
            Some(body),
            201,
        )
        .await;
    let vt = vt["id"].as_str().unwrap().to_owned();
    let start = clinic.slot_of_later_today(&api, &vt).await;
    api.register("meera@example.com", "Meera Nair").await;

    sign_in_as(d, &server, "meera@example.com", PW).await;
    d.goto(format!(
        "{}/c/deposit/book?doctor={}&visit_type={vt}&start={start}",
        server.url, clinic.doctor
    ))
    .await
    .unwrap();
    wait_text(d, "A deposit of INR 200.00 is billed when you book").await;
    wait_text(
        d,
        "Cancelling less than 24 hours before the visit costs INR 200.00.",
    )
    .await;
    wait_text(d, "Not coming without cancelling costs INR 300.00.").await;
    wait_text(
        d,
        "INR 500.00: INR 200.00 deposit when you book, the rest at the clinic",
    )
    .await;
    assert_fits(d).await;
    click(d, "main form.card button[type=submit]").await;
    wait_text(d, "A deposit is billed: see Bills to pay it.").await;

    // The worker bills the deposit within a moment of the booking.
    let mut shown = false;
    for _ in 0..50 {
        d.goto(format!("{}/bills", server.url)).await.unwrap();
        if d.source()
            .await
            .unwrap()
            .contains("INR 200.00 due on bill INV/")
        {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        shown,
        "the deposit was billed: {}",
        d.source().await.unwrap()
    );
    wait_text(d, "(booking deposit)").await;
    click(d, "main a[href$='/pay-online']").await;
    wait_text(d, "Stripe Checkout (loopback)").await;
    click(d, "#pay").await;
    wait_text(d, "Thank you. Your payment shows here").await;
    wait_text(d, "Due INR 0.00 · Paid").await;
}

/// The server set up with the loopback Stripe, which delivers its webhooks to it.
async fn with_stripe() -> (Server, crate::fakes::StripeFake) {
    use crate::fakes::{StripeFake, stripe};
    let fake = StripeFake::start().await;
    let base = fake.url.clone();
    let server = tokio::task::spawn_blocking(move || {
        start_server_with(&[
            "--stripe-api-base",
            &base,
            "--stripe-secret-key",
            stripe::SECRET_KEY,
            "--stripe-webhook-secret",
            stripe::WEBHOOK_SECRET,
        ])
    })
    .await
    .unwrap();
    fake.deliver_to(&format!("{}/api/v1/webhooks/stripe", server.url));
    (server, fake)
}
