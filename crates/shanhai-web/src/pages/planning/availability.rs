//! Availability per expert (`/availability`): each donor expert (name · title · specialty ·
//! home institution) with their windows drawn as bars on one shared time axis, their modes,
//! longest stint and blackouts; a window's form (`/availability/new`, `/availability/{id}`)
//! with removal behind a confirm step. Every action is one service call.

use super::needs::{days_text, specialty_name};
use crate::AppState;
use crate::error::ApiError;
use crate::pages::form::{ErrorsAt, Form, FormErrors, error_page, form_failed, id_or_404};
use crate::pages::pick::{Pick, person_pick};
use crate::pages::{Chrome, FormData, Viewer, render};
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::access::Reach;
use shanhai_domain::codes::Role;
use shanhai_domain::dispatch::AssignmentMode;
use shanhai_domain::planning::availability::{Availability, AvailabilityInput, BlackoutInput};
use shanhai_domain::registry::Program;
use shanhai_service::AccessFacts;
use shanhai_service::planning::availability as service;
use shanhai_store::PageRequest;
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::planning::availability::AvailabilityFilter;
use shanhai_store::programs::{self, ProgramFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/availability", get(board))
        .route("/availability/new", get(new_form).post(create))
        .route("/availability/{id}", get(edit_form).post(update))
        .route("/availability/delete", post(remove))
}

const NAV: &str = "availability";

fn here(uri: &OriginalUri) -> String {
    uri.0
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.0.path().to_string())
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn modes_text(lang: Lang, modes: &[AssignmentMode]) -> String {
    let sep = match lang {
        Lang::Zh => "、",
        Lang::En => ", ",
    };
    modes
        .iter()
        .map(|m| m.label(lang))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Whether the viewer may post windows for anyone at all (the "post" link).
fn may_post_any(viewer: &Viewer) -> bool {
    match viewer.principal.role {
        Role::PlatformAdmin | Role::ProgramOffice | Role::Coordinator => true,
        Role::Expert => viewer.user.person_id.is_some(),
        Role::Clinician => false,
    }
}

// ---- the board ----

#[derive(Deserialize, Default)]
struct BoardQuery {
    program: Option<String>,
    institution: Option<String>,
    saved: Option<String>,
}

struct Bar {
    x: f64,
    w: f64,
}

struct WindowView {
    a: Availability,
    bar: Bar,
    blackouts: Vec<Bar>,
    may_edit: bool,
}

struct ExpertRow {
    name: String,
    title: String,
    specialty: String,
    home: String,
    windows: Vec<WindowView>,
}

struct Tick {
    x: f64,
    label: String,
}

#[derive(Template)]
#[template(path = "planning/availability.html")]
struct BoardPage {
    c: Chrome,
    programs: Vec<Program>,
    program: String,
    institution: String,
    homes: Vec<(String, String)>,
    experts: Vec<ExpertRow>,
    ticks: Vec<Tick>,
    axis_from: String,
    axis_to: String,
    may_post: bool,
    saved: String,
    window_count: usize,
}

impl BoardPage {
    fn modes(&self, a: &Availability) -> String {
        modes_text(self.c.lang, &a.modes)
    }
    fn stint(&self, a: &Availability) -> String {
        match a.longest_stint_days {
            Some(d) => self
                .c
                .t("ui.avail_longest_n")
                .replace("{n}", &days_text(self.c.lang, d)),
            None => self.c.t("ui.avail_whole_window"),
        }
    }
    fn count_text(&self) -> String {
        let (e, w) = (self.experts.len(), self.window_count);
        match self.c.lang {
            Lang::Zh => format!("{e} 位专家 · {w} 个可派时段"),
            Lang::En => format!(
                "{e} {} · {w} {}",
                if e == 1 { "expert" } else { "experts" },
                if w == 1 { "window" } else { "windows" }
            ),
        }
    }
    fn saved_text(&self) -> String {
        self.c.t(format!("ui.avail_saved_{}", self.saved))
    }
    fn fmt(&self, x: &f64) -> String {
        format!("{x:.1}")
    }
    fn colon(&self) -> &'static str {
        match self.c.lang {
            Lang::Zh => "：",
            Lang::En => ": ",
        }
    }
    fn sep(&self) -> &'static str {
        match self.c.lang {
            Lang::Zh => "；",
            Lang::En => "; ",
        }
    }
    fn pct(&self, x: &f64) -> String {
        format!("{:.2}", x / AXIS_WIDTH * 100.0)
    }
}

