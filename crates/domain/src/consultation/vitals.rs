//! Vital signs: what the form takes, range checks with their messages, and display.

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// Vital signs as typed into the form; an empty field means "not recorded".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VitalsInput<'a> {
    /// Blood pressure, e.g. `120/80`.
    pub bp: &'a str,
    /// Pulse in beats per minute.
    pub pulse: &'a str,
    /// Temperature in °C, or in °F (converted to °C).
    pub temperature: &'a str,
    /// Weight in kg.
    pub weight: &'a str,
    /// Height in cm.
    pub height: &'a str,
    /// Oxygen saturation in %.
    pub spo2: &'a str,
}

/// Checked vital signs in whole or tenth units; `None` means not recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vitals {
    /// Systolic blood pressure, mmHg (50–260).
    pub systolic: Option<u16>,
    /// Diastolic blood pressure, mmHg (30–160, below systolic).
    pub diastolic: Option<u16>,
    /// Pulse, beats per minute (20–250).
    pub pulse: Option<u16>,
    /// Temperature in tenths of a degree Celsius (300–450).
    pub temperature_dc: Option<u16>,
    /// Weight in tenths of a kilogram (3–3500).
    pub weight_dg: Option<u32>,
    /// Height in millimetres, i.e. tenths of a centimetre (200–2500).
    pub height_mm: Option<u16>,
    /// Oxygen saturation, % (50–100).
    pub spo2: Option<u8>,
}

const BP_SHAPE: &str = "Write blood pressure as systolic/diastolic, e.g. 120/80.";
const SYSTOLIC_RANGE: &str =
    "The first blood pressure number (systolic) must be between 50 and 260 mmHg.";
const DIASTOLIC_RANGE: &str =
    "The second blood pressure number (diastolic) must be between 30 and 160 mmHg.";
const BP_ORDER: &str =
    "The first blood pressure number (systolic) must be higher than the second (diastolic).";
const PULSE_SHAPE: &str = "Write the pulse as a whole number of beats per minute, e.g. 72.";
const PULSE_RANGE: &str = "Pulse must be between 20 and 250 beats per minute.";
const TEMP_SHAPE: &str = "Write the temperature as a number, e.g. 37.5 (°C) or 99.5 (°F).";
const TEMP_RANGE: &str = "Temperature must be between 30 and 45 °C, or between 86 and 113 °F \
     (which is converted to °C).";
const WEIGHT_SHAPE: &str = "Write the weight in kilograms, e.g. 72.4.";
const WEIGHT_RANGE: &str = "Weight must be between 0.3 and 350 kg.";
const HEIGHT_SHAPE: &str = "Write the height in centimetres, e.g. 170.5.";
const HEIGHT_RANGE: &str = "Height must be between 20 and 250 cm.";
const SPO2_SHAPE: &str = "Write oxygen saturation (SpO2) as a whole percentage, e.g. 98.";
const SPO2_RANGE: &str = "Oxygen saturation (SpO2) must be between 50 and 100%.";

