//! Consultations and prescriptions through the API, on SQLite and PostgreSQL. The clock
//! reads Sunday 2026-11-22 14:30 in the clinic (Asia/Kolkata).

use crate::backends::each_backend;
use crate::{
    helpers::{Resp, TestApp},
    world::{World, desk, second_doctor, world},
};
use axum::http::StatusCode;
use serde_json::{Value, json};

fn fields(r: &Resp) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A walk-in with an online account linked, and their token; returns (patient id, patient
/// login, token id).
pub(crate) async fn kavya_in_queue(
    app: &TestApp,
    w: &World,
    desk: &str,
    slug: &str,
) -> (String, String, String) {
    let email = format!("kavya@{slug}.test");
    app.register(&email, "Kavya Nair").await;
    let login = app.login(&email).await.0;
    let r = app
        .post(&w.at("/patients"), Some(desk), json!({"name": "Kavya Nair", "sex": "female", "birth_date": "1990-04-01", "phone": "9845011111", "email": email}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let patient = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &w.at(&format!("/patients/{patient}/link-account")),
            Some(desk),
            json!({"email": email}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &w.at("/queue/tokens"),
            Some(desk),
            json!({"doctor_id": w.doctor, "patient_id": patient}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (patient, login, r.body["id"].as_str().unwrap().to_owned())
}

fn notes(version: i64) -> Value {
    json!({"complaints": "Fever for 3 days", "bp": "120/80", "pulse": "88", "temperature": "101.3",
        "weight": "62.5", "height": "160", "spo2": "97", "examination": "Throat congested",
        "diagnosis": "Viral fever", "icd10": "b349", "advice": "Rest, fluids",
        "follow_up_date": "2026-11-29", "version": version})
}

each_backend!(a_doctor_records_vitals_and_a_prescription_signs_and_the_patient_sees_it);
async fn a_doctor_records_vitals_and_a_prescription_signs_and_the_patient_sees_it(app: TestApp) {
    let w = world(&app, "visit").await;
    let desk = desk(&app, &w, "visit").await;
    let doc = &w.doctor_token;
    let (patient, kavya, token) = kavya_in_queue(&app, &w, &desk, "visit").await;

    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{token}/consultation")),
            Some(&desk),
            json!({}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "the desk does not open consultations"
    );
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{token}/consultation")),
            Some(doc),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["status"].as_str(), r.body["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    let id = r.body["id"].as_str().unwrap().to_owned();
    let again = app
        .post(
            &w.at(&format!("/queue/tokens/{token}/consultation")),
            Some(doc),
            json!({}),
        )
        .await;
    assert_eq!(
        again.body["id"],
        id.as_str(),
        "opening twice gives the same consultation"
    );
    let q = app.get(&w.at("/queue"), Some(&desk)).await;
    assert_eq!(q.body[0]["current"][0]["status"], "in_consultation");
    let at = w.at(&format!("/consultations/{id}"));

    // Out-of-range vitals: every problem at once, nothing saved.
    let mut bad = notes(1);
    bad["bp"] = json!("300/80");
    bad["pulse"] = json!("fast");
    bad["temperature"] = json!("50");
    bad["spo2"] = json!("101");
    bad["icd10"] = json!("flu");
    bad["follow_up_date"] = json!("2026-11-01");
    let r = app.put(&at, Some(doc), bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        fields(&r),
        [
            "bp",
            "pulse",
            "temperature",
            "spo2",
            "icd10",
            "follow_up_date"
        ]
    );
    assert!(
        r.text.contains("beats per minute") && r.text.contains("between 50 and 100%"),
        "{}",
        r.text
    );
    let r = app.get(&at, Some(doc)).await;
    assert_eq!(
        (r.body["version"].as_i64(), r.body["complaints"].as_str()),
        (Some(1), Some(""))
    );

    let reads = app.audit_count("encounter.read").await;
    let r = app.put(&at, Some(doc), notes(1)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["version"], 2);
    assert_eq!(
        app.audit_count("encounter.read").await,
        reads,
        "the answer to a save is not logged as a read"
    );
    assert_eq!(
        r.body["vitals"]["temperature_dc"], 385,
        "101.3 °F is kept as 38.5 °C"
    );
    assert_eq!(
        (
            r.body["vitals"]["systolic"].as_u64(),
            r.body["icd10"].as_str()
        ),
        (Some(120), Some("B34.9"))
    );
    let r = app.put(&at, Some(doc), notes(1)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a stale draft is refused");

    let rx = w.at(&format!("/consultations/{id}/prescription"));
    let r = app
        .put(
            &rx,
            Some(doc),
            json!({"items": [{"strength": "500 mg"}], "notes": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&r), ["drug"]);
    let item = json!({"drug": "Paracetamol", "strength": "500 mg", "form": "tablet", "dose": "1 tablet",
        "frequency": "TDS", "duration": "3 days", "route": "oral", "instructions": "after food"});
    let r = app
        .put(
            &rx,
            Some(doc),
            json!({"items": [item, {}], "notes": "Review if fever persists"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (
            r.body["items"].as_array().map(Vec::len),
            r.body["signed"].as_bool()
        ),
        (Some(1), Some(false))
    );
    let prescription = r.body["id"].as_str().unwrap().to_owned();

    // Nobody but the clinic's doctors reads the draft; the patient waits for the signature.
    let other = world(&app, "visit2").await;
    let (doc2, doc2_token) = second_doctor(&app, &w, "visit").await;
    let _ = doc2;
    for (who, token) in [
        ("desk", &desk),
        ("admin", &w.admin),
        ("patient", &kavya),
        ("other clinic", &other.admin),
    ] {
        let r = app.get(&at, Some(token)).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{who} reads no consultation"
        );
        let r = app
            .get(
                &w.at(&format!("/prescriptions/{prescription}")),
                Some(token),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{who} reads no draft prescription"
        );
        let r = app
            .get(&w.at(&format!("/patients/{patient}/history")), Some(token))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} reads no history");
    }
    let r = app.get(&at, Some(&doc2_token)).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the clinic's other doctors read it"
    );
    let r = app.put(&at, Some(&doc2_token), notes(2)).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "but only its doctor writes it"
    );
    let mine = app.get("/api/v1/me/prescriptions", Some(&kavya)).await;
    assert_eq!(mine.body, json!([]));

    // Signing locks it and ends the visit in the queue.
    let reads = app.audit_count("encounter.read").await;
    let r = app
        .post(
            &w.at(&format!("/consultations/{id}/sign")),
            Some(doc),
            json!({"version": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "signed");
    assert_eq!(app.audit_count("encounter.read").await, reads);
    let q = app.get(&w.at("/queue"), Some(&desk)).await;
    assert_eq!(q.body[0]["closed"][0]["status"], "done");
    let r = app.put(&at, Some(doc), notes(3)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "signed is locked");
    let r = app.put(&rx, Some(doc), json!({"items": [item]})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let add = w.at(&format!("/consultations/{id}/addenda"));
    let r = app
        .post(&add, Some(&doc2_token), json!({"body": " "}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(&add, Some(&doc2_token), json!({"body": "CBC normal."}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app.get(&at, Some(doc)).await;
    assert_eq!(r.body["addenda"][0]["author_name"], "Dr Vikram Shah");
    assert_eq!(r.body["addenda"][0]["body"], "CBC normal.");
    assert_eq!(
        r.body["diagnosis"], "Viral fever",
        "the signed note is unchanged"
    );

    // The patient sees the signed prescription; the doctor sees the history.
    let mine = app.get("/api/v1/me/prescriptions", Some(&kavya)).await;
    assert_eq!(
        mine.body[0]["items"][0]["drug"], "Paracetamol",
        "{}",
        mine.text
    );
    assert_eq!(mine.body[0]["doctor_name"], "Dr Asha Rao");
    let r = app
        .get(
            &w.at(&format!("/prescriptions/{prescription}")),
            Some(&kavya),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .get(
            &other.at(&format!("/prescriptions/{prescription}")),
            Some(&kavya),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not under another clinic");
    let h = app
        .get(
            &w.at(&format!("/patients/{patient}/history")),
            Some(&doc2_token),
        )
        .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    assert_eq!(
        (
            h.body["visits"][0]["diagnosis"].as_str(),
            h.body["visits"][0]["icd10"].as_str()
        ),
        (Some("Viral fever"), Some("B34.9"))
    );
    assert_eq!(h.body["prescriptions"].as_array().map(Vec::len), Some(1));
    for action in [
        "encounter.read",
        "prescription.read",
        "patient.history",
        "encounter.sign",
        "encounter.addendum",
    ] {
        assert!(
            app.audit_count(action).await > 0,
            "{}: {action} is audited",
            app.backend
        );
    }
}

each_backend!(a_doctor_opens_consultations_only_from_their_own_queue);
async fn a_doctor_opens_consultations_only_from_their_own_queue(app: TestApp) {
    let w = world(&app, "ownq").await;
    let desk = desk(&app, &w, "ownq").await;
    let (_, _, token) = kavya_in_queue(&app, &w, &desk, "ownq").await;
    let (_, doc2) = second_doctor(&app, &w, "ownq").await;
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{token}/consultation")),
            Some(&doc2),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .post(
            &w.at("/queue/tokens/00000000-0000-7000-8000-000000000000/consultation"),
            Some(&doc2),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .get(
            &w.at("/consultations/00000000-0000-7000-8000-000000000000"),
            Some(&doc2),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
