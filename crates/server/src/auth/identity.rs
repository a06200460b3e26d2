//! Resolves who is calling, once per request: a Bearer access token (API clients) or the
//! session cookies (browsers). A browser whose access cookie has expired is refreshed here,
//! transparently, by rotating its refresh cookie.

use super::cookies;
use super::extract::RequestCtx;
use crate::{app::sessions, error::AppResult, state::AppState};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use domain::ClinicId;
use std::sync::Arc;
use store::{
    sessions::{ClinicAt, Session},
    users::User,
};

/// The authenticated caller.
#[derive(Debug)]
pub struct Identity {
    pub user: User,
    pub session: Session,
}

/// What the middleware found; read by the extractors.
#[derive(Clone, Default)]
pub struct Resolved(pub Option<Arc<Identity>>);

/// The clinic a clinic-scoped path names, and the caller's roles there (`None`: no such
/// clinic), read with the session so that the extractors need not read them again. They
/// use it only when the route's `{clinic_id}` is the same clinic.
#[derive(Clone)]
pub struct ClinicRead(pub ClinicId, pub ClinicAt);

/// The clinic of a clinic-scoped path (`/clinics/{id}/…`, `/api/v1/clinics/{id}/…`), to
/// read beside the session.
fn clinic_in(path: &str) -> Option<ClinicId> {
    let rest = path.strip_prefix("/api/v1").unwrap_or(path);
    rest.strip_prefix("/clinics/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// Who is calling, from where: for audit events and rate limits.
#[derive(Debug, Clone)]
pub struct ClientMeta {
    pub ip: String,
    pub user_agent: String,
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Resolves the caller and runs the request. A database that cannot be read answers 503
/// (never 401, which would make clients drop a valid session) and keeps the cookies.
pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/static/") || path == "/healthz" || path == "/metrics" {
        return next.run(req).await;
    }
    let mut set_cookies: Vec<HeaderValue> = Vec::new();
    let ctx = RequestCtx::from_meta(req.extensions().get::<ClientMeta>());
    let clinic = clinic_in(path);
    let resolved = match resolve(&state, req.headers(), clinic, &ctx, &mut set_cookies).await {
        Ok(r) => r,
        Err(e) => return crate::pages::error_for_path(req.uri().path(), e),
    };
    let (ident, at) = match resolved {
        Some((ident, at)) => (Some(Arc::new(ident)), at),
        None => (None, None),
    };
    if let (Some(id), Some(at)) = (clinic, at) {
        req.extensions_mut().insert(ClinicRead(id, at));
    }
    req.extensions_mut().insert(Resolved(ident));
    let mut res = next.run(req).await;
    for c in set_cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// The caller of `req`: a Bearer token, else the access cookie, else a refreshed browser
/// session (whose new cookies go to `set_cookies`); with an access token, also `clinic`
/// and the caller's roles there. Only a failing database is an error.
async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    clinic: Option<ClinicId>,
    ctx: &RequestCtx,
    set_cookies: &mut Vec<HeaderValue>,
) -> AppResult<Option<(Identity, Option<ClinicAt>)>> {
    if let Some(token) = bearer(headers) {
        return sessions::identify_access_at(state, &token, clinic).await;
    }
    if let Some(a) = cookies::get(headers, cookies::ACCESS).filter(|a| !a.is_empty())
        && let Some(found) = sessions::identify_access_at(state, &a, clinic).await?
    {
        return Ok(Some(found));
    }
    let Some(refresh) = cookies::get(headers, cookies::REFRESH).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    Ok(
        match sessions::refresh_for_browser(state, ctx, &refresh).await? {
            Some((ident, tokens)) => {
                set_cookies.extend(sessions::session_cookies(state, &tokens));
                Some((ident, None))
            }
            None => {
                set_cookies.extend(cookies::clear(state.settings().tls));
                None
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::clinic_in;

    #[test]
    fn the_clinic_read_with_the_session_is_the_one_a_clinic_path_names() {
        let id = domain::ClinicId::new();
        for path in [
            format!("/api/v1/clinics/{id}/appointments"),
            format!("/clinics/{id}/queue"),
            format!("/clinics/{id}"),
        ] {
            assert_eq!(clinic_in(&path), Some(id), "{path}");
        }
        for path in [
            format!("/api/v1/me/clinics/{id}"),
            format!("/documents/{id}/x"),
            "/clinics/sunrise/book".to_owned(),
            "/api/v1/clinics/".to_owned(),
            "/api/v1/clinics".to_owned(),
        ] {
            assert_eq!(clinic_in(&path), None, "{path}");
        }
    }
}
