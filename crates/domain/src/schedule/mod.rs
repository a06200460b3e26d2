//! Weekly hours, exceptions and slot generation. Hours are local wall-clock times in the
//! clinic's zone; slots are UTC instants. Slots sit on a local grid from each window's
//! start, so they keep their familiar labels (09:00, 09:30, …). Across a DST change a
//! grid time the clock skips gets no slot, a repeated time gets one slot (its earlier
//! occurrence), and slots never overlap where the jump brings grid times closer together.

use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, DateTime, Time, Weekday},
    tz::{AmbiguousOffset, TimeZone},
};

mod refusal;
pub use refusal::{Refusal, check_start};

/// A span of local wall-clock time within one day; `end` of `None` means midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalWindow {
    pub start: Time,
    pub end: Option<Time>,
}

impl LocalWindow {
    /// A window from `start` to `end`; `end` must be later on the same day.
    pub fn new(start: Time, end: Time) -> Result<Self, crate::DomainError> {
        if end <= start {
            return Err(crate::DomainError::field(
                "end",
                "must be later than the start",
            ));
        }
        Ok(Self {
            start,
            end: Some(end),
        })
    }

    fn end_on(&self, date: Date) -> DateTime {
        match self.end {
            Some(t) => date.to_datetime(t),
            None => date.tomorrow().map_or(date.to_datetime(Time::MAX), |d| {
                d.to_datetime(Time::midnight())
            }),
        }
    }
}

/// One interval of a doctor's weekly hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyInterval {
    pub weekday: Weekday,
    pub window: LocalWindow,
    /// Visit types offered in this interval; empty means all of them.
    pub visit_types: Vec<uuid::Uuid>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

impl WeeklyInterval {
    /// Whether the interval is open on `date` for `visit_type` (for any, when `None`).
    fn applies(&self, date: Date, visit_type: Option<uuid::Uuid>) -> bool {
        date.weekday() == self.weekday
            && self.valid_from.is_none_or(|f| date >= f)
            && self.valid_to.is_none_or(|t| date <= t)
            && visit_type
                .is_none_or(|v| self.visit_types.is_empty() || self.visit_types.contains(&v))
    }
}

/// A change to the weekly pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exception {
    /// The doctor is away from `from` to `to` (inclusive), all day or during `hours` each day.
    Leave {
        from: Date,
        to: Date,
        hours: Option<LocalWindow>,
    },
    /// The clinic is closed all day.
    Holiday { date: Date },
    /// Extra hours on one date.
    Extra { date: Date, window: LocalWindow },
}

/// How long a visit takes, with its buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitLength {
    pub duration: SignedDuration,
    pub buffer_before: SignedDuration,
    pub buffer_after: SignedDuration,
}

impl VisitLength {
    /// The time the visit blocks, buffers included.
    pub fn blocked(&self, start: Timestamp) -> Interval {
        Interval {
            start: start - self.buffer_before,
            end: start + self.duration + self.buffer_after,
        }
    }

    fn step(&self) -> SignedDuration {
        self.buffer_before + self.duration + self.buffer_after
    }
}

/// A half-open span of instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Interval {
    /// Whether the two spans share any instant.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Busy time sorted by start with overlapping and touching spans merged, so that whether a
/// span is free is one binary search instead of a scan of every appointment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusyIndex(Vec<Interval>);

impl BusyIndex {
    /// Indexes `busy`, in any order; a span that ends before it starts blocks nothing.
    pub fn new(busy: &[Interval]) -> Self {
        let mut sorted: Vec<Interval> = busy.iter().filter(|b| b.start <= b.end).copied().collect();
        sorted.sort_unstable();
        let mut merged: Vec<Interval> = Vec::with_capacity(sorted.len());
        for b in sorted {
            match merged.last_mut() {
                Some(last) if b.start <= last.end => last.end = last.end.max(b.end),
                _ => merged.push(b),
            }
        }
        BusyIndex(merged)
    }

    /// Whether any busy time overlaps `span`.
    pub fn overlaps(&self, span: &Interval) -> bool {
        // The merged spans are disjoint and sorted, so their ends are sorted too: the first
        // one ending after `span` starts is the only candidate.
        let i = self.0.partition_point(|b| b.end <= span.start);
        self.0.get(i).is_some_and(|b| b.overlaps(span))
    }
}

/// The clinic's booking rules that shape which slots are offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotPolicy {
    /// No slot starts sooner than this after now.
    pub min_notice: SignedDuration,
    /// No slot starts later than this after now.
    pub horizon: SignedDuration,
    /// At most this many active appointments per doctor per local day.
    pub daily_cap: Option<u32>,
}

