//! Snapshot assertions (insta) for both databases' cases. Snapshots have explicit names and
//! no module prefix, so `name::sqlite` and `name::postgres` compare against one file in
//! `snapshots/` and must answer alike. Values that change from run to run (request ids,
//! ids, one-time tokens, reference codes) are redacted; times come from the fixed clock.
//!
//! With CI=true a missing or different snapshot fails the test and nothing is written.
//! Locally insta writes `snapshots/NAME.snap.new` beside it and fails: read it, then accept
//! it with `cargo insta review` or by renaming it to `NAME.snap`
//! (`INSTA_UPDATE=always` writes accepted snapshots directly).

use crate::helpers::Resp;
use axum::http::header;

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path("snapshots");
    s.set_omit_expression(true);
    s
}

/// Pins the problem+json body of `r` as snapshot `name`.
pub fn problem(name: &str, r: &Resp) {
    assert_eq!(
        r.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "{name}: {}",
        r.text
    );
    settings().bind(|| {
        insta::assert_json_snapshot!(name, r.body, {
            ".request_id" => "[request id]",
            ".duplicates[].id" => "[id]",
        });
    });
}

/// Pins the subject and text of the delivered e-mail `eml` as snapshot `name`.
pub fn mail(name: &str, eml: &str) {
    let (subject, body) = mail_text(eml);
    let text = redact(&format!("Subject: {subject}\n\n{body}"));
    settings().bind(|| insta::assert_snapshot!(name, text));
}

/// The subject and the text of a delivered `.eml`: headers unfolded, the text/plain part of
/// a multipart message, quoted-printable or base64 undone.
pub fn mail_text(eml: &str) -> (String, String) {
    let eml = eml.replace("\r\n", "\n");
    let (head, body) = eml.split_once("\n\n").unwrap_or((&eml, ""));
    let head = head.replace("\n ", " ").replace("\n\t", " ");
    let subject = decode_words(&header(&head, "subject").unwrap_or_default());
    (subject, text_part(&head, body))
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

fn text_part(head: &str, body: &str) -> String {
    let kind = header(head, "content-type").unwrap_or_default();
    if kind.to_ascii_lowercase().starts_with("multipart/") {
        let boundary = kind
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .map(|b| b.trim_matches('"').to_owned())
            .expect("a multipart message names its boundary");
        return body
            .split(&format!("--{boundary}"))
            .filter_map(|part| part.trim_start_matches('\n').split_once("\n\n"))
            .map(|(h, b)| (h.replace("\n ", " ").replace("\n\t", " "), b))
            .find(|(h, _)| {
                header(h, "content-type")
                    .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/plain"))
            })
            .map(|(h, b)| text_part(&h, b.trim_end()))
            .expect("a text/plain part");
    }
    let bytes = match header(head, "content-transfer-encoding")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "quoted-printable" => quoted_printable(body),
        "base64" => base64(body),
        _ => body.as_bytes().to_vec(),
    };
    String::from_utf8(bytes).expect("a UTF-8 text part")
}

fn quoted_printable(s: &str) -> Vec<u8> {
    let s = s.replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn base64(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// A header with RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded.
fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("=?") {
        let Some(end) = rest[start + 2..].find("?=").map(|e| start + 2 + e) else {
            break;
        };
        let mut word = rest[start + 2..end].splitn(3, '?');
        let (_, enc, text) = (word.next(), word.next(), word.next());
        let bytes = match (enc.map(str::to_ascii_lowercase).as_deref(), text) {
            (Some("b"), Some(t)) => base64(t),
            (Some("q"), Some(t)) => quoted_printable(&t.replace('_', " ")),
            _ => break,
        };
        // Whitespace between two encoded words is not part of the text.
        let between = &rest[..start];
        if !between.trim().is_empty() || out.is_empty() {
            out.push_str(between);
        }
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `text` with ids (`[uuid]`), one-time tokens (`[token]`) and reference codes
/// (`[reference]`) blanked out.
pub fn redact(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("Reference:") {
            let pad = &rest[..rest.len() - rest.trim_start().len()];
            out.push_str(&format!("Reference:{pad}[reference]\n"));
            continue;
        }
        let mut run = String::new();
        for c in line.chars() {
            if c.is_ascii_hexdigit() || c == '-' {
                run.push(c);
            } else {
                out.push_str(&redact_run(&run));
                run.clear();
                out.push(c);
            }
        }
        out.push_str(&redact_run(&run));
    }
    out
}

fn redact_run(run: &str) -> String {
    let is_uuid = run.len() == 36
        && run
            .char_indices()
            .all(|(i, c)| (c == '-') == matches!(i, 8 | 13 | 18 | 23));
    if is_uuid {
        "[uuid]".into()
    } else if run.len() >= 32 && !run.contains('-') {
        "[token]".into()
    } else {
        run.to_owned()
    }
}
