//! Timestamped HMAC signatures over a raw body, the scheme Stripe's webhooks use and the
//! one DocSpot signs with where it defines the protocol (the generic SMS gateway's status
//! callbacks): a header `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, accepted
//! within five minutes of `now`. Several `v1` entries may stand side by side while a
//! secret is being rotated; one match is enough.

use jiff::Timestamp;

/// How old (or how far ahead) a signed body may be, in seconds.
pub const TOLERANCE_SECS: i64 = 300;

/// HMAC-SHA256 of `message` under `key`, hex.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Compares two signatures in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn signed(t: i64, body: &[u8]) -> Vec<u8> {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    signed
}

/// The signature header for `body` signed under `secret` at `t`.
pub fn header(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hmac_hex(secret.as_bytes(), &signed(t, body)))
}

/// Checks `header` against `body`: a `t` within the tolerance of `now` and one `v1` that
/// matches. The error says what is wrong, for the refusal.
pub fn check(secret: &str, header: &str, body: &[u8], now: Timestamp) -> Result<(), String> {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(v),
            _ => {}
        }
    }
    let t = t.ok_or("no timestamp")?;
    if v1.is_empty() {
        return Err("no v1 signature".into());
    }
    if (now.as_second() - t).abs() > TOLERANCE_SECS {
        return Err("timestamp outside the tolerance".into());
    }
    let want = hmac_hex(secret.as_bytes(), &signed(t, body));
    if v1.iter().any(|s| same(s, &want)) {
        Ok(())
    } else {
        Err("no signature matches".into())
    }
}

#[cfg(test)]
mod tests {
    use super::{check, header};

    #[test]
    fn a_signature_holds_only_for_its_body_secret_and_time() {
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let t = now.as_second();
        let h = header("whsec_test", t, b"{}");
        assert!(check("whsec_test", &h, b"{}", now).is_ok());
        let rotated = format!("{h},v1={}", "0".repeat(64));
        assert!(check("whsec_test", &rotated, b"{}", now).is_ok());
        assert!(check("whsec_other", &h, b"{}", now).is_err());
        assert!(check("whsec_test", &h, b"{ }", now).is_err());
        let late = now + jiff::SignedDuration::from_secs(301);
        assert!(check("whsec_test", &h, b"{}", late).is_err());
        assert!(check("whsec_test", "v1=abc", b"{}", now).is_err());
        assert!(check("whsec_test", &format!("t={t}"), b"{}", now).is_err());
    }
}
