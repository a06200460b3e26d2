//! A bill's arithmetic, in whole minor units of the bill's currency: line amounts,
//! discounts, taxes and totals from one function, [`totals`], and the invoice numbers of a
//! financial year.
//!
//! Rounding rule: every division rounds half up (amounts are never negative), to a whole
//! minor unit. A bill-level discount is shared among the lines in proportion to what is
//! left of each after its own discount, by largest remainder, so the shares add up to the
//! discount exactly. Tax is rounded per line ([`Rounding::PerLine`]) or once per tax rate
//! over the whole bill ([`Rounding::PerBill`], the band's tax then shared among its lines
//! the same way). Either way the lines add up to the bill: nothing drifts.

use crate::DomainError;

mod fees;
mod numbering;
mod settings;
mod status;
pub use fees::{BillKind, FeePolicy, MAX_LATE_CANCEL_HOURS, fee_after_deposit};
pub use numbering::{FinancialYear, MAX_INVOICE_NUMBER, invoice_number, parse_invoice_prefix};
pub use settings::{
    BillingSettings, MAX_TAX_RATES, format_tax_rates, parse_tax_id, parse_tax_rates, parse_upi_vpa,
    upi_link,
};
pub use status::{BillStatus, Payment, PaymentMethod, Settlement, settle};

/// Most lines on one bill.
pub const MAX_LINES: usize = 200;
/// Most units of one item on a line.
pub const MAX_QUANTITY: u32 = 10_000;
/// Largest unit price in minor units (10^12: ten billion rupees in paise).
pub const MAX_UNIT_PRICE: i64 = 1_000_000_000_000;

/// A percentage in hundredths of a percent: `Percent::parse("18")` is 1800, `12.5` is 1250.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u16);

impl Percent {
    /// Nothing.
    pub const ZERO: Percent = Percent(0);

    /// From hundredths of a percent, 0 to 10,000 (100%).
    pub fn from_hundredths(h: u16) -> Result<Self, DomainError> {
        if h <= 10_000 {
            Ok(Percent(h))
        } else {
            Err(DomainError::field("rate", "A percentage is 0 to 100."))
        }
    }

    /// As a person types it: `18`, `12.5`, `0.25`; at most two decimals, 0 to 100.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let bad =
            || DomainError::field("rate", "Give a percentage from 0 to 100, like 18 or 12.5.");
        let s = raw.trim().trim_end_matches('%').trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty()
            || whole.len() > 3
            || frac.len() > 2
            || !whole
                .bytes()
                .chain(frac.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: u16 = whole.parse().map_err(|_| bad())?;
        let frac: u16 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(bad)
            .and_then(|h| Self::from_hundredths(h).map_err(|_| bad()))
    }

    /// Hundredths of a percent.
    pub fn hundredths(self) -> u16 {
        self.0
    }

    /// `amount` × this percentage, rounded half up.
    fn of(self, amount: i64) -> i64 {
        div_half_up(i128::from(amount) * i128::from(self.0), 10_000)
    }
}

impl std::fmt::Display for Percent {
    /// `18%`, `12.5%`, `0.25%`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{whole}%"),
            f10 if f10 % 10 == 0 => write!(f, "{whole}.{}%", f10 / 10),
            _ => write!(f, "{whole}.{frac:02}%"),
        }
    }
}

/// A reduction of a line or of the whole bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Discount {
    #[default]
    None,
    /// So many minor units off.
    Amount(i64),
    /// So much of the amount off.
    Percent(Percent),
}

/// Where tax is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rounding {
    /// Each line's tax is rounded, and the bill's tax is their sum.
    #[default]
    PerLine,
    /// The tax of each rate is rounded once over the bill's lines at that rate.
    PerBill,
}

/// One line as billed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub quantity: u32,
    /// Minor units per unit.
    pub unit_price: i64,
    pub tax_rate: Percent,
    pub discount: Discount,
}

/// One line's amounts, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineTotal {
    /// Quantity × unit price.
    pub gross: i64,
    /// The line's own discount and its share of the bill's.
    pub discount: i64,
    /// What tax is charged on: gross − discount.
    pub taxable: i64,
    pub tax: i64,
    /// Taxable + tax.
    pub total: i64,
}

/// The bill's lines at one tax rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxBand {
    pub rate: Percent,
    pub taxable: i64,
    pub tax: i64,
}

