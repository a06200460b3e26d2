//! A start time asked of one doctor: checked against the rules and the busy time, and
//! inserted.

use super::{REF_CODE_KEY, slot_views};
use crate::{
    app::{
        local_time::zone_of,
        slots::{Rules, busy_window, read},
    },
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    AppointmentId, AppointmentStatus, PatientId, Source, UserId,
    schedule::{Interval, Refusal, Slot, check_start, free_slots},
};
use jiff::{Timestamp, civil::Date};
use store::{
    Batch, Conn, NO_OVERLAP, PATIENT_OVERLAP, Rows, StoreError,
    appointments::{self, Busy, NewAppointment},
    clinics::Clinic,
    rules::DoctorRules,
    schedules::VisitType,
};

/// A start time asked of one doctor for one visit type: checked against the doctor's rules
/// and the database in one place, for new bookings and for moves.
pub(in crate::app) struct Want<'a> {
    pub clinic: &'a Clinic,
    pub rules: &'a DoctorRules,
    pub vt: &'a VisitType,
    pub staff: bool,
    pub start: Timestamp,
}

/// A slot the rules allow, with the span it blocks and its local date.
pub(in crate::app) struct Placed {
    pub slot: Slot,
    blocked: Interval,
    pub date: Date,
}

/// What a new appointment carries besides its slot.
pub(in crate::app) struct Details<'a> {
    pub patient: PatientId,
    pub status: AppointmentStatus,
    pub source: Source,
    pub reason: &'a str,
    pub rescheduled_from: Option<AppointmentId>,
    pub created_by: UserId,
    /// Staff book it over another visit of the patient.
    pub patient_overlap_ok: bool,
}

/// How an insert went.
pub(in crate::app) enum Inserted {
    /// Inserted, with the rows the statements run after it answered.
    Done(Rows),
    /// The database's overlap constraint refused it: a concurrent booking won.
    Taken,
    /// The patient's no-overlap rule refused it: a concurrent booking of theirs won.
    PatientBusy,
    /// The reference code was taken meanwhile.
    RefCodeTaken,
}

impl Want<'_> {
    fn date(&self) -> Date {
        self.start.to_zoned(zone_of(self.clinic)).date()
    }

    /// Checks the start against the rules and `busy` (read with `busy_window` around the
    /// start's date), leaving out `ignore` (the blocked span of an appointment being moved).
    pub(in crate::app) fn check(
        &self,
        busy: &[Busy],
        now: Timestamp,
        ignore: Option<(Timestamp, Timestamp)>,
    ) -> Result<Placed, Refusal> {
        let date = self.date();
        let rules = Rules::new(
            zone_of(self.clinic),
            self.rules,
            self.vt,
            self.staff,
            now,
            busy,
            ignore,
        );
        check_start(&rules.query(date, date), self.start).map(|slot| Placed {
            blocked: rules.length.blocked(slot.start),
            slot,
            date,
        })
    }

    /// Reads the doctor's busy time around the start through `c` and checks the start.
    pub(in crate::app) async fn slot<C: Conn>(
        &self,
        c: &C,
        now: Timestamp,
        ignore: Option<(Timestamp, Timestamp)>,
    ) -> AppResult<Result<Placed, Refusal>> {
        let date = self.date();
        let (lo, hi) = busy_window(&zone_of(self.clinic), date, date);
        let busy = appointments::busy(c, self.rules.doctor, lo, hi).await?;
        Ok(self.check(&busy, now, ignore))
    }

    /// The new appointment's row.
    pub(in crate::app) fn row<'a>(
        &self,
        id: AppointmentId,
        placed: &Placed,
        d: &Details<'a>,
        ref_code: &'a str,
        local_date: &'a str,
    ) -> NewAppointment<'a> {
        NewAppointment {
            id,
            clinic_id: self.clinic.id,
            doctor_id: self.rules.doctor,
            patient_id: d.patient,
            visit_type_id: self.vt.id,
            start: placed.slot.start,
            end: placed.slot.end,
            block_start: placed.blocked.start,
            block_end: placed.blocked.end,
            local_date,
            status: d.status,
            source: d.source,
            reason: d.reason,
            ref_code,
            rescheduled_from: d.rescheduled_from,
            created_by: d.created_by,
            patient_overlap_ok: d.patient_overlap_ok,
        }
    }

    /// Inserts the appointment, and then runs `then` (the booking's other writes: one round
    /// trip on SQLite). A refusal of the insert leaves `then` unrun.
    pub(in crate::app) async fn insert<C: Conn>(
        &self,
        c: &C,
        row: &NewAppointment<'_>,
        then: Batch,
        now: Timestamp,
    ) -> AppResult<Inserted> {
        let mut b = Batch::on(c);
        appointments::insert_into(&mut b, row, now);
        b.extend(then);
        // Of the statements, only the appointment's insert meets these two constraints.
        match b.run(c).await {
            Ok(rows) => Ok(Inserted::Done(rows)),
            Err(StoreError::Conflict(c)) if c == NO_OVERLAP => Ok(Inserted::Taken),
            Err(StoreError::Conflict(c)) if c == PATIENT_OVERLAP => Ok(Inserted::PatientBusy),
            Err(StoreError::Conflict(c)) if c == REF_CODE_KEY => Ok(Inserted::RefCodeTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// The answer to a refusal: the rule it breaks, or for a taken slot the nearest free
    /// ones (read after the caller has let its transaction go).
    pub(in crate::app) async fn refused(&self, state: &AppState, r: Refusal) -> AppError {
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
        let date = self.date();
        let from = date.yesterday().unwrap_or(date);
        let to = date.checked_add(jiff::Span::new().days(7)).unwrap_or(date);
        let (rules, busy) = read(
            state.store().conn(),
            self.clinic,
            self.rules.doctor,
            from,
            to,
        )
        .await?;
        let rules = Rules::new(
            zone_of(self.clinic),
            &rules,
            self.vt,
            self.staff,
            state.now(),
            &busy,
            None,
        );
        let start = self.start.as_millisecond();
        let mut slots = free_slots(&rules.query(from, to));
        slots.sort_by_key(|s| s.start.as_millisecond().abs_diff(start));
        slots.truncate(3);
        slots.sort();
        Ok(AppError::SlotTaken {
            alternatives: slot_views(self.clinic, &slots),
        })
    }
}
