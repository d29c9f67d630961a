//! 日历订阅 / Calendar feeds: the signed-in user's feeds, creating one (an expert's own schedule;
//! a hospital's visiting-expert sessions for whoever runs its clinics) with its secret URL shown
//! once, and revoking one.

use super::dispatch::here;
use super::{Chrome, Form, FormErrors, Viewer, error_page, form_failed, id_or_404, render};
use crate::AppState;
use crate::api::calendar_feeds::CreatedCalendarFeed;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use shanhai_domain::calendar::{CalendarFeedInput, CalendarFeedKind};
use shanhai_domain::registry::Institution;
use shanhai_service::calendar_feeds as service;
use shanhai_store::calendar_feeds::CalendarFeed;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calendar-feeds", get(feeds_page).post(create))
        .route("/calendar-feeds/{id}/revoke", post(revoke))
}

#[derive(Template)]
#[template(path = "calendar_feeds.html")]
struct CalendarFeedsPage {
    c: Chrome,
    feeds: Vec<CalendarFeed>,
    /// The viewer's account is linked to a registry person: they may subscribe to their schedule.
    has_schedule: bool,
    /// Hospitals whose clinics the viewer runs.
    hosts: Vec<Institution>,
    /// The feed just created, with its URL (shown this once).
    created: Option<CreatedCalendarFeed>,
    error: Option<FormErrors>,
}

impl CalendarFeedsPage {
    /// "我的出诊日程", or "<医院名>外来专家出诊".
    fn label(&self, feed: &CalendarFeed) -> String {
        match feed.kind {
            CalendarFeedKind::Expert => self.c.t("calendar.label_expert"),
            CalendarFeedKind::Institution => self
                .c
                .t("calendar.label_institution")
                .replace("{name}", feed.subject_name.as_deref().unwrap_or_default()),
        }
    }

    fn field_error(&self, field: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(field))
    }
}

async fn page_data(
    state: &AppState,
    viewer: &Viewer,
    created: Option<CreatedCalendarFeed>,
    error: Option<FormErrors>,
) -> Result<CalendarFeedsPage, ApiError> {
    let acting = viewer.acting();
    Ok(CalendarFeedsPage {
        c: Chrome::new(Some(viewer), "calendar", "/calendar-feeds".into()),
        feeds: service::list(&state.db, &acting).await?,
        has_schedule: acting.person_id.is_some(),
        hosts: shanhai_service::clinic_sessions::hosts(&state.db, &acting).await?,
        created,
        error,
    })
}

async fn feeds_page(State(state): State<AppState>, viewer: Viewer, uri: OriginalUri) -> Response {
    match page_data(&state, &viewer, None, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "calendar", here(&uri), e),
    }
}

/// Creates a feed and shows the page with its URL; not a redirect, so the secret never sits in
/// an address or the browser's history.
async fn create(
    State(state): State<AppState>,
    uri: OriginalUri,
    headers: HeaderMap,
    Form { viewer, data: form }: Form,
) -> Response {
    let input = CalendarFeedInput {
        kind: form.get("kind"),
        institution_id: form.opt("institution_id"),
    };
    let result = service::create(&state.db, &viewer.acting(), &input)
        .await
        .map_err(ApiError::from);
    match result {
        Ok(created) => {
            let created = CreatedCalendarFeed::new(created, &headers);
            match page_data(&state, &viewer, Some(created), None).await {
                Ok(page) => render(&page),
                Err(e) => error_page(&viewer, "calendar", here(&uri), e),
            }
        }
        Err(e) => {
            form_failed(
                &viewer,
                "calendar",
                here(&uri),
                e,
                &[StatusCode::FORBIDDEN],
                |error| page_data(&state, &viewer, None, Some(error)),
            )
            .await
        }
    }
}

async fn revoke(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, .. }: Form,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => service::revoke(&state.db, &viewer.acting(), &id)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to("/calendar-feeds").into_response(),
        Err(e) => error_page(&viewer, "calendar", here(&uri), e),
    }
}
