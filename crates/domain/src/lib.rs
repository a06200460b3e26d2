//! DocSpot's pure domain: ids, validated values, roles and the clock. No I/O.

pub mod clock;
pub mod ids;
pub mod password;
pub mod role;
pub mod schedule;
pub mod values;

pub use clock::{Clock, FixedClock, SystemClock};
pub use ids::{ClinicId, JobId, MembershipId, SessionId, UserId};
pub use role::Role;
pub use values::{ClinicName, ClinicSlug, Currency, Email, PersonName, TimeZoneName};

/// A rule of the domain was broken by an input; the message is safe to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DomainError {
    /// The input field at fault, as named in forms and JSON bodies.
    pub field: &'static str,
    /// A plain-language explanation.
    pub message: String,
}

impl DomainError {
    /// An error about one field.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
