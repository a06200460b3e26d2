//! Visit types on the doctor's schedule (their own) and the clinic settings (clinic-wide):
//! the list, the add form and retiring one.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Label, PageForm, failure, see_other},
    schedule::{self as schedule_page, Failed},
    settings, time_off,
};
use crate::app::policy::Capability;
use crate::{
    app::schedule::{self, VisitTypeInput},
    auth::{
        RequestCtx,
        extract::{AdminOrDoctor, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use axum::{extract::State, response::Response};
use domain::{ClinicId, Currency, DoctorId, DomainError, Money, VisitMode, VisitTypeId};
use serde::Deserialize;
use store::clinics::Clinic;

pub(super) const VISIT_TYPE_FIELDS: &[Label] = &[
    ("name", "Name"),
    ("duration_min", "Length"),
    ("buffer_before_min", "Buffer before"),
    ("buffer_after_min", "Buffer after"),
    ("price_minor", "Price"),
    ("price", "Price"),
    ("deposit_minor", "Deposit at booking"),
    ("deposit", "Deposit at booking"),
    ("mode", "Mode"),
];

/// A visit type as listed, with whether the viewer may retire it here.
pub(super) struct VisitTypeRow {
    pub id: domain::VisitTypeId,
    pub name: String,
    pub detail: String,
    pub scope: &'static str,
    pub can_archive: bool,
}

/// The visit-type form as typed (price in major units, e.g. `500` or `450.50`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct VisitTypeForm {
    pub name: String,
    pub duration_min: String,
    pub buffer_before_min: String,
    pub buffer_after_min: String,
    pub price: String,
    /// Asked for at booking, in major units; empty for none.
    pub deposit: String,
    pub mode: String,
    /// A doctor's own type, from the schedule page; empty from the clinic settings.
    pub doctor: String,
}

impl Default for VisitTypeForm {
    fn default() -> Self {
        VisitTypeForm {
            name: String::new(),
            duration_min: "15".into(),
            buffer_before_min: "0".into(),
            buffer_after_min: "0".into(),
            price: String::new(),
            deposit: String::new(),
            mode: "in_person".into(),
            doctor: String::new(),
        }
    }
}

/// What a typed price means: empty is free, anything else reads as the clinic's money.
fn parse_price(currency: &Currency, raw: &str) -> Result<Money, DomainError> {
    if raw.trim().is_empty() {
        return Ok(Money::zero(currency));
    }
    Money::parse(currency, raw)
}

/// The price field's hint: `In INR, for example 500 or 450.50; empty is free`.
pub(super) fn price_hint(currency: &Currency) -> String {
    format!(
        "In {currency}, {}; empty is free",
        Money::input_hint(currency)
    )
}

/// A visit type's summary: `20 min (+5 after) · INR 500.00 · video`.
pub(super) fn visit_type_detail(v: &store::schedules::VisitType, clinic: &Clinic) -> String {
    let mut s = format!("{} min", v.duration_min);
    if v.buffer_before_min > 0 || v.buffer_after_min > 0 {
        s.push_str(&format!(
            " (+{} before, +{} after)",
            v.buffer_before_min, v.buffer_after_min
        ));
    }
    s.push_str(" · ");
    s.push_str(&Money::new(&clinic.currency, v.price_minor).to_string());
    if v.deposit_minor > 0 {
        s.push_str(&format!(
            " ({} deposit at booking)",
            Money::new(&clinic.currency, v.deposit_minor)
        ));
    }
    if v.mode == VisitMode::Video {
        s.push_str(" · video");
    }
    s
}

/// POST /clinics/{clinic_id}/visit-types: add a clinic-wide type (settings) or a doctor's own
/// (schedule).
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    PageForm(form): PageForm<VisitTypeForm>,
) -> Result<Response, PageError> {
    let doctor = form.doctor.parse::<DoctorId>().ok();
    if doctor.is_none() && !scope.can(Capability::ManageAnyPractice) {
        return Err(AppError::NotFound.into());
    }
    let num = |s: &str| s.trim().parse::<i32>().unwrap_or(-1);
    let clinic = scope.clinic();
    let prices = parse_price(&clinic.currency, &form.price)
        .map_err(|e| AppError::field("price", e.message))
        .and_then(|p| {
            parse_price(&clinic.currency, &form.deposit)
                .map(|d| (p, d))
                .map_err(|e| AppError::field("deposit", e.message))
        });
    let result = match prices {
        Ok((price, deposit)) => {
            let input = VisitTypeInput {
                name: form.name.clone(),
                duration_min: num(&form.duration_min),
                buffer_before_min: num(&form.buffer_before_min),
                buffer_after_min: num(&form.buffer_after_min),
                price_minor: price.minor(),
                deposit_minor: deposit.minor(),
                mode: Some(form.mode.clone()),
                doctor_id: doctor.map(|d| d.as_uuid()),
            };
            schedule::create_visit_type(&state, &ctx, &scope, &input)
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match (result, doctor) {
        (Ok(()), _) => Ok(see_other(&time_off::return_to(
            scope.clinic_id(),
            &form.doctor,
        ))),
        (Err(e), Some(_)) => {
            let (outcome, errors) = failure(e, VISIT_TYPE_FIELDS)?;
            let doctor = form.doctor.clone();
            schedule_page::again(
                &state,
                &scope,
                &doctor,
                outcome,
                Failed::VisitType(form, errors),
            )
            .await
        }
        (Err(e), None) => settings::visit_type_failed(&state, &scope, form, e).await,
    }
}

/// POST /clinics/{clinic_id}/visit-types/{id}/archive.
pub async fn archive(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AdminOrDoctor>>,
    PagePath((_, id)): PagePath<(ClinicId, VisitTypeId)>,
    PageForm(form): PageForm<time_off::RemoveForm>,
) -> Result<Response, PageError> {
    schedule::archive_visit_type(&state, &ctx, &scope, id).await?;
    Ok(see_other(&time_off::return_to(
        scope.clinic_id(),
        &form.doctor,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_price_is_free_and_others_read_as_the_clinics_money() {
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(parse_price(&jpy, "  ").map(|m| m.minor()), Ok(0));
        assert_eq!(parse_price(&jpy, "1,500").map(|m| m.minor()), Ok(1500));
        assert!(parse_price(&jpy, "1500.5").is_err());
        assert_eq!(
            price_hint(&jpy),
            "In JPY, whole amounts, for example 500; empty is free"
        );
    }
}
