//! Booking, rescheduling, cancelling and the appointment lifecycle. Every write re-derives
//! the slot from the rules inside one transaction that holds the doctor's lock; the
//! database's overlap constraint is the last word.

use super::{Fields, checked, notices, schedule::zone_of, slots::load_rules};
use crate::{
    auth::extract::{ClinicCaller, CurrentUser, RequestCtx},
    error::{AppError, AppResult, SlotView},
    state::AppState,
};
use domain::{
    AppointmentId, AppointmentStatus, DoctorId, DoctorStatus, Email, PatientId, PersonName, Phone,
    Role, Source, VisitTypeId,
    appointment::reference_code,
    schedule::{Refusal, check_start, free_slots},
    values::bounded_text,
};
use jiff::{Timestamp, civil::Date};
use serde_json::json;
use store::{
    Conn, NO_OVERLAP, StoreError,
    appointments::{self, Appointment, NewAppointment},
    audit,
    clinics::Clinic,
    doctors, idempotency, patients,
    schedules::{self, Policy, VisitType},
};

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

fn staff_roles() -> [Role; 3] {
    Role::ALL
}

/// A slot as an alternative offer, in UTC and in the clinic's zone.
pub fn slot_view(clinic: &Clinic, s: &domain::schedule::Slot) -> SlotView {
    let zone = zone_of(clinic);
    let local = |t: Timestamp| {
        t.to_zoned(zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    SlotView {
        start: s.start.to_string(),
        end: s.end.to_string(),
        local_start: local(s.start),
        local_end: local(s.end),
    }
}

/// The three free slots nearest to `start`, for a 409.
async fn nearest_free(
    state: &AppState,
    clinic: &Clinic,
    doctor: DoctorId,
    vt: &VisitType,
    policy: &Policy,
    staff: bool,
    start: Timestamp,
) -> AppResult<AppError> {
    let date = start.to_zoned(zone_of(clinic)).date();
    let from = date.yesterday().unwrap_or(date);
    let to = date.checked_add(jiff::Span::new().days(7)).unwrap_or(date);
    let rules = load_rules(
        state.store().conn(),
        clinic,
        doctor,
        vt,
        policy,
        staff,
        state.now(),
        from,
        to,
        None,
    )
    .await?;
    let mut slots = free_slots(&rules.query(from, to));
    slots.sort_by_key(|s| s.start.as_millisecond().abs_diff(start.as_millisecond()));
    slots.truncate(3);
    slots.sort();
    Ok(AppError::SlotTaken {
        alternatives: slots.iter().map(|s| slot_view(clinic, s)).collect(),
    })
}

fn refusal(r: Refusal) -> AppError {
    AppError::Refused {
        rule: r.rule(),
        message: r.message().to_owned(),
    }
}

async fn resolve_patient<C: Conn>(
    c: &C,
    caller: &ClinicCaller,
    choice: &PatientChoice,
    now: Timestamp,
) -> AppResult<patients::Patient> {
    let clinic = caller.clinic.id;
    match choice {
        PatientChoice::Me => {
            if let Some(p) = patients::of_user(c, clinic, caller.me.id()).await? {
                return Ok(p);
            }
            let u = caller.me.user();
            match patients::insert(
                c,
                clinic,
                &patients::NewPatient {
                    user_id: Some(u.id),
                    name: &u.name,
                    phone: None,
                    email: Some(&u.email),
                },
                now,
            )
            .await
            {
                Err(StoreError::Conflict(_)) => Err(AppError::Conflict(
                    "Your patient record is being created by another request; try again.".into(),
                )),
                other => Ok(other?),
            }
        }
        _ if !caller.is_staff() => Err(AppError::field("patient", "Patients book for themselves.")),
        PatientChoice::Existing(id) => patients::find(c, clinic, *id)
            .await?
            .ok_or_else(|| AppError::field("patient_id", "Choose a patient of this clinic.")),
        PatientChoice::New { name, phone, email } => {
            let mut f = Fields::default();
            let name = f.take(PersonName::parse(name));
            let phone = (!phone.trim().is_empty())
                .then(|| f.take(Phone::parse(phone)))
                .flatten();
            let email = (!email.trim().is_empty())
                .then(|| f.take(Email::parse(email)))
                .flatten();
            f.finish()?;
            let name = checked(name)?;
            Ok(patients::insert(
                c,
                clinic,
                &patients::NewPatient {
                    user_id: None,
                    name: name.as_str(),
                    phone: phone.as_ref().map(|p| p.as_str()),
                    email: email.as_ref().map(|e| e.as_str()),
                },
                now,
            )
            .await?)
        }
    }
}

/// Loads a doctor who takes bookings and a visit type they offer.
async fn bookable<C: Conn>(
    c: &C,
    clinic: &Clinic,
    doctor: DoctorId,
    visit_type: VisitTypeId,
) -> AppResult<(doctors::Doctor, VisitType)> {
    let d = doctors::find(c, clinic.id, doctor)
        .await?
        .filter(|d| d.status == DoctorStatus::Approved)
        .ok_or_else(|| AppError::field("doctor_id", "Choose a doctor who takes bookings."))?;
    let vt = schedules::find_visit_type(c, clinic.id, visit_type)
        .await?
        .filter(|v| v.is_active && v.doctor_id.is_none_or(|x| x == d.id))
        .ok_or_else(|| {
            AppError::field("visit_type_id", "Choose a visit type this doctor offers.")
        })?;
    Ok((d, vt))
}

fn new_ref_code() -> String {
    let mut b = [0u8; 6];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    reference_code(b)
}

/// A reference code not yet used in the clinic.
async fn fresh_ref_code<C: Conn>(c: &C, clinic: domain::ClinicId) -> AppResult<String> {
    for _ in 0..8 {
        let code = new_ref_code();
        if appointments::find_by_ref(c, clinic, &code).await?.is_none() {
            return Ok(code);
        }
    }
    Err(AppError::Internal(
        "no free reference code after 8 tries".into(),
    ))
}

/// The answer to a retried request: the appointment the first one made.
async fn replay(
    state: &AppState,
    caller: &ClinicCaller,
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
        caller.clinic.id,
        AppointmentId::from_uuid(rec.result_id),
    )
    .await?
    .ok_or_else(|| AppError::field("Idempotency-Key", "This key was used at another clinic."))?;
    Ok((a, true))
}

/// Books an appointment. Returns it, and whether this was a replay of an earlier request
/// with the same `Idempotency-Key`.
pub async fn book(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    input: &BookInput,
    idem: Option<&Idempotency>,
) -> AppResult<(Appointment, bool)> {
    let reason = bounded_text("reason", &input.reason, 500, false)?;
    let me = caller.me.id();
    if let Some(i) = idem
        && let Some(rec) = idempotency::find(state.store().conn(), me, &i.key).await?
    {
        return replay(state, caller, rec, &i.request_hash).await;
    }
    let clinic = &caller.clinic;
    let staff = caller.is_staff() && !matches!(input.patient, PatientChoice::Me);
    let source = match (staff, input.source) {
        (true, Some(s)) if s != Source::Online => s,
        (true, _) => Source::Desk,
        (false, _) => Source::Online,
    };
    let now = state.now();
    let tx = state.store().write().await?;
    doctors::lock(&tx, input.doctor).await?;
    let (doctor, vt) = bookable(&tx, clinic, input.doctor, input.visit_type).await?;
    let policy = schedules::policy(&tx, clinic.id).await?;
    let date = input.start.to_zoned(zone_of(clinic)).date();
    let rules = load_rules(
        &tx, clinic, doctor.id, &vt, &policy, staff, now, date, date, None,
    )
    .await?;
    let checked_start = check_start(&rules.query(date, date), input.start);
    let slot = match checked_start {
        Ok(s) => s,
        Err(Refusal::Taken) => {
            drop(tx);
            return Err(
                nearest_free(state, clinic, doctor.id, &vt, &policy, staff, input.start).await?,
            );
        }
        Err(r) => return Err(refusal(r)),
    };
    let patient = resolve_patient(&tx, caller, &input.patient, now).await?;
    let clashes = appointments::patient_overlaps(&tx, patient.id, slot.start, slot.end).await?;
    let overridden = !clashes.is_empty();
    if let Some(other) = clashes.first()
        && !(staff && input.allow_patient_overlap)
    {
        let who = if staff { patient.name.as_str() } else { "You" };
        let has = if staff { "has" } else { "have" };
        return Err(AppError::Conflict(format!(
            "{who} already {has} an appointment at {} with {} ({}).{}",
            notices::local_time(clinic, other.start),
            other.doctor_name,
            other.ref_code,
            if staff {
                " Book anyway to override."
            } else {
                ""
            }
        )));
    }
    let status = if !staff && policy.require_approval {
        AppointmentStatus::Pending
    } else {
        AppointmentStatus::Booked
    };
    let id = AppointmentId::new();
    let blocked = rules.length.blocked(slot.start);
    let ref_code = fresh_ref_code(&tx, clinic.id).await?;
    let inserted = appointments::insert(
        &tx,
        &NewAppointment {
            id,
            clinic_id: clinic.id,
            doctor_id: doctor.id,
            patient_id: patient.id,
            visit_type_id: vt.id,
            start: slot.start,
            end: slot.end,
            block_start: blocked.start,
            block_end: blocked.end,
            local_date: &date.to_string(),
            status,
            source,
            reason: &reason,
            ref_code: &ref_code,
            rescheduled_from: None,
            created_by: me,
        },
        now,
    )
    .await;
    match inserted {
        Err(StoreError::Conflict(c)) if c == NO_OVERLAP => {
            drop(tx);
            return Err(
                nearest_free(state, clinic, doctor.id, &vt, &policy, staff, input.start).await?,
            );
        }
        other => other?,
    }
    if let Some(i) = idem {
        match idempotency::insert(&tx, me, &i.key, &i.request_hash, id.as_uuid(), now).await {
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                let rec = idempotency::find(state.store().conn(), me, &i.key)
                    .await?
                    .ok_or_else(|| AppError::Internal("idempotency record vanished".into()))?;
                return replay(state, caller, rec, &i.request_hash).await;
            }
            other => other?,
        }
    }
    let a = appointments::find(&tx, clinic.id, id)
        .await?
        .ok_or_else(|| AppError::Internal("appointment vanished".into()))?;
    notices::booked(state, &tx, clinic, &a, None, now).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me)),
        audit::Event::new("appointment.book", "appointment", id)
            .in_clinic(clinic.id)
            .detail(json!({
                "doctor": doctor.id, "patient": patient.id, "start": slot.start.to_string(),
                "status": status.as_str(), "source": source.as_str(), "ref": ref_code,
                "patient_overlap_override": overridden,
            })),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok((a, false))
}