impl Vitals {
    /// Checks every field and returns all the field errors at once.
    ///
    /// Decimals may use `.` or `,`; a unit may follow the number (`mmHg`, `bpm`, `°C`, `°F`,
    /// `kg`, `cm`, `%`). A temperature without a unit between 30 and 45 is read as °C and
    /// one between 86 and 113 as °F, which is converted to °C. Decimals are rounded half up
    /// to a tenth before the range is checked.
    pub fn parse(input: VitalsInput<'_>) -> Result<Vitals, Vec<DomainError>> {
        let mut errors = Vec::new();
        let mut check = |field: &'static str, result: Result<(), &'static str>| {
            if let Err(message) = result {
                errors.push(DomainError::field(field, message));
            }
        };
        let mut v = Vitals::default();
        check(
            "bp",
            present(input.bp).map_or(Ok(()), |s| {
                let (sys, dia) = parse_bp(s)?;
                v.systolic = Some(sys);
                v.diastolic = Some(dia);
                Ok(())
            }),
        );
        check(
            "pulse",
            present(input.pulse).map_or(Ok(()), |s| {
                let n = whole(strip_unit(s, &["bpm", "/min"])).ok_or(PULSE_SHAPE)?;
                v.pulse = Some(in_range(n, 20, 250, PULSE_RANGE)?);
                Ok(())
            }),
        );
        check(
            "temperature",
            present(input.temperature).map_or(Ok(()), |s| {
                v.temperature_dc = Some(parse_temperature(s)?);
                Ok(())
            }),
        );
        check(
            "weight",
            present(input.weight).map_or(Ok(()), |s| {
                let m = micros(strip_unit(s, &["kgs", "kg"])).ok_or(WEIGHT_SHAPE)?;
                v.weight_dg = Some(in_range(to_tenths(m), 3, 3_500, WEIGHT_RANGE)?);
                Ok(())
            }),
        );
        check(
            "height",
            present(input.height).map_or(Ok(()), |s| {
                let m = micros(strip_unit(s, &["cm"])).ok_or(HEIGHT_SHAPE)?;
                v.height_mm = Some(in_range(to_tenths(m), 200, 2_500, HEIGHT_RANGE)?);
                Ok(())
            }),
        );
        check(
            "spo2",
            present(input.spo2).map_or(Ok(()), |s| {
                let n = whole(strip_unit(s, &["%"])).ok_or(SPO2_SHAPE)?;
                v.spo2 = Some(in_range(n, 50, 100, SPO2_RANGE)?);
                Ok(())
            }),
        );
        if errors.is_empty() {
            Ok(v)
        } else {
            Err(errors)
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        *self == Vitals::default()
    }

    /// Blood pressure such as `120/80`, when both numbers are known.
    pub fn bp_text(&self) -> Option<String> {
        Some(format!("{}/{}", self.systolic?, self.diastolic?))
    }

    /// Pulse such as `72 /min`.
    pub fn pulse_text(&self) -> Option<String> {
        self.pulse.map(|p| format!("{p} /min"))
    }

    /// Temperature such as `37.5 °C`.
    pub fn temperature_text(&self) -> Option<String> {
        self.temperature_dc
            .map(|t| format!("{} °C", tenths(u32::from(t), true)))
    }

    /// Weight such as `72.4 kg` or `70 kg`.
    pub fn weight_text(&self) -> Option<String> {
        self.weight_dg.map(|w| format!("{} kg", tenths(w, false)))
    }

    /// Height such as `170.5 cm` or `170 cm`.
    pub fn height_text(&self) -> Option<String> {
        self.height_mm
            .map(|h| format!("{} cm", tenths(u32::from(h), false)))
    }

    /// Oxygen saturation such as `98%`.
    pub fn spo2_text(&self) -> Option<String> {
        self.spo2.map(|s| format!("{s}%"))
    }

    /// Body-mass index to one decimal, such as `22.5`, when weight and height are known.
    pub fn bmi_text(&self) -> Option<String> {
        let weight_dg = u64::from(self.weight_dg?);
        let height_mm = u64::from(self.height_mm?);
        if height_mm == 0 {
            return None;
        }
        // kg / m² = (dg / 10) / (mm / 1000)²; in tenths that is dg × 10⁶ / mm².
        let bmi_tenths = round_div(weight_dg * 1_000_000, height_mm * height_mm);
        Some(tenths(bmi_tenths, true))
    }

    /// The text that refills the vitals form, so that parsing it gives these vitals back.
    pub fn form_values(&self) -> VitalsForm {
        let opt = |s: Option<String>| s.unwrap_or_default();
        VitalsForm {
            bp: opt(self.bp_text()),
            pulse: opt(self.pulse.map(|p| p.to_string())),
            temperature: opt(self.temperature_dc.map(|t| tenths(u32::from(t), true))),
            weight: opt(self.weight_dg.map(|w| tenths(w, false))),
            height: opt(self.height_mm.map(|h| tenths(u32::from(h), false))),
            spo2: opt(self.spo2.map(|s| s.to_string())),
        }
    }
}

/// Owned form text for the vitals fields (see [`Vitals::form_values`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VitalsForm {
    /// Blood pressure, e.g. `120/80`.
    pub bp: String,
    /// Pulse, e.g. `72`.
    pub pulse: String,
    /// Temperature in °C, e.g. `37.5`.
    pub temperature: String,
    /// Weight in kg, e.g. `72.4`.
    pub weight: String,
    /// Height in cm, e.g. `170.5`.
    pub height: String,
    /// Oxygen saturation in %, e.g. `98`.
    pub spo2: String,
}

