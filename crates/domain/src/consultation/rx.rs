//! Prescription items: the form's rows, their checks, and the offered routes, forms and
//! frequencies.

use crate::DomainError;
use crate::values::bounded_text;
use serde::{Deserialize, Serialize};

/// The most medicines one prescription may list.
pub const MAX_RX_ITEMS: usize = 30;

/// Suggested routes of administration; other text is allowed.
pub const ROUTES: &[&str] = &[
    "oral",
    "sublingual",
    "topical",
    "inhaled",
    "nasal",
    "eye",
    "ear",
    "rectal",
    "vaginal",
    "IM injection",
    "IV injection",
    "SC injection",
];

/// Suggested dosage forms; other text is allowed.
pub const FORMS: &[&str] = &[
    "tablet",
    "capsule",
    "syrup",
    "suspension",
    "drops",
    "ointment",
    "cream",
    "gel",
    "inhaler",
    "injection",
    "sachet",
    "spray",
    "patch",
    "suppository",
];

/// Common frequency abbreviations and what they mean.
pub const FREQUENCIES: &[(&str, &str)] = &[
    ("OD", "once a day"),
    ("BD", "twice a day"),
    ("TDS", "three times a day"),
    ("QID", "four times a day"),
    ("HS", "at bedtime"),
    ("SOS", "when needed"),
    ("STAT", "at once"),
];

/// One prescription row as typed into the form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RxItemInput<'a> {
    /// The medicine's name.
    pub drug: &'a str,
    /// Strength, e.g. `500 mg`.
    pub strength: &'a str,
    /// Dosage form, e.g. `tablet`.
    pub form: &'a str,
    /// How much per dose, e.g. `1 tablet`.
    pub dose: &'a str,
    /// How often, e.g. `BD`.
    pub frequency: &'a str,
    /// For how long, e.g. `5 days`.
    pub duration: &'a str,
    /// How it is taken, e.g. `oral`.
    pub route: &'a str,
    /// Anything else for the patient, e.g. `after food`.
    pub instructions: &'a str,
}

impl RxItemInput<'_> {
    /// Whether every field is empty, so the form row can be dropped.
    pub fn is_blank(&self) -> bool {
        [
            self.drug,
            self.strength,
            self.form,
            self.dose,
            self.frequency,
            self.duration,
            self.route,
            self.instructions,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// One checked prescription row; text is trimmed with inner whitespace collapsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RxItem {
    /// The medicine's name (1–120 characters).
    pub drug: String,
    /// Strength (up to 40 characters).
    pub strength: String,
    /// Dosage form (up to 40 characters).
    pub form: String,
    /// How much per dose (up to 40 characters).
    pub dose: String,
    /// How often (up to 60 characters).
    pub frequency: String,
    /// For how long (up to 40 characters).
    pub duration: String,
    /// How it is taken (up to 40 characters).
    pub route: String,
    /// Anything else for the patient (up to 300 characters).
    pub instructions: String,
}

impl RxItem {
    /// Checks one row; `row` is the 1-based row number shown to the user in messages.
    /// Errors name the field (`drug`, `strength`, …) and all are returned at once.
    pub fn parse(input: RxItemInput<'_>, row: usize) -> Result<RxItem, Vec<DomainError>> {
        let mut errors = Vec::new();
        let mut text = |field: &'static str, label: &str, raw: &str, max: usize, required| {
            let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
            bounded_text(field, &collapsed, max, required).unwrap_or_else(|e| {
                errors.push(DomainError::field(
                    field,
                    format!("Row {row}: {label} {}.", e.message),
                ));
                String::new()
            })
        };
        let item = RxItem {
            drug: text("drug", "Medicine", input.drug, 120, true),
            strength: text("strength", "Strength", input.strength, 40, false),
            form: text("form", "Form", input.form, 40, false),
            dose: text("dose", "Dose", input.dose, 40, false),
            frequency: text("frequency", "Frequency", input.frequency, 60, false),
            duration: text("duration", "Duration", input.duration, 40, false),
            route: text("route", "Route", input.route, 40, false),
            instructions: text(
                "instructions",
                "Instructions",
                input.instructions,
                300,
                false,
            ),
        };
        if errors.is_empty() {
            Ok(item)
        } else {
            Err(errors)
        }
    }
}

/// Checks a prescription's rows, dropping blank ones; rows are numbered from 1 as in the
/// form. More than [`MAX_RX_ITEMS`] filled rows is an `items` error.
pub fn parse_rx_items(rows: &[RxItemInput<'_>]) -> Result<Vec<RxItem>, Vec<DomainError>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let filled: Vec<(usize, &RxItemInput<'_>)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_blank())
        .collect();
    if filled.len() > MAX_RX_ITEMS {
        errors.push(DomainError::field(
            "items",
            format!("A prescription can list at most {MAX_RX_ITEMS} medicines."),
        ));
    }
    for (i, row) in filled {
        match RxItem::parse(*row, i + 1) {
            Ok(item) => items.push(item),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}
