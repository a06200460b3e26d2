//! Queue ordering, the token state machine, and wait estimates (replayed against recorded
//! clinic days in `wait_replay.rs`).

use docspot_domain::queue::{
    ConsultStats, LATE_GRACE, Priority, TokenMove, TokenStatus, WaitRange, Waiting, call_order,
    consult_stats, estimate_wait, patients_ahead,
};
use jiff::SignedDuration;
use proptest::prelude::*;

mod common;
use common::{at, mins};

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
