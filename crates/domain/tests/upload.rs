//! Uploaded files: recognising PDF, JPEG and PNG by content, refusing markup, and safe
//! names.

use docspot_domain::upload::{DocCategory, DocKind, MAX_STEM, safe_file_name, size_label, sniff};

const PDF: &[u8] =
    b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
trailer\n<< /Root 1 0 R >>\n%%EOF\n";
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\
\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x00IEND\xaeB`\x82";

fn with_prefix(prefix: &[u8], body: &[u8]) -> Vec<u8> {
    [prefix, body].concat()
}

#[test]
fn real_pdf_jpeg_and_png_files_are_recognised() {
    assert_eq!(sniff(PDF), Some(DocKind::Pdf));
    assert_eq!(sniff(JPEG), Some(DocKind::Jpeg));
    assert_eq!(sniff(PNG), Some(DocKind::Png));
}

#[test]
fn a_pdf_header_may_follow_junk_within_the_first_kilobyte() {
    let junk = vec![b' '; 1024 - 5];
    assert_eq!(sniff(&with_prefix(&junk, PDF)), Some(DocKind::Pdf));
    let too_much = vec![b' '; 1024 - 4];
    assert_eq!(sniff(&with_prefix(&too_much, PDF)), None);
    assert_eq!(
        sniff(&with_prefix(b"\xEF\xBB\xBF", PDF)),
        Some(DocKind::Pdf),
        "a byte-order mark before the header is fine"
    );
}

#[test]
fn files_that_are_not_pdf_jpeg_or_png_are_refused() {
    let cases: &[(&str, &[u8])] = &[
        ("empty", b""),
        ("plain text", b"Patient: A. Rao\nHb 13.2 g/dL\n"),
        ("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        ("zip / docx", b"PK\x03\x04\x14\x00\x06\x00"),
        ("truncated png signature", b"\x89PNG\r\n"),
        ("two jpeg bytes", b"\xFF\xD8"),
        ("pdf marker without the dash", b"%PDF1.4\n"),
    ];
    for (name, bytes) in cases {
        assert_eq!(sniff(bytes), None, "{name}");
    }
}

#[test]
fn an_html_page_renamed_to_pdf_is_refused() {
    let page = b"<!DOCTYPE html><html><body>Download %PDF-1.7 here</body></html>";
    assert_eq!(sniff(page), None);
    let no_markers = b"<p>see %PDF-1.7</p>";
    assert_eq!(
        sniff(no_markers),
        None,
        "a '<' before the PDF header is refused"
    );
}

#[test]
fn polyglots_with_a_valid_signature_and_markup_are_refused() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "png + script",
            with_prefix(PNG, b"<script>alert(1)</script>"),
        ),
        ("jpeg + html", with_prefix(JPEG, b"<HTML><body>")),
        ("pdf + svg", with_prefix(PDF, b"<svg onload=alert(1)>")),
        (
            "pdf + doctype",
            with_prefix(b"%PDF-1.7\n", b"<!doctype html>"),
        ),
        ("jpeg + iframe", with_prefix(JPEG, b"<IFRAME src=x>")),
    ];
    for (name, bytes) in cases {
        assert_eq!(sniff(&bytes), None, "{name}");
    }
}

#[test]
fn markup_after_the_first_512_bytes_does_not_refuse_a_file() {
    let mut bytes = PNG.to_vec();
    bytes.resize(512, 0);
    bytes.extend_from_slice(b"<script>");
    assert_eq!(sniff(&bytes), Some(DocKind::Png));
}

#[test]
fn kinds_know_their_content_type_extension_and_wire_name() {
    let table = [
        (DocKind::Pdf, "application/pdf", "pdf", "pdf"),
        (DocKind::Jpeg, "image/jpeg", "jpg", "jpeg"),
        (DocKind::Png, "image/png", "png", "png"),
    ];
    for (kind, content_type, extension, wire) in table {
        assert_eq!(kind.content_type(), content_type);
        assert_eq!(kind.extension(), extension);
        assert_eq!(kind.as_str(), wire);
        assert_eq!(wire.parse::<DocKind>(), Ok(kind));
    }
    assert_eq!(DocKind::ALL.len(), 3);
    assert_eq!("gif".parse::<DocKind>().unwrap_err().field, "kind");
}

#[test]
fn categories_parse_from_their_wire_names_and_have_labels() {
    for c in DocCategory::ALL {
        assert_eq!(c.as_str().parse::<DocCategory>(), Ok(*c));
        assert!(!c.label().is_empty());
    }
    assert_eq!(DocCategory::Report.label(), "Lab report");
    assert_eq!(DocCategory::Referral.label(), "Referral letter");
    let err = "x-ray".parse::<DocCategory>().unwrap_err();
    assert_eq!(err.field, "category");
    assert!(
        err.message
            .contains("report, imaging, prescription, referral, other")
    );
}

#[test]
fn file_names_are_made_safe() {
    let cases = [
        ("../../etc/passwd", DocKind::Pdf, "passwd.pdf"),
        ("C:\\x\\scan 1.JPG", DocKind::Jpeg, "scan 1.jpg"),
        ("report.pdf.html", DocKind::Pdf, "report.pdf"),
        ("scan.jpg.pdf", DocKind::Pdf, "scan.jpg.pdf"),
        ("photo.jpeg", DocKind::Jpeg, "photo.jpg"),
        ("photo.png", DocKind::Jpeg, "photo.jpg"),
        (
            "CBC report 2026-03-02.pdf",
            DocKind::Pdf,
            "CBC report 2026-03-02.pdf",
        ),
        ("Dr. Rao letter", DocKind::Pdf, "Dr. Rao letter.pdf"),
        (".bashrc", DocKind::Png, "bashrc.png"),
        ("..", DocKind::Pdf, "document.pdf"),
        ("...pdf", DocKind::Pdf, "pdf.pdf"),
        ("", DocKind::Pdf, "document.pdf"),
        ("uploads/", DocKind::Pdf, "document.pdf"),
        ("-rf.pdf", DocKind::Pdf, "rf.pdf"),
        ("a\u{0}b\r\nc.pdf", DocKind::Pdf, "abc.pdf"),
        ("x<script>.pdf", DocKind::Pdf, "x_script_.pdf"),
        ("  spaced  .png ", DocKind::Png, "spaced.png"),
        ("résumé.pdf", DocKind::Pdf, "r_sum_.pdf"),
        ("血液検査.pdf", DocKind::Pdf, "document.pdf"),
        ("رپورٹ 🩺 scan.png", DocKind::Png, "_ _ scan.png"),
    ];
    for (raw, kind, want) in cases {
        assert_eq!(safe_file_name(raw, kind), want, "{raw:?}");
    }
}

#[test]
fn long_names_are_cut_to_eighty_characters_before_the_extension() {
    let name = safe_file_name(&format!("{}.pdf", "a".repeat(500)), DocKind::Pdf);
    assert_eq!(name, format!("{}.pdf", "a".repeat(MAX_STEM)));
    let name = safe_file_name(
        &format!("{}  .b.pdf", "a".repeat(MAX_STEM - 1)),
        DocKind::Pdf,
    );
    assert_eq!(
        name,
        format!("{}.pdf", "a".repeat(MAX_STEM - 1)),
        "a cut never leaves trailing spaces or dots"
    );
}

#[test]
fn safe_names_only_ever_use_the_allowed_characters() {
    let nasty = [
        "../../../../windows/system32/cmd.exe",
        "\u{202E}fdp.exe",
        "con.pdf",
        "a/b\\c/..\\..",
        "%2e%2e%2fetc%2fpasswd",
        "file\u{0}.pdf.exe",
    ];
    for raw in nasty {
        for kind in DocKind::ALL {
            let name = safe_file_name(raw, *kind);
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-')),
                "{raw:?} -> {name:?}"
            );
            assert!(!name.starts_with('.') && !name.contains('/') && !name.contains('\\'));
            assert!(
                name.ends_with(&format!(".{}", kind.extension())),
                "{name:?}"
            );
        }
    }
}

#[test]
fn size_limits_read_as_people_write_them_and_never_as_zero() {
    for (bytes, want) in [
        (300, "300 bytes"),
        (4096, "4 KB"),
        (300 * 1024, "300 KB"),
        (1536 * 1024, "1.5 MB"),
        (10_485_760, "10 MB"),
        (1_000_000, "976.6 KB"),
    ] {
        assert_eq!(size_label(bytes), want, "{bytes} bytes");
    }
}
