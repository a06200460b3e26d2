//! A clinic's billing settings: its tax id and rates, invoice numbering, rounding, how much
//! the desk may discount, and the UPI id its patients pay to.

use super::{Discount, FeePolicy, Percent, Rounding};
use crate::DomainError;

/// Most tax rates a clinic offers.
pub const MAX_TAX_RATES: usize = 8;

/// What a clinic bills with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingSettings {
    /// Printed on every bill (a GSTIN in India); empty when the clinic has none.
    pub tax_id: String,
    pub invoice_prefix: String,
    /// The month its financial year starts (4: April, as in India).
    pub year_start_month: i8,
    pub rounding: Rounding,
    /// The rates a line may carry, lowest first; always includes 0%.
    pub tax_rates: Vec<Percent>,
    /// The rate proposed for consultation lines (exempt, 0%, unless the clinic says so).
    pub consultation_tax_rate: Percent,
    /// The largest discount, as a share of the bill, the desk may give without an admin.
    pub desk_discount_limit: Percent,
    /// The UPI id (VPA) patients pay to; empty: no UPI QR code.
    pub upi_vpa: String,
    pub upi_payee: String,
    /// Late-cancellation and no-show fees.
    pub fees: FeePolicy,
}

impl BillingSettings {
    /// What a new clinic bills with: India's GST rates and an April year for rupees; one
    /// rate of 0% and a calendar year otherwise.
    pub fn default_for(currency: &str) -> Self {
        let h = |h| Percent::from_hundredths(h).unwrap_or(Percent::ZERO);
        let (rates, start) = if currency == "INR" {
            (vec![h(0), h(500), h(1200), h(1800)], 4)
        } else {
            (vec![Percent::ZERO], 1)
        };
        BillingSettings {
            tax_id: String::new(),
            invoice_prefix: "INV".into(),
            year_start_month: start,
            rounding: Rounding::PerLine,
            tax_rates: rates,
            consultation_tax_rate: Percent::ZERO,
            desk_discount_limit: h(1000),
            upi_vpa: String::new(),
            upi_payee: String::new(),
            fees: FeePolicy::NONE,
        }
    }

    /// Whether `rate` is one the clinic offers.
    pub fn offers(&self, rate: Percent) -> bool {
        self.tax_rates.contains(&rate)
    }
}

/// A tax id: up to 20 capital letters and digits (India's GSTIN is 15).
pub fn parse_tax_id(raw: &str) -> Result<String, DomainError> {
    let t = raw.trim().to_uppercase();
    if t.len() <= 20 && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(t)
    } else {
        Err(DomainError::field(
            "tax_id",
            "Use up to 20 letters and digits, like 29ABCDE1234F1Z5.",
        ))
    }
}

/// Tax rates as typed, separated by commas (`0, 5, 12, 18`): 0% is always added; at most
/// [`MAX_TAX_RATES`].
pub fn parse_tax_rates(raw: &str) -> Result<Vec<Percent>, DomainError> {
    let mut rates = vec![Percent::ZERO];
    for part in raw.split(',').filter(|p| !p.trim().is_empty()) {
        let p = Percent::parse(part).map_err(|_| {
            DomainError::field(
                "tax_rates",
                format!(
                    "{:?} is not a percentage; list rates like 0, 5, 12, 18.",
                    part.trim()
                ),
            )
        })?;
        rates.push(p);
    }
    rates.sort_unstable();
    rates.dedup();
    if rates.len() > MAX_TAX_RATES {
        return Err(DomainError::field(
            "tax_rates",
            format!("A clinic offers at most {MAX_TAX_RATES} tax rates."),
        ));
    }
    Ok(rates)
}

/// Tax rates as stored and shown: `0,5,12.5,18`.
pub fn format_tax_rates(rates: &[Percent]) -> String {
    rates
        .iter()
        .map(|r| r.to_string().trim_end_matches('%').to_owned())
        .collect::<Vec<_>>()
        .join(",")
}

