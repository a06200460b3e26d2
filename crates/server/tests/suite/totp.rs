//! Staff's second factor, on both databases: an admin sets up an authenticator (a secret
//! shown once, live after a first code; pyotp, a well-known TOTP library, computes the
//! same codes) and gets ten recovery codes; a password sign-in then waits for a code
//! (API and pages): a code works once, a recovery code once, five wrong codes or five
//! minutes end the wait; it turns off with a code. A clinic can require it of doctors:
//! until they have it on they cannot act there, and an admin cannot lock themselves out.

use crate::backends::each_backend;
use crate::{
    helpers::{PW, TestApp, form_post, page_get},
    world::world,
};
use axum::http::StatusCode;
use docspot_server::auth::totp;
use serde_json::{Value, json};
use store::testing::TestDb;

/// The code for `secret` (base32) at the app's clock, checked against pyotp's where it is
/// installed (CI has it).
fn code(app: &TestApp, secret: &str) -> String {
    let now = app.state.now().as_second();
    let ours = totp::code_at(&totp::from_base32(secret).unwrap(), totp::step_of(now));
    let script = "import sys, pyotp\nprint(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))\n";
    if let Some(theirs) =
        crate::fakes::provider_library("pyotp", script, &[secret, &now.to_string()])
    {
        assert_eq!(ours, theirs, "pyotp computes the same code");
    }
    ours
}

/// A six-digit code that is not valid now.
fn wrong(app: &TestApp, secret: &str) -> String {
    let right = code(app, secret);
    let n: u32 = right.parse().unwrap();
    format!("{:06}", (n + 500_000) % 1_000_000)
}

