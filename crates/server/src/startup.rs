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
    extract::{DefaultBodyLimit, Request, State},
    http::{StatusCode, header},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use domain::Clock;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::{
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, OnceLock},
};
use store::{DbConfig, Store};
use tokio::net::TcpListener;
use tower_http::{catch_panic::CatchPanicLayer, csrf::CsrfLayer};
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
        let settings = Settings::from_args(s, &public_url, opts.data_dir.clone());
        let mailer = Mailer::new(s.smtp_url.as_ref().map(|u| u.expose()), &opts.data_dir)?;
        let state = AppState::new(store, opts.clock, settings);
        Ok(App {
            listener,
            state,
            mailer: Arc::new(mailer),
            run_worker: !s.no_worker,
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
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = self
            .run_worker
            .then(|| jobs::spawn(self.state.clone(), self.mailer.clone(), stop_rx));
        let app = router(self.state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        let _ = stop_tx.send(true);
        if let Some(w) = worker {
            let _ = w.await;
        }
        served
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
            http::security_headers,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), http::observe))
        .layer(CsrfLayer::new())
        .layer(DefaultBodyLimit::max(state.settings().max_body_bytes))
        .layer(CatchPanicLayer::custom(|_| {
            AppError::Internal("handler panicked".into()).into_response()
        }))
        .with_state(state)
}

async fn fallback(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        AppError::NotFound.into_response()
    } else {
        pages::not_found_page()
    }
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

async fn metrics() -> Response {
    match metrics_handle() {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response(),
    }
}
