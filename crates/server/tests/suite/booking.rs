//! Doctors, hours and booking through the API, on SQLite and PostgreSQL.
//!
//! The clock starts on Sunday 2026-11-22 at 14:30 in the clinic's zone (Asia/Kolkata); the
//! clinic is `world::world`.

use crate::backends::each_backend;
use crate::{
    helpers::{TestApp, start_time},
    world::{book, world, world_in},
};
use axum::http::StatusCode;
use serde_json::json;

each_backend!(
    a_patient_finds_a_slot_books_it_and_a_retry_with_the_same_key_returns_the_same_booking
);
async fn a_patient_finds_a_slot_books_it_and_a_retry_with_the_same_key_returns_the_same_booking(
    app: TestApp,
) {
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

each_backend!(booking_a_taken_slot_returns_409_with_the_nearest_free_slots_and_changes_nothing);
async fn booking_a_taken_slot_returns_409_with_the_nearest_free_slots_and_changes_nothing(
    app: TestApp,
) {
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
    app.expect(&r, StatusCode::CONFLICT);
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

each_backend!(bookings_that_break_a_rule_get_422_naming_the_rule);
async fn bookings_that_break_a_rule_get_422_naming_the_rule(app: TestApp) {
    let w = world(&app, "rules").await;
    // Leave on Tuesday morning, a clinic holiday on Wednesday.
    let r = app
        .post(
            &w.at(&format!("/doctors/{}/leave", w.doctor)),
            Some(&w.doctor_token),
            json!({"from": "2026-11-24", "start": "09:00", "end": "13:00", "note": "conference"}),
        )
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
        .put(&w.at("/booking-policy"), Some(&w.admin), json!({"min_notice_min": 120, "horizon_days": 60, "cancel_cutoff_min": 120, "daily_cap": 1}))
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

each_backend!(pending_requests_hold_their_slot_until_staff_approve_them);
async fn pending_requests_hold_their_slot_until_staff_approve_them(app: TestApp) {
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

each_backend!(a_search_from_a_date_answers_as_the_default_search_in_zones_far_from_utc);
/// A search naming a doctor and a start date reads the clinic beside the doctor's rules and
/// busy time, over a busy window in UTC wide enough for any zone. It must answer exactly as
/// the search without dates, which looks the clinic up first, in zones 14 and 11 hours from
/// UTC too, with appointments at both ends of the local day.
async fn a_search_from_a_date_answers_as_the_default_search_in_zones_far_from_utc(app: TestApp) {
    let zones = [
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "America/New_York",
    ];
    for (i, zone) in zones.into_iter().enumerate() {
        let w = world_in(&app, &format!("far{i}"), zone).await;
        let tz = jiff::tz::TimeZone::get(zone).unwrap();
        let today = start_time().to_zoned(tz.clone()).date();
        let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap();
        let at = |n: i64, h: i8, m: i8| {
            let local = day(n).at(h, m, 0, 0).to_zoned(tz.clone()).unwrap();
            local.timestamp().to_string()
        };
        let booked = [at(1, 9, 0), at(1, 16, 40), at(6, 16, 40)];
        for start in &booked {
            let r = book(&app, &w, &w.patient, start).await;
            assert_eq!(r.status, StatusCode::CREATED, "{zone} {start}: {}", r.text);
        }
        let search = w.at(&format!("/slots?doctor_id={}", w.doctor));
        let default = app.get(&search, None).await;
        let dated = format!("{search}&from={}&to={}", day(0), day(6));
        let dated = app.get(&dated, None).await;
        assert_eq!(dated.status, StatusCode::OK, "{zone}: {}", dated.text);
        assert_eq!(dated.body, default.body, "{}: {zone}", app.backend);
        let slots = dated.body["doctors"][0]["slots"].as_array().unwrap();
        let starts: Vec<&str> = slots.iter().map(|s| s["start"].as_str().unwrap()).collect();
        for b in &booked {
            assert!(!starts.contains(&b.as_str()), "{zone}: {b} is taken");
        }
        let tomorrow = slots
            .iter()
            .filter(|s| {
                s["local_start"]
                    .as_str()
                    .unwrap()
                    .starts_with(&day(1).to_string())
            })
            .count();
        assert_eq!(
            tomorrow,
            21 - 2,
            "{zone}: every slot of tomorrow but the two taken"
        );
    }
    let nowhere = "/api/v1/clinics/0190a0a0-0000-7000-8000-000000000000/slots";
    for q in ["", "&from=2026-11-23"] {
        let r = app
            .get(
                &format!("{nowhere}?doctor_id=0190a0a0-0000-7000-8000-000000000001{q}"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{q}: {}", r.text);
    }
}