async fn enable(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let r = app.post("/api/v1/me/totp", Some(token), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/api/v1/me/totp/confirm",
            Some(token),
            json!({"code": code(app, &secret)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let codes = r.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

async fn challenge(app: &TestApp, email: &str) -> String {
    let r = app.login_with(email, PW).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert!(
        r.headers.get("set-cookie").is_none(),
        "no session before the code"
    );
    assert!(r.body.get("access_token").is_none(), "{}", r.text);
    r.body["mfa_token"].as_str().unwrap().to_owned()
}

async fn verify(app: &TestApp, token: &str, code: &str) -> crate::helpers::Resp {
    app.post(
        "/api/v1/auth/totp",
        None,
        json!({"mfa_token": token, "code": code}),
    )
    .await
}

each_backend!(staff_sign_in_with_a_code_or_a_recovery_code_once_totp_is_on);
async fn staff_sign_in_with_a_code_or_a_recovery_code_once_totp_is_on(db: TestDb) {
    let app = TestApp::new(db).await;
    let w = world(&app, "totp").await;
    let admin = "admin@totp.test";
    let r = app.get("/api/v1/me/totp", Some(&w.admin)).await;
    assert_eq!(r.body, json!({"enabled": false, "recovery_codes_left": 0}));
    let r = app
        .post("/api/v1/me/totp", Some(&w.patient), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "patients use texted codes");

    // Set up: the first secret is replaced by asking again; a wrong code changes nothing.
    let r = app.post("/api/v1/me/totp", Some(&w.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app.post("/api/v1/me/totp", Some(&w.admin), json!({})).await;
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert!(
        r.body["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "otpauth://totp/DocSpot:admin%40totp.test?secret={secret}&issuer=DocSpot"
            )),
        "{}",
        r.text
    );
    let r = app
        .post(
            "/api/v1/me/totp/confirm",
            Some(&w.admin),
            json!({"code": wrong(&app, &secret)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("\"code\""), "{}", r.text);
    assert_eq!(app.login_with(admin, PW).await.status, StatusCode::OK);
    let first = code(&app, &secret);
    let r = app
        .post(
            "/api/v1/me/totp/confirm",
            Some(&w.admin),
            json!({"code": first}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let recovery: Vec<String> = r.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    let r = app.post("/api/v1/me/totp", Some(&w.admin), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "on already: {}", r.text);
    let r = app.get("/api/v1/me/totp", Some(&w.admin)).await;
    assert_eq!(r.body, json!({"enabled": true, "recovery_codes_left": 10}));

    // A password alone no longer opens a session; the code used to confirm is spent.
    let t = challenge(&app, admin).await;
    let r = verify(&app, &t, &first).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a code works once"
    );
    app.advance(jiff::SignedDuration::from_secs(30));
    let r = verify(&app, &t, &code(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let fresh = r.body["access_token"].as_str().unwrap().to_owned();
    assert!(app.get("/api/v1/me", Some(&fresh)).await.status == StatusCode::OK);
    let r = verify(&app, &t, &code(&app, &secret)).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the challenge is answered"
    );

    // A recovery code, once (any case, with or without the dash).
    let t = challenge(&app, admin).await;
    let r = verify(&app, &t, &recovery[0].to_uppercase().replace('-', "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let t = challenge(&app, admin).await;
    let r = verify(&app, &t, &recovery[0]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "spent");

    // Five wrong codes end the challenge; so do five minutes.
    for _ in 0..5 {
        let r = verify(&app, &t, &wrong(&app, &secret)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    app.advance(jiff::SignedDuration::from_secs(30));
    let r = verify(&app, &t, &code(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("mfa_token"), "{}", r.text);
    let t = challenge(&app, admin).await;
    app.advance(jiff::SignedDuration::from_mins(6));
    let r = verify(&app, &t, &code(&app, &secret)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "expired");

    // The pages: sign in, then the code.
    let r = app
        .send(form_post(
            "/login",
            None,
            &format!("email=admin%40totp.test&password={PW}&next=%2Faccount"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Enter your code"), "{}", r.text);
    assert!(r.headers.get("set-cookie").is_none());
    let token = r
        .text
        .split("name=\"mfa_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let r = app
        .send(form_post(
            "/login/totp",
            None,
            &format!("mfa_token={token}&next=%2Faccount&code=12"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("That code is not right"), "{}", r.text);
    app.advance(jiff::SignedDuration::from_secs(30));
    let r = app
        .send(form_post(
            "/login/totp",
            None,
            &format!(
                "mfa_token={token}&next=%2Faccount&code={}",
                code(&app, &secret)
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers["location"], "/account");
    assert!(r.headers.get("set-cookie").is_some());

    // Off, with a code; then a password signs in again.
    let signed_in = verify(&app, &challenge(&app, admin).await, &recovery[1]).await;
    let token = signed_in.body["access_token"].as_str().unwrap().to_owned();
    let page = app.send(page_get("/account/totp", &token)).await;
    assert!(
        page.text.contains("Recovery codes left: 8"),
        "{}",
        page.text
    );
    let r = app
        .post(
            "/api/v1/me/totp/disable",
            Some(&token),
            json!({"code": wrong(&app, &secret)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.advance(jiff::SignedDuration::from_secs(30));
    let r = app
        .post(
            "/api/v1/me/totp/disable",
            Some(&token),
            json!({"code": code(&app, &secret)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(app.login_with(admin, PW).await.status, StatusCode::OK);
}

each_backend!(a_clinic_that_requires_totp_of_doctors_lets_them_in_only_with_it);
async fn a_clinic_that_requires_totp_of_doctors_lets_them_in_only_with_it(db: TestDb) {
    let app = TestApp::new(db).await;
    let w = world(&app, "totpreq").await;
    let security = w.at("/security");
    let r = app.get(&security, Some(&w.admin)).await;
    assert_eq!(r.body, json!({"totp_required_for": []}));
    let r = app.get(&security, Some(&w.doctor_token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "admins only");
    let r = app
        .put(
            &security,
            Some(&w.admin),
            json!({"totp_required_for": ["nurse"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .put(
            &security,
            Some(&w.admin),
            json!({"totp_required_for": ["admin"]}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "not without their own: {}",
        r.text
    );
    let r = app
        .put(
            &security,
            Some(&w.admin),
            json!({"totp_required_for": ["doctor", "doctor"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"totp_required_for": ["doctor"]}));

    // The doctor is turned away until they have it on.
    let queue = w.at("/queue");
    let r = app.get(&queue, Some(&w.doctor_token)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.text.contains("two-factor"), "{}", r.text);
    let r = app
        .send(page_get(
            &format!("/clinics/{}/queue", w.clinic),
            &w.doctor_token,
        ))
        .await;
    assert!(r.text.contains("two-factor sign-in"), "{}", r.text);
    enable(&app, &w.doctor_token).await;
    let r = app.get(&queue, Some(&w.doctor_token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get(&w.at("/appointments"), Some(&w.admin)).await;
    assert_eq!(r.status, StatusCode::OK, "admins are not required here");

    // The admin's page ticks roles.
    let page = format!("/clinics/{}/settings/security", w.clinic);
    let r = app.send(page_get(&page, &w.admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("value=\"doctor\" checked"), "{}", r.text);
    let r = app
        .send(form_post(
            &page,
            Some(&w.admin),
            "roles=doctor&roles=receptionist",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = app.get(&security, Some(&w.admin)).await;
    assert_eq!(
        r.body,
        json!({"totp_required_for": ["doctor", "receptionist"]})
    );
    let r = app
        .send(form_post(&page, Some(&w.admin), "roles=admin"))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("locked out"), "{}", r.text);
    let _: Value = r.body;
}

each_backend!(the_operator_takes_a_lost_factor_off_and_ends_the_accounts_sessions);
async fn the_operator_takes_a_lost_factor_off_and_ends_the_accounts_sessions(db: TestDb) {
    use docspot_server::app::totp::reset_by_operator;
    let app = TestApp::new(db).await;
    let w = world(&app, "totpreset").await;
    let admin = "admin@totpreset.test";
    enable(&app, &w.admin).await;
    challenge(&app, admin).await;
    assert!(reset_by_operator(&app.state, admin).await.unwrap());
    // Their sessions are over; the password alone signs in again, and they can set it up
    // again.
    let r = app.get("/api/v1/me/totp", Some(&w.admin)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(app.login_with(admin, PW).await.status, StatusCode::OK);
    let again = app.login(admin).await.0;
    let r = app.get("/api/v1/me/totp", Some(&again)).await;
    assert_eq!(r.body["enabled"], false, "{}", r.text);
    // Nothing more to take off; an unknown or malformed address is refused.
    assert!(!reset_by_operator(&app.state, admin).await.unwrap());
    assert!(matches!(
        reset_by_operator(&app.state, "nobody@totpreset.test").await,
        Err(docspot_server::error::AppError::NotFound)
    ));
    assert!(
        reset_by_operator(&app.state, "not an address")
            .await
            .is_err()
    );
    // Audited once, on the platform's chain, as the operator's.
    let events = store::audit::recent(app.state.store().conn(), None, 50)
        .await
        .unwrap();
    let resets: Vec<_> = events
        .iter()
        .filter(|e| e.action == "user.totp_reset")
        .collect();
    assert_eq!(resets.len(), 1, "{events:?}");
    assert_eq!(resets[0].ip, "cli:operator");
}
