//! The day's queue: tokens for walk-ins and checked-in appointments, one queue per doctor,
//! called in the order `domain::queue::call_order` gives; every move is audited.

use super::local_time::date_of;
use crate::app::{policy::Capability, scope::Caller};
use crate::{auth::extract::RequestCtx, error::AppResult, state::AppState};
use domain::{
    ClinicId, DoctorId,
    queue::{TokenStatus, call_order},
};
use jiff::Timestamp;
use store::{
    Conn, audit,
    queue::{self, Token},
};

/// The clinic's local date today, as tokens store it.
fn today(state: &AppState, caller: &Caller) -> String {
    date_of(caller.clinic(), state.now()).to_string()
}

/// A write transaction that may issue tokens. Issuing signs the patient's status link, and
/// the key is read before the transaction opens: read inside it, on SQLite's one writer,
/// the first read of the key would wait on the transaction itself.
pub(crate) async fn issuing_write(state: &AppState) -> AppResult<store::Tx> {
    state.link_key().await?;
    Ok(state.store().write().await?)
}

/// Commits a queue change and tells the live boards: every instance's through
/// PostgreSQL, and this one's directly.
pub(crate) async fn commit_change(
    state: &AppState,
    tx: store::Tx,
    clinic: ClinicId,
) -> AppResult<()> {
    queue::announce(&tx, clinic).await?;
    store::commit(tx).await?;
    state.queue_changed(clinic);
    Ok(())
}

fn desk(caller: &Caller) -> AppResult<()> {
    caller.require(Capability::IssueTokens)
}

async fn append(
    c: &impl Conn,
    ctx: &RequestCtx,
    caller: &Caller,
    action: &str,
    t: &Token,
    detail: serde_json::Value,
    now: Timestamp,
) -> AppResult<()> {
    audit::append(
        c,
        &caller.actor(ctx),
        audit::Event::new(action, "queue_token", t.id)
            .in_clinic(caller.clinic_id())
            .detail(detail),
        now,
    )
    .await?;
    Ok(())
}

/// Records that `t` was issued (or, `called`, called in), in `c`'s transaction; a called
/// patient is texted that it is their turn.
async fn token_event(
    state: &AppState,
    c: &impl Conn,
    caller: &Caller,
    t: &Token,
    called: bool,
    now: Timestamp,
) -> AppResult<()> {
    let (token, doctor, patient, number) = (t.id, t.doctor_id, t.patient_id, t.number);
    let event = if called {
        domain::Event::TokenCalled {
            token,
            doctor,
            patient,
            number,
        }
    } else {
        domain::Event::TokenIssued {
            token,
            doctor,
            patient,
            number,
            appointment: t.appointment_id,
        }
    };
    let mut rec = super::events::Recording::new(caller.clinic_id(), caller.user_id(), event);
    if called {
        super::messages::then_turn(state, c, &mut rec, caller.clinic(), t, now).await?;
    }
    rec.write(c, now).await?;
    Ok(())
}

mod issue;
mod moves;

pub(crate) use issue::join_for_appointment;
pub use issue::{IssueInput, check_in, issue_token};
pub(crate) use moves::{apply, doctor_free_for, end_visit};
pub use moves::{call_next, move_token, transfer};

/// One doctor's queue of the day.
#[derive(Debug, Clone)]
pub struct DoctorQueue {
    pub doctor_id: DoctorId,
    pub doctor_name: String,
    /// Called, or in consultation.
    pub current: Vec<Token>,
    /// Waiting, in the order they will be called.
    pub waiting: Vec<Token>,
    pub skipped: Vec<Token>,
    /// Done or transferred, latest first.
    pub closed: Vec<Token>,
}

/// A doctor's queue with nobody in it.
pub fn arrange_empty(doctor_id: DoctorId, doctor_name: String) -> DoctorQueue {
    DoctorQueue {
        doctor_id,
        doctor_name,
        current: Vec::new(),
        waiting: Vec::new(),
        skipped: Vec::new(),
        closed: Vec::new(),
    }
}

/// Sorts a day's tokens into per-doctor queues.
pub fn arrange(tokens: Vec<Token>) -> Vec<DoctorQueue> {
    let mut out: Vec<DoctorQueue> = Vec::new();
    for t in tokens {
        let q = match out.iter_mut().position(|q| q.doctor_id == t.doctor_id) {
            Some(i) => &mut out[i],
            None => {
                out.push(arrange_empty(t.doctor_id, t.doctor_name.clone()));
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        match t.status {
            TokenStatus::Called | TokenStatus::InConsultation => q.current.push(t),
            TokenStatus::Waiting => q.waiting.push(t),
            TokenStatus::Skipped => q.skipped.push(t),
            TokenStatus::Done | TokenStatus::Transferred => q.closed.push(t),
        }
    }
    for q in &mut out {
        let keys: Vec<_> = q.waiting.iter().map(Token::waiting).collect();
        let order = call_order(&keys);
        let mut slots: Vec<Option<Token>> = q.waiting.drain(..).map(Some).collect();
        q.waiting = order.into_iter().filter_map(|i| slots[i].take()).collect();
        q.closed
            .sort_by_key(|t| std::cmp::Reverse(t.ended_at.unwrap_or(t.arrived_at)));
    }
    out
}

/// Today's queues (staff): every doctor's, or one doctor's.
pub async fn get_queue(
    state: &AppState,
    caller: &Caller,
    doctor: Option<DoctorId>,
) -> AppResult<Vec<DoctorQueue>> {
    caller.require(Capability::ViewQueue)?;
    let date = today(state, caller);
    let tokens = queue::day(state.store().conn(), caller.clinic_id(), &date, doctor).await?;
    Ok(arrange(tokens))
}

/// One token of the clinic, any day (staff).
pub async fn find_token(
    state: &AppState,
    caller: &Caller,
    id: domain::TokenId,
) -> AppResult<Option<Token>> {
    caller.require(Capability::ViewQueue)?;
    Ok(queue::find(state.store().conn(), caller.clinic_id(), id).await?)
}

/// A patient's tokens on the clinic's local `date` (staff).
pub async fn tokens_of_patient(
    state: &AppState,
    caller: &Caller,
    patient: domain::PatientId,
    date: jiff::civil::Date,
) -> AppResult<Vec<Token>> {
    caller.require(Capability::ViewQueue)?;
    let c = state.store().conn();
    Ok(queue::of_patient(c, caller.clinic_id(), patient, &date.to_string()).await?)
}
