//! The consultation form as the doctor types it, and how it becomes checked notes.

use super::{Fields, checked};
use crate::error::AppResult;
use domain::{
    consultation::{Icd10, Vitals, VitalsInput},
    values::bounded_text,
};
use jiff::civil::Date;
use store::consultations::{Consultation, Notes};

/// The consultation form as typed (also the API's body). Vitals are text as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConsultationForm {
    #[schema(max_length = 2000)]
    pub complaints: String,
    /// Blood pressure as `120/80`.
    pub bp: String,
    pub pulse: String,
    /// °C, or °F (converted).
    pub temperature: String,
    /// kg.
    pub weight: String,
    /// cm.
    pub height: String,
    /// %.
    pub spo2: String,
    #[schema(max_length = 4000)]
    pub examination: String,
    #[schema(max_length = 500)]
    pub diagnosis: String,
    /// An optional ICD-10 code such as `J06.9`.
    #[schema(max_length = 8)]
    pub icd10: String,
    #[schema(max_length = 2000)]
    pub advice: String,
    /// `YYYY-MM-DD`, after today.
    pub follow_up_date: String,
    /// The `version` read with the consultation; a stale one gets 409.
    pub version: Option<i32>,
}

impl ConsultationForm {
    /// The form filled from a consultation.
    pub fn of(e: &Consultation) -> Self {
        let n = &e.notes;
        let v = n.vitals.form_values();
        ConsultationForm {
            complaints: n.complaints.clone(),
            bp: v.bp,
            pulse: v.pulse,
            temperature: v.temperature,
            weight: v.weight,
            height: v.height,
            spo2: v.spo2,
            examination: n.examination.clone(),
            diagnosis: n.diagnosis.clone(),
            icd10: n.icd10.clone().unwrap_or_default(),
            advice: n.advice.clone(),
            follow_up_date: n.follow_up_date.clone().unwrap_or_default(),
            version: Some(e.version),
        }
    }

    pub(super) fn parse(&self, today: Date) -> AppResult<Notes> {
        let mut f = Fields::default();
        let vitals = match Vitals::parse(VitalsInput {
            bp: &self.bp,
            pulse: &self.pulse,
            temperature: &self.temperature,
            weight: &self.weight,
            height: &self.height,
            spo2: &self.spo2,
        }) {
            Ok(v) => Some(v),
            Err(list) => {
                for e in list {
                    f.push(e.field, e.message);
                }
                None
            }
        };
        let complaints = f.take(bounded_text("complaints", &self.complaints, 2000, false));
        let examination = f.take(bounded_text("examination", &self.examination, 4000, false));
        let diagnosis = f.take(bounded_text("diagnosis", &self.diagnosis, 500, false));
        let advice = f.take(bounded_text("advice", &self.advice, 2000, false));
        let icd10 = if self.icd10.trim().is_empty() {
            Some(None)
        } else {
            f.take(Icd10::parse(&self.icd10))
                .map(|c| Some(c.as_str().to_owned()))
        };
        let follow_up = match self.follow_up_date.trim() {
            "" => Some(None),
            raw => match raw.parse::<Date>() {
                Ok(d) if d > today => Some(Some(d.to_string())),
                Ok(_) => {
                    f.push("follow_up_date", "The follow-up must be after today.");
                    None
                }
                Err(_) => {
                    f.push("follow_up_date", "Write the follow-up date as YYYY-MM-DD.");
                    None
                }
            },
        };
        f.finish()?;
        Ok(Notes {
            complaints: checked(complaints)?,
            vitals: checked(vitals)?,
            examination: checked(examination)?,
            diagnosis: checked(diagnosis)?,
            icd10: checked(icd10)?,
            advice: checked(advice)?,
            follow_up_date: checked(follow_up)?,
        })
    }
}
