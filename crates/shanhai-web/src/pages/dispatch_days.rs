//! Days served in the browser: an expert's one-tap check-in for today (on their schedule; the
//! `today_duty.html` fragment shows it anywhere), and the coordinators' week grid (assignment ×
//! day) that confirms or corrects a week at a time.

use super::{all, batch_label, given, here, page_no, parse_date, weekday_label};
use crate::AppState;
use crate::error::ApiError;
use crate::pages::form::{Form, FormErrors, error_page};
use crate::pages::{Chrome, Pager, Viewer, render};
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use shanhai_domain::dispatch::{Assignment, Batch, DayMark, WeekEntry, WeekInput, week_start};
use shanhai_service::dispatch as service;
use shanhai_store::Page;
use shanhai_store::dispatch::{self, AssignmentFilter, BatchFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dispatch/days", get(week_page).post(week_save))
        .route("/my/check-in", post(check_in))
}

/// The expert checks in for today, in one tap; back to where they tapped.
async fn check_in(State(state): State<AppState>, Form { viewer, data }: Form) -> Response {
    let back = data
        .opt("back")
        .filter(|b| b.starts_with('/') && !b.starts_with("//"))
        .unwrap_or_else(|| "/my/schedule".into());
    match service::check_in(&state.db, &viewer.acting()).await {
        Ok(_) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{back}{sep}checked_in=1")).into_response()
        }
        Err(e) => error_page(&viewer, "schedule", back, e.into()),
    }
}

#[derive(Deserialize, Default)]
struct WeekQuery {
    week: Option<String>,
    program: Option<String>,
    batch: Option<String>,
    institution: Option<String>,
    page: Option<String>,
    saved: Option<String>,
}

/// One cell of the grid.
struct Cell {
    date: String,
    /// 周三 12-09, beside the cell on a phone.
    label: String,
    /// Inside the assignment and not in the future: editable.
    open: bool,
    /// What is recorded: served, leave or nothing.
    mark: &'static str,
    confirmed: bool,
    /// A day the pattern puts the expert on site.
    planned: bool,
}

struct GridRow {
    a: Assignment,
    cells: Vec<Cell>,
}

struct DayHead {
    weekday: String,
    short: String,
    today: bool,
}

#[derive(Template)]
#[template(path = "dispatch_days.html")]
struct WeekPage {
    c: Chrome,
    week_start: String,
    week_end: String,
    days: Vec<DayHead>,
    rows: Page<GridRow>,
    pager: Pager,
    batches: Vec<Batch>,
    batch: String,
    program: String,
    institution: String,
    scope: String,
    prev_href: String,
    next_href: String,
    saved: String,
    unconfirmed: i64,
    error: Option<FormErrors>,
}

impl WeekPage {
    fn batch_text(&self, b: &Batch) -> String {
        let n = batch_label(self.c.lang, Some(b.number));
        match &b.name {
            Some(name) => format!("{n} · {name}"),
            None => n,
        }
    }
    fn title(&self, a: &Assignment) -> String {
        super::title_label(self.c.lang, a.person_title.as_deref())
    }
    fn mark_label(&self, m: &DayMark) -> &'static str {
        m.label(self.c.lang)
    }
    fn marks(&self) -> &'static [DayMark] {
        DayMark::ALL
    }
    fn unconfirmed_text(&self) -> String {
        if self.unconfirmed == 1 {
            self.c.t("ui.days_to_confirm_one")
        } else {
            self.c
                .t("ui.days_to_confirm_n")
                .replace("{n}", &self.unconfirmed.to_string())
        }
    }

    fn saved_text(&self) -> String {
        if self.saved == "1" {
            self.c.t("ui.days_saved_one")
        } else {
            self.c.t("ui.days_saved").replace("{n}", &self.saved)
        }
    }
}

fn href(week: NaiveDate, q: &WeekQuery) -> String {
    let mut s = format!("/dispatch/days?week={week}");
    for (k, v) in [
        ("program", &q.program),
        ("batch", &q.batch),
        ("institution", &q.institution),
    ] {
        if let Some(v) = v {
            s.push_str(&format!("&{k}={}", crate::pages::urlencode(v)));
        }
    }
    s
}

