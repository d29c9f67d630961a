//! One log line per request, and the request's id on every line logged while it is served.
//!
//! The id is the client's `X-Request-Id` when it is a sane token (a proxy's or a caller's, so
//! that their logs and ours can be joined), else a fresh one; it goes back in the response's
//! `X-Request-Id`. The line names the route template (`/api/v1/sessions/{id}/bookings`), never
//! the raw path or the query, which may carry identifiers; it never logs bodies, so no patient
//! name or phone number reaches the log.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

/// The client's request id if it is 1 to 128 characters of letters, digits and `-_.:@/+=`.
pub fn sane_request_id(value: &str) -> Option<&str> {
    (!value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@/+=".contains(&b)))
    .then_some(value)
}

/// The route template the request matched; `unmatched` for paths no route has (their raw
/// path is not logged: it is whatever a client or a scanner sent).
fn route(request: &Request) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string())
}

/// Middleware: request id, span, metrics and the request's log line.
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(sane_request_id)
        .map_or_else(|| uuid::Uuid::now_v7().simple().to_string(), str::to_string);
    let header = HeaderValue::from_str(&id).ok();
    if let Some(h) = &header {
        request.headers_mut().insert(REQUEST_ID, h.clone());
    }
    let route = route(&request);
    // Standard methods by name; anything else a client invents is one label, not a new series.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "OTHER",
    }
    .to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = %route
    );
    let started = state.metrics.start();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let took = state.metrics.finish(started, &route, &method, status);
    if let Some(h) = header {
        response.headers_mut().insert(REQUEST_ID, h);
    }
    span.in_scope(|| {
        let ms = took.as_micros() as f64 / 1000.0;
        if status >= 500 {
            tracing::warn!(status, duration_ms = ms, "request served");
        } else {
            tracing::info!(status, duration_ms = ms, "request served");
        }
    });
    response
}

#[cfg(test)]
mod tests {
    use super::sane_request_id;

    #[test]
    fn only_sane_request_ids_are_kept() {
        assert_eq!(sane_request_id("abc-123_x.y"), Some("abc-123_x.y"));
        assert_eq!(sane_request_id(""), None);
        assert_eq!(sane_request_id("a b"), None);
        assert_eq!(sane_request_id("a\"b"), None);
        assert_eq!(sane_request_id(&"a".repeat(129)), None);
    }
}
