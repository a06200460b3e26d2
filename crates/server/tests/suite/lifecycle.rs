//! An appointment's life after booking: moves, reminders, cancelling (also by e-mailed
//! link), the status machine, privacy, and the staff day and doctor review pages.

use crate::backends::each_backend;
use crate::{
    helpers::{TestApp, form_post, page_get},
    world::{book, events, world},
};
use axum::http::StatusCode;
use serde_json::json;

each_backend!(rescheduling_books_the_new_slot_cancels_the_old_and_moves_the_reminders);
async fn rescheduling_books_the_new_slot_cancels_the_old_and_moves_the_reminders(app: TestApp) {
    let w = world(&app, "move").await;
    let old = book(&app, &w, &w.patient, "2026-11-24T03:30:00Z").await;
    let old_id = old.body["id"].as_str().unwrap();
    let r = app
        .post(
            &w.at(&format!("/appointments/{old_id}/reschedule")),
            Some(&w.patient),
            json!({"start": "2026-11-24T03:40:00Z"}),
        )
        .await;
    // 09:10 is off the grid; 09:20 overlaps the old slot's time but the old one is moving.
    assert_eq!(r.body["rule"], "hours", "{}", r.text);
    let r = app
        .post(
            &w.at(&format!("/appointments/{old_id}/reschedule")),
            Some(&w.patient),
            json!({"start": "2026-11-24T03:50:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    assert_eq!(r.body["rescheduled_from"], old_id);
    let new_id = r.body["id"].as_str().unwrap().to_owned();
    let old = app
        .get(&w.at(&format!("/appointments/{old_id}")), Some(&w.patient))
        .await;
    assert_eq!(old.body["status"], "cancelled");
    assert_eq!(old.body["rescheduled_to"], new_id.as_str());

    let reminders = store::jobs::queued_of_kind(app.state.store().conn(), "appointment.reminder")
        .await
        .unwrap();
    let at: Vec<String> = reminders.iter().map(|(t, _)| t.to_string()).collect();
    assert_eq!(
        at,
        ["2026-11-23T03:50:00Z", "2026-11-24T01:50:00Z"],
        "{}: only the new time's reminders",
        app.backend
    );
    assert!(
        reminders
            .iter()
            .all(|(_, p)| p["appointment"] == new_id.as_str())
    );
}

each_backend!(reminders_go_out_24_and_2_hours_before_exactly_once_even_with_two_workers);
async fn reminders_go_out_24_and_2_hours_before_exactly_once_even_with_two_workers(app: TestApp) {
    let w = crate::fixtures::world(&app, "remind").await;
    assert_eq!(
        book(&app, &w, &w.patient, "2026-11-24T03:30:00Z")
            .await
            .status,
        StatusCode::CREATED
    );
    app.deliver_mail().await;
    let count = |mails: &[(String, String)], what: &str| {
        mails.iter().filter(|(_, m)| m.contains(what)).count()
    };
    app.advance(jiff::SignedDuration::from_hours(20)); // Mon 10:30 IST: the 24 h reminder is due
    let second = app.second_instance().await;
    let (a, b) = tokio::join!(
        async {
            while docspot_server::jobs::run_once(&app.state, &app.mailer)
                .await
                .unwrap()
            {}
        },
        async {
            while docspot_server::jobs::run_once(&second.state, &second.mailer)
                .await
                .unwrap()
            {}
        },
    );
    let _ = (a, b);
    let mails = app.deliver_mail().await;
    assert_eq!(
        count(&mails, "Subject: Reminder"),
        1,
        "{}: the 24 h reminder, once",
        app.backend
    );
    app.advance(jiff::SignedDuration::from_hours(22)); // Tue 08:30 IST
    let mails = app.deliver_mail().await;
    assert_eq!(
        count(&mails, "Subject: Reminder"),
        2,
        "{}: and the 2 h one",
        app.backend
    );
    let reminder = mails
        .iter()
        .find(|(_, m)| m.contains("Subject: Reminder"))
        .unwrap();
    assert!(reminder.1.contains("Tue 24 Nov 2026, 09:00 (Asia/Kolkata)"));
}

each_backend!(
    cancelling_needs_a_reason_and_after_the_cutoff_only_staff_may_with_an_audited_override
);
async fn cancelling_needs_a_reason_and_after_the_cutoff_only_staff_may_with_an_audited_override(
    app: TestApp,
) {
    let w = world(&app, "cancel").await;
    let a = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
    let id = a.body["id"].as_str().unwrap();
    let path = w.at(&format!("/appointments/{id}/cancel"));
    let r = app
        .post(&path, Some(&w.patient), json!({"reason": "  "}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mine = app.send(page_get("/appointments", &w.patient)).await;
    assert!(mine.text.contains("Change time") && mine.text.contains("Cancel appointment"));
    app.advance(jiff::SignedDuration::from_hours(17)); // Mon 07:30 IST: 1.5 h before, cutoff 2 h
    let patient = app.login("pat@cancel.test").await.0;
    let admin = app.login("admin@cancel.test").await.0;
    let r = app
        .post(&path, Some(&patient), json!({"reason": "feeling better"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["rule"], "cancel_cutoff");
    let mine = app.send(page_get("/appointments", &patient)).await;
    assert!(
        mine.text
            .contains("too close to the start to change or cancel online")
            && !mine.text.contains("Change time")
            && !mine.text.contains("Cancel appointment"),
        "My appointments offers no change past the cutoff: {}",
        mine.text
    );
    let r = app
        .post(&path, Some(&admin), json!({"reason": "patient phoned"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend, r.text);
    assert_eq!(r.body["status"], "cancelled");
    let events = events(&app, &w).await;
    let cancel = events.iter().find(|e| e.0 == "appointment.cancel").unwrap();
    assert_eq!(cancel.1["after_cutoff_override"], true);
    let again = app
        .post(&path, Some(&admin), json!({"reason": "twice"}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "cancelled is final");
    assert!(
        store::jobs::queued_of_kind(app.state.store().conn(), "appointment.reminder")
            .await
            .unwrap()
            .is_empty()
    );
    let mails = app.deliver_mail().await;
    assert!(
        mails
            .iter()
            .any(|(_, m)| m.contains("Appointment cancelled") && m.contains("METHOD:CANCEL"))
    );
}

each_backend!(the_status_machine_refuses_illegal_moves_with_409);
async fn the_status_machine_refuses_illegal_moves_with_409(app: TestApp) {
    let w = world(&app, "status").await;
    let desk = |start: &str| json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": start, "new_patient": {"name": "Walk In"}});
    let a = app
        .post(
            &w.at("/appointments"),
            Some(&w.admin),
            desk("2026-11-22T11:30:00Z"),
        )
        .await;
    assert_eq!(a.body["rule"], "hours", "17:00 is after hours: {}", a.text);
    // 16:20 today: inside the patients' two hours' notice, but the desk needs none.
    let a = app
        .post(
            &w.at("/appointments"),
            Some(&w.admin),
            desk("2026-11-22T10:50:00Z"),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}: {}", app.backend, a.text);
    let id = a.body["id"].as_str().unwrap();
    let go = |action: &'static str| {
        let path = w.at(&format!("/appointments/{id}/{action}"));
        let app = &app;
        let token = w.admin.clone();
        async move { app.post(&path, Some(&token), json!({})).await }
    };
    assert_eq!(
        go("complete").await.status,
        StatusCode::CONFLICT,
        "booked cannot be completed"
    );
    assert_eq!(
        go("noshow").await.status,
        StatusCode::CONFLICT,
        "not before the start"
    );
    assert_eq!(go("arrive").await.status, StatusCode::OK);
    assert_eq!(
        go("arrive").await.status,
        StatusCode::CONFLICT,
        "arrived twice"
    );
    assert_eq!(
        go("noshow").await.status,
        StatusCode::CONFLICT,
        "arrived cannot be a no-show"
    );
    let r = app
        .post(
            &w.at(&format!("/appointments/{id}/complete")),
            Some(&w.doctor_token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "fulfilled");
    assert_eq!(go("approve").await.status, StatusCode::CONFLICT);
}

each_backend!(patients_see_only_their_own_appointments_and_other_clinics_staff_get_404);
async fn patients_see_only_their_own_appointments_and_other_clinics_staff_get_404(app: TestApp) {
    let w = world(&app, "private").await;
    let a = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
    let id = a.body["id"].as_str().unwrap();
    app.register("nosy@private.test", "Nosy Parker").await;
    let nosy = app.login("nosy@private.test").await.0;
    for (method, path, body) in [
        ("GET", format!("/appointments/{id}"), json!(null)),
        (
            "POST",
            format!("/appointments/{id}/cancel"),
            json!({"reason": "x"}),
        ),
        (
            "POST",
            format!("/appointments/{id}/reschedule"),
            json!({"start": "2026-11-23T03:50:00Z"}),
        ),
        ("POST", format!("/appointments/{id}/arrive"), json!({})),
        ("GET", "/appointments".to_owned(), json!(null)),
        ("GET", "/patients?q=ravi".to_owned(), json!(null)),
    ] {
        let r = match method {
            "GET" => app.get(&w.at(&path), Some(&nosy)).await,
            _ => app.post(&w.at(&path), Some(&nosy), body).await,
        };
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{}: another patient on {method} {path}: {}",
            app.backend,
            r.text
        );
    }
    let (other_clinic, other_admin) = app
        .clinic_with_admin("elsewhere", "admin@elsewhere.test")
        .await;
    let probe = app
        .get(
            &format!("/api/v1/clinics/{other_clinic}/appointments/{id}"),
            Some(&other_admin),
        )
        .await;
    assert_eq!(
        probe.status,
        StatusCode::NOT_FOUND,
        "clinic B's admin, B's path"
    );
    let probe = app
        .get(&w.at(&format!("/appointments/{id}")), Some(&other_admin))
        .await;
    assert_eq!(
        probe.status,
        StatusCode::NOT_FOUND,
        "clinic B's admin, A's path"
    );
    let probe = crate::world::cancel(&app, &w, &other_admin, id, "x").await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND);
    let still = app
        .get(&w.at(&format!("/appointments/{id}")), Some(&w.patient))
        .await;
    assert_eq!(still.body["status"], "booked", "nothing changed");
}

each_backend!(the_emailed_cancel_link_asks_first_and_cancels_only_on_post);
async fn the_emailed_cancel_link_asks_first_and_cancels_only_on_post(app: TestApp) {
    let w = world(&app, "link").await;
    let a = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let token = app
        .link_token_sent_to("pat@link.test", "/appointments/cancel?token=")
        .await;
    let page = app
        .get(&format!("/appointments/cancel?token={token}"), None)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("Cancel this appointment?")
            && page.text.contains("Mon 23 Nov 2026, 09:00 (Asia/Kolkata)")
    );
    let still = app
        .get(&w.at(&format!("/appointments/{id}")), Some(&w.patient))
        .await;
    assert_eq!(still.body["status"], "booked", "a GET never acts");

    let post = |body: String| form_post("/appointments/cancel", None, &body);
    let r = app.send(post(format!("token={token}&reason="))).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    let r = app.send(post(format!("token={forged}&reason=x"))).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a forged token does nothing"
    );
    let r = app
        .send(post(format!("token={token}&reason=travelling")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Appointment cancelled"));
    let gone = app
        .get(&w.at(&format!("/appointments/{id}")), Some(&w.patient))
        .await;
    assert_eq!(gone.body["status"], "cancelled");
    assert_eq!(gone.body["cancel_reason"], "travelling");
    let again = app
        .get(&format!("/appointments/cancel?token={token}"), None)
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "the link works once");
}

each_backend!(the_desk_checks_patients_in_from_the_day_page_and_admins_review_doctors_on_theirs);
async fn the_desk_checks_patients_in_from_the_day_page_and_admins_review_doctors_on_theirs(
    app: TestApp,
) {
    let w = world(&app, "desk").await;
    // Today 16:20 IST, booked at the desk.
    let a = app
        .post(&w.at("/appointments"), Some(&w.admin), json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": "2026-11-22T10:50:00Z", "new_patient": {"name": "Gita Bose"}}))
        .await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let day = app
        .send(page_get(&format!("/clinics/{}/day", w.clinic), &w.admin))
        .await;
    assert_eq!(day.status, StatusCode::OK, "{}", day.text);
    assert!(
        day.text.contains("Gita Bose") && day.text.contains("16:20"),
        "{}",
        day.text
    );
    let r = app
        .send(form_post(
            &format!(
                "/clinics/{}/appointments/{id}/noshow?date=2026-11-22",
                w.clinic
            ),
            Some(&w.admin),
            "",
        ))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not before the start");
    assert!(r.text.contains("only after the start time"));
    let r = app
        .send(form_post(
            &format!(
                "/clinics/{}/appointments/{id}/arrive?date=2026-11-22",
                w.clinic
            ),
            Some(&w.admin),
            "",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let back = app
        .send(page_get(&crate::helpers::location(&r), &w.admin))
        .await;
    assert!(
        back.text
            .contains("Checked in. Token 1 · Gita Bose · Dr Asha Rao: waiting.")
            && back.text.contains("Print the token slip"),
        "the desk is told the token number: {}",
        back.text
    );
    let a = app
        .get(&w.at(&format!("/appointments/{id}")), Some(&w.admin))
        .await;
    assert_eq!(a.body["status"], "arrived");
    let mine = app
        .send(page_get(
            &format!("/clinics/{}/day", w.clinic),
            &w.doctor_token,
        ))
        .await;
    assert!(mine.text.contains("your appointments") && mine.text.contains("Gita Bose"));
    let nosy = app
        .send(page_get(&format!("/clinics/{}/day", w.clinic), &w.patient))
        .await;
    assert_eq!(
        nosy.status,
        StatusCode::NOT_FOUND,
        "patients have no day page"
    );

    app.register("new.doc@desk.test", "Dr Nikhil Joshi").await;
    let applicant = app.login("new.doc@desk.test").await.0;
    let r = app
        .post(
            &w.at("/doctor-applications"),
            Some(&applicant),
            json!({"name": "Dr Nikhil Joshi", "registration_number": "MMC-7781"}),
        )
        .await;
    let nikhil = r.body["id"].as_str().unwrap().to_owned();
    let page = app
        .send(page_get(
            &format!("/clinics/{}/doctors", w.clinic),
            &w.admin,
        ))
        .await;
    assert!(
        page.text.contains("Waiting for review (1)") && page.text.contains("Dr Nikhil Joshi"),
        "{}",
        page.text
    );
    let r = app
        .send(form_post(
            &format!("/clinics/{}/doctors/{nikhil}/reject", w.clinic),
            Some(&w.admin),
            "reason=",
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection needs a reason"
    );
    let r = app
        .send(form_post(
            &format!("/clinics/{}/doctors/{nikhil}/reject", w.clinic),
            Some(&w.admin),
            "reason=registration+not+verified",
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app
        .send(page_get(
            &format!("/clinics/{}/doctors", w.clinic),
            &w.admin,
        ))
        .await;
    assert!(page.text.contains("Rejected (1)") && page.text.contains("registration not verified"));
    let r = app
        .send(page_get(
            &format!("/clinics/{}/doctors", w.clinic),
            &w.doctor_token,
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "only admins review doctors"
    );
}
