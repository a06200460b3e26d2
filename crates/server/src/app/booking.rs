//! Booking: one request becomes one appointment. The doctor's rules are checked first, then
//! the slot again inside one short transaction that holds the doctor's lock; the database's
//! overlap constraint is the last word.

use super::{
    local_time::{InstantText, local_text, utc_text, zone_of},
    notices,
    slots::read,
};
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult, SlotView},
    state::AppState,
};
use domain::{
    AppointmentId, AppointmentStatus, DoctorId, DoctorStatus, PatientId, Source, VisitTypeId,
    appointment::reference_code, schedule::Refusal, values::bounded_text,
};
use jiff::{Timestamp, tz::TimeZone};
use serde_json::json;
use store::{
    Batch, Conn, StoreError,
    appointments::{self, Appointment, Names},
    audit,
    clinics::Clinic,
    doctors, idempotency, patients,
    rules::DoctorRules,
    schedules::VisitType,
};

mod patient;
mod want;

use patient::{PatientPlan, plan_with_visits, register};
pub(in crate::app) use patient::{patient_busy, patient_clash};
pub(in crate::app) use want::{Details, Inserted, Want};

/// The unique index on a clinic's reference codes.
const REF_CODE_KEY: &str = "appointments_ref_code_key";

/// Who the appointment is for.
#[derive(Debug, Clone)]
pub enum PatientChoice {
    /// The signed-in caller (their record at the clinic is created on first booking).
    Me,
    /// A patient of the clinic (staff only).
    Existing(PatientId),
    /// A new patient registered at the desk (staff only).
    New {
        name: String,
        phone: String,
        email: String,
    },
}

/// A booking request.
#[derive(Debug, Clone)]
pub struct BookInput {
    pub doctor: DoctorId,
    pub visit_type: VisitTypeId,
    pub start: Timestamp,
    pub patient: PatientChoice,
    pub reason: String,
    /// Staff say `desk` or `phone`; patients always book `online`.
    pub source: Option<Source>,
    /// Staff book even though the patient has another appointment at that time.
    pub allow_patient_overlap: bool,
}

/// `Idempotency-Key` and a hash of the request it came with.
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// Slots as offers, in UTC and in the clinic's zone.
pub fn slot_views(clinic: &Clinic, slots: &[domain::schedule::Slot]) -> Vec<SlotView> {
    let zone = zone_of(clinic);
    slots
        .iter()
        .map(|s| {
            let [start, end, local_start, local_end] = slot_texts(&zone, s).map(String::from);
            SlotView {
                start,
                end,
                local_start,
                local_end,
            }
        })
        .collect()
}

/// A slot's start and end as RFC 3339 text, in UTC and then in `zone`: the four times of a
/// `SlotView`, in its order.
pub fn slot_texts(zone: &TimeZone, s: &domain::schedule::Slot) -> [InstantText; 4] {
    [
        utc_text(s.start),
        utc_text(s.end),
        local_text(zone, s.start),
        local_text(zone, s.end),
    ]
}

/// The visit type, if the doctor of `r` takes bookings and offers it.
pub(super) fn bookable(r: &DoctorRules, visit_type: VisitTypeId) -> AppResult<VisitType> {
    if r.status != Some(DoctorStatus::Approved) {
        return Err(AppError::field(
            "doctor_id",
            "Choose a doctor who takes bookings.",
        ));
    }
    r.offered()
        .find(|v| v.id == visit_type)
        .cloned()
        .ok_or_else(|| AppError::field("visit_type_id", "Choose a visit type this doctor offers."))
}

fn new_ref_code() -> String {
    let mut b = [0u8; 6];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    reference_code(b)
}

/// How many random reference codes a write draws before it gives up.
const REF_CODE_TRIES: usize = 8;

/// A reference code not yet used in the clinic.
pub(super) async fn fresh_ref_code<C: Conn>(c: &C, clinic: domain::ClinicId) -> AppResult<String> {
    for _ in 0..REF_CODE_TRIES {
        let code = new_ref_code();
        if appointments::find_by_ref(c, clinic, &code).await?.is_none() {
            return Ok(code);
        }
    }
    Err(AppError::Internal(format!(
        "no free reference code after {REF_CODE_TRIES} tries"
    )))
}

