//! A clinic's patient record: sex, birth date (or an age turned into an estimated one),
//! the words a record is found by, and the likely-duplicate rule.

use crate::{DomainError, values::bounded_text, wire::labelled_enum};
use jiff::{Span, civil::Date};
use serde::{Deserialize, Serialize};

mod search;
pub use search::{MAX_NAME_WORDS, SearchTerms, name_words, phone_words, prefix_end};

/// Sex as recorded at registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Another sex or intersex.
    Other,
    /// Not recorded or not disclosed.
    Unknown,
}

impl Sex {
    /// Every value, in the order forms offer them.
    pub const ALL: &'static [Sex] = &[Sex::Female, Sex::Male, Sex::Other, Sex::Unknown];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    /// What forms and records show.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Female => "Female",
            Sex::Male => "Male",
            Sex::Other => "Other",
            Sex::Unknown => "Not stated",
        }
    }
}

impl std::str::FromStr for Sex {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sex::ALL
            .iter()
            .copied()
            .find(|x| x.as_str() == s.trim().to_lowercase())
            .ok_or_else(|| DomainError::field("sex", "Choose female, male, other or unknown."))
    }
}

/// The oldest age a record may give.
pub const MAX_AGE_YEARS: i16 = 130;

/// A birth date, exact or estimated from an age the patient gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthDate {
    /// The date (for an estimate: the same day and month, `age` years before registration).
    pub date: Date,
    /// True when the date was worked out from an age.
    pub estimated: bool,
}

impl BirthDate {
    /// Reads a date of birth (`YYYY-MM-DD`) or, when that is empty, an age: whole years
    /// (`42`) or months for infants (`8m`). One of the two is required.
    pub fn parse(date: &str, age: &str, today: Date) -> Result<Self, DomainError> {
        let (date, age) = (date.trim(), age.trim());
        if !date.is_empty() {
            let d: Date = date.parse().map_err(|_| {
                DomainError::field("birth_date", "Write the date of birth as YYYY-MM-DD.")
            })?;
            if d > today {
                return Err(DomainError::field(
                    "birth_date",
                    "The date of birth is in the future.",
                ));
            }
            if today.year() - d.year() > MAX_AGE_YEARS {
                return Err(DomainError::field(
                    "birth_date",
                    format!("The date of birth is more than {MAX_AGE_YEARS} years ago."),
                ));
            }
            return Ok(Self {
                date: d,
                estimated: false,
            });
        }
        if age.is_empty() {
            return Err(DomainError::field(
                "birth_date",
                "Give a date of birth or an age.",
            ));
        }
        let bad = || {
            DomainError::field(
                "age",
                format!("Write the age in years (0–{MAX_AGE_YEARS}), or months like 8m."),
            )
        };
        let span = match age.strip_suffix(['m', 'M']) {
            Some(months) => {
                let m: i32 = months.trim().parse().map_err(|_| bad())?;
                if !(0..=35).contains(&m) {
                    return Err(bad());
                }
                Span::new().months(m)
            }
            None => {
                let y: i16 = age
                    .trim_end_matches(['y', 'Y'])
                    .trim()
                    .parse()
                    .map_err(|_| bad())?;
                if !(0..=MAX_AGE_YEARS).contains(&y) {
                    return Err(bad());
                }
                Span::new().years(y)
            }
        };
        let date = today.checked_sub(span).map_err(|_| bad())?;
        Ok(Self {
            date,
            estimated: true,
        })
    }

    /// Whole years of age on `today`.
    pub fn age_years(&self, today: Date) -> i16 {
        let mut years = today.year() - self.date.year();
        if (today.month(), today.day()) < (self.date.month(), self.date.day()) {
            years -= 1;
        }
        years.max(0)
    }

    /// "42 y" or, under two years, "8 m", as records show an age.
    pub fn age_text(&self, today: Date) -> String {
        let years = self.age_years(today);
        if years >= 2 {
            return format!("{years} y");
        }
        let months = (today.year() - self.date.year()) as i32 * 12
            + (today.month() - self.date.month()) as i32
            - i32::from(today.day() < self.date.day());
        format!("{} m", months.max(0))
    }
}

/// An optional free-text field of a record: trimmed, bounded, `None` when empty.
pub fn optional_text(
    field: &'static str,
    raw: &str,
    max: usize,
) -> Result<Option<String>, DomainError> {
    let s = bounded_text(field, raw, max, false)?;
    Ok((!s.is_empty()).then_some(s))
}

/// The parts of a record that the duplicate rule compares.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    /// Display name.
    pub name: &'a str,
    /// Normalised phone, if any.
    pub phone: Option<&'a str>,
    /// Normalised e-mail address, if any.
    pub email: Option<&'a str>,
    /// Birth date, if known.
    pub birth_date: Option<Date>,
}

labelled_enum!(
    /// Why a new record looks like an existing one.
    DuplicateReason, field = "reason" {
        /// Same phone and same birth date.
        PhoneAndBirthDate => "phone_and_birth_date", "same phone and date of birth",
        /// Same name and same phone.
        NameAndPhone => "name_and_phone", "same name and phone",
        /// Same name and same e-mail address (a record made by an online booking has no phone).
        NameAndEmail => "name_and_email", "same name and e-mail address",
    }
);

