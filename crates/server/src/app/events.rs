//! Domain events and who reacts to them. A use case records its event in the transaction of
//! the change; the event's subscribers get their jobs in the same transaction, one per
//! subscriber and event under the dedupe key `{subscriber}:{event id}`, so a crash loses
//! none and nothing runs twice for one event. Two workers never hold one job (claims are
//! leased); a job that crashes after sending and before its commit is sent again under the
//! same message id (the job's), for the receiving side to recognise.
//!
//! | event | e-mail | reminders | billing | SMS and push |
//! |---|---|---|---|---|
//! | `appointment.booked` | confirmation, or "request received" | 24 h and 2 h before | the visit type's deposit | the same, and reminders |
//! | `appointment.rescheduled` | "moved", with the new time | the old ones go; new ones | (the deposit moves with it) | "moved", new reminders |
//! | `appointment.approved` | confirmation | (set at booking) | — | confirmation |
//! | `appointment.cancelled` | "cancelled" | the queued ones go | late fee, or an unpaid deposit voided | "cancelled" |
//! | `appointment.noshow` | — | — | no-show fee | — |
//! | `token.called` | — | — | — | "your turn" |
//! | `appointment.arrived`, `.completed`, `token.issued`, `consultation.signed`, `patient.registered` | — | — | — | — |
//!
//! Every event also goes to the clinic's webhook endpoints that want its kind
//! (`super::webhooks`), one delivery each, written here too.

use crate::error::AppResult;
use domain::{ClinicId, Event, EventId, UserId};
use jiff::Timestamp;
use store::{Batch, Conn, Rows, jobs::NewJob};

/// Who reacts to events; each has one job per event it reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscriber {
    /// The patient's e-mail.
    Email,
    /// Reminders before a visit (keyed per appointment: a cancellation takes them back).
    Reminders,
    /// A visit's own charges: its booking deposit, late-cancellation and no-show fees.
    Billing,
    /// The patient's texts (SMS), when the install has a provider and they a number.
    Sms,
    /// Web push to the patient's devices, when they have an account.
    Push,
    /// WhatsApp, when the install has it and the patient said yes to it.
    Whatsapp,
}

impl Subscriber {
    /// The name in dedupe keys.
    pub fn name(self) -> &'static str {
        match self {
            Subscriber::Email => "email",
            Subscriber::Reminders => "reminders",
            Subscriber::Billing => "billing",
            Subscriber::Sms => "sms",
            Subscriber::Push => "push",
            Subscriber::Whatsapp => "whatsapp",
        }
    }
}

/// An event about to be recorded, with its subscribers' jobs.
#[derive(Debug)]
pub struct Recording {
    id: EventId,
    clinic: ClinicId,
    actor: Option<UserId>,
    event: Event,
    jobs: Vec<NewJob>,
}

impl Recording {
    /// `event` in `clinic`, caused by `actor` (`None`: a system actor or an e-mailed link).
    pub fn new(clinic: ClinicId, actor: Option<UserId>, event: Event) -> Self {
        Recording {
            id: EventId::new(),
            clinic,
            actor,
            event,
            jobs: Vec::new(),
        }
    }

    /// The event's id.
    pub fn id(&self) -> EventId {
        self.id
    }

    /// What happened.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// Adds `subscriber`'s job for this event, keyed `{subscriber}:{event id}` unless the
    /// job keeps a key of its own (a reminder's is per appointment).
    pub fn then(&mut self, subscriber: Subscriber, mut job: NewJob) {
        if job.dedupe_key.is_none() {
            job.dedupe_key = Some(dedupe_key(subscriber, self.id));
        }
        self.jobs.push(job);
    }

    /// Writes the event, its jobs and its webhook deliveries in the caller's transaction.
    pub async fn write<C: Conn>(&self, c: &C, now: Timestamp) -> AppResult<EventId> {
        let mut b = Batch::on(c);
        self.add_to(&mut b, now)?;
        let rows = b.run(c).await?;
        self.fan_out(c, &rows, now).await
    }

    /// Adds the event and its jobs to `b`; once `b` has run, [`Recording::fan_out`] takes
    /// its rows.
    pub fn add_to(&self, b: &mut Batch, now: Timestamp) -> AppResult<()> {
        store::events::record_into(
            b,
            self.id,
            self.clinic,
            self.actor,
            &self.event,
            &self.jobs,
            now,
        )?;
        Ok(())
    }

    /// Writes the event's webhook deliveries, to the endpoints read by the batch it was
    /// added to (`rows`).
    pub async fn fan_out<C: Conn>(&self, c: &C, rows: &Rows, now: Timestamp) -> AppResult<EventId> {
        let endpoints = store::events::endpoints(rows)?;
        super::webhooks::fan_out(c, self.id, self.clinic, &self.event, &endpoints, now).await?;
        Ok(self.id)
    }
}

/// The dedupe key of `subscriber`'s job for event `id`.
pub fn dedupe_key(subscriber: Subscriber, id: EventId) -> String {
    format!("{}:{id}", subscriber.name())
}

/// Records an event no subscriber reacts to yet, in the caller's transaction.
pub async fn record<C: Conn>(
    c: &C,
    clinic: ClinicId,
    actor: Option<UserId>,
    event: Event,
    now: Timestamp,
) -> AppResult<EventId> {
    Recording::new(clinic, actor, event).write(c, now).await
}
