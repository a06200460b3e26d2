//! One error type for the server. It renders as `application/problem+json` (RFC 9457) for
//! the API; pages render it as an HTML error page (see `pages::PageError`).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

tokio::task_local! {
    /// The current request's id, set by the request-id middleware.
    pub static REQUEST_ID: String;
}

/// The current request id, or `-` outside a request.
pub fn request_id() -> String {
    REQUEST_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| "-".into())
}

/// A problem with one input field.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// The slot was taken; the nearest free ones are offered instead.
    #[error("This slot has just been taken.")]
    SlotTaken { alternatives: Vec<SlotView> },
    /// A new patient looks like one the clinic already has; resend with the override.
    #[error("This patient may already be registered.")]
    LikelyDuplicate { matches: Vec<DuplicateView> },
    /// A booking rule refuses the request; `rule` names it for clients.
    #[error("{message}")]
    Refused { rule: &'static str, message: String },
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error("payload too large")]
    TooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The request took longer than the server allows.
    #[error("The request took too long and was stopped.")]
    TimedOut,
    /// The database cannot be reached for now; the client should retry.
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

/// How long a client should wait before retrying while the database is unreachable.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

impl AppError {
    /// One field's error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_)
            | AppError::SlotTaken { .. }
            | AppError::LikelyDuplicate { .. } => StatusCode::CONFLICT,
            AppError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TimedOut => StatusCode::REQUEST_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable problem `type` slug.
    pub fn slug(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation",
            AppError::BadRequest(_) => "bad-request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not-found",
            AppError::Conflict(_) => "conflict",
            AppError::SlotTaken { .. } => "slot-taken",
            AppError::LikelyDuplicate { .. } => "likely-duplicate",
            AppError::Refused { .. } => "booking-rule",
            AppError::RateLimited { .. } => "rate-limited",
            AppError::TooLarge => "payload-too-large",
            AppError::UnsupportedMediaType => "unsupported-media-type",
            AppError::Unavailable => "unavailable",
            AppError::TimedOut => "timeout",
            AppError::Internal(_) => "internal",
        }
    }

    /// What a person should read. Internal causes are never shown.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Validation(_) => "Some fields need attention.".into(),
            AppError::Unauthorized => "Please sign in.".into(),
            AppError::NotFound => "Nothing was found here.".into(),
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many attempts. Try again in {retry_after_secs} seconds.")
            }
            AppError::TooLarge => "The request is too large.".into(),
            AppError::UnsupportedMediaType => "Send the body as application/json.".into(),
            AppError::Unavailable => format!(
                "The service is briefly unavailable. Try again in {UNAVAILABLE_RETRY_SECS} seconds."
            ),
            AppError::Internal(_) => "Something went wrong on our side.".into(),
            other => other.to_string(),
        }
    }

    /// Field errors, if any.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            AppError::Validation(f) => f,
            _ => &[],
        }
    }

    fn log(&self) {
        if let AppError::Internal(cause) = self {
            tracing::error!(request_id = %request_id(), cause = %cause, "internal error");
        }
    }
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(request_id = %request_id(), cause = %e, "database unavailable");
            AppError::Unavailable
        } else {
            AppError::Internal(cause_chain(&e))
        }
    }
}

/// `e` and every cause below it, "outer: inner: innermost", each said once (a wrapper whose
/// message already quotes its source does not repeat it). Logged with internal errors, so
/// the log names the failing statement or connection, not just "database error".
pub fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

impl AppError {
    /// An internal error with what was being done (`context`) and the cause chain.
    pub fn internal(context: &str, e: &dyn std::error::Error) -> Self {
        AppError::Internal(format!("{context}: {}", cause_chain(e)))
    }

    /// The `Retry-After` seconds this error asks for, if any.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable => Some(UNAVAILABLE_RETRY_SECS),
            _ => None,
        }
    }
}

impl From<domain::DomainError> for AppError {
    fn from(e: domain::DomainError) -> Self {
        AppError::field(e.field, e.message)
    }
}

/// A free slot offered instead of a taken one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    /// UTC instant, RFC 3339.
    pub start: String,
    pub end: String,
    /// The same instants in the clinic's zone, with offset.
    pub local_start: String,
    pub local_end: String,
}

/// An existing record that a new one may duplicate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DuplicateView {
    pub id: uuid::Uuid,
    pub mrn: String,
    pub name: String,
    pub phone: Option<String>,
    /// `YYYY-MM-DD`, if known.
    pub birth_date: Option<String>,
    /// Why it looks the same: `phone_and_birth_date`, `name_and_phone` or `name_and_email`.
    pub reason: String,
}

/// The RFC 9457 body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The booking rule that refused the request (`min_notice`, `horizon`, `hours`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// For a taken slot: the nearest free ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternatives: Option<Vec<SlotView>>,
    /// For a likely duplicate patient: the records it resembles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Vec<DuplicateView>>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let body = Problem {
            kind: format!("urn:docspot:problem:{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.public_message(),
            request_id: request_id(),
            errors: self.fields().to_vec(),
            rule: match &self {
                AppError::Refused { rule, .. } => Some((*rule).to_owned()),
                _ => None,
            },
            alternatives: match &self {
                AppError::SlotTaken { alternatives } => Some(alternatives.clone()),
                _ => None,
            },
            duplicates: match &self {
                AppError::LikelyDuplicate { matches } => Some(matches.clone()),
                _ => None,
            },
        };
        let mut res = (status, serde_json::to_string(&body).unwrap_or_default()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after() {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// Result type of handlers and use cases.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer failed")]
    struct Outer(#[source] Middle);
    #[derive(Debug, thiserror::Error)]
    #[error("middle failed: {0}")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn internal_errors_keep_their_whole_cause_chain_once() {
        let e = Outer(Middle(std::io::Error::other("disk on fire")));
        assert_eq!(
            cause_chain(&e),
            "outer failed: middle failed: disk on fire",
            "the innermost cause, already quoted by its wrapper, is not repeated"
        );
        let err = AppError::internal("store document", &e);
        assert!(
            matches!(&err, AppError::Internal(m) if m == "store document: outer failed: middle failed: disk on fire")
        );
        assert_eq!(
            err.public_message(),
            "Something went wrong on our side.",
            "never shown"
        );
    }
}
