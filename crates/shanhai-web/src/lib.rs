//! Shanhai's HTTP layer: the JSON API (documented with OpenAPI), the server-rendered pages,
//! sign-in, sessions and CSRF, and the zh/en message catalogues. Handlers are thin: parse the
//! request into domain values, call the store, map the result.

pub mod api;
pub mod auth;
pub mod cache;
pub mod charts;
pub mod error;
pub mod i18n;
pub mod pages;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use shanhai_store::bookings::BookingDesk;
use shanhai_store::crypto::PatientCipher;
use shanhai_store::{Db, StoreError};
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
    /// Public requests allowed per client address per minute; 0 switches the limit off.
    pub public_rate_limit: u32,
    /// S3-compatible storage for uploaded files; `None` keeps them under `data_dir/files`.
    pub s3: Option<shanhai_files::S3Config>,
    /// Hosts, addresses and CIDR blocks webhooks may reach although they are internal
    /// (on-premises receivers); empty refuses every internal destination.
    pub webhook_allow: shanhai_domain::webhooks::WebhookAllow,
}

impl Config {
    /// Public requests per address per minute unless `SHANHAI_PUBLIC_RATE_LIMIT` says otherwise.
    pub const DEFAULT_PUBLIC_RATE_LIMIT: u32 = 120;

    pub fn public_rate_limit_from_env() -> u32 {
        std::env::var("SHANHAI_PUBLIC_RATE_LIMIT")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(Config::DEFAULT_PUBLIC_RATE_LIMIT)
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub throttle: Arc<auth::LoginThrottle>,
    pub rate_limit: Arc<auth::RateLimit>,
    pub desk: BookingDesk,
    /// Public session searches, kept for a second.
    pub public_search: Arc<cache::TtlCache>,
    /// Where attachments are stored.
    pub files: shanhai_files::FileStore,
}

impl AppState {
    /// Loads the patient-data key and starts the booking desk.
    pub async fn start(db: Db, config: Config) -> Result<AppState, StoreError> {
        let cipher = PatientCipher::load(&config.data_dir).map_err(|e| {
            StoreError::Other(format!("patient key in {}: {e}", config.data_dir.display()))
        })?;
        shanhai_store::crypto::ensure_key_matches(&db, &cipher).await?;
        let files = match &config.s3 {
            Some(s3) => shanhai_files::FileStore::s3(s3, &config.data_dir),
            None => shanhai_files::FileStore::local(&config.data_dir),
        }
        .map_err(|e| StoreError::Other(e.to_string()))?;
        tracing::info!("attachments stored in {}", files.describe());
        let desk = BookingDesk::start(db.clone(), Arc::new(cipher)).await?;
        tokio::spawn(api::webhooks::worker(
            db.clone(),
            config.webhook_allow.clone(),
            api::webhooks::DeliveryLimits::default(),
        ));
        tokio::spawn(shanhai_store::rollups::folder(
            db.clone(),
            std::time::Duration::from_secs(2),
        ));
        Ok(AppState {
            db,
            rate_limit: Arc::new(auth::RateLimit::per_minute(config.public_rate_limit)),
            config: Arc::new(config),
            throttle: Arc::new(auth::LoginThrottle::default()),
            desk,
            public_search: Arc::new(cache::TtlCache::new(
                std::time::Duration::from_secs(1),
                10_000,
            )),
            files,
        })
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::export::wrap(api::router(), state.clone()))
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
