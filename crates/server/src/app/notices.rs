//! What patients are told about their appointments: confirmation (with an `.ics`), change
//! and cancellation notices, and reminders 24 h and 2 h before. Bodies carry no clinical
//! details: only time, place (the clinic's address and phone, when it gave them), doctor,
//! reference and links. Times are in the clinic's zone, with the zone named.

use super::{
    calendar::{details, ics},
    events::{Recording, Subscriber},
    local_time::zone_named,
    mail, messages,
    policy::Capability,
    scope::Caller,
    visit_charges,
};
use crate::routes;
use crate::{
    error::AppResult,
    jobs::{Job, reminder::Reminder},
    state::AppState,
};
use domain::{
    AppointmentStatus, Event, EventId, UserId, events::CancelledBy, preferences::Channel,
};
use jiff::{SignedDuration, Timestamp};
use store::{
    Batch, Conn, Rows, appointments::Appointment, clinics::Clinic, jobs, links, new_token,
    token_hash,
};

/// Link tokens that cancel an appointment.
pub const CANCEL_PURPOSE: &str = "appointment.cancel";

/// When reminders go out, before the start.
const REMINDERS: [(&str, SignedDuration); 2] = [
    ("24h", SignedDuration::from_hours(24)),
    ("2h", SignedDuration::from_hours(2)),
];

/// `Tue 24 Nov 2026, 10:30 (Asia/Kolkata)`: an instant in the named zone, zone included.
pub fn local_time(time_zone: &str, t: Timestamp) -> String {
    format!(
        "{} ({time_zone})",
        t.to_zoned(zone_named(time_zone))
            .strftime("%a %-d %b %Y, %H:%M"),
    )
}

fn dedupe_keys(a: &Appointment) -> Vec<String> {
    REMINDERS
        .iter()
        .map(|(label, _)| format!("reminder:{}:{label}", a.id))
        .collect()
}

/// The queued reminders of `a` on every channel, by key.
fn all_reminder_keys(a: &Appointment) -> Vec<String> {
    let mut keys = dedupe_keys(a);
    for (label, _) in REMINDERS {
        for channel in [Channel::Sms, Channel::Whatsapp, Channel::Push] {
            keys.push(messages::reminder_key(channel, a, label));
        }
    }
    keys
}

/// A cancel link for `a`, valid until it starts, before its token is stored.
struct CancelLink {
    url: String,
    token_hash: String,
    clinic: domain::ClinicId,
    target: uuid::Uuid,
    expires: Timestamp,
}

impl CancelLink {
    fn new(state: &AppState, a: &Appointment) -> Self {
        let token = new_token();
        CancelLink {
            url: format!(
                "{}{}?token={token}",
                state.settings().public_url,
                routes::cancel_by_link()
            ),
            token_hash: token_hash(&token),
            clinic: a.clinic_id,
            target: a.id.as_uuid(),
            expires: a.start,
        }
    }

    fn add_to(&self, b: &mut Batch, now: Timestamp) {
        links::insert_link_into(
            b,
            self.clinic,
            CANCEL_PURPOSE,
            self.target,
            &self.token_hash,
            now,
            self.expires,
        );
    }
}

/// A fresh cancel link for `a`, valid until it starts.
async fn cancel_link<C: Conn>(
    state: &AppState,
    c: &C,
    a: &Appointment,
    now: Timestamp,
) -> AppResult<String> {
    let link = CancelLink::new(state, a);
    let mut b = Batch::on(c);
    link.add_to(&mut b, now);
    b.run(c).await?;
    Ok(link.url)
}

/// What a booking (or a rescheduled one) sends: its event with the e-mail and reminder
/// jobs its subscribers get, and the cancel link the e-mail carries. Rendered before the
/// booking's transaction so that the transaction only writes them.
pub struct Outbox {
    recording: Recording,
    link: Option<CancelLink>,
    /// The appointment a reschedule replaces: its reminders and links go.
    previous: Option<Appointment>,
}

impl Outbox {
    /// Writes the event, its jobs and the link token in the caller's transaction.
    pub async fn write<C: Conn>(&self, c: &C, now: Timestamp) -> AppResult<EventId> {
        let mut b = Batch::on(c);
        self.add_to(&mut b, now)?;
        let rows = b.run(c).await?;
        self.fan_out(c, &rows, now).await
    }

    /// Adds to `b` what a reschedule takes back, the event, its jobs and the link token;
    /// once `b` has run, [`Outbox::fan_out`] takes its rows.
    pub fn add_to(&self, b: &mut Batch, now: Timestamp) -> AppResult<()> {
        if let Some(old) = &self.previous {
            withdraw_into(b, old, now);
        }
        self.recording.add_to(b, now)?;
        if let Some(link) = &self.link {
            link.add_to(b, now);
        }
        Ok(())
    }