async fn week_data(
    state: &AppState,
    viewer: &Viewer,
    q: &WeekQuery,
    error: Option<FormErrors>,
) -> Result<WeekPage, ApiError> {
    let c = Chrome::new(Some(viewer), "dispatch", "/dispatch/days".into());
    let today = shanhai_store::today();
    let day = match given(&q.week) {
        Some(w) => shanhai_domain::validate::date("week", &w)?,
        None => today,
    };
    let start = week_start(day);
    let end = start + chrono::Duration::days(6);
    let acting = viewer.acting();
    let explicit = q.program.is_some() || q.batch.is_some() || q.institution.is_some();
    let mut filter = if explicit {
        AssignmentFilter {
            program: given(&q.program),
            batch: given(&q.batch),
            institution: given(&q.institution),
            ..Default::default()
        }
    } else {
        service::own_scope(&state.db, &acting).await?
    };
    filter.from = Some(start.to_string());
    filter.until = Some(end.to_string());
    let unconfirmed = dispatch::unconfirmed_days(
        &state.db,
        &AssignmentFilter {
            from: None,
            until: None,
            ..filter.clone()
        },
    )
    .await?;
    let page = dispatch::list_assignments(
        &state.db,
        &filter,
        shanhai_store::PageRequest::new(page_no(&q.page), Some(30)),
    )
    .await?;
    let ids: Vec<String> = page.items.iter().map(|a| a.id.clone()).collect();
    let (served, leave) = dispatch::days_between(&state.db, &ids, start, end).await?;
    let week: Vec<NaiveDate> = start.iter_days().take(7).collect();
    let rows = page.items.into_iter().map(|a| {
        let presence = a.presence();
        let cells = week
            .iter()
            .map(|d| {
                let date = d.to_string();
                let s = served
                    .iter()
                    .find(|s| s.assignment_id == a.id && s.day == date);
                let on_leave = leave
                    .iter()
                    .any(|l| l.assignment_id == a.id && l.day == date);
                Cell {
                    open: date >= a.start_date && date <= a.end_date && *d <= today,
                    mark: if s.is_some() {
                        "served"
                    } else if on_leave {
                        "leave"
                    } else {
                        "absent"
                    },
                    confirmed: s.is_some_and(|s| s.confirmed_at.is_some()),
                    planned: presence.is_some_and(|p| p.covers(*d)),
                    label: format!(
                        "{} {}",
                        weekday_label(crate::i18n::current(), &date),
                        d.format("%m-%d")
                    ),
                    date,
                }
            })
            .collect();
        GridRow { a, cells }
    });
    let rows = Page {
        items: rows.collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    };
    let pager = Pager::new(
        &rows,
        "/dispatch/days",
        &[
            ("week", Some(start.to_string().as_str())),
            ("program", q.program.as_deref()),
            ("batch", q.batch.as_deref()),
            ("institution", q.institution.as_deref()),
        ],
    );
    let batches = match &filter.program {
        Some(p) => dispatch::list_batches(
            &state.db,
            &BatchFilter {
                program: Some(p.clone()),
                ..Default::default()
            },
            all(),
        )
        .await?
        .items
        .into_iter()
        .filter(|b| b.start_date <= end.to_string() && b.end_date >= start.to_string())
        .collect(),
        None => Vec::new(),
    };
    let scope = if explicit {
        String::new()
    } else if filter.institution.is_some() {
        c.t("ui.scope_own_hospital")
    } else if filter.home.is_some() {
        c.t("ui.scope_own_experts")
    } else if filter.program.is_some() {
        c.t("ui.scope_own_program")
    } else {
        String::new()
    };
    Ok(WeekPage {
        days: week
            .iter()
            .map(|d| DayHead {
                weekday: weekday_label(c.lang, &d.to_string()),
                short: d.format("%m-%d").to_string(),
                today: *d == today,
            })
            .collect(),
        week_start: start.to_string(),
        week_end: end.to_string(),
        rows,
        pager,
        batches,
        batch: q.batch.clone().unwrap_or_default(),
        program: filter.program.clone().unwrap_or_default(),
        institution: q.institution.clone().unwrap_or_default(),
        scope,
        prev_href: href(start - chrono::Duration::days(7), q),
        next_href: href(start + chrono::Duration::days(7), q),
        saved: q.saved.clone().unwrap_or_default(),
        unconfirmed,
        error,
        c,
    })
}

async fn week_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<WeekQuery>,
) -> Response {
    match week_data(&state, &viewer, &q, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "dispatch", here(&uri), e),
    }
}

/// Reads the grid's cells (`d.{assignment}.{date}` = served | leave | absent) and confirms them.
async fn week_save(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data }: Form,
) -> Response {
    let mut entries = Vec::new();
    for (key, value) in data.pairs() {
        let Some(rest) = key.strip_prefix("d.") else {
            continue;
        };
        let Some((assignment_id, day)) = rest.split_once('.') else {
            continue;
        };
        entries.push(WeekEntry {
            assignment_id: assignment_id.to_string(),
            day: day.to_string(),
            mark: value.clone(),
        });
    }
    let q = WeekQuery {
        week: data.opt("week"),
        program: data.opt("program"),
        batch: data.opt("batch"),
        institution: data.opt("institution"),
        page: data.opt("page"),
        saved: None,
    };
    match service::confirm_days(&state.db, &viewer.acting(), &WeekInput { entries }).await {
        Ok(outcome) => {
            let week = q
                .week
                .as_deref()
                .and_then(parse_date)
                .unwrap_or_else(shanhai_store::today);
            let n = outcome.confirmed + outcome.leave + outcome.cleared;
            let mut to = href(week_start(week), &q);
            if let Some(p) = &q.page {
                to.push_str(&format!("&page={}", crate::pages::urlencode(p)));
            }
            Redirect::to(&format!("{to}&saved={n}")).into_response()
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND {
                return error_page(&viewer, "dispatch", here(&uri), e);
            }
            let status = e.status;
            let errors = FormErrors::from_api(&e);
            match week_data(&state, &viewer, &q, Some(errors)).await {
                Ok(page) => (status, render(&page)).into_response(),
                Err(e) => error_page(&viewer, "dispatch", here(&uri), e),
            }
        }
    }
}
