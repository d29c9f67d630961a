//! The needs board (`/needs`): a program's needs as cards grouped by hospital, 组团式 team needs
//! together under their team name; a need's form (`/needs/new`, `/needs/{id}`) with withdrawal
//! behind a confirm step; and a program's planning rules (`/programs/{id}/planning-rules`).
//! Every action is one service call.

use crate::AppState;
use crate::error::ApiError;
use crate::pages::form::{ErrorsAt, Form, FormErrors, error_page, form_failed, id_or_404};
use crate::pages::pick::{Pick, department_pick};
use crate::pages::{Chrome, FormData, Viewer, render};
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::codes::{Role, Title};
use shanhai_domain::dispatch::{AssignmentMode, Post, Weekdays};
use shanhai_domain::planning::needs::{
    Need, NeedInput, NeedStatus, PlanningRules, PlanningRulesInput, TeamRole,
};
use shanhai_domain::registry::Program;
use shanhai_domain::specialty::{self, Specialty};
use shanhai_service::AccessFacts;
use shanhai_service::planning::needs as service;
use shanhai_store::PageRequest;
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::pairings::{self, PairingFilter};
use shanhai_store::planning::needs::{NeedFilter, Removal};
use shanhai_store::programs::{self, ProgramFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/needs", get(board))
        .route("/needs/new", get(new_form).post(create))
        .route("/needs/{id}", get(edit_form).post(update))
        .route("/needs/{id}/withdraw", axum::routing::post(withdraw))
        .route(
            "/programs/{id}/planning-rules",
            get(rules_form).post(rules_save),
        )
}

const NAV: &str = "needs";

fn here(uri: &OriginalUri) -> String {
    uri.0
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.0.path().to_string())
}

fn all() -> PageRequest {
    PageRequest {
        page: 1,
        per_page: 100_000,
    }
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// "12 天" / "12 days" / "1 day".
pub(super) fn days_text(lang: Lang, n: i64) -> String {
    match lang {
        Lang::Zh => format!("{n} 天"),
        Lang::En if n == 1 => "1 day".into(),
        Lang::En => format!("{n} days"),
    }
}

pub(super) fn specialty_name(lang: Lang, code: &str) -> String {
    specialty::find(code)
        .map(|s| match lang {
            Lang::Zh => s.zh.clone(),
            Lang::En => s.en.clone(),
        })
        .unwrap_or_default()
}

pub(super) fn weekdays_text(lang: Lang, days: &[i64]) -> String {
    Weekdays::parse(days)
        .map(|w| w.label(lang))
        .unwrap_or_default()
}

/// The programs the viewer may post needs in, with their recipients the viewer may post for.
async fn postable(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(Program, Vec<(String, String)>)>, ApiError> {
    let facts = AccessFacts::load(&state.db)
        .await
        .map_err(shanhai_service::ServiceError::from)?;
    let programs = programs::list(&state.db, &ProgramFilter::default(), all()).await?;
    let mut out = Vec::new();
    for p in programs.items {
        if viewer.principal.role == Role::ProgramOffice
            && viewer.principal.program_id.as_deref() != Some(p.id.as_str())
        {
            continue;
        }
        let pairs = pairings::list(
            &state.db,
            &PairingFilter {
                program: Some(p.id.clone()),
                ..Default::default()
            },
            all(),
        )
        .await?
        .items;
        let mut recipients: Vec<(String, String)> = Vec::new();
        for pr in &pairs {
            if recipients.iter().any(|(id, _)| *id == pr.recipient_id) {
                continue;
            }
            if viewer
                .principal
                .may_write_need(&p.id, &pr.recipient_id, &facts.links)
                .is_ok()
            {
                recipients.push((
                    pr.recipient_id.clone(),
                    pr.recipient_name.clone().unwrap_or_default(),
                ));
            }
        }
        if !recipients.is_empty() {
            out.push((p, recipients));
        }
    }
    Ok(out)
}

/// The programs whose needs the viewer may see on the board.
async fn visible_programs(state: &AppState, viewer: &Viewer) -> Result<Vec<Program>, ApiError> {
    let list = programs::list(&state.db, &ProgramFilter::default(), all())
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
                || facts.links.iter().any(|l| {
                    l.program_id == prog.id
                        && mine.is_some_and(|m| m == l.donor_id || m == l.recipient_id)
                })
        })
        .collect())
}

// ---- the board ----

#[derive(Deserialize, Default)]
struct BoardQuery {
    program: Option<String>,
    institution: Option<String>,
    specialty: Option<String>,
    status: Option<String>,
    saved: Option<String>,
}

