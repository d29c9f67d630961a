//! Metrics in the Prometheus text format (version 0.0.4) at `GET /metrics`: HTTP requests by
//! route template, method and status with a latency histogram, the booking desk, the roll-up
//! deltas and fold time, the outboxes' backlogs, the database pool and the process's memory.
//!
//! On the main address the endpoint answers to a platform admin's bearer token; the operator
//! may also serve it, without a token, on a separate address (`serve --metrics-listen`) that
//! only the monitoring network reaches.

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use shanhai_store::Db;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// Upper bounds of the request-latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Upper bounds of the fold-time buckets, in seconds.
const FOLD_BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0];

/// A histogram: per-bucket counts (not cumulative), the sum and the count.
#[derive(Debug, Clone)]
struct Histogram<const N: usize> {
    buckets: [u64; N],
    sum: f64,
    count: u64,
}

impl<const N: usize> Default for Histogram<N> {
    fn default() -> Self {
        Histogram {
            buckets: [0; N],
            sum: 0.0,
            count: 0,
        }
    }
}

impl<const N: usize> Histogram<N> {
    fn observe(&mut self, bounds: &[f64; N], value: f64) {
        if let Some(i) = bounds.iter().position(|&le| value <= le) {
            self.buckets[i] += 1;
        }
        self.sum += value;
        self.count += 1;
    }

    /// Writes `name_bucket`, `name_sum` and `name_count` lines with `labels` (already
    /// formatted, without braces; may be empty).
    fn write(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64; N]) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (le, n) in bounds.iter().zip(self.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// What the server counts while it runs (one per [`AppState`]).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by (route template, method, status).
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// Latency by (route template, method).
    latency: Mutex<BTreeMap<(String, String), Histogram<{ LATENCY_BUCKETS.len() }>>>,
    in_flight: AtomicI64,
    fold: Mutex<Histogram<{ FOLD_BUCKETS.len() }>>,
    folds_failed: AtomicI64,
}

/// A request being served: counted as in flight until [`Metrics::finish`].
pub struct Started(Instant);

impl Metrics {
    pub fn start(&self) -> Started {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Started(Instant::now())
    }

    /// Counts a finished request; returns how long it took.
    pub fn finish(&self, started: Started, route: &str, method: &str, status: u16) -> Duration {
        let took = started.0.elapsed();
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route.to_string(), method.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            l.entry((route.to_string(), method.to_string()))
                .or_default()
                .observe(&LATENCY_BUCKETS, took.as_secs_f64());
        }
        took
    }

    fn record_fold(&self, took: Duration, ok: bool) {
        if ok {
            if let Ok(mut f) = self.fold.lock() {
                f.observe(&FOLD_BUCKETS, took.as_secs_f64());
            }
        } else {
            self.folds_failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Folds the roll-up deltas every `every` for as long as the server runs, timing each fold.
pub async fn folder(db: Db, every: Duration, metrics: std::sync::Arc<Metrics>) {
    loop {
        tokio::time::sleep(every).await;
        // The server is stopping: crate::stop::finish folds one last time itself.
        if db.pool().is_closed() {
            return;
        }
        let started = Instant::now();
        let folded = shanhai_store::rollups::fold(&db).await;
        match folded {
            // An empty fold is one query; timing it would only dilute the histogram.
            Ok(0) => {}
            Ok(_) => metrics.record_fold(started.elapsed(), true),
            Err(_) if db.pool().is_closed() => return,
            Err(e) => {
                metrics.record_fold(started.elapsed(), false);
                tracing::warn!("roll-up fold: {e}");
            }
        }
    }
}

/// Work waiting in each outbox: (label, query counting its undelivered rows). Notifications add
/// a row here when they get an outbox.
const OUTBOXES: &[(&str, &str)] = &[(
    "webhooks",
    "SELECT COUNT(*) AS n FROM webhook_outbox WHERE delivered_at IS NULL",
)];

/// `/metrics` for the main router (platform admins' bearer tokens).
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(guarded))
}

/// `/metrics` alone, without a token, for the separate listen address.
pub fn open_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(open)).with_state(state)
}

async fn guarded(caller: crate::auth::Caller, State(state): State<AppState>) -> Response {
    if !caller.principal.is_admin() {
        return ApiError::forbidden().into_response();
    }
    open(State(state)).await
}

async fn open(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&state).await,
    )
        .into_response()
}

/// Escapes a label value for the text format.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

async fn count(db: &Db, sql: &'static str) -> Option<i64> {
    use sqlx::Row;
    let row = sqlx::query(sql).fetch_one(db.pool()).await.ok()?;
    row.try_get::<i64, _>("n").ok()
}

/// Resident and virtual memory from `/proc/self/status` (Linux), in bytes.
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|k| k * 1024)
    };
    Some((kib("VmRSS:")?, kib("VmSize:")?))
}

