//! Browser tests: the real `docspot` binary driven through Chromium by chromedriver.
//! Skipped (with a message) when chromedriver is missing, unless
//! DOCSPOT_TEST_REQUIRE_BROWSER=1, which makes a missing browser a failure.

use crate::helpers::{Proc, serve};
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
struct Browser {
    driver: WebDriver,
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

async fn browser() -> Option<Browser> {
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
struct Server {
    url: String,
    data_dir: PathBuf,
    logins: Vec<(String, String, String)>,
    _proc: Proc,
}

fn start_server() -> Server {
    let data_dir =
        std::env::temp_dir().join(format!("docspot-e2e-{}", uuid::Uuid::now_v7().simple()));
    let (proc, url, printed) = serve(&["--demo", "--data-dir", &data_dir.display().to_string()]);
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
    fn login_of(&self, role: &str) -> (String, String) {
        let l = self
            .logins
            .iter()
            .find(|l| l.0 == role)
            .unwrap_or_else(|| panic!("no demo {role} in {:?}", self.logins));
        (l.1.clone(), l.2.clone())
    }

    /// Waits for the worker to write an e-mail to `to`; returns the link token after `marker`.
    async fn mailed_token(&self, to: &str, marker: &str) -> String {
        for _ in 0..200 {
            if let Ok(dir) = std::fs::read_dir(self.data_dir.join("outbox")) {
                for e in dir.flatten() {
                    let body = std::fs::read_to_string(e.path()).unwrap_or_default();
                    if e.path().extension().is_some_and(|x| x == "eml")
                        && body.contains(&format!("To: {to}"))
                    {
                        return crate::helpers::token_after(&body, marker);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no e-mail to {to} arrived");
    }
}

async fn fill(d: &WebDriver, field: &str, value: &str) {
    let el = d
        .find(By::Id(format!("f-{field}")))
        .await
        .unwrap_or_else(|_| panic!("field {field}"));
    el.clear().await.unwrap();
    el.send_keys(value).await.unwrap();
}

async fn submit(d: &WebDriver, form_action: &str) {
    d.find(By::Css(format!(
        "main form[action='{form_action}'] button[type='submit']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
}

async fn sign_out(d: &WebDriver) {
    d.find(By::Css("form[action='/logout'] button"))
        .await
        .expect("sign-out button")
        .click()
        .await
        .unwrap();
}

/// The page fits the (phone-sized) window: nothing scrolls sideways.
async fn assert_fits(d: &WebDriver) {
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

async fn path(d: &WebDriver) -> String {
    d.current_url().await.unwrap().path().to_owned()
}

/// Waits (up to 10 s) until the page's path is `want`; a form submit navigates asynchronously.
async fn wait_path(d: &WebDriver, want: &str) {
    for _ in 0..100 {
        if path(d).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected to reach {want}, still at {}", path(d).await);
}

/// Waits (up to 10 s) until the page contains `text`.
async fn wait_text(d: &WebDriver, text: &str) {
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

// Multi-threaded: if a step panics, thirtyfour's blocking teardown must not stall the runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_registers_logs_out_and_logs_back_in() {
    let Some(b) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let d = &b.driver;
    let pw = "my own long passphrase";

    d.goto(format!("{}/register", server.url)).await.unwrap();
    fill(d, "name", "Priya Nair").await;
    fill(d, "email", "priya@example.com").await;
    fill(d, "password", "short").await;
    fill(d, "confirm", "short").await;
    submit(d, "/register").await;
    wait_text(d, "at least 12 characters").await;

    fill(d, "password", pw).await;
    fill(d, "confirm", pw).await;
    submit(d, "/register").await;
    wait_path(d, "/").await;
    wait_text(d, "Priya Nair").await;
    assert_fits(d).await;

    sign_out(d).await;
    wait_path(d, "/login").await;
    d.goto(format!("{}/account", server.url)).await.unwrap();
    wait_path(d, "/login").await;

    fill(d, "email", "priya@example.com").await;
    fill(d, "password", "wrong password here").await;
    submit(d, "/login").await;
    wait_text(d, "incorrect").await;
    fill(d, "email", "priya@example.com").await;
    fill(d, "password", pw).await;
    submit(d, "/login").await;
    wait_path(d, "/account").await;
    wait_text(d, "priya@example.com").await;
    assert_fits(d).await;
    b.driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_invites_a_receptionist_who_sets_a_password_from_the_email_and_logs_in() {
    let Some(b) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let d = &b.driver;
    let (admin_email, admin_pw) = server.login_of("clinic admin");

    d.goto(format!("{}/login", server.url)).await.unwrap();
    fill(d, "email", &admin_email).await;
    fill(d, "password", &admin_pw).await;
    submit(d, "/login").await;
    wait_path(d, "/").await;
    d.find(By::Css("main a[href$='/staff']"))
        .await
        .expect("link to the staff page")
        .click()
        .await
        .unwrap();
    wait_text(d, "Invite a colleague").await;
    let staff_path = path(d).await;
    assert!(staff_path.ends_with("/staff"), "{staff_path}");

    fill(d, "email", "new.desk@example.com").await;
    d.find(By::Css("select[name='role'] option[value='receptionist']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(d, &format!("{staff_path}/invite")).await;
    wait_text(d, "new.desk@example.com").await;
    assert_fits(d).await;
    sign_out(d).await;
    wait_path(d, "/login").await;

    let token = server
        .mailed_token("new.desk@example.com", "/invite?token=")
        .await;
    d.goto(format!("{}/invite?token={token}", server.url))
        .await
        .unwrap();
    fill(d, "name", "Ravi Desk").await;
    fill(d, "password", "front desk passphrase").await;
    fill(d, "confirm", "front desk passphrase").await;
    submit(d, "/invite").await;
    wait_text(d, "You joined Sunrise Family Clinic").await;

    d.goto(format!("{}/invite?token={token}", server.url))
        .await
        .unwrap();
    wait_text(d, "expired").await;

    d.goto(format!("{}/login", server.url)).await.unwrap();
    fill(d, "email", "new.desk@example.com").await;
    fill(d, "password", "front desk passphrase").await;
    submit(d, "/login").await;
    wait_path(d, "/").await;
    wait_text(d, "Ravi Desk").await;
    wait_text(d, "Receptionist").await;
    b.driver.quit().await.unwrap();
}

// Three screens from the clinic page to a booked slot: clinic → doctor (pick a time) →
// confirm (registering inline) → booked. Then the patient cancels from My appointments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_patient_books_from_the_clinic_page_in_three_screens_and_cancels() {
    let Some(b) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let d = &b.driver;

    d.goto(format!("{}/c/sunrise", server.url)).await.unwrap();
    wait_text(d, "Dr. Ravi Iyer").await;
    assert_fits(d).await;
    d.find(By::Css("article.doctor a.button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(d, "Free times").await;
    assert!(path(d).await.starts_with("/c/sunrise/doctors/"));
    assert_fits(d).await;
    d.find(By::Css("a.slot"))
        .await
        .expect("a free slot this week")
        .click()
        .await
        .unwrap();
    wait_path(d, "/c/sunrise/book").await;
    wait_text(d, "Confirm your appointment").await;
    wait_text(d, "(Asia/Kolkata)").await;
    assert_fits(d).await;

    fill(d, "reason", "cough for a week").await;
    fill(d, "name", "Kiran Das").await;
    fill(d, "email", "kiran@example.com").await;
    fill(d, "password", "short").await;
    submit(d, "/c/sunrise/book").await;
    wait_text(d, "at least 12 characters").await;
    fill(d, "password", "kiran's long passphrase").await;
    submit(d, "/c/sunrise/book").await;
    wait_path(d, "/appointments").await;
    wait_text(d, "Booked. Your reference is").await;
    wait_text(d, "Dr. Ravi Iyer").await;
    assert_fits(d).await;
    let mail = server
        .mailed_token("kiran@example.com", "/appointments/cancel?token=")
        .await;
    assert!(!mail.is_empty());

    d.find(By::Css("main form[action$='/cancel'] input[name='reason']"))
        .await
        .unwrap()
        .send_keys("feeling better")
        .await
        .unwrap();
    d.find(By::Css(
        "main form[action$='/cancel'] button[type='submit']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_text(d, "Cancelled. The clinic has been told.").await;
    wait_text(d, "No upcoming appointments").await;
    b.driver.quit().await.unwrap();
}

/// Sets an input's value as a date or time picker would (typed keys depend on the locale).
async fn set_value(d: &WebDriver, field: &str, value: &str) {
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

async fn click(d: &WebDriver, css: &str) {
    d.find(By::Css(css))
        .await
        .unwrap_or_else(|_| panic!("nothing matches {css}"))
        .click()
        .await
        .unwrap();
}

async fn sign_in(d: &WebDriver, server: &Server, role: &str) {
    let (email, pw) = server.login_of(role);
    d.goto(format!("{}/login", server.url)).await.unwrap();
    fill(d, "email", &email).await;
    fill(d, "password", &pw).await;
    submit(d, "/login").await;
    wait_path(d, "/").await;
}

// The clinic's week from the staff side, on the real clock in the demo clinic's zone: the
// admin sets booking rules, a holiday and a visit type; a doctor adds leave and extra hours
// today and edits the week; reception books a walk-up patient at the desk and checks them
// in; a patient books online and moves the visit from My appointments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_run_the_week_from_their_pages_and_a_patient_moves_a_visit() {
    let Some(b) = browser().await else { return };
    let server = tokio::task::spawn_blocking(start_server).await.unwrap();
    let d = &b.driver;
    let zone = jiff::tz::TimeZone::get("Asia/Kolkata").unwrap();
    // The binary runs on the real clock, so the test reads it too.
    #[allow(clippy::disallowed_methods)]
    let now = jiff::Timestamp::now().to_zoned(zone);
    let in_days = |n: i64| now.date().checked_add(jiff::Span::new().days(n)).unwrap();

    sign_in(d, &server, "clinic admin").await;
    click(d, "main a[href$='/settings']").await;
    wait_text(d, "Booking rules").await;
    assert_fits(d).await;
    let settings = path(d).await;
    let clinic = settings.trim_end_matches("/settings").to_owned();
    fill(d, "daily_cap", "0").await;
    submit(d, &format!("{settings}/policy")).await;
    wait_text(d, "The daily cap must be 1 to 500, or empty for none.").await;
    fill(d, "daily_cap", "30").await;
    submit(d, &format!("{settings}/policy")).await;
    wait_text(d, "Saved.").await;
    set_value(d, "from", &in_days(20).to_string()).await;
    fill(d, "note", "Clinic day off").await;
    submit(d, &format!("{settings}/holidays")).await;
    wait_text(d, "Clinic day off").await;
    fill(d, "name", "Dressing").await;
    fill(d, "duration_min", "30").await;
    fill(d, "price", "200").await;
    submit(d, &format!("{clinic}/visit-types")).await;
    wait_text(d, "INR 200.00").await;
    sign_out(d).await;
    wait_path(d, "/login").await;

    sign_in(d, &server, "doctor").await;
    click(d, "main a[href$='/schedule']").await;
    wait_text(d, "Weekly hours").await;
    assert_fits(d).await;
    let schedule = path(d).await;
    assert_eq!(schedule, format!("{clinic}/schedule"));
    let doctor_form = |what: &str| format!("main form[action$='/{what}'] button[type='submit']");
    set_value(d, "from", &in_days(3).to_string()).await;
    fill(d, "note", "Conference").await;
    click(d, "button[name='kind'][value='leave']").await;
    wait_text(d, "Conference").await;
    // Extra hours from a little after now until the end of the day, so the desk can book
    // and check someone in today.
    let open_from = now.time().hour() as i32 * 60 + now.time().minute() as i32 + 20;
    let today_possible = open_from / 5 * 5 + 60 <= 23 * 60 + 59;
    if today_possible {
        let m = open_from / 5 * 5;
        set_value(d, "from", &in_days(0).to_string()).await;
        set_value(d, "start", &format!("{:02}:{:02}", m / 60, m % 60)).await;
        set_value(d, "end", "23:59").await;
        fill(d, "note", "Evening clinic").await;
        click(d, "button[name='kind'][value='extra']").await;
        wait_text(d, "Saved.").await;
        wait_text(d, "<td>Extra hours</td>").await;
    } else {
        eprintln!(
            "after 22:40 in Asia/Kolkata: no time left today, so the desk books tomorrow and check-in is left to the in-process day-page test"
        );
    }
    // Drop the first interval of the week.
    wait_text(d, r#"<input id="s0" name="s0" type="time" value="09:00">"#).await;
    click(d, "input[name='rm0']").await;
    click(d, &doctor_form("hours")).await;
    wait_text(d, r#"<input id="s0" name="s0" type="time" value="16:00">"#).await;
    d.goto(format!("{}{clinic}/day?week=1", server.url))
        .await
        .unwrap();
    wait_text(d, "Week of").await;
    assert_fits(d).await;
    sign_out(d).await;
    wait_path(d, "/login").await;

    sign_in(d, &server, "receptionist").await;
    click(d, "main a[href$='/book']").await;
    wait_text(d, "Free times").await;
    assert_fits(d).await;
    d.find(By::XPath(
        "//select[@id='f-doctor']/option[contains(., 'Ravi')]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    click(d, "main form.filter button[type='submit']").await;
    wait_text(d, "Free times").await;
    click(d, "a.slot").await;
    wait_text(d, "Find the patient").await;
    assert_fits(d).await;
    fill(d, "q", "Kavya").await;
    click(d, "main form[method='get'] button[type='submit']").await;
    wait_text(d, "No patient matches").await;
    click(d, "input[name='patient'][value='new']").await;
    fill(d, "name", "Kavya Nair").await;
    fill(d, "phone", "+91 98000 11122").await;
    click(d, "main form[method='post'] button[type='submit']").await;
    wait_text(d, "Booked ").await;
    wait_text(d, "Kavya Nair").await;
    assert!(path(d).await.ends_with("/day"));
    if today_possible {
        click(d, "main form[action*='/arrive'] button").await;
        wait_text(d, "Saved.").await;
        wait_text(d, "warn\">Arrived<").await;
    }
    sign_out(d).await;
    wait_path(d, "/login").await;

    sign_in(d, &server, "patient").await;
    d.goto(format!("{}/c/sunrise", server.url)).await.unwrap();
    click(d, "article.doctor a.button").await;
    wait_text(d, "Free times").await;
    // Today's time would be inside the clinic's cutoff, where only staff may move it.
    let week = d
        .find(By::Css("main h2#week-heading"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    click(d, "nav.weeks a:last-child").await;
    for _ in 0..100 {
        let now_week = d
            .find(By::Css("main h2#week-heading"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if now_week != week {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(d, "a.slot").await;
    wait_text(d, "Confirm your appointment").await;
    submit(d, "/c/sunrise/book").await;
    wait_path(d, "/appointments").await;
    wait_text(d, "Booked. Your reference is").await;
    click(d, "main a.button.secondary[href*='reschedule=']").await;
    wait_text(d, "Choose a new time").await;
    click(d, "ul.slots li:nth-child(2) a.slot").await;
    wait_text(d, "Move to this time").await;
    submit(d, "/c/sunrise/book").await;
    wait_path(d, "/appointments").await;
    wait_text(d, "Moved. Your new reference is").await;
    assert_fits(d).await;
    b.driver.quit().await.unwrap();
}
