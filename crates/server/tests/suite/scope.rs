//! Use cases called without HTTP: a system caller (a job or a provider's webhook) acts in a
//! clinic through `app`, holds only what the policy table gives it, and is named in the
//! audit log without a user.

use crate::backends::each_backend;
use crate::{
    helpers::TestApp,
    world::{book, world},
};
use axum::http::StatusCode;
use docspot_server::{
    app::{
        self,
        scope::{Caller, SystemActor},
    },
    error::AppError,
};

each_backend!(a_webhook_cancels_an_appointment_and_the_audit_names_it_without_a_user);
async fn a_webhook_cancels_an_appointment_and_the_audit_names_it_without_a_user(app: TestApp) {
    let w = world(&app, "sunrise").await;
    let r = book(&app, &w, &w.patient, "2026-11-23T03:30:00Z").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    let id: domain::AppointmentId = r.body["id"].as_str().unwrap().parse().unwrap();
    let clinic_id: domain::ClinicId = w.clinic.parse().unwrap();
    // Past the patient's cancel cutoff: a system caller may still cancel.
    app.advance(jiff::SignedDuration::from_hours(18));

    let clinic = app::clinics::get_clinic(&app.state, clinic_id)
        .await
        .unwrap();
    let actor = SystemActor::Webhook("payments");
    let caller = Caller::system(clinic, actor);
    let ctx = actor.ctx("evt-1");
    let a = app::appointments::cancel(&app.state, &ctx, &caller, id, "payment failed")
        .await
        .unwrap_or_else(|e| panic!("{}: {e:?}", app.backend));
    assert_eq!(a.status, domain::AppointmentStatus::Cancelled);

    let rows = store::audit::recent(app.state.store().conn(), Some(clinic_id), 50)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|e| e.action == "appointment.cancel")
        .expect("a cancel event");
    assert_eq!(row.actor_user_id, None, "{}", app.backend);
    assert_eq!(row.ip, "webhook:payments");
    assert_eq!(row.request_id, "evt-1");
    let detail: serde_json::Value = serde_json::from_str(&row.detail).unwrap();
    assert_eq!(detail["after_cutoff_override"], true, "{detail}");
}

each_backend!(a_job_holds_only_what_the_policy_gives_it);
async fn a_job_holds_only_what_the_policy_gives_it(app: TestApp) {
    let w = world(&app, "sunrise").await;
    let clinic_id: domain::ClinicId = w.clinic.parse().unwrap();
    let clinic = app::clinics::get_clinic(&app.state, clinic_id)
        .await
        .unwrap();
    let actor = SystemActor::Job("appointment.reminder");
    let caller = Caller::system(clinic, actor);
    let ctx = actor.ctx("job-1");
    assert!(caller.me().is_none() && caller.user_id().is_none());
    assert_eq!(caller.system_actor(), Some(actor));
    assert!(caller.roles().is_empty() && !caller.is_staff());
    // Patients' records, the queue and the staff's lists are not a job's.
    let found = app::patients::search_patients(&app.state, &ctx, &caller, "Priya").await;
    assert!(
        matches!(found, Err(AppError::NotFound)),
        "{}: {found:?}",
        app.backend
    );
    let queue = app::queue::get_queue(&app.state, &caller, None).await;
    assert!(matches!(queue, Err(AppError::NotFound)), "{queue:?}");
    assert!(matches!(caller.person(), Err(AppError::Forbidden(_))));
    assert_eq!(
        caller.actor(&ctx).ip,
        "job:appointment.reminder",
        "the audit names the job"
    );
    assert_eq!(caller.actor(&ctx).user, None);
}

each_backend!(the_demo_clinic_is_set_up_through_the_use_cases_as_the_seeder);
async fn the_demo_clinic_is_set_up_through_the_use_cases_as_the_seeder(app: TestApp) {
    let logins = app::demo::seed(&app.state)
        .await
        .unwrap_or_else(|e| panic!("{}: {e:?}", app.backend))
        .expect("an empty install is seeded");
    assert_eq!(logins.len(), 7);
    let again = app::demo::seed(&app.state).await.unwrap();
    assert!(again.is_none(), "{}: seeded once", app.backend);

    let c = app.state.store().conn();
    let clinic = store::clinics::find_by_slug(c, "sunrise")
        .await
        .unwrap()
        .expect("the demo clinic");
    let doctors = store::doctors::list(c, clinic.id, domain::DoctorStatus::Approved, None, 10, 0)
        .await
        .unwrap();
    assert_eq!(doctors.len(), 2, "{}: both doctors approved", app.backend);
    for d in &doctors {
        assert!(
            !store::schedules::hours(c, clinic.id, d.id)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(!d.registration_number.is_empty(), "{d:?}");
    }
    // Each step is the product's own, audited as the seeder: no user, origin `seed:demo`.
    let rows = store::audit::recent(c, Some(clinic.id), 200).await.unwrap();
    for action in [
        "clinic.create",
        "membership.grant",
        "specialty.create",
        "visit_type.create",
        "doctor.update",
        "doctor.approved",
        "hours.set",
    ] {
        let row = rows
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("{}: no {action}", app.backend));
        assert_eq!(
            (row.actor_user_id, row.ip.as_str()),
            (None, "seed:demo"),
            "{action}"
        );
    }
    // The slots are there for a patient to book.
    let r = app
        .get(&format!("/c/sunrise/doctors/{}", doctors[0].id), None)
        .await;
    assert!(
        r.text.contains("/c/sunrise/book?doctor="),
        "{}",
        app.backend
    );
}
