//! `TestApp`: the real router on a fresh database, a fixed clock, and one method per endpoint.

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{Method, Request, StatusCode, header},
};
use docspot_server::{
    app::accounts,
    config::ServeArgs,
    jobs,
    notify::email::Mailer,
    startup,
    state::{AppState, Settings},
};
use domain::FixedClock;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::{net::SocketAddr, path::PathBuf, sync::Arc};
use store::testing::TestDb;
use tower::ServiceExt;

pub use crate::processes::{Proc, docspot, serve};
pub use reading::{pdf_text, quoted_printable_flat, token_after};

mod reading;

/// Sends `req` through `router` as a client at 10.0.0.1 would.
pub async fn send_to(router: Router, mut req: Request<Body>) -> Resp {
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 5555))));
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
        text,
        bytes: bytes.to_vec(),
    }
}

/// A page's GET, signed in with the access cookie `token`.
pub fn page_get(path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::COOKIE, format!("ds_access={token}"))
        .body(Body::empty())
        .unwrap()
}

/// A same-origin form POST, as a browser sends it; signed in when `token` is given.
pub fn form_post(path: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("origin", "http://docspot.test")
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(t) = token {
        b = b.header(header::COOKIE, format!("ds_access={t}"));
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

/// A password that passes the policy.
pub const PW: &str = "correct horse battery staple";

pub struct TestApp {
    pub backend: &'static str,
    pub state: AppState,
    pub router: Router,
    pub clock: FixedClock,
    pub data_dir: PathBuf,
    pub mailer: Mailer,
    pub db_url: String,
    /// Keeps the database alive; `None` on a second instance (the first one owns it).
    pub(crate) _db: Option<TestDb>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
    /// The body as sent (a PDF, a file).
    pub bytes: Vec<u8>,
}

impl Resp {
    /// The problem `type` slug, e.g. `validation`.
    pub fn problem(&self) -> &str {
        self.body["type"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches("urn:docspot:problem:")
    }
}

pub fn start_time() -> jiff::Timestamp {
    "2026-11-22T09:00:00Z".parse().unwrap()
}

impl TestApp {
    pub async fn new(db: TestDb) -> TestApp {
        Self::with(db, |_| {}).await
    }

    /// Builds an app on `db` after letting `tweak` change the settings.
    pub async fn with(db: TestDb, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let data_dir =
            std::env::temp_dir().join(format!("docspot-app-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&data_dir).unwrap();
        let mut settings = Settings::from_args(
            &ServeArgs::for_tests(),
            "http://docspot.test",
            data_dir.clone(),
        );
        tweak(&mut settings);
        let clock = FixedClock::new(start_time());
        let state = AppState::new(db.store.clone(), Arc::new(clock.clone()), settings);
        let router = startup::router(state.clone());
        let mailer = Mailer::new(None, &data_dir).unwrap();
        TestApp {
            backend: db.backend,
            state,
            router,
            clock,
            data_dir,
            mailer,
            db_url: db.url.clone(),
            _db: Some(db),
        }
    }

    /// One app per configured database, for a loop that runs a body on each. New tests use
    /// `each_backend!` instead, which names the database in the test's name; this stays for
    /// tests written before it (and is unused once all are converted).
    #[allow(dead_code)]
    pub async fn each() -> Vec<TestApp> {
        let mut out = Vec::new();
        for db in TestDb::each().await {
            out.push(TestApp::new(db).await);
        }
        out
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        send_to(self.router.clone(), req).await
    }

    pub fn req(
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Request<Body> {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(Self::req(Method::GET, path, token, None)).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(Self::req(Method::POST, path, token, Some(&body)))
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(Self::req(Method::PUT, path, token, Some(&body)))
            .await
    }

    /// A POST with extra headers.
    pub async fn post_with(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = Self::req(Method::POST, path, token, Some(&body));
        for (k, v) in headers {
            req.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        self.send(req).await
    }

    /// A second app instance on the same database: its own connection pool and state, the
    /// same clock and settings (as a second server behind a load balancer).
    pub async fn second_instance(&self) -> TestApp {
        self.instance_on(&self.db_url).await
    }

    /// Another app instance that reaches the same database at `url` (through a proxy).
    pub async fn instance_on(&self, url: &str) -> TestApp {
        let store = store::Store::connect(&store::DbConfig {
            url: url.to_owned(),
            max_connections: 10,
        })
        .await
        .unwrap();
        let state = AppState::new(
            store,
            Arc::new(self.clock.clone()),
            self.state.settings().clone(),
        );
        TestApp {
            backend: self.backend,
            router: startup::router(state.clone()),
            state,
            clock: self.clock.clone(),
            data_dir: self.data_dir.clone(),
            mailer: Mailer::new(None, &self.data_dir).unwrap(),
            db_url: self.db_url.clone(),
            _db: None,
        }
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(Self::req(Method::DELETE, path, token, None))
            .await
    }

    pub async fn register(&self, email: &str, name: &str) -> Resp {
        self.post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "name": name, "password": PW}),
        )
        .await
    }

    pub async fn login_with(&self, email: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// Logs in and returns (access, refresh).
    pub async fn login(&self, email: &str) -> (String, String) {
        let r = self.login_with(email, PW).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}: login {email}: {}",
            self.backend,
            r.text
        );
        (
            r.body["access_token"].as_str().unwrap().to_owned(),
            r.body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn refresh(&self, refresh_token: &str) -> Resp {
        self.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh_token}),
        )
        .await
    }

    /// The status of `get_me` with `access`: whether that access token works.
    pub async fn me_status(&self, access: &str) -> StatusCode {
        self.get("/api/v1/me", Some(access)).await.status
    }

    pub async fn invite(&self, clinic: &str, admin: &str, email: &str, role: &str) -> Resp {
        self.post(
            &format!("/api/v1/clinics/{clinic}/invites"),
            Some(admin),
            json!({"email": email, "role": role}),
        )
        .await
    }

    pub async fn accept(&self, token: &str, name: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/invites/accept",
            None,
            json!({"token": token, "name": name, "password": password}),
        )
        .await
    }

    /// Invites `email` into `clinic` as `role` and accepts with a new account (password `PW`).
    pub async fn join(&self, clinic: &str, admin: &str, email: &str, role: &str, name: &str) {
        self.invite(clinic, admin, email, role).await;
        let token = self.link_token_sent_to(email, "/invite?token=").await;
        let r = self.accept(&token, name, PW).await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "{}: {email} joins: {}",
            self.backend,
            r.text
        );
    }

    /// Creates a platform admin and returns their access token.
    pub async fn platform_admin(&self, email: &str) -> String {
        accounts::create_platform_admin(&self.state, email, "Platform Admin", PW)
            .await
            .unwrap();
        self.login(email).await.0
    }

    /// A clinic with an admin who accepted the invite; returns (clinic id, admin token).
    pub async fn clinic_with_admin(&self, slug: &str, admin_email: &str) -> (String, String) {
        self.clinic_in_zone(slug, admin_email, "Asia/Kolkata").await
    }

    /// A clinic in the IANA zone `zone` with its first admin signed in: (clinic id, token).
    pub async fn clinic_in_zone(
        &self,
        slug: &str,
        admin_email: &str,
        zone: &str,
    ) -> (String, String) {
        let root = self
            .platform_admin(&format!("root-{slug}@docspot.test"))
            .await;
        let r = self
            .post(
                "/api/v1/clinics",
                Some(&root),
                json!({"name": format!("Clinic {slug}"), "slug": slug, "time_zone": zone, "currency": "INR", "admin_email": admin_email}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}: create clinic: {}",
            self.backend,
            r.text
        );
        let clinic = r.body["id"].as_str().unwrap().to_owned();
        let token = self.link_token_sent_to(admin_email, "/invite?token=").await;
        let r = self.accept(&token, "Clinic Admin", PW).await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "{}: accept: {}",
            self.backend,
            r.text
        );
        (clinic, self.login(admin_email).await.0)
    }

    /// Runs the worker until no job is due; returns the messages sent. Fails the test if a
    /// job is left stuck.
    pub async fn deliver_mail(&self) -> Vec<(String, String)> {
        jobs::run_jobs(&self.state, &self.mailer).await.unwrap();
        let stuck = crate::teardown::stuck_jobs(self.state.store()).await;
        assert!(stuck.is_empty(), "{}: jobs stuck: {stuck:?}", self.backend);
        let mut out = Vec::new();
        if let Ok(dir) = std::fs::read_dir(self.data_dir.join("outbox")) {
            for entry in dir.flatten() {
                if entry.path().extension().is_some_and(|e| e == "eml") {
                    out.push((
                        entry.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(entry.path()).unwrap(),
                    ));
                }
            }
        }
        out
    }

    /// The token of the newest link containing `marker` in mail sent to `to`.
    pub async fn link_token_sent_to(&self, to: &str, marker: &str) -> String {
        let mut mails = self.deliver_mail().await;
        mails.sort();
        let mail = mails
            .iter()
            .rev()
            .map(|(_, m)| m)
            .find(|m| m.contains(&format!("To: {to}")) && m.contains(marker))
            .unwrap_or_else(|| panic!("{}: no mail to {to} with {marker}", self.backend));
        token_after(mail, marker)
    }

    pub fn advance(&self, d: jiff::SignedDuration) {
        self.clock.advance(d);
    }

    /// Asserts that `r` answered `status`; else names the database and prints the body.
    #[track_caller]
    pub fn expect(&self, r: &Resp, status: StatusCode) {
        assert_eq!(r.status, status, "{}: {}", self.backend, r.text);
    }

    /// Counts audit events with `action`.
    pub async fn audit_count(&self, action: &str) -> usize {
        let mut n = 0;
        let rows = store::audit::recent(self.state.store().conn(), None, 10_000)
            .await
            .unwrap();
        n += rows.iter().filter(|e| e.action == action).count();
        for c in store::clinics::list(self.state.store().conn(), 200, 0)
            .await
            .unwrap()
        {
            let rows = store::audit::recent(self.state.store().conn(), Some(c.id), 10_000)
                .await
                .unwrap();
            n += rows.iter().filter(|e| e.action == action).count();
        }
        n
    }
}

/// Where a redirect points.
pub fn location(r: &Resp) -> String {
    r.headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A signed-in form POST, as a browser sends it.
pub async fn page_post(app: &TestApp, path: &str, token: &str, body: &str) -> Resp {
    app.send(form_post(path, Some(token), body)).await
}

/// `r` is a 422 that names `field` (for the request `what`).
pub fn refused_on(r: &Resp, field: &str, what: &impl std::fmt::Display) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        r.text
    );
    assert!(
        r.text.contains(&format!("\"{field}\"")),
        "{what} names {field}: {}",
        r.text
    );
}