/// An appointment the caller may see: staff of its clinic, or the patient it is for.
async fn visible<C: Conn>(
    c: &C,
    caller: &ClinicCaller,
    id: AppointmentId,
) -> AppResult<Appointment> {
    appointments::find(c, caller.clinic.id, id)
        .await?
        .filter(|a| caller.is_staff() || a.patient_user_id == Some(caller.me.id()))
        .ok_or(AppError::NotFound)
}

/// One appointment (staff of the clinic, or its patient). Reading it is audited.
pub async fn get(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    id: AppointmentId,
) -> AppResult<Appointment> {
    let now = state.now();
    let tx = state.store().write().await?;
    let a = visible(&tx, caller, id).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(caller.me.id())),
        audit::Event::new("appointment.read", "appointment", id).in_clinic(caller.clinic.id),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(a)
}

/// Whether the caller may still change `a` themselves; staff may always, audited.
fn within_cutoff(policy: &Policy, a: &Appointment, now: Timestamp) -> bool {
    now + jiff::SignedDuration::from_mins(policy.cancel_cutoff_min.into()) <= a.start
}

/// Cancels with a reason. Patients may until the cutoff; staff after it too (audited).
pub async fn cancel(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    id: AppointmentId,
    reason: &str,
) -> AppResult<Appointment> {
    let reason = bounded_text("reason", reason, 500, true)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let a = visible(&tx, caller, id).await?;
    let staff = caller.is_staff();
    cancel_in(
        state,
        &tx,
        ctx,
        Some(caller.me.id()),
        &caller.clinic,
        &a,
        &reason,
        staff,
        now,
    )
    .await?;
    let a = appointments::find(&tx, caller.clinic.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::commit(tx).await?;
    Ok(a)
}

/// Cancels `a` in the caller's transaction (shared with the e-mailed cancel link).
#[allow(clippy::too_many_arguments)]
pub async fn cancel_in<C: Conn>(
    state: &AppState,
    c: &C,
    ctx: &RequestCtx,
    actor: Option<domain::UserId>,
    clinic: &Clinic,
    a: &Appointment,
    reason: &str,
    staff: bool,
    now: Timestamp,
) -> AppResult<()> {
    if !staff && !a.status.is_open() {
        return Err(AppError::Conflict(format!(
            "This appointment is {} and can no longer be cancelled online.",
            a.status.label().to_lowercase()
        )));
    }
    a.status
        .move_to(AppointmentStatus::Cancelled)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let policy = schedules::policy(c, clinic.id).await?;
    let late = !within_cutoff(&policy, a, now);
    if late && !staff {
        return Err(AppError::Refused {
            rule: "cancel_cutoff",
            message: format!(
                "It is too late to cancel online ({} hours before). Please call the clinic.",
                policy.cancel_cutoff_min as f64 / 60.0
            ),
        });
    }
    if !appointments::set_status(
        c,
        a.id,
        a.version,
        AppointmentStatus::Cancelled,
        Some(reason),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "Someone else changed this appointment; reload and try again.".into(),
        ));
    }
    notices::cancelled(state, c, clinic, a, false, now).await?;
    audit::append(
        c,
        &ctx.actor(actor),
        audit::Event::new("appointment.cancel", "appointment", a.id)
            .in_clinic(clinic.id)
            .detail(json!({"reason": reason, "after_cutoff_override": late, "by_staff": staff})),
        now,
    )
    .await?;
    Ok(())
}

