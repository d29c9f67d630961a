//! Calendar feeds: create, list and revoke one's own feeds, and the public iCalendar document at
//! a feed's secret URL (`/calendar/{token}.ics`), which a phone's calendar subscribes to.

use super::{IdPath, JsonBody};
use crate::AppState;
use crate::auth::{Caller, PublicCaller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use shanhai_domain::calendar::{CalendarFeedInput, CalendarFeedKind};
use shanhai_service::calendar_feeds as service;
use shanhai_store::calendar_feeds::{CalendarFeed, NewFeed};
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(list_feeds, create_feed, revoke_feed, feed_document),
    components(schemas(CalendarFeed, CalendarFeedInput, CalendarFeedKind, CreatedCalendarFeed))
)]
pub struct CalendarFeedsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calendar-feeds", get(list_feeds).post(create_feed))
        .route("/api/v1/calendar-feeds/{id}/revoke", post(revoke_feed))
        // The route template, not the path, is what the request log writes: the token stays out.
        .route("/calendar/{file}", get(feed_document))
}

/// A feed just created, with its secret URL: shown this once, never again.
#[derive(Serialize, ToSchema)]
pub struct CreatedCalendarFeed {
    pub feed: CalendarFeed,
    /// The secret in the URL; whoever has it reads the feed, until it is revoked.
    #[schema(pattern = "^shc_[0-9a-f]{64}$")]
    pub token: String,
    /// `http(s)://host/calendar/{token}.ics`.
    #[schema(pattern = r"^https?://[^/]+/calendar/shc_[0-9a-f]{64}\.ics$")]
    pub url: String,
    /// The same URL as `webcal://`, which phones open in their calendar app.
    #[schema(pattern = r"^webcal://[^/]+/calendar/shc_[0-9a-f]{64}\.ics$")]
    pub webcal_url: String,
}

impl CreatedCalendarFeed {
    /// The answer for a new feed, its URL on the host the request reached.
    pub fn new(created: NewFeed, headers: &HeaderMap) -> CreatedCalendarFeed {
        let url = format!(
            "{}{}",
            super::briefing::base_url(headers),
            feed_path(&created.token)
        );
        let webcal_url = format!(
            "webcal://{}",
            url.split_once("://").map_or(url.as_str(), |(_, rest)| rest)
        );
        CreatedCalendarFeed {
            feed: created.feed,
            token: created.token,
            url,
            webcal_url,
        }
    }
}

/// The path of a feed's document.
pub fn feed_path(token: &str) -> String {
    format!("/calendar/{token}.ics")
}

/// The caller's own calendar feeds, newest first (revoked ones included, with `revoked_at`).
#[utoipa::path(get, path = "/api/v1/calendar-feeds", tag = "calendar", security(("bearer" = [])),
    responses((status = 200, body = Vec<CalendarFeed>)))]
async fn list_feeds(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<CalendarFeed>>> {
    Ok(Json(service::list(&state.db, &caller.acting()).await?))
}

/// Creates a calendar feed: `expert` — the caller's own schedule (assignments, clinic sessions,
/// scheduled consultations), for an account linked to a registry person; `institution` — the
/// visiting-expert clinic sessions of a hospital whose clinics the caller runs. The answer
/// carries the feed's secret URL, shown this once.
#[utoipa::path(post, path = "/api/v1/calendar-feeds", tag = "calendar", security(("bearer" = [])),
    request_body = CalendarFeedInput,
    responses((status = 201, body = CreatedCalendarFeed), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_feed(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<CreatedCalendarFeed>)> {
    let input: CalendarFeedInput = body.parse()?;
    let created = service::create(&state.db, &caller.acting(), &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedCalendarFeed::new(created, &headers)),
    ))
}

/// Revokes a calendar feed: its URL answers 404 from now on. The feed's owner, or the platform
/// admin.
#[utoipa::path(post, path = "/api/v1/calendar-feeds/{id}/revoke", tag = "calendar", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = CalendarFeed), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_feed(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<CalendarFeed>> {
    Ok(Json(
        service::revoke(&state.db, &caller.acting(), &id).await?,
    ))
}

/// A feed's iCalendar document (RFC 5545), without an account: the token is the key. Events
/// from 90 days ago to 365 days ahead, times in Asia/Shanghai. An unknown or revoked token
/// answers 404.
#[utoipa::path(get, path = "/calendar/{token}.ics", tag = "calendar",
    params(("token" = String, Path, pattern = "^shc_[0-9a-f]{64}$")),
    responses((status = 200, content_type = "text/calendar", body = String),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn feed_document(
    State(state): State<AppState>,
    _public: PublicCaller,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    let token = file
        .strip_suffix(".ics")
        .filter(|t| t.len() == 68 && t.starts_with("shc_"))
        .ok_or_else(ApiError::not_found)?;
    let ics = service::document(&state.db, token).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"shanhai.ics\"",
            ),
        ],
        ics,
    )
        .into_response())
}
