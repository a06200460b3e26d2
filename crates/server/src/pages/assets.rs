//! Our own stylesheet, scripts and icons, embedded in the binary, and what makes the site
//! an installable app: the web app manifest, its PNG icons (drawn here from the same design
//! as the SVG) and the service worker (`static/sw.js`: "My appointments" and prescriptions
//! offline, and web push notifications).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");
const ICON: &str = include_str!("../../static/icon.svg");
const SW: &str = include_str!("../../static/sw.js");

/// The brand blue of the icon.
const BRAND: [u8; 3] = [0x0b, 0x5f, 0x8a];

/// The web app manifest: installable, opening on the patient's appointments.
const MANIFEST: &str = r##"{
  "name": "DocSpot",
  "short_name": "DocSpot",
  "description": "Book clinic visits, follow your place in the queue, keep your prescriptions.",
  "id": "/",
  "start_url": "/appointments?source=app",
  "scope": "/",
  "display": "standalone",
  "background_color": "#f5f7f9",
  "theme_color": "#0b5f8a",
  "icons": [
    {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"}
  ]
}
"##;

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

pub async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

pub async fn js() -> Response {
    asset("application/javascript; charset=utf-8", JS)
}

pub async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

pub async fn manifest() -> Response {
    asset("application/manifest+json", MANIFEST)
}

/// The service worker, at the root so that its scope is the whole site; browsers check
/// it for updates on every visit.
pub async fn service_worker() -> Response {
    let mut res = asset("application/javascript; charset=utf-8", SW);
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("service-worker-allowed", HeaderValue::from_static("/"));
    res
}

pub async fn icon_192() -> Response {
    png(192)
}

pub async fn icon_512() -> Response {
    png(512)
}

fn png(size: u32) -> Response {
    static ICONS: std::sync::OnceLock<[Vec<u8>; 2]> = std::sync::OnceLock::new();
    let icons = ICONS.get_or_init(|| [draw_icon(192), draw_icon(512)]);
    let body = if size == 192 { &icons[0] } else { &icons[1] };
    let mut res = body.clone().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    res
}

/// The icon as a `size`-pixel PNG: the brand blue edge to edge (so it also serves as a
/// maskable icon) with the white cross inside the safe middle.
fn draw_icon(size: u32) -> Vec<u8> {
    let unit = size as f32 / 32.0;
    // The SVG's cross, in its 32-unit grid: arms 6 wide, 18 long, centred.
    let in_cross = |x: u32, y: u32| {
        let (fx, fy) = ((x as f32 + 0.5) / unit, (y as f32 + 0.5) / unit);
        let bar = |a: f32, b: f32| (13.0..19.0).contains(&a) && (7.0..25.0).contains(&b);
        bar(fx, fy) || bar(fy, fx)
    };
    let mut raw = Vec::with_capacity(((size * 3 + 1) * size) as usize);
    for y in 0..size {
        raw.push(0); // no filter
        for x in 0..size {
            raw.extend_from_slice(&if in_cross(x, y) { [255; 3] } else { BRAND });
        }
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&size.to_be_bytes());
    header.extend_from_slice(&size.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut out, b"IHDR", &header);
    chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 9),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Browsers ask for `/favicon.ico` on their own; the layout links the SVG icon instead.
pub async fn favicon() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::{crc32, draw_icon};

    #[test]
    fn icons_are_pngs_of_their_size() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926, "the standard check value");
        let png = draw_icon(192);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 192);
        assert!(png.ends_with(&[0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]));
    }
}
