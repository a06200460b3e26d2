//! Resolves who is calling, once per request: a Bearer access token (API clients) or the
//! session cookies (browsers). A browser whose access cookie has expired is refreshed here,
//! transparently, by rotating its refresh cookie.

use super::cookies;
use super::extract::RequestCtx;
use crate::{app::sessions, state::AppState};
use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};
use std::sync::Arc;
use store::{sessions::Session, users::User};

/// The authenticated caller.
#[derive(Debug)]
pub struct Identity {
    pub user: User,
    pub session: Session,
}

/// What the middleware found; read by the extractors.
#[derive(Clone, Default)]
pub struct Resolved(pub Option<Arc<Identity>>);

/// Who is calling, from where: for audit events and rate limits.
#[derive(Debug, Clone)]
pub struct ClientMeta {
    pub ip: String,
    pub user_agent: String,
}

fn bearer(req: &Request) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/static/") || path == "/healthz" || path == "/metrics" {
        return next.run(req).await;
    }
    let mut set_cookies: Vec<HeaderValue> = Vec::new();
    let resolved = if let Some(token) = bearer(&req) {
        sessions::identify_access(&state, &token)
            .await
            .ok()
            .flatten()
    } else {
        let access = cookies::get(req.headers(), cookies::ACCESS);
        let mut found = match access {
            Some(a) if !a.is_empty() => sessions::identify_access(&state, &a).await.ok().flatten(),
            _ => None,
        };
        if found.is_none()
            && let Some(refresh) =
                cookies::get(req.headers(), cookies::REFRESH).filter(|r| !r.is_empty())
        {
            let ctx = RequestCtx::from_meta(req.extensions().get::<ClientMeta>());
            match sessions::refresh_for_browser(&state, &ctx, &refresh).await {
                Ok(Some((ident, tokens))) => {
                    set_cookies.extend(sessions::session_cookies(&state, &tokens));
                    found = Some(ident);
                }
                _ => set_cookies.extend(cookies::clear(state.settings().tls)),
            }
        }
        found
    };
    req.extensions_mut()
        .insert(Resolved(resolved.map(Arc::new)));
    let mut res = next.run(req).await;
    for c in set_cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}
