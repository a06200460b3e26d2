//! Wait estimates replayed against recorded clinic days: what the status page would have
//! predicted for each patient on arrival, against how long they actually waited.

use docspot_domain::queue::{
    ConsultStats, Priority, WaitRange, Waiting, call_order, consult_stats, estimate_wait,
    patients_ahead,
};
use jiff::{SignedDuration, Timestamp};

mod common;
use common::{at, mins};

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