/// The whole exposition.
pub async fn render(state: &AppState) -> String {
    let m = &state.metrics;
    let mut out = String::with_capacity(16 * 1024);

    head(
        &mut out,
        "shanhai_http_requests_total",
        "counter",
        "HTTP requests answered, by route template, method and status.",
    );
    if let Ok(requests) = m.requests.lock() {
        for ((route, method, status), n) in requests.iter() {
            let _ = writeln!(
                out,
                "shanhai_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                label(route),
                label(method)
            );
        }
    }
    head(
        &mut out,
        "shanhai_http_request_duration_seconds",
        "histogram",
        "Time from routing a request to its response's headers, by route template and method.",
    );
    let latency = m.latency.lock().map(|l| l.clone()).unwrap_or_default();
    for ((route, method), h) in &latency {
        let labels = format!("route=\"{}\",method=\"{}\"", label(route), label(method));
        h.write(
            &mut out,
            "shanhai_http_request_duration_seconds",
            &labels,
            &LATENCY_BUCKETS,
        );
    }
    head(
        &mut out,
        "shanhai_http_requests_in_flight",
        "gauge",
        "HTTP requests being served now.",
    );
    let _ = writeln!(
        out,
        "shanhai_http_requests_in_flight {}",
        m.in_flight.load(Ordering::Relaxed)
    );

    // The booking desk.
    let desk = state.desk.stats();
    head(
        &mut out,
        "shanhai_bookings_total",
        "counter",
        "Bookings made (confirmed or waitlisted) since the server started.",
    );
    let _ = writeln!(
        out,
        "shanhai_bookings_total {}",
        desk.booked.load(Ordering::Relaxed)
    );
    head(
        &mut out,
        "shanhai_booking_queue_depth",
        "gauge",
        "Bookings waiting for the booking writer (SQLite; always 0 on PostgreSQL).",
    );
    let _ = writeln!(
        out,
        "shanhai_booking_queue_depth {}",
        state.desk.queue_depth()
    );
    head(
        &mut out,
        "shanhai_booking_group_size",
        "histogram",
        "Bookings committed together by the booking writer (SQLite).",
    );
    let bounds = shanhai_store::bookings::GROUP_SIZE_BUCKETS.map(|b| b as f64);
    let mut groups = Histogram::<{ shanhai_store::bookings::GROUP_SIZE_BUCKETS.len() }>::default();
    for (i, n) in desk.group_buckets.iter().enumerate() {
        groups.buckets[i] = n.load(Ordering::Relaxed);
    }
    groups.count = groups.buckets.iter().sum();
    groups.sum = desk.grouped.load(Ordering::Relaxed) as f64;
    groups.write(&mut out, "shanhai_booking_group_size", "", &bounds);

    // Roll-ups.
    head(
        &mut out,
        "shanhai_rollup_deltas_waiting",
        "gauge",
        "Roll-up deltas written and not yet folded into the roll-ups.",
    );
    if let Some(n) = count(&state.db, "SELECT COUNT(*) AS n FROM rollup_deltas").await {
        let _ = writeln!(out, "shanhai_rollup_deltas_waiting {n}");
    }
    head(
        &mut out,
        "shanhai_rollup_fold_seconds",
        "histogram",
        "Time taken by each fold of the roll-up deltas that had deltas to fold.",
    );
    let fold = m.fold.lock().map(|f| f.clone()).unwrap_or_default();
    fold.write(&mut out, "shanhai_rollup_fold_seconds", "", &FOLD_BUCKETS);
    head(
        &mut out,
        "shanhai_rollup_folds_failed_total",
        "counter",
        "Folds of the roll-up deltas that failed (retried at the next interval).",
    );
    let _ = writeln!(
        out,
        "shanhai_rollup_folds_failed_total {}",
        m.folds_failed.load(Ordering::Relaxed)
    );

    // Outboxes.
    head(
        &mut out,
        "shanhai_outbox_backlog",
        "gauge",
        "Messages in an outbox not yet delivered, by outbox.",
    );
    for (name, sql) in OUTBOXES {
        if let Some(n) = count(&state.db, sql).await {
            let _ = writeln!(out, "shanhai_outbox_backlog{{outbox=\"{name}\"}} {n}");
        }
    }

    // The database pool.
    let pool = state.db.pool();
    let size = pool.size() as usize;
    let idle = pool.num_idle().min(size);
    head(
        &mut out,
        "shanhai_db_pool_connections",
        "gauge",
        "Database connections open in the pool, by state.",
    );
    let _ = writeln!(
        out,
        "shanhai_db_pool_connections{{state=\"in_use\"}} {}",
        size - idle
    );
    let _ = writeln!(out, "shanhai_db_pool_connections{{state=\"idle\"}} {idle}");
    head(
        &mut out,
        "shanhai_db_pool_max_connections",
        "gauge",
        "Most connections the pool opens.",
    );
    let _ = writeln!(
        out,
        "shanhai_db_pool_max_connections {}",
        pool.options().get_max_connections()
    );
    head(
        &mut out,
        "shanhai_db_pool_acquire_seconds",
        "gauge",
        "How long this scrape waited for a pool connection: near 0 unless requests are queueing for connections.",
    );
    let started = Instant::now();
    if let Ok(conn) = tokio::time::timeout(Duration::from_secs(5), pool.acquire()).await {
        drop(conn);
    }
    let _ = writeln!(
        out,
        "shanhai_db_pool_acquire_seconds {}",
        started.elapsed().as_secs_f64()
    );

    // The process.
    if let Some((resident, virtual_)) = memory() {
        head(
            &mut out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
        );
        let _ = writeln!(out, "process_resident_memory_bytes {resident}");
        head(
            &mut out,
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
        );
        let _ = writeln!(out, "process_virtual_memory_bytes {virtual_}");
    }
    head(
        &mut out,
        "shanhai_build_info",
        "gauge",
        "The running version (always 1).",
    );
    let _ = writeln!(
        out,
        "shanhai_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// Serves [`open_router`] on `listener` until the process ends.
pub async fn serve_open(listener: tokio::net::TcpListener, state: AppState) {
    if let Err(e) = axum::serve(listener, open_router(state)).await {
        tracing::warn!("metrics listener: {e}");
    }
}