impl VitalsForm {
    /// Borrows the text as parser input.
    pub fn as_input(&self) -> VitalsInput<'_> {
        VitalsInput {
            bp: &self.bp,
            pulse: &self.pulse,
            temperature: &self.temperature,
            weight: &self.weight,
            height: &self.height,
            spo2: &self.spo2,
        }
    }
}

fn present(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|s| !s.is_empty())
}

/// `s` without one of the (ASCII, case-insensitive) `units` at its end, trimmed.
fn strip_unit<'a>(s: &'a str, units: &[&str]) -> &'a str {
    for unit in units {
        if s.len() >= unit.len() && s.is_char_boundary(s.len() - unit.len()) {
            let (head, tail) = s.split_at(s.len() - unit.len());
            if tail.eq_ignore_ascii_case(unit) {
                return head.trim_end();
            }
        }
    }
    s
}

fn parse_bp(s: &str) -> Result<(u16, u16), &'static str> {
    let (sys, dia) = strip_unit(s, &["mmhg"]).split_once('/').ok_or(BP_SHAPE)?;
    let sys = whole(sys.trim()).ok_or(BP_SHAPE)?;
    let dia = whole(dia.trim()).ok_or(BP_SHAPE)?;
    let sys = in_range(sys, 50, 260, SYSTOLIC_RANGE)?;
    let dia = in_range(dia, 30, 160, DIASTOLIC_RANGE)?;
    if dia >= sys {
        return Err(BP_ORDER);
    }
    Ok((sys, dia))
}

fn parse_temperature(s: &str) -> Result<u16, &'static str> {
    let lower = s.to_lowercase();
    let (number, unit) =
        if let Some(n) = ["°c", "℃", "c"].iter().find_map(|u| lower.strip_suffix(u)) {
            (n, Some('C'))
        } else if let Some(n) = ["°f", "℉", "f"].iter().find_map(|u| lower.strip_suffix(u)) {
            (n, Some('F'))
        } else {
            (lower.as_str(), None)
        };
    let m = micros(number.trim_end().trim_end_matches('°').trim_end()).ok_or(TEMP_SHAPE)?;
    let range = 300..=450;
    let as_celsius = to_tenths(m);
    // (°F − 32) × 5/9 °C, in tenths: (µ°F − 32 × 10⁶) × 50 / (9 × 10⁶).
    let from_fahrenheit = m
        .checked_sub(32_000_000)
        .map(|above| round_div(above * 50, 9_000_000));
    let dc = match unit {
        Some('C') | None if range.contains(&as_celsius) => as_celsius,
        Some('F') | None => from_fahrenheit
            .filter(|dc| range.contains(dc))
            .ok_or(TEMP_RANGE)?,
        _ => return Err(TEMP_RANGE),
    };
    u16::try_from(dc).map_err(|_| TEMP_RANGE)
}

/// A whole number of at most six digits.
fn whole(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A non-negative decimal (`.` or `,` as the point) in millionths; digits after the
/// sixth decimal are ignored, so rounding to a tenth afterwards happens once.
fn micros(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once(['.', ',']).unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || int.len() > 6 || !digits(int) || !digits(frac) {
        return None;
    }
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(6)
        .fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
    Some(int * 1_000_000 + frac)
}

/// Millionths rounded half up to tenths.
fn to_tenths(micros: u64) -> u64 {
    round_div(micros, 100_000)
}

fn in_range<T, U>(n: T, lo: T, hi: T, message: &'static str) -> Result<U, &'static str>
where
    T: PartialOrd + Copy,
    U: TryFrom<T>,
{
    if (lo..=hi).contains(&n) {
        U::try_from(n).map_err(|_| message)
    } else {
        Err(message)
    }
}

/// `n / d` rounded half up.
fn round_div(n: u64, d: u64) -> u64 {
    (n * 2 + d) / (d * 2)
}

/// `v` tenths as a decimal; `always` keeps a trailing `.0`.
fn tenths<T: Into<u64>>(v: T, always: bool) -> String {
    let v = v.into();
    if v % 10 == 0 && !always {
        (v / 10).to_string()
    } else {
        format!("{}.{}", v / 10, v % 10)
    }
}
