//! Use cases shared by the JSON API and the HTML pages. Each takes the caller's checked
//! scope, applies domain rules, runs its store calls in one transaction and returns plain data.

pub mod accounts;
pub mod appointment_lists;
pub mod appointments;
pub mod bill_input;
pub mod bill_reads;
pub mod billing_settings;
pub mod bills;
pub mod board;
pub mod booking;
pub mod booking_policy;
pub mod calendar;
pub mod cancel_links;
pub mod cash;
pub mod clinics;
pub mod consultation_form;
pub mod consultations;
pub mod counters;
pub mod credit_notes;
pub mod deliveries;
pub mod demo;
pub mod doctor_decisions;
pub mod doctors;
pub mod documents;
pub mod events;
pub mod history;
pub mod local_time;
pub mod mail;
pub mod messages;
pub mod notices;
pub mod online_payments;
pub mod otp;
pub mod password_resets;
pub mod patients;
pub mod payments;
pub mod phones;
pub mod policy;
pub mod preferences;
pub mod prescriptions;
pub mod push;
pub mod queue;
pub mod queue_status;
pub mod schedule;
pub mod scope;
pub mod sessions;
pub mod slots;
pub mod staff;
pub mod time_off;
pub mod today;
pub mod totp;
pub mod visit_charges;
pub mod visit_types;
pub mod webhooks;

use crate::{
    error::{AppError, AppResult, FieldError},
    state::AppState,
};

/// Collects field errors from several parses, so a form shows them all at once.
#[derive(Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Keeps the value, or records its error.
    pub fn take<T>(&mut self, r: Result<T, domain::DomainError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError {
                    field: e.field.into(),
                    message: e.message,
                });
                None
            }
        }
    }

    /// Records an error on `field`.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Fails if anything was recorded.
    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

/// Unwraps values that `Fields::finish` has vouched for.
pub fn checked<T>(v: Option<T>) -> AppResult<T> {
    v.ok_or_else(|| AppError::Internal("validated value missing".into()))
}

/// Counts an attempt at `bucket` (login, register, reset, …) against the caller's IP and,
/// when given, the account; too many in the window is `RateLimited`.
pub fn limit(state: &AppState, bucket: &str, ip: &str, account: Option<&str>) -> AppResult<()> {
    let s = state.settings();
    let hit = |key: String, max: u32| {
        state
            .limiter()
            .hit(&key, max, s.rate_window_secs, state.now())
            .map_err(|secs| AppError::RateLimited {
                retry_after_secs: secs,
            })
    };
    hit(format!("{bucket}:ip:{ip}"), s.rate_per_ip)?;
    if let Some(a) = account {
        hit(format!("{bucket}:acct:{a}"), s.rate_per_account)?;
    }
    Ok(())
}
