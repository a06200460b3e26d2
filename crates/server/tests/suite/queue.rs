//! The day's queue through the API and the pages, on SQLite and PostgreSQL. The clock
//! reads Sunday 2026-11-22 14:30 in the clinic (Asia/Kolkata); Dr Asha Rao works 14:00–17:00.

use crate::backends::each_backend;
use crate::{
    helpers::{Resp, TestApp, location, page_get, page_post},
    world::{World, desk, events, second_doctor, world},
};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

pub(crate) async fn patient(
    app: &TestApp,
    w: &World,
    token: &str,
    name: &str,
    phone: &str,
) -> String {
    let r = app
        .post(
            &w.at("/patients"),
            Some(token),
            json!({"name": name, "sex": "female", "age": "40", "phone": phone}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn issue(
    app: &TestApp,
    w: &World,
    desk: &str,
    patient: &str,
    priority: &str,
) -> Resp {
    app.post(
        &w.at("/queue/tokens"),
        Some(desk),
        json!({"doctor_id": w.doctor, "patient_id": patient, "priority": priority}),
    )
    .await
}

pub(crate) fn numbers(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_i64().unwrap())
        .collect()
}

pub(crate) async fn waiting(app: &TestApp, w: &World, token: &str) -> Vec<i64> {
    let r = app
        .get(
            &w.at(&format!("/queue?doctor_id={}", w.doctor)),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    numbers(&r.body[0]["waiting"])
}

async fn act(app: &TestApp, w: &World, token: &str, id: &str, action: &str) -> Resp {
    app.post(
        &w.at(&format!("/queue/tokens/{id}/{action}")),
        Some(token),
        json!({}),
    )
    .await
}

each_backend!(
    walk_ins_and_checked_in_patients_share_one_queue_in_call_order_and_every_move_is_audited
);
async fn walk_ins_and_checked_in_patients_share_one_queue_in_call_order_and_every_move_is_audited(
    app: TestApp,
) {
    let w = world(&app, "line").await;
    let desk = desk(&app, &w, "line").await;
    let doc = &w.doctor_token;
    let asha = patient(&app, &w, &desk, "Asha Walkin", "9845000001").await;
    let bina = patient(&app, &w, &desk, "Bina Later", "9845000002").await;
    let dev = patient(&app, &w, &desk, "Dev Elder", "9845000003").await;
    // Chitra booked 15:00 (09:30 UTC) and checks in early.
    let r = app
        .post(&w.at("/appointments"), Some(&desk), json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": "2026-11-22T09:30:00Z", "new_patient": {"name": "Chitra Booked", "phone": "9845000004"}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let appointment = r.body["id"].as_str().unwrap().to_owned();

    let t1 = issue(&app, &w, &desk, &asha, "normal").await;
    assert_eq!(t1.status, StatusCode::CREATED, "{}", t1.text);
    assert_eq!(
        (t1.body["number"].as_i64(), t1.body["status"].as_str()),
        (Some(1), Some("waiting"))
    );
    assert_eq!(t1.body["local_date"], "2026-11-22");
    let r = issue(&app, &w, &desk, &asha, "normal").await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "one open token per patient and doctor"
    );
    let r = app
        .post(
            &w.at(&format!("/appointments/{appointment}/check-in")),
            Some(&desk),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["number"].as_i64(), r.body["appointment_id"].as_str()),
        (Some(2), Some(appointment.as_str()))
    );
    let r = app
        .get(&w.at(&format!("/appointments/{appointment}")), Some(&desk))
        .await;
    assert_eq!(r.body["status"], "arrived");
    app.advance(jiff::SignedDuration::from_mins(5));
    let t3 = issue(&app, &w, &desk, &bina, "normal").await;
    assert_eq!(t3.body["number"], 3);
    // Walk-ins who came before 15:00 go before the early booked patient.
    assert_eq!(waiting(&app, &w, &desk).await, [1, 3, 2]);
    let r = issue(&app, &w, &desk, &dev, "fast").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let t4 = issue(&app, &w, &desk, &dev, "elderly").await;
    assert_eq!(t4.body["number"], 4, "a refused request takes no number");
    assert_eq!(
        waiting(&app, &w, doc).await,
        [4, 1, 3, 2],
        "priority moves up"
    );

    // The doctor calls, starts and ends; one patient at a time.
    let next = format!("/queue/doctors/{}/call-next", w.doctor);
    let r = app.post(&w.at(&next), Some(&desk), json!({})).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the desk does not call for the doctor"
    );
    let r = app.post(&w.at(&next), Some(doc), json!({})).await;
    assert_eq!(
        (r.body["number"].as_i64(), r.body["status"].as_str()),
        (Some(4), Some("called")),
        "{}",
        r.text
    );
    let id4 = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post(&w.at(&next), Some(doc), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "token 4 is still called");
    assert_eq!(
        act(&app, &w, doc, &id4, "recall").await.status,
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &w, doc, &id4, "end").await.status,
        StatusCode::CONFLICT
    );
    let r = act(&app, &w, doc, &id4, "start").await;
    assert_eq!(r.body["status"], "in_consultation", "{}", r.text);
    app.advance(jiff::SignedDuration::from_mins(7));
    let r = act(&app, &w, doc, &id4, "end").await;
    assert_eq!(r.body["status"], "done", "{}", r.text);
    assert_eq!(
        act(&app, &w, doc, &id4, "end").await.status,
        StatusCode::CONFLICT
    );

    // Asha is not there: skipped, then back in the queue from now.
    let r = app.post(&w.at(&next), Some(doc), json!({})).await;
    assert_eq!(r.body["number"], 1);
    let id1 = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        act(&app, &w, &desk, &id1, "skip").await.status,
        StatusCode::OK
    );
    assert_eq!(waiting(&app, &w, doc).await, [3, 2]);
    assert_eq!(
        act(&app, &w, &desk, &id1, "requeue").await.status,
        StatusCode::OK
    );
    assert_eq!(
        waiting(&app, &w, doc).await,
        [3, 1, 2],
        "15:00 is still ahead of 14:42"
    );

    // The desk moves Chitra to another doctor: a new number there, the old one closed.
    let (doc2, doc2_token) = second_doctor(&app, &w, "line").await;
    let queue = app.get(&w.at("/queue"), Some(&desk)).await;
    let chitra = queue.body[0]["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == 2)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{chitra}/transfer")),
            Some(&desk),
            json!({"doctor_id": doc2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["number"].as_i64(), r.body["doctor_name"].as_str()),
        (Some(1), Some("Dr Vikram Shah"))
    );
    let moved = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(waiting(&app, &w, doc).await, [3, 1]);
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{chitra}/transfer")),
            Some(&desk),
            json!({"doctor_id": doc2}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a transferred token stays closed"
    );
    let r = act(&app, &w, doc, &moved, "start").await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "only that token's doctor starts it"
    );
    assert_eq!(
        act(&app, &w, &doc2_token, &moved, "start").await.status,
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &w, &doc2_token, &moved, "end").await.status,
        StatusCode::OK
    );
    let r = app
        .get(&w.at(&format!("/appointments/{appointment}")), Some(&desk))
        .await;
    assert_eq!(
        r.body["status"], "fulfilled",
        "ending the visit completes the appointment"
    );

    // Outsiders see nothing.
    let other = world(&app, "line2").await;
    for (token, path) in [
        (&w.patient, w.at("/queue")),
        (&other.admin, w.at("/queue")),
        (&other.admin, other.at(&format!("/queue/tokens/{id1}/skip"))),
        (&w.patient, w.at(&format!("/queue/tokens/{id1}/skip"))),
    ] {
        let method = if path.ends_with("/queue") {
            Method::GET
        } else {
            Method::POST
        };
        let r = app
            .send(TestApp::req(method, &path, Some(token), Some(&json!({}))))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let r = app.get(&other.at("/queue"), Some(&other.admin)).await;
    assert_eq!(r.body, json!([]), "another clinic's queue is its own");

    let actions: Vec<String> = events(&app, &w)
        .await
        .into_iter()
        .map(|e| e.0)
        .filter(|a| a.starts_with("queue."))
        .collect();
    for (action, n) in [
        ("queue.issue", 4),
        ("queue.call", 2),
        ("queue.recall", 1),
        ("queue.start", 2),
        ("queue.end", 2),
        ("queue.skip", 1),
        ("queue.requeue", 1),
        ("queue.transfer", 1),
    ] {
        assert_eq!(
            actions.iter().filter(|a| *a == action).count(),
            n,
            "{}: {action}",
            app.backend
        );
    }
}