/// Whether two names are the same, ignoring case, spacing and punctuation.
pub fn same_name(a: &str, b: &str) -> bool {
    name_words(a) == name_words(b)
}

/// Whether `new` is likely the same person as `old`: the same phone and birth date, or the
/// same name (ignoring case, spacing and punctuation) and the same phone or e-mail address.
pub fn likely_duplicate(new: Identity<'_>, old: Identity<'_>) -> Option<DuplicateReason> {
    fn same<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
        matches!((a, b), (Some(a), Some(b)) if a == b)
    }
    let same_phone = same(new.phone, old.phone);
    if same_phone && same(new.birth_date, old.birth_date) {
        return Some(DuplicateReason::PhoneAndBirthDate);
    }
    if !same_name(new.name, old.name) {
        return None;
    }
    if same_phone {
        Some(DuplicateReason::NameAndPhone)
    } else if same(new.email, old.email) {
        Some(DuplicateReason::NameAndEmail)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2026, 11, 22);

    #[test]
    fn a_birth_date_or_an_age_is_required_and_checked() {
        let d = BirthDate::parse("1990-04-01", "", TODAY).unwrap();
        assert_eq!((d.date, d.estimated), (date(1990, 4, 1), false));
        assert_eq!(d.age_years(TODAY), 36);
        let a = BirthDate::parse("", "42", TODAY).unwrap();
        assert_eq!((a.date, a.estimated), (date(1984, 11, 22), true));
        assert_eq!(a.age_text(TODAY), "42 y");
        let baby = BirthDate::parse("", "8m", TODAY).unwrap();
        assert_eq!(baby.date, date(2026, 3, 22));
        assert_eq!(baby.age_text(TODAY), "8 m");
        for (d, a, field) in [
            ("", "", "birth_date"),
            ("2027-01-01", "", "birth_date"),
            ("1880-01-01", "", "birth_date"),
            ("01/04/1990", "", "birth_date"),
            ("", "131", "age"),
            ("", "-1", "age"),
            ("", "forty", "age"),
            ("", "40m", "age"),
        ] {
            let e = BirthDate::parse(d, a, TODAY).unwrap_err();
            assert_eq!(e.field, field, "{d:?} {a:?}");
        }
    }

    #[test]
    fn names_and_phones_become_index_words() {
        assert_eq!(name_words("Kavya  Nair-Menon"), ["kavya", "nair", "menon"]);
        assert_eq!(name_words("Ana ana"), ["ana"]);
        assert_eq!(name_words("Ünal Öz"), ["ünal", "öz"]);
        assert_eq!(
            phone_words("+919845012345"),
            ["#919845012345", "#19845012345", "#9845012345", "#845012345"]
        );
        assert_eq!(phone_words("02079460958"), ["#02079460958"]);
    }

    #[test]
    fn queries_become_prefixes() {
        let t = SearchTerms::parse("nai kav").unwrap();
        assert_eq!(t.prefixes, ["nai", "kav"]);
        assert_eq!(SearchTerms::parse("98450").unwrap().prefixes, ["#98450"]);
        assert_eq!(SearchTerms::parse("p000012").unwrap().mrn, "P000012");
        assert!(SearchTerms::parse("k").is_err());
        assert!(SearchTerms::parse(&"k".repeat(101)).is_err());
        assert_eq!(prefix_end("kav"), "kaw");
        assert_eq!(prefix_end("#98"), "#99");
        assert_eq!(prefix_end("a\u{10FFFF}"), "b");
    }

    #[test]
    fn likely_duplicates_need_the_same_phone_or_the_same_name_and_email() {
        let p = |name, phone, birth| Identity {
            name,
            phone,
            email: None,
            birth_date: birth,
        };
        let b = Some(date(1990, 1, 1));
        let ph = Some("+919845012345");
        assert_eq!(
            likely_duplicate(p("Kavya Nair", ph, b), p("K. Nair", ph, b)),
            Some(DuplicateReason::PhoneAndBirthDate)
        );
        assert_eq!(
            likely_duplicate(p("kavya  nair", ph, None), p("Kavya Nair", ph, b)),
            Some(DuplicateReason::NameAndPhone)
        );
        assert_eq!(
            likely_duplicate(p("Arjun Nair", ph, None), p("Kavya Nair", ph, b)),
            None
        );
        assert_eq!(
            likely_duplicate(p("Kavya Nair", None, b), p("Kavya Nair", None, b)),
            None
        );
        let e = |name, email| Identity {
            email,
            ..p(name, None, None)
        };
        let mail = Some("kavya@example.com");
        assert_eq!(
            likely_duplicate(e("Kavya Nair", mail), e("kavya nair", mail)),
            Some(DuplicateReason::NameAndEmail)
        );
        assert_eq!(
            likely_duplicate(e("Arjun Nair", mail), e("Kavya Nair", mail)),
            None,
            "a family shares an address"
        );
        assert_eq!(
            likely_duplicate(e("Kavya Nair", None), e("Kavya Nair", None)),
            None
        );
    }
}
