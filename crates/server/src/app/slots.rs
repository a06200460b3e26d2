//! The slot engine: loads one doctor's rules, exceptions and busy time and lets the pure
//! `domain::schedule` functions turn them into free slots.

use super::{
    clinics::get_clinic,
    local_time::{window, zone_of},
};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    ClinicId, DoctorId, DoctorStatus, SpecialtyId, VisitTypeId,
    schedule::{self, Exception, Interval, SlotPolicy, SlotQuery, VisitLength, WeeklyInterval},
};
use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, Time, Weekday},
    tz::TimeZone,
};
use std::collections::HashMap;
use store::{
    Conn,
    appointments::Busy,
    clinics::Clinic,
    doctors,
    rules::{self, DoctorRules},
    schedules::{self, ExceptionRow, Policy, VisitType},
};

/// Everything slot generation needs for one doctor, one visit type and a date range.
pub struct Rules {
    pub zone: TimeZone,
    pub weekly: Vec<WeeklyInterval>,
    pub exceptions: Vec<Exception>,
    pub busy: Vec<Interval>,
    /// Active appointments per local date, for the daily cap.
    pub per_day: Box<dyn Fn(Date) -> u32 + Send + Sync>,
    pub length: VisitLength,
    pub policy: SlotPolicy,
    pub visit_type: VisitTypeId,
    pub now: Timestamp,
}

impl Rules {
    /// The pure query over these rules for `from..=to`.
    pub fn query(&self, from: Date, to: Date) -> SlotQuery<'_> {
        SlotQuery {
            zone: &self.zone,
            weekly: &self.weekly,
            exceptions: &self.exceptions,
            visit_type: self.visit_type.as_uuid(),
            length: self.length,
            busy: &self.busy,
            booked_on: &*self.per_day,
            policy: self.policy,
            now: self.now,
            from,
            to,
        }
    }
}

/// The length of a visit type.
pub fn length_of(vt: &VisitType) -> VisitLength {
    VisitLength {
        duration: SignedDuration::from_mins(vt.duration_min.into()),
        buffer_before: SignedDuration::from_mins(vt.buffer_before_min.into()),
        buffer_after: SignedDuration::from_mins(vt.buffer_after_min.into()),
    }
}

/// The slot policy of the clinic's booking policy; staff may book without notice.
pub fn slot_policy(p: &Policy, staff: bool) -> SlotPolicy {
    SlotPolicy {
        min_notice: if staff {
            SignedDuration::ZERO
        } else {
            SignedDuration::from_mins(p.min_notice_min.into())
        },
        horizon: SignedDuration::from_hours(i64::from(p.horizon_days) * 24),
        daily_cap: p.daily_cap.and_then(|c| u32::try_from(c).ok()),
    }
}

