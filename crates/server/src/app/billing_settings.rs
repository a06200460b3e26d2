//! A clinic's billing settings: read by the billing desk, set by its admin (audited).

use super::{Fields, checked, policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::billing::{
    BillingSettings, FeePolicy, Percent, Rounding, parse_invoice_prefix, parse_tax_id,
    parse_tax_rates, parse_upi_vpa,
};
use domain::values::bounded_text;
use domain::{Currency, DomainError, Money};
use serde_json::json;
use store::{Conn, audit, clinics::Clinic};

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
    /// A patient's cancellation this many hours before the start, or closer, is late
    /// (0 to 720; 24 when left out).
    #[serde(default = "default_late_cancel_hours")]
    #[schema(minimum = 0, maximum = 720)]
    pub late_cancel_hours: i64,
    /// Charged when a patient cancels late, in the clinic's currency (`200` or `200.50`);
    /// empty or 0: no fee.
    #[serde(default)]
    #[schema(max_length = 20)]
    pub late_cancel_fee: String,
    /// Charged when a patient does not come; empty or 0: no fee.
    #[serde(default)]
    #[schema(max_length = 20)]
    pub no_show_fee: String,
}

fn default_late_cancel_hours() -> i64 {
    i64::from(FeePolicy::NONE.late_cancel_hours)
}

/// A fee as typed: empty is none.
fn fee(currency: &Currency, field: &'static str, raw: &str) -> Result<i64, DomainError> {
    if raw.trim().is_empty() {
        return Ok(0);
    }
    Money::parse(currency, raw)
        .map(|m| m.minor())
        .map_err(|e| DomainError::field(field, e.message))
}

impl SettingsInput {
    /// The form's values for `s`.
    pub fn of(s: &BillingSettings, currency: &Currency) -> Self {
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
            late_cancel_hours: i64::from(s.fees.late_cancel_hours),
            late_cancel_fee: major(currency, s.fees.late_cancel_fee),
            no_show_fee: major(currency, s.fees.no_show_fee),
        }
    }

    /// Checks every field, reporting every problem; fees are in `currency`.
    fn parse(&self, currency: &Currency) -> AppResult<BillingSettings> {
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
        let late_fee = f.take(fee(currency, "late_cancel_fee", &self.late_cancel_fee));
        let no_show = f.take(fee(currency, "no_show_fee", &self.no_show_fee));
        let fees = match (late_fee, no_show) {
            (Some(l), Some(n)) => f.take(FeePolicy::new(self.late_cancel_hours, l, n)),
            _ => None,
        };
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
            fees: checked(fees)?,
        })
    }
}

/// `minor` as typed in major units (`200.00`); empty for none.
fn major(currency: &Currency, minor: i64) -> String {
    if minor == 0 {
        String::new()
    } else {
        Money::new(currency, minor).major_input()
    }
}

/// The clinic's settings, or the defaults for its currency while it has kept them.
pub(super) async fn settings_in<C: Conn>(c: &C, caller: &Caller) -> AppResult<BillingSettings> {
    Ok(store::billing_settings::find(c, caller.clinic_id())
        .await?
        .unwrap_or_else(|| BillingSettings::default_for(caller.clinic().currency.as_str())))
}

/// What a clinic charges for visits that do not happen: public, shown before booking.
pub async fn fee_policy(state: &AppState, clinic: &Clinic) -> AppResult<FeePolicy> {
    fee_policy_in(state.store().conn(), clinic.id).await
}

/// [`fee_policy`], read in the caller's transaction.
pub(super) async fn fee_policy_in<C: Conn>(
    c: &C,
    clinic: domain::ClinicId,
) -> AppResult<FeePolicy> {
    Ok(store::billing_settings::find(c, clinic)
        .await?
        .map_or(FeePolicy::NONE, |s| s.fees))
}

/// What a patient reads before booking a visit of `price` with `deposit` (minor units):
/// the deposit due at booking and the clinic's fees, one sentence each.
pub fn visit_terms(currency: &Currency, fees: &FeePolicy, deposit: i64) -> Vec<String> {
    let m = |minor| Money::new(currency, minor).to_string();
    let mut out = Vec::new();
    if deposit > 0 {
        out.push(format!(
            "A deposit of {} is billed when you book (see Bills and payments); it is taken off the visit's bill.",
            m(deposit)
        ));
    }
    if fees.late_cancel_fee > 0 {
        out.push(format!(
            "Cancelling less than {} hours before the visit costs {}.",
            fees.late_cancel_hours,
            m(fees.late_cancel_fee)
        ));
    }
    if fees.no_show_fee > 0 {
        out.push(format!(
            "Not coming without cancelling costs {}.",
            m(fees.no_show_fee)
        ));
    }
    if deposit > 0 && fees.charges() {
        out.push("A paid deposit counts towards these fees.".into());
    }
    out
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
    let currency = &caller.clinic().currency;
    let s = input.parse(currency)?;
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
                "before": SettingsInput::of(&before, currency),
                "after": SettingsInput::of(&s, currency),
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
