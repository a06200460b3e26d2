//! The doctor-profile form shared by the join page and the profile page: the fields as
//! typed (languages comma-separated, the fee in the clinic's major unit), their labels, and
//! the clinic's specialties as checkboxes. The rules are the use case's (`app::doctors`).

use super::forms::Label;
use crate::{app::doctors::ProfileInput, error::AppError};
use domain::{Currency, Money};
use store::doctors::{Doctor, Specialty};

pub(super) const PROFILE_FIELDS: &[Label] = &[
    ("name", "Name"),
    ("registration_number", "Registration number"),
    ("qualifications", "Qualifications"),
    ("languages", "Languages"),
    ("fee", "Consultation fee"),
    ("bio", "About you"),
    ("specialties", "Specialties"),
];

/// The form as typed: languages comma-separated, the fee in major units.
#[derive(Debug, Default)]
pub(super) struct ProfileForm {
    pub name: String,
    pub registration_number: String,
    pub qualifications: String,
    pub languages: String,
    pub fee: String,
    pub bio: String,
    /// Ticked specialty ids (the `specialty` checkboxes).
    pub specialties: Vec<String>,
}

impl ProfileForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = ProfileForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "registration_number" => f.registration_number = v,
                "qualifications" => f.qualifications = v,
                "languages" => f.languages = v,
                "fee" => f.fee = v,
                "bio" => f.bio = v,
                "specialty" => f.specialties.push(v),
                _ => {}
            }
        }
        f
    }

    /// The form filled in with `d`'s profile as it stands, the fee in `currency`.
    pub fn of(d: &Doctor, currency: &Currency) -> Self {
        ProfileForm {
            name: d.name.clone(),
            registration_number: d.registration_number.clone(),
            qualifications: d.qualifications.clone(),
            languages: d.languages.join(", "),
            fee: Money::new(currency, d.fee_minor).major_input(),
            bio: d.bio.clone(),
            specialties: d.specialties.iter().map(|s| s.id.to_string()).collect(),
        }
    }

    /// The use case's input, and why the typed fee does not read as `currency`, if it does
    /// not. Such a fee goes in as -1, which the use case refuses, so that every other problem
    /// shows too. An empty fee is no fee. An unknown specialty id goes in as the nil id,
    /// which the clinic's list refuses.
    pub fn input(&self, currency: &Currency) -> (ProfileInput, Option<String>) {
        let fee = match self.fee.trim() {
            "" => Ok(Money::zero(currency)),
            typed => Money::parse(currency, typed),
        };
        let input = ProfileInput {
            name: self.name.clone(),
            qualifications: self.qualifications.clone(),
            languages: self
                .languages
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            registration_number: self.registration_number.clone(),
            fee_minor: fee.as_ref().map_or(-1, Money::minor),
            bio: self.bio.clone(),
            specialties: self
                .specialties
                .iter()
                .map(|s| s.parse().unwrap_or_default())
                .collect(),
        };
        (input, fee.err().map(|e| e.message))
    }
}

/// The use case names the fee `fee_minor`; the form's field is `fee`, and a fee that did not
/// read as money (`unreadable`, from [`ProfileForm::input`]) is explained as such.
pub(super) fn on_fee_field(err: AppError, unreadable: Option<&str>) -> AppError {
    match err {
        AppError::Validation(mut list) => {
            for f in list.iter_mut().filter(|f| f.field == "fee_minor") {
                f.field = "fee".into();
                if let Some(msg) = unreadable {
                    f.message = msg.into();
                }
            }
            AppError::Validation(list)
        }
        other => other,
    }
}

/// A checkbox of the clinic's specialty list.
pub(super) struct SpecialtyBox {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

/// The clinic's specialties, ticked as in `form`.
pub(super) fn specialty_boxes(list: Vec<Specialty>, form: &ProfileForm) -> Vec<SpecialtyBox> {
    list.into_iter()
        .map(|s| SpecialtyBox {
            checked: form.specialties.contains(&s.id.to_string()),
            id: s.id.to_string(),
            name: s.name,
        })
        .collect()
}

/// What the fee field says about money: `In INR, for example 500 or 450.50`.
pub(super) fn fee_hint(currency: &Currency) -> String {
    format!("In {currency}, {}", Money::input_hint(currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_form_becomes_the_use_cases_input() {
        let form = ProfileForm::from_pairs(
            [
                ("name", "Dr Asha Rao"),
                ("languages", " English, , Hindi "),
                ("fee", "499.50"),
                ("specialty", "not-an-id"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
        let inr = Currency::parse("INR").unwrap();
        let (input, fee_problem) = form.input(&inr);
        assert_eq!(input.languages, ["English", "Hindi"]);
        assert_eq!(input.fee_minor, 49_950);
        assert_eq!(fee_problem, None);
        assert_eq!(input.specialties, [uuid::Uuid::nil()]);
        let bad = ProfileForm {
            fee: "-5".into(),
            ..ProfileForm::default()
        };
        let (input, fee_problem) = bad.input(&inr);
        assert_eq!(input.fee_minor, -1);
        assert!(fee_problem.is_some());
        let blank = ProfileForm::default();
        assert_eq!(
            (blank.input(&inr).0.fee_minor, blank.input(&inr).1),
            (0, None)
        );
    }
}
