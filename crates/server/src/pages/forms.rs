//! What every page shares: rendering, inline form errors, lenient extractors, redirects and
//! timestamp formatting.

use super::error::PageError;
use crate::error::{AppError, FieldError};
use askama::Template;
use axum::{
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Response},
};
use serde::de::DeserializeOwned;

/// Renders a template with `status`. A template that fails to render is logged and shown as
/// a plain error page, never a panic.
pub fn render<T: Template>(status: StatusCode, tpl: &T) -> Response {
    match tpl.render() {
        Ok(body) => {
            let mut res = (status, Html(body)).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => {
            tracing::error!(request_id = %crate::error::request_id(), error = %e, "template failed to render");
            let body =
                "<!doctype html><title>Error</title><h1>Something went wrong on our side.</h1>";
            (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response()
        }
    }
}

/// A `303 See Other` to `to`, the answer to every successful POST.
pub fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    let loc = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    res.headers_mut().insert(header::LOCATION, loc);
    res
}

/// A redirect that also sets (or clears) cookies.
pub fn see_other_with_cookies(
    to: &str,
    cookies: impl IntoIterator<Item = HeaderValue>,
) -> Response {
    let mut res = see_other(to);
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// A readable UTC time such as `2026-11-22 14:05 UTC`.
pub fn fmt_ts(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// The sign-in page, coming back to `next` afterwards.
pub fn login_href(next: &str) -> String {
    if next == "/" {
        return "/login".to_owned();
    }
    let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    format!("{}?{q}", crate::routes::login())
}

/// A post-login target: a relative path on this site, or `/`. Refuses `//host`, `/\host`,
/// absolute URLs and control characters, which browsers could follow off-site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 512
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// One option of a `<select>` (the `choose` macro in `forms.html`).
pub struct Choice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// Inline form errors: per field, plus messages shown at the top of the form.
#[derive(Debug, Default)]
pub struct Errors {
    fields: Vec<(String, String)>,
    pub top: Vec<String>,
}

/// A form field's name and the label its messages start with.
pub type Label = (&'static str, &'static str);

/// Makes a domain message (`is required`) a sentence (`Name is required.`).
fn sentence(label: &str, message: &str) -> String {
    let starts_lower = message.chars().next().is_some_and(|c| c.is_lowercase());
    let mut s = if starts_lower {
        format!("{label} {message}")
    } else {
        message.to_owned()
    };
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

impl Errors {
    /// Maps field errors onto the form's fields; those it has no field for go to the top.
    pub fn from_fields(list: &[FieldError], labels: &[Label]) -> Self {
        let mut e = Errors::default();
        for f in list {
            match labels.iter().find(|(name, _)| *name == f.field) {
                Some((name, label)) => e.add(name, sentence(label, &f.message)),
                None => e.top.push(sentence(&f.field.replace('_', " "), &f.message)),
            }
        }
        e
    }

    /// Records a domain rule's complaint, if any. Used when a form stops before its use case
    /// (passwords that differ) so that it still shows every other problem at once.
    pub fn add_domain(&mut self, labels: &[Label], err: Option<domain::DomainError>) {
        if let Some(e) = err {
            let fe = FieldError {
                field: e.field.into(),
                message: e.message,
            };
            let more = Errors::from_fields(&[fe], labels);
            self.fields.extend(more.fields);
            self.top.extend(more.top);
        }
    }

    /// Records a message on `field`; the first one per field is shown.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push((field.to_owned(), message.into()));
    }

    /// The message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.top.is_empty()
    }

    /// The ids an input's `aria-describedby` should name.
    pub fn described_by(&self, field: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("f-{field}-hint"));
        }
        if self.has(field) {
            ids.push(format!("f-{field}-error"));
        }
        ids.join(" ")
    }
}

/// How a page answers: its status and, when rate limited, how long to wait.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub status: StatusCode,
    pub retry_after: Option<u64>,
}

impl Outcome {
    pub const OK: Outcome = Outcome {
        status: StatusCode::OK,
        retry_after: None,
    };
    pub const INVALID: Outcome = Outcome {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        retry_after: None,
    };

