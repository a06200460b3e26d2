//! Request extractors whose failures are problem+json, never axum's plain-text rejections.

use crate::error::AppError;
use axum::extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection};
use axum::http::{StatusCode, request::Parts};
use serde::de::DeserializeOwned;

/// A JSON body. Wrong content type → 415, oversized → 413, malformed → 400, wrong shape
/// (missing or unknown fields, wrong types) → 422.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> AppError {
    match rej.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => {
            let text = rej.body_text();
            let detail = text
                .rsplit_once(": ")
                .map_or(text.as_str(), |(_, d)| d)
                .to_owned();
            AppError::field("body", detail)
        }
        _ => AppError::BadRequest(format!("Malformed JSON: {}", rej.body_text())),
    }
}

/// Path parameters; a malformed id reads as not found.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| AppError::NotFound)
    }
}

/// Query parameters; bad ones are a 400 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| AppError::BadRequest(e.body_text()))
    }
}

/// `?limit=&offset=` with a hard maximum.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// At most 200; default 50.
    pub limit: Option<u64>,
    /// Default 0.
    pub offset: Option<u64>,
}

impl Page {
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(50).clamp(1, 200)
    }
    pub fn offset(&self) -> u64 {
        self.offset.unwrap_or(0).min(1_000_000)
    }
}

/// An optional `YYYY-MM-DD` query parameter; empty reads as absent, anything else malformed
/// is a 422 naming `field`.
pub fn date_param(
    field: &'static str,
    v: &Option<String>,
) -> Result<Option<jiff::civil::Date>, AppError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| crate::app::local_time::parse_date(field, s).map_err(AppError::from))
        .transpose()
}
