//! Domain events: each write records its event in its own transaction, and each subscriber
//! gets exactly one job per event, also with two workers and a worker that dies after
//! sending and before it commits.

use crate::backends::each_backend;
use crate::{
    consultations::kavya_in_queue,
    fakes::SmtpFake,
    helpers::TestApp,
    world::{World, book, desk, world},
};
use axum::http::StatusCode;
use docspot_server::{jobs, notify::MailSender};
use serde_json::{Value, json};
use std::time::Duration;

/// The clinic's events, oldest first, as (kind, body).
async fn recorded(app: &TestApp, w: &World) -> Vec<(String, Value)> {
    let clinic: domain::ClinicId = w.clinic.parse().unwrap();
    let since = jiff::Timestamp::UNIX_EPOCH;
    store::events::of_clinic(app.state.store().conn(), clinic, since, 500)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let body = serde_json::to_value(&r.event).unwrap();
            (r.event.kind().to_owned(), body)
        })
        .collect()
}

fn kinds(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(k, _)| k.as_str()).collect()
}

/// Queued jobs' (kind, dedupe key), in key order.
async fn keyed_jobs(app: &TestApp) -> Vec<(String, Option<String>)> {
    let c = app.state.store().conn();
    let mut out: Vec<(String, Option<String>)> = store::jobs::in_status(c, "queued", 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.kind, j.dedupe_key))
        .collect();
    out.sort();
    out
}

