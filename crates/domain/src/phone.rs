//! Mobile numbers, as patients type them and as SMS providers need them: parsed with
//! libphonenumber's rules (the `phonenumber` crate), a number without a `+` read in a
//! default region (the clinic's country, else the install's), and kept in E.164
//! (`+919812345678`). Only numbers that can take an SMS pass: mobile, or those a region
//! cannot tell from fixed lines (the USA's).

use crate::DomainError;
use phonenumber::{Mode, Type, country::Id, metadata::DATABASE};
use serde::Serialize;

/// A region as ISO 3166 letters (`IN`), checked against libphonenumber's regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(Id);

impl Region {
    /// `IN`, `GB`, …; any case.
    pub fn parse(raw: &str) -> Result<Region, DomainError> {
        raw.trim()
            .to_uppercase()
            .parse::<Id>()
            .map(Region)
            .map_err(|_| DomainError::field("country", "Use a two-letter country code like IN."))
    }

    /// The two letters.
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }
}

/// A mobile number in E.164.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Reads what a person typed (spaces, dashes and brackets allowed), in `region` unless
    /// it starts with `+`. Refused with a field error `phone`: anything that is not a
    /// valid number, and numbers that cannot take an SMS.
    pub fn parse(raw: &str, region: Region) -> Result<MobileNumber, DomainError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 32 {
            return Err(unreadable());
        }
        let number = phonenumber::parse(Some(region.0), raw).map_err(|_| unreadable())?;
        if !number.is_valid() {
            return Err(unreadable());
        }
        match number.number_type(&DATABASE) {
            Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber => {
                Ok(MobileNumber(number.format().mode(Mode::E164).to_string()))
            }
            _ => Err(DomainError::field(
                "phone",
                "This looks like a landline; enter a mobile number for text messages.",
            )),
        }
    }

    /// `+919812345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A number stored earlier (already E.164); `None` if it is not.
    pub fn from_stored(raw: &str) -> Option<MobileNumber> {
        (raw.starts_with('+') && raw.len() <= 16 && raw[1..].bytes().all(|b| b.is_ascii_digit()))
            .then(|| MobileNumber(raw.to_owned()))
    }
}

fn unreadable() -> DomainError {
    DomainError::field(
        "phone",
        "Enter a mobile number, like 98123 45678 or +91 98123 45678.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn india() -> Region {
        Region::parse("in").unwrap()
    }

    #[test]
    fn numbers_are_read_in_the_region_unless_international() {
        for typed in [
            "98123 45678",
            "098123-45678",
            "+91 98123 45678",
            "(+91) 9812345678",
        ] {
            assert_eq!(
                MobileNumber::parse(typed, india()).unwrap().as_str(),
                "+919812345678",
                "{typed}"
            );
        }
        assert_eq!(
            MobileNumber::parse("+44 7911 123456", india())
                .unwrap()
                .as_str(),
            "+447911123456"
        );
        let us = Region::parse("US").unwrap();
        assert_eq!(
            MobileNumber::parse("(201) 555-0123", us).unwrap().as_str(),
            "+12015550123"
        );
    }

    #[test]
    fn what_cannot_take_a_text_is_refused_by_field() {
        for bad in ["", "12345", "not a number", "+91 12345", &"9".repeat(40)] {
            assert_eq!(
                MobileNumber::parse(bad, india()).unwrap_err().field,
                "phone",
                "{bad:?}"
            );
        }
        // A Bengaluru landline.
        let e = MobileNumber::parse("080 2345 6789", india()).unwrap_err();
        assert!(e.message.contains("landline"), "{}", e.message);
        assert!(Region::parse("XX").is_err());
        assert!(Region::parse("India").is_err());
    }

    #[test]
    fn stored_numbers_read_back() {
        assert_eq!(
            MobileNumber::from_stored("+919812345678").unwrap().as_str(),
            "+919812345678"
        );
        assert!(MobileNumber::from_stored("98123").is_none());
    }
}