struct Card {
    need: Need,
    may_edit: bool,
}

struct TeamGroup {
    name: Option<String>,
    cards: Vec<Card>,
}

struct Hospital {
    id: String,
    name: String,
    teams: Vec<TeamGroup>,
    count: usize,
}

#[derive(Template)]
#[template(path = "planning/needs.html")]
struct BoardPage {
    c: Chrome,
    programs: Vec<Program>,
    program: String,
    institution: String,
    specialty: String,
    status: String,
    hospitals: Vec<Hospital>,
    hospital_options: Vec<(String, String)>,
    specialty_options: Vec<(String, String)>,
    total: usize,
    may_post: bool,
    rules: Option<PlanningRules>,
    may_set_rules: bool,
    saved: String,
}

impl BoardPage {
    fn mode_text(&self, n: &Need) -> String {
        let mut s = n.mode.label(self.c.lang).to_string();
        if n.mode == AssignmentMode::Weekly && !n.weekdays.is_empty() {
            s.push_str(" · ");
            s.push_str(&weekdays_text(self.c.lang, &n.weekdays));
        }
        s
    }
    fn stay_text(&self, n: &Need) -> String {
        days_text(self.c.lang, n.min_stay_days)
    }
    fn title_text(&self, n: &Need) -> String {
        match n.min_title {
            Some(t) => t.label(self.c.lang).to_string(),
            None => self.c.t("ui.need_any_title"),
        }
    }
    fn priority_text(&self, n: &Need) -> String {
        self.c
            .t("ui.need_priority_n")
            .replace("{n}", &n.priority.to_string())
    }
    fn count_text(&self, n: &usize) -> String {
        match (self.c.lang, *n) {
            (Lang::Zh, n) => format!("{n} 项需求"),
            (Lang::En, 1) => "1 need".into(),
            (Lang::En, n) => format!("{n} needs"),
        }
    }
    fn rules_text(&self, r: &PlanningRules) -> String {
        let mut parts = vec![
            self.c
                .t("ui.rules_rest_n")
                .replace("{n}", &days_text(self.c.lang, r.rest_days)),
        ];
        if r.check_title {
            parts.push(self.c.t("ui.rules_title_on"));
        }
        if r.team_within_leader {
            parts.push(self.c.t("ui.rules_team_on"));
        }
        if r.split_needs {
            parts.push(self.c.t("ui.rules_split_on"));
        }
        parts.join(" · ")
    }
    fn saved_text(&self) -> String {
        self.c.t(format!("ui.need_saved_{}", self.saved))
    }
}

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
        let mut program = given(&q.program).unwrap_or_default();
        if program.is_empty() && programs.len() == 1 {
            program = programs[0].id.clone();
        }
        let status = match given(&q.status).as_deref() {
            Some("all") => "all".to_string(),
            Some("withdrawn") => "withdrawn".to_string(),
            _ => "open".to_string(),
        };
        let filter = NeedFilter {
            program: Some(program.clone()).filter(|p| !p.is_empty()),
            status: (status != "all").then(|| status.clone()),
            ..Default::default()
        };
        let needs = service::all(&state.db, &acting, &filter).await?;
        let mut hospital_options: Vec<(String, String)> = Vec::new();
        let mut specialty_options: Vec<(String, String)> = Vec::new();
        for n in &needs {
            if !hospital_options
                .iter()
                .any(|(id, _)| *id == n.institution_id)
            {
                hospital_options.push((
                    n.institution_id.clone(),
                    n.institution_name.clone().unwrap_or_default(),
                ));
            }
            if !specialty_options
                .iter()
                .any(|(code, _)| *code == n.specialty_code)
            {
                specialty_options.push((n.specialty_code.clone(), n.specialty_label(lang)));
            }
        }
        specialty_options.sort();
        let institution = given(&q.institution).unwrap_or_default();
        let specialty = given(&q.specialty).unwrap_or_default();
        let facts = AccessFacts::load(&state.db)
            .await
            .map_err(shanhai_service::ServiceError::from)?;
        let mut hospitals: Vec<Hospital> = Vec::new();
        let mut total = 0;
        for n in needs.into_iter().filter(|n| {
            (institution.is_empty() || n.institution_id == institution)
                && (specialty.is_empty() || n.specialty_code == specialty)
        }) {
            total += 1;
            let may_edit = viewer
                .principal
                .may_write_need(&n.program_id, &n.institution_id, &facts.links)
                .is_ok();
            let idx = match hospitals.iter().position(|h| h.id == n.institution_id) {
                Some(i) => i,
                None => {
                    hospitals.push(Hospital {
                        id: n.institution_id.clone(),
                        name: n.institution_name.clone().unwrap_or_default(),
                        teams: Vec::new(),
                        count: 0,
                    });
                    hospitals.len() - 1
                }
            };
            let h = &mut hospitals[idx];
            h.count += 1;
            let team = n.team_name.clone();
            let card = Card { need: n, may_edit };
            match h.teams.iter_mut().find(|t| t.name == team) {
                Some(t) => t.cards.push(card),
                None => h.teams.push(TeamGroup {
                    name: team,
                    cards: vec![card],
                }),
            }
        }
        for h in &mut hospitals {
            // Teams first (leader first within each), then single needs.
            h.teams.sort_by_key(|t| t.name.is_none());
            for t in &mut h.teams {
                t.cards.sort_by_key(|c| {
                    (
                        c.need.team_role != Some(TeamRole::Leader),
                        -c.need.priority,
                        c.need.start_date.clone(),
                    )
                });
            }
        }
        let may_post = !postable(&state, &viewer).await?.is_empty();
        let (rules, may_set_rules) = if program.is_empty() {
            (None, false)
        } else {
            (
                Some(service::rules(&state.db, &program).await?),
                viewer.principal.may_set_planning_rules(&program).is_ok(),
            )
        };
        Ok::<_, ApiError>(BoardPage {
            c: Chrome::new(Some(&viewer), NAV, here(&uri)),
            programs,
            program,
            institution,
            specialty,
            status,
            hospitals,
            hospital_options,
            specialty_options,
            total,
            may_post,
            rules,
            may_set_rules,
            saved: given(&q.saved).unwrap_or_default(),
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

// ---- a need's form ----

#[derive(Template)]
#[template(path = "planning/need_form.html")]
struct NeedForm {
    c: Chrome,
    need: Option<Need>,
    programs: Vec<(String, String)>,
    /// (id, label) of the dispatch schemes of the chosen program (or of all postable ones).
    schemes: Vec<(String, String)>,
    institutions: Vec<Pick>,
    departments: Vec<Pick>,
    specialties: &'static [Specialty],
    modes: &'static [AssignmentMode],
    posts: &'static [Post],
    titles: &'static [Title],
    roles: &'static [TeamRole],
    statuses: &'static [NeedStatus],
    values: FormData,
    error: Option<FormErrors>,
}

impl NeedForm {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }
    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }
    fn specialty_label(&self, s: &Specialty) -> String {
        let name = match self.c.lang {
            Lang::Zh => &s.zh,
            Lang::En => &s.en,
        };
        if s.parent.is_some() {
            format!("\u{3000}{name}")
        } else {
            name.clone()
        }
    }
    fn weekday_checked(&self, d: &i64) -> bool {
        self.values
            .all("weekdays")
            .iter()
            .any(|v| v == &d.to_string())
    }
    fn weekday_name(&self, d: &i64) -> String {
        weekdays_text(self.c.lang, &[*d])
    }
    fn days(&self) -> Vec<i64> {
        (1..=7).collect()
    }
    fn priorities(&self) -> Vec<i64> {
        (1..=5).rev().collect()
    }
    fn priority_label(&self, p: &i64) -> String {
        let key = format!("ui.need_priority_{p}");
        self.c.t(key)
    }
    fn heading(&self) -> String {
        if self.need.is_some() {
            self.c.t("ui.need_edit")
        } else {
            self.c.t("ui.need_new")
        }
    }
}

