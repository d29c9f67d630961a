//! The inbox page: consultations and referrals waiting for the viewer.

use super::{Chrome, Viewer, error_page, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use shanhai_domain::inbox::Inbox;

pub fn router() -> Router<AppState> {
    Router::new().route("/inbox", get(inbox_page))
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    inbox: Inbox,
}

async fn inbox_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    match shanhai_service::consultations::inbox(&state.db, &viewer.acting()).await {
        Ok(inbox) => render(&InboxPage {
            c: Chrome::new(Some(&viewer), "inbox", "/inbox".into()),
            inbox,
        }),
        Err(e) => error_page(&viewer, "inbox", "/inbox".into(), e.into()),
    }
}
