//! Appointment and doctor-profile lifecycles, and appointment reference codes.

use crate::{DomainError, Role, wire::labelled_enum};
use jiff::{SignedDuration, Timestamp, civil::Date};
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// Where an appointment is in its life (the FHIR appointment statuses DocSpot uses).
    AppointmentStatus, field = "status" {
        /// Requested online, awaiting staff approval; holds its slot.
        Pending => "pending", "Awaiting approval",
        /// Confirmed.
        Booked => "booked", "Booked",
        /// The patient checked in.
        Arrived => "arrived", "Arrived",
        /// The visit took place.
        Fulfilled => "fulfilled", "Completed",
        /// Called off; frees the slot.
        Cancelled => "cancelled", "Cancelled",
        /// The patient did not come.
        Noshow => "noshow", "No-show",
    }
);

impl AppointmentStatus {
    /// Statuses that hold the doctor's time. The database enforces non-overlap for these.
    pub const ACTIVE: [AppointmentStatus; 4] = [
        AppointmentStatus::Pending,
        AppointmentStatus::Booked,
        AppointmentStatus::Arrived,
        AppointmentStatus::Fulfilled,
    ];

    /// Whether the appointment holds its slot.
    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// Whether the appointment is still ahead (can be moved or called off).
    pub fn is_open(self) -> bool {
        matches!(self, AppointmentStatus::Pending | AppointmentStatus::Booked)
    }

    /// Checks that moving to `to` is allowed.
    pub fn move_to(self, to: AppointmentStatus) -> Result<AppointmentStatus, IllegalMove> {
        use AppointmentStatus::*;
        let ok = matches!(
            (self, to),
            (Pending, Booked)
                | (Pending, Cancelled)
                | (Booked, Arrived)
                | (Booked, Cancelled)
                | (Booked, Noshow)
                | (Arrived, Fulfilled)
                | (Arrived, Cancelled)
        );
        if ok {
            Ok(to)
        } else {
            Err(IllegalMove { from: self, to })
        }
    }
}

/// Whether the patient may still change or cancel an appointment that starts at `start`,
/// when the clinic closes changes `cutoff` before the start. Staff may after it too.
pub fn before_cutoff(start: Timestamp, cutoff: SignedDuration, now: Timestamp) -> bool {
    now.checked_add(cutoff).is_ok_and(|limit| limit <= start)
}

/// A status change that staff make on the day page or through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffMove {
    /// Confirm a pending online request.
    Approve,
    /// The patient checked in.
    Arrive,
    /// The patient did not come (only after the start).
    NoShow,
    /// The visit took place (doctors and admins).
    Complete,
}

impl StaffMove {
    /// Every move, in the order the day page offers them.
    pub const ALL: [StaffMove; 4] = [
        StaffMove::Approve,
        StaffMove::Arrive,
        StaffMove::NoShow,
        StaffMove::Complete,
    ];

    /// The status the move leads to.
    pub fn target(self) -> AppointmentStatus {
        match self {
            StaffMove::Approve => AppointmentStatus::Booked,
            StaffMove::Arrive => AppointmentStatus::Arrived,
            StaffMove::NoShow => AppointmentStatus::Noshow,
            StaffMove::Complete => AppointmentStatus::Fulfilled,
        }
    }

    /// The roles that may make the move.
    pub fn roles(self) -> &'static [Role] {
        match self {
            StaffMove::Complete => &[Role::Admin, Role::Doctor],
            _ => &Role::ALL,
        }
    }

    /// Its name in page addresses (`/appointments/{id}/arrive`).
    pub fn action(self) -> &'static str {
        match self {
            StaffMove::Approve => "approve",
            StaffMove::Arrive => "arrive",
            StaffMove::NoShow => "noshow",
            StaffMove::Complete => "complete",
        }
    }

    /// The move named `action`, if any.
    pub fn from_action(action: &str) -> Option<StaffMove> {
        Self::ALL.into_iter().find(|m| m.action() == action)
    }

    /// The day page's button.
    pub fn label(self) -> &'static str {
        match self {
            StaffMove::Approve => "Approve",
            StaffMove::Arrive => "Arrived",
            StaffMove::NoShow => "No-show",
            StaffMove::Complete => "Done",
        }
    }

    /// Why the move is refused for an appointment in `status` that starts at `start` on
    /// the clinic's local date `date`, as of `now` (the clinic's `today`); `None` when it
    /// is allowed. Roles are checked apart ([`StaffMove::roles`]).
    pub fn refusal(
        self,
        status: AppointmentStatus,
        start: Timestamp,
        date: Option<Date>,
        now: Timestamp,
        today: Date,
    ) -> Option<String> {
        if self == StaffMove::Approve && status != AppointmentStatus::Pending {
            return Some("Only requests awaiting approval can be approved.".into());
        }
        if let Err(e) = status.move_to(self.target()) {
            return Some(e.to_string());
        }
        if self == StaffMove::NoShow && now < start {
            return Some("A patient can be marked as a no-show only after the start time.".into());
        }
        if self == StaffMove::Arrive && date.is_some_and(|d| d > today) {
            return Some("Patients check in on the day of their appointment.".into());
        }
        None
    }
}

