//! A clinic's billing settings: read by the billing desk, set by its admin (audited).

use super::{Fields, checked, policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::billing::{
    BillingSettings, Percent, Rounding, parse_invoice_prefix, parse_tax_id, parse_tax_rates,
    parse_upi_vpa,
};
use domain::values::bounded_text;
use serde_json::json;
use store::{Conn, audit};

/// The settings as typed (the admin's form and the API's body).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// Printed on bills (a GSTIN in India); empty for none.
    #[serde(default)]
    #[schema(max_length = 20)]
    pub tax_id: String,
    #[schema(max_length = 6)]
    pub invoice_prefix: String,
    /// The month the financial year starts, 1 to 12.
    pub year_start_month: i8,
    /// `line` or `bill`.
    pub rounding: String,
    /// The rates bills may use, as percentages: `0, 5, 12, 18` (0% is always offered).
    #[schema(max_length = 100)]
    pub tax_rates: String,
    /// The rate proposed for consultations, one of the rates (`0`: exempt).
    #[serde(default)]
    #[schema(max_length = 6)]
    pub consultation_tax_rate: String,
    /// The largest bill discount the desk may give without an admin, in percent.
    #[schema(max_length = 6)]
    pub desk_discount_limit: String,
    /// The UPI id patients pay to (`clinic@okbank`); empty for none.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub upi_vpa: String,
    /// The payee name UPI apps show.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub upi_payee: String,
}

impl SettingsInput {
    /// The form's values for `s`.
    pub fn of(s: &BillingSettings) -> Self {
        let pct = |p: Percent| p.to_string().trim_end_matches('%').to_owned();
        SettingsInput {
            tax_id: s.tax_id.clone(),
            invoice_prefix: s.invoice_prefix.clone(),
            year_start_month: s.year_start_month,
            rounding: s.rounding.as_str().into(),
            tax_rates: domain::billing::format_tax_rates(&s.tax_rates).replace(',', ", "),
            consultation_tax_rate: pct(s.consultation_tax_rate),
            desk_discount_limit: pct(s.desk_discount_limit),
            upi_vpa: s.upi_vpa.clone(),
            upi_payee: s.upi_payee.clone(),
        }
    }

    /// Checks every field, reporting every problem.
    fn parse(&self) -> AppResult<BillingSettings> {
        let mut f = Fields::default();
        let tax_id = f.take(parse_tax_id(&self.tax_id));
        let prefix = f.take(parse_invoice_prefix(&self.invoice_prefix));
        let month = f.take(if (1..=12).contains(&self.year_start_month) {
            Ok(self.year_start_month)
        } else {
            Err(domain::DomainError::field(
                "year_start_month",
                "Choose a month from 1 (January) to 12 (December).",
            ))
        });
        let rounding = f.take(Rounding::parse(&self.rounding));
        let rates = f.take(parse_tax_rates(&self.tax_rates));
        let consultation = f.take(
            Percent::parse(if self.consultation_tax_rate.trim().is_empty() {
                "0"
            } else {
                &self.consultation_tax_rate
            })
            .map_err(|e| domain::DomainError::field("consultation_tax_rate", e.message)),
        );
        let limit = f.take(
            Percent::parse(&self.desk_discount_limit)
                .map_err(|e| domain::DomainError::field("desk_discount_limit", e.message)),
        );
        let vpa = f.take(parse_upi_vpa(&self.upi_vpa));
        let payee = f.take(bounded_text("upi_payee", &self.upi_payee, 100, false));
        if let (Some(rates), Some(c)) = (&rates, consultation)
            && !rates.contains(&c)
        {
            f.push(
                "consultation_tax_rate",
                "Choose one of the clinic's tax rates.",
            );
        }
        if let (Some(v), Some(p)) = (&vpa, &payee)
            && !v.is_empty()
            && p.is_empty()
        {
            f.push("upi_payee", "Enter the name patients see when they pay.");
        }
        f.finish()?;
        Ok(BillingSettings {
            tax_id: checked(tax_id)?,
            invoice_prefix: checked(prefix)?,
            year_start_month: checked(month)?,
            rounding: checked(rounding)?,
            tax_rates: checked(rates)?,
            consultation_tax_rate: checked(consultation)?,
            desk_discount_limit: checked(limit)?,
            upi_vpa: checked(vpa)?,
            upi_payee: checked(payee)?,
        })
    }
}

/// The clinic's settings, or the defaults for its currency while it has kept them.
pub(super) async fn settings_in<C: Conn>(c: &C, caller: &Caller) -> AppResult<BillingSettings> {
    Ok(store::billing_settings::find(c, caller.clinic_id())
        .await?
        .unwrap_or_else(|| BillingSettings::default_for(caller.clinic().currency.as_str())))
}

/// The clinic's billing settings: its billing desk and admins.
pub async fn billing_settings(state: &AppState, caller: &Caller) -> AppResult<BillingSettings> {
    if !caller.can(Capability::Billing) {
        caller.require(Capability::ClinicSettings)?;
    }
    settings_in(state.store().conn(), caller).await
}

/// Sets the clinic's billing settings (its admin; audited with what changed).
pub async fn set_billing_settings(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    input: &SettingsInput,
) -> AppResult<BillingSettings> {
    caller.require(Capability::ClinicSettings)?;
    let s = input.parse()?;
    let now = state.now();
    let tx = state.store().write().await?;
    let before = settings_in(&tx, caller).await?;
    store::billing_settings::put(&tx, caller.clinic_id(), &s, now).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("billing.settings", "clinic", caller.clinic_id())
            .in_clinic(caller.clinic_id())
            .detail(json!({
                "before": SettingsInput::of(&before),
                "after": SettingsInput::of(&s),
            })),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(s)
}

/// A refusal for a tax rate the clinic does not offer.
pub(super) fn rate_refused(line: usize) -> AppError {
    AppError::field(
        "items",
        format!("Line {line}: choose one of the clinic's tax rates."),
    )
}
