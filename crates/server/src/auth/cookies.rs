//! The browser's session cookies.

use axum::http::{HeaderMap, HeaderValue, header};

pub const ACCESS: &str = "ds_access";
pub const REFRESH: &str = "ds_refresh";

/// The value of cookie `name` in a request.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure over TLS.
pub fn set(name: &str, value: &str, max_age_secs: i64, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` values that clear both session cookies.
/// What a browser drops at sign-out besides the cookies: the pages the service worker kept
/// for offline reading (and the worker itself, which the next page registers again).
pub fn clear_site_data() -> HeaderValue {
    HeaderValue::from_static("\"cache\", \"storage\"")
}

pub fn clear(tls: bool) -> [HeaderValue; 2] {
    [set(ACCESS, "", 0, tls), set(REFRESH, "", 0, tls)]
}
