//! Typed identifiers: a `UserId` can never be passed where a `ClinicId` belongs.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUID v7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// Wraps an id read from storage.
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// The raw UUID, for storage.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = crate::DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| crate::DomainError::field("id", "is not a valid id"))
            }
        }
    };
}

id_type!(
    /// A clinic (tenant).
    ClinicId
);
id_type!(
    /// A person who can log in.
    UserId
);
id_type!(
    /// A user's role in one clinic.
    MembershipId
);
id_type!(
    /// A login session (one refresh-token family).
    SessionId
);
id_type!(
    /// A background job in the outbox.
    JobId
);
id_type!(
    /// A domain event: one thing that happened, recorded with the change.
    EventId
);
id_type!(
    /// A doctor's profile in one clinic.
    DoctorId
);
id_type!(
    /// A patient record in one clinic.
    PatientId
);
id_type!(
    /// An appointment.
    AppointmentId
);
id_type!(
    /// A kind of visit (length, buffers, price) a clinic offers.
    VisitTypeId
);
id_type!(
    /// A specialty in a clinic's list.
    SpecialtyId
);
id_type!(
    /// A leave, holiday or extra-hours entry.
    ExceptionId
);
id_type!(
    /// A queue token: one patient's place in one doctor's queue on one day.
    TokenId
);
id_type!(
    /// A consultation (encounter): what the doctor recorded at one visit.
    ConsultationId
);
id_type!(
    /// A prescription written in a consultation.
    PrescriptionId
);
id_type!(
    /// A document (report or image) in a patient's record.
    DocumentId
);
id_type!(
    /// A bill (an invoice once issued).
    BillId
);
id_type!(
    /// One payment towards a bill, by one method.
    PaymentId
);
id_type!(
    /// A receptionist's cash drawer session, from opening float to counted close.
    CashSessionId
);
