//! Booking on a patient's behalf from the desk pages, driven as a browser posts forms, on
//! SQLite and PostgreSQL. The clock starts on Sunday 2026-11-22 at 14:30 in the clinic's
//! zone (Asia/Kolkata); see `world::world` for the doctor's week.

use crate::backends::each_backend;
use crate::{
    helpers::{TestApp, location, page_get, page_post},
    world::world,
};
use axum::http::StatusCode;

each_backend!(reception_books_for_a_new_or_known_patient_from_the_desk_pages);
async fn reception_books_for_a_new_or_known_patient_from_the_desk_pages(app: TestApp) {
    let w = world(&app, "front").await;
    let (c, d, vt) = (&w.clinic, &w.doctor, &w.visit_type);
    app.join(c, &w.admin, "desk@front.test", "receptionist", "Anil Desk")
        .await;
    let desk = app.login("desk@front.test").await.0;

    let pick = app
        .send(page_get(&format!("/clinics/{c}/book"), &desk))
        .await;
    assert_eq!(pick.status, StatusCode::OK, "{}", pick.text);
    assert!(
        pick.text
            .contains(&format!(r#"<a href="/clinics/{c}/day">Today</a>"#))
            && !pick.text.contains("My appointments</a>")
            && !pick.text.contains(">Settings</a>"),
        "reception's header links the clinic's day, not a patient's list or settings"
    );
    // Staff skip the two-hour notice: 14:40 today is offered.
    assert!(
        pick.text.contains("Dr Asha Rao") && pick.text.contains(">14:40<"),
        "{}",
        pick.text
    );
    let start = "2026-11-22T09:10:00Z";
    let confirm = format!("/clinics/{c}/book/confirm");
    let slot = format!("doctor={d}&visit_type={vt}&start={start}");
    let page = app
        .send(page_get(&format!("{confirm}?{slot}&q=Meena"), &desk))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("No patient matches")
            && page.text.contains("Sun 22 Nov 2026, 14:40 (Asia/Kolkata)"),
        "{}",
        page.text
    );

    let r = page_post(
        &app,
        &confirm,
        &desk,
        &format!("{slot}&patient=new&name=&phone=12"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains(r#"id="f-name-error""#) && r.text.contains(r#"id="f-phone-error""#),
        "{}",
        r.text
    );
    let r = page_post(&app, &confirm, &desk, &slot).await;
    assert!(
        r.text.contains("Choose a patient from the search"),
        "{}",
        r.text
    );
    let r = page_post(
        &app,
        &confirm,
        &desk,
        &format!(
            "{slot}&patient=new&name=Meena+Iyer&phone=%2B919812345678&reason=fever&source=phone"
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = location(&r);
    assert!(
        to.starts_with(&format!("/clinics/{c}/day?date=2026-11-22&booked=")),
        "{to}"
    );
    let day = app.send(page_get(&to, &desk)).await;
    assert!(
        day.text.contains("Booked ")
            && day.text.contains("Meena Iyer")
            && day.text.contains("14:40"),
        "{}",
        day.text
    );
    let listed = app
        .get(
            &w.at("/appointments?from=2026-11-22&to=2026-11-22"),
            Some(&desk),
        )
        .await;
    assert_eq!(listed.body[0]["source"], "phone", "{}", listed.text);

    // A known patient, found by name; the time they want has just gone.
    let found = app
        .send(page_get(&format!("{confirm}?{slot}&q=meen"), &desk))
        .await;
    assert!(found.text.contains("Meena Iyer · P0000"), "{}", found.text);
    let meena = app.get(&w.at("/patients?q=Meena"), Some(&desk)).await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = page_post(&app, &confirm, &desk, &format!("{slot}&patient={meena}")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.text.contains("This time has just been taken")
            && r.text.contains("/book/confirm?doctor="),
        "{}",
        r.text
    );
    let later = "2026-11-22T09:50:00Z";
    let r = page_post(
        &app,
        &confirm,
        &desk,
        &format!("doctor={d}&visit_type={vt}&start={later}&patient={meena}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);

    // Patients do not book at the desk; doctors may (a follow-up from the consultation).
    assert_eq!(
        app.send(page_get(&format!("/clinics/{c}/book"), &w.patient))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.send(page_get(&format!("/clinics/{c}/book"), &w.doctor_token))
            .await
            .status,
        StatusCode::OK
    );
    let week = app
        .send(page_get(
            &format!("/clinics/{c}/day?week=1"),
            &w.doctor_token,
        ))
        .await;
    assert!(
        week.text.contains("Week of 22 Nov – 28 Nov 2026")
            && week.text.contains("Sunday 22 November"),
        "{}",
        week.text
    );
}
