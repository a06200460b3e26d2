//! No double booking, ever: many concurrent bookers on one doctor, and the database's own
//! refusal of an overlapping row.

use crate::backends::each_backend;
use crate::{
    fixtures::world,
    helpers::{PW, TestApp, send_to, serve, start_time},
    world::{World, book},
};
use axum::http::StatusCode;
use serde_json::json;

/// Books from many tasks at once, on real threads: `(patient token, visit type, start)`
/// per task, spread over `apps`. Every loser must get a clean `lost` (409 for a taken slot,
/// 422 for a broken rule). Returns how many won.
async fn race(
    apps: &[&TestApp],
    w: &World,
    attempts: Vec<(String, String, String)>,
    lost: StatusCode,
) -> usize {
    let mut tasks = Vec::new();
    for (i, (token, vt, start)) in attempts.into_iter().enumerate() {
        let router = apps[i % apps.len()].router.clone();
        let path = w.at("/appointments");
        let body = json!({"doctor_id": w.doctor, "visit_type_id": vt, "start": start});
        tasks.push(tokio::spawn(async move {
            let req = TestApp::req(axum::http::Method::POST, &path, Some(&token), Some(&body));
            send_to(router, req).await.status
        }));
    }
    let mut won = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(
            s == StatusCode::CREATED || s == lost,
            "every loser gets a clean {lost}, got {s}"
        );
        won += usize::from(s == StatusCode::CREATED);
    }
    won
}

/// A 30-minute visit type: booked at 09:00 it overlaps a 15-minute visit at 09:20.
async fn long_visit(app: &TestApp, w: &World) -> String {
    let r = app
        .post(
            &w.at("/visit-types"),
            Some(&w.admin),
            json!({"name": "Long visit", "duration_min": 30}),
        )
        .await;
    r.body["id"].as_str().unwrap().to_owned()
}

/// Pairs of active appointments of one doctor that overlap, counted in SQL.
pub(crate) async fn overlapping_pairs(app: &TestApp) -> i64 {
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

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    sixty_concurrent_bookings_of_overlapping_slots_leave_exactly_one_winner_per_slot
);
async fn sixty_concurrent_bookings_of_overlapping_slots_leave_exactly_one_winner_per_slot(
    app: TestApp,
) {
    let w = world(&app, "race").await;
    let long = long_visit(&app, &w).await;
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
        let winners = race(&apps, &w, attempts, StatusCode::CONFLICT).await;
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

each_backend!(the_database_itself_refuses_an_overlapping_active_appointment);
async fn the_database_itself_refuses_an_overlapping_active_appointment(app: TestApp) {
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
             local_date, status, source, reason, ref_code, created_at, updated_at, version, patient_overlap_ok) \
             SELECT {uuid}, clinic_id, doctor_id, patient_id, visit_type_id, start_at + 600000, end_at + 600000, \
             block_start + 600000, block_end + 600000, local_date, 'booked', source, reason, 'ZZZ-ZZZ', created_at, updated_at, 1, TRUE \
             FROM appointments"
    );
    // Each statement must be refused by the database, naming the overlap rule.
    let refused = |stmt: String, why: &'static str| async move {
        let e = c.execute_unprepared(&stmt).await.expect_err(why);
        assert!(
            e.to_string().contains("appointments_no_overlap"),
            "{}: {why}: {e}",
            app.backend
        );
    };
    refused(sql.clone(), "a copy 10 minutes later").await;
    // A span that starts before and ends inside the booked one, and one that holds it.
    for shift in ["- 600000", "- 0"] {
        let overlapping = sql
            .replace("start_at + 600000", &format!("start_at {shift}"))
            .replace("end_at + 600000", &format!("end_at {shift}"))
            .replace("block_start + 600000", "block_start - 600000");
        refused(overlapping, "a span around the booked one").await;
    }
    // Moving a cancelled copy onto the booked time is refused too; the next free
    // span right after (buffers touching) is accepted.
    let after = sql
        .replace("+ 600000", "+ 1200000")
        .replace("'booked'", "'cancelled'");
    c.execute_unprepared(&after)
        .await
        .expect("a cancelled copy");
    let reactivate = "UPDATE appointments SET status = 'booked', start_at = start_at - 1500000, \
             end_at = end_at - 1500000, block_start = block_start - 1500000, \
             block_end = block_end - 1500000 WHERE ref_code = 'ZZZ-ZZZ'";
    refused(reactivate.to_owned(), "reactivating onto a taken time").await;
    c.execute_unprepared("UPDATE appointments SET status = 'booked' WHERE ref_code = 'ZZZ-ZZZ'")
        .await
        .expect("20 minutes later the blocked spans (15 + 5) only touch");
}

