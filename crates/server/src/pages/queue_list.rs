//! The list part of the queue page: every doctor's current, waiting, skipped and finished
//! tokens, with the moves each viewer may make. It is a live region (see `live`): an open
//! queue page follows every token change of its clinic. Only staff of that clinic get the
//! stream, and it ends once they sign out or lose their role there.

use super::{
    error::PageError,
    forms::Choice,
    live::{self, Region, redraw},
};
use crate::app::policy::Capability;
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{
        doctors,
        local_time::zone_of,
        queue::{self, DoctorQueue},
    },
    auth::extract::{AnyStaff, ClinicScope, RoleSet},
    error::{AppError, AppResult},
    state::AppState,
};
use askama::Template;
use axum::{
    extract::State,
    response::sse::{Event, Sse},
};
use domain::{
    DoctorId, Role,
    queue::{Priority, TokenMove, TokenStatus},
};
use futures_util::stream::Stream;
use std::convert::Infallible;
use store::queue::Token;

/// One token as a row, with the moves this viewer may make.
struct TokenRow {
    id: domain::TokenId,
    number: i32,
    patient: String,
    mrn: String,
    /// "Booked 10:30 · arrived 10:12", "Walk-in · arrived 10:05".
    detail: String,
    /// "Emergency", … or empty for normal.
    priority: &'static str,
    status: &'static str,
    actions: Vec<(&'static str, &'static str)>,
    /// Offer moving the token to another doctor.
    transfer: bool,
    /// For the billing desk: the visit's bill (its appointment), or a new bill for the
    /// walk-in patient.
    bill: Option<BillTarget>,
}

/// What a queue row's Bill button bills.
enum BillTarget {
    /// The booked visit: its live bill, or a new one proposed from it.
    Visit(domain::AppointmentId),
    /// A walk-in: a new bill for the patient.
    Patient(domain::PatientId),
}

struct QueueBox {
    doctor_id: domain::DoctorId,
    doctor_name: String,
    can_call: bool,
    current: Vec<TokenRow>,
    waiting: Vec<TokenRow>,
    skipped: Vec<TokenRow>,
    /// Seen today, for the billing desk to bill.
    seen: Vec<TokenRow>,
    done: usize,
}

/// The doctors' queues as one viewer sees them: the queue page's live region.
#[derive(Template)]
#[template(path = "queue_list.html")]
pub(super) struct QueueList {
    clinic_id: domain::ClinicId,
    queues: Vec<QueueBox>,
    doctors: Vec<Choice>,
    pub(super) is_desk: bool,
    /// When this was drawn, in the clinic's zone.
    updated: String,
}

struct Viewer {
    desk: bool,
    billing: bool,
    admin: bool,
    doctor: Option<DoctorId>,
    doctor_name: String,
}

impl Viewer {
    async fn of(state: &AppState, caller: &Caller) -> AppResult<Self> {
        let own = if caller.roles().contains(&Role::Doctor) {
            crate::app::doctors::own_profile(state, caller.person()?, caller.clinic_id()).await?
        } else {
            None
        };
        Ok(Viewer {
            desk: caller.can(Capability::IssueTokens),
            billing: caller.can(Capability::Billing),
            admin: caller.can(Capability::RunAnyQueue),
            doctor: own.as_ref().map(|d| d.id),
            doctor_name: own.map(|d| d.name).unwrap_or_default(),
        })
    }

    fn runs(&self, doctor: DoctorId) -> bool {
        self.admin || self.doctor == Some(doctor)
    }
}

