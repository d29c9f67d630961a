//! The briefing (成果简报) inside the UI: `/programs/{id}/briefing` under the session, the same
//! text as the API's, every number a link to its records (the `/records` page of its list), with a date, a printable page and
//! downloads (DOCX, JSON) that stream the same bytes as `GET /api/v1/programs/{id}/briefing`.

use super::Form;
use super::dispatch::here;
use super::{Chrome, Viewer, error_page, render};
use crate::AppState;
use crate::api::briefing::WordingChoice;
use crate::api::briefing::{self, BRIEFING_CSS, Briefing, BriefingQuery, Format};
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use shanhai_domain::briefing::{BriefingPreferenceInput, Wording};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programs/{id}/briefing", get(briefing_page))
        .route("/programs/{id}/briefing/wording", post(save_wording))
}

#[derive(Template)]
#[template(path = "briefing.html")]
struct BriefingPage {
    c: Chrome,
    b: Briefing,
    /// The briefing's text as HTML (escaped when it was built).
    article: String,
    css: &'static str,
    /// The figures the program office may state in the press's words, for those who may set
    /// them (empty otherwise).
    choices: Vec<WordingChoice>,
    can_word: bool,
    /// The wording was just saved.
    saved: bool,
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
    let can_word = shanhai_domain::briefing::may_set_wording(&viewer.principal, &program.id);
    let choices = if can_word {
        let wording = shanhai_store::briefing::list(&state.db, &program.id).await?;
        briefing::wording_choices(&b, &wording, lang)
    } else {
        Vec::new()
    };
    let saved = here.contains("done=wording");
    Ok(render(&BriefingPage {
        c: Chrome::new(Some(viewer), "programs", here),
        b,
        article,
        css: BRIEFING_CSS,
        choices,
        can_word,
        saved,
    }))
}

/// Saves the wording section: each figure whose choice changed (each change audited), then
/// back to the same briefing.
async fn save_wording(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let here = here(&uri);
    let result = async {
        let id = shanhai_domain::ids::parse_id(&raw).ok_or_else(ApiError::not_found)?;
        let acting = viewer.acting();
        shanhai_service::briefing::may_word(&state.db, &acting, &id).await?;
        let current = shanhai_service::briefing::preferences(&state.db, &acting, &id).await?;
        for code in form.all("code") {
            let wording = form.get(&format!("wording:{code}"));
            let now = current
                .iter()
                .find(|w| w.code == code)
                .map(|w| w.wording)
                .unwrap_or(Wording::Exact);
            if wording == now.code() {
                continue;
            }
            let input = BriefingPreferenceInput { code, wording };
            shanhai_service::briefing::set_wording(&state.db, &acting, &id, &input).await?;
        }
        let until = form.opt("until").unwrap_or_default();
        let from = form
            .opt("from")
            .map(|f| format!("from={}&", super::urlencode(&f)))
            .unwrap_or_default();
        Ok::<_, ApiError>(format!(
            "/programs/{id}/briefing?{from}until={}&done=wording#wording",
            super::urlencode(&until)
        ))
    }
    .await;
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => error_page(&viewer, "programs", here, e),
    }
}
