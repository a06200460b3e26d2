//! Reading what the server sent outside HTTP answers: e-mails (quoted-printable) and PDFs.

/// A mail with quoted-printable soft line breaks and `=3D` undone.
pub fn quoted_printable_flat(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// The 64-hex-digit token after `marker` in a mail body (quoted-printable safe).
pub fn token_after(mail: &str, marker: &str) -> String {
    let flat = quoted_printable_flat(mail);
    let start = flat
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in mail"))
        + marker.len();
    flat[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

/// The text of a PDF as poppler's `pdftotext` reads it (layout kept). Without `pdftotext`
/// on PATH: a failure under CI, else `None` and a line saying the check was skipped.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    use std::io::Write;
    let child = std::process::Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var("CI").is_err(),
                "CI is set but pdftotext cannot run ({e}): apt-get install poppler-utils"
            );
            eprintln!(
                "SKIPPED PDF text check: pdftotext is missing (apt-get install poppler-utils)"
            );
            return None;
        }
    };
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
