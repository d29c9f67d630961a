//! 待办 (everything waiting for the viewer, as cards) and an expert's home, today: where their
//! assignments place them, their clinic sessions and what waits for them. Both from the service
//! layer's `inbox` module, like `GET /api/v1/inbox` and `GET /api/v1/today`.

use super::{Chrome, Viewer, error_page, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use shanhai_domain::Lang;
use shanhai_domain::dispatch::{Assignment, AssignmentMode, Weekdays};
use shanhai_domain::inbox::{Inbox, Today};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(inbox_page))
        .route("/today", get(today_page))
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    inbox: Inbox,
}

async fn inbox_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    match shanhai_service::inbox::inbox(&state.db, &viewer.acting()).await {
        Ok(inbox) => render(&InboxPage {
            c: Chrome::new(Some(&viewer), "inbox", "/inbox".into()),
            inbox,
        }),
        Err(e) => error_page(&viewer, "inbox", "/inbox".into(), e.into()),
    }
}

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    c: Chrome,
    today: Today,
}

impl TodayPage {
    /// "2026-12-07 星期一" / "2026-12-07 Mon".
    fn date_label(&self) -> String {
        format!(
            "{} {}",
            self.today.date,
            weekday(self.c.lang, &self.today.date)
        )
    }

    /// The weekdays of a weekly assignment ("周一、周三"), empty for other modes.
    fn weekdays(&self, a: &Assignment) -> String {
        if a.mode != AssignmentMode::Weekly {
            return String::new();
        }
        Weekdays::parse(&a.weekdays)
            .map(|w| w.label(self.c.lang))
            .unwrap_or_default()
    }
}

fn weekday(lang: Lang, date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| {
            Weekdays::parse(&[i64::from(d.weekday().number_from_monday())])
                .ok()
                .map(|w| w.label(lang))
        })
        .unwrap_or_default()
}

async fn today_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    match shanhai_service::inbox::today(&state.db, &viewer.acting()).await {
        Ok(today) => render(&TodayPage {
            c: Chrome::new(Some(&viewer), "today", "/today".into()),
            today,
        }),
        Err(e) => error_page(&viewer, "today", "/today".into(), e.into()),
    }
}
