//! The inbox (what needs the caller's action now, with counts by kind), an expert's day, and
//! the one search box — the JSON twins of `/inbox`, `/today` and `/search`.

use super::ApiQuery;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
pub use shanhai_domain::inbox::{
    BookingHit, Inbox, InboxCounts, SearchResults, SearchTotals, Today, TodayAssignment,
};
use shanhai_service::inbox as service;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(inbox, today, search),
    components(schemas(
        Inbox,
        InboxCounts,
        Today,
        TodayAssignment,
        SearchResults,
        SearchTotals,
        BookingHit
    ))
)]
pub struct InboxApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/inbox", get(inbox))
        .route("/api/v1/today", get(today))
        .route("/api/v1/search", get(search))
}

/// Everything waiting for the caller: consultations, referrals, KPI reports to submit or to
/// approve; with counts by kind.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = Inbox), (status = 401, body = ErrorBody)))]
async fn inbox(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Inbox>> {
    Ok(Json(service::inbox(&state.db, &caller.acting()).await?))
}

/// The caller's day: assignments running today (and whether today is a day on site), their
/// clinic sessions today, and their inbox.
#[utoipa::path(get, path = "/api/v1/today", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, body = Today), (status = 401, body = ErrorBody)))]
async fn today(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Today>> {
    Ok(Json(service::today(&state.db, &caller.acting()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A booking code, or words in a person's or institution's name, a consultation's question
    /// or a referral's reason (two characters at least).
    pub q: Option<String>,
}

/// The one search box: booking codes, people, institutions, consultations and referrals, each
/// within what the caller may see; patients as masked names only.
#[utoipa::path(get, path = "/api/v1/search", tag = "inbox", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 401, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    Ok(Json(
        service::search(&state.db, &caller.acting(), q.q.as_deref().unwrap_or("")).await?,
    ))
}
