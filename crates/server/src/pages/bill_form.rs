//! The bill form as the desk types it: rows of lines in the clinic's money (`500`,
//! `33.50`), discounts as an amount or a percentage (`50` or `10%`), and how it becomes the
//! use case's input. Blank rows are dropped.

use crate::{
    app::bills::{BillInput, LineInput},
    error::AppError,
};
use domain::{Currency, Money, billing::MAX_LINES};
use std::collections::HashMap;
use store::bills::BillLine;

/// One line as typed.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub description: String,
    pub code: String,
    pub quantity: String,
    pub price: String,
    /// A rate as the select sends it: `18`, `12.5`.
    pub tax: String,
    /// `50` or `10%`.
    pub discount: String,
}

impl Row {
    fn is_blank(&self) -> bool {
        self.description.trim().is_empty()
            && self.price.trim().is_empty()
            && self.code.trim().is_empty()
            && self.discount.trim().is_empty()
    }

    /// A stored line as the form shows it.
    pub fn of(l: &BillLine, currency: &Currency) -> Self {
        Row {
            description: l.description.clone(),
            code: l.code.clone(),
            quantity: l.quantity.to_string(),
            price: Money::new(currency, l.unit_price).major_input(),
            tax: percent_text(l.tax_rate),
            discount: discount_text(l.discount, currency),
        }
    }

    /// An empty row with one unit at `tax`.
    pub fn blank(tax: &str) -> Self {
        Row {
            quantity: "1".into(),
            tax: tax.into(),
            ..Row::default()
        }
    }
}

/// `18`, `12.5`: a rate as typed and as the select's values.
pub fn percent_text(p: domain::billing::Percent) -> String {
    p.to_string().trim_end_matches('%').to_owned()
}

/// A discount as the form shows it: empty, `50` or `10%`.
pub fn discount_text(d: domain::billing::Discount, currency: &Currency) -> String {
    use domain::billing::Discount;
    match d {
        Discount::None => String::new(),
        Discount::Amount(a) => Money::new(currency, a).major_input(),
        Discount::Percent(p) => p.to_string(),
    }
}

/// The whole form as typed.
#[derive(Debug, Clone, Default)]
pub struct BillForm {
    pub rows: Vec<Row>,
    pub discount: String,
    pub discount_reason: String,
    pub notes: String,
    pub version: Option<i32>,
    /// `save`, `add_line` or `issue`.
    pub action: String,
    /// What a new bill is for.
    pub appointment: String,
    pub patient: String,
}

/// Reads the posted pairs (bounded: the first 2,000 fields, at most [`MAX_LINES`] rows).
pub fn read(pairs: Vec<(String, String)>) -> BillForm {
    let mut by: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs.into_iter().take(2000) {
        by.entry(k).or_insert(v);
    }
    let mut rows = Vec::new();
    for i in 0..MAX_LINES {
        // Rows keep their places (a blank one included), so errors name the row shown.
        if !by.contains_key(&format!("description_{i}")) {
            continue;
        }
        let mut take = |k: &str| by.remove(&format!("{k}_{i}")).unwrap_or_default();
        rows.push(Row {
            description: take("description"),
            code: take("code"),
            quantity: take("quantity"),
            price: take("price"),
            tax: take("tax"),
            discount: take("discount"),
        });
    }
    let mut take = |k: &str| by.remove(k).unwrap_or_default();
    BillForm {
        rows,
        discount: take("discount"),
        discount_reason: take("discount_reason"),
        notes: take("notes"),
        version: take("version").trim().parse().ok(),
        action: take("action"),
        appointment: take("appointment"),
        patient: take("patient"),
    }
}

/// `(minor, percent)` of a discount typed as `50` or `10%`.
fn discount_of(currency: &Currency, raw: &str, field: &str) -> Result<(i64, String), AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok((0, String::new()));
    }
    if let Some(p) = s.strip_suffix('%') {
        return Ok((0, p.trim().to_owned()));
    }
    Money::parse(currency, s)
        .map(|m| (m.minor(), String::new()))
        .map_err(|e| AppError::field(field, format!("Discount: {}", e.message)))
}

impl BillForm {
    /// The use case's input: blank rows dropped, amounts read as the clinic's money. A row
    /// that does not read is refused by its number.
    pub fn input(&self, currency: &Currency) -> Result<BillInput, AppError> {
        let mut items = Vec::new();
        for (i, r) in self.rows.iter().enumerate().filter(|(_, r)| !r.is_blank()) {
            let n = i + 1;
            let price = match r.price.trim() {
                "" => 0,
                p => Money::parse(currency, p)
                    .map_err(|e| {
                        AppError::field("items", format!("Line {n}: price: {}", e.message))
                    })?
                    .minor(),
            };
            let quantity = match r.quantity.trim() {
                "" => 1,
                q => q.parse().map_err(|_| {
                    AppError::field(
                        "items",
                        format!("Line {n}: the quantity is a whole number."),
                    )
                })?,
            };
            let (discount_minor, discount_percent) = discount_of(currency, &r.discount, "items")?;
            items.push(LineInput {
                description: r.description.clone(),
                code: r.code.clone(),
                quantity,
                unit_price_minor: price,
                tax_rate: r.tax.clone(),
                discount_minor,
                discount_percent,
            });
        }
        if items.is_empty() {
            return Err(AppError::field("items", "Add at least one line."));
        }
        let (discount_minor, discount_percent) = discount_of(currency, &self.discount, "discount")?;
        Ok(BillInput {
            items,
            discount_minor,
            discount_percent,
            discount_reason: self.discount_reason.clone(),
            notes: self.notes.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_rows_become_lines_and_blank_ones_are_dropped() {
        let inr = Currency::parse("INR").unwrap();
        let pairs = [
            ("description_0", "Consultation"),
            ("quantity_0", "1"),
            ("price_0", "500"),
            ("tax_0", "0"),
            ("description_1", ""),
            ("quantity_1", ""),
            ("price_1", ""),
            ("description_2", "Dressing"),
            ("quantity_2", "2"),
            ("price_2", "1,250.50"),
            ("tax_2", "18"),
            ("discount_2", "10%"),
            ("discount", "50"),
            ("discount_reason", "Regular"),
            ("version", "3"),
            ("action", "issue"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec();
        let f = read(pairs);
        assert_eq!((f.version, f.action.as_str()), (Some(3), "issue"));
        let input = f.input(&inr).unwrap();
        assert_eq!(input.items.len(), 2);
        assert_eq!(input.items[1].unit_price_minor, 125_050);
        assert_eq!(input.items[1].discount_percent, "10");
        assert_eq!(
            (input.discount_minor, input.discount_percent.as_str()),
            (5_000, "")
        );
        let mut bad = f.clone();
        bad.rows[2].price = "12.345".into();
        let err = bad.input(&inr).unwrap_err();
        assert!(
            err.fields()[0].message.starts_with("Line 3: price"),
            "{err:?}"
        );
        assert!(BillForm::default().input(&inr).is_err(), "no line");
    }
}
