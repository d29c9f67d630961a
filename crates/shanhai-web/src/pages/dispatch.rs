//! Expert dispatch pages (C2): the roster of assignments, a program's batches, the week calendar
//! of a region ("本周在岗区外专家 N 名") and an expert's own schedule.

use super::{Chrome, Pager, Viewer, error_page, render};
use crate::AppState;
use crate::api::dispatch::{Calendar, CalendarExpert, build_calendar};
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::clinic_sessions::ClinicSession;
use shanhai_domain::codes::{RegionLevel, Title};
use shanhai_domain::dispatch::{Assignment, AssignmentMode, Batch, Weekdays};
use shanhai_domain::registry::{Institution, Person, Program, Region};
use shanhai_store::clinic_sessions::{self, SessionFilter};
use shanhai_store::dispatch::{self, AssignmentFilter, BatchFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::pairings::{self, PairingFilter};
use shanhai_store::programs::{self, ProgramFilter};
use shanhai_store::regions::{self, RegionFilter};
use shanhai_store::{Page, PageRequest, people};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dispatch", get(roster))
        .route("/dispatch/batches", get(batch_list))
        .route("/dispatch/calendar", get(calendar))
        .route("/my/schedule", get(my_schedule))
}

// ---- helpers shared with the clinic and public pages ----

pub(super) fn here(uri: &OriginalUri) -> String {
    uri.0
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into())
}

/// Everything in one page (lists that feed a select).
pub(super) fn all() -> PageRequest {
    PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE))
}

/// A page number from the query; anything that is not a number means the first page.
pub(super) fn page_no(p: &Option<String>) -> Option<i64> {
    p.as_deref().and_then(|p| p.trim().parse().ok())
}

/// A blank query parameter means "not given".
pub(super) fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// A province with the cities under it, for region pickers.
pub(super) struct RegionGroup {
    pub province: Region,
    pub cities: Vec<Region>,
}

/// The provinces and cities present in the registry.
pub(super) async fn region_groups(state: &AppState) -> Vec<RegionGroup> {
    let level = |l: RegionLevel| RegionFilter {
        level: Some(l.code().to_string()),
        ..Default::default()
    };
    let provinces = regions::list(&state.db, &level(RegionLevel::Province), all())
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let cities = regions::list(&state.db, &level(RegionLevel::City), all())
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    provinces
        .into_iter()
        .map(|province| RegionGroup {
            cities: cities
                .iter()
                .filter(|c| c.parent_code.as_deref() == Some(province.code.as_str()))
                .cloned()
                .collect(),
            province,
        })
        .collect()
}

/// The name of a region code among the groups, for headings.
pub(super) fn region_name(groups: &[RegionGroup], code: &str) -> Option<String> {
    groups.iter().find_map(|g| {
        if g.province.code == code {
            Some(g.province.name.clone())
        } else {
            g.cities
                .iter()
                .find(|c| c.code == code)
                .map(|c| format!("{} {}", g.province.name, c.name))
        }
    })
}

/// A professional title stored as its code, shown by its label.
pub(super) fn title_label(lang: Lang, code: Option<&str>) -> String {
    code.map(|c| {
        Title::parse(c)
            .map(|t| t.label(lang).to_string())
            .unwrap_or_else(|| c.to_string())
    })
    .unwrap_or_default()
}

pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// 周三 / Wed for a `YYYY-MM-DD` date.
pub(super) fn weekday_label(lang: Lang, date: &str) -> String {
    parse_date(date)
        .and_then(|d| {
            Weekdays::parse(&[i64::from(d.weekday().number_from_monday())])
                .ok()
                .map(|w| w.label(lang))
        })
        .unwrap_or_default()
}

/// "第 3 批" / "Batch 3".
pub(super) fn batch_label(lang: Lang, number: Option<i64>) -> String {
    number
        .map(|n| crate::i18n::t(lang, "ui.batch_n").replace("{n}", &n.to_string()))
        .unwrap_or_default()
}

