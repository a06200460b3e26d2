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

/// Waits (up to 5 s) until the worker has kept each of `paths`.
async fn wait_kept(d: &WebDriver, paths: &[&str]) {
    for _ in 0..50 {
        let k = kept(d).await;
        if paths.iter().all(|p| k.iter().any(|x| x == p)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the worker never kept {paths:?}");
}

/// Chromium finds the page's app installable (its own check, the one Lighthouse runs): no
/// errors, waiting (up to 10 s) for the worker to be counted.
async fn assert_installable(d: &WebDriver) {
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
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("Chromium's installability check: {errors}");
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
    assert_installable(d).await;

    // Sign-out drops what was kept.
    d.refresh().await.unwrap();
    wait_text(d, "My appointments").await;
    assert!(kept(d).await.contains(&"/appointments".to_owned()));
    sign_out(d).await;
    wait_path(d, "/login").await;
    // The clearing runs in the browser's background; the sign-in page's own styles and
    // script may be kept again at once, the patient's pages not.
    let mut left = Vec::new();
    for _ in 0..50 {
        left = kept(d).await;
        left.retain(|p| !p.starts_with("/static/"));
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(left.is_empty(), "cleared at sign-out: {left:?}");

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
    wait_kept(d, &["/appointments", "/prescriptions"]).await;
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

/// Waits (up to 20 s) for `found` to hold of what a fake received; answers it.
async fn arrives<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(t) = found() {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} never arrived");
}

// The walk, as a patient on a phone: registers with a mobile number, signs in with
// the code the loopback Twilio received, turns on notifications for this device (at the
// loopback push service: Chromium's own is Google's, out of reach here), books, and gets
// the confirmation by text and by push (decrypted as the device would); the app installs,
// and their appointment reads offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_signs_in_by_texted_code_gets_the_booking_by_text_and_push_and_reads_it_offline()
{
    use crate::fakes::{PushService, TwilioFake, twilio};
    let Some(b) = browser().await else { return };
    let sms = TwilioFake::start().await;
    let api = sms.url.clone();
    let server = tokio::task::spawn_blocking(move || {
        start_server_with(&[
            "--twilio-account-sid",
            twilio::ACCOUNT_SID,
            "--twilio-auth-token",
            twilio::AUTH_TOKEN,
            "--twilio-from",
            twilio::FROM,
            "--twilio-api-base",
            &api,
            // The loopback push service is plain http.
            "--webhook-allow-http",
        ])
    })
    .await
    .unwrap();
    let key: Value = reqwest::get(format!("{}/api/v1/push/vapid-public-key", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let push = PushService::start(key["public_key"].as_str().unwrap()).await;
    let d = &b.driver;

    // Registers with a mobile number.
    let pw = "a phone patient's passphrase";
    d.goto(format!("{}/register", server.url)).await.unwrap();
    fill(d, "name", "Anil Kumar").await;
    fill(d, "email", "anil@example.com").await;
    fill(d, "phone", "98765 43210").await;
    fill(d, "password", pw).await;
    fill(d, "confirm", pw).await;
    submit(d, "/register").await;
    wait_text(d, "We have sent a message to anil@example.com").await;

    // Signs in with the code texted to that number.
    d.goto(format!("{}/login/code", server.url)).await.unwrap();
    fill(d, "destination", "98765 43210").await;
    submit(d, "/login/code").await;
    wait_text(d, "a six-digit code is on its way").await;
    assert_fits(d).await;
    let text = arrives("the sign-in code", || {
        sms.sent().into_iter().find(|m| m.to == "+919876543210")
    })
    .await;
    let code: String = text
        .body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("a six-digit code in {:?}", text.body))
        .to_owned();
    fill(d, "code", &code).await;
    submit(d, "/login/code/verify").await;
    wait_path(d, "/").await;
    wait_text(d, "Anil Kumar").await;

    // Turns on notifications for this device: the page asks for permission, reads the
    // install's key and keeps the subscription the browser hands back.
    let subscription = json!({"endpoint": push.endpoint,
        "keys": {"p256dh": push.p256dh, "auth": push.auth}, "expirationTime": null});
    d.cdp()
        .send_raw(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": format!(
                "PushManager.prototype.subscribe = function (options) {{\
                   window.docspotAskedKey = options.applicationServerKey.byteLength;\
                   var s = {subscription};\
                   return Promise.resolve({{ endpoint: s.endpoint, toJSON: function () {{ return s; }} }});\
                 }};"
            )}),
        )
        .await
        .unwrap();
    d.cdp()
        .send_raw(
            "Browser.grantPermissions",
            json!({"origin": server.url, "permissions": ["notifications"]}),
        )
        .await
        .unwrap();
    d.goto(format!("{}/account/notifications", server.url))
        .await
        .unwrap();
    controlled(d).await;
    click(d, "[data-push-subscribe]").await;
    wait_text(d, "Notifications are on for this device.").await;
    let asked = d
        .execute("return window.docspotAskedKey;", vec![])
        .await
        .unwrap();
    assert_eq!(
        asked.json(),
        &json!(65),
        "subscribed with the install's P-256 key"
    );

    // Books from the clinic page.
    d.goto(format!("{}/c/sunrise", server.url)).await.unwrap();
    click(d, "article.doctor a.button").await;
    wait_text(d, "Free times").await;
    click(d, "a.slot").await;
    wait_text(d, "Confirm your appointment").await;
    fill(d, "reason", "canary-reason-9090 knee pain").await;
    submit(d, "/c/sunrise/book").await;
    wait_path(d, "/appointments").await;
    wait_text(d, "Booked. Your reference is").await;
    let page = d.find(By::Css("main")).await.unwrap().text().await.unwrap();

    // The confirmation, by text and by push, with nothing clinical in it.
    let booked = arrives("the booking text", || {
        sms.sent()
            .into_iter()
            .find(|m| m.to == "+919876543210" && m.body.contains("is booked"))
    })
    .await;
    let reference = booked
        .body
        .split("Ref ")
        .nth(1)
        .and_then(|r| r.split('.').next())
        .unwrap()
        .to_owned();
    assert!(page.contains(&reference), "{reference} on {page}");
    let pushed = arrives("the booking push", || {
        push.received()
            .into_iter()
            .find(|m| m.to_string().contains("is booked"))
    })
    .await;
    assert!(pushed.to_string().contains(&reference), "{pushed}");
    assert!(push.refused().is_empty(), "{:?}", push.refused());
    for sent in [booked.body.clone(), pushed.to_string()] {
        assert!(!sent.contains("canary") && !sent.contains("knee"), "{sent}");
    }

    // The app installs (Chromium's own check), and the appointment reads offline.
    assert_installable(d).await;
    d.refresh().await.unwrap();
    wait_text(d, &reference).await;
    wait_kept(d, &["/appointments"]).await;
    let url = server.url.clone();
    drop(server);
    d.goto(format!("{url}/appointments")).await.unwrap();
    wait_text(d, "You are offline").await;
    wait_text(d, &reference).await;
    assert_fits(d).await;
}
