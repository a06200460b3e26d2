//! A patient holds one appointment at a time: a booking or a move onto another of their
//! visits is refused (staff may override), also when one patient books several doctors at
//! once, on SQLite and PostgreSQL (two instances).

use crate::backends::each_backend;
use crate::{
    helpers::{Resp, TestApp, page_post, send_to},
    world::{book, events, world},
};
use axum::http::StatusCode;
use serde_json::json;

/// `r` is the 409 of a patient's clash, its detail saying `says`.
fn refused_as_clash(app: &TestApp, r: &Resp, says: &str) {
    app.expect(r, StatusCode::CONFLICT);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains(says), "{}", r.text);
}

each_backend!(a_patient_cannot_hold_two_overlapping_appointments_but_staff_may_override);
async fn a_patient_cannot_hold_two_overlapping_appointments_but_staff_may_override(app: TestApp) {
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
    let with_doc2 =
        json!({"doctor_id": doc2, "visit_type_id": w.visit_type, "start": "2026-11-23T03:30:00Z"});
    let r = app
        .post(&w.at("/appointments"), Some(&w.patient), with_doc2.clone())
        .await;
    refused_as_clash(&app, &r, "already have an appointment");

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
        .post(&w.at("/appointments"), Some(&w.admin), json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": "2026-11-23T04:30:00Z", "source": "phone", "new_patient": {"name": "Lakshmi Devi", "phone": "+91 98450 12345"}, "allow_patient_overlap": true}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // The override is recorded on the visit that used it, not on one that had no clash.
    use sea_orm::ConnectionTrait;
    let c = app.state.store().conn();
    let sql = "SELECT COUNT(*) AS n FROM appointments WHERE patient_overlap_ok";
    let row = c.query_one_raw(sea_orm::Statement::from_string(
        c.get_database_backend(),
        sql,
    ));
    let n: i64 = row.await.unwrap().unwrap().try_get("", "n").unwrap();
    assert_eq!(n, 1, "{}", app.backend);
    assert_eq!(r.body["patient_name"], "Lakshmi Devi");
    assert_eq!(r.body["source"], "phone");
    let found = app.get(&w.at("/patients?q=12345"), Some(&w.admin)).await;
    assert_eq!(
        found.body.as_array().map(Vec::len),
        Some(0),
        "phone search matches from the start"
    );
    let found = app.get(&w.at("/patients?q=98450"), Some(&w.admin)).await;
    assert_eq!(
        found.body[0]["name"], "Lakshmi Devi",
        "the local number finds an international one: {}",
        found.text
    );
    let found = app
        .get(&w.at("/patients?q=%2B9198450"), Some(&w.admin))
        .await;
    assert_eq!(found.body[0]["name"], "Lakshmi Devi", "{}", found.text);
}

each_backend!(a_visit_is_not_moved_onto_another_of_the_patients_unless_staff_override);
async fn a_visit_is_not_moved_onto_another_of_the_patients_unless_staff_override(app: TestApp) {
    let w = world(&app, "onto").await;
    let clinic = w.clinic.parse().unwrap();
    let other_doctor =
        crate::fixtures::doctor(&app, clinic, "doc2@onto.test", "Dr Vikram Shah").await;
    let with_other = json!({"doctor_id": other_doctor.to_string(), "visit_type_id": w.visit_type,
        "start": "2026-11-24T03:30:00Z"});
    let r = app
        .post(&w.at("/appointments"), Some(&w.patient), with_other)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    let moving = book(&app, &w, &w.patient, "2026-11-24T04:30:00Z").await;
    let id = moving.body["id"].as_str().unwrap().to_owned();
    let move_path = w.at(&format!("/appointments/{id}/reschedule"));
    let onto = json!({"start": "2026-11-24T03:30:00Z"});
    let r = app.post(&move_path, Some(&w.patient), onto.clone()).await;
    refused_as_clash(&app, &r, "You already have an appointment at");
    // The patient's override is not theirs to use.
    let mut anyway = onto.clone();
    anyway["allow_patient_overlap"] = json!(true);
    let r = app.post(&move_path, Some(&w.patient), anyway.clone()).await;
    refused_as_clash(&app, &r, "You already have an appointment at");
    // Staff are warned first, on the API and on the move page.
    let r = app.post(&move_path, Some(&w.admin), onto).await;
    refused_as_clash(&app, &r, "Ravi Kumar already has an appointment at");
    assert!(r.text.contains("Move anyway to override."), "{}", r.text);
    let page = format!("/clinics/{}/appointments/{id}/reschedule", w.clinic);
    let form = "start=2026-11-24T03%3A30%3A00Z";
    let r = page_post(&app, &page, &w.admin, form).await;
    app.expect(&r, StatusCode::CONFLICT);
    assert!(
        r.text.contains("Ravi Kumar already has an appointment at")
            && r.text.contains(r#"name="allow_overlap""#),
        "{}",
        r.text
    );
    let still = app
        .get(&move_path.replace("/reschedule", ""), Some(&w.patient))
        .await;
    assert_eq!(
        still.body["status"], "booked",
        "{}: nothing changed",
        app.backend
    );
    assert_eq!(app.audit_count("appointment.reschedule").await, 0);
    // Ticking "Move anyway" moves it, and the override is audited.
    let r = page_post(&app, &page, &w.admin, &format!("{form}&allow_overlap=on")).await;
    app.expect(&r, StatusCode::SEE_OTHER);
    let events = events(&app, &w).await;
    let (_, detail) = events
        .iter()
        .find(|e| e.0 == "appointment.reschedule")
        .unwrap();
    assert_eq!(detail["patient_overlap_override"], true, "{}", app.backend);
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    a_patient_booking_one_time_with_many_doctors_at_once_gets_one_appointment
);
async fn a_patient_booking_one_time_with_many_doctors_at_once_gets_one_appointment(app: TestApp) {
    let w = world(&app, "twice").await;
    let clinic = w.clinic.parse().unwrap();
    let mut doctors = vec![w.doctor.clone()];
    for i in 0..7 {
        let email = format!("doc{i}@twice.test");
        let id = crate::fixtures::doctor(&app, clinic, &email, &format!("Dr Number {i}")).await;
        doctors.push(id.to_string());
    }
    // The patient's record exists already (their first booking, another day).
    let first = book(&app, &w, &w.patient, "2026-11-24T03:30:00Z").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = app.second_instance().await;
    let apps: Vec<&TestApp> = if app.backend == "postgres" {
        vec![&app, &second]
    } else {
        vec![&app]
    };
    for (round, start) in ["2026-11-23T03:30:00Z", "2026-11-23T08:30:00Z"]
        .into_iter()
        .enumerate()
    {
        let mut tasks = Vec::new();
        for (i, doctor) in doctors.iter().enumerate() {
            let router = apps[i % apps.len()].router.clone();
            let body = json!({"doctor_id": doctor, "visit_type_id": w.visit_type, "start": start});
            let req = TestApp::req(
                axum::http::Method::POST,
                &w.at("/appointments"),
                Some(&w.patient),
                Some(&body),
            );
            tasks.push(tokio::spawn(send_to(router, req)));
        }
        let mut won = 0;
        for t in tasks {
            let r = t.await.unwrap();
            assert!(
                r.status == StatusCode::CREATED || r.status == StatusCode::CONFLICT,
                "{}: every other request is refused as the patient's clash: {} {}",
                app.backend,
                r.status,
                r.text
            );
            if r.status == StatusCode::CONFLICT {
                refused_as_clash(&app, &r, "You already have an appointment at");
            }
            won += usize::from(r.status == StatusCode::CREATED);
        }
        assert_eq!(
            won, 1,
            "{}: round {round}: one appointment at {start}",
            app.backend
        );
    }
    let mine = app.get("/api/v1/me/appointments", Some(&w.patient)).await;
    assert_eq!(mine.body.as_array().unwrap().len(), 3, "{}", app.backend);
}

each_backend!(the_database_itself_refuses_a_patient_two_visits_at_once_unless_staff_overrode);
async fn the_database_itself_refuses_a_patient_two_visits_at_once_unless_staff_overrode(
    app: TestApp,
) {
    use sea_orm::ConnectionTrait;
    let w = world(&app, "patientrule").await;
    let clinic = w.clinic.parse().unwrap();
    let other =
        crate::fixtures::doctor(&app, clinic, "doc2@patientrule.test", "Dr Vikram Shah").await;
    let first = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let first_id: uuid::Uuid = first.body["id"].as_str().unwrap().parse().unwrap();
    let c = app.state.store().conn();
    let uuid = if app.backend == "postgres" {
        "gen_random_uuid()"
    } else {
        "randomblob(16)"
    };
    // The booked visit copied to the other doctor, 10 minutes later: the patient's visits
    // overlap, the doctors' do not.
    let copy = |ref_code: &str, status: &str, ok: &str| {
        format!(
            "INSERT INTO appointments (id, clinic_id, doctor_id, patient_id, visit_type_id, start_at, \
             end_at, block_start, block_end, local_date, status, source, reason, ref_code, created_at, \
             updated_at, version, patient_overlap_ok) \
             SELECT {uuid}, clinic_id, $1, patient_id, visit_type_id, start_at + 600000, \
             end_at + 600000, block_start + 600000, block_end + 600000, local_date, '{status}', \
             source, reason, '{ref_code}', created_at, updated_at, 1, {ok} FROM appointments \
             WHERE id = $2"
        )
    };
    let run = |sql: String| {
        c.execute_raw(sea_orm::Statement::from_sql_and_values(
            c.get_database_backend(),
            sql,
            [other.as_uuid().into(), first_id.into()],
        ))
    };
    let refused = |done: Result<sea_orm::ExecResult, sea_orm::DbErr>, why: &str| {
        let e = done.expect_err(why);
        let named = e.to_string().contains("appointments_patient_overlap");
        assert!(named, "{}: {why}: {e}", app.backend);
    };
    refused(
        run(copy("ZZZ-AAA", "booked", "FALSE")).await,
        "a second visit at once",
    );
    run(copy("ZZZ-BBB", "cancelled", "FALSE"))
        .await
        .expect("a cancelled one holds no time");
    let back = "UPDATE appointments SET status = 'booked' WHERE ref_code = 'ZZZ-BBB'";
    refused(c.execute_unprepared(back).await, "bringing it back");
    run(copy("ZZZ-CCC", "booked", "TRUE"))
        .await
        .expect("staff's override is recorded on the row");
    let mine = app.get("/api/v1/me/appointments", Some(&w.patient)).await;
    let booked: Vec<_> = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "booked")
        .map(|a| a["ref_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        booked,
        [first.body["ref_code"].as_str().unwrap(), "ZZZ-CCC"],
        "{}",
        app.backend
    );
}
