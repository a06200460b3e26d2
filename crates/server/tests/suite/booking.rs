//! Doctors, hours and booking through the API, on SQLite and PostgreSQL.
//!
//! The clock starts on Sunday 2026-11-22 at 14:30 in the clinic's zone (Asia/Kolkata).

use crate::helpers::{Resp, TestApp};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// A clinic with an approved doctor who works every day 09:00–13:00 and 14:00–17:00,
/// a 15-minute visit type with a 5-minute buffer after, and a signed-up patient.
pub struct World {
    pub clinic: String,
    pub admin: String,
    pub doctor: String,
    pub doctor_token: String,
    pub visit_type: String,
    pub patient: String,
}

impl World {
    pub fn at(&self, rest: &str) -> String {
        format!("/api/v1/clinics/{}{rest}", self.clinic)
    }
}

pub async fn world(app: &TestApp, slug: &str) -> World {
    let (clinic, admin) = app
        .clinic_with_admin(slug, &format!("admin@{slug}.test"))
        .await;
    let doc_email = format!("doc@{slug}.test");
    app.join(&clinic, &admin, &doc_email, "doctor", "Dr Asha Rao")
        .await;
    let pending = app
        .get(
            &format!("/api/v1/clinics/{clinic}/doctors/pending"),
            Some(&admin),
        )
        .await;
    assert_eq!(pending.status, StatusCode::OK, "{}", pending.text);
    let doctor = pending.body[0]["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/clinics/{clinic}/doctors/{doctor}/approve"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: approve: {}",
        app.backend,
        r.text
    );
    let r = app
        .post(
            &format!("/api/v1/clinics/{clinic}/visit-types"),
            Some(&admin),
            json!({"name": "Consultation", "duration_min": 15, "buffer_after_min": 5, "price_minor": 50000}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}: visit type: {}",
        app.backend,
        r.text
    );
    let visit_type = r.body["id"].as_str().unwrap().to_owned();
    let doctor_token = app.login(&doc_email).await.0;
    let intervals: Vec<Value> = (1..=7)
        .flat_map(|d| {
            [
                json!({"weekday": d, "start": "09:00", "end": "13:00"}),
                json!({"weekday": d, "start": "14:00", "end": "17:00"}),
            ]
        })
        .collect();
    let r = app
        .put(
            &format!("/api/v1/clinics/{clinic}/doctors/{doctor}/hours"),
            Some(&doctor_token),
            json!({"intervals": intervals}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}: hours: {}",
        app.backend,
        r.text
    );
    let pat_email = format!("pat@{slug}.test");
    app.register(&pat_email, "Ravi Kumar").await;
    let patient = app.login(&pat_email).await.0;
    World {
        clinic,
        admin,
        doctor,
        doctor_token,
        visit_type,
        patient,
    }
}

/// The clinic's recent audit events: (action, detail).
pub async fn events(app: &TestApp, w: &World) -> Vec<(String, Value)> {
    let clinic: domain::ClinicId = w.clinic.parse().unwrap();
    store::audit::recent(app.state.store().conn(), Some(clinic), 200)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, serde_json::from_str(&e.detail).unwrap()))
        .collect()
}

/// How many doctors the public directory at `path` lists.
async fn listed(app: &TestApp, path: &str) -> usize {
    app.get(path, None).await.body.as_array().unwrap().len()
}

/// Books `start` (UTC) for the signed-in patient `token`.
pub async fn book(app: &TestApp, w: &World, token: &str, start: &str) -> Resp {
    app.post(
        &w.at("/appointments"),
        Some(token),
        json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": start, "reason": "chest pain since Tuesday"}),
    )
    .await
}