async fn need_form(
    state: &AppState,
    viewer: &Viewer,
    need: Option<Need>,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<NeedForm, ApiError> {
    let lang = crate::i18n::current();
    let postable = postable(state, viewer).await?;
    let chosen = values.get("program_id");
    let mut programs: Vec<(String, String)> = postable
        .iter()
        .map(|(p, _)| (p.id.clone(), p.name.clone()))
        .collect();
    let mut institutions: Vec<Pick> = Vec::new();
    for (p, recipients) in &postable {
        if !chosen.is_empty() && p.id != chosen {
            continue;
        }
        for (id, name) in recipients {
            if !institutions.iter().any(|i| i.id == *id) {
                institutions.push(Pick {
                    id: id.clone(),
                    label: name.clone(),
                    specialty: None,
                });
            }
        }
    }
    if let Some(n) = &need {
        if !programs.iter().any(|(id, _)| *id == n.program_id) {
            programs.push((
                n.program_id.clone(),
                n.program_name.clone().unwrap_or_default(),
            ));
        }
        if !institutions.iter().any(|i| i.id == n.institution_id) {
            institutions.push(Pick {
                id: n.institution_id.clone(),
                label: n.institution_name.clone().unwrap_or_default(),
                specialty: None,
            });
        }
    }
    let mut schemes = Vec::new();
    for (p, _) in &postable {
        if !chosen.is_empty() && p.id != chosen {
            continue;
        }
        for s in shanhai_store::dispatch::list_schemes(&state.db, Some(&p.id), all())
            .await?
            .items
        {
            let label = if chosen.is_empty() && postable.len() > 1 {
                format!("{} · {}", p.name, s.name)
            } else {
                s.name.clone()
            };
            schemes.push((s.id, label));
        }
    }
    if let Some(n) = &need
        && let (Some(id), Some(name)) = (&n.scheme_id, &n.scheme_name)
        && !schemes.iter().any(|(s, _)| s == id)
    {
        schemes.push((id.clone(), name.clone()));
    }
    let institution = values.get("institution_id");
    let departments = if institution.is_empty() {
        Vec::new()
    } else {
        departments::list(
            &state.db,
            &DepartmentFilter {
                institution: Some(institution),
                ..Default::default()
            },
            all(),
        )
        .await?
        .items
        .iter()
        .map(|d| department_pick(lang, d))
        .collect()
    };
    Ok(NeedForm {
        c: Chrome::new(Some(viewer), NAV, "/needs".into()),
        need,
        programs,
        schemes,
        institutions,
        departments,
        specialties: specialty::all(),
        modes: AssignmentMode::ALL,
        posts: Post::ALL,
        titles: Title::ALL,
        roles: TeamRole::ALL,
        statuses: NeedStatus::ALL,
        values,
        error,
    })
}

fn need_input(form: &FormData) -> NeedInput {
    NeedInput {
        program_id: form.get("program_id"),
        scheme_id: form.opt("scheme_id"),
        institution_id: form.get("institution_id"),
        department_id: form.opt("department_id"),
        specialty_code: form.get("specialty_code"),
        mode: form.get("mode"),
        weekdays: form
            .all("weekdays")
            .iter()
            .filter_map(|d| d.trim().parse().ok())
            .collect(),
        start_date: form.get("start_date"),
        end_date: form.get("end_date"),
        min_stay_days: form.get("min_stay_days").trim().parse().unwrap_or(0),
        post: form.get("post"),
        min_title: form.opt("min_title"),
        priority: form.get("priority").trim().parse().unwrap_or(0),
        team_name: form.opt("team_name"),
        team_role: form.opt("team_role"),
        status: form.opt("status"),
        note: form.opt("note"),
    }
}

fn need_values(n: &Need) -> FormData {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("program_id", &n.program_id)
        .append_pair("scheme_id", n.scheme_id.as_deref().unwrap_or(""))
        .append_pair("institution_id", &n.institution_id)
        .append_pair("department_id", n.department_id.as_deref().unwrap_or(""))
        .append_pair("specialty_code", &n.specialty_code)
        .append_pair("mode", n.mode.code())
        .append_pair("start_date", &n.start_date)
        .append_pair("end_date", &n.end_date)
        .append_pair("min_stay_days", &n.min_stay_days.to_string())
        .append_pair("post", n.post.code())
        .append_pair("min_title", n.min_title.map(|t| t.code()).unwrap_or(""))
        .append_pair("priority", &n.priority.to_string())
        .append_pair("team_name", n.team_name.as_deref().unwrap_or(""))
        .append_pair("team_role", n.team_role.map(|r| r.code()).unwrap_or(""))
        .append_pair("status", n.status.code())
        .append_pair("note", n.note.as_deref().unwrap_or(""));
    for d in &n.weekdays {
        s.append_pair("weekdays", &d.to_string());
    }
    FormData::parse(s.finish().as_bytes())
}

#[derive(Deserialize, Default)]
struct NewQuery {
    program: Option<String>,
    institution: Option<String>,
}

async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewQuery>,
) -> Response {
    let result = async {
        let postable = postable(&state, &viewer).await?;
        if postable.is_empty() {
            return Err(ApiError::forbidden());
        }
        let program = given(&q.program)
            .filter(|p| postable.iter().any(|(pr, _)| pr.id == *p))
            .or_else(|| (postable.len() == 1).then(|| postable[0].0.id.clone()))
            .unwrap_or_default();
        let institution = given(&q.institution)
            .or_else(|| {
                postable
                    .iter()
                    .find(|(p, _)| p.id == program)
                    .filter(|(_, r)| r.len() == 1)
                    .map(|(_, r)| r[0].0.clone())
            })
            .unwrap_or_default();
        let defaults = format!(
            "program_id={program}&institution_id={institution}&mode=stationed&post=department-head&priority=3&min_stay_days=90"
        );
        need_form(
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
    let input = need_input(&form);
    let e = match service::create(&state.db, &viewer.acting(), &input).await {
        Ok(n) => {
            return Redirect::to(&format!(
                "/needs?program={}&saved=created#need-{}",
                n.program_id, n.id
            ))
            .into_response();
        }
        Err(e) => ApiError::from(e),
    };
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move { need_form(st, vw, None, form, Some(error)).await },
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
        let n = service::may_change_need(&state.db, &viewer.acting(), &id).await?;
        let values = need_values(&n);
        need_form(&state, &viewer, Some(n), values, None).await
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
    let before = match service::may_change_need(&state.db, &acting, &id).await {
        Ok(n) => n,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e.into()),
    };
    let input = need_input(&form);
    let e = match service::update(&state.db, &acting, &id, &input).await {
        Ok(n) => {
            return Redirect::to(&format!(
                "/needs?program={}&saved=updated#need-{}",
                n.program_id, n.id
            ))
            .into_response();
        }
        Err(e) => ApiError::from(e),
    };
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move { need_form(st, vw, Some(before), form, Some(error)).await },
    )
    .await
}

