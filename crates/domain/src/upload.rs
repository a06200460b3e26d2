//! Uploaded documents: what a file really is (from its bytes, never its name or the
//! browser's word), a safe name to store and serve it under, and what it is about.

use crate::DomainError;
use crate::wire::labelled_enum;
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// A file type DocSpot accepts, as recognised from the file's content.
    DocKind, field = "kind" {
        /// A PDF document.
        Pdf => "pdf", "PDF document",
        /// A JPEG photo or scan.
        Jpeg => "jpeg", "JPEG image",
        /// A PNG image.
        Png => "png", "PNG image",
    }
);

impl DocKind {
    /// The MIME type to serve the file with.
    pub fn content_type(self) -> &'static str {
        match self {
            DocKind::Pdf => "application/pdf",
            DocKind::Jpeg => "image/jpeg",
            DocKind::Png => "image/png",
        }
    }

    /// The file-name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            DocKind::Pdf => "pdf",
            DocKind::Jpeg => "jpg",
            DocKind::Png => "png",
        }
    }

    /// Extensions people use for this kind, lower-case.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            DocKind::Pdf => &["pdf"],
            DocKind::Jpeg => &["jpg", "jpeg", "jpe"],
            DocKind::Png => &["png"],
        }
    }
}

labelled_enum!(
    /// What an uploaded document is about.
    DocCategory, field = "category" {
        /// A laboratory report.
        Report => "report", "Lab report",
        /// An X-ray, scan or other image study.
        Imaging => "imaging", "Imaging (X-ray, scan)",
        /// A prescription.
        Prescription => "prescription", "Prescription",
        /// A referral letter.
        Referral => "referral", "Referral letter",
        /// Anything else.
        Other => "other", "Other",
    }
);

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_SIGNATURE: &[u8] = b"\xFF\xD8\xFF";
const PDF_MARKER: &[u8] = b"%PDF-";
/// PDF readers look for the header this far into the file.
const PDF_HEADER_WINDOW: usize = 1024;
/// Browsers sniff this far for markup, so that is how far markup is refused.
const MARKUP_WINDOW: usize = 512;
const MARKUP: &[&[u8]] = &[
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<!doctype",
    b"<svg",
];

/// A size limit as people read it: `512 bytes`, `300 KB`, `1.5 MB`, `10 MB` (1 KB = 1024
/// bytes), never rounded down to zero.
pub fn size_label(bytes: usize) -> String {
    const KB: usize = 1024;
    const MB: usize = 1024 * 1024;
    let one_decimal = |n: usize, unit: usize, name: &str| {
        let tenths = (n * 10 + unit / 2) / unit;
        if tenths.is_multiple_of(10) {
            format!("{} {name}", tenths / 10)
        } else {
            format!("{}.{} {name}", tenths / 10, tenths % 10)
        }
    };
    if bytes < KB {
        format!("{bytes} bytes")
    } else if bytes < MB {
        one_decimal(bytes, KB, "KB")
    } else {
        one_decimal(bytes, MB, "MB")
    }
}

/// Recognises a PDF, JPEG or PNG from its bytes alone.
///
/// PNG and JPEG must start with their signatures. A PDF must have `%PDF-` within its first
/// 1024 bytes, as PDF readers allow, with no `<` before it, so a web page that merely
/// mentions `%PDF-` is refused. Anything whose first 512 bytes contain HTML, script or SVG
/// markup is refused even with a valid signature, since a browser might run it.
pub fn sniff(bytes: &[u8]) -> Option<DocKind> {
    let head = &bytes[..bytes.len().min(MARKUP_WINDOW)];
    let lower = head.to_ascii_lowercase();
    if MARKUP.iter().any(|m| contains(&lower, m)) {
        return None;
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return Some(DocKind::Png);
    }
    if bytes.starts_with(JPEG_SIGNATURE) {
        return Some(DocKind::Jpeg);
    }
    let window = &bytes[..bytes.len().min(PDF_HEADER_WINDOW)];
    let at = window
        .windows(PDF_MARKER.len())
        .position(|w| w == PDF_MARKER)?;
    (!window[..at].contains(&b'<')).then_some(DocKind::Pdf)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The longest stem `safe_file_name` keeps, in characters.
pub const MAX_STEM: usize = 80;

/// A file name that is safe to store and offer for download, from the name the browser
/// sent and the kind sniffed from the content.
///
/// Only the part after the last `/` or `\` is kept. Control characters are dropped and any
/// character other than `A–Z a–z 0–9 space . _ -` becomes `_` (a run of them one `_`).
/// Leading dots, spaces and hyphens are removed, so the name cannot be hidden, `..` or look
/// like a command option. The last extension the user gave is removed, and so is a second
/// one if it already names the sniffed kind (`report.pdf.html` → `report.pdf`); the stem is
/// cut to 80 characters and the sniffed kind's extension added. A name with no letter or
/// digit left becomes `document`.
pub fn safe_file_name(raw: &str, kind: DocKind) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut cleaned = String::with_capacity(base.len());
    let mut last_replaced = false;
    for c in base.chars().filter(|c| !c.is_control()) {
        if c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-') {
            cleaned.push(c);
            last_replaced = false;
        } else if !last_replaced {
            cleaned.push('_');
            last_replaced = true;
        }
    }
    let name = cleaned.trim_start_matches([' ', '.', '-']).trim_end();
    let mut stem = split_extension(name).0;
    if let (s, Some(ext)) = split_extension(stem)
        && kind
            .extensions()
            .iter()
            .any(|e| e.eq_ignore_ascii_case(ext))
    {
        stem = s;
    }
    // Only ASCII is left, so cutting at a byte index is cutting at a character.
    let stem = stem[..stem.len().min(MAX_STEM)].trim_end_matches([' ', '.']);
    let stem = if stem.bytes().any(|b| b.is_ascii_alphanumeric()) {
        stem
    } else {
        "document"
    };
    format!("{stem}.{}", kind.extension())
}

/// Splits `name` into stem and extension when it ends in `.` and 1–8 letters or digits.
fn split_extension(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && (1..=8).contains(&ext.len())
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            (stem, Some(ext))
        }
        _ => (name, None),
    }
}
