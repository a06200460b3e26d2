//! A clinic's contact details: where it is, how to reach it and when it is open.

use crate::{DomainError, Phone, values::bounded_text};
use serde::Serialize;

/// Most characters of a clinic's address.
pub const ADDRESS_MAX: usize = 300;
/// Most characters of a clinic's opening hours.
pub const OPENING_HOURS_MAX: usize = 200;
/// Most characters of a typed coordinate (far more than micro-degree precision needs).
const COORDINATE_TEXT_MAX: usize = 24;

/// A point on the map, kept in micro-degrees (about 11 cm) so it is stored and compared
/// exactly on every database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GeoPoint {
    lat_e6: i32,
    lon_e6: i32,
}

/// One coordinate axis: its field name, its bound in degrees and an example for messages.
struct Axis {
    field: &'static str,
    bound: i32,
    example: &'static str,
}

const LATITUDE: Axis = Axis {
    field: "latitude",
    bound: 90,
    example: "12.9716",
};
const LONGITUDE: Axis = Axis {
    field: "longitude",
    bound: 180,
    example: "77.5946",
};

impl Axis {
    fn out_of_range(&self) -> DomainError {
        DomainError::field(
            self.field,
            format!(
                "must be a number of degrees from -{b} to {b}, such as {}",
                self.example,
                b = self.bound
            ),
        )
    }

    /// Micro-degrees of a typed coordinate; `None` when empty.
    fn parse(&self, raw: &str) -> Result<Option<i32>, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
        let shaped = s.len() <= COORDINATE_TEXT_MAX
            && digits.split_once('.').map_or(
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
                |(whole, frac)| {
                    !(whole.is_empty() && frac.is_empty())
                        && whole.bytes().all(|b| b.is_ascii_digit())
                        && frac.bytes().all(|b| b.is_ascii_digit())
                },
            );
        let degrees: f64 = match shaped.then(|| s.parse().ok()).flatten() {
            Some(d) => d,
            None => return Err(self.out_of_range()),
        };
        self.micro(degrees).map(Some)
    }

    fn micro(&self, degrees: f64) -> Result<i32, DomainError> {
        let bound = f64::from(self.bound);
        if !degrees.is_finite() || !(-bound..=bound).contains(&degrees) {
            return Err(self.out_of_range());
        }
        // In range, so at most 180e6 in magnitude: the cast cannot overflow.
        Ok((degrees * 1e6).round() as i32)
    }

    fn check_micro(&self, v: i64) -> Result<i32, DomainError> {
        let bound = i64::from(self.bound) * 1_000_000;
        if (-bound..=bound).contains(&v) {
            Ok(v as i32)
        } else {
            Err(self.out_of_range())
        }
    }
}

/// `12.9716` from 12_971_600 micro-degrees: exact, without trailing zeros.
fn degrees_text(micro: i32) -> String {
    let sign = if micro < 0 { "-" } else { "" };
    let abs = micro.unsigned_abs();
    let (whole, frac) = (abs / 1_000_000, abs % 1_000_000);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{frac:06}");
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

impl GeoPoint {
    /// A point from typed decimal degrees; both empty is no point. Each bad or missing
    /// half is reported on its own field.
    pub fn parse(latitude: &str, longitude: &str) -> Result<Option<Self>, Vec<DomainError>> {
        let lat = LATITUDE.parse(latitude);
        let lon = LONGITUDE.parse(longitude);
        match (lat, lon) {
            (Ok(None), Ok(None)) => Ok(None),
            (Ok(Some(lat_e6)), Ok(Some(lon_e6))) => Ok(Some(Self { lat_e6, lon_e6 })),
            (lat, lon) => {
                let mut errors = Vec::new();
                match lat {
                    Err(e) => errors.push(e),
                    Ok(None) => errors.push(DomainError::field(
                        "latitude",
                        "is needed with a longitude (or leave both empty)",
                    )),
                    Ok(Some(_)) => {}
                }
                match lon {
                    Err(e) => errors.push(e),
                    Ok(None) => errors.push(DomainError::field(
                        "longitude",
                        "is needed with a latitude (or leave both empty)",
                    )),
                    Ok(Some(_)) => {}
                }
                Err(errors)
            }
        }
    }

    /// A point from stored micro-degrees.
    pub fn from_micro_degrees(lat_e6: i64, lon_e6: i64) -> Result<Self, DomainError> {
        Ok(Self {
            lat_e6: LATITUDE.check_micro(lat_e6)?,
            lon_e6: LONGITUDE.check_micro(lon_e6)?,
        })
    }

    /// The latitude in micro-degrees.
    pub fn lat_micro(self) -> i64 {
        self.lat_e6.into()
    }

    /// The longitude in micro-degrees.
    pub fn lon_micro(self) -> i64 {
        self.lon_e6.into()
    }

    /// The latitude in degrees.
    pub fn latitude(self) -> f64 {
        f64::from(self.lat_e6) / 1e6
    }

    /// The longitude in degrees.
    pub fn longitude(self) -> f64 {
        f64::from(self.lon_e6) / 1e6
    }

    /// The latitude as decimal degrees, exactly as stored (`12.9716`).
    pub fn latitude_text(self) -> String {
        degrees_text(self.lat_e6)
    }

    /// The longitude as decimal degrees, exactly as stored (`77.5946`).
    pub fn longitude_text(self) -> String {
        degrees_text(self.lon_e6)
    }
}

/// What a clinic tells patients about reaching it, as typed: every part may be empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetailsInput<'a> {
    pub address: &'a str,
    pub phone: &'a str,
    pub opening_hours: &'a str,
    /// Decimal degrees, -90 to 90; empty together with `longitude`.
    pub latitude: &'a str,
    /// Decimal degrees, -180 to 180; empty together with `latitude`.
    pub longitude: &'a str,
}