async fn withdraw(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, .. }: Form,
) -> Response {
    let result = async {
        let id = id_or_404(&raw)?;
        let acting = viewer.acting();
        let n = service::may_change_need(&state.db, &acting, &id).await?;
        let removal = service::remove(&state.db, &acting, &id).await?;
        Ok::<_, ApiError>((n.program_id, removal))
    }
    .await;
    match result {
        Ok((program, removal)) => {
            let saved = match removal {
                Removal::Deleted => "deleted",
                Removal::Withdrawn => "withdrawn",
            };
            Redirect::to(&format!("/needs?program={program}&saved={saved}")).into_response()
        }
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

// ---- planning rules ----

#[derive(Template)]
#[template(path = "planning/need_rules.html")]
struct RulesForm {
    c: Chrome,
    program: Program,
    rules: PlanningRules,
    may_set: bool,
    values: FormData,
    error: Option<FormErrors>,
}

impl RulesForm {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }
    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }
    fn checked(&self, field: &str) -> bool {
        self.values.get(field) == "1"
    }
}

fn rules_values(r: &PlanningRules) -> FormData {
    let flag = |b: bool| if b { "1" } else { "0" };
    FormData::parse(
        format!(
            "rest_days={}&check_title={}&team_within_leader={}&split_needs={}",
            r.rest_days,
            flag(r.check_title),
            flag(r.team_within_leader),
            flag(r.split_needs)
        )
        .as_bytes(),
    )
}

