//! Accounts: registration, login, passwords and resets, rate limits.

use crate::backends::each_backend;
use crate::helpers::{PW, TestApp};
use axum::http::{StatusCode, header};
use serde_json::json;

each_backend!(a_patient_registers_logs_in_and_reads_their_profile);
async fn a_patient_registers_logs_in_and_reads_their_profile(app: TestApp) {
    let r = app.register("Ana@Example.com", "Ana Silva").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    assert_eq!(r.body["email"], "ana@example.com", "{}", app.backend);
    assert_eq!(r.body["is_patient"], true);

    let login = app.login_with("ana@example.com", PW).await;
    assert_eq!(login.status, StatusCode::OK, "{}", app.backend);
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);
    let cookies: Vec<_> = login
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("ds_access=")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Lax")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("ds_refresh=")),
        "{cookies:?}"
    );

    let token = login.body["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", app.backend);
    assert_eq!(me.body["name"], "Ana Silva");
    assert_eq!(
        app.audit_count("user.read").await,
        1,
        "{}: reading a person's record is audited",
        app.backend
    );
}

each_backend!(bad_registrations_get_field_errors_and_create_nothing);
async fn bad_registrations_get_field_errors_and_create_nothing(app: TestApp) {
    let cases = [
        (
            json!({"email": "not-an-email", "name": "A", "password": PW}),
            "email",
        ),
        (
            json!({"email": "a@example.com", "name": "", "password": PW}),
            "name",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "password": "short"}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "password": "passwordpassword"}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "password": "x".repeat(129)}),
            "password",
        ),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/auth/register", None, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {body}",
            app.backend
        );
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(r.problem(), "validation");
        assert!(
            r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{}: {body} → {}",
            app.backend,
            r.text
        );
    }
    let r = app.login_with("a@example.com", PW).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}: nothing was created",
        app.backend
    );
}