each_backend!(a_booking_records_its_event_and_its_subscribers_jobs_in_one_transaction);
async fn a_booking_records_its_event_and_its_subscribers_jobs_in_one_transaction(app: TestApp) {
    let w = world(&app, "ev-book").await;
    let before = recorded(&app, &w).await.len();
    let r = book(&app, &w, &w.patient, "2026-11-24T03:30:00Z").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let events = recorded(&app, &w).await;
    let (kind, body) = events.last().unwrap();
    assert_eq!(
        kinds(&events[before..]),
        ["patient.registered", "appointment.booked"],
        "{}: the patient's first booking registers them",
        app.backend
    );
    assert_eq!(kind, "appointment.booked");
    assert_eq!(body["appointment"], id.as_str());
    assert_eq!(body["doctor"], w.doctor.as_str());
    assert_eq!(body["start"], "2026-11-24T03:30:00Z");
    assert_eq!(body["pending"], false);

    // The e-mail is keyed to the event; the reminders to the appointment.
    let rows = store::events::of_subject(
        app.state.store().conn(),
        w.clinic.parse().unwrap(),
        id.parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    let jobs = keyed_jobs(&app).await;
    assert!(
        jobs.contains(&("email".into(), Some(format!("email:{}", rows[0].id)))),
        "{}: {jobs:?}",
        app.backend
    );
    for which in ["24h", "2h"] {
        let key = format!("reminder:{id}:{which}");
        assert!(jobs.contains(&("appointment.reminder".into(), Some(key))));
    }

    // A refused booking (the same slot) records nothing and queues nothing.
    let queued = jobs.len();
    let r = book(&app, &w, &w.patient, "2026-11-24T03:30:00Z").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(recorded(&app, &w).await.len(), before + 2);
    assert_eq!(keyed_jobs(&app).await.len(), queued);
    app.deliver_mail().await;
}

each_backend!(each_change_of_an_appointment_records_what_happened);
async fn each_change_of_an_appointment_records_what_happened(app: TestApp) {
    let w = world(&app, "ev-life").await;
    app.deliver_mail().await;
    // Patient books, reschedules, cancels.
    let a = book(&app, &w, &w.patient, "2026-11-24T03:30:00Z").await;
    let old = a.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &w.at(&format!("/appointments/{old}/reschedule")),
            Some(&w.patient),
            json!({"start": "2026-11-24T03:50:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}: {}", app.backend, r.text);
    let new = r.body["id"].as_str().unwrap().to_owned();
    let r = crate::world::cancel(&app, &w, &w.patient, &new, "feeling better").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The desk books a walk-in for today, who arrives.
    let r = app
        .post(
            &w.at("/appointments"),
            Some(&w.admin),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": "2026-11-22T10:50:00Z", "new_patient": {"name": "Walk In"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let walk_in = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &w.at(&format!("/appointments/{walk_in}/arrive")),
            Some(&w.admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &w.at(&format!("/appointments/{walk_in}/complete")),
            Some(&w.doctor_token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let events = recorded(&app, &w).await;
    assert_eq!(
        kinds(&events),
        [
            "patient.registered",
            "appointment.booked",
            "appointment.rescheduled",
            "appointment.cancelled",
            "patient.registered",
            "appointment.booked",
            "appointment.arrived",
            "token.issued",
            "appointment.completed",
        ],
        "{}",
        app.backend
    );
    let moved = &events[2].1;
    assert_eq!(
        (moved["appointment"].as_str(), moved["previous"].as_str()),
        (Some(new.as_str()), Some(old.as_str()))
    );
    assert_eq!(moved["previous_start"], "2026-11-24T03:30:00Z");
    assert_eq!(events[3].1["by"], "patient");
    assert_eq!(events[7].1["appointment"], walk_in.as_str());
    // One e-mail job per e-mailing event, each keyed to its event.
    let emails: Vec<_> = keyed_jobs(&app)
        .await
        .into_iter()
        .filter(|(k, _)| k == "email")
        .collect();
    assert_eq!(emails.len(), 3, "{}: {emails:?}", app.backend);
    assert!(
        emails
            .iter()
            .all(|(_, key)| key.as_deref().is_some_and(|k| k.starts_with("email:")))
    );
    // Cancelling took the reminders back.
    let reminders = store::jobs::queued_of_kind(app.state.store().conn(), "appointment.reminder")
        .await
        .unwrap();
    assert!(reminders.is_empty(), "{}: {reminders:?}", app.backend);
    app.deliver_mail().await;
}

each_backend!(the_queue_and_the_consultation_record_their_events);
async fn the_queue_and_the_consultation_record_their_events(app: TestApp) {
    let w = world(&app, "ev-queue").await;
    let desk = desk(&app, &w, "ev-queue").await;
    let (patient, _, token) = kavya_in_queue(&app, &w, &desk, "ev-queue").await;
    let doc = &w.doctor_token;
    let next = format!("/queue/doctors/{}/call-next", w.doctor);
    let r = app.post(&w.at(&next), Some(doc), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{token}/consultation")),
            Some(doc),
            json!({}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let consultation = r.body["id"].as_str().unwrap().to_owned();
    let version = r.body["version"].as_i64().unwrap();
    let r = app
        .post(
            &w.at(&format!("/consultations/{consultation}/sign")),
            Some(doc),
            json!({"version": version}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let events = recorded(&app, &w).await;
    assert_eq!(
        kinds(&events),
        [
            "patient.registered",
            "token.issued",
            "token.called",
            "consultation.signed"
        ],
        "{}",
        app.backend
    );
    assert!(events.iter().all(|(_, b)| b["patient"] == patient.as_str()));
    assert_eq!(events[1].1["token"], token.as_str());
    assert_eq!(events[2].1["number"], 1);
    assert_eq!(events[3].1["consultation"], consultation.as_str());
    // The log is append-only.
    let c = app.state.store().conn();
    let err = app
        .state
        .store()
        .execute_unprepared("DELETE FROM events")
        .await;
    assert!(err.is_err(), "{}: events cannot be deleted", app.backend);
    assert_eq!(
        store::events::of_clinic(
            c,
            w.clinic.parse().unwrap(),
            jiff::Timestamp::UNIX_EPOCH,
            10
        )
        .await
        .unwrap()
        .len(),
        4
    );
    app.deliver_mail().await;
}

/// Sends, then never returns: a worker that dies after the provider took the message and
/// before its own commit.
struct DiesAfterSending<'a>(&'a dyn MailSender);

impl MailSender for DiesAfterSending<'_> {
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a docspot_server::app::mail::Email,
        message_id: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<(), docspot_server::notify::MailError>> {
        Box::pin(async move {
            self.0.send(from, email, message_id).await?;
            std::future::pending().await
        })
    }
}

fn message_id(data: &str) -> String {
    data.lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap_or_default()
        .to_owned()
}

each_backend!(
    two_workers_send_each_events_mail_once_and_a_resend_after_a_crash_keeps_its_message_id
);
async fn two_workers_send_each_events_mail_once_and_a_resend_after_a_crash_keeps_its_message_id(
    app: TestApp,
) {
    let sink = SmtpFake::start().await;
    let mailer = sink.mailer();
    let w = world(&app, "ev-once").await;
    app.deliver_mail().await;
    for start in [
        "2026-11-24T03:30:00Z",
        "2026-11-24T03:50:00Z",
        "2026-11-24T04:10:00Z",
    ] {
        let r = book(&app, &w, &w.patient, start).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    // Two workers (two instances on one database) drain the queue together.
    let other = app.second_instance().await;
    let (a, b) = tokio::join!(
        jobs::run_jobs(&app.state, &mailer),
        jobs::run_jobs(&other.state, &mailer)
    );
    // Each booking's e-mail, and its web push (which finds no device of the patient's).
    assert_eq!(
        a.unwrap() + b.unwrap(),
        6,
        "{}: three e-mail and three push jobs ran",
        app.backend
    );
    let got = sink.received();
    assert_eq!(got.len(), 3, "{}: one message per booking", app.backend);
    let mut ids: Vec<String> = got.iter().map(|m| message_id(&m.data)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{}: {ids:?}", app.backend);

    // A worker sends the cancellation notice and dies before its commit.
    let id = {
        let r = app.get("/api/v1/me/appointments", Some(&w.patient)).await;
        r.body[0]["id"].as_str().unwrap().to_owned()
    };
    let r = crate::world::cancel(&app, &w, &w.patient, &id, "away").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The cancellation queued its e-mail and its push at the same time, which a worker
    // takes in either order: it may run the push first, then hangs after sending the mail.
    let dying = DiesAfterSending(&mailer);
    let mut pushes_done = 0;
    loop {
        let run = tokio::time::timeout(
            Duration::from_millis(500),
            jobs::run_once(&app.state, &dying),
        );
        match run.await {
            Err(_) => break, // hangs after sending
            Ok(ran) => {
                assert!(ran.unwrap(), "a job ran");
                pushes_done += 1;
                assert!(pushes_done <= 1, "only the push runs before the mail");
            }
        }
    }
    assert_eq!(sink.received().len(), 4);
    // Nothing runs it again while its lease holds (only the cancellation's push runs, if
    // the dying worker left it); after that it is sent once more, as the same message.
    assert_eq!(
        jobs::run_jobs(&other.state, &mailer).await.unwrap(),
        1 - pushes_done
    );
    assert_eq!(sink.received().len(), 4);
    app.advance(jiff::SignedDuration::from_mins(6));
    assert_eq!(jobs::run_jobs(&other.state, &mailer).await.unwrap(), 1);
    let got = sink.received();
    assert_eq!(got.len(), 5, "{}", app.backend);
    assert_eq!(message_id(&got[3].data), message_id(&got[4].data));
    assert!(
        got[4].data.contains("Subject: Appointment cancelled"),
        "{}",
        got[4].data
    );
    // The resent job is done; nothing is left.
    assert_eq!(jobs::run_jobs(&app.state, &mailer).await.unwrap(), 0);
}