/// A bill's amounts, in minor units; the lines add up to each of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    pub lines: Vec<LineTotal>,
    /// Sum of the lines' gross amounts.
    pub subtotal: i64,
    /// Every discount, the lines' own and the bill's.
    pub discount: i64,
    pub taxable: i64,
    pub tax: i64,
    pub total: i64,
    /// By rate, lowest first; only rates the bill uses.
    pub bands: Vec<TaxBand>,
}

/// `n / d` rounded half up, for `n >= 0` and `d > 0`.
fn div_half_up(n: i128, d: i128) -> i64 {
    i64::try_from((2 * n + d) / (2 * d)).unwrap_or(i64::MAX)
}

/// Shares `amount` among `weights` in proportion, by largest remainder (ties to the
/// earlier one), so the shares add up to `amount` exactly. All zero weights share nothing.
fn share(amount: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<(i64, i128)> = weights
        .iter()
        .map(|w| {
            let n = i128::from(amount) * i128::from(*w);
            (i64::try_from(n / sum).unwrap_or(i64::MAX), n % sum)
        })
        .collect();
    let mut out: Vec<i64> = exact.iter().map(|(q, _)| *q).collect();
    let left = amount - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for i in order.into_iter().take(usize::try_from(left).unwrap_or(0)) {
        out[i] += 1;
    }
    out
}

fn line_error(i: usize, message: &str) -> DomainError {
    DomainError::field("items", format!("Line {}: {message}", i + 1))
}