each_backend!(registering_a_taken_address_reveals_nothing_and_tells_its_owner);
/// Registering an address that already has an account answers exactly as for a new one;
/// the owner is told by e-mail, and nothing about the account changes.
async fn registering_a_taken_address_reveals_nothing_and_tells_its_owner(app: TestApp) {
    let first = app.register("dup@example.com", "One").await;
    assert_eq!(first.status, StatusCode::CREATED);
    app.deliver_mail().await;
    let fresh = app.register("new@example.com", "Two").await;
    let again = app.register("DUP@example.com", "Two").await;
    assert_eq!(
        again.status, fresh.status,
        "{}: {}",
        app.backend, again.text
    );
    let shape = |r: &crate::helpers::Resp| {
        let mut keys: Vec<String> = r.body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        (
            keys,
            r.body["name"].clone(),
            r.body["email_confirmed"].clone(),
        )
    };
    assert_eq!(shape(&again), shape(&fresh), "{}", app.backend);
    assert_ne!(
        again.body["id"], first.body["id"],
        "the owner's id is not shown"
    );
    let mails = app.deliver_mail().await;
    let to_owner: Vec<_> = mails
        .iter()
        .filter(|(_, m)| m.contains("To: dup@example.com"))
        .filter(|(_, m)| m.contains("Someone tried to register with your e-mail address"))
        .collect();
    assert_eq!(to_owner.len(), 1, "{}: the owner is told", app.backend);
    // The account is unchanged: the first password still works, the second does not.
    assert_eq!(
        app.login_with("dup@example.com", PW).await.status,
        StatusCode::OK
    );
    assert_eq!(app.audit_count("user.register_existing").await, 1);
    // The page answers alike too: a message is on its way, sign in.
    for email in ["dup@example.com", "other@example.com"] {
        let r = app
            .send(crate::helpers::form_post(
                "/register",
                None,
                &format!("name=Someone&email={email}&password=correct+horse+battery+staple&confirm=correct+horse+battery+staple"),
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{email}: {}", r.text);
        assert!(
            r.text
                .contains(&format!("We have sent a message to {email}"))
                && r.headers.get(header::SET_COOKIE).is_none(),
            "{email}: {}",
            r.text
        );
    }
}

each_backend!(a_reset_request_does_the_same_work_whether_or_not_the_address_has_an_account);
/// A reset request does the same work for a known and an unknown address: one queued job
/// and nothing else, so its timing does not tell them apart either. The worker then mails
/// the link to a known address only.
async fn a_reset_request_does_the_same_work_whether_or_not_the_address_has_an_account(
    app: TestApp,
) {
    use sea_orm::ConnectionTrait;

    app.register("known@example.com", "Known").await;
    app.deliver_mail().await;
    let c = app.state.store().conn();
    let count = |table: &'static str| async move {
        let r = c
            .query_one_raw(sea_orm::Statement::from_string(
                c.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        r.try_get::<i64>("", "n").unwrap()
    };
    let mut took = [Vec::new(), Vec::new()];
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        for (i, email) in ["known@example.com", "unknown@example.com"]
            .iter()
            .enumerate()
        {
            let before = (
                count("jobs").await,
                count("password_resets").await,
                count("audit_events").await,
            );
            let started = std::time::Instant::now();
            let r = app
                .post("/api/v1/auth/password-reset", None, json!({"email": email}))
                .await;
            took[i].push(started.elapsed());
            assert_eq!(r.status, StatusCode::ACCEPTED);
            let after = (
                count("jobs").await,
                count("password_resets").await,
                count("audit_events").await,
            );
            assert_eq!(
                after,
                (before.0 + 1, before.1, before.2),
                "{}: round {round}, {email}: one job and nothing else",
                app.backend
            );
        }
    }
    // The same work either way is asserted above, row by row. The timing check only
    // catches a gross difference; other tests load the machine meanwhile, so it compares
    // each address's fastest answer, the one least disturbed by them.
    let fastest = |v: &[std::time::Duration]| v.iter().min().copied().unwrap_or_default();
    let (known, unknown) = (fastest(&took[0]), fastest(&took[1]));
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!(
        (1.0 / 3.0..3.0).contains(&ratio),
        "{}: fastest {known:?} for a known address, {unknown:?} for an unknown one",
        app.backend
    );
    let mails = app.deliver_mail().await;
    let resets = |to: &str| {
        mails
            .iter()
            .filter(|(_, m)| {
                m.contains(&format!("To: {to}")) && m.contains("Reset your DocSpot password")
            })
            .count()
    };
    assert_eq!(
        (resets("known@example.com"), resets("unknown@example.com")),
        (ROUNDS, 0)
    );
}

each_backend!(a_wrong_password_and_an_unknown_account_look_the_same);
async fn a_wrong_password_and_an_unknown_account_look_the_same(app: TestApp) {
    app.register("b@example.com", "B").await;
    let wrong = app
        .login_with("b@example.com", "not the right password")
        .await;
    let unknown = app.login_with("nobody@example.com", PW).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.status, unknown.status, "{}", app.backend);
    assert_eq!(
        wrong.body["errors"], unknown.body["errors"],
        "{}",
        app.backend
    );
}

each_backend!(changing_the_password_ends_all_other_sessions);
async fn changing_the_password_ends_all_other_sessions(app: TestApp) {
    app.register("h@example.com", "H").await;
    let (here, _) = app.login("h@example.com").await;
    let (elsewhere, elsewhere_refresh) = app.login("h@example.com").await;
    let new_pw = "a brand new passphrase";

    let wrong = app
        .post(
            "/api/v1/me/password",
            Some(&here),
            json!({"current_password": "nope nope nope", "new_password": new_pw}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.body["errors"][0]["field"], "current_password");
    assert_eq!(
        app.me_status(&elsewhere).await,
        StatusCode::OK,
        "{}: nothing changed",
        app.backend
    );

    let ok = app
        .post(
            "/api/v1/me/password",
            Some(&here),
            json!({"current_password": PW, "new_password": new_pw}),
        )
        .await;
    app.expect(&ok, StatusCode::NO_CONTENT);
    assert_eq!(
        app.me_status(&here).await,
        StatusCode::OK,
        "{}: this session stays",
        app.backend
    );
    assert_eq!(
        app.me_status(&elsewhere).await,
        StatusCode::UNAUTHORIZED,
        "{}",
        app.backend
    );
    let r = app.refresh(&elsewhere_refresh).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login_with("h@example.com", PW).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.login_with("h@example.com", new_pw).await.status,
        StatusCode::OK
    );
}

each_backend!(password_reset_links_work_once_expire_after_thirty_minutes_and_reveal_nothing);
async fn password_reset_links_work_once_expire_after_thirty_minutes_and_reveal_nothing(
    app: TestApp,
) {
    app.register("i@example.com", "I").await;
    let (old_session, _) = app.login("i@example.com").await;

    let unknown = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "nobody@example.com"}),
        )
        .await;
    let known = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "i@example.com"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);
    assert_eq!(
        (known.status, &known.text),
        (unknown.status, &unknown.text),
        "{}: same answer",
        app.backend
    );
    let mails: Vec<_> = app
        .deliver_mail()
        .await
        .into_iter()
        .filter(|(_, m)| m.contains("Subject: Reset your DocSpot password"))
        .collect();
    assert_eq!(
        mails.len(),
        1,
        "{}: only the registered address gets mail",
        app.backend
    );

    let token = crate::helpers::token_after(&mails[0].1, "/reset-password?token=");
    let new_pw = "reset to something new";
    let r = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "password": new_pw}),
        )
        .await;
    app.expect(&r, StatusCode::NO_CONTENT);
    assert_eq!(
        app.me_status(&old_session).await,
        StatusCode::UNAUTHORIZED,
        "{}: sessions ended",
        app.backend
    );
    assert_eq!(
        app.login_with("i@example.com", new_pw).await.status,
        StatusCode::OK
    );

    let again = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "password": "yet another passphrase"}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}: single use",
        app.backend
    );
    assert_eq!(again.body["errors"][0]["field"], "token");

    app.post(
        "/api/v1/auth/password-reset",
        None,
        json!({"email": "i@example.com"}),
    )
    .await;
    let late = app
        .link_token_sent_to("i@example.com", "/reset-password?token=")
        .await;
    assert_ne!(late, token);
    app.advance(jiff::SignedDuration::from_mins(31));
    let r = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": late, "password": "yet another passphrase"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}: expired",
        app.backend
    );
    assert_eq!(
        app.login_with("i@example.com", new_pw).await.status,
        StatusCode::OK,
        "{}: password unchanged",
        app.backend
    );
}

each_backend!(login_is_rate_limited_per_account_and_per_ip_with_retry_after);
async fn login_is_rate_limited_per_account_and_per_ip_with_retry_after(db: store::testing::TestDb) {
    let app = TestApp::with(db, |s| {
        s.rate_per_account = 3;
        s.rate_per_ip = 5;
        s.rate_window_secs = 60;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.login_with("j@example.com", "wrong password!!")
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let limited = app.login_with("j@example.com", "wrong password!!").await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        app.backend
    );
    assert_eq!(limited.problem(), "rate-limited");
    let retry: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");

    // Another account from the same IP still gets through until the IP budget is spent.
    assert_eq!(
        app.login_with("k@example.com", "wrong password!!")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.login_with("l@example.com", "wrong password!!")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}: per IP",
        app.backend
    );

    app.advance(jiff::SignedDuration::from_secs(61));
    assert_eq!(
        app.login_with("j@example.com", "wrong password!!")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}: window over",
        app.backend
    );
}
