//! Every page a person can open has a plain-text `<title>` that names it: no markup, no
//! template leftovers, and the product name last.

use crate::{
    consultations::kavya_in_queue,
    helpers::{TestApp, page_get},
    world::{desk, world},
};
use axum::http::StatusCode;
use serde_json::json;

fn title_of(html: &str) -> Option<&str> {
    let start = html.find("<title>")? + "<title>".len();
    let end = start + html[start..].find("</title>")?;
    Some(&html[start..end])
}

#[tokio::test]
async fn every_page_has_a_plain_title_that_names_it() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    let w = world(&app, "titles").await;
    let desk = desk(&app, &w, "titles").await;
    let (patient, kavya, token) = kavya_in_queue(&app, &w, &desk, "titles").await;
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{token}/consultation")),
            Some(&w.doctor_token),
            json!({}),
        )
        .await;
    let consultation = r.body["id"].as_str().unwrap().to_owned();
    let c = &w.clinic;
    let pages: Vec<(String, Option<&str>)> = vec![
        ("/".into(), None),
        ("/login".into(), None),
        ("/register".into(), None),
        ("/forgot-password".into(), None),
        ("/c/titles".into(), None),
        (format!("/c/titles/doctors/{}", w.doctor), None),
        ("/c/titles/join".into(), None),
        ("/c/titles/board".into(), None),
        ("/".into(), Some(&kavya)),
        ("/account".into(), Some(&kavya)),
        ("/appointments".into(), Some(&kavya)),
        ("/prescriptions".into(), Some(&kavya)),
        ("/documents".into(), Some(&kavya)),
        ("/".into(), Some(&desk)),
        (format!("/clinics/{c}/day"), Some(&desk)),
        (format!("/clinics/{c}/doctors"), Some(&w.admin)),
        (format!("/clinics/{c}/book"), Some(&desk)),
        (format!("/clinics/{c}/patients"), Some(&desk)),
        (format!("/clinics/{c}/patients/new"), Some(&desk)),
        (format!("/clinics/{c}/patients/{patient}"), Some(&desk)),
        (format!("/clinics/{c}/patients/{patient}/edit"), Some(&desk)),
        (format!("/clinics/{c}/queue"), Some(&desk)),
        (
            format!("/clinics/{c}/queue/tokens/{token}/slip"),
            Some(&desk),
        ),
        (
            format!("/clinics/{c}/consultations/{consultation}"),
            Some(&w.doctor_token),
        ),
        (format!("/clinics/{c}/schedule"), Some(&w.doctor_token)),
        (
            format!("/clinics/{c}/doctors/{}/profile", w.doctor),
            Some(&w.doctor_token),
        ),
        (format!("/clinics/{c}/settings"), Some(&w.admin)),
        (format!("/clinics/{c}/staff"), Some(&w.admin)),
        ("/no-such-page".into(), None),
    ];
    for (path, who) in &pages {
        let r = match who {
            Some(t) => app.send(page_get(path, t)).await,
            None => app.get(path, None).await,
        };
        if path != "/no-such-page" {
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        }
        let title = title_of(&r.text).unwrap_or_else(|| panic!("{path} has no title"));
        assert!(
            !title.trim().is_empty()
                && !title.contains(['<', '>', '{', '}'])
                && !title.contains('\n')
                && title.contains("DocSpot") | title.contains("Token") | title.contains("Queue"),
            "{path}: title {title:?}"
        );
    }
}