/// Moves an appointment to a new start (same doctor and visit type): the new one is booked
/// and the old one cancelled in one transaction, linked both ways.
pub async fn reschedule(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    id: AppointmentId,
    start: Timestamp,
) -> AppResult<Appointment> {
    let now = state.now();
    let clinic = &caller.clinic;
    let staff = caller.is_staff();
    let tx = state.store().write().await?;
    let old = visible(&tx, caller, id).await?;
    doctors::lock(&tx, old.doctor_id).await?;
    let old = visible(&tx, caller, id).await?;
    if !old.status.is_open() {
        return Err(AppError::Conflict(format!(
            "This appointment is {} and cannot be moved.",
            old.status.label().to_lowercase()
        )));
    }
    let policy = schedules::policy(&tx, clinic.id).await?;
    let late = !within_cutoff(&policy, &old, now);
    if late && !staff {
        return Err(AppError::Refused {
            rule: "cancel_cutoff",
            message: "It is too late to move this appointment online. Please call the clinic."
                .into(),
        });
    }
    let (doctor, vt) = bookable(&tx, clinic, old.doctor_id, old.visit_type_id).await?;
    let date = start.to_zoned(zone_of(clinic)).date();
    let ignore = Some((old.block_start, old.block_end));
    let rules = load_rules(
        &tx, clinic, doctor.id, &vt, &policy, staff, now, date, date, ignore,
    )
    .await?;
    let checked_start = check_start(&rules.query(date, date), start);
    let slot = match checked_start {
        Ok(s) => s,
        Err(Refusal::Taken) => {
            drop(tx);
            return Err(nearest_free(state, clinic, doctor.id, &vt, &policy, staff, start).await?);
        }
        Err(r) => return Err(refusal(r)),
    };
    if !appointments::set_status(
        &tx,
        old.id,
        old.version,
        AppointmentStatus::Cancelled,
        Some("Rescheduled"),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "Someone else changed this appointment; reload and try again.".into(),
        ));
    }
    let new_id = AppointmentId::new();
    let blocked = rules.length.blocked(slot.start);
    let ref_code = fresh_ref_code(&tx, clinic.id).await?;
    let inserted = appointments::insert(
        &tx,
        &NewAppointment {
            id: new_id,
            clinic_id: clinic.id,
            doctor_id: doctor.id,
            patient_id: old.patient_id,
            visit_type_id: vt.id,
            start: slot.start,
            end: slot.end,
            block_start: blocked.start,
            block_end: blocked.end,
            local_date: &date.to_string(),
            status: old.status,
            source: old.source,
            reason: &old.reason,
            ref_code: &ref_code,
            rescheduled_from: Some(old.id),
            created_by: caller.me.id(),
        },
        now,
    )
    .await;
    match inserted {
        Err(StoreError::Conflict(c)) if c == NO_OVERLAP => {
            drop(tx);
            return Err(nearest_free(state, clinic, doctor.id, &vt, &policy, staff, start).await?);
        }
        other => other?,
    }
    appointments::set_rescheduled_to(&tx, old.id, new_id).await?;
    let new = appointments::find(&tx, clinic.id, new_id)
        .await?
        .ok_or(AppError::NotFound)?;
    notices::cancelled(state, &tx, clinic, &old, true, now).await?;
    notices::booked(state, &tx, clinic, &new, Some(&old), now).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(caller.me.id())),
        audit::Event::new("appointment.reschedule", "appointment", old.id)
            .in_clinic(clinic.id)
            .detail(json!({
                "to": new_id, "from_start": old.start.to_string(), "to_start": new.start.to_string(),
                "after_cutoff_override": late,
            })),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(new)
}

