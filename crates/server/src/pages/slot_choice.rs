//! The slot a booking confirm page is about, and what went wrong with it.

use super::booking::SlotLink;
use super::{
    error::PageError,
    forms::{Errors, Label, failure},
};
use crate::{
    app::{billing_settings, doctors, notices::local_time, schedule},
    error::AppError,
    state::AppState,
};
use axum::http::StatusCode;
use domain::{DoctorId, Money, VisitTypeId};
use jiff::Timestamp;
use store::{clinics::Clinic, schedules::VisitType};

/// The slot a confirm page is about: an approved doctor, a visit type they offer and a
/// start, with what the page shows of them. Anything unknown is a 404.
pub(super) struct Chosen {
    pub doctor: store::doctors::Doctor,
    pub vt: VisitType,
    pub start: Timestamp,
    /// `Consultation (15 min)`.
    pub visit_type_name: String,
    /// In the clinic's zone, with the zone named.
    pub when: String,
    pub fee: String,
    /// The deposit due at booking and the clinic's fees, as sentences.
    pub terms: Vec<String>,
}

impl Chosen {
    pub async fn load(
        state: &AppState,
        clinic: &Clinic,
        doctor: &str,
        visit_type: &str,
        start: &str,
    ) -> Result<Chosen, PageError> {
        let doctor_id: DoctorId = doctor.parse().map_err(|_| AppError::NotFound)?;
        let doctor = doctors::get_doctor(state, clinic.id, doctor_id).await?;
        let vt_id: VisitTypeId = visit_type.parse().map_err(|_| AppError::NotFound)?;
        let vt = schedule::list_visit_types(state, clinic.id, Some(doctor.id))
            .await?
            .into_iter()
            .find(|v| v.id == vt_id)
            .ok_or(AppError::NotFound)?;
        let start: Timestamp = start.parse().map_err(|_| AppError::NotFound)?;
        let fees = billing_settings::fee_policy(state, clinic).await?;
        // As the visit is billed: the visit type's price, else the doctor's fee.
        let price = if vt.price_minor > 0 {
            vt.price_minor
        } else {
            doctor.fee_minor
        };
        Ok(Chosen {
            visit_type_name: format!("{} ({} min)", vt.name, vt.duration_min),
            when: local_time(&clinic.time_zone, start),
            fee: match vt.deposit_minor {
                0 => format!(
                    "{}, paid at the clinic",
                    Money::new(&clinic.currency, price)
                ),
                d => format!(
                    "{}: {} deposit when you book, the rest at the clinic",
                    Money::new(&clinic.currency, price),
                    Money::new(&clinic.currency, d)
                ),
            },
            terms: billing_settings::visit_terms(&clinic.currency, &fees, vt.deposit_minor),
            doctor,
            vt,
            start,
        })
    }
}

/// What a confirm page shows after a booking failed, and with which status.
pub(super) struct Trouble {
    pub status: StatusCode,
    pub alert: Option<String>,
    /// For a taken slot: the nearest free ones.
    pub alternatives: Vec<SlotLink>,
    pub errors: Errors,
    /// A conflict other than a taken slot (the patient is busy then).
    pub conflict: bool,
}

impl Default for Trouble {
    fn default() -> Self {
        Trouble {
            status: StatusCode::OK,
            alert: None,
            alternatives: Vec::new(),
            errors: Errors::default(),
            conflict: false,
        }
    }
}

impl Trouble {
    /// Explains a failed booking. A taken slot says `taken` and links the alternatives with
    /// `href(start)`; field errors map onto `labels`; errors no form explains become an
    /// error page.
    pub fn of(
        e: AppError,
        clinic: &Clinic,
        taken: &str,
        labels: &[Label],
        href: impl Fn(&str) -> String,
    ) -> Result<Trouble, PageError> {
        Ok(match e {
            AppError::SlotTaken { alternatives } => Trouble {
                status: StatusCode::CONFLICT,
                alert: Some(taken.to_owned()),
                alternatives: alternatives
                    .iter()
                    .filter_map(|a| {
                        let t: Timestamp = a.start.parse().ok()?;
                        Some(SlotLink {
                            time: local_time(&clinic.time_zone, t),
                            href: href(&a.start),
                        })
                    })
                    .collect(),
                ..Trouble::default()
            },
            AppError::Refused { message, .. } => Trouble {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                alert: Some(message),
                ..Trouble::default()
            },
            AppError::Conflict(message) => Trouble {
                status: StatusCode::CONFLICT,
                alert: Some(message),
                conflict: true,
                ..Trouble::default()
            },
            other => {
                let (outcome, errors) = failure(other, labels)?;
                Trouble {
                    status: outcome.status,
                    errors,
                    ..Trouble::default()
                }
            }
        })
    }
}
