//! Checking one requested start: the slot it is, or the rule it breaks.

use super::{Exception, Slot, SlotPolicy, SlotQuery, WeeklyInterval, free_slots, saturating};
use jiff::{SignedDuration, Timestamp};

/// Why a requested start time cannot be booked, naming the rule it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Sooner than the minimum notice.
    TooSoon,
    /// Later than the booking horizon.
    BeyondHorizon,
    /// The clinic is closed that day.
    Holiday,
    /// The doctor is on leave then.
    OnLeave,
    /// The doctor works then, but does not offer this visit type.
    VisitTypeNotOffered,
    /// Not a slot of the doctor's hours (outside them, or off the slot grid).
    OutsideHours,
    /// The doctor's daily cap is reached that day.
    DailyCapReached,
    /// Another appointment holds the time.
    Taken,
}

impl Refusal {
    /// The stable name of the rule, for API clients.
    pub fn rule(self) -> &'static str {
        match self {
            Refusal::TooSoon => "min_notice",
            Refusal::BeyondHorizon => "horizon",
            Refusal::Holiday => "holiday",
            Refusal::OnLeave => "leave",
            Refusal::VisitTypeNotOffered => "visit_type",
            Refusal::OutsideHours => "hours",
            Refusal::DailyCapReached => "daily_cap",
            Refusal::Taken => "taken",
        }
    }

    /// What a person should read.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::TooSoon => "This time is too soon: the clinic needs more notice.",
            Refusal::BeyondHorizon => "This time is too far ahead to book yet.",
            Refusal::Holiday => "The clinic is closed on this day.",
            Refusal::OnLeave => "The doctor is on leave at this time.",
            Refusal::VisitTypeNotOffered => {
                "The doctor does not offer this visit type at this time."
            }
            Refusal::OutsideHours => "This is not one of the doctor's slots.",
            Refusal::DailyCapReached => "The doctor is fully booked on this day.",
            Refusal::Taken => "This slot has just been taken.",
        }
    }
}

/// Re-derives whether `start` is a slot of `q` (its `from`/`to` are ignored: the slot's own
/// local date is searched) and says which rule refuses it if not.
pub fn check_start(q: &SlotQuery<'_>, start: Timestamp) -> Result<Slot, Refusal> {
    let date = start.to_zoned(q.zone.clone()).date();
    let open = SlotPolicy {
        min_notice: SignedDuration::MIN,
        horizon: SignedDuration::MAX,
        daily_cap: None,
    };
    let offered = |weekly: &[WeeklyInterval], exceptions: &[Exception]| {
        let probe = SlotQuery {
            weekly,
            exceptions,
            busy: &[],
            policy: open,
            from: date,
            to: date,
            now: q.now,
            ..*q
        };
        free_slots(&probe).into_iter().find(|s| s.start == start)
    };
    let Some(slot) = offered(q.weekly, q.exceptions) else {
        if q.exceptions
            .iter()
            .any(|e| matches!(e, Exception::Holiday { date: d } if *d == date))
        {
            return Err(Refusal::Holiday);
        }
        let no_leave: Vec<Exception> = q
            .exceptions
            .iter()
            .filter(|e| !matches!(e, Exception::Leave { .. }))
            .cloned()
            .collect();
        if offered(q.weekly, &no_leave).is_some() {
            return Err(Refusal::OnLeave);
        }
        let any_type: Vec<WeeklyInterval> = q
            .weekly
            .iter()
            .map(|w| WeeklyInterval {
                visit_types: Vec::new(),
                ..w.clone()
            })
            .collect();
        if offered(&any_type, q.exceptions).is_some() {
            return Err(Refusal::VisitTypeNotOffered);
        }
        return Err(Refusal::OutsideHours);
    };
    if start < saturating(q.now, q.policy.min_notice) {
        return Err(Refusal::TooSoon);
    }
    if start > saturating(q.now, q.policy.horizon) {
        return Err(Refusal::BeyondHorizon);
    }
    if q.policy
        .daily_cap
        .is_some_and(|cap| (q.booked_on)(date) >= cap)
    {
        return Err(Refusal::DailyCapReached);
    }
    let blocked = q.length.blocked(start);
    if q.busy.iter().any(|b| b.overlaps(&blocked)) {
        return Err(Refusal::Taken);
    }
    Ok(slot)
}
