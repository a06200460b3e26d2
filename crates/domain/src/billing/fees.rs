//! What a visit may cost besides the visit itself: a deposit at booking (per visit type)
//! and the clinic's late-cancellation and no-show fees. The rules are here, pure; a job
//! bills them from the appointment's events.

use crate::{DomainError, events::CancelledBy};
use jiff::{SignedDuration, Timestamp};

/// Longest late-cancellation window: 30 days.
pub const MAX_LATE_CANCEL_HOURS: u16 = 720;

/// What a bill is for. An appointment has at most one live bill of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillKind {
    /// The visit itself (or a standalone bill).
    Visit,
    /// Paid ahead at booking; the visit's bill then asks only for the rest.
    Deposit,
    /// The patient cancelled within the clinic's window.
    LateCancel,
    /// The patient did not come.
    NoShow,
}

impl BillKind {
    pub const ALL: [BillKind; 4] = [
        BillKind::Visit,
        BillKind::Deposit,
        BillKind::LateCancel,
        BillKind::NoShow,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            BillKind::Visit => "visit",
            BillKind::Deposit => "deposit",
            BillKind::LateCancel => "late_cancel",
            BillKind::NoShow => "no_show",
        }
    }

    /// The kind stored as `raw`.
    pub fn parse(raw: &str) -> Option<BillKind> {
        BillKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            BillKind::Visit => "Visit",
            BillKind::Deposit => "Booking deposit",
            BillKind::LateCancel => "Late cancellation fee",
            BillKind::NoShow => "No-show fee",
        }
    }
}

/// A clinic's fees for visits that do not happen. Zero fees charge nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeePolicy {
    /// A patient's cancellation this close to the start, or closer, is late.
    pub late_cancel_hours: u16,
    /// Charged for a late cancellation, in minor units.
    pub late_cancel_fee: i64,
    /// Charged when the patient does not come, in minor units.
    pub no_show_fee: i64,
}

impl FeePolicy {
    /// No fees, and a 24-hour window once a late fee is set.
    pub const NONE: FeePolicy = FeePolicy {
        late_cancel_hours: 24,
        late_cancel_fee: 0,
        no_show_fee: 0,
    };

    /// Checks an admin's policy.
    pub fn new(
        late_cancel_hours: i64,
        late_cancel_fee: i64,
        no_show_fee: i64,
    ) -> Result<FeePolicy, DomainError> {
        let hours = u16::try_from(late_cancel_hours)
            .ok()
            .filter(|h| *h <= MAX_LATE_CANCEL_HOURS)
            .ok_or_else(|| {
                DomainError::field(
                    "late_cancel_hours",
                    format!("Use 0 to {MAX_LATE_CANCEL_HOURS} hours."),
                )
            })?;
        for (field, fee) in [
            ("late_cancel_fee", late_cancel_fee),
            ("no_show_fee", no_show_fee),
        ] {
            if !(0..=super::MAX_UNIT_PRICE).contains(&fee) {
                return Err(DomainError::field(field, "Enter a fee of zero or more."));
            }
        }
        Ok(FeePolicy {
            late_cancel_hours: hours,
            late_cancel_fee,
            no_show_fee,
        })
    }

    /// Whether any fee applies at all.
    pub fn charges(&self) -> bool {
        self.late_cancel_fee > 0 || self.no_show_fee > 0
    }

    /// The fee for cancelling a visit starting at `start`, cancelled at `at` by `by`: only
    /// the patient's own cancellation inside the window costs anything (a clinic that
    /// cancels charges nothing).
    pub fn cancel_fee(&self, by: CancelledBy, start: Timestamp, at: Timestamp) -> Option<i64> {
        let by_patient = matches!(by, CancelledBy::Patient | CancelledBy::Link);
        let window = SignedDuration::from_hours(i64::from(self.late_cancel_hours));
        (by_patient && self.late_cancel_fee > 0 && start.duration_since(at) < window)
            .then_some(self.late_cancel_fee)
    }

    /// The fee for not coming.
    pub fn no_show_fee(&self) -> Option<i64> {
        (self.no_show_fee > 0).then_some(self.no_show_fee)
    }
}

/// What a fee still asks for once the visit's deposit (what was paid of it) is kept
/// towards it; `None` when the deposit covers it.
pub fn fee_after_deposit(fee: i64, deposit_paid: i64) -> Option<i64> {
    let rest = fee - deposit_paid.max(0);
    (rest > 0).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const POLICY: FeePolicy = FeePolicy {
        late_cancel_hours: 24,
        late_cancel_fee: 20_000,
        no_show_fee: 30_000,
    };

    #[test]
    fn only_the_patients_own_cancellation_inside_the_window_costs() {
        let start = at("2026-12-10T10:00:00Z");
        let late = at("2026-12-09T10:00:01Z");
        let early = at("2026-12-09T10:00:00Z");
        assert_eq!(
            POLICY.cancel_fee(CancelledBy::Patient, start, late),
            Some(20_000)
        );
        assert_eq!(
            POLICY.cancel_fee(CancelledBy::Link, start, late),
            Some(20_000)
        );
        assert_eq!(POLICY.cancel_fee(CancelledBy::Staff, start, late), None);
        assert_eq!(
            POLICY.cancel_fee(CancelledBy::Patient, start, early),
            None,
            "24 hours ahead is in time"
        );
        assert_eq!(
            FeePolicy::NONE.cancel_fee(CancelledBy::Patient, start, late),
            None
        );
        assert_eq!(POLICY.no_show_fee(), Some(30_000));
        assert_eq!(FeePolicy::NONE.no_show_fee(), None);
    }

    #[test]
    fn a_paid_deposit_counts_towards_the_fee() {
        assert_eq!(fee_after_deposit(30_000, 0), Some(30_000));
        assert_eq!(fee_after_deposit(30_000, 10_000), Some(20_000));
        assert_eq!(fee_after_deposit(30_000, 30_000), None);
        assert_eq!(fee_after_deposit(30_000, 50_000), None);
    }

    #[test]
    fn a_bad_policy_is_refused_by_field() {
        assert_eq!(
            FeePolicy::new(721, 0, 0).unwrap_err().field,
            "late_cancel_hours"
        );
        assert_eq!(
            FeePolicy::new(-1, 0, 0).unwrap_err().field,
            "late_cancel_hours"
        );
        assert_eq!(
            FeePolicy::new(24, -5, 0).unwrap_err().field,
            "late_cancel_fee"
        );
        assert_eq!(FeePolicy::new(24, 0, -1).unwrap_err().field, "no_show_fee");
        assert_eq!(FeePolicy::new(48, 100, 200).unwrap().late_cancel_hours, 48);
    }

    #[test]
    fn kinds_read_back_as_stored() {
        for k in BillKind::ALL {
            assert_eq!(BillKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(BillKind::parse("fine"), None);
    }
}
