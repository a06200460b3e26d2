//! Argon2id hashing, off the async threads.

use crate::error::{AppError, AppResult};
use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier},
};
use domain::password::NewPassword;
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// Runs Argon2 work on the blocking pool, at most about one per core at a time: each hash
/// takes 19 MiB, so a burst of sign-ups and logins queues here instead of lifting memory
/// (and the allocator keeps what it took). `None` if the task panicked.
async fn on_hashing_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _permit = slots.acquire().await.ok()?;
    tokio::task::spawn_blocking(f).await.ok()
}

/// Hashes a policy-checked password (Argon2id, default parameters, random salt).
pub async fn hash(pw: &NewPassword) -> AppResult<String> {
    let raw = pw.expose().to_owned();
    on_hashing_pool(move || {
        Argon2::default()
            .hash_password(raw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hash password: {e}")))
    })
    .await
    .unwrap_or_else(|| Err(AppError::Internal("hash password: task failed".into())))
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
    on_hashing_pool(move || {
        let ok = Argon2::default()
            .verify_password(raw.as_bytes(), hash.as_str())
            .is_ok();
        ok && real
    })
    .await
    .unwrap_or(false)
}
