//! Time helpers shared by the queue tests.

use jiff::{SignedDuration, Timestamp};

pub fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

/// Minutes after 09:00 IST on a fixed Monday.
pub fn at(minute: i64) -> Timestamp {
    let open: Timestamp = "2026-03-02T03:30:00Z".parse().unwrap();
    open.checked_add(mins(minute)).unwrap()
}
