//! Argon2id hashing, off the async threads.

use crate::error::{AppError, AppResult};
use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier},
};
use domain::password::NewPassword;

/// Hashes a policy-checked password (Argon2id, default parameters, random salt).
pub async fn hash(pw: &NewPassword) -> AppResult<String> {
    let raw = pw.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(raw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hash password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// A hash of a random password nobody knows, so unknown accounts cost the same time to check.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(store::new_token().as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Whether `raw` matches `hash`. With no hash, spends the same time and returns false.
pub async fn verify(raw: &str, hash: Option<&str>) -> bool {
    if raw.len() > 4 * domain::password::MAX_LEN {
        return false;
    }
    let raw = raw.to_owned();
    let (hash, real) = match hash {
        Some(h) => (h.to_owned(), true),
        None => (decoy().to_owned(), false),
    };
    tokio::task::spawn_blocking(move || {
        let ok = Argon2::default()
            .verify_password(raw.as_bytes(), hash.as_str())
            .is_ok();
        ok && real
    })
    .await
    .unwrap_or(false)
}
