//! What patients are told about their appointments: confirmation (with an `.ics`), change
//! and cancellation notices, and reminders 24 h and 2 h before. Bodies carry no clinical
//! details: only time, place (the clinic's address and phone, when it gave them), doctor,
//! reference and links. Times are in the clinic's zone, with the zone named.

use super::{local_time::zone_named, mail};
use crate::{
    error::{AppError, AppResult},
    jobs::{Job, reminder::Reminder},
    state::AppState,
};
use domain::AppointmentStatus;
use jiff::{SignedDuration, Timestamp};
use store::{Conn, appointments::Appointment, clinics::Clinic, jobs, links, new_token, token_hash};

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
                "{}/appointments/cancel?token={token}",
                state.settings().public_url
            ),
            token_hash: token_hash(&token),
            clinic: a.clinic_id,
            target: a.id.as_uuid(),
            expires: a.start,
        }
    }

    async fn store<C: Conn>(&self, c: &C, now: Timestamp) -> AppResult<()> {
        links::insert_link(
            c,
            self.clinic,
            CANCEL_PURPOSE,
            self.target,
            &self.token_hash,
            now,
            self.expires,
        )
        .await?;
        Ok(())
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
    link.store(c, now).await?;
    Ok(link.url)
}

/// Where to go: the clinic's name, and its address when it has given one.
fn place(clinic: &Clinic) -> String {
    match clinic.details.address() {
        "" => clinic.name.clone(),
        address => format!("{}, {address}", clinic.name),
    }
}

fn details(clinic: &Clinic, a: &Appointment) -> String {
    let phone = clinic
        .details
        .phone()
        .map(|p| format!("Phone:     {}\n", p.as_str()))
        .unwrap_or_default();
    format!(
        "When:      {}\nDoctor:    {}\nVisit:     {}\nWhere:     {}\n{phone}Reference: {}\n",
        local_time(&clinic.time_zone, a.start),
        a.doctor_name,
        a.visit_type_name,
        place(clinic),
        a.ref_code
    )
}