/// The weekdays of a 候鸟 (weekly) assignment; empty for the other modes.
pub(super) fn weekly_days(lang: Lang, a: &Assignment) -> String {
    if a.mode != AssignmentMode::Weekly {
        return String::new();
    }
    Weekdays::parse(&a.weekdays)
        .map(|w| w.label(lang))
        .unwrap_or_default()
}

/// Institutions that receive help in some pairing (of one program, when given), by name.
async fn recipients(state: &AppState, program: Option<String>) -> Vec<(String, String)> {
    let filter = PairingFilter {
        program,
        ..Default::default()
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let mut page = 1;
    loop {
        let Ok(batch) =
            pairings::list(&state.db, &filter, PageRequest::new(Some(page), Some(200))).await
        else {
            break;
        };
        for p in &batch.items {
            if !out.iter().any(|(id, _)| *id == p.recipient_id) {
                out.push((
                    p.recipient_id.clone(),
                    p.recipient_name.clone().unwrap_or_default(),
                ));
            }
        }
        if page >= batch.pages() {
            break;
        }
        page += 1;
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

async fn all_programs(state: &AppState) -> Vec<Program> {
    programs::list(&state.db, &ProgramFilter::default(), all())
        .await
        .map(|p| p.items)
        .unwrap_or_default()
}

// ---- the roster ----

#[derive(Deserialize, Default)]
struct RosterQuery {
    program: Option<String>,
    batch: Option<String>,
    institution: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "dispatch_roster.html")]
struct RosterPage {
    c: Chrome,
    program: String,
    batch: String,
    institution: String,
    q: String,
    programs: Vec<Program>,
    batches: Vec<Batch>,
    recipients: Vec<(String, String)>,
    assignments: Page<Assignment>,
    pager: Pager,
}

impl RosterPage {
    fn title(&self, a: &Assignment) -> String {
        title_label(self.c.lang, a.person_title.as_deref())
    }

    fn weekdays(&self, a: &Assignment) -> String {
        weekly_days(self.c.lang, a)
    }

    fn batch_no(&self, n: &Option<i64>) -> String {
        batch_label(self.c.lang, *n)
    }

    fn batch_text(&self, b: &Batch) -> String {
        let n = batch_label(self.c.lang, Some(b.number));
        match (&b.name, &b.scheme_name) {
            (Some(name), _) => format!("{n} · {name}"),
            (None, Some(s)) => format!("{n} · {s}"),
            _ => n,
        }
    }
}

async fn roster(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<RosterQuery>,
) -> Response {
    let program = given(&q.program);
    let filter = AssignmentFilter {
        program: program.clone(),
        batch: given(&q.batch),
        institution: given(&q.institution),
        q: given(&q.q),
        ..Default::default()
    };
    let page = match dispatch::list_assignments(
        &state.db,
        &filter,
        PageRequest::new(page_no(&q.page), Some(25)),
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&viewer, "dispatch", here(&uri), e.into()),
    };
    let batches = match &program {
        Some(p) => dispatch::list_batches(
            &state.db,
            &BatchFilter {
                program: Some(p.clone()),
                ..Default::default()
            },
            all(),
        )
        .await
        .map(|b| b.items)
        .unwrap_or_default(),
        None => Vec::new(),
    };
    let pager = Pager::new(
        &page,
        "/dispatch",
        &[
            ("program", q.program.as_deref()),
            ("batch", q.batch.as_deref()),
            ("institution", q.institution.as_deref()),
            ("q", q.q.as_deref()),
        ],
    );
    render(&RosterPage {
        c: Chrome::new(Some(&viewer), "dispatch", here(&uri)),
        program: q.program.clone().unwrap_or_default(),
        batch: q.batch.clone().unwrap_or_default(),
        institution: q.institution.clone().unwrap_or_default(),
        q: q.q.clone().unwrap_or_default(),
        programs: all_programs(&state).await,
        batches,
        recipients: recipients(&state, program).await,
        assignments: page,
        pager,
    })
}

// ---- batches of a program ----

#[derive(Deserialize, Default)]
struct BatchQuery {
    program: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "dispatch_batches.html")]
