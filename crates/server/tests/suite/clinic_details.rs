//! A clinic's address, phone, opening hours and map location: set by its admins on the
//! Settings page or through the API, shown on the public clinic page and in appointment
//! e-mails and their calendar entries. On SQLite and PostgreSQL.

use crate::backends::each_backend;
use crate::{
    helpers::{TestApp, location, page_get, page_post, quoted_printable_flat},
    world::{World, book, world},
};
use axum::http::StatusCode;
use serde_json::{Value, json};

const ADDRESS: &str = "12 MG Road, Bengaluru 560001";

/// The clinic as the clinic's admin reads it through the API.
async fn clinic_json(app: &TestApp, w: &World) -> Value {
    let list = app.get("/api/v1/clinics", Some(&w.admin)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    list.body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == w.clinic.as_str())
        .cloned()
        .unwrap()
}

/// The details as stored.
async fn stored(app: &TestApp, w: &World) -> domain::clinic::ClinicDetails {
    store::clinics::find(app.state.store().conn(), w.clinic.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .details
}

fn good_details() -> Value {
    json!({"address": ADDRESS, "phone": "+91 80 4000-1234", "opening_hours": "Mon–Sat 09:00–18:00, Sun closed", "latitude": 12.9716, "longitude": 77.5946})
}

each_backend!(bad_clinic_details_on_the_page_and_the_api_name_every_bad_field_and_save_nothing);
async fn bad_clinic_details_on_the_page_and_the_api_name_every_bad_field_and_save_nothing(
    app: TestApp,
) {
    let w = world(&app, "cdbad").await;
    let settings = format!("/clinics/{}/settings", w.clinic);
    let page = app.send(page_get(&settings, &w.admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("Clinic details")
            && page.text.contains(&format!(
                r#"action="/clinics/{}/settings/details""#,
                w.clinic
            ))
            && page.text.contains(r#"name="latitude""#),
        "{}",
        page.text
    );

    let form = format!(
        "address={}&phone=call+us&opening_hours=9%075&latitude=91&longitude=",
        "x".repeat(301)
    );
    let r = page_post(&app, &format!("{settings}/details"), &w.admin, &form).await;
    app.expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, message) in [
        ("address", "Address must be at most 300 characters."),
        (
            "phone",
            "Phone must be 7–15 digits, optionally starting with +.",
        ),
        (
            "opening_hours",
            "Opening hours must not contain control characters.",
        ),
        (
            "latitude",
            "Latitude must be a number of degrees from -90 to 90, such as 12.9716.",
        ),
        (
            "longitude",
            "Longitude is needed with a latitude (or leave both empty).",
        ),
    ] {
        assert!(
            r.text
                .contains(&format!(r#"id="f-{field}-error">{message}</p>"#)),
            "{}: {field} names its problem: {}",
            app.backend,
            r.text
        );
    }
    assert!(
        r.text
            .contains(r#"name="phone" type="tel" value="call us""#),
        "what was typed stays: {}",
        r.text
    );

    for (body, bad, case) in [
        (
            json!({"address": "x".repeat(301), "phone": "12", "opening_hours": "a\u{7}b", "latitude": 10, "longitude": 200}),
            vec!["address", "opening_hours", "phone", "longitude"],
            "every part bad",
        ),
        (
            json!({"address": ADDRESS, "phone": "", "opening_hours": "", "latitude": 10, "longitude": null}),
            vec!["longitude"],
            "a latitude alone",
        ),
        (
            json!({"address": ADDRESS, "phone": "", "opening_hours": "", "latitude": -90.5, "longitude": 0}),
            vec!["latitude"],
            "south of the pole",
        ),
    ] {
        let r = app.put(&w.at("/details"), Some(&w.admin), body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}: {}",
            r.text
        );
        assert_eq!(r.problem(), "validation", "{case}: {}", r.text);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, bad, "{}: {case}: {}", app.backend, r.text);
    }

    assert_eq!(
        stored(&app, &w).await,
        domain::clinic::ClinicDetails::default(),
        "{}: nothing saved",
        app.backend
    );
    let c = clinic_json(&app, &w).await;
    assert_eq!(
        (&c["address"], &c["phone"], &c["latitude"]),
        (&json!(""), &json!(""), &Value::Null)
    );
    assert_eq!(app.audit_count("clinic.details_set").await, 0);
}

each_backend!(saved_clinic_details_show_on_the_public_page_with_a_tel_link_and_map_links);
async fn saved_clinic_details_show_on_the_public_page_with_a_tel_link_and_map_links(app: TestApp) {
    let w = world(&app, "cdgood").await;
    let public = app.get("/c/cdgood", None).await;
    assert!(
        !public.text.contains("Visiting the clinic"),
        "no empty card: {}",
        public.text
    );

    let settings = format!("/clinics/{}/settings", w.clinic);
    let r = page_post(
        &app,
        &format!("{settings}/details"),
        &w.admin,
        "address=12+MG+Road%2C+Bengaluru+560001&phone=%2B91+80+4000+1234&opening_hours=Mon%E2%80%93Sat+09%3A00%E2%80%9318%3A00%2C+Sun+closed&latitude=12.9716&longitude=+77.5946",
    )
    .await;
    app.expect(&r, StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{settings}?done=1"));
    let page = app.send(page_get(&location(&r), &w.admin)).await;
    assert!(page.text.contains("Saved."), "{}", page.text);
    for shown in [
        r#"name="address" type="text" value="12 MG Road, Bengaluru 560001""#,
        r#"name="phone" type="tel" value="+918040001234""#,
        r#"name="latitude" type="text" value="12.9716""#,
        r#"name="longitude" type="text" value="77.5946""#,
    ] {
        assert!(page.text.contains(shown), "{shown}: {}", page.text);
    }

    let public = app.get("/c/cdgood", None).await;
    assert_eq!(public.status, StatusCode::OK);
    let html = public.text.replace("&#38;", "&").replace("&amp;", "&");
    for shown in [
        "<dd>12 MG Road, Bengaluru 560001</dd>",
        r#"<a href="tel:+918040001234">+918040001234</a>"#,
        "<dd>Mon–Sat 09:00–18:00, Sun closed</dd>",
        r#"href="https://www.openstreetmap.org/?mlat=12.9716&mlon=77.5946#map=17/12.9716/77.5946""#,
        r#"href="geo:12.9716,77.5946">Open in maps app</a>"#,
    ] {
        assert!(html.contains(shown), "{}: {shown}: {html}", app.backend);
    }
    let c = clinic_json(&app, &w).await;
    assert_eq!(
        (&c["address"], &c["phone"], &c["latitude"], &c["longitude"]),
        (
            &json!(ADDRESS),
            &json!("+918040001234"),
            &json!(12.9716),
            &json!(77.5946)
        ),
        "{c}"
    );

    // Through the API, an address without coordinates: a map search instead.
    let r = app
        .put(
            &w.at("/details"),
            Some(&w.admin),
            json!({"address": "5 Church St, Bengaluru", "phone": "", "opening_hours": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend, r.text);
    assert_eq!(
        (&r.body["address"], &r.body["phone"], &r.body["latitude"]),
        (&json!("5 Church St, Bengaluru"), &json!(""), &Value::Null)
    );
    let public = app.get("/c/cdgood", None).await;
    assert!(
        public.text.contains(
            r#"href="https://www.openstreetmap.org/search?query=5%20Church%20St%2C%20Bengaluru""#
        ) && !public.text.contains("geo:")
            && !public.text.contains("tel:"),
        "{}",
        public.text
    );
    assert_eq!(app.audit_count("clinic.details_set").await, 2);
}

each_backend!(the_booking_confirmation_and_its_calendar_entry_carry_the_address_phone_and_geo);
async fn the_booking_confirmation_and_its_calendar_entry_carry_the_address_phone_and_geo(
    app: TestApp,
) {
    let w = world(&app, "cdmail").await;
    // Without details, the entry names the clinic alone.
    let a = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let mails = app.deliver_mail().await;
    let first = quoted_printable_flat(
        &mails
            .iter()
            .find(|(_, m)| m.contains("Appointment confirmed"))
            .unwrap()
            .1,
    );
    assert!(
        first.contains("LOCATION:Clinic cdmail\r\n") && !first.contains("GEO:"),
        "{first}"
    );

    let r = app
        .put(&w.at("/details"), Some(&w.admin), good_details())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend, r.text);
    let a = book(&app, &w, &w.patient, "2026-11-23T04:30:00Z").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let mails = app.deliver_mail().await;
    let mail = quoted_printable_flat(
        &mails
            .iter()
            .find(|(_, m)| {
                m.contains("Appointment confirmed") && m.contains("10:00 (Asia/Kolkata)")
            })
            .unwrap_or_else(|| panic!("{}: no confirmation of the second booking", app.backend))
            .1,
    );
    for line in [
        "Where:     Clinic cdmail, 12 MG Road, Bengaluru 560001",
        "Phone:     +918040001234",
        "LOCATION:Clinic cdmail\\, 12 MG Road\\, Bengaluru 560001\r\n",
        "GEO:12.9716;77.5946\r\n",
    ] {
        assert!(mail.contains(line), "{}: {line:?} in {mail}", app.backend);
    }

    // The cancellation says where it was, and withdraws the same entry.
    let id = a.body["id"].as_str().unwrap();
    let r = crate::world::cancel(&app, &w, &w.patient, id, "feeling better").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mails = app.deliver_mail().await;
    let cancelled = quoted_printable_flat(
        &mails
            .iter()
            .find(|(_, m)| m.contains("Appointment cancelled"))
            .unwrap()
            .1,
    );
    assert!(
        cancelled.contains("Where:     Clinic cdmail, 12 MG Road, Bengaluru 560001")
            && cancelled.contains("Phone:     +918040001234")
            && cancelled.contains("METHOD:CANCEL")
            && cancelled.contains("GEO:12.9716;77.5946"),
        "{cancelled}"
    );
}

each_backend!(only_the_clinics_admins_may_set_its_details_and_others_get_404);
async fn only_the_clinics_admins_may_set_its_details_and_others_get_404(app: TestApp) {
    let w = world(&app, "cdwho").await;
    let other = world(&app, "cdother").await;
    let form = "address=Somewhere+else&phone=&opening_hours=&latitude=&longitude=";
    let page = format!("/clinics/{}/settings/details", w.clinic);
    for (who, token) in [
        ("doctor", &w.doctor_token),
        ("patient", &w.patient),
        ("another clinic's admin", &other.admin),
    ] {
        let r = app
            .put(&w.at("/details"), Some(token), good_details())
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{}: API, {who}",
            app.backend
        );
        let r = page_post(&app, &page, token, form).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{}: page, {who}",
            app.backend
        );
    }
    let r = app.put(&w.at("/details"), None, good_details()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        stored(&app, &w).await,
        domain::clinic::ClinicDetails::default()
    );
    assert_eq!(app.audit_count("clinic.details_set").await, 0);
}

each_backend!(the_database_itself_refuses_half_a_location_and_out_of_range_coordinates);
async fn the_database_itself_refuses_half_a_location_and_out_of_range_coordinates(app: TestApp) {
    let w = world(&app, "cddb").await;
    let store = app.state.store();
    let slug = "slug = 'cddb'";
    for (set, case) in [
        ("latitude_e6 = 12971600", "a latitude alone"),
        (
            "latitude_e6 = 90000001, longitude_e6 = 0",
            "north of the pole",
        ),
        (
            "latitude_e6 = 0, longitude_e6 = -180000001",
            "past the date line",
        ),
    ] {
        let r = store
            .execute_unprepared(&format!("UPDATE clinics SET {set} WHERE {slug}"))
            .await;
        assert!(r.is_err(), "{}: {case} is refused", app.backend);
    }
    store
        .execute_unprepared(&format!(
            "UPDATE clinics SET latitude_e6 = -33868800, longitude_e6 = 151209300 WHERE {slug}"
        ))
        .await
        .unwrap();
    let at = stored(&app, &w).await.location().unwrap();
    assert_eq!(
        (at.latitude_text(), at.longitude_text()),
        ("-33.8688".into(), "151.2093".into())
    );
}

#[tokio::test]
async fn the_openapi_request_schema_carries_the_limits() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    let doc = app.get("/api/v1/openapi.json", None).await;
    let schema = &doc.body["components"]["schemas"]["ClinicDetailsRequest"]["properties"];
    for (field, key, limit) in [
        ("address", "maxLength", 300),
        ("opening_hours", "maxLength", 200),
        ("latitude", "minimum", -90),
        ("latitude", "maximum", 90),
        ("longitude", "minimum", -180),
        ("longitude", "maximum", 180),
    ] {
        assert_eq!(schema[field][key], limit, "{field}.{key}");
    }
    let put = &doc.body["paths"]["/api/v1/clinics/{clinic_id}/details"]["put"];
    assert_eq!(put["operationId"], "set_clinic_details");
}

each_backend!(a_patient_told_to_call_the_clinic_is_given_its_number);
/// Past the cutoff a patient is told to call the clinic: with its number, on the API's
/// refusal and on My appointments.
async fn a_patient_told_to_call_the_clinic_is_given_its_number(app: TestApp) {
    let w = world(&app, "callus").await;
    let r = app
        .put(&w.at("/details"), Some(&w.admin), good_details())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Monday 09:00 in the clinic; the clock reads Sunday 14:30.
    let a = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let id = a.body["id"].as_str().unwrap();
    app.advance(jiff::SignedDuration::from_hours(17)); // 1.5 h before; cutoff 2 h
    let patient = app.login("pat@callus.test").await.0;
    let r = crate::world::cancel(&app, &w, &patient, id, "fever").await;
    assert_eq!(r.body["rule"], "cancel_cutoff", "{}", r.text);
    let number = stored(&app, &w).await.phone().unwrap().as_str().to_owned();
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("Please call the clinic on {number}.")),
        "{}: {}",
        app.backend,
        r.text
    );
    let mine = app.send(page_get("/appointments", &patient)).await.text;
    assert!(
        mine.contains(&format!(
            "Please call the clinic on <a href=\"tel:{number}\">"
        )),
        "{}: {mine}",
        app.backend
    );
}