fn ics_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds content lines at 75 octets, as RFC 5545 asks.
fn ics_fold(line: &str) -> String {
    let mut out = String::new();
    let mut used = 0;
    for ch in line.chars() {
        if used + ch.len_utf8() > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(ch);
        used += ch.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// A calendar entry for `a`; `cancelled` withdraws it.
pub fn ics(clinic: &Clinic, a: &Appointment, now: Timestamp, cancelled: bool) -> String {
    let utc = |t: Timestamp| t.strftime("%Y%m%dT%H%M%SZ").to_string();
    let (method, status, seq) = if cancelled {
        ("CANCEL", "CANCELLED", 1)
    } else {
        ("PUBLISH", "CONFIRMED", 0)
    };
    let geo = clinic
        .details
        .location()
        .map(|p| format!("GEO:{};{}", p.latitude_text(), p.longitude_text()));
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".into(),
        "PRODID:-//DocSpot//Appointments//EN".into(),
        format!("METHOD:{method}"),
        "BEGIN:VEVENT".into(),
        format!("UID:{}@docspot", a.id),
        format!("SEQUENCE:{seq}"),
        format!("DTSTAMP:{}", utc(now)),
        format!("DTSTART:{}", utc(a.start)),
        format!("DTEND:{}", utc(a.end)),
        format!(
            "SUMMARY:{}",
            ics_escape(&format!("{} with {}", a.visit_type_name, a.doctor_name))
        ),
        format!("LOCATION:{}", ics_escape(&place(clinic))),
    ]
    .into_iter()
    .chain(geo)
    .chain([
        format!(
            "DESCRIPTION:{}",
            ics_escape(&format!("Reference {}", a.ref_code))
        ),
        format!("STATUS:{status}"),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ]);
    lines.map(|l| ics_fold(&l)).collect()
}

/// What a booking sends: reminder and e-mail jobs and a cancel link, rendered before the
/// booking's transaction so that the transaction only writes them.
pub struct Outbox {
    jobs: Vec<jobs::NewJob>,
    link: Option<CancelLink>,
}

impl Outbox {
    /// Writes the jobs (one statement) and the link token in the caller's transaction.
    pub async fn write<C: Conn>(&self, c: &C, now: Timestamp) -> AppResult<()> {
        jobs::enqueue_all(c, &self.jobs, now).await?;
        if let Some(link) = &self.link {
            link.store(c, now).await?;
        }
        Ok(())
    }
}

fn reminders(a: &Appointment, now: Timestamp) -> AppResult<Vec<jobs::NewJob>> {
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

/// After a booking (or a rescheduled one): confirmation or request-received e-mail, with
/// a cancel link, and the reminders.
pub fn booked_outbox(
    state: &AppState,
    clinic: &Clinic,
    a: &Appointment,
    previous: Option<&Appointment>,
    now: Timestamp,
) -> AppResult<Outbox> {
    let mut out = Outbox {
        jobs: reminders(a, now)?,
        link: None,
    };
    let Some(to) = a.patient_email.as_deref() else {
        return Ok(out);
    };
    let link = CancelLink::new(state, a);
    let manage = format!("{}/appointments", state.settings().public_url);
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
    out.jobs.push(mail::job(Some(a.clinic_id), &email, now)?);
    out.link = Some(link);
    Ok(out)
}

/// `booked_outbox`, written in the caller's transaction.
pub async fn booked<C: Conn>(
    state: &AppState,
    c: &C,
    clinic: &Clinic,
    a: &Appointment,
    previous: Option<&Appointment>,
    now: Timestamp,
) -> AppResult<()> {
    booked_outbox(state, clinic, a, previous, now)?
        .write(c, now)
        .await
}

/// After staff approve a pending request: the confirmation with its calendar entry.
pub async fn approved<C: Conn>(
    state: &AppState,
    c: &C,
    clinic: &Clinic,
    a: &Appointment,
    now: Timestamp,
) -> AppResult<()> {
    let Some(to) = a.patient_email.as_deref() else {
        return Ok(());
    };
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
    mail::enqueue(c, Some(a.clinic_id), &email, now).await
}

/// After a cancellation (`moved` when it was replaced by a new time): the reminders and
/// links go; a notice goes out unless the move's own e-mail covers it.
pub async fn cancelled<C: Conn>(
    state: &AppState,
    c: &C,
    clinic: &Clinic,
    a: &Appointment,
    moved: bool,
    now: Timestamp,
) -> AppResult<()> {
    jobs::drop_queued(c, &dedupe_keys(a)).await?;
    links::use_links(c, a.id.as_uuid(), now).await?;
    if moved {
        return Ok(());
    }
    let Some(to) = a.patient_email.as_deref() else {
        return Ok(());
    };
    let body = format!(
        "Hello {},\n\nYour appointment at {} has been cancelled.\n\n{}\nBook again: {}/c/{}\n",
        a.patient_name,
        clinic.name,
        details(clinic, a),
        state.settings().public_url,
        clinic.slug
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
    mail::enqueue(c, Some(a.clinic_id), &email, now).await
}

/// The reminder e-mail a reminder job should send now, if the appointment still stands.
pub async fn reminder(
    state: &AppState,
    id: domain::AppointmentId,
) -> AppResult<Option<mail::Email>> {
    let c = state.store().conn();
    let a = store::appointments::find_any(c, id).await?;
    let Some(a) = a.filter(|a| a.status == AppointmentStatus::Booked) else {
        return Ok(None);
    };
    let Some(to) = a.patient_email.clone() else {
        return Ok(None);
    };
    let clinic = store::clinics::find(c, a.clinic_id)
        .await?
        .ok_or_else(|| AppError::Internal("clinic gone".into()))?;
    let now = state.now();
    let link = cancel_link(state, c, &a, now).await?;
    Ok(Some(mail::Email::text(
        &to,
        format!("Reminder: {}", local_time(&clinic.time_zone, a.start)),
        format!(
            "Hello {},\n\nThis is a reminder of your appointment at {}.\n\n{}\nCannot come? Cancel here: {link}\n",
            a.patient_name,
            clinic.name,
            details(&clinic, &a)
        ),
    )))
}

#[cfg(test)]
mod tests {
    use super::ics_fold;

    #[test]
    fn long_calendar_lines_fold_at_75_octets() {
        let folded = ics_fold(&format!("SUMMARY:{}", "é".repeat(60)));
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert_eq!(
            folded.replace("\r\n ", ""),
            format!("SUMMARY:{}\r\n", "é".repeat(60))
        );
    }
}
