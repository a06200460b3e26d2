//! Queue ordering, the token state machine, and wait estimates replayed against recorded
//! clinic days.

use docspot_domain::queue::{
    ConsultStats, LATE_GRACE, Priority, TokenMove, TokenStatus, WaitRange, Waiting, call_order,
    consult_stats, estimate_wait, patients_ahead,
};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

/// Minutes after 09:00 IST on a fixed Monday.
fn at(minute: i64) -> Timestamp {
    let open: Timestamp = "2026-03-02T03:30:00Z".parse().unwrap();
    open.checked_add(mins(minute)).unwrap()
}

fn walk_in(number: u32, arrived: i64) -> Waiting {
    Waiting {
        number,
        arrived_at: at(arrived),
        slot_start: None,
        priority: Priority::Normal,
        requeued_at: None,
    }
}

fn booked(number: u32, arrived: i64, slot: i64) -> Waiting {
    Waiting {
        slot_start: Some(at(slot)),
        ..walk_in(number, arrived)
    }
}

fn with_priority(w: Waiting, priority: Priority) -> Waiting {
    Waiting { priority, ..w }
}

fn requeued(w: Waiting, minute: i64) -> Waiting {
    Waiting {
        requeued_at: Some(at(minute)),
        ..w
    }
}

/// The token numbers in calling order.
fn called(waiting: &[Waiting]) -> Vec<u32> {
    call_order(waiting)
        .into_iter()
        .map(|i| waiting[i].number)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Ordering
// ---------------------------------------------------------------------------------------

#[test]
fn walk_ins_are_called_in_order_of_arrival_whatever_the_input_order() {
    let queue = [walk_in(3, 20), walk_in(1, 0), walk_in(2, 5)];
    assert_eq!(called(&queue), [1, 2, 3]);
}

#[test]
fn an_early_booked_patient_waits_for_their_slot_behind_earlier_walk_ins_only() {
    let queue = [
        walk_in(1, 0),
        booked(2, 5, 20), // came 15 minutes early for a 09:20 slot
        walk_in(3, 10),
        walk_in(4, 25),
    ];
    assert_eq!(called(&queue), [1, 3, 2, 4]);
}

#[test]
fn a_booked_patient_up_to_ten_minutes_late_keeps_their_slot_time() {
    assert_eq!(LATE_GRACE, mins(10));
    let queue = [walk_in(1, 5), booked(2, 10, 0)];
    assert_eq!(called(&queue), [2, 1], "exactly 10 minutes late is on time");
}

#[test]
fn a_booked_patient_more_than_ten_minutes_late_queues_like_a_walk_in() {
    let queue = [walk_in(1, 8), booked(2, 11, 0), walk_in(3, 12)];
    assert_eq!(called(&queue), [1, 2, 3]);
}

#[test]
fn an_emergency_is_called_first_even_when_it_came_last() {
    let queue = [
        with_priority(walk_in(1, 0), Priority::Elderly),
        booked(2, 0, 5),
        with_priority(walk_in(3, 30), Priority::Emergency),
    ];
    assert_eq!(called(&queue), [3, 1, 2]);
}

#[test]
fn elderly_pregnant_disabled_and_children_go_before_normal_and_share_one_tier() {
    let queue = [
        walk_in(1, 0),
        with_priority(walk_in(2, 10), Priority::Child),
        with_priority(walk_in(3, 5), Priority::Elderly),
        with_priority(walk_in(4, 7), Priority::Pregnant),
        with_priority(walk_in(5, 1), Priority::Disabled),
    ];
    assert_eq!(called(&queue), [5, 3, 4, 2, 1]);
}

#[test]
fn a_requeued_token_goes_by_the_time_it_was_put_back() {
    let queue = [
        requeued(walk_in(1, -10), 30),
        walk_in(2, 10),
        walk_in(3, 40),
        requeued(booked(4, 0, 0), 35),
    ];
    assert_eq!(called(&queue), [2, 1, 4, 3]);
}

#[test]
fn ties_are_broken_by_token_number() {
    let queue = [walk_in(7, 0), booked(5, -5, 0), walk_in(6, 0)];
    assert_eq!(called(&queue), [5, 6, 7]);
}

#[test]
fn patients_ahead_counts_the_queue_before_me_and_booked_patients_still_due() {
    let me = walk_in(5, 30);
    let queue = [
        walk_in(1, 0),
        booked(2, 10, 20),
        me,
        walk_in(6, 31),
        with_priority(walk_in(7, 32), Priority::Emergency),
    ];
    assert_eq!(patients_ahead(&me, &queue, &[], at(30)), 3);
    let expected = [at(15), at(25), at(29), at(40)];
    assert_eq!(
        patients_ahead(&me, &queue, &expected, at(30)),
        5,
        "slots at 25 and 29 can still arrive on time and go first; 15 is too late, 40 is after me"
    );
    let elderly = with_priority(walk_in(8, 30), Priority::Elderly);
    assert_eq!(
        patients_ahead(&elderly, &queue, &expected, at(30)),
        1,
        "booked patients without priority do not go ahead of an elderly patient"
    );
}

#[test]
fn an_empty_queue_has_nobody_to_call() {
    assert!(call_order(&[]).is_empty());
}

fn any_waiting(number: u32) -> impl Strategy<Value = Waiting> {
    (
        -30i64..120,
        prop::option::of(-30i64..120),
        prop::sample::select(Priority::ALL),
        prop::option::of(0i64..180),
    )
        .prop_map(move |(arrived, slot, priority, requeue)| Waiting {
            number,
            arrived_at: at(arrived),
            slot_start: slot.map(at),
            priority,
            requeued_at: requeue.map(at),
        })
}

fn any_queue() -> impl Strategy<Value = Vec<Waiting>> {
    (0usize..25).prop_flat_map(|n| {
        (1..=n as u32)
            .map(any_waiting)
            .collect::<Vec<_>>()
            .prop_shuffle()
    })
}

proptest! {
    #[test]
    fn call_order_is_a_permutation_that_ignores_input_order(
        (queue, shuffled) in any_queue().prop_flat_map(|q| (Just(q.clone()), Just(q).prop_shuffle()))
    ) {
        let mut order = call_order(&queue);
        prop_assert_eq!(called(&queue), called(&shuffled));
        order.sort_unstable();
        prop_assert_eq!(order, (0..queue.len()).collect::<Vec<_>>());
    }

    #[test]
    fn an_emergency_is_never_called_after_a_non_emergency(queue in any_queue()) {
        let tiers: Vec<u8> = call_order(&queue).iter().map(|&i| queue[i].priority.tier()).collect();
        prop_assert!(tiers.windows(2).all(|w| w[0] <= w[1]), "tiers out of order: {:?}", tiers);
    }
}

// ---------------------------------------------------------------------------------------
// Token state machine
// ---------------------------------------------------------------------------------------

#[test]
fn the_token_state_machine_allows_exactly_the_listed_moves() {
    use TokenMove as M;
    use TokenStatus as S;
    let legal = [
        (S::Waiting, M::Call, S::Called),
        (S::Called, M::Recall, S::Called),
        (S::Called, M::Skip, S::Skipped),
        (S::Waiting, M::Skip, S::Skipped),
        (S::Skipped, M::Requeue, S::Waiting),
        (S::Called, M::Start, S::InConsultation),
        (S::Waiting, M::Start, S::InConsultation),
        (S::InConsultation, M::End, S::Done),
        (S::Waiting, M::Transfer, S::Transferred),
        (S::Called, M::Transfer, S::Transferred),
        (S::Skipped, M::Transfer, S::Transferred),
    ];
    for &from in TokenStatus::ALL {
        for &mv in TokenMove::ALL {
            let expected = legal
                .iter()
                .find(|(f, m, _)| *f == from && *m == mv)
                .map(|(_, _, to)| *to);
            match (from.apply(mv), expected) {
                (Ok(to), Some(want)) => assert_eq!(to, want, "{from} + {mv:?}"),
                (Err(e), None) => {
                    assert_eq!(e.field, "status", "{from} + {mv:?}");
                    assert!(
                        e.message
                            .to_lowercase()
                            .contains(&from.label().to_lowercase()),
                        "{from} + {mv:?}: {:?} should name the status",
                        e.message
                    );
                }
                (got, want) => panic!("{from} + {mv:?}: got {got:?}, expected {want:?}"),
            }
        }
    }
}

#[test]
fn a_finished_token_says_it_is_already_done() {
    let err = TokenStatus::Done.apply(TokenMove::Call).unwrap_err();
    assert_eq!(err.message, "This token is already done.");
}

#[test]
fn statuses_and_priorities_round_trip_through_their_wire_names() {
    for s in TokenStatus::ALL {
        assert_eq!(s.as_str().parse::<TokenStatus>().unwrap(), *s);
        assert_eq!(s.to_string(), s.as_str());
    }
    for p in Priority::ALL {
        assert_eq!(p.as_str().parse::<Priority>().unwrap(), *p);
    }
    assert_eq!(TokenStatus::InConsultation.as_str(), "in_consultation");
    assert_eq!(TokenStatus::InConsultation.label(), "In consultation");
    assert_eq!(Priority::Elderly.label(), "Elderly (60+)");
    assert_eq!(Priority::Disabled.label(), "Disability");
    assert_eq!(Priority::Child.label(), "Young child");
    let err = "vip".parse::<Priority>().unwrap_err();
    assert_eq!(err.field, "priority");
    assert!(
        err.message
            .contains("normal, elderly, pregnant, disabled, child, emergency")
    );
}

// ---------------------------------------------------------------------------------------
// Consultation statistics and wait estimates
// ---------------------------------------------------------------------------------------

fn minutes(list: &[i64]) -> Vec<SignedDuration> {
    list.iter().map(|&m| mins(m)).collect()
}

#[test]
fn with_fewer_than_three_usable_consultations_the_visit_length_is_assumed() {
    for recent in [vec![], minutes(&[12]), minutes(&[12, 8])] {
        assert_eq!(
            consult_stats(&recent, ConsultStats::DEFAULT),
            ConsultStats::DEFAULT,
            "{recent:?}"
        );
        let half_hour = ConsultStats::assumed(mins(30));
        assert_eq!(consult_stats(&recent, half_hour), half_hour, "{recent:?}");
        assert_eq!(
            (
                half_hour.low,
                half_hour.typical,
                half_hour.high,
                half_hour.samples
            ),
            (mins(15), mins(30), mins(45), 0)
        );
    }
    assert_eq!(ConsultStats::assumed(mins(10)), ConsultStats::DEFAULT);
    let defaults = ConsultStats::DEFAULT;
    assert_eq!(
        (
            defaults.low,
            defaults.typical,
            defaults.high,
            defaults.samples
        ),
        (mins(5), mins(10), mins(15), 0)
    );
    let mostly_outliers = [mins(12), SignedDuration::from_secs(30), mins(8), mins(181)];
    assert_eq!(
        consult_stats(&mostly_outliers, ConsultStats::DEFAULT),
        ConsultStats::DEFAULT
    );
}

#[test]
fn consultations_under_a_minute_or_over_three_hours_are_ignored() {
    let recent = [
        SignedDuration::from_secs(59),
        mins(1),
        mins(180),
        SignedDuration::from_secs(180 * 60 + 1),
        mins(10),
    ];
    let stats = consult_stats(&recent, ConsultStats::DEFAULT);
    assert_eq!(stats.samples, 3);
    assert_eq!(
        (stats.low, stats.typical, stats.high),
        (mins(1), mins(10), mins(180))
    );
}

#[test]
fn percentiles_use_the_nearest_rank() {
    let stats = consult_stats(&minutes(&[4, 1, 3, 2]), ConsultStats::DEFAULT);
    assert_eq!(
        (stats.low, stats.typical, stats.high),
        (mins(1), mins(2), mins(3))
    );
    let stats = consult_stats(&minutes(&[9, 3, 6]), ConsultStats::DEFAULT);
    assert_eq!(
        (stats.low, stats.typical, stats.high),
        (mins(3), mins(6), mins(9))
    );
    let stats = consult_stats(&minutes(&[5, 1, 4, 2, 3]), ConsultStats::DEFAULT);
    assert_eq!(
        (stats.low, stats.typical, stats.high),
        (mins(2), mins(3), mins(4))
    );
}

#[test]
fn only_the_last_twenty_usable_consultations_count() {
    let mut recent = minutes(&[100, 100, 100, 100, 100]);
    recent.extend((1..=20).map(mins));
    let stats = consult_stats(&recent, ConsultStats::DEFAULT);
    assert_eq!(stats.samples, 20);
    assert_eq!(
        (stats.low, stats.typical, stats.high),
        (mins(5), mins(10), mins(15))
    );

    // Outliers do not use up the window.
    let mut recent: Vec<_> = (1..=20).map(mins).collect();
    recent.push(SignedDuration::from_secs(5));
    recent.push(mins(400));
    assert_eq!(consult_stats(&recent, ConsultStats::DEFAULT).samples, 20);
}

fn stats(low: i64, high: i64) -> ConsultStats {
    ConsultStats {
        low: mins(low),
        typical: mins((low + high) / 2),
        high: mins(high),
        samples: 10,
    }
}

fn range(min_minutes: u32, max_minutes: u32) -> WaitRange {
    WaitRange {
        min_minutes,
        max_minutes,
    }
}

#[test]
fn nobody_ahead_and_nobody_with_the_doctor_means_no_wait() {
    let wait = estimate_wait(0, None, &stats(5, 15));
    assert_eq!(wait, range(0, 0));
    assert_eq!(wait.label(), "no wait");
}

#[test]
fn the_running_consultation_counts_what_is_left_of_it() {
    assert_eq!(estimate_wait(0, Some(mins(3)), &stats(5, 15)), range(2, 12));
    assert_eq!(
        estimate_wait(2, Some(mins(3)), &stats(5, 15)),
        range(12, 42)
    );
    assert_eq!(estimate_wait(2, None, &stats(5, 15)), range(10, 30));
}

#[test]
fn an_overrunning_consultation_still_shows_a_short_wait() {
    assert_eq!(estimate_wait(0, Some(mins(20)), &stats(5, 15)), range(0, 2));
    assert_eq!(
        estimate_wait(
            0,
            Some(SignedDuration::from_secs(14 * 60 + 30)),
            &stats(5, 15)
        ),
        range(0, 2),
        "30 seconds left of the long case still shows 2 minutes"
    );
    assert_eq!(
        estimate_wait(1, Some(mins(40)), &stats(5, 15)),
        range(5, 17)
    );
}

#[test]
fn minimum_rounds_down_and_maximum_rounds_up() {
    let s = ConsultStats {
        low: SignedDuration::from_secs(4 * 60 + 30),
        typical: mins(6),
        high: SignedDuration::from_secs(7 * 60 + 20),
        samples: 5,
    };
    assert_eq!(estimate_wait(1, None, &s), range(4, 8));
    assert_eq!(estimate_wait(2, None, &s), range(9, 15));
}

#[test]
fn someone_ahead_always_means_at_least_a_minute() {
    let zero = ConsultStats {
        low: SignedDuration::ZERO,
        typical: SignedDuration::ZERO,
        high: SignedDuration::ZERO,
        samples: 3,
    };
    assert_eq!(estimate_wait(1, None, &zero), range(0, 1));
    assert_eq!(estimate_wait(0, Some(mins(1)), &zero), range(0, 2));
}

#[test]
fn a_huge_queue_saturates_instead_of_overflowing() {
    let wait = estimate_wait(usize::MAX, Some(mins(1)), &stats(5, 15));
    assert_eq!(wait.max_minutes, u32::MAX);
    assert!(wait.min_minutes <= wait.max_minutes);
}

#[test]
fn wait_labels_read_naturally() {
    let cases = [
        (range(0, 0), "no wait"),
        (range(0, 3), "under 5 minutes"),
        (range(2, 5), "under 5 minutes"),
        (range(0, 12), "up to 12 minutes"),
        (range(7, 7), "about 7 minutes"),
        (range(10, 25), "about 10–25 minutes"),
    ];
    for (wait, want) in cases {
        assert_eq!(wait.label(), want, "{wait:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Replaying recorded clinic days
// ---------------------------------------------------------------------------------------

/// One patient of a recorded day: arrival and booked slot in minutes from opening, and
/// how long the consultation actually took in minutes.
struct Visit {
    arrive: i64,
    slot: Option<i64>,
    consult: i64,
}

const fn v(arrive: i64, slot: Option<i64>, consult: i64) -> Visit {
    Visit {
        arrive,
        slot,
        consult,
    }
}

/// A family doctor's morning: walk-ins and booked patients, 3–22 minute visits.
const GP_DAY: &[Visit] = &[
    v(-3, None, 15),
    v(1, Some(15), 7),
    v(4, None, 10),
    v(5, Some(0), 7),
    v(41, None, 7),
    v(48, Some(60), 12),
    v(62, Some(60), 15),
    v(87, None, 3),
    v(93, Some(90), 7),
    v(96, None, 10),
    v(101, None, 13),
    v(103, Some(105), 14),
    v(114, None, 11),
    v(127, None, 22),
    v(129, Some(120), 9),
    v(132, None, 11),
    v(139, Some(135), 18),
    v(141, None, 12),
    v(143, None, 8),
    v(144, Some(135), 10),
    v(154, None, 8),
    v(175, None, 11),
    v(189, None, 9),
    v(191, None, 12),
];

/// A busy paediatric walk-in session: 40 children, 3–8 minute visits.
const PAEDIATRIC_DAY: &[Visit] = &[
    v(-14, None, 5),
    v(-2, None, 5),
    v(3, None, 4),
    v(6, None, 6),
    v(7, None, 4),
    v(22, None, 4),
    v(32, None, 6),
    v(35, None, 6),
    v(38, None, 4),
    v(39, None, 3),
    v(43, None, 5),
    v(46, None, 5),
    v(48, None, 6),
    v(56, None, 5),
    v(59, None, 4),
    v(62, None, 4),
    v(68, None, 5),
    v(80, None, 5),
    v(83, None, 4),
    v(83, None, 8),
    v(86, None, 7),
    v(86, None, 5),
    v(89, None, 6),
    v(100, None, 5),
    v(104, None, 6),
    v(117, None, 4),
    v(120, None, 4),
    v(128, None, 6),
    v(128, None, 4),
    v(129, None, 6),
    v(135, None, 5),
    v(136, None, 4),
    v(139, None, 5),
    v(141, None, 3),
    v(142, None, 6),
    v(142, None, 5),
    v(147, None, 4),
    v(160, None, 3),
    v(162, None, 5),
    v(172, None, 6),
];

/// A specialist's mostly booked clinic with half-hour slots and 15–40 minute visits.
const SPECIALIST_DAY: &[Visit] = &[
    v(10, Some(0), 29),
    v(42, Some(30), 34),
    v(52, Some(60), 25),
    v(61, None, 28),
    v(74, None, 33),
    v(98, Some(90), 22),
    v(143, Some(120), 21),
    v(162, Some(150), 16),
    v(186, None, 24),
    v(238, Some(210), 33),
    v(247, Some(240), 22),
    v(261, None, 18),
];

fn token(day: &[Visit], i: usize) -> Waiting {
    Waiting {
        number: i as u32 + 1,
        arrived_at: at(day[i].arrive),
        slot_start: day[i].slot.map(at),
        priority: Priority::Normal,
        requeued_at: None,
    }
}

/// Replays a day with one doctor who starts at opening and always calls the first token
/// in `call_order` among those present; returns each patient's start minute.
fn replay(day: &[Visit]) -> Vec<i64> {
    let mut start: Vec<Option<i64>> = vec![None; day.len()];
    let mut now = 0;
    while let Some(next_arrival) = (0..day.len())
        .filter(|&i| start[i].is_none())
        .map(|i| day[i].arrive)
        .min()
    {
        now = now.max(next_arrival);
        let present: Vec<usize> = (0..day.len())
            .filter(|&i| start[i].is_none() && day[i].arrive <= now)
            .collect();
        let tokens: Vec<Waiting> = present.iter().map(|&i| token(day, i)).collect();
        let next = present[call_order(&tokens)[0]];
        start[next] = Some(now);
        now += day[next].consult;
    }
    start.into_iter().map(Option::unwrap).collect()
}

/// What the queue screen would have shown patient `p` when they arrived: everyone present
/// and booked patients still due count towards the patients ahead.
fn estimate_at_arrival(day: &[Visit], visit: i64, start: &[i64], p: usize) -> WaitRange {
    let now = day[p].arrive;
    let end = |i: usize| start[i] + day[i].consult;
    let mut finished: Vec<usize> = (0..day.len()).filter(|&i| end(i) <= now).collect();
    finished.sort_by_key(|&i| end(i));
    let recent: Vec<SignedDuration> = finished.iter().map(|&i| mins(day[i].consult)).collect();
    let current = (0..day.len()).find(|&i| i != p && start[i] <= now && now < end(i));
    let queue: Vec<Waiting> = (0..day.len())
        .filter(|&i| day[i].arrive <= now && start[i] >= now && Some(i) != current)
        .map(|i| token(day, i))
        .collect();
    let expected: Vec<Timestamp> = day
        .iter()
        .filter(|v| v.arrive > now)
        .filter_map(|v| v.slot.map(at))
        .collect();
    let ahead = patients_ahead(&token(day, p), &queue, &expected, at(now));
    estimate_wait(
        ahead,
        current.map(|c| mins(now - start[c])),
        &consult_stats(&recent, ConsultStats::assumed(mins(visit))),
    )
}

/// The share of patients after the first five whose actual wait fell inside the predicted
/// range widened by one minute either side (the screen shows whole minutes).
fn hit_rate(day: &[Visit], visit: i64) -> (usize, usize) {
    let start = replay(day);
    let judged: Vec<bool> = (5..day.len())
        .map(|p| {
            let wait = estimate_at_arrival(day, visit, &start, p);
            let actual = start[p] - day[p].arrive;
            let lo = i64::from(wait.min_minutes) - 1;
            let hi = i64::from(wait.max_minutes) + 1;
            (lo..=hi).contains(&actual)
        })
        .collect();
    (judged.iter().filter(|h| **h).count(), judged.len())
}

/// Pooled over the recorded days, because a 12-patient specialist day judges only seven
/// waits and one doctor's drift within a day moves it by 14 points a patient; each day's
/// own share is in the failure message.
#[test]
fn replaying_recorded_days_puts_at_least_70_percent_of_waits_inside_the_estimate() {
    // Each day with the length of its doctor's usual visit type, as the clinic set it up.
    // (2026-11-22: GP 14/19, paediatrics 30/35, specialist 4/7; with the 10-minute default
    // for every doctor the specialist day had 3/7.)
    let days = [
        ("GP", GP_DAY, 10),
        ("paediatrics", PAEDIATRIC_DAY, 5),
        ("specialist", SPECIALIST_DAY, 30),
    ];
    let results: Vec<(&str, usize, usize)> = days
        .iter()
        .map(|(name, day, visit)| {
            let (hits, judged) = hit_rate(day, *visit);
            (*name, hits, judged)
        })
        .collect();

    let hits: usize = results.iter().map(|r| r.1).sum();
    let judged: usize = results.iter().map(|r| r.2).sum();
    assert!(
        judged >= 50,
        "too few judged waits to mean anything: {judged}"
    );
    assert!(
        hits * 10 >= judged * 7,
        "only {hits} of {judged} waits fell inside the estimate: {results:?}"
    );
}

#[test]
fn the_replay_serves_every_patient_once_and_never_two_at_a_time() {
    for day in [GP_DAY, PAEDIATRIC_DAY, SPECIALIST_DAY] {
        let start = replay(day);
        let mut by_start: Vec<usize> = (0..day.len()).collect();
        by_start.sort_by_key(|&i| start[i]);
        for pair in by_start.windows(2) {
            assert!(start[pair[0]] + day[pair[0]].consult <= start[pair[1]]);
        }
        for (i, visit) in day.iter().enumerate() {
            assert!(start[i] >= visit.arrive.max(0));
        }
    }
}