/// The answer to a retried request: the appointment the first one made.
async fn replay(
    state: &AppState,
    caller: &Caller,
    rec: idempotency::Recorded,
    request_hash: &str,
) -> AppResult<(Appointment, bool)> {
    if rec.request_hash != request_hash {
        return Err(AppError::field(
            "Idempotency-Key",
            "This key was already used for a different request.",
        ));
    }
    let a = appointments::find(
        state.store().conn(),
        caller.clinic_id(),
        AppointmentId::from_uuid(rec.result_id),
    )
    .await?
    .ok_or_else(|| AppError::field("Idempotency-Key", "This key was used at another clinic."))?;
    Ok((a, true))
}

/// Everything a booking writes besides its row, rendered before its transaction: the
/// appointment as it will read back, its e-mail and reminder jobs and its audit detail.
struct Prepared {
    appointment: Appointment,
    outbox: notices::Outbox,
    detail: serde_json::Value,
}

/// Books an appointment. Returns it, and whether this was a replay of an earlier request
/// with the same `Idempotency-Key`.
///
/// The rules are read and checked, and the e-mails, calendar entry and audit detail
/// rendered, before the write transaction; inside it only the doctor's busy time is read
/// again (under the doctor's lock on PostgreSQL, under SQLite's single writer) and the rows
/// are written, so the write lock is held briefly. The overlap constraint stays the last word.
#[tracing::instrument(name = "book", skip_all, fields(clinic = %caller.clinic_id()))]
pub async fn book(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    input: &BookInput,
    idem: Option<&Idempotency>,
) -> AppResult<(Appointment, bool)> {
    let reason = bounded_text("reason", &input.reason, 500, false)?;
    let me = caller.person()?.id();
    let pool = state.store().conn();
    if let Some(i) = idem
        && let Some(rec) = idempotency::find(pool, me, &i.key).await?
    {
        return replay(state, caller, rec, &i.request_hash).await;
    }
    let clinic = caller.clinic();
    let staff =
        caller.can(Capability::BookForOthers) && !matches!(input.patient, PatientChoice::Me);
    let source = match (staff, input.source) {
        (true, Some(s)) if s != Source::Online => s,
        (true, _) => Source::Desk,
        (false, _) => Source::Online,
    };
    let now = state.now();
    let date = input.start.to_zoned(zone_of(clinic)).date();
    // The patient's record and their visits around the start are read beside the doctor's
    // rules; the rules' refusals come first.
    let (read, patient) = tokio::join!(
        read(pool, clinic, input.doctor, date, date),
        plan_with_visits(pool, caller, &input.patient, input.start),
    );
    let (rules, busy) = read?;
    let vt = bookable(&rules, input.visit_type)?;
    let want = Want {
        clinic,
        rules: &rules,
        vt: &vt,
        staff,
        start: input.start,
    };
    let placed = match want.check(&busy, now, None) {
        Ok(p) => p,
        Err(r) => return Err(want.refused(state, r).await),
    };
    let (plan, around) = patient?;
    // A patient is not booked over another visit of theirs, unless staff override that. One
    // booked since the read is refused by the database (`Inserted::PatientBusy`).
    let clashes: Vec<_> = around
        .into_iter()
        .filter(|a| a.start < placed.slot.end)
        .collect();
    let overlap_ok = staff && input.allow_patient_overlap;
    if let Some(other) = clashes.first()
        && !overlap_ok
    {
        return Err(patient_clash(
            clinic,
            staff.then_some(plan.name()),
            "Book",
            other,
        ));
    }
    let status = if !staff && rules.policy.require_approval {
        AppointmentStatus::Pending
    } else {
        AppointmentStatus::Booked
    };
    let local_date = placed.date.to_string();
    let details = |patient: PatientId| Details {
        patient,
        status,
        source,
        reason: &reason,
        rescheduled_from: None,
        created_by: me,
        // Recorded only when used: the database still holds the visit to the rule otherwise.
        patient_overlap_ok: overlap_ok && !clashes.is_empty(),
    };
    let prepare = |patient: &patients::Patient, id: AppointmentId, ref_code: &str| {
        let appointment = want
            .row(id, &placed, &details(patient.id), ref_code, &local_date)
            .stored(
                now,
                &Names {
                    doctor: &rules.name,
                    patient: &patient.details.name,
                    patient_mrn: &patient.mrn,
                    patient_user_id: patient.user_id,
                    patient_email: patient.details.email.as_deref(),
                    patient_phone: patient.details.phone.as_deref(),
                    visit_type: &vt.name,
                    clinic_name: &clinic.name,
                    clinic_slug: &clinic.slug,
                    clinic_time_zone: &clinic.time_zone,
                },
            );
        let outbox = notices::booked_outbox(
            state,
            clinic,
            &appointment,
            None,
            vt.deposit_minor,
            Some(me),
            now,
        )?;
        let detail = json!({
            "doctor": input.doctor, "patient": patient.id, "start": placed.slot.start.to_string(),
            "status": status.as_str(), "source": source.as_str(), "ref": ref_code,
        });
        AppResult::Ok(Prepared {
            appointment,
            outbox,
            detail,
        })
    };
    // A reference code is drawn at random; should the clinic have it already (one in 240
    // at a million appointments), the unique index refuses the insert and the write runs
    // again with another. Looking it up first would cost every booking a round trip.
    for _ in 0..REF_CODE_TRIES {
        let id = AppointmentId::new();
        let ref_code = new_ref_code();
        let mut ready = match &plan {
            PatientPlan::Known(p) => Some((p.clone(), prepare(p, id, &ref_code)?)),
            PatientPlan::Link(_) | PatientPlan::Register { .. } => None,
        };
        let tx = state.store().write().await?;
        // Under a daily cap, one doctor's bookings take turns so each counts the others' (the
        // day's bookings are read again under the lock). Without one they run side by side
        // on the check made before the transaction: busy time is all a re-read would
        // refresh, and the database's no-overlap rule refuses the later of two that clash
        // (`Inserted::Taken`).
        if rules.policy.daily_cap.is_some() {
            doctors::lock(&tx, input.doctor).await?;
            if let Err(r) = want.slot(&tx, now, None).await? {
                tx.rollback().await?;
                return Err(want.refused(state, r).await);
            }
        }
        let (patient, prepared) = match ready.take() {
            Some(known) => known,
            None => {
                let p = register(&tx, clinic.id, &plan, &ctx.actor(Some(me)), now).await?;
                let prepared = prepare(&p, id, &ref_code)?;
                (p, prepared)
            }
        };
        // The rest is written in one round trip with the appointment (on SQLite, where each
        // is a hand-off to the writer's thread that the writers queued behind wait for).
        let mut writes = Batch::on(&tx);
        prepared.outbox.add_to(&mut writes, now)?;
        let mut detail = prepared.detail;
        detail["patient_overlap_override"] = json!(!clashes.is_empty());
        audit::append_into(
            &tx,
            &mut writes,
            &ctx.actor(Some(me)),
            audit::Event::new("appointment.book", "appointment", id)
                .in_clinic(clinic.id)
                .detail(detail),
            now,
        )
        .await?;
        let row = want.row(id, &placed, &details(patient.id), &ref_code, &local_date);
        let rows = match want.insert(&tx, &row, writes, now).await? {
            Inserted::Done(rows) => rows,
            Inserted::Taken => {
                tx.rollback().await?;
                return Err(want.refused(state, Refusal::Taken).await);
            }
            Inserted::PatientBusy => {
                tx.rollback().await?;
                let name = staff.then_some(patient.details.name.as_str());
                let slot = &placed.slot;
                return Err(patient_busy(pool, clinic, name, "Book", patient.id, slot).await);
            }
            Inserted::RefCodeTaken => continue,
        };
        if let Some(i) = idem {
            match idempotency::insert(&tx, me, &i.key, &i.request_hash, id.as_uuid(), now).await {
                Err(StoreError::Conflict(_)) => {
                    tx.rollback().await?;
                    let rec = idempotency::find(pool, me, &i.key)
                        .await?
                        .ok_or_else(|| AppError::Internal("idempotency record vanished".into()))?;
                    return replay(state, caller, rec, &i.request_hash).await;
                }
                other => other?,
            }
        }
        prepared.outbox.fan_out(&tx, &rows, now).await?;
        store::commit(tx).await?;
        super::counters::booked(prepared.appointment.source);
        return Ok((prepared.appointment, false));
    }
    Err(AppError::Internal(format!(
        "no free reference code after {REF_CODE_TRIES} tries"
    )))
}
