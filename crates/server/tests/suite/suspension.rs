//! A doctor who is suspended, or whose staff membership is deactivated, loses clinical
//! access at once: on the API and on the pages, with the session they already hold.

use crate::backends::each_backend;
use crate::{
    consultations::kavya_in_queue,
    helpers::{TestApp, page_get},
    world::{desk, world},
};
use axum::http::StatusCode;
use serde_json::json;

each_backend!(a_suspended_or_deactivated_doctor_reads_no_patient_data_on_api_or_pages);
async fn a_suspended_or_deactivated_doctor_reads_no_patient_data_on_api_or_pages(app: TestApp) {
    let w = world(&app, "susp").await;
    let desk = desk(&app, &w, "susp").await;
    let doc = &w.doctor_token;
    let (patient, _, token) = kavya_in_queue(&app, &w, &desk, "susp").await;
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{token}/consultation")),
            Some(doc),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let consultation = r.body["id"].as_str().unwrap().to_owned();
    let api_reads = [
        w.at(&format!("/consultations/{consultation}")),
        w.at(&format!("/patients/{patient}/history")),
        w.at("/patients?q=kavya"),
        w.at(&format!("/patients/{patient}")),
        w.at("/queue"),
    ];
    let pages = [
        format!("/clinics/{}/consultations/{consultation}", w.clinic),
        format!("/clinics/{}/patients?q=kavya", w.clinic),
        format!("/clinics/{}/patients/{patient}", w.clinic),
        format!("/clinics/{}/queue", w.clinic),
    ];
    for path in &api_reads {
        let r = app.get(path, Some(doc)).await;
        assert_eq!(r.status, StatusCode::OK, "{}: before, {path}", app.backend);
    }
    for path in &pages {
        let r = app.send(page_get(path, doc)).await;
        assert_eq!(r.status, StatusCode::OK, "{}: before, {path}", app.backend);
    }

    let r = app
        .post(
            &w.at(&format!("/doctors/{}/suspend", w.doctor)),
            Some(&w.admin),
            json!({"reason": "licence review"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for path in &api_reads {
        let r = app.get(path, Some(doc)).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{}: suspended, {path}: {}",
            app.backend,
            r.text
        );
    }
    for path in &pages {
        let r = app.send(page_get(path, doc)).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{}: suspended, page {path}",
            app.backend
        );
    }
    // The suspended doctor's session still works for what is theirs, but names no
    // clinic role any more.
    let me = app.get("/api/v1/me", Some(doc)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(
        !me.text.contains("\"doctor\""),
        "{}: no doctor role after suspension: {}",
        app.backend,
        me.text
    );

    // Approval restores access; deactivating the membership ends it again.
    let r = app
        .post(
            &w.at(&format!("/doctors/{}/approve", w.doctor)),
            Some(&w.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get(&api_reads[0], Some(doc)).await.status,
        StatusCode::OK
    );
    let staff = app.get(&w.at("/staff"), Some(&w.admin)).await;
    let membership = staff.body["staff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "doctor")
        .and_then(|m| m["id"].as_str())
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &w.at(&format!("/staff/{membership}/deactivate")),
            Some(&w.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    for path in &api_reads {
        let r = app.get(path, Some(doc)).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{}: deactivated, {path}",
            app.backend
        );
    }
    for path in &pages {
        let r = app.send(page_get(path, doc)).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{}: deactivated, page {path}",
            app.backend
        );
    }
}