fn row(t: &Token, v: &Viewer, zone: &jiff::tz::TimeZone, free: bool) -> TokenRow {
    let hm = |ts: jiff::Timestamp| ts.to_zoned(zone.clone()).strftime("%H:%M").to_string();
    let detail = match t.slot_start {
        Some(s) => format!("Booked {} · arrived {}", hm(s), hm(t.arrived_at)),
        None => format!("Walk-in · arrived {}", hm(t.arrived_at)),
    };
    let runs = v.runs(t.doctor_id);
    let may_start = free || t.status == TokenStatus::Called;
    // The token's own doctor opens the consultation, which starts the visit; an admin who
    // is not that doctor only moves the token.
    let own = v.doctor == Some(t.doctor_id);
    let mut actions = Vec::new();
    if own
        && (t.status == TokenStatus::InConsultation
            || (may_start && t.status.apply(TokenMove::Start).is_ok()))
    {
        actions.push(("consult", "See patient"));
    }
    let mut offer = |ok: bool, mv: TokenMove, label| {
        if ok && t.status.apply(mv).is_ok() {
            actions.push((mv.as_str(), label));
        }
    };
    offer(runs && !own && may_start, TokenMove::Start, "Start");
    offer(runs, TokenMove::Recall, "Recall");
    offer(runs, TokenMove::End, "End");
    offer(runs || v.desk, TokenMove::Skip, "Skip");
    offer(runs || v.desk, TokenMove::Requeue, "Put back");
    TokenRow {
        id: t.id,
        number: t.number,
        patient: t.patient_name.clone(),
        mrn: t.patient_mrn.clone(),
        detail,
        priority: if t.priority == Priority::Normal {
            ""
        } else {
            t.priority.label()
        },
        status: t.status.label(),
        actions,
        transfer: v.desk && t.status.apply(TokenMove::Transfer).is_ok(),
        bill: (v.billing && matches!(t.status, TokenStatus::InConsultation | TokenStatus::Done))
            .then_some(match t.appointment_id {
                Some(a) => BillTarget::Visit(a),
                None => BillTarget::Patient(t.patient_id),
            }),
    }
}

fn queue_box(q: DoctorQueue, v: &Viewer, zone: &jiff::tz::TimeZone) -> QueueBox {
    let free = q.current.is_empty();
    let rows = |list: &[Token]| list.iter().map(|t| row(t, v, zone, free)).collect();
    QueueBox {
        doctor_id: q.doctor_id,
        can_call: v.runs(q.doctor_id) && free && !q.waiting.is_empty(),
        current: rows(&q.current),
        waiting: rows(&q.waiting),
        skipped: rows(&q.skipped),
        seen: if v.billing {
            q.closed
                .iter()
                .filter(|t| t.status == TokenStatus::Done)
                .map(|t| row(t, v, zone, free))
                .collect()
        } else {
            Vec::new()
        },
        done: q.closed.len(),
        doctor_name: q.doctor_name,
    }
}

/// Today's queues as `caller` sees them.
pub(super) async fn queue_list(state: &AppState, caller: &Caller) -> AppResult<QueueList> {
    let v = Viewer::of(state, caller).await?;
    let zone = zone_of(caller.clinic());
    let mut queues = queue::get_queue(state, caller, None).await?;
    // A doctor sees their own queue first, and sees it even while it is empty.
    if let Some(me) = v.doctor {
        match queues.iter().position(|q| q.doctor_id == me) {
            Some(i) => queues[..=i].rotate_right(1),
            None => queues.insert(0, queue::arrange_empty(me, v.doctor_name.clone())),
        }
    }
    let list = doctors::list_doctors(state, caller.clinic_id(), None, 500, 0).await?;
    Ok(QueueList {
        clinic_id: caller.clinic_id(),
        queues: queues
            .into_iter()
            .map(|q| queue_box(q, &v, &zone))
            .collect(),
        doctors: list
            .into_iter()
            .map(|d| Choice {
                id: d.id.to_string(),
                name: d.name,
                selected: false,
            })
            .collect(),
        is_desk: v.desk,
        updated: state.now().to_zoned(zone).strftime("%H:%M").to_string(),
    })
}

/// One staff member's view of the queue, as a live region.
struct LiveQueue(Caller);

impl Region for LiveQueue {
    fn clinic(&self) -> domain::ClinicId {
        self.0.clinic_id()
    }

    async fn draw(&mut self, state: &AppState) -> Option<Event> {
        // The stream outlives the request that opened it: check the viewer again each time.
        match self.0.reread(state, AnyStaff::CAPABILITY).await {
            Ok(Some(now)) => self.0 = now,
            Ok(None) => return None,
            Err(e) => return Some(redraw::<QueueList>("queue", Err(e))),
        }
        Some(redraw("queue", queue_list(state, &self.0).await))
    }
}

/// GET /clinics/{clinic_id}/queue/events: the queue list now, then again after every change.
pub async fn events(
    State(state): State<AppState>,
    scope: Result<ClinicScope<AnyStaff>, AppError>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    // Not a page to come back to after signing in: whoever is not staff of the clinic,
    // signed in or not, gets the same 404.
    let scope = scope.map_err(|e| match e {
        AppError::Unauthorized | AppError::Forbidden(_) => AppError::NotFound,
        other => other,
    })?;
    let caller = scope.into_caller();
    Ok(live::events(state, LiveQueue(caller)).await)
}