/// A status change the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("An appointment that is {} cannot become {}.", from.label().to_lowercase(), to.label().to_lowercase())]
pub struct IllegalMove {
    pub from: AppointmentStatus,
    pub to: AppointmentStatus,
}

labelled_enum!(
    /// A doctor's standing in a clinic. Only approved doctors are listed and bookable.
    DoctorStatus, field = "status" {
        /// Applied or invited; waiting for a clinic admin.
        Pending => "pending", "Pending approval",
        /// Listed and bookable.
        Approved => "approved", "Approved",
        /// Turned down, with a reason.
        Rejected => "rejected", "Rejected",
        /// Taken off the list by an admin.
        Suspended => "suspended", "Suspended",
    }
);

impl DoctorStatus {
    /// Checks an admin decision: approve from pending or suspended, reject from pending,
    /// suspend from approved.
    pub fn decide(self, to: DoctorStatus) -> Result<DoctorStatus, DomainError> {
        use DoctorStatus::*;
        match (self, to) {
            (Pending | Suspended, Approved) | (Pending, Rejected) | (Approved, Suspended) => Ok(to),
            _ => Err(DomainError::field(
                "status",
                format!("A {self} doctor cannot be {}.", to.as_str()),
            )),
        }
    }
}

labelled_enum!(
    /// How an appointment was made.
    Source, field = "status" {
        /// By the patient, online.
        Online => "online", "Online",
        /// By staff at the desk.
        Desk => "desk", "At the desk",
        /// By staff, on the phone.
        Phone => "phone", "By phone",
    }
);

labelled_enum!(
    /// Where a visit happens.
    VisitMode, field = "status" {
        /// At the clinic.
        InPerson => "in_person", "In person",
        /// By video call.
        Video => "video", "Video",
    }
);

/// Letters and digits that cannot be misread over the phone (no 0/O, 1/I/L, 5/S, 2/Z, 8/B).
const REF_ALPHABET: &[u8] = b"34679ACDEFGHJKMNPQRTUVWXY";

/// A short reference code such as `K7Q-4MX` from six random bytes (about 2.4 × 10⁸ codes).
pub fn reference_code(random: [u8; 6]) -> String {
    let mut s = String::with_capacity(7);
    for (i, b) in random.iter().enumerate() {
        if i == 3 {
            s.push('-');
        }
        s.push(REF_ALPHABET[*b as usize % REF_ALPHABET.len()] as char);
    }
    s
}

/// Normalises a code typed by a person (`k7q4mx`, `K7Q 4MX`) to its stored form.
pub fn parse_reference_code(raw: &str) -> Option<String> {
    let chars: Vec<char> = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (chars.len() == 6 && chars.iter().all(|c| REF_ALPHABET.contains(&(*c as u8)))).then(|| {
        format!(
            "{}-{}",
            chars[..3].iter().collect::<String>(),
            chars[3..].iter().collect::<String>()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use AppointmentStatus::*;

    #[test]
    fn the_lifecycle_allows_only_forward_moves() {
        let allowed = [
            (Pending, Booked),
            (Pending, Cancelled),
            (Booked, Arrived),
            (Booked, Cancelled),
            (Booked, Noshow),
            (Arrived, Fulfilled),
            (Arrived, Cancelled),
        ];
        for from in AppointmentStatus::ALL {
            for to in AppointmentStatus::ALL {
                let expected = allowed.contains(&(*from, *to));
                assert_eq!(
                    from.move_to(*to).is_ok(),
                    expected,
                    "{from} -> {to} should be {}",
                    if expected { "allowed" } else { "refused" }
                );
            }
        }
    }

    #[test]
    fn cancelled_and_noshow_free_the_slot() {
        assert!(Pending.is_active() && Booked.is_active() && Arrived.is_active());
        assert!(!Cancelled.is_active() && !Noshow.is_active());
    }

    #[test]
    fn doctor_decisions_follow_the_review_flow() {
        use DoctorStatus::*;
        assert!(Pending.decide(Approved).is_ok());
        assert!(Pending.decide(Rejected).is_ok());
        assert!(Approved.decide(Suspended).is_ok());
        assert!(Suspended.decide(Approved).is_ok());
        assert!(Approved.decide(Rejected).is_err());
        assert!(Rejected.decide(Approved).is_err());
        assert!(Pending.decide(Suspended).is_err());
    }

    #[test]
    fn reference_codes_are_short_unambiguous_and_parse_back() {
        let code = reference_code([0, 1, 2, 250, 251, 255]);
        assert_eq!(code.len(), 7);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(
            parse_reference_code(&code.to_lowercase().replace('-', " ")),
            Some(code)
        );
        assert_eq!(parse_reference_code("ABC-0EF"), None);
        assert_eq!(parse_reference_code("ABCD"), None);
    }
}