#[tokio::test]
async fn a_patient_finds_a_slot_books_it_and_a_retry_with_the_same_key_returns_the_same_booking() {
    for app in TestApp::each().await {
        let w = world(&app, "sunrise").await;
        let slots = app
            .get(
                &w.at(&format!(
                    "/slots?doctor_id={}&from=2026-11-23&to=2026-11-23",
                    w.doctor
                )),
                None,
            )
            .await;
        assert_eq!(slots.status, StatusCode::OK, "{}", slots.text);
        assert_eq!(slots.body["time_zone"], "Asia/Kolkata");
        let first = &slots.body["doctors"][0]["slots"][0];
        assert_eq!(first["start"], "2026-11-23T03:30:00Z", "{}", app.backend);
        assert_eq!(first["local_start"], "2026-11-23T09:00:00+05:30");
        assert_eq!(first["local_end"], "2026-11-23T09:15:00+05:30");
        // 15-minute visits plus 5 minutes after: 12 a morning, 9 an afternoon.
        assert_eq!(
            slots.body["doctors"][0]["slots"].as_array().unwrap().len(),
            21
        );

        let body = json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": "2026-11-23T03:30:00Z", "reason": "chest pain since Tuesday"});
        let key = [("Idempotency-Key", "k-1")];
        let r = app
            .post_with(&w.at("/appointments"), Some(&w.patient), body.clone(), &key)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
        assert_eq!(r.body["status"], "booked");
        assert_eq!(r.body["local_start"], "2026-11-23T09:00:00+05:30");
        let code = r.body["ref_code"].as_str().unwrap();
        assert!(code.len() == 7 && code.as_bytes()[3] == b'-', "{code}");

        let again = app
            .post_with(&w.at("/appointments"), Some(&w.patient), body.clone(), &key)
            .await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.body["id"], r.body["id"]);
        let mut other = body.clone();
        other["start"] = json!("2026-11-23T03:50:00Z");
        let refused = app
            .post_with(&w.at("/appointments"), Some(&w.patient), other, &key)
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text
        );
        assert_eq!(
            app.audit_count("appointment.book").await,
            1,
            "one booking, one event"
        );

        let mine = app.get("/api/v1/me/appointments", Some(&w.patient)).await;
        assert_eq!(mine.body.as_array().unwrap().len(), 1);
        let slots = app
            .get(
                &w.at(&format!(
                    "/slots?doctor_id={}&from=2026-11-23&to=2026-11-23",
                    w.doctor
                )),
                None,
            )
            .await;
        assert_eq!(
            slots.body["doctors"][0]["slots"][0]["start"], "2026-11-23T03:50:00Z",
            "the slot is gone"
        );

        let mails = app.deliver_mail().await;
        let confirmation = mails
            .iter()
            .map(|(_, m)| m)
            .find(|m| m.contains("To: pat@sunrise.test") && m.contains("Appointment confirmed"))
            .expect("confirmation mail");
        assert!(
            confirmation.contains("BEGIN:VCALENDAR")
                && confirmation.contains("DTSTART:20261123T033000Z")
        );
        assert!(confirmation.contains("Mon 23 Nov 2026, 09:00 (Asia/Kolkata)"));
        assert!(confirmation.contains(code));
        assert!(
            !confirmation.contains("chest pain"),
            "no clinical details in e-mail"
        );
    }
}

