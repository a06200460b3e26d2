//! Doctors join, get reviewed, and only approved ones are listed and bookable; through the
//! API, on SQLite and PostgreSQL. The clock starts on Sunday 2026-11-22 at 14:30 in the
//! clinic's zone (Asia/Kolkata); the clinic is `world::world`.

use crate::backends::each_backend;
use crate::{helpers::TestApp, world::world};
use axum::http::StatusCode;
use serde_json::json;

/// How many doctors the public directory at `path` lists.
async fn listed(app: &TestApp, path: &str) -> usize {
    app.get(path, None).await.body.as_array().unwrap().len()
}

each_backend!(
    doctors_are_listed_and_bookable_only_once_approved_and_every_decision_is_emailed_and_audited
);
async fn doctors_are_listed_and_bookable_only_once_approved_and_every_decision_is_emailed_and_audited(
    app: TestApp,
) {
    let w = world(&app, "review").await;
    let r = app
        .post(
            &w.at("/specialties"),
            Some(&w.admin),
            json!({"name": "Cardiology"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cardio = r.body["id"].as_str().unwrap().to_owned();
    let dup = app
        .post(
            &w.at("/specialties"),
            Some(&w.admin),
            json!({"name": "cardiology"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);

    app.register("applicant@review.test", "Dr Meera Iyer").await;
    let applicant = app.login("applicant@review.test").await.0;
    let bad = app
        .post(&w.at("/doctor-applications"), Some(&applicant), json!({"name": "Dr Meera Iyer", "registration_number": "", "specialties": [uuid::Uuid::now_v7()]}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let profile = json!({"name": "Dr Meera Iyer", "registration_number": "KMC-12345", "qualifications": "MBBS, MD", "languages": ["English", "Tamil"], "fee_minor": 80000, "bio": "Heart health.", "specialties": [cardio]});
    let r = app
        .post(
            &w.at("/doctor-applications"),
            Some(&applicant),
            profile.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
    let meera = r.body["id"].as_str().unwrap().to_owned();
    let twice = app
        .post(&w.at("/doctor-applications"), Some(&applicant), profile)
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    let directory = w.at(&format!("/doctors?specialty_id={cardio}"));
    assert_eq!(listed(&app, &directory).await, 0, "pending is not listed");
    assert_eq!(
        app.get(&w.at(&format!("/doctors/{meera}")), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let no_reason = app
        .post(
            &w.at(&format!("/doctors/{meera}/reject")),
            Some(&w.admin),
            json!({}),
        )
        .await;
    assert_eq!(
        no_reason.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection needs a reason"
    );
    let r = app
        .post(
            &w.at(&format!("/doctors/{meera}/approve")),
            Some(&w.patient),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "patients cannot approve");
    let r = app
        .post(
            &w.at(&format!("/doctors/{meera}/approve")),
            Some(&w.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(listed(&app, &directory).await, 1);
    let d = app.get(&w.at(&format!("/doctors/{meera}")), None).await;
    assert_eq!(d.body["specialties"][0]["name"], "Cardiology");
    assert_eq!(d.body["languages"], json!(["English", "Tamil"]));

    let r = app
        .post(
            &w.at(&format!("/doctors/{meera}/suspend")),
            Some(&w.admin),
            json!({"reason": "licence review"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(listed(&app, &directory).await, 0, "suspended is not listed");
    let r = app
        .post(&w.at("/appointments"), Some(&w.patient), json!({"doctor_id": meera, "visit_type_id": w.visit_type, "start": "2026-11-23T03:30:00Z"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "suspended is not bookable"
    );
    let illegal = app
        .post(
            &w.at(&format!("/doctors/{meera}/reject")),
            Some(&w.admin),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(illegal.status, StatusCode::CONFLICT);

    let mails = app.deliver_mail().await;
    let to_meera: Vec<&String> = mails
        .iter()
        .map(|(_, m)| m)
        .filter(|m| m.contains("To: applicant@review.test"))
        .filter(|m| !m.contains("Subject: Confirm your e-mail address"))
        .collect();
    assert_eq!(to_meera.len(), 2, "approval and suspension are e-mailed");
    assert!(to_meera.iter().any(|m| m.contains("licence review")));
    assert_eq!(
        app.audit_count("doctor.approved").await,
        2,
        "{}: two approvals (Asha and Meera)",
        app.backend
    );
    assert_eq!(app.audit_count("doctor.suspended").await, 1);
}

each_backend!(a_doctor_applies_on_the_clinics_join_page_and_waits_for_review);
/// The public "join as a doctor" page: signed out it asks to sign in and come back; a bad
/// form is explained inline and creates nothing; a good one leaves a pending profile for the
/// admins, and the page then says where the application stands instead of offering it again.
async fn a_doctor_applies_on_the_clinics_join_page_and_waits_for_review(app: TestApp) {
    use crate::helpers::{location, page_get, page_post};

    let w = world(&app, "joinc").await;
    let r = app
        .post(
            &w.at("/specialties"),
            Some(&w.admin),
            json!({"name": "Dermatology"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let derm = r.body["id"].as_str().unwrap().to_owned();

    let public = app.get("/c/joinc", None).await;
    assert!(
        public.text.contains(r#"href="/c/joinc/join""#),
        "the clinic page links it"
    );
    let anon = app.get("/c/joinc/join", None).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert!(
        anon.text.contains("/login?next=%2Fc%2Fjoinc%2Fjoin"),
        "{}",
        anon.text
    );
    assert!(!anon.text.contains(r#"name="registration_number""#));

    app.register("meena@joinc.test", "Meena Pillai").await;
    let meena = app.login("meena@joinc.test").await.0;
    let form = app.send(page_get("/c/joinc/join", &meena)).await;
    assert!(
        form.text.contains(&format!(r#"value="{derm}""#)),
        "{}",
        form.text
    );

    let bad = "name=Dr.+Meena+Pillai&registration_number=&fee=lots";
    let r = page_post(&app, "/c/joinc/join", &meena, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("Enter an amount like 500 or 450.50."),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("Registration number is required."),
        "every problem at once: {}",
        r.text
    );
    assert!(r.text.contains("Dr. Meena Pillai"), "what was typed stays");
    let pending = app.get(&w.at("/doctors/pending"), Some(&w.admin)).await;
    assert_eq!(
        pending.body.as_array().map(Vec::len),
        Some(0),
        "nothing saved"
    );

    let good = format!(
        "name=Dr.+Meena+Pillai&registration_number=KMC-4411&qualifications=MBBS%2C+MD&\
             languages=English%2C+Malayalam&fee=650&specialty={derm}&bio=Skin+and+hair"
    );
    let r = page_post(&app, "/c/joinc/join", &meena, &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(location(&r), "/c/joinc/join");
    let pending = app.get(&w.at("/doctors/pending"), Some(&w.admin)).await;
    let d = &pending.body[0];
    assert_eq!(
        (
            d["name"].as_str(),
            d["registration_number"].as_str(),
            d["fee_minor"].as_i64()
        ),
        (Some("Dr. Meena Pillai"), Some("KMC-4411"), Some(65000))
    );
    assert_eq!(d["languages"], json!(["English", "Malayalam"]));
    assert_eq!(d["specialties"][0]["name"], "Dermatology");
    assert_eq!(app.audit_count("doctor.apply").await, 1);

    let after = app.send(page_get("/c/joinc/join", &meena)).await;
    assert!(
        after.text.contains("Your application is with the clinic"),
        "{}",
        after.text
    );
    assert!(!after.text.contains(r#"name="registration_number""#));
    let again = page_post(&app, "/c/joinc/join", &meena, &good).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(again.text.contains("already have a doctor profile"));

    assert_eq!(
        app.get("/c/nowhere/join", None).await.status,
        StatusCode::NOT_FOUND
    );
}
