//! Domain events: what happened, recorded in the same transaction as the change that made it
//! happen. Subscribers (e-mail, reminders; later SMS, push, webhooks, billing) react to them
//! through jobs. An event names what it is about by id and carries the facts a subscriber
//! needs that later changes would lose (a rescheduled visit's previous start, who cancelled).

use crate::{AppointmentId, BillId, ConsultationId, DoctorId, PatientId, PaymentId, TokenId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who cancelled an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The patient, signed in.
    Patient,
    /// Clinic staff.
    Staff,
    /// The patient, through the cancel link of an e-mail.
    Link,
}

/// One thing that happened in a clinic. Stored as its `kind` and its JSON body; the kinds
/// and field names are read back from rows written by earlier releases: never rename them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A patient or staff booked a visit (`pending` when it waits for staff approval).
    #[serde(rename = "appointment.booked")]
    AppointmentBooked {
        appointment: AppointmentId,
        doctor: DoctorId,
        patient: PatientId,
        start: Timestamp,
        pending: bool,
    },
    /// A visit moved to a new time; `appointment` is the new one, `previous` the old one.
    #[serde(rename = "appointment.rescheduled")]
    AppointmentRescheduled {
        appointment: AppointmentId,
        previous: AppointmentId,
        doctor: DoctorId,
        patient: PatientId,
        start: Timestamp,
        previous_start: Timestamp,
    },
    /// Staff approved a requested visit.
    #[serde(rename = "appointment.approved")]
    AppointmentApproved {
        appointment: AppointmentId,
        doctor: DoctorId,
        patient: PatientId,
        start: Timestamp,
    },
    /// A visit was cancelled.
    #[serde(rename = "appointment.cancelled")]
    AppointmentCancelled {
        appointment: AppointmentId,
        doctor: DoctorId,
        patient: PatientId,
        start: Timestamp,
        by: CancelledBy,
    },
    /// The patient of a booked visit arrived.
    #[serde(rename = "appointment.arrived")]
    AppointmentArrived {
        appointment: AppointmentId,
        doctor: DoctorId,
        patient: PatientId,
    },
    /// The patient did not come.
    #[serde(rename = "appointment.noshow")]
    AppointmentNoShow {
        appointment: AppointmentId,
        doctor: DoctorId,
        patient: PatientId,
        start: Timestamp,
    },
    /// The visit took place.
    #[serde(rename = "appointment.completed")]
    AppointmentCompleted {
        appointment: AppointmentId,
        doctor: DoctorId,
        patient: PatientId,
    },
    /// A patient got a numbered place in a doctor's queue.
    #[serde(rename = "token.issued")]
    TokenIssued {
        token: TokenId,
        doctor: DoctorId,
        patient: PatientId,
        number: i32,
        appointment: Option<AppointmentId>,
    },
    /// The doctor called a token in.
    #[serde(rename = "token.called")]
    TokenCalled {
        token: TokenId,
        doctor: DoctorId,
        patient: PatientId,
        number: i32,
    },
    /// The doctor signed a consultation; it is final from now on.
    #[serde(rename = "consultation.signed")]
    ConsultationSigned {
        consultation: ConsultationId,
        doctor: DoctorId,
        patient: PatientId,
    },
    /// A patient record was created (at the desk, by booking, or by sign-up).
    #[serde(rename = "patient.registered")]
    PatientRegistered { patient: PatientId },
    /// A bill was issued: it has its invoice number and is due.
    #[serde(rename = "bill.issued")]
    BillIssued {
        bill: BillId,
        patient: PatientId,
        number: String,
        total: i64,
    },
    /// Money was taken towards a bill (one or more parts, one receipt); `payment` is the
    /// first part.
    #[serde(rename = "payment.recorded")]
    PaymentRecorded {
        bill: BillId,
        patient: PatientId,
        payment: PaymentId,
        amount: i64,
    },
    /// An issued bill was voided.
    #[serde(rename = "bill.voided")]
    BillVoided { bill: BillId, patient: PatientId },
}

impl Event {
    /// Every kind, as [`Event::kind`] names them.
    pub const KINDS: [&'static str; 14] = [
        "appointment.booked",
        "appointment.rescheduled",
        "appointment.approved",
        "appointment.cancelled",
        "appointment.arrived",
        "appointment.noshow",
        "appointment.completed",
        "token.issued",
        "token.called",
        "consultation.signed",
        "patient.registered",
        "bill.issued",
        "payment.recorded",
        "bill.voided",
    ];

