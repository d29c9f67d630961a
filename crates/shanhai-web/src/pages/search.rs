//! The one search box's results: booking codes, people, institutions, consultations and
//! referrals, grouped by kind, each within what the viewer may see (the service decides).

use super::{Chrome, Viewer, error_page, render, urlencode};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use shanhai_domain::inbox::SearchResults;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search_page))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    c: Chrome,
    results: SearchResults,
    /// Whether the words were too short to search.
    too_short: bool,
}

impl SearchPage {
    fn q_encoded(&self) -> String {
        urlencode(&self.results.q)
    }
}

async fn search_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<SearchQuery>,
) -> Response {
    let q = q.q.unwrap_or_default();
    let here = format!("/search?q={}", urlencode(&q));
    match shanhai_service::inbox::search(&state.db, &viewer.acting(), &q).await {
        Ok(results) => render(&SearchPage {
            too_short: !results.q.is_empty() && results.q.chars().count() < 2,
            c: Chrome::new(Some(&viewer), "search", here),
            results,
        }),
        Err(e) => error_page(&viewer, "search", here, e.into()),
    }
}
