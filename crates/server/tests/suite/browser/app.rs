//! The installable app in Chromium: the page links a manifest Chromium finds installable
//! (its own installability check, the one Lighthouse runs: no errors), the service worker
//! takes control, and a patient's appointments and prescriptions read offline once the
//! server is gone; sign-out clears what it kept.

use super::*;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

/// Runs `body` as an async script (its last argument is the callback) and answers what it
/// passed back.
async fn run_async(d: &WebDriver, body: &str) -> Value {
    d.execute_async(body, vec![])
        .await
        .unwrap_or_else(|e| panic!("{body}: {e}"))
        .json()
        .clone()
}

/// Waits (up to 10 s) until the service worker controls the page.
async fn controlled(d: &WebDriver) {
    for _ in 0..100 {
        let ret = d
            .execute("return !!navigator.serviceWorker.controller;", vec![])
            .await
            .unwrap();
        if ret.json() == &json!(true) {
            return;
        }
        // A page loaded before the worker took over is not controlled: load it again.
        tokio::time::sleep(Duration::from_millis(100)).await;
        d.refresh().await.unwrap();
    }
    panic!("the service worker never took control of {}", path(d).await);
}

async fn kept(d: &WebDriver) -> Vec<String> {
    let v = run_async(
        d,
        "var done = arguments[arguments.length - 1];\
         caches.open('docspot-offline-v1').then(c => c.keys())\
           .then(ks => done(ks.map(k => new URL(k.url).pathname)), () => done([]));",
    )
    .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_installs_and_shows_a_patients_appointments_offline() {
    let Some(b) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let d = &b.driver;
    sign_in(d, &server, "patient").await;

    // Installable: the manifest, its icons and the worker, as Chromium judges them.
    let manifest = run_async(
        d,
        "var done = arguments[arguments.length - 1];\
         fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json()).then(done);",
    )
    .await;
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["start_url"], "/appointments?source=app");
    let sizes: Vec<&str> = manifest["icons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sizes"].as_str().unwrap())
        .collect();
    assert!(
        sizes.contains(&"192x192") && sizes.contains(&"512x512"),
        "{sizes:?}"
    );
    let icon = run_async(
        d,
        "var done = arguments[arguments.length - 1];\
         var img = new Image(); img.onload = () => done([img.naturalWidth, img.type || 'ok']);\
         img.onerror = () => done('broken'); img.src = '/static/icon-512.png';",
    )
    .await;
    assert_eq!(icon[0], 512, "{icon}");
    d.goto(format!("{}/appointments", server.url))
        .await
        .unwrap();
    controlled(d).await;
    let mut errors = Value::Null;
    for _ in 0..50 {
        errors = d
            .cdp()
            .send_raw("Page.getInstallabilityErrors", json!({}))
            .await
            .unwrap();
        if errors["installabilityErrors"]
            .as_array()
            .is_some_and(Vec::is_empty)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        errors["installabilityErrors"],
        json!([]),
        "Chromium's installability check"
    );

    // Sign-out drops what was kept.
    d.refresh().await.unwrap();
    wait_text(d, "My appointments").await;
    assert!(kept(d).await.contains(&"/appointments".to_owned()));
    sign_out(d).await;
    wait_path(d, "/login").await;
    assert!(kept(d).await.is_empty(), "cleared at sign-out");

    // Signed in again, the pages opened online are kept, and read offline.
    sign_in(d, &server, "patient").await;
    d.goto(format!("{}/appointments", server.url))
        .await
        .unwrap();
    controlled(d).await;
    d.refresh().await.unwrap();
    wait_text(d, "My appointments").await;
    let online = d.find(By::Css("main")).await.unwrap().text().await.unwrap();
    d.goto(format!("{}/prescriptions", server.url))
        .await
        .unwrap();
    wait_text(d, "My prescriptions").await;
    for _ in 0..50 {
        let k = kept(d).await;
        if k.contains(&"/appointments".to_owned()) && k.contains(&"/prescriptions".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = server.url.clone();
    drop(server);
    d.goto(format!("{url}/appointments")).await.unwrap();
    wait_text(d, "You are offline").await;
    let offline = d.find(By::Css("main")).await.unwrap().text().await.unwrap();
    let first_line = online
        .lines()
        .find(|l| l.contains("Dr "))
        .unwrap_or("My appointments");
    assert!(offline.contains(first_line), "{first_line:?} in {offline}");
    d.goto(format!("{url}/prescriptions")).await.unwrap();
    wait_text(d, "You are offline").await;
    wait_text(d, "My prescriptions").await;
    assert_fits(d).await;
}
