//! Documents in a patient's record: uploads checked by content and size, names never
//! trusted, SHA-256 checked on every download, safe download headers, and access for the
//! patient and the clinic's staff only. SQLite and PostgreSQL; files in the local store.

use crate::backends::each_backend;
use crate::{
    helpers::{Resp, TestApp},
    world::{World, desk, world},
};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::json;

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

/// A multipart upload as a browser or client sends it.
fn upload(path: &str, token: &str, name: &str, category: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "docspotboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\n{category}\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

async fn patient_with_login(app: &TestApp, w: &World, desk: &str, slug: &str) -> (String, String) {
    let email = format!("meena@{slug}.test");
    app.register(&email, "Meena Iyer").await;
    let login = app.login(&email).await.0;
    let r = app
        .post(&w.at("/patients"), Some(desk), json!({"name": "Meena Iyer", "sex": "female", "age": "51", "phone": "9845033333", "email": email}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &w.at(&format!("/patients/{id}/link-account")),
            Some(desk),
            json!({"email": email}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (id, login)
}

async fn count(app: &TestApp, w: &World, token: &str, patient: &str) -> usize {
    let r = app
        .get(
            &w.at(&format!("/patients/{patient}/documents")),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body.as_array().unwrap().len()
}

fn raw(r: &Resp) -> &str {
    &r.text
}

each_backend!(uploads_are_checked_by_content_and_downloads_by_checksum_with_safe_headers);
async fn uploads_are_checked_by_content_and_downloads_by_checksum_with_safe_headers(
    db: store::testing::TestDb,
) {
    let app = TestApp::with(db, |s| s.max_upload_bytes = 4096).await;
    let w = world(&app, "docs").await;
    let desk = desk(&app, &w, "docs").await;
    let (patient, meena) = patient_with_login(&app, &w, &desk, "docs").await;
    let at = w.at(&format!("/patients/{patient}/documents"));

    // A PDF with a hostile name: stored under a safe name, never under the given path.
    let r = app
        .send(upload(&at, &desk, "../../etc/passwd.pdf", "report", PDF))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["file_name"].as_str(), r.body["kind"].as_str()),
        (Some("passwd.pdf"), Some("pdf"))
    );
    assert_eq!(r.body["size_bytes"], PDF.len());
    let doc = r.body["id"].as_str().unwrap().to_owned();
    let on_disk = app
        .data_dir
        .join("documents")
        .join(&w.clinic)
        .join(&patient)
        .join(format!("{doc}.pdf"));
    assert_eq!(
        std::fs::read(&on_disk).unwrap(),
        PDF,
        "kept under an id-based key"
    );

    // Hostile uploads change nothing.
    let html = b"<!doctype html><html><script>alert(1)</script></html>";
    let r = app
        .send(upload(&at, &desk, "report.pdf", "report", html))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an HTML page renamed .pdf"
    );
    assert!(
        raw(&r).contains("Upload a PDF, JPEG or PNG file."),
        "{}",
        r.text
    );
    let mut big = PDF.to_vec();
    big.resize(5000, b' ');
    let r = app
        .send(upload(&at, &desk, "big.pdf", "report", &big))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "over the configured 4 KB: {}",
        r.text
    );
    assert!(
        raw(&r).contains("The file is larger than 4 KB"),
        "the limit is stated as it is: {}",
        r.text
    );
    let mut huge = PDF.to_vec();
    huge.resize(200_000, b' ');
    let r = app
        .send(upload(&at, &desk, "huge.pdf", "report", &huge))
        .await;
    assert_eq!(
        r.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "far over the limit: {}",
        r.text
    );
    let r = app
        .send(upload(&at, &desk, "scan.pdf", "gossip", PDF))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown category"
    );
    assert_eq!(count(&app, &w, &desk, &patient).await, 1);

    // The patient uploads too, and both download with headers no browser will run.
    let r = app
        .send(upload(
            &at,
            &meena,
            "C:\\photos\\rash 1.PNG",
            "imaging",
            PNG,
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["file_name"], "rash 1.png");
    let r = app.get(&format!("{at}/{doc}"), Some(&meena)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        r.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"passwd.pdf\""
    );
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        r.headers[header::CONTENT_SECURITY_POLICY],
        "sandbox; default-src 'none'"
    );
    assert_eq!(r.text.as_bytes(), PDF);
    assert_eq!(app.audit_count("document.read").await, 1);
    assert_eq!(app.audit_count("document.upload").await, 2);

    // Someone else's record, another clinic, a made-up id: 404.
    let other = world(&app, "docs2").await;
    for (token, path) in [
        (&w.patient, format!("{at}/{doc}")),
        (&w.patient, at.clone()),
        (&other.admin, format!("{at}/{doc}")),
        (
            &other.admin,
            other.at(&format!("/patients/{patient}/documents/{doc}")),
        ),
        (&desk, format!("{at}/00000000-0000-7000-8000-000000000000")),
    ] {
        let r = app.get(&path, Some(token)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = app
        .send(upload(&at, &w.patient, "x.pdf", "report", PDF))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another patient cannot upload here"
    );

    // A file changed in storage is refused, not served.
    std::fs::write(&on_disk, b"%PDF-1.4 tampered").unwrap();
    let r = app.get(&format!("{at}/{doc}"), Some(&desk)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(raw(&r).contains("damaged"), "{}", r.text);
}

each_backend!(the_desk_uploads_on_the_record_page_and_the_doctor_sees_it_in_the_history);
async fn the_desk_uploads_on_the_record_page_and_the_doctor_sees_it_in_the_history(app: TestApp) {
    use crate::helpers::{location, page_get};

    let w = world(&app, "docpage").await;
    let desk = desk(&app, &w, "docpage").await;
    let (patient, _) = patient_with_login(&app, &w, &desk, "docpage").await;
    let record = format!("/clinics/{}/patients/{patient}", w.clinic);
    let page = app.send(page_get(&record, &desk)).await;
    assert!(
        page.text.contains(r#"enctype="multipart/form-data""#)
            && page.text.contains("No documents yet."),
        "{}",
        page.text
    );

    // The page posts the same multipart form, with the browser's cookie.
    let as_browser = |name: &str, bytes: &[u8]| {
        let mut req = upload(&format!("{record}/documents"), "", name, "referral", bytes);
        let h = req.headers_mut();
        h.remove(header::AUTHORIZATION);
        h.insert(header::COOKIE, format!("ds_access={desk}").parse().unwrap());
        h.insert("origin", "http://docspot.test".parse().unwrap());
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        req
    };
    let r = app
        .send(as_browser(
            "letter.pdf",
            b"<html><body>not a pdf</body></html>",
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("Upload a PDF, JPEG or PNG file.") && r.text.contains("No documents yet."),
        "{}",
        r.text
    );
    let r = app.send(as_browser("referral letter.pdf", PDF)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app.send(page_get(&location(&r), &desk)).await;
    assert!(
        page.text.contains("Document uploaded.")
            && page.text.contains("referral letter.pdf")
            && page.text.contains("Referral letter"),
        "{}",
        page.text
    );
    let href = page
        .text
        .split("href=\"")
        .find(|s| s.contains("/documents/"))
        .unwrap();
    let href = &href[..href.find('"').unwrap()];
    let file = app.send(page_get(href, &desk)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(
        file.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"referral letter.pdf\""
    );

    let h = app
        .get(
            &w.at(&format!("/patients/{patient}/history")),
            Some(&w.doctor_token),
        )
        .await;
    assert_eq!(
        h.body["documents"][0]["file_name"], "referral letter.pdf",
        "{}",
        h.text
    );
}

each_backend!(a_patient_uploads_and_downloads_their_own_documents_from_the_portal);
async fn a_patient_uploads_and_downloads_their_own_documents_from_the_portal(app: TestApp) {
    use crate::helpers::{location, page_get};

    let w = world(&app, "mydocs").await;
    let desk = desk(&app, &w, "mydocs").await;
    let (patient, meena) = patient_with_login(&app, &w, &desk, "mydocs").await;
    let page = app.send(page_get("/documents", &meena)).await;
    assert!(
        page.text.contains("My documents</a>") && page.text.contains("No documents yet."),
        "{}",
        page.text
    );
    let action = format!("/documents/{}/{patient}", w.clinic);
    assert!(page.text.contains(&action), "{}", page.text);
    let as_browser = |token: &str, bytes: &[u8]| {
        let mut req = upload(&action, "", "blood test.pdf", "report", bytes);
        let h = req.headers_mut();
        h.remove(header::AUTHORIZATION);
        h.insert(
            header::COOKIE,
            format!("ds_access={token}").parse().unwrap(),
        );
        h.insert("origin", "http://docspot.test".parse().unwrap());
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        req
    };
    let r = app.send(as_browser(&meena, b"GIF89a not allowed")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("Upload a PDF, JPEG or PNG file."),
        "{}",
        r.text
    );
    let r = app.send(as_browser(&w.patient, PDF)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another patient's record");
    let r = app.send(as_browser(&meena, PDF)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app.send(page_get(&location(&r), &meena)).await;
    assert!(
        page.text.contains("Document uploaded.") && page.text.contains("blood test.pdf"),
        "{}",
        page.text
    );
    let href = page
        .text
        .split("href=\"")
        .find(|s| s.starts_with("/documents/") && s.matches('/').count() > 3)
        .unwrap();
    let href = &href[..href.find('"').unwrap()];
    let file = app.send(page_get(href, &meena)).await;
    assert_eq!((file.status, file.text.as_bytes()), (StatusCode::OK, PDF));
    let file = app.send(page_get(href, &w.patient)).await;
    assert_eq!(file.status, StatusCode::NOT_FOUND);
}
