//! Mobile numbers as people type them: read in the clinic's country (else the install's
//! default) and kept in E.164.

use crate::state::AppState;
use domain::{
    DomainError,
    phone::{MobileNumber, Region},
};
use store::clinics::Clinic;

/// Where a number typed without `+` is read: the clinic's country, else the install's.
pub fn region(state: &AppState, clinic: Option<&Clinic>) -> Region {
    clinic
        .and_then(|c| c.country.as_deref())
        .and_then(|c| Region::parse(c).ok())
        .unwrap_or(state.settings().default_country)
}

/// An optional number as typed: empty is none; anything else must be a mobile number.
pub fn optional(raw: &str, region: Region) -> Result<Option<MobileNumber>, DomainError> {
    match raw.trim() {
        "" => Ok(None),
        typed => MobileNumber::parse(typed, region).map(Some),
    }
}
