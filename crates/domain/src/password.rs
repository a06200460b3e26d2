//! The password policy: length 12–128 characters, never truncated, never a common password.

use crate::DomainError;

/// Shortest accepted password, in characters.
pub const MIN_LEN: usize = 12;
/// Longest accepted password, in characters.
pub const MAX_LEN: usize = 128;

/// A password that passed the policy. It is never printed.
pub struct NewPassword(String);

impl NewPassword {
    /// Checks `raw` against the policy. The whole password is kept: nothing is truncated.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let len = raw.chars().count();
        if len < MIN_LEN {
            return Err(DomainError::field(
                "password",
                format!("must be at least {MIN_LEN} characters"),
            ));
        }
        if len > MAX_LEN {
            return Err(DomainError::field(
                "password",
                format!("must be at most {MAX_LEN} characters"),
            ));
        }
        if passwords::analyzer::is_common_password(raw)
            || passwords::analyzer::is_common_password(raw.to_lowercase())
        {
            return Err(DomainError::field(
                "password",
                "is one of the most common passwords; choose another",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_accepts_and_refuses_as_documented() {
        let cases: &[(&str, bool, &str)] = &[
            ("short", false, "too short"),
            ("elevenchars", false, "11 chars"),
            ("correct horse battery", true, "long passphrase"),
            ("qwertyuiopasdfghjkl", false, "common keyboard walk"),
            ("1234567890123", false, "common digits"),
            ("ÄÖÜäöüßÄÖÜäö", true, "12 non-ASCII chars count as 12"),
        ];
        for (pw, ok, why) in cases {
            assert_eq!(NewPassword::parse(pw).is_ok(), *ok, "case: {why}");
        }
        assert!(
            NewPassword::parse(&"a1b2c3d4".repeat(16)).is_ok(),
            "128 chars is the limit"
        );
        assert!(
            NewPassword::parse(&"a1b2c3d4".repeat(17)).is_err(),
            "129+ chars refused"
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = NewPassword::parse("a very private phrase").unwrap();
        assert!(!format!("{p:?}").contains("private"));
    }
}
