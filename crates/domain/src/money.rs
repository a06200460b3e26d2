//! Money: integer minor units in a currency with its ISO 4217 minor-unit exponent. One
//! parser for what a person types, one formatter for what a person reads; no floats.

use crate::{Currency, DomainError};
use std::fmt;

/// The largest amount a person may type or an API body may give, in major units (rupees,
/// yen, dinars), for every currency. Reckoned in major units rather than minor ones so that
/// currencies with a small unit (VND, IDR, UGX) can price a visit at all; at exponent 4
/// it is 10¹² minor units, far inside `i64`, so sums of many such amounts cannot overflow.
pub const MAX_MAJOR: i64 = 100_000_000;

/// `MAX_MAJOR` as people write it, for messages.
const MAX_MAJOR_TEXT: &str = "100,000,000";

/// Currencies whose minor unit is not two decimals, with their exponent.
///
/// Source: ISO 4217 "List one: current currency & funds code list", maintained for ISO by
/// SIX Financial Information (the "Minor unit" column). Every code not listed here,
/// including codes that are not ISO 4217 codes at all and those whose minor unit is "N.A."
/// (XAU, XDR, XXX, …), reads as two decimals.
const EXPONENTS: &[(&str, u32)] = &[
    // No minor unit in use.
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    // Thousandths.
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    // Ten-thousandths (units of account).
    ("CLF", 4),
    ("UYW", 4),
];

impl Currency {
    /// How many decimals the currency's minor unit has (ISO 4217): 2 for INR, 0 for JPY,
    /// 3 for KWD.
    pub fn minor_exponent(&self) -> u32 {
        EXPONENTS
            .iter()
            .find(|(code, _)| *code == self.as_str())
            .map_or(2, |(_, e)| *e)
    }

    /// Minor units per major unit: 100 for INR, 1 for JPY, 1000 for KWD.
    fn unit(&self) -> i64 {
        10_i64.pow(self.minor_exponent())
    }
}

/// An amount of money: a whole number of the currency's minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// Any amount, e.g. one read back from the database or a computed total.
    pub fn new(currency: &Currency, minor: i64) -> Self {
        Money {
            minor,
            currency: currency.clone(),
        }
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: &Currency) -> Self {
        Self::new(currency, 0)
    }

    /// An amount given in minor units by a caller (an API body), held to the same range as
    /// [`Money::parse`]: 0 to [`MAX_MAJOR`] major units.
    pub fn checked(currency: &Currency, minor: i64) -> Result<Self, DomainError> {
        let max = MAX_MAJOR * currency.unit();
        if (0..=max).contains(&minor) {
            Ok(Self::new(currency, minor))
        } else {
            Err(out_of_range())
        }
    }

    /// Reads an amount as a person types it, in major units: `499.50`, ` 1,500 `, `0.5`.
    ///
    /// Commas may group thousands (`1,500,000`, not `15,00`). Refused: more decimals than
    /// the currency has, signs, exponents, anything but digits, and amounts above
    /// [`MAX_MAJOR`]. The error's field is `amount`; callers put it on their own field.
    pub fn parse(currency: &Currency, raw: &str) -> Result<Self, DomainError> {
        let exp = currency.minor_exponent();
        let s = raw.trim();
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (s, None),
        };
        let whole = ungrouped(whole).ok_or_else(|| unreadable(exp))?;
        let frac = match frac {
            None => "",
            Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => f,
            Some(_) => return Err(unreadable(exp)),
        };
        if frac.len() > exp as usize {
            return Err(too_many_decimals(currency));
        }
        let significant = whole.trim_start_matches('0');
        // Far above the bound, and short enough that `whole * unit` cannot overflow.
        if significant.len() > 12 {
            return Err(out_of_range());
        }
        let whole: i64 = match significant {
            "" => 0,
            digits => digits.parse().map_err(|_| unreadable(exp))?,
        };
        let frac_minor: i64 = if frac.is_empty() {
            0
        } else {
            let f: i64 = frac.parse().map_err(|_| unreadable(exp))?;
            f * 10_i64.pow(exp - frac.len() as u32)
        };
        Self::checked(currency, whole * currency.unit() + frac_minor)
    }

    /// The amount in minor units (paise, yen, fils).
    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// The amount as a form field shows it, which [`Money::parse`] reads back: `499.50`,
    /// `500` (whole amounts without decimals), `1.250`.
    pub fn major_input(&self) -> String {
        let (sign, whole, frac) = self.parts();
        if frac == 0 {
            format!("{sign}{whole}")
        } else {
            self.decimal(sign, whole, frac)
        }
    }

    /// The sum, or `None` when the currencies differ or it would overflow.
    pub fn checked_add(&self, other: &Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Self::new(
            &self.currency,
            self.minor.checked_add(other.minor)?,
        ))
    }

    /// What a money field accepts, for its hint: `for example 500 or 450.50`, or
    /// `whole amounts, for example 500` where the currency has no decimals.
    pub fn input_hint(currency: &Currency) -> String {
        match currency.minor_exponent() {
            0 => "whole amounts, for example 500".to_owned(),
            exp => format!("for example 500 or {}", fractional_example(exp)),
        }
    }

    fn parts(&self) -> (&'static str, u64, u64) {
        let unit = self.currency.unit().unsigned_abs();
        let abs = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        (sign, abs / unit, abs % unit)
    }

    fn decimal(&self, sign: &str, whole: u64, frac: u64) -> String {
        match self.currency.minor_exponent() as usize {
            0 => format!("{sign}{whole}"),
            width => format!("{sign}{whole}.{frac:0width$}"),
        }
    }
}

/// `INR 499.50`, `JPY 500`, `KWD 1.250`: the code, then every decimal the currency has.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, whole, frac) = self.parts();
        write!(
            f,
            "{} {}",
            self.currency.as_str(),
            self.decimal(sign, whole, frac)
        )
    }
}

/// The digits of a whole part, written plain (`1500`) or in groups of three (`1,500`).
fn ungrouped(whole: &str) -> Option<String> {
    let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    if first.is_empty() || !digits(first) {
        return None;
    }
    let mut out = first.to_owned();
    if whole.contains(',') {
        if first.len() > 3 {
            return None;
        }
        for g in groups {
            if g.len() != 3 || !digits(g) {
                return None;
            }
            out.push_str(g);
        }
    }
    Some(out)
}

/// `450.50`, `450.500`: an amount with every decimal of a currency with `exp` decimals.
fn fractional_example(exp: u32) -> String {
    format!("450.5{}", "0".repeat(exp as usize - 1))
}

fn unreadable(exp: u32) -> DomainError {
    let message = match exp {
        0 => "Enter a whole amount like 500.".to_owned(),
        _ => format!("Enter an amount like 500 or {}.", fractional_example(exp)),
    };
    DomainError::field("amount", message)
}

fn too_many_decimals(currency: &Currency) -> DomainError {
    let code = currency.as_str();
    let message = match currency.minor_exponent() {
        0 => format!("{code} amounts have no decimals. Enter a whole amount like 500."),
        exp => format!(
            "{code} amounts have at most {exp} decimals. Enter an amount like 500 or {}.",
            fractional_example(exp)
        ),
    };
    DomainError::field("amount", message)
}

fn out_of_range() -> DomainError {
    DomainError::field("amount", format!("must be between 0 and {MAX_MAJOR_TEXT}"))
}
