//! PostgreSQL cut off mid-day: through a TCP proxy the test controls, every request answers
//! 503 with `Retry-After` (problem+json for the API, an error page for pages), a valid
//! session is never refused with 401 nor its cookies cleared, and service comes back
//! without a restart when the database does.

use crate::helpers::TestApp;
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};
use tokio::{net::TcpListener, task::AbortHandle};

/// A loopback TCP proxy to PostgreSQL that can be cut (open connections dropped, new ones
/// closed at once) and restored.
struct Proxy {
    addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links2.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy { addr, up, links }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for l in self.links.lock().unwrap().drain(..) {
            l.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `url` with its host and port replaced by `addr`.
fn via(url: &str, addr: std::net::SocketAddr) -> (String, String) {
    let (head, rest) = url.split_once('@').expect("a URL with user@host");
    let (host, path) = rest.split_once('/').expect("a URL with a database");
    (format!("{head}@{addr}/{path}"), host.to_owned())
}

#[tokio::test]
async fn while_postgres_is_unreachable_requests_answer_503_and_sessions_survive() {
    let Some(db) = store::testing::TestDb::postgres().await else {
        return;
    };
    let first = TestApp::new(db).await;
    first.register("out@example.com", "Outage Tester").await;
    let (access, refresh) = first.login("out@example.com").await;
    let (_, upstream) = via(&first.db_url, "127.0.0.1:1".parse().unwrap());
    let proxy = Proxy::start(upstream).await;
    let app = first.instance_on(&via(&first.db_url, proxy.addr).0).await;
    assert_eq!(app.me_status(&access).await, StatusCode::OK);

    proxy.cut();
    let cookie = format!("ds_access={access}; ds_refresh={refresh}");
    for (path, bearer, api) in [
        ("/api/v1/me", true, true),
        ("/api/v1/clinics", false, true),
        ("/api/v1/me/appointments", true, true),
        ("/", false, false),
        ("/appointments", false, false),
        ("/c/sunrise", false, false),
        ("/readyz", false, true),
    ] {
        let mut req = Request::builder().uri(path);
        req = if bearer {
            req.header(header::AUTHORIZATION, format!("Bearer {access}"))
        } else {
            req.header(header::COOKIE, &cookie)
        };
        let r = app.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path} during the outage: {}",
            r.text
        );
        let ct = r.headers[header::CONTENT_TYPE].to_str().unwrap();
        if path == "/readyz" {
            continue;
        }
        assert!(r.headers.contains_key(header::RETRY_AFTER), "{path}");
        if api {
            assert_eq!(ct, "application/problem+json", "{path}");
            assert_eq!(r.body["type"], "urn:docspot:problem:unavailable", "{path}");
        } else {
            assert!(ct.starts_with("text/html"), "{path}: {ct}");
            assert!(r.text.contains("Back in a moment"), "{path}: {}", r.text);
        }
        assert!(
            !r.headers.contains_key(header::SET_COOKIE),
            "{path}: the browser keeps its session cookies"
        );
    }

    proxy.restore();
    let mut back = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..100 {
        back = app.me_status(&access).await;
        if back == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        back,
        StatusCode::OK,
        "the same session works again, no restart"
    );
}

/// SQLite cannot drop off the network, but another process can hold its write lock (a
/// stray `sqlite3` shell in a transaction, a backup tool). Writes then wait out the busy
/// timeout and answer 503 with `Retry-After`, never 500, and work again once it lets go.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn while_another_process_holds_sqlites_write_lock_writes_answer_503() {
    use sea_orm::{ConnectOptions, ConnectionTrait, Database};
    let app = TestApp::new(store::testing::TestDb::sqlite().await).await;
    app.register("lock@example.com", "Lock Tester").await;
    app.deliver_mail().await;

    let mut opts = ConnectOptions::new(app.db_url.clone());
    opts.max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let holder = Database::connect(opts).await.unwrap();
    holder.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
    holder
        .execute_unprepared("UPDATE users SET name = name WHERE email = 'nobody'")
        .await
        .unwrap();

    let login = serde_json::json!({"email": "lock@example.com", "password": crate::helpers::PW});
    let api = {
        let router = app.router.clone();
        let req = TestApp::req(Method::POST, "/api/v1/auth/login", None, Some(&login));
        tokio::spawn(async move { crate::helpers::send_to(router, req).await })
    };
    let page = {
        let router = app.router.clone();
        let req = crate::helpers::form_post(
            "/login",
            None,
            "email=lock%40example.com&password=correct+horse+battery+staple",
        );
        tokio::spawn(async move { crate::helpers::send_to(router, req).await })
    };
    let (api, page) = (api.await.unwrap(), page.await.unwrap());
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE, "{}", api.text);
    assert_eq!(
        api.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert!(api.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.text
    );
    assert!(page.text.contains("Back in a moment"), "{}", page.text);

    holder.execute_unprepared("ROLLBACK").await.unwrap();
    holder.close().await.unwrap();
    let again = app.login_with("lock@example.com", crate::helpers::PW).await;
    assert_eq!(again.status, StatusCode::OK, "back without a restart");
}
