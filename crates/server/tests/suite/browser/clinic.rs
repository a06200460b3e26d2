//! A fresh clinic where it is now midday, for walks that need "later today". The binary runs
//! on the real clock, and in the demo clinic's zone (Asia/Kolkata) the day may be nearly
//! over when a test runs (CI can run at 23:50 there). So the demo's platform admin opens a
//! clinic in the fixed-offset zone (`Etc/GMT±N`) where the local time is now 12:00–12:59,
//! and its admin sets it up through the API as a real clinic would be: staff invited by
//! e-mail, the doctor approved, a visit type, and hours 07:00–22:00 every day. A walk that
//! lasts a few minutes stays inside that local day, whatever the time of day.

use super::Server;
use crate::helpers::PW;
use reqwest::Method;
use serde_json::{Value, json};

/// JSON calls to the running server; each answer's status is checked.
pub(super) struct Api {
    url: String,
    http: reqwest::Client,
}

impl Api {
    pub(super) fn new(server: &Server) -> Api {
        Api {
            url: server.url.clone(),
            http: reqwest::Client::new(),
        }
    }

    /// Sends `body` (if any) with `token` (if any); panics unless the status is `want`.
    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        want: u16,
    ) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(status, want, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Signs in and returns the access token.
    pub(super) async fn login(&self, email: &str, password: &str) -> String {
        let body = json!({"email": email, "password": password});
        let r = self
            .call(Method::POST, "/api/v1/auth/login", None, Some(body), 200)
            .await;
        r["access_token"].as_str().unwrap().to_owned()
    }

    /// Signs a patient up on the website (password `PW`).
    pub(super) async fn register(&self, email: &str, name: &str) {
        let body = json!({"email": email, "name": name, "password": PW});
        self.call(Method::POST, "/api/v1/auth/register", None, Some(body), 201)
            .await;
    }
}

/// The clinic, with its doctor's bookable visit type.
pub(super) struct Clinic {
    pub(super) id: String,
    pub(super) slug: String,
    pub(super) doctor: String,
    pub(super) visit_type: String,
    pub(super) desk_email: String,
    pub(super) doctor_email: String,
    zone: jiff::tz::TimeZone,
}

/// The fixed-offset zone where the hour of `now` is 12.
fn midday_zone(now: jiff::Timestamp) -> String {
    let hour = i32::from(now.to_zoned(jiff::tz::TimeZone::UTC).hour());
    // Etc/GMT names count the other way: Etc/GMT-5 is five hours ahead of UTC.
    match 12 - hour {
        0 => "Etc/GMT".to_owned(),
        ahead if ahead > 0 => format!("Etc/GMT-{ahead}"),
        behind => format!("Etc/GMT+{}", -behind),
    }
}

/// Invites `email` as `role` and accepts the e-mailed invitation as `name` (password `PW`).
async fn join(api: &Api, server: &Server, clinic: &str, admin: &str, who: (&str, &str, &str)) {
    let (email, role, name) = who;
    let body = json!({"email": email, "role": role});
    let path = format!("/api/v1/clinics/{clinic}/invites");
    api.call(Method::POST, &path, Some(admin), Some(body), 202)
        .await;
    let token = server.mailed_token(email, "/invite?token=").await;
    let body = json!({"token": token, "name": name, "password": PW});
    api.call(
        Method::POST,
        "/api/v1/invites/accept",
        None,
        Some(body),
        204,
    )
    .await;
}

