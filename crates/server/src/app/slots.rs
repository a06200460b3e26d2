//! The slot engine: loads one doctor's rules, exceptions and busy time and lets the pure
//! `domain::schedule` functions turn them into free slots.

use super::schedule::{window, zone_of};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    DoctorId, DoctorStatus, SpecialtyId, VisitTypeId,
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
    clinics::Clinic,
    doctors::{self, Doctor},
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

/// Loads one doctor's rules for `from..=to`. `ignore` leaves one blocked span out of the
/// busy time (the appointment being rescheduled).
#[allow(clippy::too_many_arguments)]
pub async fn load_rules<C: Conn>(
    c: &C,
    clinic: &Clinic,
    doctor: DoctorId,
    vt: &VisitType,
    policy: &Policy,
    staff: bool,
    now: Timestamp,
    from: Date,
    to: Date,
    ignore: Option<(Timestamp, Timestamp)>,
) -> AppResult<Rules> {
    let zone = zone_of(clinic);
    let weekly = schedules::hours(c, clinic.id, doctor)
        .await?
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
        .collect();
    let exceptions =
        to_domain_exceptions(&schedules::exceptions(c, clinic.id, Some(doctor), from, to).await?);
    let lo = day_start(&zone, from.yesterday().unwrap_or(from));
    let hi = day_start(
        &zone,
        to.checked_add(jiff::Span::new().days(2)).unwrap_or(to),
    );
    let mut busy = Vec::new();
    let mut per_day: HashMap<Date, u32> = HashMap::new();
    for (s, e, day) in store::appointments::busy(c, doctor, lo, hi).await? {
        if ignore == Some((s, e)) {
            continue;
        }
        busy.push(Interval { start: s, end: e });
        if let Ok(d) = day.parse::<Date>() {
            *per_day.entry(d).or_default() += 1;
        }
    }
    Ok(Rules {
        zone,
        weekly,
        exceptions,
        busy,
        per_day: Box::new(move |d| per_day.get(&d).copied().unwrap_or(0)),
        length: length_of(vt),
        policy: slot_policy(policy, staff),
        visit_type: vt.id,
        now,
    })
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
    pub doctor: Doctor,
    pub visit_type: VisitType,
    pub slots: Vec<schedule::Slot>,
}

/// The longest range one search covers.
pub const MAX_SEARCH_DAYS: i32 = 31;

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
    let today = now.to_zoned(zone.clone()).date();
    let from = q.from.unwrap_or(today);
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
    let c = state.store().conn();
    let doctors = match q.doctor {
        Some(id) => doctors::find(c, clinic.id, id)
            .await?
            .filter(|d| d.status == DoctorStatus::Approved)
            .into_iter()
            .collect(),
        None => doctors::list(c, clinic.id, DoctorStatus::Approved, q.specialty, 50, 0).await?,
    };
    let policy = schedules::policy(c, clinic.id).await?;
    let all_types = schedules::visit_types(c, clinic.id, None).await?;
    let mut out = Vec::new();
    for d in doctors {
        let offered: Vec<&VisitType> = all_types
            .iter()
            .filter(|v| v.doctor_id.is_none_or(|x| x == d.id))
            .collect();
        let vt = match q.visit_type {
            Some(id) => offered.iter().find(|v| v.id == id).copied(),
            None => offered.first().copied(),
        };
        let Some(vt) = vt else { continue };
        let rules = load_rules(c, clinic, d.id, vt, &policy, staff, now, from, to, None).await?;
        let slots = schedule::free_slots(&rules.query(from, to));
        out.push(DoctorSlots {
            doctor: d,
            visit_type: vt.clone(),
            slots,
        });
    }
    if let Some(id) = q.visit_type
        && !all_types.iter().any(|v| v.id == id)
    {
        return Err(AppError::field(
            "visit_type_id",
            "Choose one of the clinic's visit types.",
        ));
    }
    Ok((from, to, out))
}
