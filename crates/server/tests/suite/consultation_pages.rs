//! The consultation page: saving the form, adding and removing prescription rows, and who
//! may see it, on SQLite and PostgreSQL.

use crate::backends::each_backend;
use crate::{
    consultations::kavya_in_queue,
    helpers::{TestApp, location, page_get, page_post},
    world::{desk, world},
};
use axum::http::StatusCode;

each_backend!(
    the_consultation_page_saves_adds_and_removes_rows_and_only_doctors_and_the_patient_see_it
);
async fn the_consultation_page_saves_adds_and_removes_rows_and_only_doctors_and_the_patient_see_it(
    app: TestApp,
) {
    let w = world(&app, "cpage").await;
    let desk = desk(&app, &w, "cpage").await;
    let doc = &w.doctor_token;
    let c = &w.clinic;
    let (_, kavya, token) = kavya_in_queue(&app, &w, &desk, "cpage").await;
    let r = page_post(
        &app,
        &format!("/clinics/{c}/queue/tokens/{token}/consult"),
        &desk,
        "",
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "the desk opens no consultation"
    );
    let r = page_post(
        &app,
        &format!("/clinics/{c}/queue/tokens/{token}/consult"),
        doc,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page_path = location(&r);
    for who in [&desk, &w.admin, &kavya] {
        let p = app.send(page_get(&page_path, who)).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
    }
    let p = app.send(page_get(&page_path, doc)).await;
    assert!(
        p.text.contains("First visit.") && p.text.contains(r#"name="drug_0""#),
        "{}",
        p.text
    );

    let row = |i: usize, drug: &str| {
        format!(
            "&drug_{i}={drug}&strength_{i}=&form_{i}=&dose_{i}=&frequency_{i}=OD&duration_{i}=&route_{i}=&instructions_{i}="
        )
    };
    let base = "complaints=Cough&bp=&pulse=&temperature=&weight=&height=&spo2=&examination=&diagnosis=Bronchitis&icd10=&advice=&follow_up_date=&rx_notes=";
    let body = format!(
        "{base}&version=1{}{}&action=save",
        row(0, "Amoxicillin"),
        row(1, "Cetirizine")
    );
    let r = page_post(&app, &page_path, doc, &body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let p = app.send(page_get(&location(&r), doc)).await;
    assert!(
        p.text.contains("Draft saved.") && p.text.contains(r#"value="Cetirizine""#),
        "{}",
        p.text
    );
    // Remove the first medicine: the draft is saved without it.
    let body = format!(
        "{base}&version=2{}{}&remove=0",
        row(0, "Amoxicillin"),
        row(1, "Cetirizine")
    );
    let r = page_post(&app, &page_path, doc, &body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let p = app.send(page_get(&location(&r), doc)).await;
    assert!(
        !p.text.contains("Amoxicillin")
            && p.text
                .contains(r#"id="f-drug_0" name="drug_0" value="Cetirizine""#),
        "{}",
        p.text
    );
    // A row without a medicine is explained, and nothing is saved.
    let body = format!("{base}&version=3&drug_0=&strength_0=10+mg&action=save");
    let r = page_post(&app, &page_path, doc, &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("Row 1: Medicine is required."),
        "{}",
        r.text
    );
    let r = page_post(
        &app,
        &page_path,
        doc,
        &format!("{base}&version=3{}&action=sign", row(0, "Cetirizine")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let p = app.send(page_get(&location(&r), doc)).await;
    assert!(
        p.text.contains("Signed. The consultation is locked")
            && !p.text.contains(r#"name="drug_0""#),
        "{}",
        p.text
    );
    let r = page_post(
        &app,
        &page_path,
        doc,
        &format!("{base}&version=4&action=save"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a signed consultation takes no edits"
    );

    // The patient prints her own signed prescription; nobody else's.
    let mine = app.send(page_get("/prescriptions", &kavya)).await;
    assert!(
        mine.text.contains("Bronchitis") && mine.text.contains("Cetirizine · OD"),
        "{}",
        mine.text
    );
    let print = mine
        .text
        .split("href=\"")
        .find(|s| s.contains("/print"))
        .unwrap();
    let print = &print[..print.find('"').unwrap()];
    let p = app.send(page_get(print, &kavya)).await;
    assert!(
        p.text.contains("Signature") && p.text.contains("Dr Asha Rao"),
        "{}",
        p.text
    );
    let p = app.send(page_get(print, &w.patient)).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "another patient");
    let p = app.send(page_get(print, &desk)).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "the desk");
}
