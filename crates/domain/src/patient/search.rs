//! The words a patient record is found by, and what a search box asks for.

use crate::DomainError;

/// The most words of a name that are indexed.
pub const MAX_NAME_WORDS: usize = 8;

/// The lower-cased words of a name, as the search index keeps them: split at spaces and
/// punctuation, each at most 40 characters, without repeats, at most [`MAX_NAME_WORDS`].
pub fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let w: String = w.to_lowercase().chars().take(40).collect();
        if !words.contains(&w) {
            words.push(w);
        }
        if words.len() == MAX_NAME_WORDS {
            break;
        }
    }
    words
}

/// The index keys of a phone number, each starting with `#` so they never meet a name:
/// its digits, and for an international number (`+…`) the digits after a one-, two- or
/// three-digit country code, so a search by the local number finds it too.
pub fn phone_words(phone: &str) -> Vec<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let mut words = vec![format!("#{digits}")];
    if phone.starts_with('+') {
        for cc in 1..=3 {
            if digits.len() > cc + 6 {
                words.push(format!("#{}", &digits[cc..]));
            }
        }
    }
    words
}

/// What the search box holds, read as index prefixes: a phone number (7 or more digits
/// give one `#…` prefix) or name words (every word must start a word of the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    /// Prefixes that must each start one index word of a match, longest first.
    pub prefixes: Vec<String>,
    /// The query as a medical record number (upper-cased), matched exactly.
    pub mrn: String,
}

impl SearchTerms {
    /// Reads 2–100 characters of a name, a phone number or an MRN.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let q = raw.trim();
        if q.chars().count() < 2 || q.len() > 100 {
            return Err(DomainError::field(
                "q",
                "Type 2 to 100 characters of a name, phone or MRN.",
            ));
        }
        let looks_like_phone = q
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
        let mut prefixes = if looks_like_phone {
            let digits: String = q.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 3 {
                vec![format!("#{digits}")]
            } else {
                Vec::new()
            }
        } else {
            name_words(q)
        };
        prefixes.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        Ok(Self {
            prefixes,
            mrn: q.to_uppercase(),
        })
    }
}

/// The first string after every string that starts with `prefix`, in byte order: the
/// exclusive upper bound of a prefix range scan.
pub fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    // Every character was char::MAX: nothing sorts after the prefix's strings but this.
    format!("{prefix}{}", char::MAX)
}
