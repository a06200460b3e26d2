//! What a doctor records in a consultation: vital signs, ICD-10 diagnosis codes and
//! prescription items.

mod rx;
mod vitals;

pub use rx::*;
pub use vitals::*;

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// An ICD-10 diagnosis code such as `J06.9`, `E11` or `S52.521A`, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Icd10(String);

impl Icd10 {
    /// Trims, upper-cases and checks the shape: a letter, a digit, a letter or digit, then
    /// optionally a dot and one to four letters or digits. A code typed without its dot
    /// (`J069`) gets the dot after the third character.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_ascii_uppercase();
        let alnum = |p: &str| p.bytes().all(|b| b.is_ascii_alphanumeric());
        let (category, sub) = match s.split_once('.') {
            Some((c, sub)) => (c, Some(sub)),
            None if s.len() > 3 && s.is_char_boundary(3) => (&s[..3], Some(&s[3..])),
            None => (s.as_str(), None),
        };
        let c = category.as_bytes();
        let ok = c.len() == 3
            && c[0].is_ascii_alphabetic()
            && c[1].is_ascii_digit()
            && c[2].is_ascii_alphanumeric()
            && sub.is_none_or(|sub| (1..=4).contains(&sub.len()) && alnum(sub));
        if !ok {
            return Err(DomainError::field(
                "icd10",
                "ICD-10 codes look like J06.9 (a letter, two characters, then optionally a dot \
                 and up to four more).",
            ));
        }
        Ok(Self(match sub {
            Some(sub) => format!("{category}.{sub}"),
            None => category.to_owned(),
        }))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Icd10 {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Icd10::parse(&s)
    }
}

impl From<Icd10> for String {
    fn from(code: Icd10) -> String {
        code.0
    }
}

impl std::fmt::Display for Icd10 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
