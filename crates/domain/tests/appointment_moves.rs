//! The staff's status moves and the patients' change cutoff: pure rules that the API, the
//! day page's buttons and My appointments all read.

use docspot_domain::{AppointmentStatus as S, Role, StaffMove as M, appointment::before_cutoff};
use jiff::{SignedDuration, Timestamp, civil::Date};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn each_staff_move_is_allowed_only_from_its_status_and_at_its_time() {
    let today: Date = "2026-11-22".parse().unwrap();
    let tomorrow: Date = "2026-11-23".parse().unwrap();
    let now = at("2026-11-22T09:00:00Z");
    let (earlier, later) = (at("2026-11-22T08:00:00Z"), at("2026-11-22T10:00:00Z"));
    // (move, status, start, local date, allowed?)
    let cases = [
        (M::Approve, S::Pending, later, today, true),
        (M::Approve, S::Booked, later, today, false),
        (M::Arrive, S::Booked, later, today, true),
        (M::Arrive, S::Booked, later, tomorrow, false),
        (M::Arrive, S::Pending, later, today, false),
        (M::Arrive, S::Cancelled, later, today, false),
        (M::NoShow, S::Booked, earlier, today, true),
        (M::NoShow, S::Booked, later, today, false),
        (M::NoShow, S::Arrived, earlier, today, false),
        (M::Complete, S::Arrived, earlier, today, true),
        (M::Complete, S::Booked, earlier, today, false),
    ];
    for (m, status, start, date, allowed) in cases {
        let refusal = m.refusal(status, start, Some(date), now, today);
        assert_eq!(
            refusal.is_none(),
            allowed,
            "{m:?} from {status:?} at {start} on {date}: {refusal:?}"
        );
    }
    assert_eq!(
        M::Arrive
            .refusal(S::Booked, later, Some(tomorrow), now, today)
            .as_deref(),
        Some("Patients check in on the day of their appointment.")
    );
}

#[test]
fn moves_name_their_target_roles_and_page_action() {
    for m in M::ALL {
        assert_eq!(M::from_action(m.action()), Some(m));
        assert!(m.target().is_active() || m.target() == S::Noshow);
    }
    assert_eq!(M::from_action("delete"), None);
    assert_eq!(M::Complete.roles(), &[Role::Admin, Role::Doctor]);
    assert!(M::Arrive.roles().contains(&Role::Receptionist));
}

#[test]
fn patients_may_change_an_appointment_until_the_cutoff_before_it() {
    let start = at("2026-11-23T03:30:00Z");
    let cutoff = SignedDuration::from_hours(2);
    assert!(
        before_cutoff(start, cutoff, at("2026-11-23T01:30:00Z")),
        "exactly at the cutoff"
    );
    assert!(!before_cutoff(start, cutoff, at("2026-11-23T01:30:01Z")));
    assert!(before_cutoff(start, SignedDuration::ZERO, start));
    assert!(!before_cutoff(start, cutoff, Timestamp::MAX), "no overflow");
}