struct BatchesPage {
    c: Chrome,
    program: Option<Program>,
    programs: Vec<Program>,
    batches: Page<Batch>,
    pager: Pager,
}

impl BatchesPage {
    fn batch_no(&self, n: &i64) -> String {
        batch_label(self.c.lang, Some(*n))
    }
}

async fn batch_list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<BatchQuery>,
) -> Response {
    let programs = all_programs(&state).await;
    let program_id = given(&q.program);
    let program = program_id
        .as_ref()
        .and_then(|id| programs.iter().find(|p| p.id == *id).cloned());
    if program_id.is_some() && program.is_none() {
        return error_page(&viewer, "dispatch", here(&uri), ApiError::not_found());
    }
    let batches = match &program {
        Some(p) => dispatch::list_batches(
            &state.db,
            &BatchFilter {
                program: Some(p.id.clone()),
                ..Default::default()
            },
            PageRequest::new(page_no(&q.page), Some(50)),
        )
        .await
        .map_err(ApiError::from),
        None => Ok(Page {
            items: Vec::new(),
            total: 0,
            page: 1,
            per_page: 50,
        }),
    };
    let batches = match batches {
        Ok(b) => b,
        Err(e) => return error_page(&viewer, "dispatch", here(&uri), e),
    };
    let pager = Pager::new(
        &batches,
        "/dispatch/batches",
        &[("program", q.program.as_deref())],
    );
    render(&BatchesPage {
        c: Chrome::new(Some(&viewer), "dispatch", here(&uri)),
        program,
        programs,
        batches,
        pager,
    })
}

// ---- the week calendar ----

#[derive(Deserialize, Default)]
struct CalendarQuery {
    region: Option<String>,
    week: Option<String>,
    page: Option<String>,
}

/// One column of the calendar.
struct DayColumn {
    date: String,
    weekday: String,
    short: String,
    experts: i64,
    today: bool,
}

#[derive(Template)]
#[template(path = "dispatch_calendar.html")]
struct CalendarPage {
    c: Chrome,
    region: String,
    region_name: Option<String>,
    groups: Vec<RegionGroup>,
    week_start: String,
    week_end: String,
    current_week: bool,
    experts_on_duty: i64,
    days: Vec<DayColumn>,
    experts: Page<CalendarExpert>,
    pager: Pager,
    prev_href: String,
    next_href: String,
    this_href: String,
}

impl CalendarPage {
    fn on(&self, e: &CalendarExpert, date: &str) -> bool {
        e.days.iter().any(|d| d == date)
    }

    fn headline(&self) -> String {
        let key = if self.current_week {
            "ui.calendar_headline_this_week"
        } else {
            "ui.calendar_headline_week"
        };
        crate::i18n::t_count(self.c.lang, key, self.experts_on_duty as f64)
            .replace("{n}", &self.experts_on_duty.to_string())
    }
}