/// One `POST` of a JSON body to a real server over HTTP; the answer's status.
async fn post_http(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = req.send().await.expect("the server answers");
    let status = res.status().as_u16();
    let bytes = res.bytes().await.unwrap_or_default();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

// Two `docspot serve` processes (their own memory, pools and clocks: the real one) on one
// PostgreSQL database, taking turns at the same contested slots over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_on_one_postgres_never_double_book() {
    let Some(db) = store::testing::TestDb::postgres().await else {
        return;
    };
    let app = TestApp::new(db).await;
    let w = world(&app, "procs").await;
    let long = long_visit(&app, &w).await;
    let emails: Vec<String> = (0..40).map(|i| format!("p{i}@procs.test")).collect();
    for (i, e) in emails.iter().enumerate() {
        app.register(e, &format!("Patient {i}")).await;
    }
    let dir = std::env::temp_dir().join(format!("docspot-procs-{}", uuid::Uuid::now_v7().simple()));
    let args = [
        "--no-worker",
        "--database-url",
        app.db_url.as_str(),
        "--data-dir",
        &dir.display().to_string(),
        "--auth-rate-per-ip",
        "100000",
        "--auth-rate-per-account",
        "100000",
    ];
    let (_a, url_a, _) = serve(&args);
    let (_b, url_b, _) = serve(&args);
    assert_ne!(url_a, url_b);
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for e in &emails {
        let (s, body) = post_http(
            &client,
            &format!("{url_a}/api/v1/auth/login"),
            None,
            &json!({"email": e, "password": PW}),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        tokens.push(body["access_token"].as_str().unwrap().to_owned());
    }
    // The processes run on the real clock: contest 09:00 and 09:20 (Asia/Kolkata) two and
    // three days from now, inside the notice and the horizon.
    let zone = jiff::tz::TimeZone::get("Asia/Kolkata").unwrap();
    #[allow(clippy::disallowed_methods)]
    let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
    let at = |days: i64, h: i8, m: i8| {
        today
            .checked_add(jiff::Span::new().days(days))
            .unwrap()
            .at(h, m, 0, 0)
            .to_zoned(zone.clone())
            .unwrap()
            .timestamp()
            .to_string()
    };
    let rounds = [(at(2, 9, 0), at(2, 9, 20)), (at(3, 14, 0), at(3, 14, 20))];
    let path = w.at("/appointments");
    for (a, b) in &rounds {
        let mut tasks = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            let url = format!("{}{path}", if i % 2 == 0 { &url_a } else { &url_b });
            let (vt, start) = if i % 4 < 2 {
                (&long, a)
            } else {
                (&w.visit_type, b)
            };
            let body = json!({"doctor_id": w.doctor, "visit_type_id": vt, "start": start});
            let (client, token) = (client.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                post_http(&client, &url, Some(&token), &body).await
            }));
        }
        let mut won = 0;
        for t in tasks {
            let (s, body) = t.await.unwrap();
            assert!(
                s == 201 || s == 409,
                "every loser gets a clean 409, got {s}: {body}"
            );
            won += usize::from(s == 201);
        }
        assert_eq!(won, 1, "exactly one winner around {a} across two processes");
    }
    assert_eq!(
        overlapping_pairs(&app).await,
        0,
        "no overlapping active rows"
    );
    assert_eq!(app.audit_count("appointment.book").await, rounds.len());
    let _ = std::fs::remove_dir_all(dir);
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    a_daily_cap_holds_when_many_book_one_doctors_day_at_once
);
async fn a_daily_cap_holds_when_many_book_one_doctors_day_at_once(app: TestApp) {
    let w = world(&app, "capr").await;
    let r = app
        .put(
            &w.at("/booking-policy"),
            Some(&w.admin),
            json!({"min_notice_min": 0, "horizon_days": 60, "cancel_cutoff_min": 0, "daily_cap": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let second = app.second_instance().await;
    let apps: Vec<&TestApp> = if app.backend == "postgres" {
        vec![&app, &second]
    } else {
        vec![&app]
    };
    // Twenty patients want twenty different slots of one day, all at once.
    let mut attempts = Vec::new();
    for i in 0..20 {
        let email = format!("p{i}@capr.test");
        app.register(&email, &format!("Patient {i}")).await;
        let token = app.login(&email).await.0;
        let start = jiff::Timestamp::from_second(1_795_404_600 + i * 1200)
            .unwrap()
            .to_string();
        attempts.push((token, w.visit_type.clone(), start));
    }
    let won = race(&apps, &w, attempts, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(won, 3, "{}: the cap, no more", app.backend);
}

each_backend!(a_taken_reference_code_is_refused_by_the_database_as_its_own_conflict);
/// A booking draws its reference code without looking it up; the unique index is what
/// keeps codes apart, and its refusal must read as the code's own conflict (the booking then
/// draws again) rather than as a taken slot or an error.
async fn a_taken_reference_code_is_refused_by_the_database_as_its_own_conflict(app: TestApp) {
    let w = world(&app, "refcode").await;
    let r = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let clinic = domain::ClinicId::from_uuid(w.clinic.parse().unwrap());
    let id = domain::AppointmentId::from_uuid(r.body["id"].as_str().unwrap().parse().unwrap());
    let c = app.state.store().conn();
    let a = store::appointments::find(c, clinic, id)
        .await
        .unwrap()
        .unwrap();
    let day = jiff::SignedDuration::from_hours(24);
    let insert = |ref_code: &'static str| {
        let a = a.clone();
        let app = &app;
        async move {
            let row = store::appointments::NewAppointment {
                id: domain::AppointmentId::new(),
                clinic_id: a.clinic_id,
                doctor_id: a.doctor_id,
                patient_id: a.patient_id,
                visit_type_id: a.visit_type_id,
                start: a.start + day,
                end: a.end + day,
                block_start: a.block_start + day,
                block_end: a.block_end + day,
                local_date: "2026-11-24",
                status: a.status,
                source: a.source,
                reason: "",
                ref_code: if ref_code.is_empty() {
                    &a.ref_code
                } else {
                    ref_code
                },
                rescheduled_from: None,
                created_by: a.created_by.unwrap(),
                patient_overlap_ok: false,
            };
            let tx = app.state.store().write().await.unwrap();
            let done = store::appointments::insert(&tx, &row, start_time()).await;
            if done.is_ok() {
                tx.commit().await.unwrap();
            }
            done
        }
    };
    match insert("").await {
        Err(store::StoreError::Conflict(c)) => {
            assert_eq!(c, "appointments_ref_code_key", "{}", app.backend)
        }
        other => panic!("{}: the same code again: {other:?}", app.backend),
    }
    insert("ZZZ-ZZZ")
        .await
        .unwrap_or_else(|e| panic!("{}: the same row with its own code: {e:?}", app.backend));
}