    /// The stored kind, such as `appointment.booked`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::AppointmentBooked { .. } => "appointment.booked",
            Event::AppointmentRescheduled { .. } => "appointment.rescheduled",
            Event::AppointmentApproved { .. } => "appointment.approved",
            Event::AppointmentCancelled { .. } => "appointment.cancelled",
            Event::AppointmentArrived { .. } => "appointment.arrived",
            Event::AppointmentNoShow { .. } => "appointment.noshow",
            Event::AppointmentCompleted { .. } => "appointment.completed",
            Event::TokenIssued { .. } => "token.issued",
            Event::TokenCalled { .. } => "token.called",
            Event::ConsultationSigned { .. } => "consultation.signed",
            Event::PatientRegistered { .. } => "patient.registered",
            Event::BillIssued { .. } => "bill.issued",
            Event::PaymentRecorded { .. } => "payment.recorded",
            Event::BillVoided { .. } => "bill.voided",
        }
    }

    /// The id of the record the event is about.
    pub fn subject(&self) -> Uuid {
        match self {
            Event::AppointmentBooked { appointment, .. }
            | Event::AppointmentRescheduled { appointment, .. }
            | Event::AppointmentApproved { appointment, .. }
            | Event::AppointmentCancelled { appointment, .. }
            | Event::AppointmentArrived { appointment, .. }
            | Event::AppointmentNoShow { appointment, .. }
            | Event::AppointmentCompleted { appointment, .. } => appointment.as_uuid(),
            Event::TokenIssued { token, .. } | Event::TokenCalled { token, .. } => token.as_uuid(),
            Event::ConsultationSigned { consultation, .. } => consultation.as_uuid(),
            Event::PatientRegistered { patient } => patient.as_uuid(),
            Event::BillIssued { bill, .. }
            | Event::PaymentRecorded { bill, .. }
            | Event::BillVoided { bill, .. } => bill.as_uuid(),
        }
    }

    /// The patient the event concerns.
    pub fn patient(&self) -> PatientId {
        match self {
            Event::AppointmentBooked { patient, .. }
            | Event::AppointmentRescheduled { patient, .. }
            | Event::AppointmentApproved { patient, .. }
            | Event::AppointmentCancelled { patient, .. }
            | Event::AppointmentArrived { patient, .. }
            | Event::AppointmentNoShow { patient, .. }
            | Event::AppointmentCompleted { patient, .. }
            | Event::TokenIssued { patient, .. }
            | Event::TokenCalled { patient, .. }
            | Event::ConsultationSigned { patient, .. }
            | Event::PatientRegistered { patient }
            | Event::BillIssued { patient, .. }
            | Event::PaymentRecorded { patient, .. }
            | Event::BillVoided { patient, .. } => *patient,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_stored_as_its_kind_and_fields_and_read_back_alike() {
        let e = Event::AppointmentCancelled {
            appointment: AppointmentId::new(),
            doctor: DoctorId::new(),
            patient: PatientId::new(),
            start: "2026-11-23T03:30:00Z".parse().unwrap(),
            by: CancelledBy::Link,
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "appointment.cancelled");
        assert_eq!(json["kind"], e.kind());
        assert_eq!(json["by"], "link");
        assert_eq!(json["start"], "2026-11-23T03:30:00Z");
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), e);
    }

    #[test]
    fn every_kind_names_itself_as_serde_does() {
        let (a, d, p) = (AppointmentId::new(), DoctorId::new(), PatientId::new());
        let t: Timestamp = "2026-11-23T03:30:00Z".parse().unwrap();
        let all = [
            Event::AppointmentBooked {
                appointment: a,
                doctor: d,
                patient: p,
                start: t,
                pending: false,
            },
            Event::AppointmentRescheduled {
                appointment: a,
                previous: a,
                doctor: d,
                patient: p,
                start: t,
                previous_start: t,
            },
            Event::AppointmentApproved {
                appointment: a,
                doctor: d,
                patient: p,
                start: t,
            },
            Event::AppointmentCancelled {
                appointment: a,
                doctor: d,
                patient: p,
                start: t,
                by: CancelledBy::Staff,
            },
            Event::AppointmentArrived {
                appointment: a,
                doctor: d,
                patient: p,
            },
            Event::AppointmentNoShow {
                appointment: a,
                doctor: d,
                patient: p,
                start: t,
            },
            Event::AppointmentCompleted {
                appointment: a,
                doctor: d,
                patient: p,
            },
            Event::TokenIssued {
                token: TokenId::new(),
                doctor: d,
                patient: p,
                number: 3,
                appointment: None,
            },
            Event::TokenCalled {
                token: TokenId::new(),
                doctor: d,
                patient: p,
                number: 3,
            },
            Event::ConsultationSigned {
                consultation: ConsultationId::new(),
                doctor: d,
                patient: p,
            },
            Event::PatientRegistered { patient: p },
            Event::BillIssued {
                bill: BillId::new(),
                patient: p,
                number: "INV/26-27/0001".into(),
                total: 50_000,
            },
            Event::PaymentRecorded {
                bill: BillId::new(),
                patient: p,
                payment: PaymentId::new(),
                amount: 50_000,
            },
            Event::BillVoided {
                bill: BillId::new(),
                patient: p,
            },
        ];
        for e in all {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["kind"], e.kind(), "{e:?}");
            assert_eq!(e.patient(), p, "{e:?}");
        }
    }
}
