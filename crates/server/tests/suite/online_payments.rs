//! Paying a bill online through Stripe, against the loopback Stripe of the fakes kit, on
//! both databases: the checkout is started server-side with the bill's idempotency key (a
//! retry gets the same one); the bill is paid only by a verified webhook, once however
//! often and in whatever order the events come (also concurrently); a bad, stale or
//! foreign signature changes nothing; the provider's failures read as 503 and 409. The
//! fake's signatures are checked by Stripe's own Python library, so our scheme is theirs.

use crate::backends::each_backend;
use crate::{
    fakes::{RazorpayFake, StripeFake, razorpay, stripe},
    fixtures::{desk, world},
    helpers::{TestApp, send_to},
    world::book,
};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use serde_json::{Value, json};
use store::testing::TestDb;

pub(crate) async fn app_with_stripe(db: TestDb) -> (TestApp, StripeFake) {
    let fake = StripeFake::start().await;
    let url = fake.url.clone();
    let app = TestApp::with(db, |s| {
        s.stripe = Some((
            url,
            stripe::SECRET_KEY.parse().unwrap(),
            stripe::WEBHOOK_SECRET.parse().unwrap(),
        ));
    })
    .await;
    (app, fake)
}

pub(crate) fn webhook(body: &str, signature: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/api/v1/webhooks/stripe")
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// Whether Stripe's Python library accepts `signature` for `body` under `secret` (time not
/// checked: the app's clock is fixed in the past). `None` where the library is not
/// installed (CI has it). DocSpot's own webhooks are signed the same way.
pub(crate) fn stripe_library_accepts(body: &str, signature: &str, secret: &str) -> Option<bool> {
    let script = "import sys, stripe\n\
        body, header, secret = sys.argv[1], sys.argv[2], sys.argv[3]\n\
        try:\n    stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)\n    print('ok')\n\
        except stripe.SignatureVerificationError:\n    print('refused')\n";
    let text = crate::fakes::provider_library("stripe", script, &[body, signature, secret])?;
    Some(text == "ok")
}

/// A booked visit of the world's patient, billed by the desk; issued when `issue`.
async fn visit_bill(app: &TestApp, w: &crate::world::World, desk: &str, issue: bool) -> String {
    let r = book(app, w, &w.patient, "2026-11-23T04:30:00Z").await;
    let body = json!({"appointment_id": r.body["id"]});
    let r = app.post(&w.at("/bills"), Some(desk), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let bill = r.body["id"].as_str().unwrap().to_owned();
    if issue {
        let issue = w.at(&format!("/bills/{bill}/issue"));
        let r = app
            .post(&issue, Some(desk), json!({"version": r.body["version"]}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    bill
}

async fn bill_of(app: &TestApp, clinic: &str, token: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/clinics/{clinic}/bills/{id}"), Some(token))
        .await
        .body
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    a_patient_pays_online_and_only_a_verified_webhook_marks_the_bill_paid_once
);
async fn a_patient_pays_online_and_only_a_verified_webhook_marks_the_bill_paid_once(db: TestDb) {
    let (app, fake) = app_with_stripe(db).await;
    let w = world(&app, "online").await;
    let desk = desk(&app, &w, "online").await;
    let bill = visit_bill(&app, &w, &desk, true).await;
    let start = w.at(&format!("/bills/{bill}/online-payments"));

    // The patient starts paying; a retry gets the same checkout; others may not.
    let r = app
        .post(&start, Some(&w.patient), json!({"provider": "stripe"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    assert!(
        r.body["redirect_url"]
            .as_str()
            .unwrap()
            .starts_with(&fake.url)
    );
    assert_eq!(r.body["amount_minor"], 50_000);
    let session_id = r.body["provider_ref"].as_str().unwrap().to_owned();
    let again = app
        .post(&start, Some(&w.patient), json!({"provider": "stripe"}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["provider_ref"], session_id.as_str());
    assert_eq!(fake.sessions().len(), 1, "one checkout at Stripe");
    app.register("other@online.test", "Meera Iyer").await;
    let other = app.login("other@online.test").await.0;
    let r = app
        .post(&start, Some(&other), json!({"provider": "stripe"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(&start, Some(&w.patient), json!({"provider": "paypal"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Coming back from the checkout pays nothing; only the provider's event does.
    assert_eq!(
        bill_of(&app, &w.clinic, &desk, &bill).await["status"],
        "issued"
    );
    let session = fake.mark_paid(&session_id).unwrap();
    let now = app.state.now().as_second();
    let completed = fake.event("evt_1", "checkout.session.completed", &session);

    // Refused, and nothing changes: another secret, a stale time, a changed body, none.
    let foreign =
        docspot_server::gateway::stripe::signature_header("whsec_other", now, completed.as_bytes());
    let stale = fake.sign(&completed, now - 301);
    let tampered = completed.replace("50000", "5");
    for (body, sig) in [
        (&completed, foreign.as_str()),
        (&completed, stale.as_str()),
        (&tampered, &fake.sign(&completed, now)),
        (&completed, ""),
    ] {
        let r = app.send(webhook(body, sig)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    }
    assert_eq!(
        bill_of(&app, &w.clinic, &desk, &bill).await["status"],
        "issued"
    );
    if let Some(ok) = stripe_library_accepts(
        &completed,
        &fake.sign(&completed, now),
        stripe::WEBHOOK_SECRET,
    ) {
        assert!(ok, "Stripe's library accepts the fake's signature");
        assert_eq!(
            stripe_library_accepts(&completed, &foreign, stripe::WEBHOOK_SECRET),
            Some(false)
        );
    }

    // The completion ten times at once and a late expiry: one payment, the bill paid.
    let mut sent = Vec::new();
    for _ in 0..10 {
        let router = app.router.clone();
        let req = webhook(&completed, &fake.sign(&completed, now));
        sent.push(tokio::spawn(async move { send_to(router, req).await }));
    }
    let mut applied = 0;
    for t in sent {
        let r = t.await.unwrap();
        assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend, r.text);
        applied += usize::from(r.body["applied"] == true);
    }
    assert_eq!(applied, 1, "{}: one delivery had the effect", app.backend);
    let late = fake.event("evt_2", "checkout.session.expired", &session);
    let r = app.send(webhook(&late, &fake.sign(&late, now))).await;
    assert_eq!(
        (r.status, r.body["applied"].clone()),
        (StatusCode::OK, json!(false))
    );
    let b = bill_of(&app, &w.clinic, &desk, &bill).await;
    assert_eq!(b["status"], "paid", "{b}");
    assert_eq!(b["paid_minor"], 50_000);
    let payments = b["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["method"], "online");
    assert_eq!(
        payments[0]["reference"],
        format!("pi_{}", session_id.trim_start_matches("cs_"))
    );
    let r = app
        .post(&start, Some(&w.patient), json!({"provider": "stripe"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "nothing is due");
    assert_eq!(app.audit_count("payment.record").await, 1);

    // A partial refund goes back through Stripe first, with its credit note.
    let payment = payments[0]["id"].as_str().unwrap().to_owned();
    let refund = w.at(&format!("/bills/{bill}/payments/{payment}/refund"));
    let body = json!({"amount_minor": 20_000, "reason": "Test not done"});
    fake.fail_next(503);
    let r = app.post(&refund, Some(&w.admin), body.clone()).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(fake.refunds().is_empty());
    let b = bill_of(&app, &w.clinic, &desk, &bill).await;
    assert_eq!(
        b["credit_notes"].as_array().unwrap().len(),
        0,
        "nothing written"
    );
    let r = app.post(&refund, Some(&w.admin), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let intent = format!("pi_{}", session_id.trim_start_matches("cs_"));
    assert_eq!(fake.refunds(), [(intent, 20_000)]);
    assert_eq!(r.body["paid_minor"], 30_000);
    assert_eq!(r.body["credit_notes"][0]["number"], "CN/26-27/0001");
    let re = r.body["credit_notes"][0]["refund_ref"].as_str().unwrap();
    assert!(re.starts_with("re_"), "{re}");
    assert_eq!(r.body["payments"][0]["refunded_minor"], 20_000);
    let too_much = json!({"amount_minor": 30_001, "reason": "Too much"});
    let r = app.post(&refund, Some(&w.admin), too_much).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        fake.refunds().len(),
        1,
        "nothing refunded beyond the payment"
    );
}

each_backend!(the_providers_failures_read_as_try_later_or_pay_at_the_desk);
async fn the_providers_failures_read_as_try_later_or_pay_at_the_desk(db: TestDb) {
    let (app, fake) = app_with_stripe(db).await;
    let w = world(&app, "online2").await;
    let desk = desk(&app, &w, "online2").await;
    let r = app
        .post(
            &w.at("/bills"),
            Some(&desk),
            json!({"patient_id": null, "appointment_id": null, "consultation_id": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bill = visit_bill(&app, &w, &desk, false).await;
    let start = w.at(&format!("/bills/{bill}/online-payments"));
    let r = app
        .post(&start, Some(&desk), json!({"provider": "stripe"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a draft owes nothing: {}",
        r.text
    );
    app.post(
        &w.at(&format!("/bills/{bill}/issue")),
        Some(&desk),
        json!({"version": 1}),
    )
    .await;
    fake.fail_next(500);
    let r = app
        .post(&start, Some(&desk), json!({"provider": "stripe"}))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    fake.fail_next(400);
    let r = app
        .post(&start, Some(&desk), json!({"provider": "stripe"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(fake.sessions().is_empty());
    let r = app
        .post(&start, Some(&desk), json!({"provider": "stripe"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "the desk may start it for the patient"
    );
    // An event about a checkout that is not ours is acknowledged and changes nothing.
    let mut session = fake.sessions()[0].clone();
    session.id = "cs_unknown".into();
    let body = fake.event("evt_x", "checkout.session.completed", &session);
    let r = app
        .send(webhook(
            &body,
            &fake.sign(&body, app.state.now().as_second()),
        ))
        .await;
    assert_eq!(
        (r.status, r.body["applied"].clone()),
        (StatusCode::OK, json!(false))
    );
}

async fn app_with_razorpay(db: TestDb) -> (TestApp, RazorpayFake) {
    let fake = RazorpayFake::start().await;
    let url = fake.url.clone();
    let app = TestApp::with(db, |s| {
        s.razorpay = Some((
            url,
            razorpay::KEY_ID.to_owned(),
            razorpay::KEY_SECRET.parse().unwrap(),
            razorpay::WEBHOOK_SECRET.parse().unwrap(),
        ));
    })
    .await;
    (app, fake)
}

/// Whether Razorpay's Python library accepts a webhook signature and a link's return.
/// `None` where the library is not installed (CI has it).
fn razorpay_library_accepts(body: &str, signature: &str, query: &str) -> Option<(bool, bool)> {
    let script = "import sys, urllib.parse, razorpay\n\
        body, sig, secret, key, query = sys.argv[1:6]\n\
        u = razorpay.Client(auth=('rzp_test_docspot', key)).utility\n\
        def ok(f):\n    try:\n        f()\n        return 'ok'\n    except razorpay.errors.SignatureVerificationError:\n        return 'refused'\n\
        q = dict(urllib.parse.parse_qsl(query))\n\
        p = {'razorpay_payment_id': q['razorpay_payment_id'], 'payment_link_id': q['razorpay_payment_link_id'],\n\
             'payment_link_reference_id': q['razorpay_payment_link_reference_id'],\n\
             'payment_link_status': q['razorpay_payment_link_status'], 'razorpay_signature': q['razorpay_signature']}\n\
        print(ok(lambda: u.verify_webhook_signature(body, sig, secret)), ok(lambda: u.verify_payment_link_signature(p)))\n";
    let text = crate::fakes::provider_library(
        "razorpay",
        script,
        &[
            body,
            signature,
            razorpay::WEBHOOK_SECRET,
            razorpay::KEY_SECRET,
            query,
        ],
    )?;
    let mut words = text.split_whitespace();
    Some((words.next() == Some("ok"), words.next() == Some("ok")))
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    a_patient_pays_through_razorpay_and_the_signed_return_and_webhooks_pay_once
);
async fn a_patient_pays_through_razorpay_and_the_signed_return_and_webhooks_pay_once(db: TestDb) {
    let (app, fake) = app_with_razorpay(db).await;
    let w = world(&app, "rzp").await;
    let desk = desk(&app, &w, "rzp").await;
    let bill = visit_bill(&app, &w, &desk, true).await;
    let start = w.at(&format!("/bills/{bill}/online-payments"));
    let r = app
        .post(&start, Some(&w.patient), json!({"provider": "razorpay"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    let link_id = r.body["provider_ref"].as_str().unwrap().to_owned();
    assert!(
        r.body["redirect_url"]
            .as_str()
            .unwrap()
            .starts_with(&fake.url)
    );
    let again = app
        .post(&start, Some(&w.patient), json!({"provider": "razorpay"}))
        .await;
    assert_eq!(
        (again.status, again.body["provider_ref"].clone()),
        (StatusCode::OK, json!(link_id))
    );
    assert_eq!(fake.links().len(), 1, "one link at Razorpay");
    assert!(
        fake.links()[0]
            .callback
            .contains("/pay/razorpay/return?next=")
    );

    // The patient pays; a forged return is refused; the signed one pays the bill.
    let link = fake.mark_paid(&link_id).unwrap();
    let query = fake.return_query(&link);
    let forged = query.replace("razorpay_signature=", "razorpay_signature=0");
    let get = |q: String| {
        Request::builder()
            .uri(format!("/pay/razorpay/return?next=%2Fbills&{q}"))
            .body(Body::empty())
            .unwrap()
    };
    let r = app.send(get(forged)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(
        bill_of(&app, &w.clinic, &desk, &bill).await["status"],
        "issued"
    );
    let r = app.send(get(query.clone())).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers["location"], "/bills?online=returned");
    // The webhooks after it (twice), and the return again: nothing more.
    let body = fake.paid_event(&link);
    let hook = |sig: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/webhooks/razorpay")
            .header("x-razorpay-signature", sig)
            .header("x-razorpay-event-id", "evt_rzp_1")
            .body(Body::from(body.clone()))
            .unwrap()
    };
    let r = app.send(hook("00ff")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for _ in 0..2 {
        let r = app.send(hook(&fake.sign(&body))).await;
        assert_eq!(
            (r.status, r.body["applied"].clone()),
            (StatusCode::OK, json!(false)),
            "{}",
            r.text
        );
    }
    app.send(get(query.clone())).await;
    let b = bill_of(&app, &w.clinic, &desk, &bill).await;
    assert_eq!(b["status"], "paid", "{b}");
    assert_eq!(b["payments"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(
        b["payments"][0]["reference"],
        link.payment.clone().unwrap().as_str()
    );
    if let Some((hook_ok, return_ok)) = razorpay_library_accepts(&body, &fake.sign(&body), &query) {
        assert!(
            hook_ok,
            "Razorpay's library accepts the fake's webhook signature"
        );
        assert!(
            return_ok,
            "Razorpay's library accepts the fake's return signature"
        );
    }

    // A refund goes back through Razorpay.
    let payment = b["payments"][0]["id"].as_str().unwrap();
    let refund = w.at(&format!("/bills/{bill}/payments/{payment}/refund"));
    let r = app
        .post(
            &refund,
            Some(&w.admin),
            json!({"amount_minor": 10_000, "reason": "Goodwill"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(fake.refunds(), [(link.payment.unwrap(), 10_000)]);
    assert!(
        r.body["credit_notes"][0]["refund_ref"]
            .as_str()
            .unwrap()
            .starts_with("rfnd_")
    );
}