async fn rules_page(
    state: &AppState,
    viewer: &Viewer,
    program_id: &str,
    values: Option<FormData>,
    error: Option<FormErrors>,
) -> Result<RulesForm, ApiError> {
    let program = programs::get(&state.db, program_id).await?;
    let rules = service::rules(&state.db, program_id).await?;
    let may_set = viewer.principal.may_set_planning_rules(program_id).is_ok();
    Ok(RulesForm {
        c: Chrome::new(Some(viewer), NAV, "/needs".into()),
        values: values.unwrap_or_else(|| rules_values(&rules)),
        program,
        rules,
        may_set,
        error,
    })
}

async fn rules_form(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = async {
        let id = id_or_404(&raw)?;
        rules_page(&state, &viewer, &id, None, None).await
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn rules_save(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let input = PlanningRulesInput {
        rest_days: form.get("rest_days").trim().parse().unwrap_or(-1),
        check_title: form.get("check_title") == "1",
        team_within_leader: form.get("team_within_leader") == "1",
        split_needs: form.get("split_needs") == "1",
    };
    let e = match service::set_rules(&state.db, &viewer.acting(), &id, &input).await {
        Ok(_) => {
            return Redirect::to(&format!("/needs?program={id}&saved=rules")).into_response();
        }
        Err(e) => ApiError::from(e),
    };
    let (st, vw, pid) = (&state, &viewer, id.clone());
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move { rules_page(st, vw, &pid, Some(form), Some(error)).await },
    )
    .await
}
