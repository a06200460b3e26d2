//! Validated values: each has a private field and a fallible `parse`.

use crate::DomainError;
use serde::Serialize;

/// A lower-cased, syntactically plausible e-mail address (max 254 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and checks the shape `local@domain.tld`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_lowercase();
        let bad = || DomainError::field("email", "is not a valid e-mail address");
        if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || s.contains(['<', '>', '"', ',', ';', '\\'])
        {
            return Err(bad());
        }
        Ok(Self(s))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trims `raw` and checks it is at most `max` characters, without control characters, and
/// present when `required`.
pub fn bounded_text(
    field: &'static str,
    raw: &str,
    max: usize,
    required: bool,
) -> Result<String, DomainError> {
    let s = raw.trim();
    if required && s.is_empty() {
        return Err(DomainError::field(field, "is required"));
    }
    if s.chars().count() > max {
        return Err(DomainError::field(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(DomainError::field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

/// A person's display name (1–100 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    /// Trims and bounds the name.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        bounded_text("name", raw, 100, true).map(Self)
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A clinic's name (1–120 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ClinicName(String);

impl ClinicName {
    /// Trims and bounds the name.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        bounded_text("name", raw, 120, true).map(Self)
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A clinic's URL slug: 3–40 of `a-z`, `0-9` and inner `-`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ClinicSlug(String);

impl ClinicSlug {
    /// Checks the slug's alphabet and length.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_lowercase();
        let ok = (3..=40).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s))
        } else {
            Err(DomainError::field(
                "slug",
                "must be 3–40 characters of a–z, 0–9 and inner hyphens",
            ))
        }
    }
    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time-zone name known to this build, such as `Asia/Kolkata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Accepts only zones the bundled tz database knows.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.len() > 64 || jiff::tz::TimeZone::get(s).is_err() {
            return Err(DomainError::field(
                "time_zone",
                "is not a known IANA time zone",
            ));
        }
        Ok(Self(s.to_owned()))
    }
    /// The zone name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 4217 currency code (three upper-case letters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// Upper-cases and checks the three-letter shape.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_uppercase();
        if s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Self(s))
        } else {
            Err(DomainError::field(
                "currency",
                "must be a three-letter ISO 4217 code",
            ))
        }
    }
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number: 7–15 digits, optionally with a leading `+`; spaces, dots, dashes and
/// brackets are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Normalises to `+digits` or `digits`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let (plus, rest) = match s.strip_prefix('+') {
            Some(r) => ("+", r),
            None => ("", s),
        };
        let digits: String = rest
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        if (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(format!("{plus}{digits}")))
        } else {
            Err(DomainError::field(
                "phone",
                "must be 7–15 digits, optionally starting with +",
            ))
        }
    }
    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_bad_ones_refused() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "no-at",
            "a@b",
            "a@.com",
            "a b@c.com",
            "@x.com",
            "a@x..com",
            "<a@x.com>",
        ] {
            assert!(Email::parse(bad).is_err(), "should refuse {bad:?}");
        }
    }

    #[test]
    fn slugs_zones_and_currencies_are_checked() {
        assert!(ClinicSlug::parse("sunrise-clinic").is_ok());
        assert!(ClinicSlug::parse("-bad").is_err());
        assert!(ClinicSlug::parse("ab").is_err());
        assert!(TimeZoneName::parse("Asia/Kolkata").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert_eq!(Currency::parse("inr").unwrap().as_str(), "INR");
        assert!(Currency::parse("RUPEE").is_err());
    }

    #[test]
    fn phones_are_normalised() {
        assert_eq!(
            Phone::parse("+91 98450-12345").unwrap().as_str(),
            "+919845012345"
        );
        assert_eq!(
            Phone::parse("(020) 7946 0958").unwrap().as_str(),
            "02079460958"
        );
        for bad in ["", "12345", "+91 98x5012345", "1234567890123456"] {
            assert!(Phone::parse(bad).is_err(), "should refuse {bad:?}");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"x".repeat(101)).is_err());
        assert_eq!(PersonName::parse(" Dr. Rao ").unwrap().as_str(), "Dr. Rao");
    }
}
