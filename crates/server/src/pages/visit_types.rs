//! Visit types on the doctor's schedule (their own) and the clinic settings (clinic-wide):
//! the list, the add form and retiring one.

use super::{
    error::{Page, PageError},
    forms::{Label, PageForm, failure, see_other},
    schedule::{self as schedule_page, Failed},
    settings, time_off,
};
use crate::{
    app::schedule::{self, VisitTypeInput},
    auth::{
        RequestCtx,
        extract::{AdminOrDoctor, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::{DoctorId, VisitMode, VisitTypeId};
use serde::Deserialize;
use store::clinics::Clinic;

pub(super) const VISIT_TYPE_FIELDS: &[Label] = &[
    ("name", "Name"),
    ("duration_min", "Length"),
    ("buffer_before_min", "Buffer before"),
    ("buffer_after_min", "Buffer after"),
    ("price_minor", "Price"),
    ("price", "Price"),
    ("mode", "Mode"),
];

/// A visit type as listed, with whether the viewer may retire it here.
pub(super) struct VisitTypeRow {
    pub id: String,
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
            mode: "in_person".into(),
            doctor: String::new(),
        }
    }
}

/// The clinic's money in its minor unit: `450.50` → 45050. At most two decimals.
pub(super) fn parse_price(raw: &str) -> Result<i64, &'static str> {
    const MSG: &str = "Enter an amount like 500 or 450.50.";
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(0);
    }
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty()
        || whole.len() > 7
        || frac.len() > 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(MSG);
    }
    let whole: i64 = whole.parse().map_err(|_| MSG)?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| MSG)?;
    Ok(whole * 100 + frac)
}

/// An amount in minor units as [`parse_price`] reads it back: 50000 → `500`, 45050 →
/// `450.50`.
pub(super) fn price_input(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
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
    s.push_str(&super::booking::money(v.price_minor, &clinic.currency));
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
    if doctor.is_none() && !scope.is_admin() {
        return Err(AppError::NotFound.into());
    }
    let num = |s: &str| s.trim().parse::<i32>().unwrap_or(-1);
    let result = match parse_price(&form.price) {
        Ok(price_minor) => {
            let input = VisitTypeInput {
                name: form.name.clone(),
                duration_min: num(&form.duration_min),
                buffer_before_min: num(&form.buffer_before_min),
                buffer_after_min: num(&form.buffer_after_min),
                price_minor,
                mode: Some(form.mode.clone()),
                doctor_id: doctor.map(|d| d.as_uuid()),
            };
            schedule::create_visit_type(&state, &ctx, &scope, &input)
                .await
                .map(|_| ())
        }
        Err(msg) => Err(AppError::field("price", msg)),
    };
    match (result, doctor) {
        (Ok(()), _) => Ok(see_other(&time_off::return_to(scope.clinic, &form.doctor))),
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
    Path((_, id)): Path<(String, String)>,
    PageForm(form): PageForm<time_off::RemoveForm>,
) -> Result<Response, PageError> {
    let id: VisitTypeId = id.parse().map_err(|_| AppError::NotFound)?;
    schedule::archive_visit_type(&state, &ctx, &scope, id).await?;
    Ok(see_other(&time_off::return_to(scope.clinic, &form.doctor)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_in_major_units_with_at_most_two_decimals() {
        assert_eq!(parse_price(""), Ok(0));
        assert_eq!(parse_price("500"), Ok(50_000));
        assert_eq!(parse_price(" 450.5 "), Ok(45_050));
        assert_eq!(parse_price("0.05"), Ok(5));
        for bad in ["-1", "1.234", "abc", ".5", "1e3", "12345678", "1,000"] {
            assert!(parse_price(bad).is_err(), "{bad}");
        }
        for minor in [0, 5, 50_000, 45_050, 999_999_999] {
            assert_eq!(parse_price(&price_input(minor)), Ok(minor), "{minor}");
        }
        assert_eq!(price_input(45_050), "450.50");
        assert_eq!(price_input(50_000), "500");
    }
}