    /// The event's webhook deliveries, once the batch [`Outbox::add_to`] added to has run.
    pub async fn fan_out<C: Conn>(&self, c: &C, rows: &Rows, now: Timestamp) -> AppResult<EventId> {
        self.recording.fan_out(c, rows, now).await
    }
}

/// Adds to `b` the taking back of what still waits for `a`: its queued reminders and its
/// cancel links.
fn withdraw_into(b: &mut Batch, a: &Appointment, now: Timestamp) {
    jobs::drop_queued_into(b, &all_reminder_keys(a));
    links::use_links_into(b, a.id.as_uuid(), now);
}

fn reminders(a: &Appointment, now: Timestamp) -> AppResult<Vec<jobs::NewJob>> {
    // Keyed per appointment, not per event: a cancellation takes them back by key.
    REMINDERS
        .iter()
        .zip(dedupe_keys(a))
        .filter(|((_, before), _)| a.start - *before > now)
        .map(|((label, before), key)| {
            let reminder = Reminder {
                appointment: a.id,
                which: (*label).to_owned(),
            };
            Ok(jobs::NewJob {
                dedupe_key: Some(key),
                ..reminder.new_job(Some(a.clinic_id), a.start - *before)?
            })
        })
        .collect()
}

/// After a booking (or a rescheduled one, `previous`): its event, the confirmation or
/// request-received e-mail with a cancel link, the reminders, and the visit type's
/// `deposit` (a rescheduled visit moves its deposit itself).
pub fn booked_outbox(
    state: &AppState,
    clinic: &Clinic,
    a: &Appointment,
    previous: Option<&Appointment>,
    deposit: i64,
    actor: Option<UserId>,
    now: Timestamp,
) -> AppResult<Outbox> {
    let event = match previous {
        Some(old) => Event::AppointmentRescheduled {
            appointment: a.id,
            previous: old.id,
            doctor: a.doctor_id,
            patient: a.patient_id,
            start: a.start,
            previous_start: old.start,
        },
        None => Event::AppointmentBooked {
            appointment: a.id,
            doctor: a.doctor_id,
            patient: a.patient_id,
            start: a.start,
            pending: a.status == AppointmentStatus::Pending,
        },
    };
    let mut out = Outbox {
        recording: Recording::new(a.clinic_id, actor, event),
        link: None,
        previous: previous.cloned(),
    };
    for job in reminders(a, now)? {
        out.recording.then(Subscriber::Reminders, job);
    }
    visit_charges::on_booked(&mut out.recording, a, deposit, now)?;
    let kind = match (previous, a.status) {
        (Some(_), _) => "appointment.rescheduled",
        (None, AppointmentStatus::Pending) => "appointment.requested",
        (None, _) => "appointment.booked",
    };
    messages::then_text(state, &mut out.recording, clinic, a, kind, now)?;
    for job in messages::reminders(state, clinic, a, &REMINDERS, now)? {
        // Keyed per appointment, by channel.
        out.recording.then(Subscriber::Reminders, job);
    }
    let Some(to) = a.patient_email.as_deref() else {
        return Ok(out);
    };
    let link = CancelLink::new(state, a);
    let manage = format!(
        "{}{}",
        state.settings().public_url,
        routes::my_appointments()
    );
    let (subject, opening) = match (previous, a.status) {
        (Some(p), _) => (
            format!(
                "Appointment moved: {}",
                local_time(&clinic.time_zone, a.start)
            ),
            format!(
                "Your appointment at {} has moved from {} to the time below.",
                clinic.name,
                local_time(&clinic.time_zone, p.start)
            ),
        ),
        (None, AppointmentStatus::Pending) => (
            format!(
                "Appointment requested: {}",
                local_time(&clinic.time_zone, a.start)
            ),
            format!(
                "{} has received your request. The time is held for you; we will e-mail you when staff confirm it.",
                clinic.name
            ),
        ),
        (None, _) => (
            format!(
                "Appointment confirmed: {}",
                local_time(&clinic.time_zone, a.start)
            ),
            format!("Your appointment at {} is confirmed.", clinic.name),
        ),
    };
    let body = format!(
        "Hello {},\n\n{opening}\n\n{}\nSee or change your appointments: {manage}\nCannot come? Cancel here: {}\n",
        a.patient_name,
        details(clinic, a),
        link.url
    );
    let mut email = mail::Email::text(to, subject, body);
    if a.status == AppointmentStatus::Booked {
        email.ics = Some(ics(clinic, a, now, false));
    }
    out.recording.then(
        Subscriber::Email,
        mail::job(Some(a.clinic_id), &email, now)?,
    );
    out.link = Some(link);
    Ok(out)
}