/// A UPI id (VPA) such as `clinic@okbank`: a handle and a provider, at most 100 characters;
/// empty means none.
pub fn parse_upi_vpa(raw: &str) -> Result<String, DomainError> {
    let v = raw.trim().to_lowercase();
    if v.is_empty() {
        return Ok(v);
    }
    let ok_part = |p: &str, extra: &[u8]| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    };
    match v.split_once('@') {
        Some((handle, bank)) if v.len() <= 100 && ok_part(handle, b".-_") && ok_part(bank, b"") => {
            Ok(v)
        }
        _ => Err(DomainError::field(
            "upi_vpa",
            "Enter a UPI id like clinic@okbank.",
        )),
    }
}

/// The `upi://pay` link a UPI app opens (NPCI's deep-link scheme): pay `amount` (in rupees
/// with paise, `750.00`) to `vpa`, with the bill's number as the note and reference.
pub fn upi_link(vpa: &str, payee: &str, amount: &str, bill_number: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "upi://pay?pa={}&pn={}&am={}&cu=INR&tn={}&tr={}",
        enc(vpa),
        enc(payee),
        enc(amount),
        enc(&format!("Bill {bill_number}")),
        enc(bill_number),
    )
}

impl Rounding {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::PerLine => "line",
            Rounding::PerBill => "bill",
        }
    }

    /// From the stored word.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "line" => Ok(Rounding::PerLine),
            "bill" => Ok(Rounding::PerBill),
            _ => Err(DomainError::field(
                "rounding",
                "Choose per line or per bill.",
            )),
        }
    }
}

impl Discount {
    /// As stored: its kind (`none`, `amount`, `percent`) and value (minor units or
    /// hundredths of a percent).
    pub fn parts(self) -> (&'static str, i64) {
        match self {
            Discount::None => ("none", 0),
            Discount::Amount(a) => ("amount", a),
            Discount::Percent(p) => ("percent", i64::from(p.hundredths())),
        }
    }

    /// From its stored parts.
    pub fn from_parts(kind: &str, value: i64) -> Result<Self, DomainError> {
        let bad = || DomainError::field("discount", "is not a discount");
        match kind {
            "none" => Ok(Discount::None),
            "amount" if value >= 0 => Ok(Discount::Amount(value)),
            "percent" => u16::try_from(value)
                .map_err(|_| bad())
                .and_then(Percent::from_hundredths)
                .map(Discount::Percent),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_ids_and_upi_links_read_as_typed() {
        let rates = parse_tax_rates("18, 5,12 ,5").unwrap();
        assert_eq!(format_tax_rates(&rates), "0,5,12,18");
        assert!(parse_tax_rates("5, x").is_err());
        assert!(parse_tax_rates("1,2,3,4,5,6,7,8").is_err(), "nine with 0%");
        assert_eq!(
            parse_tax_id(" 29abcde1234f1z5 ").unwrap(),
            "29ABCDE1234F1Z5"
        );
        assert!(parse_tax_id("29-ABC").is_err());
        assert_eq!(
            parse_upi_vpa(" Clinic.Desk@OKBank ").unwrap(),
            "clinic.desk@okbank"
        );
        for bad in ["clinic", "@bank", "a@b@c", "a b@bank"] {
            assert!(parse_upi_vpa(bad).is_err(), "{bad}");
        }
        assert_eq!(
            upi_link("clinic@okbank", "Asha Clinic", "750.00", "INV/26-27/0042"),
            "upi://pay?pa=clinic@okbank&pn=Asha%20Clinic&am=750.00&cu=INR\
             &tn=Bill%20INV%2F26-27%2F0042&tr=INV%2F26-27%2F0042"
        );
        let d = BillingSettings::default_for("INR");
        assert_eq!((d.year_start_month, d.tax_rates.len()), (4, 4));
        assert_eq!(BillingSettings::default_for("USD").year_start_month, 1);
        for disc in [
            Discount::None,
            Discount::Amount(500),
            Discount::Percent(Percent::from_hundredths(1250).unwrap()),
        ] {
            let (k, v) = disc.parts();
            assert_eq!(Discount::from_parts(k, v).unwrap(), disc);
        }
        assert!(Discount::from_parts("percent", 10_001).is_err());
    }
}