/// A staff status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Confirm a pending online request.
    Approve,
    /// The patient checked in.
    Arrive,
    /// The patient did not come (only after the start).
    NoShow,
    /// The visit took place (doctors and admins).
    Complete,
}

/// Applies a staff status change; illegal moves are 409.
pub async fn move_status(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    id: AppointmentId,
    m: Move,
) -> AppResult<Appointment> {
    let allowed: &[Role] = match m {
        Move::Complete => &[Role::Admin, Role::Doctor],
        _ => &staff_roles(),
    };
    if !caller.has_any(allowed) {
        return Err(AppError::NotFound);
    }
    let to = match m {
        Move::Approve => AppointmentStatus::Booked,
        Move::Arrive => AppointmentStatus::Arrived,
        Move::NoShow => AppointmentStatus::Noshow,
        Move::Complete => AppointmentStatus::Fulfilled,
    };
    let now = state.now();
    let tx = state.store().write().await?;
    let a = visible(&tx, caller, id).await?;
    if m == Move::Approve && a.status != AppointmentStatus::Pending {
        return Err(AppError::Conflict(
            "Only requests awaiting approval can be approved.".into(),
        ));
    }
    a.status
        .move_to(to)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    if m == Move::NoShow && now < a.start {
        return Err(AppError::Conflict(
            "A patient can be marked as a no-show only after the start time.".into(),
        ));
    }
    let today = now.to_zoned(zone_of(&caller.clinic)).date();
    if m == Move::Arrive && a.local_date.parse::<Date>().is_ok_and(|d| d > today) {
        return Err(AppError::Conflict(
            "Patients check in on the day of their appointment.".into(),
        ));
    }
    if !appointments::set_status(&tx, a.id, a.version, to, None, now).await? {
        return Err(AppError::Conflict(
            "Someone else changed this appointment; reload and try again.".into(),
        ));
    }
    let a = appointments::find(&tx, caller.clinic.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if m == Move::Approve {
        notices::approved(state, &tx, &caller.clinic, &a, now).await?;
    }
    audit::append(
        &tx,
        &ctx.actor(Some(caller.me.id())),
        audit::Event::new(&format!("appointment.{}", to.as_str()), "appointment", id)
            .in_clinic(caller.clinic.id),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(a)
}

/// The clinic's appointments between two local dates (staff). Reading them is audited.
pub async fn list(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    from: Option<Date>,
    to: Option<Date>,
    filter: &appointments::Filter,
    limit: u64,
) -> AppResult<Vec<Appointment>> {
    if !caller.is_staff() {
        return Err(AppError::NotFound);
    }
    let zone = zone_of(&caller.clinic);
    let now = state.now();
    let today = now.to_zoned(zone.clone()).date();
    let from = from.unwrap_or(today);
    let to = to.unwrap_or(from);
    if to < from || from.until(to).map_or(true, |s| s.get_days() > 62) {
        return Err(AppError::field(
            "to",
            "Choose an end date 0 to 62 days after the start.",
        ));
    }
    let start = |d: Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|e| AppError::Internal(e.to_string()))
    };
    let lo = start(from)?;
    let hi = start(to.tomorrow().unwrap_or(to))?;
    let tx = state.store().write().await?;
    let list = appointments::list(&tx, caller.clinic.id, lo, hi, filter, limit).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(caller.me.id())),
        audit::Event::new("appointment.list", "clinic", caller.clinic.id)
            .in_clinic(caller.clinic.id)
            .detail(json!({"from": from.to_string(), "to": to.to_string(), "count": list.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(list)
}

/// The caller's own appointments in every clinic: upcoming first, then past.
pub async fn list_mine(
    state: &AppState,
    me: &CurrentUser,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<Appointment>> {
    Ok(appointments::of_user(state.store().conn(), me.id(), state.now(), limit, offset).await?)
}

/// Patients whose name, phone or MRN matches `q` (staff; at least 2 characters).
pub async fn search_patients(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    q: &str,
) -> AppResult<Vec<patients::Patient>> {
    if !caller.is_staff() {
        return Err(AppError::NotFound);
    }
    let q = q.trim();
    if q.chars().count() < 2 || q.len() > 100 {
        return Err(AppError::field(
            "q",
            "Type 2 to 100 characters of a name, phone or MRN.",
        ));
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let list = patients::search(&tx, caller.clinic.id, q, 20).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(caller.me.id())),
        audit::Event::new("patient.search", "clinic", caller.clinic.id)
            .in_clinic(caller.clinic.id)
            .detail(json!({"count": list.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(list)
}

/// The appointment and clinic an e-mailed cancel link points at, while it is valid.
pub async fn by_cancel_link(state: &AppState, token: &str) -> AppResult<(Clinic, Appointment)> {
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::NotFound);
    }
    let c = state.store().conn();
    let (clinic, target) = store::tokens::find_link(
        c,
        notices::CANCEL_PURPOSE,
        &store::token_hash(token),
        state.now(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let clinic = store::clinics::find(c, clinic)
        .await?
        .ok_or(AppError::NotFound)?;
    let a = appointments::find(c, clinic.id, AppointmentId::from_uuid(target))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((clinic, a))
}

/// Cancels through an e-mailed link (a POST from the page the link opens).
pub async fn cancel_by_link(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    reason: &str,
) -> AppResult<Appointment> {
    let reason = bounded_text("reason", reason, 500, true)?;
    let (clinic, a) = by_cancel_link(state, token).await?;
    let now = state.now();
    let tx = state.store().write().await?;
    let a = appointments::find(&tx, clinic.id, a.id)
        .await?
        .ok_or(AppError::NotFound)?;
    cancel_in(
        state,
        &tx,
        ctx,
        a.patient_user_id,
        &clinic,
        &a,
        &reason,
        false,
        now,
    )
    .await?;
    let a = appointments::find(&tx, clinic.id, a.id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::commit(tx).await?;
    Ok(a)
}