    pub fn render<T: Template>(self, tpl: &T) -> Response {
        let mut res = render(self.status, tpl);
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// Turns a use case's error into what the form shows. Errors a form cannot explain
/// (internal, forbidden, not found, unauthorized) become an error page.
pub fn failure(err: AppError, labels: &[Label]) -> Result<(Outcome, Errors), PageError> {
    match err {
        AppError::Validation(list) => Ok((Outcome::INVALID, Errors::from_fields(&list, labels))),
        AppError::RateLimited { retry_after_secs } => {
            let e = Errors {
                top: vec![err.public_message()],
                ..Errors::default()
            };
            Ok((
                Outcome {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    retry_after: Some(retry_after_secs),
                },
                e,
            ))
        }
        AppError::Conflict(msg) => Ok((
            Outcome {
                status: StatusCode::CONFLICT,
                retry_after: None,
            },
            Errors {
                top: vec![msg],
                ..Errors::default()
            },
        )),
        AppError::BadRequest(msg) => Ok((
            Outcome {
                status: StatusCode::BAD_REQUEST,
                retry_after: None,
            },
            Errors {
                top: vec![msg],
                ..Errors::default()
            },
        )),
        other => Err(other.into()),
    }
}

/// Why an upload was refused, as one line for the page, with its status. Errors a page
/// cannot explain become an error page.
pub fn refused_upload(err: AppError, max_upload: usize) -> Result<(Outcome, String), PageError> {
    let message = match &err {
        AppError::Validation(list) => list
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join(" "),
        AppError::TooLarge => crate::app::documents::too_large(max_upload),
        AppError::BadRequest(_) => err.public_message(),
        _ => return Err(err.into()),
    };
    let outcome = Outcome {
        status: err.status(),
        retry_after: None,
    };
    Ok((outcome, message))
}

/// `axum::Form` whose rejection is an HTML error page instead of plain text.
pub struct PageForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(PageForm(v)),
            Err(rej) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::TooLarge.into())
            }
            Err(_) => Err(AppError::BadRequest(
                "We could not read that form. Please go back and try again.".into(),
            )
            .into()),
        }
    }
}

/// A query string; anything malformed reads as the default (no parameters).
pub struct QueryOr<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequestParts<S> for QueryOr<T> {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryOr(
            Query::<T>::from_request_parts(parts, state)
                .await
                .map(|q| q.0)
                .unwrap_or_default(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_keeps_only_paths_on_this_site() {
        let cases = [
            (None, "/", "missing"),
            (Some(""), "/", "empty"),
            (Some("/account"), "/account", "plain path"),
            (
                Some("/clinics/x/staff?y=1"),
                "/clinics/x/staff?y=1",
                "path with query",
            ),
            (Some("//evil.example"), "/", "protocol-relative"),
            (Some("/\\evil.example"), "/", "backslash"),
            (Some("https://evil.example/"), "/", "absolute URL"),
            (Some("account"), "/", "relative without slash"),
            (Some("/a\nb"), "/", "control character"),
        ];
        for (input, want, why) in cases {
            assert_eq!(safe_next(input), want, "case: {why}");
        }
    }

    #[test]
    fn domain_messages_become_sentences_and_unknown_fields_go_to_the_top() {
        let list = vec![
            FieldError {
                field: "name".into(),
                message: "is required".into(),
            },
            FieldError {
                field: "email".into(),
                message: "E-mail or password is incorrect.".into(),
            },
            FieldError {
                field: "token".into(),
                message: "This link is used.".into(),
            },
        ];
        let e = Errors::from_fields(&list, &[("name", "Name"), ("email", "E-mail")]);
        assert_eq!(e.get("name"), Some("Name is required."));
        assert_eq!(e.get("email"), Some("E-mail or password is incorrect."));
        assert_eq!(e.top, vec!["This link is used.".to_owned()]);
        assert_eq!(e.described_by("name", true), "f-name-hint f-name-error");
    }

    #[test]
    fn timestamps_read_as_utc_minutes() {
        let ts: jiff::Timestamp = "2026-11-22T14:05:59Z".parse().unwrap();
        assert_eq!(fmt_ts(ts), "2026-11-22 14:05 UTC");
    }
}
