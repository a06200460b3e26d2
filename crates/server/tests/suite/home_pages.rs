//! The start page tells each role what is happening today at their clinic: real counts,
//! and the doctors nobody can book because they have no hours.

use crate::backends::each_backend;
use crate::{
    consultations::kavya_in_queue,
    helpers::{TestApp, page_get},
    world::{book, cancel, desk, second_doctor, world},
};
use axum::http::StatusCode;
use serde_json::json;

each_backend!(the_start_page_counts_today_and_asks_doctors_without_hours_to_set_them);
async fn the_start_page_counts_today_and_asks_doctors_without_hours_to_set_them(app: TestApp) {
    let w = world(&app, "home").await;
    let desk = desk(&app, &w, "home").await;
    let (_, vikram) = second_doctor(&app, &w, "home").await;
    kavya_in_queue(&app, &w, &desk, "home").await;
    // 16:40 today in the clinic: an appointment still to come.
    let r = book(&app, &w, &w.patient, "2026-11-22T11:10:00Z").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.register("applicant@home.test", "Dr Meera Iyer").await;
    let applicant = app.login("applicant@home.test").await.0;
    let r = app
        .post(
            &w.at("/doctor-applications"),
            Some(&applicant),
            json!({"name": "Dr Meera Iyer", "registration_number": "KMC-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let home = |token: String| {
        let app = &app;
        async move { app.send(page_get("/", &token)).await.text }
    };
    let at_desk = home(desk.clone()).await;
    assert!(
        at_desk.contains("1 waiting</a> in the queue")
            && at_desk.contains("1 appointment today")
            && !at_desk.contains("Nothing at the desk yet"),
        "{}: {at_desk}",
        app.backend
    );
    let asha = home(w.doctor_token.clone()).await;
    assert!(
        asha.contains("1 waiting</a> in your queue")
            && asha.contains("1 appointment today")
            && !asha.contains("Set your weekly hours")
            && !asha.contains("No patients waiting"),
        "{}: {asha}",
        app.backend
    );
    let no_hours = home(vikram.clone()).await;
    assert!(
        no_hours.contains("Set your weekly hours: patients cannot book you until you do.")
            && no_hours.contains("Nobody waiting"),
        "{}: {no_hours}",
        app.backend
    );
    let admin = home(w.admin.clone()).await;
    assert!(
        admin.contains("1 doctor waiting for review")
            && admin.contains("No weekly hours yet, so patients cannot book: Dr Vikram Shah."),
        "{}: {admin}",
        app.backend
    );
    let doctors = app
        .send(page_get(
            &format!("/clinics/{}/doctors", w.clinic),
            &w.admin,
        ))
        .await
        .text;
    assert!(
        doctors.contains("No weekly hours yet: patients cannot book Dr Vikram Shah")
            && !doctors.contains("cannot book Dr Asha Rao"),
        "{}: {doctors}",
        app.backend
    );
}

each_backend!(a_signed_in_patient_is_shown_where_to_book);
async fn a_signed_in_patient_is_shown_where_to_book(app: TestApp) {
    let w = world(&app, "bookat").await;
    let page = |path: &'static str| {
        let app = &app;
        let token = w.patient.clone();
        async move { app.send(page_get(path, &token)).await.text }
    };
    let link = r#"<li><a href="/c/bookat">Clinic bookat</a></li>"#;
    // No record at any clinic yet: told where the way in is.
    let home = page("/").await;
    assert!(
        home.contains("Book an appointment")
            && home.contains("Open the DocSpot link your clinic shares")
            && !home.contains(link),
        "{}: {home}",
        app.backend
    );
    // A patient of the clinic: its page, from the start page and from an empty list.
    let r = book(&app, &w, &w.patient, "2026-11-22T11:10:00Z").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let home = page("/").await;
    assert!(home.contains(link), "{}: {home}", app.backend);
    let mine = page("/appointments").await;
    assert!(
        !mine.contains("No upcoming appointments") && !mine.contains(link),
        "{}: {mine}",
        app.backend
    );
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = cancel(&app, &w, &w.patient, &id, "feeling better").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mine = page("/appointments").await;
    assert!(
        mine.contains("No upcoming appointments.") && mine.contains(link),
        "{}: {mine}",
        app.backend
    );
    // The link leads to the clinic's doctors.
    let clinic = app.send(page_get("/c/bookat", &w.patient)).await;
    assert!(
        clinic.status == StatusCode::OK && clinic.text.contains("Dr Asha Rao"),
        "{}: {} {}",
        app.backend,
        clinic.status,
        clinic.text
    );
}
