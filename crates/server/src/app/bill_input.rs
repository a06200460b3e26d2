//! A bill's lines as typed (the desk's form and the API's body) and how they become its
//! content: lines at the clinic's tax rates, discounts with their reason and within the
//! desk's limit, and the line a visit proposes.

use super::{billing_settings::rate_refused, policy::Capability, scope::Caller};
use crate::error::{AppError, AppResult};
use domain::{
    billing::{self, BillKind, BillingSettings, Discount, Line, MAX_LINES, Percent},
    values::bounded_text,
};
use store::{
    Conn,
    bills::{BillContent, BillLine},
};

/// One line as typed (the desk's form and the API's body).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LineInput {
    #[schema(max_length = 200)]
    pub description: String,
    /// HSN or SAC code, up to 8 digits.
    #[schema(max_length = 8)]
    pub code: String,
    /// 1 to 10,000.
    pub quantity: u32,
    /// In the currency's minor unit (paise).
    pub unit_price_minor: i64,
    /// One of the clinic's rates, in percent: `18`, `12.5`; empty is 0%.
    #[schema(max_length = 6)]
    pub tax_rate: String,
    /// An amount off this line, in minor units.
    pub discount_minor: i64,
    /// Or a percentage off it.
    #[schema(max_length = 6)]
    pub discount_percent: String,
}

/// A bill's lines, discount and notes as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BillInput {
    #[schema(max_items = 200)]
    pub items: Vec<LineInput>,
    /// An amount off the whole bill, in minor units.
    pub discount_minor: i64,
    /// Or a percentage off it.
    #[schema(max_length = 6)]
    pub discount_percent: String,
    /// Why there is a discount; required with one.
    #[schema(max_length = 200)]
    pub discount_reason: String,
    #[schema(max_length = 500)]
    pub notes: String,
}

fn discount_of(field: &str, minor: i64, percent: &str) -> AppResult<Discount> {
    match (minor, percent.trim()) {
        (0, "") => Ok(Discount::None),
        (m, "") if m > 0 => Ok(Discount::Amount(m)),
        (0, p) => Percent::parse(p)
            .map(Discount::Percent)
            .map_err(|e| AppError::field(field, e.message)),
        (m, "") => Err(AppError::field(
            field,
            format!("A discount cannot be negative ({m})."),
        )),
        _ => Err(AppError::field(
            field,
            "Give a discount as an amount or a percentage, not both.",
        )),
    }
}

/// Checks what was typed and computes the bill: lines at the clinic's rates, a reason for
/// any discount, and the desk's discount limit unless the caller may correct bills.
pub(super) fn compose(
    caller: &Caller,
    s: &BillingSettings,
    input: &BillInput,
) -> AppResult<BillContent> {
    if input.items.len() > MAX_LINES {
        return Err(AppError::field(
            "items",
            format!("A bill has at most {MAX_LINES} lines."),
        ));
    }
    let mut lines = Vec::with_capacity(input.items.len());
    let mut domain_lines = Vec::with_capacity(input.items.len());
    for (i, l) in input.items.iter().enumerate() {
        let n = i + 1;
        let at = |e: domain::DomainError| {
            AppError::field("items", format!("Line {n}: {} {}", e.field, e.message))
        };
        let description = bounded_text("description", &l.description, 200, true).map_err(at)?;
        let code = l.code.trim().to_owned();
        if code.len() > 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::field(
                "items",
                format!("Line {n}: an HSN/SAC code is up to 8 digits."),
            ));
        }
        let rate = match l.tax_rate.trim() {
            "" => Percent::ZERO,
            r => Percent::parse(r).map_err(at)?,
        };
        if !s.offers(rate) {
            return Err(rate_refused(n));
        }
        let discount = discount_of("items", l.discount_minor, &l.discount_percent)?;
        domain_lines.push(Line {
            quantity: l.quantity,
            unit_price: l.unit_price_minor,
            tax_rate: rate,
            discount,
        });
        lines.push(BillLine {
            description,
            code,
            quantity: l.quantity,
            unit_price: l.unit_price_minor,
            tax_rate: rate,
            discount,
            amounts: Default::default(),
        });
    }
    let discount = discount_of("discount", input.discount_minor, &input.discount_percent)?;
    let t = billing::totals(&domain_lines, discount, s.rounding)
        .map_err(|e| AppError::field(e.field, e.message))?;
    for (l, amounts) in lines.iter_mut().zip(&t.lines) {
        l.amounts = *amounts;
    }
    let reason = bounded_text("discount_reason", &input.discount_reason, 200, false)
        .map_err(|e| AppError::field(e.field, e.message))?;
    if t.discount > 0 && reason.is_empty() {
        return Err(AppError::field(
            "discount_reason",
            "Say why the bill is discounted.",
        ));
    }
    // The limit's amount, rounded as a discount of that percentage is.
    let limit = (2 * i128::from(t.subtotal) * i128::from(s.desk_discount_limit.hundredths())
        + 10_000)
        / 20_000;
    if i128::from(t.discount) > limit && !caller.can(Capability::CorrectBills) {
        return Err(AppError::field(
            "discount",
            format!(
                "The desk may discount up to {}; a larger discount needs an admin.",
                s.desk_discount_limit
            ),
        ));
    }
    let notes = bounded_text("notes", &input.notes, 500, false)
        .map_err(|e| AppError::field(e.field, e.message))?;
    Ok(BillContent {
        rounding: s.rounding,
        discount,
        discount_reason: reason,
        notes,
        subtotal: t.subtotal,
        discount_total: t.discount,
        tax: t.tax,
        total: t.total,
        lines,
    })
}