each_backend!(the_desk_issues_tokens_from_the_record_and_the_doctor_runs_the_queue_page);
async fn the_desk_issues_tokens_from_the_record_and_the_doctor_runs_the_queue_page(app: TestApp) {
    let w = world(&app, "qpage").await;
    let desk = desk(&app, &w, "qpage").await;
    let c = &w.clinic;
    let kavya = patient(&app, &w, &desk, "Kavya Nair", "9845011111").await;
    // Dr Vikram Shah is approved but has set no hours: he comes after Dr Asha Rao,
    // marked, and nobody is chosen for the desk.
    second_doctor(&app, &w, "qpage").await;

    let record = app
        .send(page_get(&format!("/clinics/{c}/patients/{kavya}"), &desk))
        .await;
    assert!(
        record.text.contains("Issue a token for today") && record.text.contains("Elderly (60+)"),
        "{}",
        record.text
    );
    let prompt = record
        .text
        .find("<option value=\"\" selected>Choose a doctor</option>");
    let asha = record.text.find(">Dr Asha Rao</option>");
    let vikram = record
        .text
        .find(">Dr Vikram Shah (no hours today)</option>");
    assert!(
        prompt.is_some() && prompt < asha && asha < vikram,
        "{}: the desk chooses; working doctors first: {}",
        app.backend,
        record.text
    );
    let r = page_post(
        &app,
        &format!("/clinics/{c}/queue/tokens"),
        &desk,
        &format!("patient={kavya}&doctor=&priority=normal"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("Choose a doctor."), "{}", r.text);
    let q = app.get(&w.at("/queue"), Some(&desk)).await;
    assert!(
        !q.text.contains("Kavya"),
        "no token without a chosen doctor: {}",
        q.text
    );
    let r = page_post(
        &app,
        &format!("/clinics/{c}/queue/tokens"),
        &desk,
        &format!("patient={kavya}&doctor={}&priority=emergency", w.doctor),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app.send(page_get(&location(&r), &desk)).await;
    assert!(
        page.text
            .contains("Token 1 · Kavya Nair · Dr Asha Rao: waiting.")
            && page.text.contains("Emergency")
            && page.text.contains(">Queue</a>")
            && !page.text.contains("Call next"),
        "the desk sees the queue but does not call: {}",
        page.text
    );
    let r = page_post(
        &app,
        &format!("/clinics/{c}/queue/tokens"),
        &desk,
        &format!("patient={kavya}&doctor={}", w.doctor),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("already holds token 1"), "{}", r.text);
    let record = app
        .send(page_get(&format!("/clinics/{c}/patients/{kavya}"), &desk))
        .await;
    assert!(
        record.text.contains("Token 1 · Dr Asha Rao · waiting"),
        "{}",
        record.text
    );

    let doc = &w.doctor_token;
    let page = app
        .send(page_get(&format!("/clinics/{c}/queue"), doc))
        .await;
    assert!(page.text.contains("Call next"), "{}", page.text);
    let r = page_post(
        &app,
        &format!("/clinics/{c}/queue/doctors/{}/call-next", w.doctor),
        doc,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app.send(page_get(&location(&r), doc)).await;
    assert!(
        page.text
            .contains("Token 1 · Kavya Nair · Dr Asha Rao: called."),
        "{}",
        page.text
    );
    let token = store::queue::day(
        app.state.store().conn(),
        c.parse().unwrap(),
        "2026-11-22",
        None,
    )
    .await
    .unwrap()[0]
        .id;
    let r = page_post(
        &app,
        &format!("/clinics/{c}/queue/tokens/{token}/end"),
        doc,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.text
            .contains("has been called but the consultation has not started"),
        "{}",
        r.text
    );
    for action in ["start", "end"] {
        let r = page_post(
            &app,
            &format!("/clinics/{c}/queue/tokens/{token}/{action}"),
            doc,
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.text);
    }
    let page = app
        .send(page_get(&format!("/clinics/{c}/queue"), doc))
        .await;
    assert!(
        page.text.contains("1 seen or moved today.") && page.text.contains("Nobody waiting."),
        "{}",
        page.text
    );
    let r = page_post(
        &app,
        &format!("/clinics/{c}/queue/tokens/{token}/dance"),
        doc,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let page = app
        .send(page_get(&format!("/clinics/{c}/queue"), &w.patient))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}
