//! Browser tests: the real `docspot` binary driven through Chromium by chromedriver.
//! Skipped (with a message) when chromedriver is missing, unless
//! DOCSPOT_TEST_REQUIRE_BROWSER=1, which makes a missing browser a failure. This module is
//! the harness; the walks are in `accounts`, `booking` and `queue`.

mod accounts;
mod app;
mod billing;
mod booking;
mod clinic;
mod queue;

use crate::helpers::{Proc, quoted_printable_flat, serve};
use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};
use thirtyfour::prelude::*;

fn find_on_path(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(bin))
            .find(|p| p.is_file())
    })
}

/// Chromium through chromedriver. Fields drop in order: the session first, then the guard.
pub(super) struct Browser {
    pub(super) driver: WebDriver,
    _guard: ChromeGuard,
}

struct ChromeGuard {
    _chromedriver: Proc,
    profile: PathBuf,
}

impl Drop for ChromeGuard {
    /// Ends this test's Chromium, found by its unique profile folder, even after a panic.
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self.profile.display().to_string())
            .status();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

pub(super) async fn browser() -> Option<Browser> {
    let Some(chromedriver) = find_on_path("chromedriver") else {
        assert!(
            std::env::var("DOCSPOT_TEST_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "DOCSPOT_TEST_REQUIRE_BROWSER=1 but chromedriver is not on PATH (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "SKIPPED browser test: chromedriver not found (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let proc = Proc(child);
    let mut ready = false;
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "chromedriver did not start listening");
    let profile =
        std::env::temp_dir().join(format!("docspot-chrome-{}", uuid::Uuid::now_v7().simple()));
    let mut caps = DesiredCapabilities::chrome();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        &format!("--user-data-dir={}", profile.display()),
    ] {
        caps.add_arg(arg).unwrap();
    }
    // A small phone: every page must fit 360 CSS pixels without sideways scrolling.
    caps.add_experimental_option(
        "mobileEmulation",
        serde_json::json!({"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 1.0}}),
    )
    .unwrap();
    if let Some(bin) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
    {
        caps.set_binary(bin).unwrap();
    }
    let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
        .await
        .expect("start Chromium");
    Some(Browser {
        driver,
        _guard: ChromeGuard {
            _chromedriver: proc,
            profile,
        },
    })
}

/// The real binary serving a fresh demo clinic on SQLite.
pub(super) struct Server {
    pub(super) url: String,
    data_dir: PathBuf,
    logins: Vec<(String, String, String)>,
    _proc: Proc,
}

pub(super) fn start_server() -> Server {
    start_server_with(&[])
}

/// [`start_server`] with more `serve` flags.
pub(super) fn start_server_with(extra: &[&str]) -> Server {
    let data_dir =
        std::env::temp_dir().join(format!("docspot-e2e-{}", uuid::Uuid::now_v7().simple()));
    let dir = data_dir.display().to_string();
    let mut args = vec!["--demo", "--data-dir", &dir];
    args.extend_from_slice(extra);
    let (proc, url, printed) = serve(&args);
    let logins = printed
        .iter()
        .filter_map(|line| {
            let cols: Vec<&str> = line
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            (cols.len() == 3 && cols[1].contains('@'))
                .then(|| (cols[0].to_owned(), cols[1].to_owned(), cols[2].to_owned()))
        })
        .collect();
    Server {
        url,
        data_dir,
        logins,
        _proc: proc,
    }
}

impl Server {
    pub(super) fn login_of(&self, role: &str) -> (String, String) {
        let l = self
            .logins
            .iter()
            .find(|l| l.0 == role)
            .unwrap_or_else(|| panic!("no demo {role} in {:?}", self.logins));
        (l.1.clone(), l.2.clone())
    }

    /// Waits for the worker to write an e-mail to `to` with a link containing `marker`;
    /// returns the link's token.
    pub(super) async fn mailed_token(&self, to: &str, marker: &str) -> String {
        for _ in 0..200 {
            if let Ok(dir) = std::fs::read_dir(self.data_dir.join("outbox")) {
                for e in dir.flatten() {
                    let body = std::fs::read_to_string(e.path()).unwrap_or_default();
                    if e.path().extension().is_some_and(|x| x == "eml")
                        && body.contains(&format!("To: {to}"))
                        && quoted_printable_flat(&body).contains(marker)
                    {
                        return crate::helpers::token_after(&body, marker);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no e-mail to {to} with {marker} arrived");
    }
}

pub(super) async fn fill(d: &WebDriver, field: &str, value: &str) {
    let el = d
        .find(By::Id(format!("f-{field}")))
        .await
        .unwrap_or_else(|_| panic!("field {field}"));
    el.clear().await.unwrap();
    el.send_keys(value).await.unwrap();
}

pub(super) async fn submit(d: &WebDriver, form_action: &str) {
    d.find(By::Css(format!(
        "main form[action='{form_action}'] button[type='submit']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
}

pub(super) async fn sign_out(d: &WebDriver) {
    d.find(By::Css("form[action='/logout'] button"))
        .await
        .expect("sign-out button")
        .click()
        .await
        .unwrap();
}

/// The page fits the (phone-sized) window: nothing scrolls sideways.
pub(super) async fn assert_fits(d: &WebDriver) {
    let ret = d
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let w = ret.json().as_array().cloned().unwrap_or_default();
    let (scroll, inner) = (w[0].as_i64().unwrap(), w[1].as_i64().unwrap());
    assert_eq!(inner, 360, "the test window is phone-sized");
    assert!(
        scroll <= inner,
        "{} is {scroll} px wide in a {inner} px window",
        path(d).await
    );
}

/// The element `css` matches is shown whole inside the (phone-sized) window: on a narrow
/// screen, tables stack their rows instead of pushing columns off the side.
pub(super) async fn assert_in_view(d: &WebDriver, css: &str) {
    let ret = d
        .execute(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect(); \
             return [r.left, r.right, r.width, window.innerWidth];",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    let v: Vec<f64> = ret
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_f64().unwrap())
        .collect();
    assert!(
        v[0] >= 0.0 && v[1] <= v[3] && v[2] > 0.0,
        "{css} on {} is at {}..{} in a {} px window",
        path(d).await,
        v[0],
        v[1],
        v[3]
    );
}

pub(super) async fn path(d: &WebDriver) -> String {
    d.current_url().await.unwrap().path().to_owned()
}

/// Waits (up to 10 s) until the page's path is `want`; a form submit navigates asynchronously.
pub(super) async fn wait_path(d: &WebDriver, want: &str) {
    for _ in 0..100 {
        if path(d).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected to reach {want}, still at {}", path(d).await);
}

/// Waits (up to 10 s) until the page contains `text`.
pub(super) async fn wait_text(d: &WebDriver, text: &str) {
    for _ in 0..100 {
        if d.source().await.map(|s| s.contains(text)).unwrap_or(false) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let src = d.source().await.unwrap_or_default();
    panic!(
        "page {} never showed {text:?}: {}",
        path(d).await,
        &src[src.find("<main").unwrap_or(0)..]
    );
}

/// Sets an input's value as a date or time picker would (typed keys depend on the locale).
pub(super) async fn set_value(d: &WebDriver, field: &str, value: &str) {
    d.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![
            serde_json::json!(format!("f-{field}")),
            serde_json::json!(value),
        ],
    )
    .await
    .unwrap_or_else(|e| panic!("set {field}: {e}"));
}

/// Clicks the element `css` matches, waiting (up to 10 s) for it to be there: the page a
/// form was sent from can still be showing when the new one's address already is.
pub(super) async fn click(d: &WebDriver, css: &str) {
    // A page that is still being replaced can also hand back an element that goes stale
    // before the click lands; find it again then.
    for _ in 0..100 {
        let Ok(el) = d.find(By::Css(css)).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        match el.click().await {
            Ok(()) => return,
            Err(e) if e.to_string().contains("stale element") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("click {css}: {e}"),
        }
    }
    panic!(
        "nothing clickable matched {css} within 10 s on {}",
        path(d).await
    );
}

pub(super) async fn sign_in(d: &WebDriver, server: &Server, role: &str) {
    let (email, pw) = server.login_of(role);
    sign_in_as(d, server, &email, &pw).await;
}

pub(super) async fn sign_in_as(d: &WebDriver, server: &Server, email: &str, password: &str) {
    d.goto(format!("{}/login", server.url)).await.unwrap();
    fill(d, "email", email).await;
    fill(d, "password", password).await;
    submit(d, "/login").await;
    wait_path(d, "/").await;
}

/// Marks the page in the browser's memory, so `assert_not_reloaded` can tell that what it
/// shows later came in place, not from loading the page again.
pub(super) async fn mark_page(d: &WebDriver) {
    d.execute("window.docspotTestMark = true;", vec![])
        .await
        .unwrap();
}

pub(super) async fn assert_not_reloaded(d: &WebDriver) {
    let kept = d
        .execute("return window.docspotTestMark === true;", vec![])
        .await
        .unwrap();
    assert_eq!(
        kept.json().as_bool(),
        Some(true),
        "{} was loaded again",
        path(d).await
    );
}
