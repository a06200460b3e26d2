//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 30-second
//! steps, 6 digits, as every authenticator app reads an `otpauth://totp/` link. A code is
//! taken one step either side of now (clock drift), and never twice: the step it matched
//! must be later than the last one used. Secrets are 160 random bits, shown to the person
//! once as base32 (RFC 4648, no padding).

use rand::RngCore;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A fresh secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// `bytes` in base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            let index = (bits >> (35 - i * 5)) & 31;
            out.push(BASE32[index as usize] as char);
        }
    }
    out
}

/// Reads base32 (any case, spaces ignored); `None` where it is not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = BASE32
            .iter()
            .position(|b| *b as char == c.to_ascii_uppercase())? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The step `unix` seconds fall in.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECS)
}

/// The HOTP code of `secret` at counter `step`, zero-padded.
pub fn code_at(secret: &[u8], step: i64) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!(
        "{:0width$}",
        binary % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The step `code` matches at `unix` (one step either side), if it is later than
/// `last_step`. Compared in constant time.
pub fn check(secret: &[u8], code: &str, unix: i64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix);
    let mut matched = None;
    for step in [now - 1, now, now + 1] {
        if crate::signing::same(&code_at(secret, step), &code)
            && last_step.is_none_or(|last| step > last)
        {
            matched = Some(step);
        }
    }
    matched
}

/// The `otpauth://` link an authenticator app scans: the account under `issuer`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_rfc_6238s_sha1_vectors() {
        // RFC 6238, appendix B: the 8-digit codes end in these 6 digits.
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, step_of(t)), code, "at {t}");
        }
        // RFC 4226, appendix D.
        assert_eq!(code_at(secret, 0), "755224");
        assert_eq!(code_at(secret, 9), "520489");
    }

    #[test]
    fn a_code_is_taken_one_step_either_side_and_once() {
        let secret = b"12345678901234567890";
        let t = 1_111_111_111;
        let code = code_at(secret, step_of(t));
        assert_eq!(check(secret, &code, t, None), Some(step_of(t)));
        assert_eq!(check(secret, &code, t + 30, None), Some(step_of(t)));
        assert_eq!(check(secret, &code, t - 30, None), Some(step_of(t)));
        assert_eq!(check(secret, &code, t + 90, None), None);
        assert_eq!(check(secret, &code, t, Some(step_of(t))), None, "used");
        assert_eq!(check(secret, "12345", t, None), None);
        assert_eq!(check(secret, "abcdef", t, None), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(check(secret, &spaced, t, None), Some(step_of(t)));
    }

    #[test]
    fn base32_reads_back_and_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(from_base32("mzxw 6ytb oi").unwrap(), b"foobar");
        assert!(from_base32("M1").is_none());
        let s = new_secret();
        assert_eq!(from_base32(&base32(&s)).unwrap(), s);
        assert!(
            otpauth_uri("Sunrise Clinic", "a@b.test", &s)
                .starts_with("otpauth://totp/Sunrise%20Clinic:a%40b.test?secret=")
        );
    }
}
