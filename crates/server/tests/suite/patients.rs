//! The patient registry through the API and the desk pages, on SQLite and PostgreSQL.
//! The clock reads Sunday 2026-11-22 (Asia/Kolkata).

use crate::backends::each_backend;
use crate::{
    helpers::{TestApp, location, page_get, page_post},
    world::{World, desk, events, world},
};
use axum::http::StatusCode;
use serde_json::{Value, json};

fn kavya() -> Value {
    json!({"name": "Kavya Nair", "sex": "female", "birth_date": "1990-04-01", "phone": "+91 98450 11111"})
}

async fn count(app: &TestApp, w: &World, token: &str, q: &str) -> usize {
    let r = app
        .get(&w.at(&format!("/patients?q={q}")), Some(token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
    r.body.as_array().unwrap().len()
}

each_backend!(
    reception_registers_walk_ins_with_clinic_unique_mrns_and_likely_duplicates_are_flagged_first
);
async fn reception_registers_walk_ins_with_clinic_unique_mrns_and_likely_duplicates_are_flagged_first(
    app: TestApp,
) {
    let w = world(&app, "reg").await;
    let desk = desk(&app, &w, "reg").await;

    let r = app
        .post(&w.at("/patients"), Some(&desk), json!({"name": " ", "sex": "", "phone": "12", "birth_date": "2030-01-01", "email": "x@"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["name", "sex", "birth_date", "phone", "email"],
        "{}",
        r.text
    );

    let r = app.post(&w.at("/patients"), Some(&desk), kavya()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["mrn"], "P000001");
    assert_eq!(r.body["phone"], "+919845011111");
    assert_eq!(r.body["birth_date"], "1990-04-01");
    assert_eq!(r.body["version"], 1);
    let kavya_id = r.body["id"].as_str().unwrap().to_owned();

    // An age instead of a birth date gives an estimated one.
    let r = app
        .post(&w.at("/patients"), Some(&desk), json!({"name": "Arjun Nair", "sex": "male", "age": "42", "phone": "9845022222", "address": "12 MG Road", "emergency_name": "Kavya Nair", "emergency_phone": "+91 98450 11111"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["mrn"], "P000002");
    assert_eq!(r.body["birth_date"], "1984-11-22");
    assert_eq!(r.body["birth_date_estimated"], true);
    assert_eq!(r.body["emergency_phone"], "+919845011111");

    // Same phone and birth date: flagged, nothing saved, until staff confirm.
    let twin = json!({"name": "K. Nair", "sex": "female", "birth_date": "1990-04-01", "phone": "+919845011111"});
    let r = app
        .post(&w.at("/patients"), Some(&desk), twin.clone())
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.problem(), "likely-duplicate");
    assert_eq!(r.body["duplicates"][0]["id"], kavya_id.as_str());
    assert_eq!(r.body["duplicates"][0]["reason"], "phone_and_birth_date");
    // Same name and phone (another birth date) is flagged too.
    let r = app
        .post(
            &w.at("/patients"),
            Some(&desk),
            json!({"name": "kavya  NAIR", "sex": "female", "age": "5", "phone": "+919845011111"}),
        )
        .await;
    assert_eq!(r.body["duplicates"][0]["reason"], "name_and_phone");
    let mut anyway = twin;
    anyway["allow_duplicate"] = json!(true);
    let r = app.post(&w.at("/patients"), Some(&desk), anyway).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["mrn"], "P000003");
    let created: Vec<Value> = events(&app, &w)
        .await
        .into_iter()
        .filter(|e| e.0 == "patient.create")
        .map(|e| e.1)
        .collect();
    assert_eq!(created.len(), 3);
    assert_eq!(
        created
            .iter()
            .filter(|d| d["duplicate_override"] == true)
            .count(),
        1
    );

    // MRNs are per clinic; patients and other clinics' staff cannot register.
    let other = world(&app, "reg2").await;
    let r = app
        .post(&other.at("/patients"), Some(&other.admin), kavya())
        .await;
    assert_eq!(r.body["mrn"], "P000001", "{}", r.text);
    let r = app
        .post(&w.at("/patients"), Some(&w.patient), kavya())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(&w.at("/patients"), Some(&other.admin), kavya())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(&w.at("/patients"), Some(&desk), json!({"name": "X", "sex": "female", "age": "3", "phone": "9845000000", "nickname": "y"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
}

each_backend!(patients_are_found_by_the_start_of_any_name_word_by_phone_and_by_mrn);
async fn patients_are_found_by_the_start_of_any_name_word_by_phone_and_by_mrn(app: TestApp) {
    let w = world(&app, "find").await;
    let desk = desk(&app, &w, "find").await;
    for (name, phone) in [
        ("Kavya Nair", "+919845011111"),
        ("Arjun Nair", "+919845022222"),
        ("Kavitha Menon", "04424331234"),
        ("Ünal Öztürk", "+902125550000"),
    ] {
        let r = app
            .post(
                &w.at("/patients"),
                Some(&desk),
                json!({"name": name, "sex": "other", "age": "30", "phone": phone}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let names = |r: &crate::helpers::Resp| -> Vec<String> {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    for (q, want) in [
        ("nair", vec!["Arjun Nair", "Kavya Nair"]),
        ("NA", vec!["Arjun Nair", "Kavya Nair"]),
        ("kav", vec!["Kavitha Menon", "Kavya Nair"]),
        ("kav%20nai", vec!["Kavya Nair"]),
        ("nai%20kav", vec!["Kavya Nair"]),
        ("kav%20men", vec!["Kavitha Menon"]),
        ("%C3%B6zt", vec!["Ünal Öztürk"]),
        ("98450%2022", vec!["Arjun Nair"]),
        ("%2B91984501", vec!["Kavya Nair"]),
        ("044", vec!["Kavitha Menon"]),
        ("p000003", vec!["Kavitha Menon"]),
        ("avya", vec![]),
        ("menon%20nair", vec![]),
    ] {
        let r = app
            .get(&w.at(&format!("/patients?q={q}")), Some(&desk))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
        assert_eq!(names(&r), want, "{}: query {q}", app.backend);
    }
    let r = app
        .get(
            &w.at(&format!("/patients?q={}", "x".repeat(101))),
            Some(&desk),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another clinic's search never sees these records.
    let other = world(&app, "find2").await;
    assert_eq!(count(&app, &other, &other.admin, "nair").await, 0);
    assert_eq!(
        app.audit_count("patient.search").await,
        14,
        "{}: every search is audited",
        app.backend
    );
}

each_backend!(edits_are_audited_by_field_and_a_stale_version_gets_409);
async fn edits_are_audited_by_field_and_a_stale_version_gets_409(app: TestApp) {
    let w = world(&app, "edit").await;
    let desk = desk(&app, &w, "edit").await;
    let r = app.post(&w.at("/patients"), Some(&desk), kavya()).await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let at = w.at(&format!("/patients/{id}"));

    let r = app.get(&at, Some(&w.doctor_token)).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "doctors read the clinic's records"
    );
    assert_eq!(app.audit_count("patient.read").await, 1);
    let mut edit = kavya();
    edit["phone"] = json!("+91 98450 99999");
    edit["email"] = json!("kavya@example.com");
    edit["version"] = json!(1);
    let r = app.put(&at, Some(&desk), edit.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["version"].as_i64(), r.body["phone"].as_str()),
        (Some(2), Some("+919845099999"))
    );
    let updates: Vec<Value> = events(&app, &w)
        .await
        .into_iter()
        .filter(|e| e.0 == "patient.update")
        .map(|e| e.1)
        .collect();
    assert_eq!(
        updates,
        [json!({"fields": ["phone", "email"], "duplicate_override": false})]
    );
    // The search index follows the edit.
    assert_eq!(count(&app, &w, &desk, "9845099").await, 1);
    assert_eq!(count(&app, &w, &desk, "9845011").await, 0);

    let r = app.put(&at, Some(&desk), edit.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "version 1 is stale: {}",
        r.text
    );
    edit["version"] = json!(2);
    edit["birth_date"] = json!("1990-13-01");
    let r = app.put(&at, Some(&desk), edit.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get(&at, Some(&desk)).await;
    assert_eq!(
        (r.body["version"].as_i64(), r.body["birth_date"].as_str()),
        (Some(2), Some("1990-04-01")),
        "nothing changed"
    );
    let r = app.put(&at, Some(&w.patient), edit.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "patients do not edit records"
    );
    let other = world(&app, "edit2").await;
    for path in [
        other.at(&format!("/patients/{id}")),
        w.at("/patients/00000000-0000-7000-8000-000000000000"),
        w.at("/patients/not-an-id"),
    ] {
        let r = app.get(&path, Some(&other.admin)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        let r = app.get(&path, Some(&desk)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = app.get(&at, Some(&w.patient)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another patient's record");
}

each_backend!(staff_link_a_self_registered_patient_to_their_record_and_their_booking_uses_it);
async fn staff_link_a_self_registered_patient_to_their_record_and_their_booking_uses_it(
    app: TestApp,
) {
    let w = world(&app, "link").await;
    let desk = desk(&app, &w, "link").await;
    let mut walk_in = kavya();
    walk_in["email"] = json!("kavya@link.test");
    let r = app.post(&w.at("/patients"), Some(&desk), walk_in).await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let link = w.at(&format!("/patients/{id}/link-account"));

    let r = app
        .post(&link, Some(&desk), json!({"email": "kavya@link.test"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no such account yet"
    );
    app.register("kavya@link.test", "Kavya N").await;
    let kavya = app.login("kavya@link.test").await.0;
    let r = app
        .post(&link, Some(&kavya), json!({"email": "kavya@link.test"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "patients cannot link themselves"
    );
    let r = app
        .post(&link, Some(&desk), json!({"email": "kavya@link.test"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["has_account"], true);
    let r = app
        .post(&link, Some(&desk), json!({"email": "pat@link.test"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "already linked");
    assert_eq!(app.audit_count("patient.link").await, 1);

    // Her first online booking uses the linked record: no second record appears.
    let r = app
        .get(&w.at(&format!("/patients/{id}")), Some(&kavya))
        .await;
    assert_eq!(r.status, StatusCode::OK, "a patient reads their own record");
    let r = crate::world::book(&app, &w, &kavya, "2026-11-23T04:30:00Z").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["patient_id"], id.as_str(), "{}", r.text);
    assert_eq!(count(&app, &w, &desk, "kavya").await, 1);
}

each_backend!(the_desk_registers_finds_and_edits_patients_on_the_registry_pages);
async fn the_desk_registers_finds_and_edits_patients_on_the_registry_pages(app: TestApp) {
    let w = world(&app, "regpages").await;
    let desk = desk(&app, &w, "regpages").await;
    let c = &w.clinic;
    let new = format!("/clinics/{c}/patients/new");

    let page = app.send(page_get(&new, &desk)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains(">Patients</a>") && page.text.contains(r#"name="age""#));
    let r = page_post(&app, &new, &desk, "name=&sex=&birth_date=&age=abc&phone=1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    for field in ["name", "sex", "age", "phone"] {
        assert!(
            r.text.contains(&format!(r#"id="f-{field}-error""#)),
            "{field}: {}",
            r.text
        );
    }
    let form = "name=Meena+Iyer&sex=female&birth_date=1975-06-30&age=&phone=%2B91+98450+33333&email=&address=&emergency_name=&emergency_phone=";
    let r = page_post(&app, &new, &desk, form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let done = location(&r);
    let record = done.trim_end_matches("?done=registered").to_owned();
    assert_ne!(record, done);
    let page = app.send(page_get(&done, &desk)).await;
    assert!(
        page.text.contains("Registered as P000001")
            && page.text.contains("Meena Iyer")
            && page.text.contains("30 Jun 1975"),
        "{}",
        page.text
    );

    // The same person again: the form warns and offers to save anyway.
    let r = page_post(&app, &new, &desk, form).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.text.contains("may already be registered")
            && r.text.contains(&record)
            && r.text.contains(r#"name="allow_duplicate""#),
        "{}",
        r.text
    );
    let r = page_post(&app, &new, &desk, &format!("{form}&allow_duplicate=true")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);

    let found = app
        .send(page_get(&format!("/clinics/{c}/patients?q=iye"), &desk))
        .await;
    assert_eq!(
        found.text.matches("Meena Iyer</a>").count(),
        2,
        "{}",
        found.text
    );
    assert!(found.text.contains("F · 51 y"), "{}", found.text);

    let edit = format!("{record}/edit");
    let page = app.send(page_get(&edit, &desk)).await;
    assert!(
        page.text.contains(r#"name="version" value="1""#) && page.text.contains("1975-06-30"),
        "{}",
        page.text
    );
    let r = page_post(
        &app,
        &edit,
        &desk,
        &format!(
            "{}&version=1",
            form.replace("Meena+Iyer", "Meena+S+Iyer")
                .replace("33333", "44444")
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app.send(page_get(&location(&r), &desk)).await;
    assert!(
        page.text.contains("Changes saved.") && page.text.contains("Meena S Iyer"),
        "{}",
        page.text
    );
    let r = page_post(&app, &edit, &desk, &format!("{form}&version=1")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "stale edit: {}", r.text);
    assert!(
        r.text.contains("Someone else changed this record"),
        "{}",
        r.text
    );

    let r = page_post(
        &app,
        &format!("{record}/link"),
        &desk,
        "email=nobody%40x.test",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("No patient account uses this address"),
        "{}",
        r.text
    );

    // Patients have no registry pages.
    let page = app
        .send(page_get(&format!("/clinics/{c}/patients"), &w.patient))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = app.send(page_get(&record, &w.patient)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}