/// Opens the clinic `slug` where it is now midday, with Dr. Ravi Iyer and Neha Kapoor at
/// the desk.
pub(super) async fn midday_clinic(server: &Server, slug: &str) -> Clinic {
    let api = Api::new(server);
    // The binary runs on the real clock, so the test reads it too.
    #[allow(clippy::disallowed_methods)]
    let zone_name = midday_zone(jiff::Timestamp::now());
    let (email, pw) = server.login_of("platform admin");
    let root = api.login(&email, &pw).await;
    let admin_email = format!("admin@{slug}.example.com");
    let body = json!({"name": "Noon Family Clinic", "slug": slug, "time_zone": zone_name,
        "currency": "INR", "admin_email": admin_email});
    let clinic = api
        .call(
            Method::POST,
            "/api/v1/clinics",
            Some(&root),
            Some(body),
            201,
        )
        .await;
    let id = clinic["id"].as_str().unwrap().to_owned();
    let token = server.mailed_token(&admin_email, "/invite?token=").await;
    let body = json!({"token": token, "name": "Asha Menon", "password": PW});
    api.call(
        Method::POST,
        "/api/v1/invites/accept",
        None,
        Some(body),
        204,
    )
    .await;
    let admin = api.login(&admin_email, PW).await;
    let doctor_email = format!("ravi.iyer@{slug}.example.com");
    let desk_email = format!("desk@{slug}.example.com");
    join(
        &api,
        server,
        &id,
        &admin,
        (&doctor_email, "doctor", "Dr. Ravi Iyer"),
    )
    .await;
    join(
        &api,
        server,
        &id,
        &admin,
        (&desk_email, "receptionist", "Neha Kapoor"),
    )
    .await;
    let at = |rest: &str| format!("/api/v1/clinics/{id}{rest}");
    let pending = api
        .call(
            Method::GET,
            &at("/doctors/pending"),
            Some(&admin),
            None,
            200,
        )
        .await;
    let doctor = pending[0]["id"].as_str().unwrap().to_owned();
    let approve = at(&format!("/doctors/{doctor}/approve"));
    api.call(Method::POST, &approve, Some(&admin), Some(json!({})), 200)
        .await;
    // Prescriptions print the registration number.
    let body = json!({"name": "Dr. Ravi Iyer", "qualifications": "MBBS, MD (Internal Medicine)",
        "registration_number": "KMC-48211", "fee_minor": 50000});
    let profile = at(&format!("/doctors/{doctor}"));
    api.call(Method::PUT, &profile, Some(&admin), Some(body), 200)
        .await;
    let body = json!({"name": "Consultation", "duration_min": 15, "buffer_after_min": 5,
        "price_minor": 50000});
    let visit_type = api
        .call(
            Method::POST,
            &at("/visit-types"),
            Some(&admin),
            Some(body),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let intervals: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "07:00", "end": "22:00"}))
        .collect();
    let hours = at(&format!("/doctors/{doctor}/hours"));
    let body = json!({"intervals": intervals});
    api.call(Method::PUT, &hours, Some(&admin), Some(body), 200)
        .await;
    Clinic {
        id,
        slug: slug.to_owned(),
        doctor,
        visit_type,
        desk_email,
        doctor_email,
        zone: jiff::tz::TimeZone::get(&zone_name).unwrap(),
    }
}

impl Clinic {
    /// The first slot offered online later today (UTC, RFC 3339).
    pub(super) async fn slot_later_today(&self, api: &Api) -> String {
        self.slot_of_later_today(api, &self.visit_type).await
    }

    /// The first slot of the visit type `vt` offered online later today.
    pub(super) async fn slot_of_later_today(&self, api: &Api, vt: &str) -> String {
        let path = format!(
            "/api/v1/clinics/{}/slots?doctor_id={}&visit_type_id={vt}",
            self.id, self.doctor
        );
        let found = api.call(Method::GET, &path, None, None, 200).await;
        #[allow(clippy::disallowed_methods)]
        let today = jiff::Timestamp::now().to_zoned(self.zone.clone()).date();
        found["doctors"][0]["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["start"].as_str().unwrap().to_owned())
            .find(|s| {
                let start: jiff::Timestamp = s.parse().unwrap();
                start.to_zoned(self.zone.clone()).date() == today
            })
            .unwrap_or_else(|| panic!("no slot left today in {:?}: {found}", self.zone))
    }
}

#[test]
fn every_hour_of_the_day_has_a_zone_where_it_is_midday() {
    let midnight: jiff::Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
    for minutes in (0..24 * 60).step_by(10) {
        let now = midnight + jiff::SignedDuration::from_mins(minutes);
        let name = midday_zone(now);
        let zone = jiff::tz::TimeZone::get(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let local = now.to_zoned(zone);
        assert_eq!(local.hour(), 12, "at {now} in {name}: {local}");
    }
}