/// The bill's amounts. Refused: no lines or more than [`MAX_LINES`], a quantity outside
/// 1..=[`MAX_QUANTITY`], a unit price outside 0..=[`MAX_UNIT_PRICE`], and a discount larger
/// than what it reduces (or negative).
pub fn totals(
    lines: &[Line],
    bill_discount: Discount,
    rounding: Rounding,
) -> Result<Totals, DomainError> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(DomainError::field(
            "items",
            format!("A bill has 1 to {MAX_LINES} lines."),
        ));
    }
    let mut net = Vec::with_capacity(lines.len());
    let mut own = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            return Err(line_error(
                i,
                &format!("the quantity is 1 to {MAX_QUANTITY}."),
            ));
        }
        if !(0..=MAX_UNIT_PRICE).contains(&l.unit_price) {
            return Err(line_error(i, "the price is out of range."));
        }
        let gross = i64::from(l.quantity) * l.unit_price;
        let off = match l.discount {
            Discount::None => 0,
            Discount::Amount(a) if (0..=gross).contains(&a) => a,
            Discount::Amount(_) => {
                return Err(line_error(i, "the discount is more than the line."));
            }
            Discount::Percent(p) => p.of(gross),
        };
        own.push((gross, off));
        net.push(gross - off);
    }
    let left: i64 = net.iter().sum();
    let bill_off = match bill_discount {
        Discount::None => 0,
        Discount::Amount(a) if (0..=left).contains(&a) => a,
        Discount::Amount(_) => {
            return Err(DomainError::field(
                "discount",
                "The discount is more than the bill.",
            ));
        }
        Discount::Percent(p) => p.of(left),
    };
    let shares = share(bill_off, &net);
    let mut out: Vec<LineTotal> = own
        .iter()
        .zip(&shares)
        .map(|((gross, off), s)| LineTotal {
            gross: *gross,
            discount: off + s,
            taxable: gross - off - s,
            ..LineTotal::default()
        })
        .collect();
    let mut rates: Vec<Percent> = lines.iter().map(|l| l.tax_rate).collect();
    rates.sort_unstable();
    rates.dedup();
    let mut bands = Vec::with_capacity(rates.len());
    for rate in rates {
        let members: Vec<usize> = (0..lines.len())
            .filter(|i| lines[*i].tax_rate == rate)
            .collect();
        let taxable: i64 = members.iter().map(|i| out[*i].taxable).sum();
        let tax = match rounding {
            Rounding::PerLine => {
                for i in &members {
                    out[*i].tax = rate.of(out[*i].taxable);
                }
                members.iter().map(|i| out[*i].tax).sum()
            }
            Rounding::PerBill => {
                let tax = rate.of(taxable);
                let weights: Vec<i64> = members.iter().map(|i| out[*i].taxable).collect();
                for (i, t) in members.iter().zip(share(tax, &weights)) {
                    out[*i].tax = t;
                }
                tax
            }
        };
        bands.push(TaxBand { rate, taxable, tax });
    }
    for l in &mut out {
        l.total = l.taxable + l.tax;
    }
    let sum = |f: fn(&LineTotal) -> i64| out.iter().map(f).sum::<i64>();
    Ok(Totals {
        subtotal: sum(|l| l.gross),
        discount: sum(|l| l.discount),
        taxable: sum(|l| l.taxable),
        tax: sum(|l| l.tax),
        total: sum(|l| l.total),
        lines: out,
        bands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: u32, unit_price: i64, rate: u16) -> Line {
        Line {
            quantity,
            unit_price,
            tax_rate: Percent::from_hundredths(rate).unwrap(),
            discount: Discount::None,
        }
    }

    #[test]
    fn a_consultation_and_medicines_with_gst_add_up() {
        // INR 500.00 consultation (exempt), 2 × INR 33.33 tablets at 12%, INR 99.99 syrup at 18%.
        let lines = [
            line(1, 50_000, 0),
            line(2, 3_333, 1200),
            line(1, 9_999, 1800),
        ];
        let t = totals(&lines, Discount::None, Rounding::PerLine).unwrap();
        assert_eq!(t.subtotal, 50_000 + 6_666 + 9_999);
        // 6666 × 12% = 799.92 → 800; 9999 × 18% = 1799.82 → 1800.
        assert_eq!(t.tax, 800 + 1800);
        assert_eq!(t.total, t.subtotal + t.tax);
        assert_eq!(t.bands.len(), 3);
        assert_eq!(t.bands[1].rate.to_string(), "12%");
    }

    #[test]
    fn a_bill_discount_is_shared_by_largest_remainder_and_adds_up() {
        let lines = [line(1, 100, 0), line(1, 100, 0), line(1, 100, 0)];
        let t = totals(&lines, Discount::Amount(100), Rounding::PerLine).unwrap();
        let shares: Vec<i64> = t.lines.iter().map(|l| l.discount).collect();
        assert_eq!(shares, [34, 33, 33], "ties go to the earlier line");
        assert_eq!(t.taxable, 200);
        let err = totals(&lines, Discount::Amount(301), Rounding::PerLine).unwrap_err();
        assert_eq!(err.field, "discount");
    }

    #[test]
    fn per_bill_rounding_rounds_once_per_rate() {
        // Three lines of 0.05 at 10%: per line 0.005 → 1 each (half up) = 3; per bill 0.015 → 2.
        let lines = [line(1, 5, 1000), line(1, 5, 1000), line(1, 5, 1000)];
        assert_eq!(
            totals(&lines, Discount::None, Rounding::PerLine)
                .unwrap()
                .tax,
            3
        );
        let t = totals(&lines, Discount::None, Rounding::PerBill).unwrap();
        assert_eq!(t.tax, 2);
        assert_eq!(t.lines.iter().map(|l| l.tax).sum::<i64>(), 2);
    }

    #[test]
    fn bad_lines_are_refused_by_number() {
        let mut l = line(0, 100, 0);
        assert!(
            totals(&[l.clone()], Discount::None, Rounding::PerLine)
                .unwrap_err()
                .message
                .starts_with("Line 1")
        );
        l.quantity = 1;
        l.discount = Discount::Amount(101);
        assert!(
            totals(&[line(1, 1, 0), l], Discount::None, Rounding::PerLine)
                .unwrap_err()
                .message
                .starts_with("Line 2")
        );
        assert!(totals(&[], Discount::None, Rounding::PerLine).is_err());
    }

    #[test]
    fn percentages_read_as_typed() {
        assert_eq!(Percent::parse("18").unwrap().hundredths(), 1800);
        assert_eq!(Percent::parse(" 12.5% ").unwrap().hundredths(), 1250);
        assert_eq!(Percent::parse("0.25").unwrap().to_string(), "0.25%");
        assert_eq!(Percent::parse("12.5").unwrap().to_string(), "12.5%");
        for bad in ["", "-5", "100.01", "1e2", "12.345", "abc", "1000"] {
            assert!(Percent::parse(bad).is_err(), "{bad:?}");
        }
    }
}
