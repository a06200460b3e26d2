//! Building the application: connect and migrate the database, assemble the router, bind the
//! listener. Tests build it on port 0 and read the port back.

use crate::{
    api, auth,
    config::ServeArgs,
    error::AppError,
    http, jobs,
    notify::email::Mailer,
    pages,
    state::{AppState, Settings},
};
use axum::{
    Json, Router,
    extract::{ConnectInfo, DefaultBodyLimit, Request, State},
    http::{StatusCode, header},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use domain::Clock;
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::{
    future::Future,
    path::PathBuf,
    sync::{Arc, OnceLock},
    time::Duration,
};
use store::{DbConfig, Store};
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::{catch_panic::CatchPanicLayer, compression::CompressionLayer, csrf::CsrfLayer};
use utoipa_swagger_ui::SwaggerUi;

/// What building an app needs.
pub struct AppOptions {
    pub db_url: String,
    pub data_dir: PathBuf,
    pub serve: ServeArgs,
    pub clock: Arc<dyn Clock>,
}

/// A built, bound, not yet running server.
pub struct App {
    listener: TcpListener,
    state: AppState,
    mailer: Arc<Mailer>,
    run_worker: bool,
    header_read_timeout: Duration,
    shutdown_timeout: Duration,
}

fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .clone()
}

impl App {
    /// Connects, migrates, and binds `serve.addr` (port 0 picks a free port).
    pub async fn build(opts: AppOptions) -> Result<App, String> {
        let store = connect(&opts.db_url).await?;
        store
            .migrate()
            .await
            .map_err(|e| format!("migration failed: {e}"))?;
        let listener = TcpListener::bind(opts.serve.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", opts.serve.addr))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let s = &opts.serve;
        let public_url = s
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}"));
        s.sms_config()?;
        s.whatsapp_config()?;
        let settings = Settings::from_args(s, &public_url, opts.data_dir.clone());
        let mailer = Mailer::new(s.smtp_url.as_ref().map(|u| u.expose()), &opts.data_dir)?;
        let state = AppState::new(store, opts.clock, settings);
        Ok(App {
            listener,
            state,
            mailer: Arc::new(mailer),
            run_worker: !s.no_worker,
            header_read_timeout: Duration::from_secs(s.header_read_timeout.max(1)),
            shutdown_timeout: Duration::from_secs(s.shutdown_timeout),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    pub fn mailer(&self) -> Arc<Mailer> {
        self.mailer.clone()
    }

    /// Serves until `shutdown` completes, with the job worker alongside unless disabled.
    /// Then it stops accepting, tells live streams and the worker to stop, and lets
    /// in-flight requests finish for up to `--shutdown-timeout` before returning.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let worker = self
            .run_worker
            .then(|| jobs::spawn(state.clone(), self.mailer.clone(), state.stop_signal()));
        let router = router(state.clone());
        // HTTP/1.1 only (a TLS proxy in front speaks HTTP/2 to browsers): its header read
        // timer also closes idle kept-alive connections.
        let mut conn = http1::Builder::new();
        conn.timer(TokioTimer::new())
            .header_read_timeout(Some(self.header_read_timeout));
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, remote) = tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let svc = router
                .clone()
                .map_request(move |mut req: Request<Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(remote));
                    req
                });
            let served = conn.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            let watched = graceful.watch(served);
            tokio::spawn(async move {
                let _ = watched.await;
            });
        }
        drop(self.listener);
        tracing::info!("shutting down: no new connections; finishing requests in flight");
        state.begin_shutdown();
        let deadline = tokio::time::Instant::now() + self.shutdown_timeout;
        if tokio::time::timeout_at(deadline, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("shutdown deadline passed with requests still in flight");
        }
        if let Some(w) = worker
            && tokio::time::timeout_at(deadline, w).await.is_err()
        {
            tracing::warn!("shutdown deadline passed with a job still running");
        }
        Ok(())
    }
}

/// Opens the database at `url` with a pool sized for its backend; errors name the URL
/// without its password.
pub async fn connect(url: &str) -> Result<Store, String> {
    let max_connections = if url.starts_with("postgres") { 16 } else { 8 };
    Store::connect(&DbConfig {
        url: url.to_owned(),
        max_connections,
    })
    .await
    .map_err(|e| format!("cannot open the database ({}): {e}", store::redact_url(url)))
}

/// The whole HTTP surface, with middleware. Outermost layer last.
pub fn router(state: AppState) -> Router {
    metrics_handle();
    // Multipart framing on top of the largest document.
    let upload_limit = state.settings().max_upload_bytes + 65_536;
    let (api_routes, openapi) = api::router(upload_limit);
    Router::new()
        .merge(api_routes)
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(pages::router(upload_limit))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::identity::identify,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            http::time_limit,
        ))
        .layer(middleware::from_fn(http::refuse_nul))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            http::security_headers,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), http::observe))
        .layer(CompressionLayer::new())
        .layer(CsrfLayer::new())
        .layer(DefaultBodyLimit::max(state.settings().max_body_bytes))
        .layer(CatchPanicLayer::custom(|_| {
            AppError::Internal("handler panicked".into()).into_response()
        }))
        .with_state(state)
}

async fn fallback(req: Request) -> Response {
    pages::error_for_path(req.uri().path(), AppError::NotFound)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    let ready = async {
        state.store().ping().await.ok()?;
        state.store().migrations_current().await.ok()
    };
    match ready.await {
        Some(true) => Json(serde_json::json!({"status": "ready"})).into_response(),
        Some(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "migrations pending"})),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "database unreachable"})),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    match metrics_handle() {
        Some(h) => {
            let mut text = h.render();
            if let Some(w) = state.store().write_stats() {
                text.push_str(&format!(
                    "# TYPE docspot_sqlite_write_transactions_total counter\n\
                     docspot_sqlite_write_transactions_total {}\n\
                     # TYPE docspot_sqlite_commits_total counter\n\
                     docspot_sqlite_commits_total {}\n",
                    w.transactions, w.commits
                ));
            }
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response(),
    }
}
