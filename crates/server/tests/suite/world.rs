//! The clinic most booking tests start from, and requests they share.

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
    world_in(app, slug, "Asia/Kolkata").await
}

/// [`world`] with the clinic in the IANA zone `zone`.
pub async fn world_in(app: &TestApp, slug: &str, zone: &str) -> World {
    let (clinic, admin) = app
        .clinic_in_zone(slug, &format!("admin@{slug}.test"), zone)
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

/// Books `start` (UTC) for the signed-in patient `token`.
pub async fn book(app: &TestApp, w: &World, token: &str, start: &str) -> Resp {
    app.post(
        &w.at("/appointments"),
        Some(token),
        json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": start, "reason": "chest pain since Tuesday"}),
    )
    .await
}

/// `token`'s holder cancels appointment `id` of `w`'s clinic, saying `reason`.
pub async fn cancel(app: &TestApp, w: &World, token: &str, id: &str, reason: &str) -> Resp {
    app.post(
        &w.at(&format!("/appointments/{id}/cancel")),
        Some(token),
        json!({"reason": reason}),
    )
    .await
}

/// `w`'s doctor calls the next patient of their queue.
pub async fn call_next(app: &TestApp, w: &World) -> Resp {
    app.post(
        &w.at(&format!("/queue/doctors/{}/call-next", w.doctor)),
        Some(&w.doctor_token),
        json!({}),
    )
    .await
}

/// A receptionist of `w`'s clinic, signed in; returns their access token.
pub async fn desk(app: &TestApp, w: &World, slug: &str) -> String {
    let email = format!("desk@{slug}.test");
    app.join(&w.clinic, &w.admin, &email, "receptionist", "Anil Desk")
        .await;
    app.login(&email).await.0
}

/// A second approved doctor; returns (doctor id, their token).
pub async fn second_doctor(app: &TestApp, w: &World, slug: &str) -> (String, String) {
    let email = format!("doc2@{slug}.test");
    app.join(&w.clinic, &w.admin, &email, "doctor", "Dr Vikram Shah")
        .await;
    let pending = app.get(&w.at("/doctors/pending"), Some(&w.admin)).await;
    let id = pending.body[0]["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &w.at(&format!("/doctors/{id}/approve")),
            Some(&w.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (id, app.login(&email).await.0)
}
