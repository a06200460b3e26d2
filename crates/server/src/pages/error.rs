//! Errors as pages: sign-in redirects, 403/404 pages, and a page with a reference number for
//! everything else.

use super::{forms::render, layout::Nav};
use crate::routes;
use crate::{error::AppError, state::AppState};
use askama::Template;
use axum::{
    extract::{FromRequestParts, Path},
    http::{HeaderValue, Method, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};

/// An `AppError` on its way to becoming an HTML page.
#[derive(Debug)]
pub struct PageError {
    err: AppError,
    /// Where to come back to after signing in.
    next: Option<String>,
}

impl From<AppError> for PageError {
    fn from(err: AppError) -> Self {
        PageError { err, next: None }
    }
}

impl PageError {
    /// Remembers the page that was asked for, so sign-in can return to it. Only GET pages
    /// can be returned to: a POST-only path would answer 405.
    pub fn at(err: AppError, parts: &Parts) -> Self {
        let next = (parts.method == Method::GET).then(|| {
            parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned())
        });
        PageError { err, next }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Nav,
    status: u16,
    heading: &'static str,
    message: String,
    reference: Option<String>,
}

/// An error page; it names the request id so support can find the log lines.
fn error_page(status: StatusCode, heading: &'static str, message: String) -> Response {
    let id = crate::error::request_id();
    let reference = (id != "-").then_some(id);
    render(
        status,
        &ErrorPage {
            nav: Nav::minimal(),
            status: status.as_u16(),
            heading,
            message,
            reference,
        },
    )
}

/// The 404 page, also used by `startup` as the fallback for paths outside `/api`.
pub fn not_found_page() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing here. The link may be mistyped, or the item may have been removed."
            .into(),
    )
}

/// `err` as the API answers it under `/api/`, else as a page: for middleware, which runs
/// before any handler has chosen.
pub fn error_for_path(path: &str, err: AppError) -> Response {
    if path.starts_with("/api/") {
        err.into_response()
    } else {
        PageError::from(err).into_response()
    }
}

fn login_redirect(next: Option<&str>) -> Response {
    super::forms::see_other(&super::forms::login_href(next.unwrap_or("/")))
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.err.status();
        match self.err {
            AppError::Unauthorized => login_redirect(self.next.as_deref()),
            AppError::NotFound => not_found_page(),
            AppError::Forbidden(msg) => error_page(status, "Not allowed", msg),
            AppError::Internal(ref cause) => {
                let id = crate::error::request_id();
                tracing::error!(request_id = %id, cause = %cause, "internal error");
                error_page(status, "Something went wrong", self.err.public_message())
            }
            ref other => {
                let heading = match other {
                    AppError::RateLimited { .. } => "Too many attempts",
                    AppError::Unavailable => "Back in a moment",
                    _ => status.canonical_reason().unwrap_or("Error"),
                };
                let mut res = error_page(status, heading, other.public_message());
                if let Some(secs) = other.retry_after() {
                    res.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                res
            }
        }
    }
}

/// Wraps an extractor that rejects with `AppError` (`CurrentUser`, `PlatformAdmin`,
/// `ClinicAdmin`, …) so that its rejection is a page: signing in sends you back here.
pub struct Page<T>(pub T);

impl<T> FromRequestParts<AppState> for Page<T>
where
    T: FromRequestParts<AppState, Rejection = AppError> + Send,
{
    type Rejection = PageError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match T::from_request_parts(parts, state).await {
            Ok(v) => Ok(Page(v)),
            Err(e) => Err(PageError::at(e, parts)),
        }
    }
}

/// Path parameters parsed into their types (`PatientId`, `(ClinicId, TokenId)`, …): a
/// malformed or wrong-typed segment is the 404 page, as if nothing were there.
pub struct PagePath<T>(pub T);

impl<T> FromRequestParts<AppState> for PagePath<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = PageError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(PagePath(v)),
            Err(_) => Err(AppError::NotFound.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(res: &Response) -> &str {
        res.headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[test]
    fn unauthorized_redirects_to_sign_in_with_the_page_asked_for() {
        let res = PageError {
            err: AppError::Unauthorized,
            next: Some("/account?x=1".into()),
        }
        .into_response();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login?next=%2Faccount%3Fx%3D1");
        let res = PageError::from(AppError::Unauthorized).into_response();
        assert_eq!(location(&res), "/login");
    }

    #[test]
    fn errors_keep_their_status_as_pages() {
        for (err, want) in [
            (AppError::NotFound, StatusCode::NOT_FOUND),
            (AppError::Forbidden("no".into()), StatusCode::FORBIDDEN),
            (
                AppError::Internal("db down".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (AppError::Conflict("taken".into()), StatusCode::CONFLICT),
        ] {
            let res = PageError::from(err).into_response();
            assert_eq!(res.status(), want);
            let ct = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert!(ct.starts_with("text/html"), "content type {ct}");
        }
    }
}
