//! The admin's billing settings: tax id and rates, invoice numbering, rounding, the desk's
//! discount limit, the UPI id patients pay to, and the fees for late cancellations and
//! missed visits.

use super::{
    error::{Page, PageError},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::routes;
use crate::{
    app::billing_settings::{self, SettingsInput},
    auth::{RequestCtx, extract::ClinicAdmin},
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::ClinicId;
use serde::Deserialize;

const FIELDS: &[Label] = &[
    ("tax_id", "Tax id"),
    ("invoice_prefix", "Invoice prefix"),
    ("year_start_month", "Financial year starts in"),
    ("rounding", "Tax rounding"),
    ("tax_rates", "Tax rates"),
    ("consultation_tax_rate", "Tax on consultations"),
    ("desk_discount_limit", "Desk discount limit"),
    ("upi_vpa", "UPI id"),
    ("upi_payee", "UPI payee name"),
    ("late_cancel_hours", "Late cancellation window"),
    ("late_cancel_fee", "Late cancellation fee"),
    ("no_show_fee", "No-show fee"),
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[derive(Template)]
#[template(path = "billing_settings.html")]
struct SettingsPage {
    nav: Nav,
    clinic_id: ClinicId,
    form: SettingsForm,
    months: Vec<(String, &'static str)>,
    errors: Errors,
    saved: bool,
    /// Which payment providers the install is configured with: (name, set up).
    providers: Vec<(&'static str, bool)>,
    /// `In INR, for example 500 or 450.50; empty for none`.
    fee_hint: String,
}

fn fee_hint(caller: &crate::app::scope::Caller) -> String {
    let currency = &caller.clinic().currency;
    format!(
        "In {currency}, {}; empty for none",
        domain::Money::input_hint(currency)
    )
}

fn providers(state: &AppState) -> Vec<(&'static str, bool)> {
    [("Stripe", "stripe"), ("Razorpay", "razorpay")]
        .into_iter()
        .map(|(label, name)| (label, state.gateway(name).is_some()))
        .collect()
}

/// The form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub tax_id: String,
    pub invoice_prefix: String,
    pub year_start_month: String,
    pub rounding: String,
    pub tax_rates: String,
    pub consultation_tax_rate: String,
    pub desk_discount_limit: String,
    pub upi_vpa: String,
    pub upi_payee: String,
    pub late_cancel_hours: String,
    pub late_cancel_fee: String,
    pub no_show_fee: String,
}

impl SettingsForm {
    fn of(s: SettingsInput) -> Self {
        SettingsForm {
            tax_id: s.tax_id,
            invoice_prefix: s.invoice_prefix,
            year_start_month: s.year_start_month.to_string(),
            rounding: s.rounding,
            tax_rates: s.tax_rates,
            consultation_tax_rate: s.consultation_tax_rate,
            desk_discount_limit: s.desk_discount_limit,
            upi_vpa: s.upi_vpa,
            upi_payee: s.upi_payee,
            late_cancel_hours: s.late_cancel_hours.to_string(),
            late_cancel_fee: s.late_cancel_fee,
            no_show_fee: s.no_show_fee,
        }
    }

    fn input(&self) -> SettingsInput {
        SettingsInput {
            tax_id: self.tax_id.clone(),
            invoice_prefix: self.invoice_prefix.clone(),
            year_start_month: self.year_start_month.trim().parse().unwrap_or(0),
            rounding: self.rounding.clone(),
            tax_rates: self.tax_rates.clone(),
            consultation_tax_rate: self.consultation_tax_rate.clone(),
            desk_discount_limit: self.desk_discount_limit.clone(),
            upi_vpa: self.upi_vpa.clone(),
            upi_payee: self.upi_payee.clone(),
            // Unreadable hours are refused by the policy's own check, by field.
            late_cancel_hours: match self.late_cancel_hours.trim() {
                "" => i64::from(domain::billing::FeePolicy::NONE.late_cancel_hours),
                h => h.parse().unwrap_or(-1),
            },
            late_cancel_fee: self.late_cancel_fee.clone(),
            no_show_fee: self.no_show_fee.clone(),
        }
    }
}

fn months() -> Vec<(String, &'static str)> {
    MONTHS
        .iter()
        .enumerate()
        .map(|(i, m)| ((i + 1).to_string(), *m))
        .collect()
}

/// After saving.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Saved {
    pub saved: Option<String>,
}

/// GET /clinics/{clinic_id}/settings/billing (admins).
pub async fn show(
    State(state): State<AppState>,
    Page(scope): Page<ClinicAdmin>,
    QueryOr(q): QueryOr<Saved>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let s = billing_settings::billing_settings(&state, &caller).await?;
    let page = SettingsPage {
        nav: nav(&state, caller.person()?, "settings").await?,
        clinic_id: caller.clinic_id(),
        form: SettingsForm::of(SettingsInput::of(&s, &caller.clinic().currency)),
        months: months(),
        errors: Errors::default(),
        saved: q.saved.is_some(),
        providers: providers(&state),
        fee_hint: fee_hint(&caller),
    };
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/settings/billing (admins; audited).
pub async fn save(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PageForm(form): PageForm<SettingsForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    match billing_settings::set_billing_settings(&state, &ctx, &caller, &form.input()).await {
        Ok(_) => Ok(see_other(&format!(
            "{}?saved=1",
            routes::settings_billing(caller.clinic_id())
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let page = SettingsPage {
                nav: nav(&state, caller.person()?, "settings").await?,
                clinic_id: caller.clinic_id(),
                form,
                months: months(),
                errors,
                saved: false,
                providers: providers(&state),
                fee_hint: fee_hint(&caller),
            };
            Ok(outcome.render(&page))
        }
    }
}
