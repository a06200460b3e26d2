//! Roles a user holds in a clinic.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A staff role within one clinic. Platform admin is a flag on the user; patient is a kind of account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the clinic: staff, rules, audit.
    Admin,
    /// Sees patients.
    Doctor,
    /// Front desk.
    Receptionist,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Doctor, Role::Receptionist];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Doctor => "doctor",
            Role::Receptionist => "receptionist",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Clinic admin",
            Role::Doctor => "Doctor",
            Role::Receptionist => "Receptionist",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = crate::DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "doctor" => Ok(Role::Doctor),
            "receptionist" => Ok(Role::Receptionist),
            _ => Err(crate::DomainError::field(
                "role",
                "must be one of admin, doctor, receptionist",
            )),
        }
    }
}
