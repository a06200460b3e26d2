//! Invoice numbers: sequential per clinic and financial year, with the clinic's prefix.

use crate::DomainError;
use jiff::civil::Date;

/// A clinic's financial year, from the first day of the month it starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinancialYear {
    start: Date,
}

impl FinancialYear {
    /// The financial year that `date` falls in, for years starting in `start_month` (1 =
    /// January, 4 = April as in India).
    pub fn containing(date: Date, start_month: i8) -> Result<Self, DomainError> {
        if !(1..=12).contains(&start_month) {
            return Err(DomainError::field(
                "year_start_month",
                "Choose a month from 1 (January) to 12 (December).",
            ));
        }
        let year = if date.month() >= start_month {
            date.year()
        } else {
            date.year() - 1
        };
        let start = Date::new(year, start_month, 1)
            .map_err(|_| DomainError::field("date", "is outside the calendar"))?;
        Ok(FinancialYear { start })
    }

    /// Its first day.
    pub fn start(&self) -> Date {
        self.start
    }

    /// `2026` for a calendar year; `26-27` for one that starts in April 2026.
    pub fn label(&self) -> String {
        let y = self.start.year();
        if self.start.month() == 1 {
            y.to_string()
        } else {
            format!("{:02}-{:02}", y.rem_euclid(100), (y + 1).rem_euclid(100))
        }
    }
}

/// The longest invoice number (India's GST rule 46: at most 16 characters).
pub const MAX_INVOICE_NUMBER: usize = 16;

/// A clinic's invoice prefix: 1 to 6 capital letters or digits.
pub fn parse_invoice_prefix(raw: &str) -> Result<String, DomainError> {
    let p = raw.trim().to_uppercase();
    if (1..=6).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(p)
    } else {
        Err(DomainError::field(
            "invoice_prefix",
            "Use 1 to 6 letters or digits, like INV.",
        ))
    }
}

/// The `seq`-th invoice number of `year` (from 1): `INV/26-27/0042`. Refused once it
/// would pass [`MAX_INVOICE_NUMBER`] characters.
pub fn invoice_number(prefix: &str, year: &FinancialYear, seq: u32) -> Result<String, DomainError> {
    let n = format!("{prefix}/{}/{seq:04}", year.label());
    if seq == 0 || n.len() > MAX_INVOICE_NUMBER {
        return Err(DomainError::field(
            "invoice_number",
            "This financial year's invoice numbers are used up; shorten the prefix.",
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financial_years_and_invoice_numbers() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let fy = FinancialYear::containing(d("2027-03-31"), 4).unwrap();
        assert_eq!(fy.start(), d("2026-04-01"));
        assert_eq!(fy.label(), "26-27");
        let next = FinancialYear::containing(d("2027-04-01"), 4).unwrap();
        assert_eq!(next.label(), "27-28");
        assert_eq!(
            FinancialYear::containing(d("2026-12-06"), 1)
                .unwrap()
                .label(),
            "2026"
        );
        assert!(FinancialYear::containing(d("2026-12-06"), 13).is_err());
        assert_eq!(invoice_number("INV", &fy, 42).unwrap(), "INV/26-27/0042");
        assert_eq!(
            invoice_number("INV", &fy, 123_456).unwrap(),
            "INV/26-27/123456"
        );
        assert!(
            invoice_number("CLINIC", &fy, 1_000_000).is_err(),
            "over 16 characters"
        );
        assert!(invoice_number("INV", &fy, 0).is_err());
        assert_eq!(parse_invoice_prefix(" inv ").unwrap(), "INV");
        assert!(parse_invoice_prefix("INV/").is_err());
    }
}
