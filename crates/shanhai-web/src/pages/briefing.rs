//! The briefing (成果简报) inside the UI: `/programs/{id}/briefing` under the session, the same
//! text as the API's, every number a link to its records (the `/records` page of its list), with a date, a printable page and
//! downloads (DOCX, JSON) that stream the same bytes as `GET /api/v1/programs/{id}/briefing`.

use super::dispatch::here;
use super::{Chrome, Viewer, error_page, render};
use crate::AppState;
use crate::api::briefing::{self, BRIEFING_CSS, Briefing, BriefingQuery, Format};
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/programs/{id}/briefing", get(briefing_page))
}

#[derive(Template)]
#[template(path = "briefing.html")]
struct BriefingPage {
    c: Chrome,
    b: Briefing,
    /// The briefing's text as HTML (escaped when it was built).
    article: String,
    css: &'static str,
}

async fn briefing_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(q): Query<BriefingQuery>,
) -> Response {
    let here = here(&uri);
    match page(&state, &viewer, &raw, &q, &headers, here.clone()).await {
        Ok(r) => r,
        Err(e) => error_page(&viewer, "programs", here, e),
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    raw: &str,
    q: &BriefingQuery,
    headers: &HeaderMap,
    here: String,
) -> Result<Response, ApiError> {
    let id = shanhai_domain::ids::parse_id(raw).ok_or_else(ApiError::not_found)?;
    let ((from, until), format) = briefing::parse_query(q)?;
    let program = shanhai_store::programs::get(&state.db, &id).await?;
    let narrow =
        crate::api::indicators::Narrow::resolve(&state.db, &program.id, &q.narrow_params()).await?;
    let b = briefing::build(&state.db, &program, &narrow, from, until).await?;
    let lang = crate::i18n::current();
    if q.format.is_some() {
        // Downloads and the printable page: the API's bytes.
        return briefing::render(&b, format, lang, headers, format == Format::Json);
    }
    let article = briefing::article_html(&b, lang, &briefing::records_page);
    Ok(render(&BriefingPage {
        c: Chrome::new(Some(viewer), "programs", here),
        b,
        article,
        css: BRIEFING_CSS,
    }))
}
