//! Each clinic's billing settings (tax id and rates, numbering, rounding, discount limit,
//! UPI id, late-cancellation and no-show fees).

use crate::{StoreError, StoreResult, exec, get, ms, one_as};
use domain::{
    ClinicId,
    billing::{BillingSettings, FeePolicy, Percent, Rounding, format_tax_rates, parse_tax_rates},
};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};

fn corrupt(e: domain::DomainError) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn percent(r: &QueryResult, col: &str) -> StoreResult<Percent> {
    let h: i32 = get(r, col)?;
    u16::try_from(h)
        .map_err(|_| StoreError::Corrupt(format!("{col}: {h}")))
        .and_then(|h| Percent::from_hundredths(h).map_err(corrupt))
}

/// The clinic's billing settings, or `None` while it has kept the defaults.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
) -> StoreResult<Option<BillingSettings>> {
    one_as(
        c,
        "SELECT * FROM billing_settings WHERE clinic_id = $1",
        vec![clinic.as_uuid().into()],
        |r| {
            Ok(BillingSettings {
                tax_id: get(r, "tax_id")?,
                invoice_prefix: get(r, "invoice_prefix")?,
                year_start_month: i8::try_from(get::<i32>(r, "year_start_month")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                rounding: Rounding::parse(&get::<String>(r, "rounding")?).map_err(corrupt)?,
                tax_rates: parse_tax_rates(&get::<String>(r, "tax_rates")?).map_err(corrupt)?,
                consultation_tax_rate: percent(r, "consultation_tax_rate")?,
                desk_discount_limit: percent(r, "desk_discount_limit")?,
                upi_vpa: get(r, "upi_vpa")?,
                upi_payee: get(r, "upi_payee")?,
                fees: FeePolicy::new(
                    i64::from(get::<i32>(r, "late_cancel_hours")?),
                    get(r, "late_cancel_fee")?,
                    get(r, "no_show_fee")?,
                )
                .map_err(corrupt)?,
            })
        },
    )
    .await
}

/// Writes the clinic's billing settings.
pub async fn put<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    s: &BillingSettings,
    now: Timestamp,
) -> StoreResult<()> {
    let values = vec![
        clinic.as_uuid().into(),
        s.tax_id.clone().into(),
        s.invoice_prefix.clone().into(),
        i32::from(s.year_start_month).into(),
        s.rounding.as_str().into(),
        format_tax_rates(&s.tax_rates).into(),
        i32::from(s.consultation_tax_rate.hundredths()).into(),
        i32::from(s.desk_discount_limit.hundredths()).into(),
        s.upi_vpa.clone().into(),
        s.upi_payee.clone().into(),
        ms(now).into(),
        i32::from(s.fees.late_cancel_hours).into(),
        s.fees.late_cancel_fee.into(),
        s.fees.no_show_fee.into(),
    ];
    exec(
        c,
        "INSERT INTO billing_settings (clinic_id, tax_id, invoice_prefix, year_start_month, \
         rounding, tax_rates, consultation_tax_rate, desk_discount_limit, upi_vpa, upi_payee, \
         updated_at, late_cancel_hours, late_cancel_fee, no_show_fee) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (clinic_id) DO UPDATE SET tax_id = $2, invoice_prefix = $3, \
         year_start_month = $4, rounding = $5, tax_rates = $6, consultation_tax_rate = $7, \
         desk_discount_limit = $8, upi_vpa = $9, upi_payee = $10, updated_at = $11, \
         late_cancel_hours = $12, late_cancel_fee = $13, no_show_fee = $14",
        values,
    )
    .await?;
    Ok(())
}
