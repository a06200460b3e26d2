//! Staff cancel and move appointments from the day page and the patient's record, driven as
//! a browser posts forms, on SQLite and PostgreSQL. The clock starts on Sunday 2026-11-22 at
//! 14:30 in the clinic's zone (Asia/Kolkata); the doctor's slots start every 20 minutes from
//! 09:00 and 14:00 (see `world::world`); the cancel cutoff is 2 hours.

use crate::backends::each_backend;
use crate::{
    helpers::{TestApp, location, page_get, page_post},
    world::{World, book, desk, events, world},
};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Monday 23 November, 09:00 and 09:40 in Asia/Kolkata.
const MON_0900: &str = "2026-11-23T03:30:00Z";
const MON_0940: &str = "2026-11-23T04:10:00Z";

/// The appointment as the API shows it to staff.
async fn appointment(app: &TestApp, w: &World, token: &str, id: &str) -> Value {
    app.get(&w.at(&format!("/appointments/{id}")), Some(token))
        .await
        .body
}

each_backend!(reception_cancels_from_the_day_page_with_a_reason_and_the_patient_is_emailed);
async fn reception_cancels_from_the_day_page_with_a_reason_and_the_patient_is_emailed(
    app: TestApp,
) {
    let w = world(&app, "stcancel").await;
    let desk = desk(&app, &w, "stcancel").await;
    let a = book(&app, &w, &w.patient, MON_0900).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let (id, code) = (
        a.body["id"].as_str().unwrap().to_owned(),
        a.body["ref_code"].as_str().unwrap().to_owned(),
    );
    let c = &w.clinic;

    let day = app
        .send(page_get(
            &format!("/clinics/{c}/day?date=2026-11-23"),
            &desk,
        ))
        .await;
    let cancel = format!("/clinics/{c}/appointments/{id}/cancel?date=2026-11-23");
    assert!(
        day.text.contains(&format!(r#"href="{cancel}""#))
            && day.text.contains(&format!(
                r#"href="/clinics/{c}/appointments/{id}/reschedule?date=2026-11-23""#
            )),
        "{}: the day page offers cancel and reschedule: {}",
        app.backend,
        day.text
    );
    let form = app.send(page_get(&cancel, &desk)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(
        form.text.contains("Cancel this appointment?")
            && form.text.contains("Ravi Kumar")
            && form.text.contains("Mon 23 Nov 2026, 09:00 (Asia/Kolkata)")
            && form.text.contains(&format!(r#"action="{cancel}""#))
            && !form.text.contains("staff override"),
        "{}",
        form.text
    );

    let r = page_post(&app, &cancel, &desk, "reason=+++").await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}: a reason is required",
        app.backend
    );
    assert!(
        r.text.contains(r#"id="f-reason-error""#) && r.text.contains("Ravi Kumar"),
        "the cancel page again, with the message at the field: {}",
        r.text
    );
    assert_eq!(
        appointment(&app, &w, &desk, &id).await["status"],
        "booked",
        "nothing changed"
    );
    assert_eq!(app.audit_count("appointment.cancel").await, 0);

    let r = page_post(&app, &cancel, &desk, "reason=patient+phoned%2C+travelling").await;
    app.expect(&r, StatusCode::SEE_OTHER);
    let back = location(&r);
    assert_eq!(
        back,
        format!("/clinics/{c}/day?cancelled={code}&date=2026-11-23")
    );
    let day = app.send(page_get(&back, &desk)).await;
    assert!(
        day.text.contains(&format!("Cancelled {code}."))
            && day.text.contains(">Cancelled<")
            && !day.text.contains(&format!(r#"href="{cancel}""#)),
        "{}",
        day.text
    );
    let a = appointment(&app, &w, &desk, &id).await;
    assert_eq!(a["status"], "cancelled");
    assert_eq!(a["cancel_reason"], "patient phoned, travelling");
    let events = events(&app, &w).await;
    let (_, detail) = events
        .iter()
        .find(|e| e.0 == "appointment.cancel")
        .expect("the cancel is audited");
    assert_eq!(detail["reason"], "patient phoned, travelling");
    assert_eq!(detail["by_staff"], true);
    assert_eq!(detail["after_cutoff_override"], false);
    let mails = app.deliver_mail().await;
    assert!(
        mails.iter().any(
            |(_, m)| m.contains("To: pat@stcancel.test") && m.contains("Appointment cancelled")
        ),
        "{}: the patient is e-mailed",
        app.backend
    );

    let r = page_post(&app, &cancel, &desk, "reason=again").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "cancelled is final");
    assert!(
        r.text.contains(r#"class="alert error""#) && r.text.contains("can no longer be cancelled"),
        "{}",
        r.text
    );
    assert_eq!(
        appointment(&app, &w, &desk, &id).await["cancel_reason"],
        "patient phoned, travelling"
    );
    assert_eq!(app.audit_count("appointment.cancel").await, 1);
}

each_backend!(after_the_cutoff_the_desk_still_cancels_and_the_override_is_recorded);
async fn after_the_cutoff_the_desk_still_cancels_and_the_override_is_recorded(app: TestApp) {
    let w = world(&app, "stlate").await;
    desk(&app, &w, "stlate").await;
    let a = book(&app, &w, &w.patient, MON_0900).await;
    let (id, patient) = (
        a.body["id"].as_str().unwrap().to_owned(),
        a.body["patient_id"].as_str().unwrap().to_owned(),
    );
    app.advance(jiff::SignedDuration::from_hours(17)); // Mon 07:30 IST: 1.5 h before
    let desk = app.login("desk@stlate.test").await.0;
    let patient_token = app.login("pat@stlate.test").await.0;
    let r = crate::world::cancel(&app, &w, &patient_token, &id, "feeling better").await;
    assert_eq!(r.body["rule"], "cancel_cutoff", "the patient may not now");

    let c = &w.clinic;
    let record = app
        .send(page_get(&format!("/clinics/{c}/patients/{patient}"), &desk))
        .await;
    let cancel = format!("/clinics/{c}/appointments/{id}/cancel?back=record");
    assert!(
        record.text.contains("Upcoming appointments")
            && record.text.contains(&format!(r#"href="{cancel}""#)),
        "{}",
        record.text
    );
    let form = app.send(page_get(&cancel, &desk)).await;
    assert!(
        form.text.contains("recorded as a staff override"),
        "{}",
        form.text
    );
    let r = page_post(&app, &cancel, &desk, "reason=doctor+called+away").await;
    app.expect(&r, StatusCode::SEE_OTHER);
    let back = location(&r);
    assert!(
        back.starts_with(&format!("/clinics/{c}/patients/{patient}?cancelled=")),
        "{back}"
    );
    let record = app.send(page_get(&back, &desk)).await;
    assert!(
        record.text.contains("Cancelled ") && record.text.contains("None booked."),
        "{}",
        record.text
    );
    assert_eq!(
        appointment(&app, &w, &desk, &id).await["status"],
        "cancelled"
    );
    let events = events(&app, &w).await;
    let (_, detail) = events.iter().find(|e| e.0 == "appointment.cancel").unwrap();
    assert_eq!(detail["after_cutoff_override"], true, "{}", app.backend);
    assert_eq!(detail["by_staff"], true);
}

each_backend!(reception_moves_an_appointment_from_the_record_page_to_a_free_time);
async fn reception_moves_an_appointment_from_the_record_page_to_a_free_time(app: TestApp) {
    let w = world(&app, "stmove").await;
    let desk = desk(&app, &w, "stmove").await;
    let a = book(&app, &w, &w.patient, MON_0900).await;
    let (old, patient) = (
        a.body["id"].as_str().unwrap().to_owned(),
        a.body["patient_id"].as_str().unwrap().to_owned(),
    );
    let c = &w.clinic;

    let record = app
        .send(page_get(&format!("/clinics/{c}/patients/{patient}"), &desk))
        .await;
    let pick = format!("/clinics/{c}/appointments/{old}/reschedule?back=record");
    assert!(
        record
            .text
            .contains("Mon 23 Nov 2026, 09:00 (Asia/Kolkata)")
            && record.text.contains(&format!(r#"href="{pick}""#)),
        "{}: the record lists what is booked: {}",
        app.backend,
        record.text
    );
    let week = app.send(page_get(&pick, &desk)).await;
    assert_eq!(week.status, StatusCode::OK, "{}", week.text);
    // Staff skip the notice: today's 14:40 is offered; Monday 09:40 is there too.
    let slot = format!(
        "/clinics/{c}/appointments/{old}/reschedule?start=2026-11-23T04%3A10%3A00Z&#38;back=record"
    );
    assert!(
        week.text.contains("Free times")
            && week.text.contains(">14:40<")
            && week.text.contains(&format!(r#"href="{slot}""#)),
        "{}",
        week.text
    );
    let confirm = app.send(page_get(&slot.replace("&#38;", "&"), &desk)).await;
    assert!(
        confirm.text.contains("Move to this time")
            && confirm
                .text
                .contains("Mon 23 Nov 2026, 09:40 (Asia/Kolkata)"),
        "{}",
        confirm.text
    );

    let r = page_post(&app, &pick, &desk, &format!("start={MON_0940}")).await;
    app.expect(&r, StatusCode::SEE_OTHER);
    let back = location(&r);
    assert!(
        back.starts_with(&format!("/clinics/{c}/patients/{patient}?moved=")),
        "{back}"
    );
    let old_now = appointment(&app, &w, &desk, &old).await;
    assert_eq!(old_now["status"], "cancelled");
    let new = old_now["rescheduled_to"].as_str().unwrap().to_owned();
    let new_now = appointment(&app, &w, &desk, &new).await;
    assert_eq!(new_now["status"], "booked");
    assert_eq!(new_now["start"], MON_0940);
    assert_eq!(new_now["rescheduled_from"], old.as_str());
    let code = new_now["ref_code"].as_str().unwrap();
    let record = app.send(page_get(&back, &desk)).await;
    assert!(
        record.text.contains(&format!(
            "Moved to Mon 23 Nov 2026, 09:40 (Asia/Kolkata); new reference {code}."
        )),
        "{}",
        record.text
    );
    assert!(
        events(&app, &w)
            .await
            .iter()
            .any(|e| e.0 == "appointment.reschedule" && e.1["to"] == new.as_str()),
        "the move is audited"
    );
}

each_backend!(moving_to_a_taken_time_is_refused_with_the_nearest_free_ones_and_changes_nothing);
async fn moving_to_a_taken_time_is_refused_with_the_nearest_free_ones_and_changes_nothing(
    app: TestApp,
) {
    let w = world(&app, "sttaken").await;
    let desk = desk(&app, &w, "sttaken").await;
    let a = book(&app, &w, &w.patient, MON_0900).await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let other = app
        .post(
            &w.at("/appointments"),
            Some(&desk),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": MON_0940, "new_patient": {"name": "Gita Bose"}}),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
    let c = &w.clinic;
    let pick = format!("/clinics/{c}/appointments/{id}/reschedule?date=2026-11-23");

    let r = page_post(&app, &pick, &desk, &format!("start={MON_0940}")).await;
    app.expect(&r, StatusCode::CONFLICT);
    assert!(
        r.text.contains("This time has just been taken")
            && r.text.contains(&format!(
                r#"class="slot" href="/clinics/{c}/appointments/{id}/reschedule?start="#
            ))
            && !r.text.contains("Move to this time"),
        "{}",
        r.text
    );
    let a = appointment(&app, &w, &desk, &id).await;
    assert_eq!(a["status"], "booked", "nothing changed");
    assert_eq!(a["start"], MON_0900);
    assert_eq!(app.audit_count("appointment.reschedule").await, 0);
}

each_backend!(patients_and_another_clinics_admin_get_404_and_the_desk_actions_still_work);
async fn patients_and_another_clinics_admin_get_404_and_the_desk_actions_still_work(app: TestApp) {
    let w = world(&app, "stprivate").await;
    let a = book(&app, &w, &w.patient, MON_0900).await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let (other, other_admin) = app
        .clinic_with_admin("stelsewhere", "admin@stelsewhere.test")
        .await;
    let c = &w.clinic;
    for (who, token, clinic) in [
        ("the patient", &w.patient, c),
        ("clinic B's admin on A's path", &other_admin, c),
        ("clinic B's admin on B's path", &other_admin, &other),
    ] {
        let base = format!("/clinics/{clinic}/appointments/{id}");
        for (get, post, body) in [
            ("cancel", "cancel", "reason=x".to_owned()),
            ("reschedule", "reschedule", format!("start={MON_0940}")),
        ] {
            let r = app.send(page_get(&format!("{base}/{get}"), token)).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: GET {get}");
            let r = page_post(&app, &format!("{base}/{post}"), token, &body).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: POST {post}");
        }
    }
    assert_eq!(
        appointment(&app, &w, &w.admin, &id).await["status"],
        "booked",
        "nothing changed"
    );

    // Doctors may, as the API lets them; the day page's other actions still answer.
    let r = app
        .send(page_get(
            &format!("/clinics/{c}/appointments/{id}/reschedule"),
            &w.doctor_token,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let act = |action: &str| format!("/clinics/{c}/appointments/{id}/{action}");
    let r = page_post(&app, &act("approve"), &w.admin, "").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "approve is still desk::act");
    let r = page_post(&app, &act("bogus"), &w.admin, "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
