//! Slot generation: exact cases at known 2026 DST transitions, and properties across zones.

use docspot_domain::schedule::{
    BusyIndex, Exception, Interval, LocalWindow, Slot, SlotPolicy, SlotQuery, VisitLength,
    WeeklyInterval, free_slots,
};
use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, Time, Weekday, date, time},
    tz::{AmbiguousOffset, TimeZone},
};
use proptest::prelude::*;

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

fn every_day(start: Time, end: Time) -> Vec<WeeklyInterval> {
    [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ]
    .into_iter()
    .map(|weekday| WeeklyInterval {
        weekday,
        window: LocalWindow::new(start, end).unwrap(),
        visit_types: vec![],
        valid_from: None,
        valid_to: None,
    })
    .collect()
}

const OPEN: SlotPolicy = SlotPolicy {
    min_notice: SignedDuration::ZERO,
    horizon: SignedDuration::from_hours(24 * 400),
    daily_cap: None,
};

struct Case {
    zone: TimeZone,
    weekly: Vec<WeeklyInterval>,
    exceptions: Vec<Exception>,
    length: VisitLength,
    busy: Vec<Interval>,
    policy: SlotPolicy,
    now: Timestamp,
    cap_used: u32,
}

impl Case {
    fn new(zone: &str, start: Time, end: Time, minutes: i64) -> Case {
        Case {
            zone: TimeZone::get(zone).unwrap(),
            weekly: every_day(start, end),
            exceptions: vec![],
            length: VisitLength {
                duration: mins(minutes),
                buffer_before: SignedDuration::ZERO,
                buffer_after: SignedDuration::ZERO,
            },
            busy: vec![],
            policy: OPEN,
            now: "2026-01-01T00:00:00Z".parse().unwrap(),
            cap_used: 0,
        }
    }

    fn slots(&self, from: Date, to: Date) -> Vec<Slot> {
        let used = self.cap_used;
        let booked_on = move |_: Date| used;
        free_slots(&SlotQuery {
            zone: &self.zone,
            weekly: &self.weekly,
            exceptions: &self.exceptions,
            visit_type: uuid::Uuid::nil(),
            length: self.length,
            busy: &self.busy,
            booked_on: &booked_on,
            policy: self.policy,
            now: self.now,
            from,
            to,
        })
    }

    fn local(&self, slots: &[Slot]) -> Vec<String> {
        slots
            .iter()
            .map(|s| {
                s.start
                    .to_zoned(self.zone.clone())
                    .strftime("%H:%M %Z")
                    .to_string()
            })
            .collect()
    }
}

#[test]
fn new_york_spring_forward_offers_no_slot_in_the_skipped_hour() {
    let c = Case::new("America/New_York", time(1, 0, 0, 0), time(4, 0, 0, 0), 30);
    let s = c.slots(date(2026, 3, 8), date(2026, 3, 8));
    assert_eq!(
        c.local(&s),
        ["01:00 EST", "01:30 EST", "03:00 EDT", "03:30 EDT"]
    );
    assert_eq!(
        s[2].start,
        "2026-03-08T07:00:00Z".parse::<Timestamp>().unwrap()
    );
}

#[test]
fn new_york_fall_back_offers_the_repeated_hour_once() {
    let c = Case::new("America/New_York", time(0, 0, 0, 0), time(3, 0, 0, 0), 30);
    let s = c.slots(date(2026, 11, 1), date(2026, 11, 1));
    assert_eq!(
        c.local(&s),
        [
            "00:00 EDT",
            "00:30 EDT",
            "01:00 EDT",
            "01:30 EDT",
            "02:00 EST",
            "02:30 EST"
        ]
    );
}

#[test]
fn lord_howe_half_hour_shift_skips_only_the_missing_half_hour() {
    let c = Case::new(
        "Australia/Lord_Howe",
        time(1, 30, 0, 0),
        time(3, 0, 0, 0),
        15,
    );
    let s = c.slots(date(2026, 10, 4), date(2026, 10, 4));
    let labels: Vec<String> = c.local(&s).iter().map(|l| l[..5].to_owned()).collect();
    assert_eq!(labels, ["01:30", "01:45", "02:30", "02:45"]);
}

#[test]
fn slots_never_overlap_where_the_clock_jumps_by_less_than_a_visit() {
    // Grid 01:45 and 02:30 are only 15 real minutes apart on this night.
    let c = Case::new(
        "Australia/Lord_Howe",
        time(1, 0, 0, 0),
        time(4, 0, 0, 0),
        45,
    );
    let s = c.slots(date(2026, 10, 4), date(2026, 10, 4));
    for pair in s.windows(2) {
        assert!(
            pair[0].end <= pair[1].start,
            "{:?} overlaps {:?}",
            c.local(&pair[..1]),
            c.local(&pair[1..])
        );
    }
}