/// `booked_outbox`, written in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn booked<C: Conn>(
    state: &AppState,
    c: &C,
    clinic: &Clinic,
    a: &Appointment,
    previous: Option<&Appointment>,
    deposit: i64,
    actor: Option<UserId>,
    now: Timestamp,
) -> AppResult<EventId> {
    booked_outbox(state, clinic, a, previous, deposit, actor, now)?
        .write(c, now)
        .await
}

/// After staff approve a pending request: its event, and the confirmation with its
/// calendar entry.
pub async fn approved<C: Conn>(
    state: &AppState,
    c: &C,
    clinic: &Clinic,
    a: &Appointment,
    actor: Option<UserId>,
    now: Timestamp,
) -> AppResult<EventId> {
    let mut rec = Recording::new(
        a.clinic_id,
        actor,
        Event::AppointmentApproved {
            appointment: a.id,
            doctor: a.doctor_id,
            patient: a.patient_id,
            start: a.start,
        },
    );
    if let Some(to) = a.patient_email.as_deref() {
        let link = cancel_link(state, c, a, now).await?;
        let body = format!(
            "Hello {},\n\n{} has confirmed your appointment.\n\n{}\nCannot come? Cancel here: {link}\n",
            a.patient_name,
            clinic.name,
            details(clinic, a)
        );
        let mut email = mail::Email::text(
            to,
            format!(
                "Appointment confirmed: {}",
                local_time(&clinic.time_zone, a.start)
            ),
            body,
        );
        email.ics = Some(ics(clinic, a, now, false));
        rec.then(
            Subscriber::Email,
            mail::job(Some(a.clinic_id), &email, now)?,
        );
    }
    messages::then_text(state, &mut rec, clinic, a, "appointment.approved", now)?;
    rec.write(c, now).await
}

/// After a cancellation: its event; the reminders and links go; the patient is told; a
/// late one is billed the clinic's fee.
pub async fn cancelled<C: Conn>(
    state: &AppState,
    c: &C,
    clinic: &Clinic,
    a: &Appointment,
    by: CancelledBy,
    actor: Option<UserId>,
    now: Timestamp,
) -> AppResult<EventId> {
    let mut b = Batch::on(c);
    withdraw_into(&mut b, a, now);
    let mut rec = Recording::new(
        a.clinic_id,
        actor,
        Event::AppointmentCancelled {
            appointment: a.id,
            doctor: a.doctor_id,
            patient: a.patient_id,
            start: a.start,
            by,
        },
    );
    if let Some(to) = a.patient_email.as_deref() {
        let body = format!(
            "Hello {},\n\nYour appointment at {} has been cancelled.\n\n{}\nBook again: {}{}\n",
            a.patient_name,
            clinic.name,
            details(clinic, a),
            state.settings().public_url,
            routes::clinic_page(&clinic.slug)
        );
        let mut email = mail::Email::text(
            to,
            format!(
                "Appointment cancelled: {}",
                local_time(&clinic.time_zone, a.start)
            ),
            body,
        );
        email.ics = Some(ics(clinic, a, now, true));
        rec.then(
            Subscriber::Email,
            mail::job(Some(a.clinic_id), &email, now)?,
        );
    }
    visit_charges::on_cancelled(c, &mut rec, a, by, now).await?;
    messages::then_text(state, &mut rec, clinic, a, "appointment.cancelled", now)?;
    rec.add_to(&mut b, now)?;
    let rows = b.run(c).await?;
    rec.fan_out(c, &rows, now).await
}

/// The reminder e-mail a reminder job (`caller`, acting in the appointment's clinic) should
/// send now, if the appointment still stands.
pub async fn reminder(
    state: &AppState,
    caller: &Caller,
    id: domain::AppointmentId,
) -> AppResult<Option<mail::Email>> {
    caller.require(Capability::ReadAppointments)?;
    let c = state.store().conn();
    let a = store::appointments::find(c, caller.clinic_id(), id).await?;
    let Some(a) = a.filter(|a| a.status == AppointmentStatus::Booked) else {
        return Ok(None);
    };
    let Some(to) = a.patient_email.clone() else {
        return Ok(None);
    };
    let clinic = caller.clinic();
    let now = state.now();
    let link = cancel_link(state, c, &a, now).await?;
    Ok(Some(mail::Email::text(
        &to,
        format!("Reminder: {}", local_time(&clinic.time_zone, a.start)),
        format!(
            "Hello {},\n\nThis is a reminder of your appointment at {}.\n\n{}\nCannot come? Cancel here: {link}\n",
            a.patient_name,
            clinic.name,
            details(clinic, &a)
        ),
    )))
}
