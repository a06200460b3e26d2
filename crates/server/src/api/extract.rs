//! Request extractors whose failures are problem+json, never axum's plain-text rejections.

use crate::error::AppError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

/// A JSON body. Wrong content type → 415, oversized → 413, malformed → 400, wrong shape
/// (missing or unknown fields, wrong types) → 422 naming the field and what it expects.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let body = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge
            } else {
                AppError::BadRequest("The request body could not be read.".into())
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&body);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(&e))?;
        de.end()
            .map_err(|e| AppError::BadRequest(format!("Malformed JSON: {e}")))?;
        Ok(ApiJson(value))
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// A body that is not JSON is a 400; JSON of the wrong shape names the field at fault.
fn json_error(e: &serde_path_to_error::Error<serde_json::Error>) -> AppError {
    use serde_json::error::Category;
    let inner = e.inner();
    if !matches!(inner.classify(), Category::Data) {
        return AppError::BadRequest(format!("Malformed JSON: {inner}"));
    }
    let msg = inner.to_string();
    // serde appends " at line L column C"; the field name says where.
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m);
    let path = e.path().to_string();
    let at = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let quoted = |m: &str| m.split('`').nth(1).unwrap_or("").to_owned();
    let (field, message) = if msg.starts_with("missing field") {
        (at(&quoted(msg)), "is required.".to_owned())
    } else if msg.starts_with("unknown field") {
        // The path already ends at the unknown field.
        (path, "is not a field of this request.".to_owned())
    } else {
        let field = if path == "." { "body".to_owned() } else { path };
        (field, expectation(msg))
    };
    AppError::field(&field, message)
}

/// What a field should hold, in words, from serde's message about what it held.
fn expectation(msg: &str) -> String {
    if msg.contains("UUID") {
        return "must be an id (a UUID such as 0190c3f2-7d1e-7a3b-9c4d-5e6f70819a2b).".into();
    }
    match msg.split_once(", expected ") {
        Some((got, want)) => {
            let got = got
                .trim_start_matches("invalid type: ")
                .trim_start_matches("invalid value: ")
                .trim_start_matches("invalid length ");
            format!("must be {want} (got {got}).")
        }
        None => format!("is not valid: {msg}."),
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
#[into_params(parameter_in = Query)]
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