#[test]
fn kolkata_has_no_transitions_and_keeps_a_steady_grid() {
    let c = Case::new("Asia/Kolkata", time(9, 0, 0, 0), time(12, 0, 0, 0), 20);
    let s = c.slots(date(2026, 3, 1), date(2026, 3, 1));
    assert_eq!(s.len(), 9);
    assert_eq!(c.local(&s)[0], "09:00 IST");
    assert_eq!(
        s[0].start,
        "2026-03-01T03:30:00Z".parse::<Timestamp>().unwrap()
    );
}

#[test]
fn holidays_leave_extra_hours_and_bookings_shape_the_day() {
    let d = date(2026, 6, 10);
    let mut c = Case::new("Europe/London", time(9, 0, 0, 0), time(12, 0, 0, 0), 60);
    assert_eq!(
        c.local(&c.slots(d, d)),
        ["09:00 BST", "10:00 BST", "11:00 BST"]
    );

    c.exceptions = vec![Exception::Leave {
        from: d,
        to: d,
        hours: Some(LocalWindow::new(time(10, 0, 0, 0), time(11, 0, 0, 0)).unwrap()),
    }];
    assert_eq!(
        c.local(&c.slots(d, d)),
        ["09:00 BST", "11:00 BST"],
        "partial leave"
    );

    c.exceptions.push(Exception::Extra {
        date: d,
        window: LocalWindow::new(time(14, 0, 0, 0), time(15, 0, 0, 0)).unwrap(),
    });
    assert_eq!(
        c.local(&c.slots(d, d)),
        ["09:00 BST", "11:00 BST", "14:00 BST"],
        "extra hours"
    );

    c.busy = vec![Interval {
        start: "2026-06-10T08:30:00Z".parse().unwrap(),
        end: "2026-06-10T08:45:00Z".parse().unwrap(),
    }];
    assert_eq!(
        c.local(&c.slots(d, d)),
        ["11:00 BST", "14:00 BST"],
        "an existing booking at 09:30 local takes the 09:00 slot"
    );

    c.exceptions = vec![Exception::Leave {
        from: date(2026, 6, 9),
        to: date(2026, 6, 11),
        hours: None,
    }];
    assert!(c.slots(d, d).is_empty(), "full-day leave");
    c.exceptions = vec![Exception::Holiday { date: d }];
    assert!(c.slots(d, d).is_empty(), "holiday");
}

#[test]
fn buffers_notice_horizon_and_the_daily_cap_are_applied() {
    let d = date(2026, 6, 10);
    let mut c = Case::new("Asia/Kolkata", time(9, 0, 0, 0), time(11, 0, 0, 0), 20);
    c.length.buffer_after = mins(10);
    assert_eq!(
        c.local(&c.slots(d, d)),
        ["09:00 IST", "09:30 IST", "10:00 IST", "10:30 IST"],
        "buffers widen the grid"
    );

    c.now = "2026-06-10T03:40:00Z".parse().unwrap(); // 09:10 IST
    c.policy.min_notice = mins(30);
    assert_eq!(
        c.local(&c.slots(d, d)),
        ["10:00 IST", "10:30 IST"],
        "minimum notice"
    );

    c.policy.horizon = mins(60);
    assert_eq!(c.local(&c.slots(d, d)), ["10:00 IST"], "horizon");

    c.policy.daily_cap = Some(3);
    c.cap_used = 3;
    assert!(c.slots(d, d).is_empty(), "daily cap reached");
}

#[test]
fn intervals_offer_only_their_visit_types_and_only_while_valid() {
    let d = date(2026, 6, 10); // a Wednesday
    let mut c = Case::new("Asia/Kolkata", time(9, 0, 0, 0), time(10, 0, 0, 0), 30);
    c.weekly = vec![WeeklyInterval {
        weekday: Weekday::Wednesday,
        window: LocalWindow::new(time(9, 0, 0, 0), time(10, 0, 0, 0)).unwrap(),
        visit_types: vec![uuid::Uuid::from_u128(7)],
        valid_from: Some(date(2026, 6, 1)),
        valid_to: Some(date(2026, 6, 30)),
    }];
    assert!(c.slots(d, d).is_empty(), "visit type not offered");
    c.weekly[0].visit_types.clear();
    assert_eq!(c.slots(d, d).len(), 2);
    assert!(
        c.slots(date(2026, 7, 1), date(2026, 7, 1)).is_empty(),
        "Wednesday outside the validity"
    );
}