/// Pages whose purpose is typing put the cursor in their first field, and only one.
#[tokio::test]
async fn typing_pages_put_the_cursor_in_their_first_field() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    let w = world(&app, "focus").await;
    let desk = desk(&app, &w, "focus").await;
    let c = &w.clinic;
    for (path, who, field) in [
        ("/login".to_owned(), None, "f-email"),
        ("/register".to_owned(), None, "f-name"),
        ("/forgot-password".to_owned(), None, "f-email"),
        (format!("/clinics/{c}/patients"), Some(&desk), "f-q"),
        (format!("/clinics/{c}/patients/new"), Some(&desk), "f-name"),
        ("/c/focus/join".to_owned(), Some(&w.patient), "f-name"),
    ] {
        let r = match who {
            Some(t) => app.send(page_get(&path, t)).await,
            None => app.get(&path, None).await,
        };
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.text.matches(" autofocus").count(),
            1,
            "{path}: one autofocus"
        );
        let at = r.text.find(" autofocus").unwrap();
        let tag_start = r.text[..at].rfind('<').unwrap();
        assert!(
            r.text[tag_start..at].contains(&format!("id=\"{field}\"")),
            "{path}: the cursor starts in {field}: {}",
            &r.text[tag_start..at]
        );
    }
}

/// The token slip carries a QR code that reads back as the patient's queue-status link.
#[tokio::test]
async fn the_token_slip_has_a_qr_code_of_the_status_link() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    let w = world(&app, "slipqr").await;
    let desk = desk(&app, &w, "slipqr").await;
    let (_, _, token) = kavya_in_queue(&app, &w, &desk, "slipqr").await;
    let slip = app
        .send(page_get(
            &format!("/clinics/{}/queue/tokens/{token}/slip", w.clinic),
            &desk,
        ))
        .await;
    assert_eq!(slip.status, StatusCode::OK);
    let link_start = slip.text.find("or open:<br>").expect("the link is printed") + 12;
    let link = slip.text[link_start..].split('<').next().unwrap().trim();
    assert!(link.starts_with("http://docspot.test/q/"), "{link}");

    let svg = &slip.text[slip.text.find("<svg").expect("a QR code")..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    let attr = |name: &str| -> usize {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[at..].split('"').next().unwrap().parse().unwrap()
    };
    let (width, height) = (attr("width"), attr("height"));
    let d = svg[svg.find(" d=\"").unwrap() + 4..]
        .split('"')
        .next()
        .unwrap();
    let mut dark = vec![false; width * height];
    for rect in d.split('M').filter(|r| !r.is_empty()) {
        // M{left} {top}h{width}v{height}H{left}V{top}
        let nums: Vec<usize> = rect
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
            .map(|n| n.parse().unwrap())
            .collect();
        let (x, y, w, h) = (nums[0], nums[1], nums[2], nums[3]);
        for yy in y..y + h {
            for xx in x..x + w {
                dark[yy * width + xx] = true;
            }
        }
    }
    let mut img =
        rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| dark[y * width + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, content) = grids[0].decode().expect("the QR code decodes");
    assert_eq!(content, link.replace("&amp;", "&"));
}

/// A malformed id in a page's path answers the 404 page, not a 400 or a plain-text error.
#[tokio::test]
async fn pages_with_a_malformed_id_in_the_path_answer_the_not_found_page() {
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    let w = world(&app, "badids").await;
    let desk = desk(&app, &w, "badids").await;
    let c = &w.clinic;
    for (path, who) in [
        (format!("/clinics/{c}/patients/not-an-id"), Some(&desk)),
        (format!("/clinics/{c}/patients/not-an-id/edit"), Some(&desk)),
        (
            format!("/clinics/{c}/consultations/x"),
            Some(&w.doctor_token),
        ),
        (format!("/clinics/{c}/queue/tokens/x/slip"), Some(&desk)),
        (format!("/clinics/{c}/appointments/x/cancel"), Some(&desk)),
        (format!("/clinics/{c}/doctors/x/profile"), Some(&w.admin)),
        (format!("/c/badids/doctors/{c}x"), None),
    ] {
        let r = match who {
            Some(t) => app.send(page_get(&path, t)).await,
            None => app.get(&path, None).await,
        };
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        let content_type = r
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        assert!(r.text.contains("Page not found"), "{path}: {}", r.text);
    }
}
