//! Pages for the clinic's specialties (on the admin's Doctors page) and for a doctor's
//! profile and fee, driven as a browser posts forms, on SQLite and PostgreSQL.

use crate::backends::each_backend;
use crate::{
    helpers::{TestApp, location, page_get, page_post},
    world::{World, second_doctor, world},
};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// The doctor as the public API shows them.
async fn public_doctor(app: &TestApp, w: &World, id: &str) -> Value {
    let r = app.get(&w.at(&format!("/doctors/{id}")), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend, r.text);
    r.body
}

/// Adds `name` to the clinic's specialties through the API; returns its id.
async fn specialty(app: &TestApp, w: &World, name: &str) -> String {
    let r = app
        .post(&w.at("/specialties"), Some(&w.admin), json!({"name": name}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

fn profile_path(w: &World, doctor: &str) -> String {
    format!("/clinics/{}/doctors/{doctor}/profile", w.clinic)
}

each_backend!(an_admin_adds_specialties_on_the_doctors_page_and_a_duplicate_is_refused_inline);
async fn an_admin_adds_specialties_on_the_doctors_page_and_a_duplicate_is_refused_inline(
    app: TestApp,
) {
    let w = world(&app, "spec").await;
    let doctors = format!("/clinics/{}/doctors", w.clinic);
    let add = format!("/clinics/{}/specialties", w.clinic);
    let page = app.send(page_get(&doctors, &w.admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Specialties (0)"), "{}", page.text);
    assert!(
        page.text
            .contains(&format!(r#"action="{add}#specialties""#))
    );

    let r = page_post(&app, &add, &w.admin, "name=+Cardiology+").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(
        location(&r).starts_with(&format!("{doctors}?added=")),
        "{}",
        location(&r)
    );
    let after = app.send(page_get(&location(&r), &w.admin)).await;
    assert!(after.text.contains("Added Cardiology."), "{}", after.text);
    assert!(after.text.contains("<li>Cardiology</li>"));

    // A duplicate in another case, and an empty name: inline, 422, nothing saved.
    let cases = [
        (
            "name=cardiology",
            "This specialty is already listed.",
            "duplicate",
        ),
        ("name=+", "Specialty is required.", "empty"),
        (
            &*format!("name={}", "x".repeat(61)),
            "Specialty must be at most 60 characters.",
            "too long",
        ),
    ];
    for (body, message, why) in cases {
        let r = page_post(&app, &add, &w.admin, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{why}: {}",
            r.text
        );
        assert!(
            r.text.contains(&format!(
                r#"<p class="field-error" id="f-name-error">{message}</p>"#
            )),
            "{why}: {}",
            r.text
        );
    }
    let r = page_post(&app, &add, &w.admin, "name=cardiology").await;
    assert!(
        r.text.contains(r#"value="cardiology""#),
        "what was typed stays"
    );
    let list = app.get(&w.at("/specialties"), None).await;
    assert_eq!(
        list.body,
        json!([{"id": list.body[0]["id"], "name": "Cardiology"}])
    );
    assert_eq!(app.audit_count("specialty.create").await, 1);

    // Only admins add specialties.
    for (token, who) in [(&w.doctor_token, "doctor"), (&w.patient, "patient")] {
        let r = page_post(&app, &add, token, "name=Dermatology").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
    }
    let list = app.get(&w.at("/specialties"), None).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
}

each_backend!(a_doctor_edits_their_profile_and_fee_and_patients_see_it);
async fn a_doctor_edits_their_profile_and_fee_and_patients_see_it(app: TestApp) {
    let w = world(&app, "prof").await;
    let cardio = specialty(&app, &w, "Cardiology").await;
    let path = profile_path(&w, &w.doctor);

    let schedule = app
        .send(page_get(
            &format!("/clinics/{}/schedule", w.clinic),
            &w.doctor_token,
        ))
        .await;
    assert!(
        schedule
            .text
            .contains(&format!(r#"<a href="{path}">Edit my profile and fee</a>"#)),
        "{}",
        schedule.text
    );

    let form = app.send(page_get(&path, &w.doctor_token)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("<h1>Your profile and fee</h1>"));
    assert!(
        form.text
            .contains(r#"name="name" type="text" value="Dr Asha Rao""#)
    );
    assert!(
        form.text.contains(r#"name="fee" type="text" value="0""#),
        "{}",
        form.text
    );
    assert!(form.text.contains("In INR, for example 500 or 450.50"));
    assert!(
        form.text
            .contains(&format!(r#"value="{cardio}"> Cardiology"#)),
        "unticked"
    );

    let body = format!(
        "name=Dr.+Asha+Rao&registration_number=KMC-2201&qualifications=MBBS%2C+DM&\
             languages=English%2C+Kannada%2C+&fee=499.50&specialty={cardio}&bio=Hearts"
    );
    let r = page_post(&app, &path, &w.doctor_token, &body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(location(&r), format!("{path}?done=1"));
    let saved = app.send(page_get(&location(&r), &w.doctor_token)).await;
    assert!(saved.text.contains("Saved."), "{}", saved.text);
    assert!(
        saved
            .text
            .contains(r#"name="fee" type="text" value="499.50""#)
    );
    assert!(
        saved
            .text
            .contains(&format!(r#"value="{cardio}" checked>"#))
    );
    assert!(saved.text.contains(r#"value="English, Kannada""#));

    let d = public_doctor(&app, &w, &w.doctor).await;
    assert_eq!(
        (
            d["name"].as_str(),
            d["registration_number"].as_str(),
            d["fee_minor"].as_i64(),
            d["bio"].as_str()
        ),
        (
            Some("Dr. Asha Rao"),
            Some("KMC-2201"),
            Some(49_950),
            Some("Hearts")
        )
    );
    assert_eq!(d["languages"], json!(["English", "Kannada"]));
    assert_eq!(d["specialties"][0]["name"], "Cardiology");
    let public = app
        .get(&format!("/c/prof/doctors/{}", w.doctor), None)
        .await;
    assert!(public.text.contains("INR 499.50"), "{}", public.text);
    assert!(public.text.contains("Cardiology"));
    let listed = app
        .get(&w.at(&format!("/doctors?specialty_id={cardio}")), None)
        .await;
    assert_eq!(listed.body[0]["id"].as_str(), Some(w.doctor.as_str()));
    assert_eq!(app.audit_count("doctor.update").await, 1);

    // Unticking every specialty is a change too.
    let r = page_post(
        &app,
        &path,
        &w.doctor_token,
        "name=Dr.+Asha+Rao&registration_number=KMC-2201&fee=500",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let d = public_doctor(&app, &w, &w.doctor).await;
    assert_eq!(d["specialties"], json!([]));
    assert_eq!(d["fee_minor"].as_i64(), Some(50_000));
}

each_backend!(bad_profile_input_names_each_field_and_changes_nothing);
async fn bad_profile_input_names_each_field_and_changes_nothing(app: TestApp) {
    let w = world(&app, "badprof").await;
    let path = profile_path(&w, &w.doctor);
    let before = public_doctor(&app, &w, &w.doctor).await;
    let eleven = (1..=11)
        .map(|i| format!("Lang{i}"))
        .collect::<Vec<_>>()
        .join("%2C");
    let body = format!(
        "name=+&registration_number=&fee=-5&languages={eleven}&specialty={}&bio=ok",
        uuid::Uuid::now_v7()
    );
    let r = page_post(&app, &path, &w.doctor_token, &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let field_error = |field: &str, message: &str| {
        format!(r#"<p class="field-error" id="f-{field}-error">{message}</p>"#)
    };
    for (field, message) in [
        ("name", "Name is required."),
        ("registration_number", "Registration number is required."),
        ("fee", "Enter an amount like 500 or 450.50."),
        ("languages", "List at most 10 languages."),
    ] {
        assert!(
            r.text.contains(&field_error(field, message)),
            "{field}: {}",
            r.text
        );
    }
    assert!(
        r.text
            .contains(r#"id="f-specialties-error">Choose specialties from the clinic"#),
        "an unknown specialty, even with none listed: {}",
        r.text
    );
    assert!(r.text.contains(r#"value="-5""#), "what was typed stays");

    // A malformed fee, and one above the limit, each on the fee field.
    for (fee, message) in [
        ("4%2C99", "Enter an amount like 500 or 450.50."),
        (
            "12.345",
            "INR amounts have at most 2 decimals. Enter an amount like 500 or 450.50.",
        ),
        ("lots", "Enter an amount like 500 or 450.50."),
        (
            "100000000.01",
            "Consultation fee must be between 0 and 100,000,000.",
        ),
    ] {
        let body = format!("name=Dr+Asha+Rao&registration_number=KMC-1&fee={fee}");
        let r = page_post(&app, &path, &w.doctor_token, &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fee}: {}",
            r.text
        );
        assert!(
            r.text.contains(&field_error("fee", message)),
            "{fee}: {}",
            r.text
        );
    }

    assert_eq!(
        public_doctor(&app, &w, &w.doctor).await,
        before,
        "nothing saved"
    );
    assert_eq!(app.audit_count("doctor.update").await, 0);
}

each_backend!(only_the_doctor_and_clinic_admins_open_a_doctors_profile_page);
async fn only_the_doctor_and_clinic_admins_open_a_doctors_profile_page(app: TestApp) {
    let w = world(&app, "guard").await;
    let (_, other_doctor) = second_doctor(&app, &w, "guard").await;
    let (other_clinic, other_admin) = app
        .clinic_with_admin("guard-two", "admin@guard-two.test")
        .await;
    let path = profile_path(&w, &w.doctor);
    let before = public_doctor(&app, &w, &w.doctor).await;
    let body = "name=Dr+Mallory&registration_number=X-1&fee=1";
    let elsewhere = format!("/clinics/{other_clinic}/doctors/{}/profile", w.doctor);
    for (token, path, who) in [
        (&other_doctor, &path, "another doctor"),
        (&w.patient, &path, "a patient"),
        (&other_admin, &path, "another clinic's admin"),
        (
            &other_admin,
            &elsewhere,
            "another clinic's admin, through their clinic",
        ),
    ] {
        let r = app.send(page_get(path, token)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET by {who}");
        let r = page_post(&app, path, token, body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST by {who}");
    }
    let unknown = profile_path(&w, "not-a-doctor");
    let r = app.send(page_get(&unknown, &w.admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get(&path, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "signed out: sign in first");
    assert!(location(&r).starts_with("/login?next="), "{}", location(&r));

    assert_eq!(
        public_doctor(&app, &w, &w.doctor).await,
        before,
        "nothing saved"
    );
    assert_eq!(app.audit_count("doctor.update").await, 0);
}

each_backend!(a_clinic_admin_edits_any_doctors_profile);
async fn a_clinic_admin_edits_any_doctors_profile(app: TestApp) {
    let w = world(&app, "adminprof").await;
    let (second, _) = second_doctor(&app, &w, "adminprof").await;
    let neuro = specialty(&app, &w, "Neurology").await;

    let doctors = app
        .send(page_get(
            &format!("/clinics/{}/doctors", w.clinic),
            &w.admin,
        ))
        .await;
    for id in [&w.doctor, &second] {
        assert!(
            doctors
                .text
                .contains(&format!(r#"href="{}">Edit profile"#, profile_path(&w, id))),
            "{}",
            doctors.text
        );
    }

    let path = profile_path(&w, &second);
    let form = app.send(page_get(&path, &w.admin)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("<h1>Profile of Dr Vikram Shah</h1>"));
    assert!(
        form.text
            .contains(&format!(r#"href="/clinics/{}/doctors">"#, w.clinic)),
        "back to the Doctors page"
    );
    let body = format!(
        "name=Dr+Vikram+Shah&registration_number=MMC-77&fee=800&specialty={neuro}&\
             languages=Marathi"
    );
    let r = page_post(&app, &path, &w.admin, &body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(location(&r), format!("{path}?done=1"));
    let d = public_doctor(&app, &w, &second).await;
    assert_eq!(d["fee_minor"].as_i64(), Some(80_000));
    assert_eq!(d["registration_number"], "MMC-77");
    assert_eq!(d["specialties"][0]["name"], "Neurology");

    // The admin's schedule view of a doctor links that doctor's profile.
    let schedule = app
        .send(page_get(
            &format!("/clinics/{}/schedule?doctor={second}", w.clinic),
            &w.admin,
        ))
        .await;
    assert!(
        schedule
            .text
            .contains(&format!(r#"<a href="{path}">Edit Dr Vikram Shah"#)),
        "{}",
        schedule.text
    );
}
