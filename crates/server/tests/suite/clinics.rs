//! Clinics: creation by platform admins, and switching between clinics.

use crate::backends::each_backend;
use crate::helpers::{PW, TestApp};
use axum::http::StatusCode;
use serde_json::json;

each_backend!(only_platform_admins_create_clinics_and_bad_input_names_every_field);
async fn only_platform_admins_create_clinics_and_bad_input_names_every_field(app: TestApp) {
    let root = app.platform_admin("root@docspot.test").await;
    app.register("p@example.com", "Patient").await;
    let (patient, _) = app.login("p@example.com").await;
    app.deliver_mail().await; // the patient's address confirmation
    let body = json!({"name": "Sunrise", "slug": "sunrise", "time_zone": "Asia/Kolkata", "currency": "INR", "admin_email": "boss@sunrise.test"});
    let r = app
        .post("/api/v1/clinics", Some(&patient), body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", app.backend);
    assert_eq!(
        app.post("/api/v1/clinics", None, body.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );

    let bad = app
        .post("/api/v1/clinics", Some(&root), json!({"name": "", "slug": "-x", "time_zone": "Mars/Base", "currency": "RUPEE", "admin_email": "nope"}))
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        app.backend
    );
    let mut fields: Vec<_> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["admin_email", "currency", "name", "slug", "time_zone"]
    );

    let ok = app.post("/api/v1/clinics", Some(&root), body.clone()).await;
    app.expect(&ok, StatusCode::CREATED);
    assert_eq!(ok.body["time_zone"], "Asia/Kolkata");
    let dup = app.post("/api/v1/clinics", Some(&root), body).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.body["errors"][0]["field"], "slug");

    let mails: Vec<_> = app
        .deliver_mail()
        .await
        .into_iter()
        .filter(|(_, m)| m.contains("To: boss@sunrise.test"))
        .collect();
    assert_eq!(
        mails.len(),
        1,
        "{}: one invite; the failed duplicate enqueued nothing",
        app.backend
    );
    assert!(mails[0].1.contains("To: boss@sunrise.test"));
    let list = app.get("/api/v1/clinics", Some(&root)).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/api/v1/clinics", Some(&patient))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0,
        "{}",
        app.backend
    );
}

each_backend!(
    a_user_with_roles_in_two_clinics_switches_between_them_and_cannot_switch_into_a_third
);
async fn a_user_with_roles_in_two_clinics_switches_between_them_and_cannot_switch_into_a_third(
    app: TestApp,
) {
    use axum::{
        body::Body,
        http::{Method, Request, header},
    };

    let (a, admin_a) = app.clinic_with_admin("sw-a", "admin@sw-a.test").await;
    let (b, admin_b) = app.clinic_with_admin("sw-b", "admin@sw-b.test").await;
    let (c, _) = app.clinic_with_admin("sw-c", "admin@sw-c.test").await;
    for (clinic, admin) in [(&a, &admin_a), (&b, &admin_b)] {
        app.join(clinic, admin, "two@sw.test", "doctor", "Dr Two")
            .await;
    }
    let login = app.login_with("two@sw.test", PW).await;
    let access = login.body["access_token"].as_str().unwrap().to_owned();
    let session: domain::SessionId = login.body["session_id"].as_str().unwrap().parse().unwrap();
    let switch = |clinic: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/switch-clinic")
            .header(header::COOKIE, format!("ds_access={access}"))
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("clinic_id={clinic}")))
            .unwrap()
    };
    let r = app.send(switch(&b)).await;
    app.expect(&r, StatusCode::SEE_OTHER);
    let active = || async {
        let s = store::sessions::find(app.state.store().conn(), session)
            .await
            .unwrap();
        s.and_then(|s| s.active_clinic_id).map(|c| c.to_string())
    };
    assert_eq!(active().await, Some(b.clone()), "{}", app.backend);
    let r = app.send(switch(&c)).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "{}: not a member of the third clinic",
        app.backend
    );
    assert_eq!(
        active().await,
        Some(b.clone()),
        "{}: unchanged",
        app.backend
    );
    assert_eq!(
        app.audit_count("session.switch_clinic").await,
        1,
        "{}",
        app.backend
    );
}
