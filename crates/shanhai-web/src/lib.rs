//! Shanhai's HTTP layer: the JSON API (documented with OpenAPI), the server-rendered pages,
//! sign-in, sessions and CSRF, and the zh/en message catalogues. Handlers are thin: parse the
//! request into domain values, call the store, map the result.

pub mod api;
pub mod auth;
pub mod cache;
pub mod charts;
pub mod error;
pub mod fhir;
pub mod i18n;
pub mod metrics;
pub mod pages;
pub mod request_log;
pub mod site;
pub mod stop;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use shanhai_domain::bookings::BookingLimits;
use shanhai_store::bookings::BookingDesk;
use shanhai_store::crypto::PatientCipher;
use shanhai_store::{Db, StoreError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
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
    /// How long an API token works after it is issued, in hours.
    pub token_lifetime_hours: u32,
    /// On SIGTERM, how long requests in flight may take to finish.
    pub shutdown_grace_seconds: u32,
    /// See [`HEADER_READ_TIMEOUT`]; shorter in tests.
    pub header_read_timeout_ms: u32,
    /// Hosts, addresses and CIDR blocks webhooks may reach although they are internal
    /// (on-premises receivers); empty refuses every internal destination.
    pub webhook_allow: shanhai_domain::webhooks::WebhookAllow,
}

impl Config {
    /// Public requests per address per minute unless `SHANHAI_PUBLIC_RATE_LIMIT` says otherwise.
    pub const DEFAULT_PUBLIC_RATE_LIMIT: u32 = 120;
    /// API tokens work for 30 days unless `SHANHAI_TOKEN_HOURS` (1 to 8,760) says otherwise.
    pub const DEFAULT_TOKEN_LIFETIME_HOURS: u32 = 30 * 24;
    /// Requests in flight get 10 s to finish on SIGTERM unless `SHANHAI_SHUTDOWN_SECONDS` says
    /// otherwise.
    pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u32 = 10;

    /// The defaults: no S3, no `Secure` cookies, every limit at its default.
    pub fn new(data_dir: PathBuf) -> Config {
        Config {
            data_dir,
            secure_cookies: false,
            public_rate_limit: Config::DEFAULT_PUBLIC_RATE_LIMIT,
            s3: None,
            token_lifetime_hours: Config::DEFAULT_TOKEN_LIFETIME_HOURS,
            shutdown_grace_seconds: Config::DEFAULT_SHUTDOWN_GRACE_SECONDS,
            header_read_timeout_ms: HEADER_READ_TIMEOUT.as_millis() as u32,
            webhook_allow: Default::default(),
        }
    }

    /// The defaults, with the limits an operator sets through the environment read from it.
    pub fn from_env(data_dir: PathBuf) -> Config {
        fn var(name: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .filter(|v| range.contains(v))
        }
        let defaults = Config::new(data_dir);
        Config {
            public_rate_limit: var("SHANHAI_PUBLIC_RATE_LIMIT", 0..=u32::MAX)
                .unwrap_or(defaults.public_rate_limit),
            token_lifetime_hours: var("SHANHAI_TOKEN_HOURS", 1..=8_760)
                .unwrap_or(defaults.token_lifetime_hours),
            shutdown_grace_seconds: var("SHANHAI_SHUTDOWN_SECONDS", 0..=3_600)
                .unwrap_or(defaults.shutdown_grace_seconds),
            ..defaults
        }
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
    /// Counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
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
        let stale = files.clean_scratch(std::time::SystemTime::now());
        if stale > 0 {
            tracing::info!("removed {stale} unfinished uploads from scratch space");
        }
        tracing::info!("attachments stored in {}", files.describe());
        // Switching the public rate limit off (a load test from one address) switches off the
        // per-address booking limits with it.
        let limits = if config.public_rate_limit == 0 {
            BookingLimits::DEFAULT.without_address_limits()
        } else {
            BookingLimits::DEFAULT
        };
        let desk = BookingDesk::start(db.clone(), Arc::new(cipher), limits).await?;
        let interrupted = shanhai_service::planning::plans::fail_interrupted(&db)
            .await
            .map_err(|e| StoreError::Other(format!("plans left unfinished: {e}")))?;
        if interrupted > 0 {
            tracing::info!("{interrupted} plans interrupted by the restart marked failed");
        }
        tokio::spawn(api::webhooks::worker(
            db.clone(),
            config.webhook_allow.clone(),
            api::webhooks::DeliveryLimits::default(),
        ));
        let metrics = Arc::new(metrics::Metrics::default());
        tokio::spawn(metrics::folder(
            db.clone(),
            std::time::Duration::from_secs(2),
            metrics.clone(),
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
            metrics,
        })
    }
}

/// Scripts only from the site itself, never inline; styles may be inline (the charts' SVG and
/// the bars set widths in `style`), nothing may frame the pages, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::export::wrap(api::router(), state.clone()))
        .merge(fhir::router())
        .merge(pages::router())
        .merge(metrics::router())
        .merge(site::router())
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
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        // Pages and JSON carry patient and case details: no copy in a browser's or a proxy's
        // cache. The stylesheet and the script say otherwise for themselves.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            site::headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_log::layer,
        ))
        .with_state(state)
}

/// How long a client may take to send a request's headers; also how long a kept-alive
/// connection may sit idle before its next request. A client that never finishes its headers
/// holds a connection for no longer than this.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(15);

/// Serves until the process is told to stop (Ctrl-C or SIGTERM). Then it stops accepting, lets
/// requests in flight finish for at most `config.shutdown_grace_seconds`, and returns; idle and
/// half-sent connections are closed at once. A second signal exits at once ([`stop::signal`]);
/// the caller then runs [`stop::finish`].
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_until(listener, state, stop::signal()).await
}

/// On a stop, how long connections accepted just before it have to send their first request.
const FIRST_REQUEST_WINDOW: Duration = Duration::from_millis(250);

/// [`serve`], stopping when `stop` completes instead of on a signal.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    state: AppState,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto;
    use tower::ServiceExt;

    let grace = Duration::from_secs(u64::from(state.config.shutdown_grace_seconds));
    let header_timeout = Duration::from_millis(u64::from(state.config.header_read_timeout_ms));
    let app = router(state);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Some(header_timeout));
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(header_timeout))
        .keep_alive_timeout(header_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    let mut stopping = false;
    loop {
        let (stream, peer) = if stopping {
            // Connections the kernel completed before the stop are served, not reset.
            tokio::select! {
                biased;
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(_) => break,
                },
                () = std::future::ready(()) => break,
            }
        } else {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut stop => {
                    stopping = true;
                    continue;
                }
            }
        };
        let app = app.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(request.map(axum::body::Body::new))
            },
        );
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        tokio::spawn(graceful.watch(connection));
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + grace;
    // A connection just accepted whose request is still on its way would count as idle and be
    // closed under the client; give such requests a moment to arrive.
    tokio::time::sleep(FIRST_REQUEST_WINDOW.min(grace)).await;
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep_until(deadline) => {
            tracing::warn!("requests still running after {} s; stopping anyway", grace.as_secs());
        }
    }
    Ok(())
}
