//! Booking: one request becomes one appointment, re-derived from the doctor's rules inside
//! one transaction that holds the doctor's lock; the database's overlap constraint is the
//! last word.

use super::{
    Fields, checked, notices,
    schedule::{local_rfc3339, zone_of},
    slots::load_rules,
};
use crate::{
    auth::extract::{ClinicCaller, RequestCtx},
    error::{AppError, AppResult, SlotView},
    state::AppState,
};
use domain::{
    AppointmentId, AppointmentStatus, DoctorId, DoctorStatus, Email, PatientId, PersonName, Phone,
    Source, UserId, VisitTypeId,
    appointment::reference_code,
    schedule::{Interval, Refusal, Slot, check_start, free_slots},
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

/// A slot as an alternative offer, in UTC and in the clinic's zone.
pub fn slot_view(clinic: &Clinic, s: &domain::schedule::Slot) -> SlotView {
    let zone = zone_of(clinic);
    let local = |t: Timestamp| local_rfc3339(&zone, t);
    SlotView {
        start: s.start.to_string(),
        end: s.end.to_string(),
        local_start: local(s.start),
        local_end: local(s.end),
    }
}

/// A start time asked of one doctor for one visit type: checked against the doctor's rules
/// and the database in one place, for new bookings and for moves.
pub(super) struct Want<'a> {
    pub clinic: &'a Clinic,
    pub doctor: DoctorId,
    pub vt: &'a VisitType,
    pub policy: &'a Policy,
    pub staff: bool,
    pub start: Timestamp,
}

/// A slot the rules allow, with the span it blocks and its local date.
pub(super) struct Placed {
    pub slot: Slot,
    blocked: Interval,
    date: Date,
}

/// What a new appointment carries besides its slot.
pub(super) struct Details<'a> {
    pub patient: PatientId,
    pub status: AppointmentStatus,
    pub source: Source,
    pub reason: &'a str,
    pub rescheduled_from: Option<AppointmentId>,
    pub created_by: UserId,
}

impl Want<'_> {
    /// Re-derives the slot at `start` from the doctor's rules, leaving out `ignore` (the
    /// blocked span of an appointment being moved).
    pub(super) async fn slot<C: Conn>(
        &self,
        c: &C,
        now: Timestamp,
        ignore: Option<(Timestamp, Timestamp)>,
    ) -> AppResult<Result<Placed, Refusal>> {
        let date = self.start.to_zoned(zone_of(self.clinic)).date();
        let rules = load_rules(
            c,
            self.clinic,
            self.doctor,
            self.vt,
            self.policy,
            self.staff,
            now,
            date,
            date,
            ignore,
        )
        .await?;
        Ok(
            check_start(&rules.query(date, date), self.start).map(|slot| Placed {
                blocked: rules.length.blocked(slot.start),
                slot,
                date,
            }),
        )
    }

    /// Inserts the appointment with a fresh reference code. `None` when the database's
    /// overlap constraint refuses it (a concurrent booking won).
    pub(super) async fn insert<C: Conn>(
        &self,
        c: &C,
        placed: &Placed,
        d: &Details<'_>,
        now: Timestamp,
    ) -> AppResult<Option<(AppointmentId, String)>> {
        let id = AppointmentId::new();
        let ref_code = fresh_ref_code(c, self.clinic.id).await?;
        let inserted = appointments::insert(
            c,
            &NewAppointment {
                id,
                clinic_id: self.clinic.id,
                doctor_id: self.doctor,
                patient_id: d.patient,
                visit_type_id: self.vt.id,
                start: placed.slot.start,
                end: placed.slot.end,
                block_start: placed.blocked.start,
                block_end: placed.blocked.end,
                local_date: &placed.date.to_string(),
                status: d.status,
                source: d.source,
                reason: d.reason,
                ref_code: &ref_code,
                rescheduled_from: d.rescheduled_from,
                created_by: d.created_by,
            },
            now,
        )
        .await;
        match inserted {
            Err(StoreError::Conflict(c)) if c == NO_OVERLAP => Ok(None),
            other => other.map(|()| Some((id, ref_code))).map_err(Into::into),
        }
    }

    /// The answer to a refusal: the rule it breaks, or for a taken slot the nearest free
    /// ones (read after the caller has let its transaction go).
    pub(super) async fn refused(&self, state: &AppState, r: Refusal) -> AppError {
        match r {
            Refusal::Taken => self.nearest_free(state).await.unwrap_or_else(|e| e),
            r => AppError::Refused {
                rule: r.rule(),
                message: r.message().to_owned(),
            },
        }
    }

    /// The three free slots nearest to `start`, for a 409.
    async fn nearest_free(&self, state: &AppState) -> AppResult<AppError> {
        let date = self.start.to_zoned(zone_of(self.clinic)).date();
        let from = date.yesterday().unwrap_or(date);
        let to = date.checked_add(jiff::Span::new().days(7)).unwrap_or(date);
        let rules = load_rules(
            state.store().conn(),
            self.clinic,
            self.doctor,
            self.vt,
            self.policy,
            self.staff,
            state.now(),
            from,
            to,
            None,
        )
        .await?;
        let start = self.start.as_millisecond();
        let mut slots = free_slots(&rules.query(from, to));
        slots.sort_by_key(|s| s.start.as_millisecond().abs_diff(start));
        slots.truncate(3);
        slots.sort();
        Ok(AppError::SlotTaken {
            alternatives: slots.iter().map(|s| slot_view(self.clinic, s)).collect(),
        })
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

/// The visit type, if `doctor` takes bookings and offers it.
pub(super) async fn bookable<C: Conn>(
    c: &C,
    clinic: &Clinic,
    doctor: DoctorId,
    visit_type: VisitTypeId,
) -> AppResult<VisitType> {
    if doctors::status(c, clinic.id, doctor).await? != Some(DoctorStatus::Approved) {
        return Err(AppError::field(
            "doctor_id",
            "Choose a doctor who takes bookings.",
        ));
    }
    schedules::find_visit_type(c, clinic.id, visit_type)
        .await?
        .filter(|v| v.is_active && v.doctor_id.is_none_or(|x| x == doctor))
        .ok_or_else(|| AppError::field("visit_type_id", "Choose a visit type this doctor offers."))
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
    let vt = bookable(&tx, clinic, input.doctor, input.visit_type).await?;
    let policy = schedules::policy(&tx, clinic.id).await?;
    let want = Want {
        clinic,
        doctor: input.doctor,
        vt: &vt,
        policy: &policy,
        staff,
        start: input.start,
    };
    let placed = match want.slot(&tx, now, None).await? {
        Ok(p) => p,
        Err(r) => {
            drop(tx);
            return Err(want.refused(state, r).await);
        }
    };
    let slot = placed.slot;
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
            notices::local_time(&clinic.time_zone, other.start),
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
    let details = Details {
        patient: patient.id,
        status,
        source,
        reason: &reason,
        rescheduled_from: None,
        created_by: me,
    };
    let Some((id, ref_code)) = want.insert(&tx, &placed, &details, now).await? else {
        drop(tx);
        return Err(want.refused(state, Refusal::Taken).await);
    };
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
                "doctor": input.doctor, "patient": patient.id, "start": slot.start.to_string(),
                "status": status.as_str(), "source": source.as_str(), "ref": ref_code,
                "patient_overlap_override": overridden,
            })),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok((a, false))
}
