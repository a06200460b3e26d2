//! The e-mails patients and staff get, pinned with insta (subject and text, with tokens,
//! ids and reference codes redacted): one snapshot per e-mail, shared by both databases.

use crate::backends::each_backend;
use crate::{fixtures, helpers::TestApp, pinned, world::book};
use axum::http::StatusCode;
use serde_json::json;

/// The one delivered e-mail to `to` whose subject starts with `subject`.
fn the_mail<'a>(app: &TestApp, mails: &'a [(String, String)], to: &str, subject: &str) -> &'a str {
    let found: Vec<&str> = mails
        .iter()
        .map(|(_, m)| m.as_str())
        .filter(|m| m.contains(&format!("To: {to}")) && pinned::mail_text(m).0.starts_with(subject))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{}: one mail to {to} with subject {subject:?}",
        app.backend
    );
    found[0]
}

each_backend!(a_patient_is_mailed_the_confirmation_the_reminder_and_the_cancellation);
async fn a_patient_is_mailed_the_confirmation_the_reminder_and_the_cancellation(app: TestApp) {
    let w = fixtures::world(&app, "mail").await;
    let to = "pat@mail.test";
    let booked = book(&app, &w, &w.patient, "2026-11-24T03:30:00Z").await; // Tue 09:00 IST
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text);
    let mails = app.deliver_mail().await;
    let confirmation = the_mail(&app, &mails, to, "Appointment confirmed");
    pinned::mail("mail_booking_confirmation", confirmation);

    app.advance(jiff::SignedDuration::from_hours(20)); // Mon 10:30 IST: the 24 h reminder
    let mails = app.deliver_mail().await;
    pinned::mail("mail_reminder", the_mail(&app, &mails, to, "Reminder"));

    let id = booked.body["id"].as_str().unwrap();
    let patient = app.login(to).await.0; // a day later: the first sign-in has expired
    let r = crate::world::cancel(&app, &w, &patient, id, "feeling better").await;
    assert!(r.status.is_success(), "{}: cancel: {}", app.backend, r.text);
    let mails = app.deliver_mail().await;
    let cancelled = the_mail(&app, &mails, to, "Appointment cancelled");
    pinned::mail("mail_cancellation", cancelled);
}

each_backend!(password_resets_and_staff_invitations_are_mailed_as_pinned);
async fn password_resets_and_staff_invitations_are_mailed_as_pinned(app: TestApp) {
    let w = fixtures::world(&app, "letters").await;
    let r = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "pat@letters.test"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let r = app
        .invite(&w.clinic, &w.admin, "nurse@letters.test", "receptionist")
        .await;
    assert!(r.status.is_success(), "{}: invite: {}", app.backend, r.text);
    let mails = app.deliver_mail().await;
    let reset = the_mail(
        &app,
        &mails,
        "pat@letters.test",
        "Reset your DocSpot password",
    );
    pinned::mail("mail_password_reset", reset);
    let invite = the_mail(&app, &mails, "nurse@letters.test", "You are invited");
    pinned::mail("mail_staff_invite", invite);
}