fn to_domain_exceptions(rows: &[ExceptionRow]) -> Vec<Exception> {
    let mut out = Vec::new();
    for r in rows {
        let hours = r.start_min.zip(r.end_min).map(|(s, e)| window(s, e));
        match r.kind.as_str() {
            "leave" => out.push(Exception::Leave {
                from: r.date_from,
                to: r.date_to,
                hours,
            }),
            "holiday" => {
                let mut d = r.date_from;
                while d <= r.date_to {
                    out.push(Exception::Holiday { date: d });
                    match d.tomorrow() {
                        Ok(n) => d = n,
                        Err(_) => break,
                    }
                }
            }
            "extra" => {
                if let Some(w) = hours {
                    out.push(Exception::Extra {
                        date: r.date_from,
                        window: w,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The instant a local date starts, for range queries.
fn day_start(zone: &TimeZone, d: Date) -> Timestamp {
    d.to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .unwrap_or_else(|_| {
            d.to_datetime(Time::midnight())
                .to_zoned(TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::UNIX_EPOCH)
        })
}

/// The instants whose busy time can touch slots of the local dates `from..=to`.
pub fn busy_window(zone: &TimeZone, from: Date, to: Date) -> (Timestamp, Timestamp) {
    (
        day_start(zone, from.yesterday().unwrap_or(from)),
        day_start(
            zone,
            to.checked_add(jiff::Span::new().days(2)).unwrap_or(to),
        ),
    )
}

/// One doctor's rules for the local dates `from..=to` and the time their appointments
/// block around them, in one read.
pub async fn read<C: Conn>(
    c: &C,
    clinic: &Clinic,
    doctor: DoctorId,
    from: Date,
    to: Date,
) -> AppResult<(DoctorRules, Vec<Busy>)> {
    let window = busy_window(&zone_of(clinic), from, to);
    Ok(rules::doctor_rules_and_busy(c, clinic.id, doctor, (from, to), window).await?)
}

/// The doctor's weekly hours as the domain reads them.
fn weekly_of(r: &DoctorRules) -> Vec<WeeklyInterval> {
    r.hours
        .iter()
        .filter_map(|h| {
            Some(WeeklyInterval {
                weekday: Weekday::from_monday_one_offset(i8::try_from(h.weekday).ok()?).ok()?,
                window: window(h.start_min, h.end_min),
                visit_types: h.visit_types.iter().map(|v| v.as_uuid()).collect(),
                valid_from: h.valid_from,
                valid_to: h.valid_to,
            })
        })
        .collect()
}

/// Whether the doctor of `r` (read for a range holding `date`) has any hours on `date`.
pub fn works_on(r: &DoctorRules, date: Date) -> bool {
    schedule::works_on(&weekly_of(r), &to_domain_exceptions(&r.exceptions), date)
}

impl Rules {
    /// The rules of `r` for visit type `vt`, with `busy` minus `ignore` (the blocked span of
    /// an appointment being moved).
    pub fn new(
        zone: TimeZone,
        r: &DoctorRules,
        vt: &VisitType,
        staff: bool,
        now: Timestamp,
        busy: &[Busy],
        ignore: Option<(Timestamp, Timestamp)>,
    ) -> Rules {
        let mut rules = Rules {
            zone,
            weekly: weekly_of(r),
            exceptions: to_domain_exceptions(&r.exceptions),
            busy: Vec::new(),
            per_day: Box::new(|_| 0),
            length: length_of(vt),
            policy: slot_policy(&r.policy, staff),
            visit_type: vt.id,
            now,
        };
        rules.set_busy(busy, ignore);
        rules
    }

    /// Replaces the busy time (for a re-check against a fresher read).
    pub fn set_busy(&mut self, busy: &[Busy], ignore: Option<(Timestamp, Timestamp)>) {
        let kept = busy
            .iter()
            .filter(|b| ignore != Some((b.block_start, b.block_end)));
        self.busy = kept
            .clone()
            .map(|b| Interval {
                start: b.block_start,
                end: b.block_end,
            })
            .collect();
        // Dates are only looked at under a daily cap.
        if self.policy.daily_cap.is_some() {
            let mut per_day: HashMap<Date, u32> = HashMap::new();
            for d in kept.filter_map(|b| b.local_date.parse::<Date>().ok()) {
                *per_day.entry(d).or_default() += 1;
            }
            self.per_day = Box::new(move |d| per_day.get(&d).copied().unwrap_or(0));
        }
    }
}

/// What a slot search asks for.
#[derive(Debug, Clone, Default)]
pub struct SlotSearch {
    pub doctor: Option<DoctorId>,
    pub specialty: Option<SpecialtyId>,
    pub visit_type: Option<VisitTypeId>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// One doctor's free slots for one visit type.
pub struct DoctorSlots {
    pub doctor: DoctorId,
    pub doctor_name: String,
    pub visit_type: VisitType,
    pub slots: Vec<schedule::Slot>,
}

/// The longest range one search covers.
pub const MAX_SEARCH_DAYS: i32 = 31;

/// The free slots of one doctor (any status: the caller filters) for `vt`, or their first
/// offered visit type.
fn doctor_slots(
    zone: &TimeZone,
    r: &DoctorRules,
    busy: &[Busy],
    vt: Option<VisitTypeId>,
    staff: bool,
    now: Timestamp,
    (from, to): (Date, Date),
) -> Option<DoctorSlots> {
    let mut offered = r.offered();
    let vt = match vt {
        Some(id) => offered.find(|v| v.id == id),
        None => offered.next(),
    }?;
    let rules = Rules::new(zone.clone(), r, vt, staff, now, busy, None);
    Some(DoctorSlots {
        doctor: r.doctor,
        doctor_name: r.name.clone(),
        visit_type: vt.clone(),
        slots: schedule::free_slots(&rules.query(from, to)),
    })
}

/// The local dates `from..=to` a search covers: `from` defaults to `today()`, `to` to six
/// days after `from`, and the range is at most `MAX_SEARCH_DAYS` long.
fn search_range(q: &SlotSearch, today: impl FnOnce() -> Date) -> AppResult<(Date, Date)> {
    let from = q.from.unwrap_or_else(today);
    let to =
        q.to.unwrap_or_else(|| from.checked_add(jiff::Span::new().days(6)).unwrap_or(from));
    if to < from {
        return Err(AppError::field(
            "to",
            "The end date is before the start date.",
        ));
    }
    if from
        .until(to)
        .map_or(true, |s| s.get_days() >= MAX_SEARCH_DAYS)
    {
        return Err(AppError::field(
            "to",
            format!("Search at most {MAX_SEARCH_DAYS} days at a time."),
        ));
    }
    Ok((from, to))
}

fn unknown_visit_type() -> AppError {
    AppError::field("visit_type_id", "Choose one of the clinic's visit types.")
}

/// The free slots of the one doctor of `r`, if approved; an error if the search names a
/// visit type the clinic does not have.
fn one_doctor(
    zone: &TimeZone,
    (r, busy): &(DoctorRules, Vec<Busy>),
    q: &SlotSearch,
    staff: bool,
    now: Timestamp,
    range: (Date, Date),
) -> AppResult<Vec<DoctorSlots>> {
    if q.visit_type
        .is_some_and(|id| !r.visit_types.iter().any(|v| v.id == id))
    {
        return Err(unknown_visit_type());
    }
    Ok((r.status == Some(DoctorStatus::Approved))
        .then(|| doctor_slots(zone, r, busy, q.visit_type, staff, now, range))
        .flatten()
        .into_iter()
        .collect())
}

/// Free slots of the clinic's approved doctors matching the search. Without a visit type,
/// each doctor's first offered type is used. Dates default to the next 7 days.
pub async fn search_slots(
    state: &AppState,
    clinic: &Clinic,
    q: &SlotSearch,
    staff: bool,
) -> AppResult<(Date, Date, Vec<DoctorSlots>)> {
    let now = state.now();
    let zone = zone_of(clinic);
    let (from, to) = search_range(q, || now.to_zoned(zone.clone()).date())?;
    let c = state.store().conn();
    let Some(doctor) = q.doctor else {
        let doctors =
            doctors::list(c, clinic.id, DoctorStatus::Approved, q.specialty, 50, 0).await?;
        let mut out = Vec::new();
        for d in &doctors {
            let (r, busy) = read(c, clinic, d.id, from, to).await?;
            out.extend(doctor_slots(
                &zone,
                &r,
                &busy,
                q.visit_type,
                staff,
                now,
                (from, to),
            ));
        }
        if let Some(id) = q.visit_type
            && !schedules::visit_types(c, clinic.id, None)
                .await?
                .iter()
                .any(|v| v.id == id)
        {
            return Err(unknown_visit_type());
        }
        return Ok((from, to, out));
    };
    // One doctor, the common case: one query.
    let read = read(c, clinic, doctor, from, to).await?;
    Ok((
        from,
        to,
        one_doctor(&zone, &read, q, staff, now, (from, to))?,
    ))
}

/// [`search_slots`] in the clinic `id`, which it looks up. When the search names a doctor
/// and a start date, it needs no time zone to start reading, so the clinic is read beside
/// the doctor's rules and busy time instead of before them: one round trip in all.
pub async fn search_clinic_slots(
    state: &AppState,
    id: ClinicId,
    q: &SlotSearch,
    staff: bool,
) -> AppResult<(Clinic, Date, Date, Vec<DoctorSlots>)> {
    let (Some(doctor), Some(from)) = (q.doctor, q.from) else {
        let clinic = get_clinic(state, id).await?;
        let (from, to, found) = search_slots(state, &clinic, q, staff).await?;
        return Ok((clinic, from, to, found));
    };
    let (from, to) = search_range(q, || from)?;
    // Every zone's local day lies within a day of the UTC day of the same date.
    let utc = |d: Date, days: i64| {
        day_start(
            &TimeZone::UTC,
            d.saturating_add(jiff::Span::new().days(days)),
        )
    };
    let c = state.store().conn();
    let window = (utc(from, -2), utc(to, 3));
    let rules_and_busy =
        async { Ok(rules::doctor_rules_and_busy(c, id, doctor, (from, to), window).await?) };
    let (clinic, read) = tokio::try_join!(get_clinic(state, id), rules_and_busy)?;
    let zone = zone_of(&clinic);
    let found = one_doctor(&zone, &read, q, staff, state.now(), (from, to))?;
    Ok((clinic, from, to, found))
}
