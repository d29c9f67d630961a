//! Shanhai's HTTP layer: the JSON API (documented with OpenAPI), the server-rendered pages,
//! sign-in, sessions and CSRF, and the zh/en message catalogues. Handlers are thin: parse the
//! request into domain values, call the store, map the result.

pub mod api;
pub mod auth;
pub mod error;
pub mod i18n;
pub mod pages;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use shanhai_store::Db;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest request body accepted anywhere except document uploads.
pub const BODY_LIMIT: usize = 256 * 1024;
/// Largest uploaded document (an agreement's scanned PDF).
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// Mark cookies `Secure`; on when the platform is served over HTTPS.
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub throttle: Arc<auth::LoginThrottle>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        AppState {
            db,
            config: Arc::new(config),
            throttle: Arc::new(auth::LoginThrottle::default()),
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(i18n::with_request_lang))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

/// Serves until the listener fails or the process is told to stop (Ctrl-C or SIGTERM).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
