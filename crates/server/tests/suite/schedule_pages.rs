//! Staff pages for schedules and clinic settings, driven as a browser posts forms, on SQLite
//! and PostgreSQL. The clock starts on Sunday 2026-11-22 at 14:30
//! in the clinic's zone (Asia/Kolkata); see `world::world` for the doctor's week.

use crate::backends::each_backend;
use crate::{
    helpers::{TestApp, location, page_get, page_post},
    world::{World, world},
};
use axum::http::StatusCode;
use serde_json::json;

/// Free local start times (`HH:MM` in Asia/Kolkata) of the world's doctor on `date`.
async fn free(app: &TestApp, w: &World, vt: &str, date: &str) -> Vec<String> {
    let r = app
        .get(
            &w.at(&format!(
                "/slots?doctor_id={}&visit_type_id={vt}&from={date}&to={date}",
                w.doctor
            )),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["doctors"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["slots"].as_array().cloned().unwrap_or_default())
        .map(|s| s["local_start"].as_str().unwrap()[11..16].to_owned())
        .collect()
}

each_backend!(a_doctor_edits_weekly_hours_time_off_and_visit_types_on_the_schedule_page);
async fn a_doctor_edits_weekly_hours_time_off_and_visit_types_on_the_schedule_page(app: TestApp) {
    let w = world(&app, "sched").await;
    let (c, d, vt) = (&w.clinic, &w.doctor, &w.visit_type);
    let page = app
        .send(page_get(&format!("/clinics/{c}/schedule"), &w.doctor_token))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Schedule of Dr Asha Rao"));
    assert!(
        page.text
            .contains(r#"name="s13" type="time" value="14:00""#)
    );
    assert!(page.text.contains(r#"id="w16""#), "three blank rows");

    // Overlapping intervals, and a bad time: 422 naming them, nothing changes.
    let hours = format!("/clinics/{c}/schedule/{d}/hours");
    let r = page_post(
        &app,
        &hours,
        &w.doctor_token,
        "w0=1&s0=09:00&e0=12:00&w1=1&s1=11:00&e1=13:00",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("Two intervals overlap on weekday 1"),
        "{}",
        r.text
    );
    let r = page_post(&app, &hours, &w.doctor_token, "w0=1&s0=25:00&e0=12:00").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text
            .contains("Interval 1: the start must be a time like 09:30"),
        "{}",
        r.text
    );
    let api = app.get(&w.at(&format!("/doctors/{d}/hours")), None).await;
    assert_eq!(api.body["intervals"].as_array().unwrap().len(), 14);

    // The API refuses overlaps too.
    let r = app
        .put(
            &w.at(&format!("/doctors/{d}/hours")),
            Some(&w.doctor_token),
            json!({"intervals": [{"weekday": 2, "start": "09:00", "end": "12:00"}, {"weekday": 2, "start": "11:30", "end": "13:00"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // Monday 10:00–12:00 for this visit type; Wednesday mornings from December; the
    // old rows are removed or cleared.
    let body = format!(
        "w0=1&s0=10:00&e0=12:00&vt0={vt}&w1=3&s1=09:00&e1=11:00&f1=2026-12-01&t1=&w2=5&s2=09:00&e2=10:00&rm2=on&w3=&s3="
    );
    let r = page_post(&app, &hours, &w.doctor_token, &body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        location(&r),
        format!("/clinics/{c}/schedule?doctor={d}&done=1")
    );
    let api = app.get(&w.at(&format!("/doctors/{d}/hours")), None).await;
    let iv = api.body["intervals"].as_array().unwrap();
    assert_eq!(iv.len(), 2, "{}", api.text);
    assert_eq!(iv[0]["visit_types"], json!([vt]));
    assert_eq!(iv[1]["valid_from"], "2026-12-01");
    assert_eq!(
        free(&app, &w, vt, "2026-11-23")
            .await
            .first()
            .map(String::as_str),
        Some("10:00")
    );
    assert!(
        free(&app, &w, vt, "2026-11-25").await.is_empty(),
        "Wednesdays start in December"
    );

    // Time off: a bad range is refused inline; a day of leave closes Monday.
    let off = format!("/clinics/{c}/schedule/{d}/exceptions");
    let r = page_post(
        &app,
        &off,
        &w.doctor_token,
        "from=2026-11-23&to=2026-11-20&kind=leave",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("The last day is before the first."),
        "{}",
        r.text
    );
    assert!(
        r.text.contains(r#"value="2026-11-20""#),
        "the form keeps what was typed"
    );
    let r = page_post(
        &app,
        &off,
        &w.doctor_token,
        "from=2026-11-23&note=conference&kind=leave",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(free(&app, &w, vt, "2026-11-23").await.is_empty());
    // Extra hours on Tuesday evening, where the week has none.
    let r = page_post(
        &app,
        &off,
        &w.doctor_token,
        "from=2026-11-24&start=18:00&end=19:00&kind=extra",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        free(&app, &w, vt, "2026-11-24").await,
        ["18:00", "18:20", "18:40"]
    );
    let r = app
        .post(
            &w.at(&format!("/doctors/{d}/extra-hours")),
            Some(&w.doctor_token),
            json!({"from": "2026-11-26", "start": "20:00", "end": "20:40"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            &w.at(&format!("/doctors/{d}/extra-hours")),
            Some(&w.doctor_token),
            json!({"from": "2026-11-26", "to": "2026-11-27", "start": "20:00", "end": "20:40"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "extra hours are one day"
    );
    let list = app
        .get(
            &w.at(&format!("/schedule-exceptions?doctor_id={d}")),
            Some(&w.doctor_token),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let kinds: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["leave", "extra", "extra"]);
    // Reception and the other doctors read the same list; another clinic's admin and
    // patients do not.
    let desk = crate::world::desk(&app, &w, "sched").await;
    let (_, other_doctor) = crate::world::second_doctor(&app, &w, "sched").await;
    let path = w.at(&format!("/schedule-exceptions?doctor_id={d}"));
    for (who, token) in [("reception", &desk), ("another doctor", &other_doctor)] {
        let r = app.get(&path, Some(token)).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text);
        assert_eq!(r.body, list.body, "{who} sees the same list");
    }
    assert_eq!(
        app.get(&path, Some(&w.patient)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .get(
            &w.at(&format!(
                "/schedule-exceptions?doctor_id={}",
                uuid::Uuid::now_v7()
            )),
            Some(&desk),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "an unknown doctor");
    let page = app
        .send(page_get(&format!("/clinics/{c}/schedule"), &w.doctor_token))
        .await;
    assert!(page.text.contains("conference") && page.text.contains("18:00–19:00"));
    let leave = list.body[0]["id"].as_str().unwrap();
    let r = page_post(
        &app,
        &format!("/clinics/{c}/schedule-exceptions/{leave}/remove"),
        &w.doctor_token,
        &format!("doctor={d}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !free(&app, &w, vt, "2026-11-23").await.is_empty(),
        "leave removed"
    );

    // The doctor's own visit type: a bad price is refused inline, then added, then retired.
    let r = page_post(&app,
        &format!("/clinics/{c}/visit-types"),
        &w.doctor_token,
        &format!("name=Video+follow-up&duration_min=10&buffer_before_min=0&buffer_after_min=0&price=12.345&mode=video&doctor={d}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("Enter an amount like 500 or 450.50."),
        "{}",
        r.text
    );
    let r = page_post(&app,
        &format!("/clinics/{c}/visit-types"),
        &w.doctor_token,
        &format!("name=Video+follow-up&duration_min=10&buffer_before_min=0&buffer_after_min=0&price=300&mode=video&doctor={d}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let types = app
        .get(&w.at(&format!("/visit-types?doctor_id={d}")), None)
        .await;
    let video = types
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Video follow-up")
        .unwrap()
        .clone();
    assert_eq!(video["price_minor"], 30000);
    assert_eq!(video["mode"], "video");
    let vid = video["id"].as_str().unwrap();
    let r = page_post(
        &app,
        &format!("/clinics/{c}/visit-types/{vt}/archive"),
        &w.doctor_token,
        &format!("doctor={d}"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "a doctor cannot retire the clinic's types"
    );
    let r = page_post(
        &app,
        &format!("/clinics/{c}/visit-types/{vid}/archive"),
        &w.doctor_token,
        &format!("doctor={d}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let types = app
        .get(&w.at(&format!("/visit-types?doctor_id={d}")), None)
        .await;
    assert_eq!(types.body.as_array().unwrap().len(), 1, "{}", types.text);
    let r = app
        .delete(&w.at(&format!("/visit-types/{vid}")), Some(&w.admin))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "already retired");

    // Only the doctor and admins see the page.
    assert_eq!(
        app.send(page_get(&format!("/clinics/{c}/schedule"), &w.patient))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let admin_view = app
        .send(page_get(
            &format!("/clinics/{c}/schedule?doctor={d}"),
            &w.admin,
        ))
        .await;
    assert!(
        admin_view.text.contains("Schedule of Dr Asha Rao"),
        "{}",
        admin_view.text
    );
}

each_backend!(admins_set_booking_rules_holidays_and_clinic_visit_types_on_the_settings_page);
async fn admins_set_booking_rules_holidays_and_clinic_visit_types_on_the_settings_page(
    app: TestApp,
) {
    let w = world(&app, "rules").await;
    let (c, vt) = (&w.clinic, &w.visit_type);
    let settings = format!("/clinics/{c}/settings");
    let page = app.send(page_get(&settings, &w.admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains(r#"aria-current="page">Settings</a>"#));
    assert!(
        page.text
            .contains(r#"name="min_notice_min" type="number" value="120""#),
        "{}",
        page.text
    );

    let r = page_post(
        &app,
        &format!("{settings}/policy"),
        &w.admin,
        "min_notice_min=soon&horizon_days=0&cancel_cutoff_min=60&daily_cap=",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("Minimum notice must be a whole number."),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("The horizon must be 1 to 365 days."),
        "{}",
        r.text
    );
    assert_eq!(
        app.get(&w.at("/booking-policy"), None).await.body["min_notice_min"],
        120
    );
    // Changes closing before bookings do would trap patients: refused, nothing saved.
    let r = page_post(
        &app,
        &format!("{settings}/policy"),
        &w.admin,
        "min_notice_min=60&horizon_days=30&cancel_cutoff_min=90&daily_cap=8&require_approval=on",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text
            .contains("The notice must be at least the cancel cutoff (90 minutes)"),
        "{}",
        r.text
    );
    let r = app
        .put(
            &w.at("/booking-policy"),
            Some(&w.admin),
            json!({"min_notice_min": 60, "horizon_days": 30, "cancel_cutoff_min": 90}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "min_notice_min");
    assert_eq!(
        app.get(&w.at("/booking-policy"), None).await.body["cancel_cutoff_min"],
        120,
        "the defaults: two hours' notice and two hours' cutoff"
    );
    let r = page_post(
        &app,
        &format!("{settings}/policy"),
        &w.admin,
        "min_notice_min=90&horizon_days=30&cancel_cutoff_min=90&daily_cap=8&require_approval=on",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let p = app.get(&w.at("/booking-policy"), None).await.body;
    assert_eq!(
        p,
        json!({"min_notice_min": 90, "horizon_days": 30, "cancel_cutoff_min": 90, "daily_cap": 8, "require_approval": true})
    );

    let r = page_post(
        &app,
        &format!("{settings}/holidays"),
        &w.admin,
        "from=2026-11-25&note=Founders+day",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(free(&app, &w, vt, "2026-11-25").await.is_empty());
    let r = page_post(
        &app,
        &format!("{settings}/holidays"),
        &w.admin,
        "from=someday",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("First day must be a date like 2026-12-31."),
        "{}",
        r.text
    );
    let holidays = app.get(&w.at("/schedule-exceptions"), Some(&w.admin)).await;
    assert_eq!(
        holidays.body.as_array().unwrap().len(),
        1,
        "{}",
        holidays.text
    );
    let page = app.send(page_get(&settings, &w.admin)).await;
    assert!(page.text.contains("Founders day") && page.text.contains("Wed 25 Nov 2026"));
    let id = holidays.body[0]["id"].as_str().unwrap();
    let r = page_post(
        &app,
        &format!("/clinics/{c}/schedule-exceptions/{id}/remove"),
        &w.admin,
        "",
    )
    .await;
    assert_eq!(location(&r), format!("/clinics/{c}/settings?done=1"));
    assert!(!free(&app, &w, vt, "2026-11-25").await.is_empty());

    let r = page_post(
        &app,
        &format!("/clinics/{c}/visit-types"),
        &w.admin,
        "name=&duration_min=3&price=",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("Settings of") && r.text.contains("The length must be 5 to 480 minutes."),
        "{}",
        r.text
    );
    let r = page_post(&app, &format!("/clinics/{c}/visit-types"), &w.admin, "name=Dressing&duration_min=30&buffer_before_min=0&buffer_after_min=10&price=250.50&mode=in_person").await;
    assert_eq!(location(&r), format!("/clinics/{c}/settings?done=1"));
    let page = app.send(page_get(&settings, &w.admin)).await;
    assert!(
        page.text.contains("Dressing")
            && page
                .text
                .contains("30 min (+0 before, +10 after) · INR 250.50"),
        "{}",
        page.text
    );

    // Doctors and patients have no settings page, nor clinic-wide visit types.
    assert_eq!(
        app.send(page_get(&settings, &w.doctor_token)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.send(page_get(&settings, &w.patient)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = page_post(
        &app,
        &format!("/clinics/{c}/visit-types"),
        &w.doctor_token,
        "name=Sneaky&duration_min=30",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
