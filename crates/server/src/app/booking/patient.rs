//! The patient a booking is for: found before the write, or registered inside it.

use super::PatientChoice;
use crate::{
    app::{Fields, checked, notices},
    auth::extract::ClinicCaller,
    error::{AppError, AppResult},
};
use domain::{Email, PersonName, Phone, UserId};
use jiff::Timestamp;
use store::{Conn, StoreError, appointments::Appointment, clinics::Clinic, patients};

/// The patient of a booking: one the clinic knows, or one to register with the booking.
pub(in crate::app) enum PatientPlan {
    Known(patients::Patient),
    Register {
        user_id: Option<UserId>,
        details: patients::PatientDetails,
    },
}

/// Finds (or validates, for a new one) the booking's patient, before any write.
pub(in crate::app) async fn plan_patient<C: Conn>(
    c: &C,
    caller: &ClinicCaller,
    choice: &PatientChoice,
) -> AppResult<PatientPlan> {
    let clinic = caller.clinic.id;
    match choice {
        PatientChoice::Me => Ok(match patients::of_user(c, clinic, caller.me.id()).await? {
            Some(p) => PatientPlan::Known(p),
            None => {
                let u = caller.me.user();
                PatientPlan::Register {
                    user_id: Some(u.id),
                    details: patients::PatientDetails {
                        name: u.name.clone(),
                        email: Some(u.email.clone()),
                        ..Default::default()
                    },
                }
            }
        }),
        _ if !caller.is_staff() => Err(AppError::field("patient", "Patients book for themselves.")),
        PatientChoice::Existing(id) => patients::find(c, clinic, *id)
            .await?
            .map(PatientPlan::Known)
            .ok_or_else(|| AppError::field("patient_id", "Choose a patient of this clinic.")),
        PatientChoice::New { name, phone, email } => {
            let mut f = Fields::default();
            let name = f.take(PersonName::parse(name));
            let phone = (!phone.trim().is_empty())
                .then(|| f.take(Phone::parse(phone)))
                .flatten();
            let email = (!email.trim().is_empty())
                .then(|| f.take(Email::parse(email)))
                .flatten();
            f.finish()?;
            Ok(PatientPlan::Register {
                user_id: None,
                details: patients::PatientDetails {
                    name: checked(name)?.as_str().to_owned(),
                    phone: phone.map(|p| p.as_str().to_owned()),
                    email: email.map(|e| e.as_str().to_owned()),
                    ..Default::default()
                },
            })
        }
    }
}

/// Registers the planned patient in the booking's transaction.
pub(in crate::app) async fn register<C: Conn>(
    c: &C,
    clinic: domain::ClinicId,
    plan: &PatientPlan,
    now: Timestamp,
) -> AppResult<patients::Patient> {
    let PatientPlan::Register { user_id, details } = plan else {
        return Err(AppError::Internal("registering a known patient".into()));
    };
    match patients::insert(c, clinic, *user_id, details, now).await {
        Err(StoreError::Conflict(_)) if user_id.is_some() => Err(AppError::Conflict(
            "Your patient record is being created by another request; try again.".into(),
        )),
        other => Ok(other?),
    }
}

/// The patient already has an active appointment at that time.
pub(in crate::app) fn patient_clash(
    clinic: &Clinic,
    staff: bool,
    patient: &patients::Patient,
    other: &Appointment,
) -> AppError {
    let who = if staff {
        patient.details.name.as_str()
    } else {
        "You"
    };
    let has = if staff { "has" } else { "have" };
    AppError::Conflict(format!(
        "{who} already {has} an appointment at {} with {} ({}).{}",
        notices::local_time(&clinic.time_zone, other.start),
        other.doctor_name,
        other.ref_code,
        if staff {
            " Book anyway to override."
        } else {
            ""
        }
    ))
}