async fn calendar(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<CalendarQuery>,
) -> Response {
    let region = given(&q.region);
    let week = given(&q.week);
    let cal: Calendar = match build_calendar(&state, region.clone(), week.as_deref(), None).await {
        Ok(c) => c,
        Err(e) => return error_page(&viewer, "dispatch", here(&uri), e),
    };
    let c = Chrome::new(Some(&viewer), "dispatch", here(&uri));
    let start = parse_date(&cal.week_start).unwrap_or_else(shanhai_store::today);
    let today = shanhai_store::today();
    let href = |d: NaiveDate| {
        let mut s = format!("/dispatch/calendar?week={d}");
        if let Some(r) = &region {
            s.push_str(&format!("&region={}", super::urlencode(r)));
        }
        s
    };
    let days = cal
        .days
        .iter()
        .map(|d| DayColumn {
            weekday: weekday_label(c.lang, &d.date),
            short: d.date.get(5..).unwrap_or(&d.date).to_string(),
            today: d.date == today.to_string(),
            experts: d.experts,
            date: d.date.clone(),
        })
        .collect();
    const PER_PAGE: i64 = 50;
    let total = cal.experts.len() as i64;
    let page_number = page_no(&q.page)
        .unwrap_or(1)
        .clamp(1, ((total + PER_PAGE - 1) / PER_PAGE).max(1));
    let experts = Page {
        total,
        page: page_number,
        per_page: PER_PAGE,
        items: cal
            .experts
            .into_iter()
            .skip(((page_number - 1) * PER_PAGE) as usize)
            .take(PER_PAGE as usize)
            .collect(),
    };
    let pager = Pager::new(
        &experts,
        "/dispatch/calendar",
        &[
            ("region", region.as_deref()),
            ("week", Some(cal.week_start.as_str())),
        ],
    );
    let groups = region_groups(&state).await;
    render(&CalendarPage {
        region_name: region.as_deref().and_then(|r| region_name(&groups, r)),
        region: region.clone().unwrap_or_default(),
        groups,
        week_end: (start + chrono::Duration::days(6)).to_string(),
        current_week: shanhai_domain::dispatch::week_start(today) == start,
        experts_on_duty: cal.experts_on_duty,
        days,
        experts,
        pager,
        prev_href: href(start - chrono::Duration::days(7)),
        next_href: href(start + chrono::Duration::days(7)),
        this_href: href(today),
        week_start: cal.week_start,
        c,
    })
}

// ---- my schedule ----

#[derive(Template)]
#[template(path = "my_schedule.html")]
struct SchedulePage {
    c: Chrome,
    person: Option<Person>,
    home: Option<Institution>,
    assignments: Vec<Assignment>,
    sessions: Vec<ClinicSession>,
}

impl SchedulePage {
    fn title(&self, p: &Person) -> String {
        p.title.label(self.c.lang).to_string()
    }

    fn weekdays(&self, a: &Assignment) -> String {
        weekly_days(self.c.lang, a)
    }

    fn batch_no(&self, n: &Option<i64>) -> String {
        batch_label(self.c.lang, *n)
    }

    fn weekday(&self, date: &str) -> String {
        weekday_label(self.c.lang, date)
    }
}

async fn my_schedule(State(state): State<AppState>, viewer: Viewer, uri: OriginalUri) -> Response {
    let c = Chrome::new(Some(&viewer), "schedule", here(&uri));
    let Some(person_id) = viewer.user.person_id.clone() else {
        return render(&SchedulePage {
            c,
            person: None,
            home: None,
            assignments: Vec::new(),
            sessions: Vec::new(),
        });
    };
    let person = people::get(&state.db, &person_id).await.ok();
    let home = match &person {
        Some(p) => institutions::get(&state.db, &p.institution_id).await.ok(),
        None => None,
    };
    let assignments = dispatch::list_assignments(
        &state.db,
        &AssignmentFilter {
            person: Some(person_id.clone()),
            ..Default::default()
        },
        all(),
    )
    .await;
    let sessions = clinic_sessions::list(
        &state.db,
        &SessionFilter {
            expert: Some(person_id),
            from: Some(shanhai_store::today().to_string()),
            ..Default::default()
        },
        PageRequest::new(Some(1), Some(100)),
    )
    .await;
    match (assignments, sessions) {
        (Ok(a), Ok(s)) => render(&SchedulePage {
            c,
            person,
            home,
            assignments: a.items,
            sessions: s.items,
        }),
        (Err(e), _) | (_, Err(e)) => error_page(&viewer, "schedule", here(&uri), e.into()),
    }
}

/// Every institution, by name (the registry holds a few hundred at most per page).
pub(super) async fn all_institutions(state: &AppState) -> Vec<Institution> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let Ok(batch) = institutions::list(
            &state.db,
            &InstitutionFilter::default(),
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await
        else {
            break;
        };
        let pages = batch.pages();
        out.extend(batch.items);
        if page >= pages {
            break;
        }
        page += 1;
    }
    out
}
