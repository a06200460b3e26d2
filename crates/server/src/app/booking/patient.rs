//! The patient a booking is for: found before the write, or registered inside it.

use super::PatientChoice;
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    app::{Fields, checked, notices},
    error::{AppError, AppResult},
};
use domain::{Email, PatientId, PersonName, Phone, UserId, patient::same_name, schedule::Slot};
use jiff::Timestamp;
use serde_json::json;
use store::{
    Conn, StoreError,
    appointments::{self, Appointment},
    audit,
    clinics::Clinic,
    patients,
};

/// The patient of a booking: one the clinic knows, the caller's own unlinked record to link
/// to their account, or one to register with the booking.
pub(in crate::app) enum PatientPlan {
    Known(patients::Patient),
    Link(patients::Patient),
    Register {
        user_id: Option<UserId>,
        details: patients::PatientDetails,
    },
}

impl PatientPlan {
    /// The patient's name.
    pub(in crate::app) fn name(&self) -> &str {
        match self {
            PatientPlan::Known(p) | PatientPlan::Link(p) => &p.details.name,
            PatientPlan::Register { details, .. } => &details.name,
        }
    }
}

/// [`plan_patient`], and the patient's active visits a booking at `start` may overlap: those
/// that end after it and begin less than a day later (a visit lasts at most 8 hours).
pub(in crate::app) async fn plan_with_visits<C: Conn>(
    c: &C,
    caller: &Caller,
    choice: &PatientChoice,
    start: Timestamp,
) -> AppResult<(PatientPlan, Vec<Appointment>)> {
    let plan = plan_patient(c, caller, choice).await?;
    let visits = match &plan {
        PatientPlan::Known(p) | PatientPlan::Link(p) => {
            let day_after = start
                .checked_add(jiff::SignedDuration::from_hours(24))
                .unwrap_or(Timestamp::MAX);
            appointments::patient_overlaps(c, p.id, start, day_after).await?
        }
        PatientPlan::Register { .. } => Vec::new(),
    };
    Ok((plan, visits))
}

/// The answer when the database refused to book `patient` over another visit of theirs
/// that was booked after the check: that visit, read again.
pub(in crate::app) async fn patient_busy<C: Conn>(
    c: &C,
    clinic: &Clinic,
    staff: Option<&str>,
    act: &str,
    patient: PatientId,
    slot: &Slot,
) -> AppError {
    match appointments::patient_overlaps(c, patient, slot.start, slot.end).await {
        Ok(visits) => match visits.first() {
            Some(other) => patient_clash(clinic, staff, act, other),
            None => AppError::Conflict(
                "Another visit of this patient was booked at this time meanwhile; try again."
                    .into(),
            ),
        },
        Err(e) => e.into(),
    }
}

/// Finds (or validates, for a new one) the booking's patient, before any write.
async fn plan_patient<C: Conn>(
    c: &C,
    caller: &Caller,
    choice: &PatientChoice,
) -> AppResult<PatientPlan> {
    let clinic = caller.clinic_id();
    match choice {
        PatientChoice::Me => my_record(c, caller).await,
        _ if !caller.can(Capability::BookForOthers) => {
            Err(AppError::field("patient", "Patients book for themselves."))
        }
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

/// The caller's own record at the clinic: the one linked to their account; else the
/// clinic's unlinked record with their e-mail address and name, linked now if they have
/// confirmed that address (never on an unconfirmed one: anyone can type an address); else
/// a new record. A patient the desk registered before they signed up is never duplicated.
async fn my_record<C: Conn>(c: &C, caller: &Caller) -> AppResult<PatientPlan> {
    let clinic = caller.clinic_id();
    let u = caller.person()?.user();
    if let Some(p) = patients::of_user(c, clinic, u.id).await? {
        return Ok(PatientPlan::Known(p));
    }
    let mine = patients::with_email(c, clinic, &u.email)
        .await?
        .into_iter()
        .find(|p| p.user_id.is_none() && same_name(&p.details.name, &u.name));
    match mine {
        Some(p) if u.email_verified_at.is_some() => Ok(PatientPlan::Link(p)),
        Some(_) => Err(AppError::Refused {
            rule: "email_unconfirmed",
            message: format!(
                "This clinic may already have your patient record. To book with it, first \
                 confirm your e-mail address with the link we sent to {} (your account page \
                 sends a new one).",
                u.email
            ),
        }),
        None => Ok(PatientPlan::Register {
            user_id: Some(u.id),
            details: patients::PatientDetails {
                name: u.name.clone(),
                email: Some(u.email.clone()),
                // Read again: a number given on the booking page was added just now.
                phone: match &u.phone {
                    Some(p) => Some(p.clone()),
                    None => store::users::find(c, u.id).await?.and_then(|x| x.phone),
                },
                ..Default::default()
            },
        }),
    }
}

/// Registers (or links) the planned patient in the booking's transaction.
pub(in crate::app) async fn register<C: Conn>(
    c: &C,
    clinic: domain::ClinicId,
    plan: &PatientPlan,
    actor: &audit::Actor,
    now: Timestamp,
) -> AppResult<patients::Patient> {
    match plan {
        PatientPlan::Known(_) => Err(AppError::Internal("registering a known patient".into())),
        PatientPlan::Link(p) => {
            let user = actor
                .user
                .ok_or_else(|| AppError::Internal("linking without a caller".into()))?;
            if !patients::link_user(c, clinic, p.id, user, now).await? {
                return Err(AppError::Conflict(
                    "Your patient record was changed meanwhile; try again.".into(),
                ));
            }
            let event = audit::Event::new("patient.link", "patient", p.id)
                .in_clinic(clinic)
                .detail(json!({"user_id": user.as_uuid(), "via": "confirmed_email"}));
            audit::append(c, actor, event, now).await?;
            Ok(patients::Patient {
                user_id: Some(user),
                version: p.version + 1,
                updated_at: now,
                ..p.clone()
            })
        }
        PatientPlan::Register { user_id, details } => {
            let p = match patients::insert(c, clinic, *user_id, details, now).await {
                Err(StoreError::Conflict(_)) if user_id.is_some() => {
                    return Err(AppError::Conflict(
                        "Your patient record is being created by another request; try again."
                            .into(),
                    ));
                }
                other => other?,
            };
            let e = domain::Event::PatientRegistered { patient: p.id };
            crate::app::events::record(c, clinic, actor.user, e, now).await?;
            Ok(p)
        }
    }
}

/// The patient already has an active appointment at that time: told to staff by the
/// patient's name (`Some`, who may `act` anyway: "Book", "Move"), to the patient as "you".
pub(in crate::app) fn patient_clash(
    clinic: &Clinic,
    staff: Option<&str>,
    act: &str,
    other: &Appointment,
) -> AppError {
    let (who, has) = match staff {
        Some(name) => (name, "has"),
        None => ("You", "have"),
    };
    AppError::Conflict(format!(
        "{who} already {has} an appointment at {} with {} ({}).{}",
        notices::local_time(&clinic.time_zone, other.start),
        other.doctor_name,
        other.ref_code,
        match staff {
            Some(_) => format!(" {act} anyway to override."),
            None => String::new(),
        }
    ))
}