#[tokio::test]
async fn booking_a_taken_slot_returns_409_with_the_nearest_free_slots_and_changes_nothing() {
    for app in TestApp::each().await {
        let w = world(&app, "taken").await;
        assert_eq!(
            book(&app, &w, &w.patient, "2026-11-23T04:10:00Z")
                .await
                .status,
            StatusCode::CREATED
        );
        app.register("other@taken.test", "Other Patient").await;
        let other = app.login("other@taken.test").await.0;
        let r = book(&app, &w, &other, "2026-11-23T04:10:00Z").await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "{}: {}",
            app.backend,
            r.text
        );
        assert_eq!(r.problem(), "slot-taken");
        let alts: Vec<&str> = r.body["alternatives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["start"].as_str().unwrap())
            .collect();
        assert_eq!(
            alts,
            [
                "2026-11-23T03:50:00Z",
                "2026-11-23T04:30:00Z",
                "2026-11-23T03:30:00Z"
            ]
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
        );
        let list = app
            .get(&w.at("/appointments?from=2026-11-23"), Some(&w.admin))
            .await;
        assert_eq!(
            list.body.as_array().unwrap().len(),
            1,
            "nothing partial was written"
        );
        assert!(
            app.get("/api/v1/me/appointments", Some(&other))
                .await
                .body
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn bookings_that_break_a_rule_get_422_naming_the_rule() {
    for app in TestApp::each().await {
        let w = world(&app, "rules").await;
        // Leave on Tuesday morning, a clinic holiday on Wednesday.
        let r = app
            .post(&w.at(&format!("/doctors/{}/leave", w.doctor)), Some(&w.doctor_token), json!({"from": "2026-11-24", "start": "09:00", "end": "13:00", "note": "conference"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = app
            .post(
                &w.at("/holidays"),
                Some(&w.admin),
                json!({"from": "2026-11-25", "note": "Festival"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let cases = [
            (
                "2026-11-22T09:30:00Z",
                "min_notice",
                "15:00 today is within the two hours' notice",
            ),
            (
                "2027-03-01T03:30:00Z",
                "horizon",
                "beyond the 60-day horizon",
            ),
            (
                "2026-11-23T01:30:00Z",
                "hours",
                "07:00 is before the doctor starts",
            ),
            (
                "2026-11-23T03:37:00Z",
                "hours",
                "09:07 is not on the slot grid (a forged start)",
            ),
            ("2026-11-24T03:30:00Z", "leave", "Tuesday morning is leave"),
            ("2026-11-25T03:30:00Z", "holiday", "Wednesday is a holiday"),
        ];
        for (start, rule, why) in cases {
            let r = book(&app, &w, &w.patient, start).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}: {why}: {}",
                app.backend,
                r.text
            );
            assert_eq!(r.body["rule"], rule, "{}: {why}", app.backend);
        }
        // Tuesday afternoon is still open.
        assert_eq!(
            book(&app, &w, &w.patient, "2026-11-24T08:30:00Z")
                .await
                .status,
            StatusCode::CREATED
        );

        // A daily cap of one.
        let r = app
            .put(&w.at("/booking-policy"), Some(&w.admin), json!({"min_notice_min": 120, "horizon_days": 60, "cancel_cutoff_min": 240, "daily_cap": 1}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = book(&app, &w, &w.patient, "2026-11-24T10:30:00Z").await;
        assert_eq!(r.body["rule"], "daily_cap", "{}: {}", app.backend, r.text);

        // A visit type the interval does not offer.
        let r = app
            .post(
                &w.at("/visit-types"),
                Some(&w.admin),
                json!({"name": "Procedure", "duration_min": 30}),
            )
            .await;
        let procedure = r.body["id"].as_str().unwrap().to_owned();
        let r = app
            .put(
                &w.at(&format!("/doctors/{}/hours", w.doctor)),
                Some(&w.doctor_token),
                json!({"intervals": [{"weekday": 4, "start": "09:00", "end": "13:00", "visit_types": [w.visit_type]}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app
            .post(&w.at("/appointments"), Some(&w.patient), json!({"doctor_id": w.doctor, "visit_type_id": procedure, "start": "2026-11-26T03:30:00Z"}))
            .await;
        assert_eq!(r.body["rule"], "visit_type", "{}: {}", app.backend, r.text);
        assert_eq!(app.audit_count("appointment.book").await, 1);
    }
}

#[tokio::test]
async fn rescheduling_books_the_new_slot_cancels_the_old_and_moves_the_reminders() {
    for app in TestApp::each().await {
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

        let reminders =
            store::jobs::queued_of_kind(app.state.store().conn(), "appointment.reminder")
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
}

#[tokio::test]
async fn reminders_go_out_24_and_2_hours_before_exactly_once_even_with_two_workers() {
    for app in TestApp::each().await {
        let w = world(&app, "remind").await;
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
}

#[tokio::test]
async fn cancelling_needs_a_reason_and_after_the_cutoff_only_staff_may_with_an_audited_override() {
    for app in TestApp::each().await {
        let w = world(&app, "cancel").await;
        let a = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
        let id = a.body["id"].as_str().unwrap();
        let path = w.at(&format!("/appointments/{id}/cancel"));
        let r = app
            .post(&path, Some(&w.patient), json!({"reason": "  "}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        app.advance(jiff::SignedDuration::from_hours(15)); // Mon 05:30 IST: 3.5 h before, cutoff 4 h
        let patient = app.login("pat@cancel.test").await.0;
        let admin = app.login("admin@cancel.test").await.0;
        let r = app
            .post(&path, Some(&patient), json!({"reason": "feeling better"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["rule"], "cancel_cutoff");
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
}

#[tokio::test]
async fn the_status_machine_refuses_illegal_moves_with_409() {
    for app in TestApp::each().await {
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
}

#[tokio::test]
async fn patients_see_only_their_own_appointments_and_other_clinics_staff_get_404() {
    for app in TestApp::each().await {
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
        let probe = app
            .post(
                &w.at(&format!("/appointments/{id}/cancel")),
                Some(&other_admin),
                json!({"reason": "x"}),
            )
            .await;
        assert_eq!(probe.status, StatusCode::NOT_FOUND);
        let still = app
            .get(&w.at(&format!("/appointments/{id}")), Some(&w.patient))
            .await;
        assert_eq!(still.body["status"], "booked", "nothing changed");
    }
}

#[tokio::test]
async fn doctors_are_listed_and_bookable_only_once_approved_and_every_decision_is_emailed_and_audited()
 {
    for app in TestApp::each().await {
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
}

#[tokio::test]
async fn pending_requests_hold_their_slot_until_staff_approve_them() {
    for app in TestApp::each().await {
        let w = world(&app, "approval").await;
        app.put(&w.at("/booking-policy"), Some(&w.admin), json!({"min_notice_min": 60, "horizon_days": 30, "cancel_cutoff_min": 60, "require_approval": true}))
            .await;
        let r = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
        assert_eq!(r.body["status"], "pending", "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        app.register("second@approval.test", "Second Patient").await;
        let second = app.login("second@approval.test").await.0;
        assert_eq!(
            book(&app, &w, &second, "2026-11-23T03:30:00Z").await.status,
            StatusCode::CONFLICT,
            "the pending request holds the slot"
        );
        let r = app
            .post(
                &w.at(&format!("/appointments/{id}/approve")),
                Some(&w.admin),
                json!({}),
            )
            .await;
        assert_eq!(r.body["status"], "booked", "{}", r.text);
        let mails = app.deliver_mail().await;
        assert!(
            mails
                .iter()
                .any(|(_, m)| m.contains("Appointment requested"))
        );
        assert!(
            mails
                .iter()
                .any(|(_, m)| m.contains("Appointment confirmed") && m.contains("BEGIN:VCALENDAR"))
        );
    }
}

#[tokio::test]
async fn a_patient_cannot_hold_two_overlapping_appointments_but_staff_may_override() {
    for app in TestApp::each().await {
        let w = world(&app, "overlap").await;
        // A second doctor with the same hours.
        app.join(
            &w.clinic,
            &w.admin,
            "doc2@overlap.test",
            "doctor",
            "Dr Vikram Shah",
        )
        .await;
        let pending = app.get(&w.at("/doctors/pending"), Some(&w.admin)).await;
        let doc2 = pending.body[0]["id"].as_str().unwrap().to_owned();
        app.post(
            &w.at(&format!("/doctors/{doc2}/approve")),
            Some(&w.admin),
            json!({}),
        )
        .await;
        let r = app
            .put(
                &w.at(&format!("/doctors/{doc2}/hours")),
                Some(&w.admin),
                json!({"intervals": [{"weekday": 1, "start": "09:00", "end": "13:00"}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            book(&app, &w, &w.patient, "2026-11-23T03:30:00Z")
                .await
                .status,
            StatusCode::CREATED
        );
        let with_doc2 = json!({"doctor_id": doc2, "visit_type_id": w.visit_type, "start": "2026-11-23T03:30:00Z"});
        let r = app
            .post(&w.at("/appointments"), Some(&w.patient), with_doc2.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "{}: {}",
            app.backend,
            r.text
        );
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("already have an appointment")
        );

        let found = app.get(&w.at("/patients?q=ravi"), Some(&w.admin)).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.text);
        let patient_id = found.body[0]["id"].as_str().unwrap().to_owned();
        assert!(found.body[0]["mrn"].as_str().unwrap().starts_with('P'));
        let mut staff = with_doc2.clone();
        staff["patient_id"] = json!(patient_id);
        let r = app
            .post(&w.at("/appointments"), Some(&w.admin), staff.clone())
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "staff are warned first");
        staff["allow_patient_overlap"] = json!(true);
        let r = app
            .post(&w.at("/appointments"), Some(&w.admin), staff)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["source"], "desk");
        let events = events(&app, &w).await;
        assert!(
            events
                .iter()
                .any(|e| e.0 == "appointment.book" && e.1["patient_overlap_override"] == true)
        );

        // A new patient registered at the desk while booking.
        let r = app
            .post(&w.at("/appointments"), Some(&w.admin), json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": "2026-11-23T04:30:00Z", "source": "phone", "new_patient": {"name": "Lakshmi Devi", "phone": "+91 98450 12345"}}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["patient_name"], "Lakshmi Devi");
        assert_eq!(r.body["source"], "phone");
        let found = app.get(&w.at("/patients?q=9845"), Some(&w.admin)).await;
        assert_eq!(
            found.body.as_array().map(Vec::len),
            Some(0),
            "phone search matches from the start"
        );
        let found = app
            .get(&w.at("/patients?q=%2B9198450"), Some(&w.admin))
            .await;
        assert_eq!(found.body[0]["name"], "Lakshmi Devi", "{}", found.text);
    }
}

/// Books from many tasks at once, on real threads: `(patient token, visit type, start)`
/// per task, spread over `apps`. Returns how many won.
async fn race(apps: &[&TestApp], w: &World, attempts: Vec<(String, String, String)>) -> usize {
    let mut tasks = Vec::new();
    for (i, (token, vt, start)) in attempts.into_iter().enumerate() {
        let router = apps[i % apps.len()].router.clone();
        let path = w.at("/appointments");
        let body = json!({"doctor_id": w.doctor, "visit_type_id": vt, "start": start});
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let mut req = TestApp::req(axum::http::Method::POST, &path, Some(&token), Some(&body));
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [10, 0, 0, 2],
                    5555,
                ))));
            router.oneshot(req).await.unwrap().status()
        }));
    }
    let mut won = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(
            s == StatusCode::CREATED || s == StatusCode::CONFLICT,
            "every loser gets a clean 409, got {s}"
        );
        won += usize::from(s == StatusCode::CREATED);
    }
    won
}

/// Pairs of active appointments of one doctor that overlap, counted in SQL.
async fn overlapping_pairs(app: &TestApp) -> i64 {
    use sea_orm::ConnectionTrait;
    let c = app.state.store().conn();
    let r = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT COUNT(*) AS n FROM appointments a JOIN appointments b ON a.doctor_id = b.doctor_id AND a.id <> b.id \
             AND a.block_start < b.block_end AND b.block_start < a.block_end \
             WHERE a.status IN ('pending','booked','arrived','fulfilled') AND b.status IN ('pending','booked','arrived','fulfilled')",
        ))
        .await
        .unwrap()
        .unwrap();
    r.try_get::<i64>("", "n").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_concurrent_bookings_of_overlapping_slots_leave_exactly_one_winner_per_slot() {
    for app in TestApp::each().await {
        let w = world(&app, "race").await;
        let r = app
            .post(
                &w.at("/visit-types"),
                Some(&w.admin),
                json!({"name": "Long visit", "duration_min": 30}),
            )
            .await;
        let long = r.body["id"].as_str().unwrap().to_owned();
        let mut patients = Vec::new();
        for i in 0..60 {
            let email = format!("p{i}@race.test");
            app.register(&email, &format!("Patient {i}")).await;
            patients.push(app.login(&email).await.0);
        }
        // On PostgreSQL, half the requests go through a second app instance.
        let second = app.second_instance().await;
        let apps: Vec<&TestApp> = if app.backend == "postgres" {
            vec![&app, &second]
        } else {
            vec![&app]
        };
        // Each round: half want a 30-minute visit at 09:00, half a 15-minute one at 09:20
        // (which overlaps it), all at once.
        let rounds = [
            ("2026-11-23T03:30:00Z", "2026-11-23T03:50:00Z"),
            ("2026-11-23T08:30:00Z", "2026-11-23T08:50:00Z"),
            ("2026-11-24T03:30:00Z", "2026-11-24T03:50:00Z"),
            ("2026-11-25T08:30:00Z", "2026-11-25T08:50:00Z"),
        ];
        for (a, b) in rounds {
            let attempts = patients
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if i % 2 == 0 {
                        (p.clone(), long.clone(), a.to_owned())
                    } else {
                        (p.clone(), w.visit_type.clone(), b.to_owned())
                    }
                })
                .collect();
            let winners = race(&apps, &w, attempts).await;
            assert_eq!(winners, 1, "{}: exactly one winner around {a}", app.backend);
        }
        assert_eq!(
            overlapping_pairs(&app).await,
            0,
            "{}: no overlapping active rows",
            app.backend
        );
        let list = app
            .get(
                &w.at("/appointments?from=2026-11-23&to=2026-11-25"),
                Some(&w.admin),
            )
            .await;
        assert_eq!(list.body.as_array().unwrap().len(), rounds.len());
        assert_eq!(app.audit_count("appointment.book").await, rounds.len());
    }
}

#[tokio::test]
async fn the_database_itself_refuses_an_overlapping_active_appointment() {
    for app in TestApp::each().await {
        let w = world(&app, "constraint").await;
        let a = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
        assert_eq!(a.status, StatusCode::CREATED);
        use sea_orm::ConnectionTrait;
        let c = app.state.store().conn();
        // Copy the row with a new id and reference, shifted by 10 minutes: it overlaps.
        let uuid = if app.backend == "postgres" {
            "gen_random_uuid()"
        } else {
            "randomblob(16)"
        };
        let sql = format!(
            "INSERT INTO appointments (id, clinic_id, doctor_id, patient_id, visit_type_id, start_at, end_at, block_start, block_end, \
             local_date, status, source, reason, ref_code, created_at, updated_at, version) \
             SELECT {uuid}, clinic_id, doctor_id, patient_id, visit_type_id, start_at + 600000, end_at + 600000, \
             block_start + 600000, block_end + 600000, local_date, 'booked', source, reason, 'ZZZ-ZZZ', created_at, updated_at, 1 FROM appointments"
        );
        let r = c.execute_unprepared(&sql).await;
        if app.backend == "postgres" {
            let e = r.expect_err("the exclusion constraint refuses the overlap");
            assert!(e.to_string().contains("appointments_no_overlap"), "{e}");
        } else {
            // SQLite's backstop is the unique index on the blocked start; the checked,
            // serialized write path is what keeps shifted overlaps out (raced above).
            assert!(r.is_ok());
            let same_start = sql.replace("+ 600000", "+ 0").replace("ZZZ-ZZZ", "ZZZ-ZZY");
            let e = c
                .execute_unprepared(&same_start)
                .await
                .expect_err("unique index");
            assert!(e.to_string().contains("UNIQUE"), "{e}");
        }
    }
}

#[tokio::test]
async fn the_emailed_cancel_link_asks_first_and_cancels_only_on_post() {
    for app in TestApp::each().await {
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

        let post = |body: String| {
            axum::http::Request::builder()
                .method("POST")
                .uri("/appointments/cancel")
                .header("origin", "http://docspot.test")
                .header("sec-fetch-site", "same-origin")
                .header(
                    axum::http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(axum::body::Body::from(body))
                .unwrap()
        };
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
}

fn form_post(path: &str, token: &str, body: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .method("POST")
        .uri(path)
        .header(axum::http::header::COOKIE, format!("ds_access={token}"))
        .header("sec-fetch-site", "same-origin")
        .header(
            axum::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(axum::body::Body::from(body.to_owned()))
        .unwrap()
}

fn page_get(path: &str, token: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .uri(path)
        .header(axum::http::header::COOKIE, format!("ds_access={token}"))
        .body(axum::body::Body::empty())
        .unwrap()
}

#[tokio::test]
async fn the_desk_checks_patients_in_from_the_day_page_and_admins_review_doctors_on_theirs() {
    for app in TestApp::each().await {
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
                &w.admin,
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
                &w.admin,
                "",
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
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
                &w.admin,
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
                &w.admin,
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
        assert!(
            page.text.contains("Rejected (1)") && page.text.contains("registration not verified")
        );
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
}