/// The visit's consultation line: the visit type's price, or the doctor's fee when the visit
/// type is free of charge or there is none (a walk-in).
pub(super) async fn visit_line<C: Conn>(
    c: &C,
    caller: &Caller,
    s: &BillingSettings,
    doctor: domain::DoctorId,
    visit_type: Option<domain::VisitTypeId>,
) -> AppResult<LineInput> {
    let clinic = caller.clinic_id();
    let d = store::doctors::find(c, clinic, doctor)
        .await?
        .ok_or(AppError::NotFound)?;
    let vt = match visit_type {
        Some(v) => store::visit_types::find_visit_type(c, clinic, v).await?,
        None => None,
    };
    let (what, price) = match vt {
        Some(v) if v.price_minor > 0 => (v.name, v.price_minor),
        Some(v) => (v.name, d.fee_minor),
        None => ("Consultation".to_owned(), d.fee_minor),
    };
    Ok(consultation_line(
        format!("{what} with {}", d.name),
        price,
        s,
    ))
}

/// One unit of `description` at `price`, at the clinic's consultation tax rate: a visit's
/// line, and the charges it brings (deposit, fees).
pub(super) fn consultation_line(description: String, price: i64, s: &BillingSettings) -> LineInput {
    LineInput {
        description: description.chars().take(200).collect(),
        quantity: 1,
        unit_price_minor: price,
        tax_rate: s
            .consultation_tax_rate
            .to_string()
            .trim_end_matches('%')
            .into(),
        ..LineInput::default()
    }
}

/// Takes the appointment's booking deposit (its live deposit bill) off the visit's proposed
/// line: the visit bill asks only for the rest, and names the deposit's bill.
pub(super) async fn less_deposit<C: Conn>(
    c: &C,
    caller: &Caller,
    appointment: domain::AppointmentId,
    line: &mut LineInput,
) -> AppResult<()> {
    let clinic = caller.clinic_id();
    let Some(id) = store::bills::of_appointment(c, clinic, appointment, BillKind::Deposit).await?
    else {
        return Ok(());
    };
    let Some(deposit) = store::bills::find(c, clinic, id).await? else {
        return Ok(());
    };
    line.unit_price_minor = (line.unit_price_minor - deposit.content.total).max(0);
    line.description = format!(
        "{}, less deposit {}",
        line.description,
        deposit.number.as_deref().unwrap_or("")
    )
    .chars()
    .take(200)
    .collect();
    Ok(())
}