const ZONES: [&str; 4] = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
];
/// Days on or next to the 2026 transitions of those zones.
const TRANSITIONS: [(i16, i8, i8); 6] = [
    (2026, 3, 8),
    (2026, 11, 1),
    (2026, 3, 29),
    (2026, 10, 25),
    (2026, 4, 5),
    (2026, 10, 4),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn slots_are_ordered_disjoint_on_the_grid_inside_hours_and_never_on_a_skipped_time(
        zone_i in 0usize..4,
        day_i in 0usize..6,
        shift in -2i32..3,
        start_q in 0i8..88,
        len_q in 1i8..24,
        minutes in prop::sample::select(vec![10i64, 15, 20, 30, 45, 60]),
        before in prop::sample::select(vec![0i64, 5, 10]),
        after in prop::sample::select(vec![0i64, 5, 15]),
    ) {
        let (y, m, d) = TRANSITIONS[day_i];
        let day = date(y, m, d).checked_add(jiff::Span::new().days(shift)).unwrap();
        let start = time(start_q / 4, (start_q % 4) * 15, 0, 0);
        let end_q = (start_q + len_q).min(95);
        let end = time(end_q / 4, (end_q % 4) * 15, 0, 0);
        prop_assume!(end > start);
        let mut c = Case::new(ZONES[zone_i], start, end, minutes);
        c.length.buffer_before = mins(before);
        c.length.buffer_after = mins(after);
        let slots = c.slots(day, day);
        let step = minutes + before + after;
        let mut labels = std::collections::HashSet::new();
        for (i, s) in slots.iter().enumerate() {
            prop_assert_eq!(s.start.duration_until(s.end), mins(minutes), "exact length");
            let local = s.start.to_zoned(c.zone.clone()).datetime();
            prop_assert_eq!(local.date(), day, "on the asked day");
            prop_assert!(local.time() >= start, "not before the hours");
            let end_instant = c.zone.to_ambiguous_timestamp(day.to_datetime(end)).earlier().unwrap();
            prop_assert!(s.end <= end_instant, "not past the hours");
            let offset_min = start.duration_until(local.time()).as_mins();
            prop_assert_eq!(offset_min % step, 0, "on the local grid");
            prop_assert!(!matches!(c.zone.to_ambiguous_timestamp(local).offset(), AmbiguousOffset::Gap { .. }), "not a skipped time");
            prop_assert!(labels.insert(local), "each local time at most once");
            if i > 0 {
                let prev = c.length.blocked(slots[i - 1].start);
                prop_assert!(prev.end <= c.length.blocked(s.start).start, "slots with buffers do not overlap");
            }
        }
    }

    #[test]
    fn a_slot_never_touches_busy_time(
        zone_i in 0usize..4,
        day_i in 0usize..6,
        busy_start_q in 0i64..96,
        busy_len_q in 1i64..8,
    ) {
        let (y, m, d) = TRANSITIONS[day_i];
        let day = date(y, m, d);
        let mut c = Case::new(ZONES[zone_i], time(0, 0, 0, 0), time(23, 45, 0, 0), 30);
        c.length.buffer_after = mins(5);
        let day_start = c.zone.to_ambiguous_timestamp(day.to_datetime(Time::midnight())).earlier().unwrap();
        let busy = Interval { start: day_start + mins(busy_start_q * 15), end: day_start + mins((busy_start_q + busy_len_q) * 15) };
        c.busy = vec![busy];
        for s in c.slots(day, day) {
            prop_assert!(!c.length.blocked(s.start).overlaps(&busy));
        }
    }

    #[test]
    fn the_busy_index_agrees_with_checking_every_interval(
        busy in prop::collection::vec((0i64..200, 0i64..30), 0..40),
        probes in prop::collection::vec((0i64..240, 1i64..30), 1..40),
    ) {
        let t0: Timestamp = "2026-03-29T00:00:00Z".parse().unwrap();
        let span = |(s, len): (i64, i64)| Interval { start: t0 + mins(s), end: t0 + mins(s + len) };
        let busy: Vec<Interval> = busy.into_iter().map(span).collect();
        let index = BusyIndex::new(&busy);
        for p in probes.into_iter().map(span) {
            prop_assert_eq!(index.overlaps(&p), busy.iter().any(|b| b.overlaps(&p)), "probe {:?}", p);
        }
    }

    #[test]
    fn a_slot_never_touches_any_of_many_unsorted_busy_spans(
        zone_i in 0usize..4,
        day_i in 0usize..6,
        spans in prop::collection::vec((0i64..96, 1i64..8), 0..12),
    ) {
        let (y, m, d) = TRANSITIONS[day_i];
        let day = date(y, m, d);
        let mut c = Case::new(ZONES[zone_i], time(0, 0, 0, 0), time(23, 45, 0, 0), 30);
        c.length.buffer_after = mins(5);
        let day_start = c.zone.to_ambiguous_timestamp(day.to_datetime(Time::midnight())).earlier().unwrap();
        c.busy = spans.iter().map(|(s, len)| Interval { start: day_start + mins(s * 15), end: day_start + mins((s + len) * 15) }).collect();
        for s in c.slots(day, day) {
            let blocked = c.length.blocked(s.start);
            prop_assert!(c.busy.iter().all(|b| !b.overlaps(&blocked)), "{:?} touches busy time", s);
        }
    }
}