/// A bookable slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Everything slot generation looks at, for one doctor and one visit type.
pub struct SlotQuery<'a> {
    pub zone: &'a TimeZone,
    pub weekly: &'a [WeeklyInterval],
    pub exceptions: &'a [Exception],
    pub visit_type: uuid::Uuid,
    pub length: VisitLength,
    /// Time already taken (existing active appointments, buffers included).
    pub busy: &'a [Interval],
    /// Active appointments per local date, for the daily cap.
    pub booked_on: &'a dyn Fn(Date) -> u32,
    pub policy: SlotPolicy,
    pub now: Timestamp,
    /// Local dates to search, inclusive.
    pub from: Date,
    pub to: Date,
}

/// Whether the doctor with these hours and exceptions works at all on `date` (for any
/// visit type): weekly hours or extra hours that leave and holidays do not cancel.
pub fn works_on(weekly: &[WeeklyInterval], exceptions: &[Exception], date: Date) -> bool {
    !open_windows(weekly, exceptions, None, date).is_empty()
}

/// Civil windows open on `date` for the visit type (any, when `None`): weekly hours plus
/// extras, minus leave; none on a holiday. Overlapping windows are merged.
fn open_windows(
    weekly: &[WeeklyInterval],
    exceptions: &[Exception],
    visit_type: Option<uuid::Uuid>,
    date: Date,
) -> Vec<(DateTime, DateTime)> {
    if exceptions
        .iter()
        .any(|e| matches!(e, Exception::Holiday { date: d } if *d == date))
    {
        return Vec::new();
    }
    let mut windows: Vec<(DateTime, DateTime)> = weekly
        .iter()
        .filter(|w| w.applies(date, visit_type))
        .map(|w| w.window)
        .chain(exceptions.iter().filter_map(|e| match e {
            Exception::Extra { date: d, window } if *d == date => Some(*window),
            _ => None,
        }))
        .map(|w| (date.to_datetime(w.start), w.end_on(date)))
        .collect();
    windows.sort();
    let mut merged: Vec<(DateTime, DateTime)> = Vec::new();
    for (s, e) in windows {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    for e in exceptions {
        if let Exception::Leave { from, to, hours } = e
            && *from <= date
            && date <= *to
        {
            let (ls, le) = match hours {
                None => return Vec::new(),
                Some(h) => (date.to_datetime(h.start), h.end_on(date)),
            };
            merged = merged
                .into_iter()
                .flat_map(|(s, e)| {
                    let mut parts = Vec::new();
                    if s < ls {
                        parts.push((s, e.min(ls)));
                    }
                    if e > le {
                        parts.push((s.max(le), e));
                    }
                    parts
                })
                .filter(|(s, e)| s < e)
                .collect();
        }
    }
    merged
}

/// The instant of a local time: `None` for a time the clock skips; the earlier occurrence
/// of a repeated one.
fn instant(zone: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    let amb = zone.to_ambiguous_timestamp(dt);
    match amb.offset() {
        AmbiguousOffset::Gap { .. } => None,
        _ => amb.earlier().ok(),
    }
}

/// The end of a window as an instant; a window ending inside a skipped hour ends when the
/// clock jumps.
fn window_end(zone: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    zone.to_ambiguous_timestamp(dt).earlier().ok()
}

/// `t + d`, clamped to the representable range.
pub(super) fn saturating(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(if d.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// All free slots for the query, in time order.
pub fn free_slots(q: &SlotQuery<'_>) -> Vec<Slot> {
    let earliest = saturating(q.now, q.policy.min_notice);
    let latest = saturating(q.now, q.policy.horizon);
    let step = q.length.step();
    if step <= SignedDuration::ZERO || q.length.duration <= SignedDuration::ZERO {
        return Vec::new();
    }
    let busy = BusyIndex::new(q.busy);
    let mut out = Vec::new();
    let mut date = q.from;
    while date <= q.to {
        let capped = q
            .policy
            .daily_cap
            .is_some_and(|cap| (q.booked_on)(date) >= cap);
        if !capped {
            for (ws, we) in open_windows(q.weekly, q.exceptions, Some(q.visit_type), date) {
                let Some(window_end) = window_end(q.zone, we) else {
                    continue;
                };
                let mut local = ws;
                while local < we {
                    if let Some(start) = instant(q.zone, local) {
                        let slot = Slot {
                            start,
                            end: start + q.length.duration,
                        };
                        let blocked = q.length.blocked(start);
                        if slot.end <= window_end
                            && start >= earliest
                            && start <= latest
                            && !busy.overlaps(&blocked)
                            // Where the clock jumps forward, grid times can be closer than
                            // a visit: keep the earlier slot.
                            && out.last().is_none_or(|l: &Slot| q.length.blocked(l.start).end <= blocked.start)
                        {
                            out.push(slot);
                        }
                    }
                    match local.checked_add(step) {
                        Ok(next) => local = next,
                        Err(_) => break,
                    }
                }
            }
        }
        match date.tomorrow() {
            Ok(d) => date = d,
            Err(_) => break,
        }
    }
    out
}
