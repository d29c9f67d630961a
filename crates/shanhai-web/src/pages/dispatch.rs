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

#[path = "dispatch_days.rs"]
mod days;
#[path = "dispatch_plan.rs"]
mod plan;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(plan::router())
        .merge(days::router())
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
    /// The experts' own (donor-side) institution.
    home: Option<String>,
    q: Option<String>,
    page: Option<String>,
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "dispatch_roster.html")]
struct RosterPage {
    c: Chrome,
    program: String,
    batch: String,
    institution: String,
    home: String,
    q: String,
    /// What the roster opened on when no filter was given ("本院", "本项目"…).
    scope: String,
    /// The batch shown, with whether the viewer plans it.
    current: Option<Batch>,
    may_plan: bool,
    saved: String,
    export_href: String,
    printed_on: String,
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

    fn recipient_name(&self) -> String {
        self.recipients
            .iter()
            .find(|(id, _)| *id == self.institution)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }

    fn program_name(&self) -> String {
        self.programs
            .iter()
            .find(|p| p.id == self.program)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    }

    fn saved_text(&self) -> String {
        self.c.t(format!("ui.saved_{}", self.saved))
    }
}

async fn roster(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<RosterQuery>,
) -> Response {
    // With no filter at all the roster opens on the viewer's own program or hospital; an empty
    // filter (`?program=`) asks for everything the viewer may see.
    let explicit = q.program.is_some()
        || q.batch.is_some()
        || q.institution.is_some()
        || q.home.is_some()
        || q.q.is_some();
    let acting = viewer.acting();
    let mut filter = if explicit {
        AssignmentFilter {
            program: given(&q.program),
            batch: given(&q.batch),
            institution: given(&q.institution),
            home: given(&q.home),
            q: given(&q.q),
            ..Default::default()
        }
    } else {
        match shanhai_service::dispatch::own_scope(&state.db, &acting).await {
            Ok(f) => f,
            Err(e) => return error_page(&viewer, "dispatch", here(&uri), e.into()),
        }
    };
    // An expert's own scope is their assignments; their roster is the program's.
    if !explicit && filter.person.is_some() {
        filter = AssignmentFilter::default();
    }
    let scope = if explicit {
        String::new()
    } else if filter.institution.is_some() {
        crate::i18n::t(crate::i18n::current(), "ui.scope_own_hospital")
    } else if filter.home.is_some() {
        crate::i18n::t(crate::i18n::current(), "ui.scope_own_experts")
    } else if filter.program.is_some() {
        crate::i18n::t(crate::i18n::current(), "ui.scope_own_program")
    } else {
        String::new()
    };
    let current = match &filter.batch {
        Some(b) => dispatch::get_batch(&state.db, b).await.ok(),
        None => None,
    };
    if filter.program.is_none()
        && let Some(b) = &current
    {
        filter.program = Some(b.program_id.clone());
    }
    let program = filter.program.clone();
    let may_plan = match &current {
        Some(b) => shanhai_service::dispatch::may_change_batch(&state.db, &acting, &b.id)
            .await
            .is_ok(),
        None => false,
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
    let program_s = program.clone().unwrap_or_default();
    let batch_s = filter.batch.clone().unwrap_or_default();
    let institution_s = filter.institution.clone().unwrap_or_default();
    let home_s = filter.home.clone().unwrap_or_default();
    let q_s = filter.q.clone().unwrap_or_default();
    let pager = Pager::new(
        &page,
        "/dispatch",
        &[
            ("program", Some(program_s.as_str())),
            ("batch", Some(batch_s.as_str())),
            ("institution", Some(institution_s.as_str())),
            ("home", Some(home_s.as_str())),
            ("q", Some(q_s.as_str())),
        ],
    );
    let export_href = crate::api::export::href(
        "/api/v1/assignments",
        &[
            "program",
            &program_s,
            "batch",
            &batch_s,
            "institution",
            &institution_s,
            "home",
            &home_s,
            "q",
            &q_s,
        ],
    );
    render(&RosterPage {
        c: Chrome::new(Some(&viewer), "dispatch", here(&uri)),
        program: program_s,
        batch: batch_s,
        institution: institution_s,
        home: home_s,
        q: q_s,
        scope,
        current,
        may_plan,
        saved: q.saved.clone().unwrap_or_default(),
        export_href,
        printed_on: shanhai_store::today().to_string(),
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
    may_plan: bool,
    /// Whether the viewer keeps the program's schemes (its office, the admin).
    may_manage: bool,
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
    // With no program asked, the viewer's own (a program office's; the program of a
    // coordinator's pairings).
    let program_id = match &q.program {
        Some(_) => given(&q.program),
        None => own_program(&state, &viewer).await,
    };
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
    let may_plan = match &program {
        Some(p) => may_plan_in(&state, &viewer, &p.id).await,
        None => false,
    };
    let may_manage = program
        .as_ref()
        .is_some_and(|p| viewer.principal.can_manage_program(&p.id));
    render(&BatchesPage {
        c: Chrome::new(Some(&viewer), "dispatch", here(&uri)),
        may_plan,
        may_manage,
        program,
        programs,
        batches,
        pager,
    })
}

/// Whether the viewer plans batches in a program: its office (or the admin), or the
/// coordinator of a donor in one of its pairings.
pub(super) async fn may_plan_in(state: &AppState, viewer: &Viewer, program: &str) -> bool {
    let acting = viewer.acting();
    if shanhai_service::dispatch::may_plan(&state.db, &acting, program, None)
        .await
        .is_ok()
    {
        return true;
    }
    let Some(own) = viewer.principal.institution_id.clone() else {
        return false;
    };
    let filter = PairingFilter {
        program: Some(program.to_string()),
        donor: Some(own),
        ..Default::default()
    };
    match pairings::list(&state.db, &filter, PageRequest::new(Some(1), Some(1))).await {
        Ok(page) => match page.items.first() {
            Some(p) => {
                shanhai_service::dispatch::may_plan(&state.db, &acting, program, Some(&p.id))
                    .await
                    .is_ok()
            }
            None => false,
        },
        Err(_) => false,
    }
}

/// The program a viewer's lists open on: a program office's own; for a coordinator the program
/// of the pairings their hospital is in (the first, when several).
async fn own_program(state: &AppState, viewer: &Viewer) -> Option<String> {
    if let Some(p) = &viewer.principal.program_id {
        return Some(p.clone());
    }
    let own = viewer.principal.institution_id.clone()?;
    let filter = PairingFilter {
        institution: Some(own),
        ..Default::default()
    };
    pairings::list(&state.db, &filter, PageRequest::new(Some(1), Some(1)))
        .await
        .ok()?
        .items
        .into_iter()
        .next()
        .map(|p| p.program_id)
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
    duty: Option<shanhai_service::dispatch::TodayDuty>,
    checked_in: bool,
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

    fn days_text(&self, n: &i64) -> String {
        plan::days_text(self.c.lang, *n)
    }
}

#[derive(Deserialize, Default)]
struct ScheduleQuery {
    checked_in: Option<String>,
}

async fn my_schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ScheduleQuery>,
) -> Response {
    let c = Chrome::new(Some(&viewer), "schedule", here(&uri));
    let checked_in = q.checked_in.is_some();
    let duty = match shanhai_service::dispatch::today_for(&state.db, &viewer.acting()).await {
        Ok(d) => d,
        Err(e) => return error_page(&viewer, "schedule", here(&uri), e.into()),
    };
    let Some(person_id) = viewer.user.person_id.clone() else {
        return render(&SchedulePage {
            c,
            duty,
            checked_in,
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
            duty,
            checked_in,
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
