//! Money in the clinic's own currency on the pages: whole yen in a JPY clinic, three
//! decimals in a KWD clinic, on the visit-type and profile forms and the public pages, on
//! SQLite and PostgreSQL.

use crate::backends::each_backend;
use crate::helpers::{PW, TestApp, location, page_get, page_post};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// A clinic in `currency` with its admin, and an approved doctor.
struct Clinic {
    id: String,
    slug: String,
    admin: String,
    doctor: String,
    doctor_token: String,
}

impl Clinic {
    fn api(&self, rest: &str) -> String {
        format!("/api/v1/clinics/{}{rest}", self.id)
    }

    fn page(&self, rest: &str) -> String {
        format!("/clinics/{}{rest}", self.id)
    }

    fn profile(&self) -> String {
        self.page(&format!("/doctors/{}/profile", self.doctor))
    }

    /// The clinic-wide visit types, as the public API lists them.
    async fn visit_types(&self, app: &TestApp) -> Vec<Value> {
        let r = app.get(&self.api("/visit-types"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend, r.text);
        r.body.as_array().unwrap().clone()
    }

    /// The doctor's fee as the public API shows it.
    async fn fee_minor(&self, app: &TestApp) -> Option<i64> {
        let r = app
            .get(&self.api(&format!("/doctors/{}", self.doctor)), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend, r.text);
        r.body["fee_minor"].as_i64()
    }
}

async fn clinic_in(app: &TestApp, slug: &str, currency: &str) -> Clinic {
    let root = app.platform_admin(&format!("root@{slug}.test")).await;
    let admin_email = format!("admin@{slug}.test");
    let body = json!({"name": format!("Clinic {slug}"), "slug": slug, "time_zone": "Asia/Tokyo",
        "currency": currency, "admin_email": admin_email});
    let r = app.post("/api/v1/clinics", Some(&root), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    assert_eq!(r.body["currency"], currency);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let token = app.link_token_sent_to(&admin_email, "/invite?token=").await;
    assert_eq!(
        app.accept(&token, "Clinic Admin", PW).await.status,
        StatusCode::NO_CONTENT
    );
    let admin = app.login(&admin_email).await.0;
    let doc_email = format!("doc@{slug}.test");
    app.join(&id, &admin, &doc_email, "doctor", "Dr Kenji Sato")
        .await;
    let pending = app
        .get(
            &format!("/api/v1/clinics/{id}/doctors/pending"),
            Some(&admin),
        )
        .await;
    let doctor = pending.body[0]["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/clinics/{id}/doctors/{doctor}/approve"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend, r.text);
    Clinic {
        id,
        slug: slug.to_owned(),
        admin,
        doctor_token: app.login(&doc_email).await.0,
        doctor,
    }
}

fn field_error(field: &str, message: &str) -> String {
    format!(r#"<p class="field-error" id="f-{field}-error">{message}</p>"#)
}

fn visit_type_body(name: &str, price: &str) -> String {
    format!(
        "name={name}&duration_min=20&buffer_before_min=0&buffer_after_min=0&price={price}&mode=in_person"
    )
}

fn profile_body(fee: &str) -> String {
    format!("name=Dr+Kenji+Sato&registration_number=JMC-7&fee={fee}")
}

each_backend!(a_yen_clinic_shows_and_takes_whole_yen_on_its_forms_and_pages);
async fn a_yen_clinic_shows_and_takes_whole_yen_on_its_forms_and_pages(app: TestApp) {
    let c = clinic_in(&app, "yen", "JPY").await;
    let settings = app.send(page_get(&c.page("/settings"), &c.admin)).await;
    assert!(
        settings
            .text
            .contains("In JPY, whole amounts, for example 500; empty is free"),
        "{}: {}",
        app.backend,
        settings.text
    );

    // Half a yen is refused inline, with what was typed kept, and nothing is saved.
    let add = c.page("/visit-types");
    let r = page_post(&app, &add, &c.admin, &visit_type_body("Consult", "1500.5")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let no_decimals = "JPY amounts have no decimals. Enter a whole amount like 500.";
    assert!(
        r.text.contains(&field_error("price", no_decimals)),
        "{}: {}",
        app.backend,
        r.text
    );
    assert!(r.text.contains(r#"value="1500.5""#), "what was typed stays");
    assert!(c.visit_types(&app).await.is_empty(), "nothing saved");

    // 1,500 is 1500 yen, shown as such.
    let r = page_post(&app, &add, &c.admin, &visit_type_body("Consult", "1%2C500")).await;
    assert_eq!(location(&r), c.page("/settings?done=1"), "{}", r.text);
    let types = c.visit_types(&app).await;
    assert_eq!(types[0]["price_minor"], 1500, "{}", app.backend);
    let settings = app.send(page_get(&c.page("/settings"), &c.admin)).await;
    assert!(
        settings.text.contains("20 min · JPY 1500"),
        "{}",
        settings.text
    );

    // The doctor's fee: the same rules on the profile page.
    let form = app.send(page_get(&c.profile(), &c.doctor_token)).await;
    assert!(
        form.text.contains("In JPY, whole amounts, for example 500"),
        "{}",
        form.text
    );
    let r = page_post(&app, &c.profile(), &c.doctor_token, &profile_body("1500.5")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains(&field_error("fee", no_decimals)),
        "{}",
        r.text
    );
    assert_eq!(c.fee_minor(&app).await, Some(0), "nothing saved");
    let r = page_post(&app, &c.profile(), &c.doctor_token, &profile_body("1500")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(c.fee_minor(&app).await, Some(1500), "{}", app.backend);
    let saved = app.send(page_get(&c.profile(), &c.doctor_token)).await;
    assert!(
        saved
            .text
            .contains(r#"name="fee" type="text" value="1500""#),
        "{}",
        saved.text
    );

    // Patients see yen without decimals.
    let r = page_post(&app, &add, &c.admin, &visit_type_body("Follow-up", "800")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let public = app
        .get(&format!("/c/{}/doctors/{}", c.slug, c.doctor), None)
        .await;
    assert!(
        public.text.contains("Consultation fee JPY 1500"),
        "{}",
        public.text
    );
    assert!(
        public.text.contains("Consult · 20 min · JPY 1500")
            && public.text.contains("Follow-up · 20 min · JPY 800"),
        "{}",
        public.text
    );
    let clinic_page = app.get(&format!("/c/{}", c.slug), None).await;
    assert!(
        clinic_page.text.contains("Consultation fee JPY 1500"),
        "{}",
        clinic_page.text
    );
}

each_backend!(a_dinar_clinic_takes_three_decimals_and_refuses_a_fourth);
async fn a_dinar_clinic_takes_three_decimals_and_refuses_a_fourth(app: TestApp) {
    let c = clinic_in(&app, "dinar", "KWD").await;
    let add = c.page("/visit-types");
    let r = page_post(&app, &add, &c.admin, &visit_type_body("Consult", "1.2345")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let message = "KWD amounts have at most 3 decimals. Enter an amount like 500 or 450.500.";
    assert!(
        r.text.contains(&field_error("price", message)),
        "{}: {}",
        app.backend,
        r.text
    );
    let r = page_post(&app, &add, &c.admin, &visit_type_body("Consult", "1.25")).await;
    assert_eq!(location(&r), c.page("/settings?done=1"), "{}", r.text);
    assert_eq!(c.visit_types(&app).await[0]["price_minor"], 1250);
    let settings = app.send(page_get(&c.page("/settings"), &c.admin)).await;
    assert!(
        settings.text.contains("20 min · KWD 1.250"),
        "{}",
        settings.text
    );

    let r = page_post(&app, &c.profile(), &c.doctor_token, &profile_body("12.5")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(c.fee_minor(&app).await, Some(12_500), "{}", app.backend);
    let saved = app.send(page_get(&c.profile(), &c.doctor_token)).await;
    assert!(
        saved
            .text
            .contains(r#"name="fee" type="text" value="12.500""#),
        "{}",
        saved.text
    );
    let public = app
        .get(&format!("/c/{}/doctors/{}", c.slug, c.doctor), None)
        .await;
    assert!(
        public.text.contains("Consultation fee KWD 12.500"),
        "{}",
        public.text
    );
}

each_backend!(the_api_holds_minor_units_to_the_same_bound_in_major_units);
async fn the_api_holds_minor_units_to_the_same_bound_in_major_units(app: TestApp) {
    let c = clinic_in(&app, "bound", "JPY").await;
    // 100,000,000 yen is the most; one yen more is refused on the field.
    for (price, status) in [
        (100_000_000_i64, StatusCode::CREATED),
        (100_000_001, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let r = app
            .post(
                &c.api("/visit-types"),
                Some(&c.admin),
                json!({"name": format!("Type {price}"), "duration_min": 15, "price_minor": price}),
            )
            .await;
        assert_eq!(r.status, status, "{}: {price}: {}", app.backend, r.text);
        if status != StatusCode::CREATED {
            assert!(
                r.text.contains("price_minor")
                    && r.text.contains("must be between 0 and 100,000,000"),
                "{}",
                r.text
            );
        }
    }
    let prices: Vec<i64> = c
        .visit_types(&app)
        .await
        .iter()
        .map(|t| t["price_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(prices, [100_000_000]);
}
