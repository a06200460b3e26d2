//! DocSpot's pure domain: ids, validated values, roles and the clock. No I/O.

pub mod appointment;
pub mod billing;
pub mod clinic;
pub mod clock;
pub mod consultation;
pub mod events;
pub mod ids;
pub mod money;
pub mod password;
pub mod patient;
pub mod phone;
pub mod preferences;
pub mod queue;
pub mod role;
pub mod schedule;
pub mod upload;
pub mod values;
mod wire;

pub use appointment::{AppointmentStatus, DoctorStatus, Source, StaffMove, VisitMode};
pub use clock::{Clock, FixedClock, SystemClock};
pub use events::Event;
pub use ids::{
    AppointmentId, BillId, CashSessionId, ClinicId, ConsultationId, DoctorId, DocumentId, EventId,
    ExceptionId, JobId, MembershipId, PatientId, PaymentId, PrescriptionId, SessionId, SpecialtyId,
    TokenId, UserId, VisitTypeId,
};
pub use money::Money;
pub use role::Role;
pub use values::{ClinicName, ClinicSlug, Currency, Email, PersonName, Phone, TimeZoneName};

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