/// A clinic's address, phone, opening hours and map location, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClinicDetails {
    address: String,
    phone: Option<Phone>,
    opening_hours: String,
    location: Option<GeoPoint>,
}

impl ClinicDetails {
    /// Checks every part and reports every bad one: address and opening hours are bounded
    /// text without control characters, the phone is a phone number, the coordinates are
    /// in range and come as a pair.
    pub fn parse(input: &DetailsInput<'_>) -> Result<Self, Vec<DomainError>> {
        let location = GeoPoint::parse(input.latitude, input.longitude);
        Self::from_parts(input.address, input.phone, input.opening_hours, location)
    }

    /// Details from an already-made location (as stored, in micro-degrees).
    pub fn with_location(
        address: &str,
        phone: &str,
        opening_hours: &str,
        location: Option<GeoPoint>,
    ) -> Result<Self, Vec<DomainError>> {
        Self::from_parts(address, phone, opening_hours, Ok(location))
    }

    fn from_parts(
        address: &str,
        phone: &str,
        opening_hours: &str,
        location: Result<Option<GeoPoint>, Vec<DomainError>>,
    ) -> Result<Self, Vec<DomainError>> {
        let mut errors = Vec::new();
        let mut keep =
            |r: Result<String, DomainError>| r.map_err(|e| errors.push(e)).unwrap_or_default();
        let address = keep(bounded_text("address", address, ADDRESS_MAX, false));
        let opening_hours = keep(bounded_text(
            "opening_hours",
            opening_hours,
            OPENING_HOURS_MAX,
            false,
        ));
        let phone = if phone.trim().is_empty() {
            None
        } else {
            Phone::parse(phone).map_err(|e| errors.push(e)).ok()
        };
        let location = location.map_err(|e| errors.extend(e)).ok().flatten();
        if errors.is_empty() {
            Ok(Self {
                address,
                phone,
                opening_hours,
                location,
            })
        } else {
            Err(errors)
        }
    }

    /// The postal address, or empty.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The phone number, normalised, if any.
    pub fn phone(&self) -> Option<&Phone> {
        self.phone.as_ref()
    }

    /// When the clinic is open, as the clinic wrote it, or empty.
    pub fn opening_hours(&self) -> &str {
        &self.opening_hours
    }

    /// Where the clinic is on the map, if known.
    pub fn location(&self) -> Option<GeoPoint> {
        self.location
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<ClinicDetails, Vec<DomainError>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn good_details_are_trimmed_and_normalised() {
        let d = ClinicDetails::parse(&DetailsInput {
            address: "  12 MG Road, Bengaluru 560001 ",
            phone: "+91 80 4000-1234",
            opening_hours: "Mon–Sat 09:00–18:00, Sun closed",
            latitude: "12.9716",
            longitude: "+77.5946",
        })
        .unwrap();
        assert_eq!(d.address(), "12 MG Road, Bengaluru 560001");
        assert_eq!(d.phone().unwrap().as_str(), "+918040001234");
        let p = d.location().unwrap();
        assert_eq!((p.lat_micro(), p.lon_micro()), (12_971_600, 77_594_600));
        assert_eq!(
            (p.latitude_text(), p.longitude_text()),
            ("12.9716".into(), "77.5946".into())
        );
        assert_eq!(
            ClinicDetails::parse(&DetailsInput::default()),
            Ok(ClinicDetails::default())
        );
    }

    #[test]
    fn every_bad_part_is_named() {
        let r = ClinicDetails::parse(&DetailsInput {
            address: &"x".repeat(301),
            phone: "call us",
            opening_hours: "9\u{7}5",
            latitude: "91",
            longitude: "east",
        });
        assert_eq!(
            fields(r),
            ["address", "opening_hours", "phone", "latitude", "longitude"]
        );
    }

    #[test]
    fn coordinates_come_in_range_and_in_pairs() {
        for (lat, lon, bad, case) in [
            ("12.5", "", vec!["longitude"], "latitude alone"),
            ("", "77", vec!["latitude"], "longitude alone"),
            ("-90.0000001", "0", vec!["latitude"], "south of the pole"),
            ("0", "180.5", vec!["longitude"], "past the date line"),
            ("NaN", "inf", vec!["latitude", "longitude"], "not numbers"),
            ("1e2", "0x10", vec!["latitude", "longitude"], "not decimals"),
            (".", "-", vec!["latitude", "longitude"], "no digits"),
        ] {
            assert_eq!(
                fields(ClinicDetails::parse(&DetailsInput {
                    latitude: lat,
                    longitude: lon,
                    ..DetailsInput::default()
                })),
                bad,
                "{case}"
            );
        }
        let edge = GeoPoint::parse("-90", "180").unwrap().unwrap();
        assert_eq!(
            (edge.latitude_text(), edge.longitude_text()),
            ("-90".into(), "180".into())
        );
        let small = GeoPoint::parse("-0.000001", ".5").unwrap().unwrap();
        assert_eq!(
            (small.latitude_text(), small.longitude_text()),
            ("-0.000001".into(), "0.5".into())
        );
        assert!(GeoPoint::from_micro_degrees(90_000_001, 0).is_err());
        assert_eq!(
            GeoPoint::from_micro_degrees(12_971_600, 77_594_600),
            Ok(GeoPoint::parse("12.9716", "77.5946").unwrap().unwrap())
        );
    }
}