/// The programs in whose donor side the viewer reaches experts.
async fn visible_programs(state: &AppState, viewer: &Viewer) -> Result<Vec<Program>, ApiError> {
    let list = programs::list(
        &state.db,
        &ProgramFilter::default(),
        PageRequest {
            page: 1,
            per_page: 10_000,
        },
    )
    .await?
    .items;
    let p = &viewer.principal;
    if p.is_admin() {
        return Ok(list);
    }
    let facts = AccessFacts::load(&state.db)
        .await
        .map_err(shanhai_service::ServiceError::from)?;
    let mine = p.institution_id.as_deref();
    Ok(list
        .into_iter()
        .filter(|prog| {
            p.program_id.as_deref() == Some(prog.id.as_str())
                || facts
                    .links
                    .iter()
                    .any(|l| l.program_id == prog.id && mine == Some(l.donor_id.as_str()))
        })
        .collect())
}

const AXIS_WIDTH: f64 = 1000.0;

async fn board(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<BoardQuery>,
) -> Response {
    let result = async {
        let lang = crate::i18n::current();
        let acting = viewer.acting();
        let programs = visible_programs(&state, &viewer).await?;
        let program = given(&q.program).unwrap_or_default();
        let institution = given(&q.institution).unwrap_or_default();
        let list = service::all(
            &state.db,
            &acting,
            &AvailabilityFilter {
                program: Some(program.clone()).filter(|p| !p.is_empty()),
                ..Default::default()
            },
        )
        .await?;
        let mut homes: Vec<(String, String)> = Vec::new();
        for a in &list {
            if let Some(id) = &a.institution_id
                && !homes.iter().any(|(h, _)| h == id)
            {
                homes.push((id.clone(), a.institution_name.clone().unwrap_or_default()));
            }
        }
        let list: Vec<Availability> = list
            .into_iter()
            .filter(|a| {
                institution.is_empty() || a.institution_id.as_deref() == Some(institution.as_str())
            })
            .collect();
        // The shared axis: from the first of the month of the earliest start to the end of
        // the month of the latest end.
        let first = list.iter().filter_map(|a| day(&a.start_date)).min();
        let last = list.iter().filter_map(|a| day(&a.end_date)).max();
        let (from, to) = match (first, last) {
            (Some(f), Some(l)) => (
                f.with_day(1).unwrap_or(f),
                l.with_day(1)
                    .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                    .and_then(|d| d.pred_opt())
                    .unwrap_or(l),
            ),
            _ => {
                let today = shanhai_store::today();
                (today, today)
            }
        };
        let span = ((to - from).num_days() + 1).max(1) as f64;
        let x_of = |d: NaiveDate| ((d - from).num_days() as f64 / span * AXIS_WIDTH).max(0.0);
        let bar = |s: &str, e: &str| -> Bar {
            let (s, e) = (day(s).unwrap_or(from), day(e).unwrap_or(from));
            let x = x_of(s);
            let end = x_of(e.succ_opt().unwrap_or(e));
            Bar {
                x,
                w: (end - x).max(3.0),
            }
        };
        let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
        // At most about five labels, so that they fit a phone's width.
        let step = [1, 2, 3, 6, 12, 24]
            .into_iter()
            .find(|s| months / s <= 5)
            .unwrap_or(36);
        let mut ticks = Vec::new();
        let mut m = from;
        while m <= to {
            if (m.month0() as i32) % step == 0 || m == from {
                ticks.push(Tick {
                    x: x_of(m),
                    label: match lang {
                        Lang::Zh => format!("{}年{}月", m.year(), m.month()),
                        Lang::En => m.format("%b %Y").to_string(),
                    },
                });
            }
            match m.checked_add_months(chrono::Months::new(1)) {
                Some(n) => m = n,
                None => break,
            }
        }
        // Drop a tick crowding the first.
        if ticks.len() > 1 && ticks[1].x - ticks[0].x < 150.0 {
            ticks.remove(1);
        }
        let facts = AccessFacts::load(&state.db)
            .await
            .map_err(shanhai_service::ServiceError::from)?;
        let mut experts: Vec<(String, ExpertRow)> = Vec::new();
        let window_count = list.len();
        for a in list {
            let may_edit = viewer
                .principal
                .may_write_availability(
                    &a.person_id,
                    a.institution_id.as_deref().unwrap_or(""),
                    acting.person(),
                    &facts.links,
                )
                .is_ok();
            let view = WindowView {
                bar: bar(&a.start_date, &a.end_date),
                blackouts: a
                    .blackouts
                    .iter()
                    .map(|b| bar(&b.start_date, &b.end_date))
                    .collect(),
                may_edit,
                a,
            };
            match experts.iter_mut().find(|(id, _)| *id == view.a.person_id) {
                Some((_, row)) => row.windows.push(view),
                None => experts.push((
                    view.a.person_id.clone(),
                    ExpertRow {
                        name: view.a.person_name.clone().unwrap_or_default(),
                        title: view.a.title.map(|t| t.label(lang)).unwrap_or("").into(),
                        specialty: view.a.specialty_label(lang),
                        home: view.a.institution_name.clone().unwrap_or_default(),
                        windows: vec![view],
                    },
                )),
            }
        }
        Ok::<_, ApiError>(BoardPage {
            c: Chrome::new(Some(&viewer), NAV, here(&uri)),
            programs,
            program,
            institution,
            homes,
            experts: experts.into_iter().map(|(_, r)| r).collect(),
            ticks,
            axis_from: from.to_string(),
            axis_to: to.to_string(),
            may_post: may_post_any(&viewer),
            saved: given(&q.saved).unwrap_or_default(),
            window_count,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

// ---- a window's form ----

struct BlackoutRow {
    index: usize,
    start: String,
    end: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "planning/availability_form.html")]
struct WindowForm {
    c: Chrome,
    window: Option<Availability>,
    /// The expert themself posting: the person is fixed.
    own: Option<(String, String)>,
    people: Vec<Pick>,
    modes: &'static [AssignmentMode],
    blackouts: Vec<BlackoutRow>,
    values: FormData,
    error: Option<FormErrors>,
}

impl WindowForm {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }
    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }
    fn mode_checked(&self, m: &AssignmentMode) -> bool {
        self.values.all("modes").iter().any(|v| v == m.code())
    }
    fn blackout_error(&self, i: &usize) -> Option<String> {
        self.error
            .at(&format!("blackouts[{i}].start_date"))
            .or_else(|| self.error.at(&format!("blackouts[{i}].end_date")))
            .or_else(|| self.error.at(&format!("blackouts[{i}].reason")))
    }
    fn heading(&self) -> String {
        if self.window.is_some() {
            self.c.t("ui.avail_edit")
        } else {
            self.c.t("ui.avail_new")
        }
    }
}

/// The blackout rows the form shows: those given (empty rows dropped), then empty ones to
/// make at least three and one spare.
fn blackout_rows(values: &FormData) -> Vec<BlackoutRow> {
    let starts = values.all("blackout_start");
    let ends = values.all("blackout_end");
    let reasons = values.all("blackout_reason");
    let mut rows = Vec::new();
    for i in 0..starts.len().max(ends.len()) {
        let s = starts.get(i).cloned().unwrap_or_default();
        let e = ends.get(i).cloned().unwrap_or_default();
        let r = reasons.get(i).cloned().unwrap_or_default();
        if s.trim().is_empty() && e.trim().is_empty() && r.trim().is_empty() {
            continue;
        }
        rows.push(BlackoutRow {
            index: rows.len(),
            start: s,
            end: e,
            reason: r,
        });
    }
    let want = (rows.len() + 1).max(3);
    while rows.len() < want {
        rows.push(BlackoutRow {
            index: rows.len(),
            start: String::new(),
            end: String::new(),
            reason: String::new(),
        });
    }
    rows
}

async fn window_form(
    state: &AppState,
    viewer: &Viewer,
    window: Option<Availability>,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<WindowForm, ApiError> {
    let lang = crate::i18n::current();
    let own = if viewer.principal.role == Role::Expert {
        match &viewer.user.person_id {
            Some(id) => {
                let p = people::get(&state.db, id).await?;
                Some((p.id.clone(), pick_label(lang, &p)))
            }
            None => return Err(ApiError::forbidden()),
        }
    } else {
        None
    };
    let mut options: Vec<Pick> = Vec::new();
    if own.is_none() {
        let filter = match viewer.principal.role {
            Role::Coordinator => Some(PersonFilter {
                institution: viewer.principal.institution_id.clone(),
                ..Default::default()
            }),
            Role::ProgramOffice => viewer.principal.program_id.clone().map(|p| PersonFilter {
                program: Some(p),
                ..Default::default()
            }),
            _ => None,
        };
        if let Some(filter) = filter {
            options = people::list(
                &state.db,
                &filter,
                &Reach::All,
                PageRequest {
                    page: 1,
                    per_page: 200,
                },
            )
            .await?
            .items
            .iter()
            .map(|p| person_pick(lang, p))
            .collect();
        }
        let chosen = values.get("person_id");
        if !chosen.is_empty()
            && !options.iter().any(|o| o.id == chosen)
            && let Ok(p) = people::get(&state.db, &chosen).await
        {
            options.push(person_pick(lang, &p));
        }
    }
    let blackouts = blackout_rows(&values);
    Ok(WindowForm {
        c: Chrome::new(Some(viewer), NAV, "/availability".into()),
        window,
        own,
        people: options,
        modes: AssignmentMode::ALL,
        blackouts,
        values,
        error,
    })
}

fn pick_label(lang: Lang, p: &shanhai_domain::registry::Person) -> String {
    let mut s = format!("{} · {}", p.name, p.title.label(lang));
    if let Some(code) = &p.specialty_code {
        let name = specialty_name(lang, code);
        if !name.is_empty() {
            s.push_str(" · ");
            s.push_str(&name);
        }
    }
    if let Some(i) = &p.institution_name {
        s.push_str(" · ");
        s.push_str(i);
    }
    s
}

/// The input a form gives; blank blackout rows are left out, so that the `i` of a problem at
/// `blackouts[i]` is the row shown.
fn window_input(viewer: &Viewer, form: &FormData) -> AvailabilityInput {
    let rows = blackout_rows(form);
    AvailabilityInput {
        person_id: if viewer.principal.role == Role::Expert {
            viewer.user.person_id.clone().unwrap_or_default()
        } else {
            form.get("person_id")
        },
        start_date: form.get("start_date"),
        end_date: form.get("end_date"),
        modes: form.all("modes"),
        longest_stint_days: form
            .opt("longest_stint_days")
            .map(|d| d.trim().parse().unwrap_or(0)),
        blackouts: rows
            .into_iter()
            .filter(|r| !(r.start.is_empty() && r.end.is_empty() && r.reason.is_empty()))
            .map(|r| BlackoutInput {
                start_date: r.start,
                end_date: r.end,
                reason: Some(r.reason).filter(|r| !r.trim().is_empty()),
            })
            .collect(),
        note: form.opt("note"),
    }
}

fn window_values(a: &Availability) -> FormData {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("person_id", &a.person_id)
        .append_pair("start_date", &a.start_date)
        .append_pair("end_date", &a.end_date)
        .append_pair(
            "longest_stint_days",
            &a.longest_stint_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        )
        .append_pair("note", a.note.as_deref().unwrap_or(""));
    for m in &a.modes {
        s.append_pair("modes", m.code());
    }
    for b in &a.blackouts {
        s.append_pair("blackout_start", &b.start_date)
            .append_pair("blackout_end", &b.end_date)
            .append_pair("blackout_reason", b.reason.as_deref().unwrap_or(""));
    }
    FormData::parse(s.finish().as_bytes())
}

#[derive(Deserialize, Default)]
struct NewQuery {
    person: Option<String>,
}

async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewQuery>,
) -> Response {
    let result = async {
        if !may_post_any(&viewer) {
            return Err(ApiError::forbidden());
        }
        let defaults = format!(
            "person_id={}&modes=stationed",
            given(&q.person).unwrap_or_default()
        );
        window_form(
            &state,
            &viewer,
            None,
            FormData::parse(defaults.as_bytes()),
            None,
        )
        .await
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    if !may_post_any(&viewer) {
        return error_page(&viewer, NAV, here(&uri), ApiError::forbidden());
    }
    let input = window_input(&viewer, &form);
    let e = match service::create(&state.db, &viewer.acting(), &input).await {
        Ok(_) => return Redirect::to("/availability?saved=created").into_response(),
        Err(e) => ApiError::from(e),
    };
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move { window_form(st, vw, None, form, Some(error)).await },
    )
    .await
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = async {
        let id = id_or_404(&raw)?;
        let a = service::may_change(&state.db, &viewer.acting(), &id).await?;
        let values = window_values(&a);
        window_form(&state, &viewer, Some(a), values, None).await
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn update(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let acting = viewer.acting();
    let before = match service::may_change(&state.db, &acting, &id).await {
        Ok(a) => a,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e.into()),
    };
    let input = window_input(&viewer, &form);
    let e = match service::update(&state.db, &acting, &id, &input).await {
        Ok(_) => return Redirect::to("/availability?saved=updated").into_response(),
        Err(e) => ApiError::from(e),
    };
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move { window_form(st, vw, Some(before), form, Some(error)).await },
    )
    .await
}

/// Deletes a window (its id in the form: `id`).
async fn remove(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let result = async {
        let id = id_or_404(&form.get("id"))?;
        service::delete(&state.db, &viewer.acting(), &id).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/availability?saved=deleted").into_response(),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}
