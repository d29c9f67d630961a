//! Capacity building pages (C6–C9): technology transfer (a technique's timeline from
//! introduction to independence, its case log), mentorships (a mentor's apprentices and notes),
//! teaching, placements, specialty building and resources. Lists, forms and the detail pages
//! apply the same access rules as the JSON API (`api::capacity::{may_read, may_write}`).

use super::FormErrors;
use super::dispatch::{all, given, here, page_no};
use super::{Chrome, FormData, Pager, Viewer, csrf_refused, error_page, form_failed, render};
use crate::AppState;
use crate::api::capacity::gap_warnings;
use crate::auth::AccessFacts;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shanhai_domain::Lang;
use shanhai_domain::capacity::*;
use shanhai_domain::registry::{Department, Institution, Pairing, Person, Program};
use shanhai_service::capacity::Parse;
use shanhai_store::Page;
use shanhai_store::audit::Actor;
use shanhai_store::capacity::{self as store, CapacityFilter, Collection, EarlierTechnique, *};
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::pairings::{self, PairingFilter};
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::programs::{self, ProgramFilter};
use shanhai_store::{Db, PageRequest, StoreError};
use std::future::Future;

const NAV: &str = "capacity";
const PER_PAGE: i64 = 20;

pub fn router() -> Router<AppState> {
    let r = Router::new()
        .route("/capacity", get(|| async { Redirect::to("/techniques") }))
        .route("/techniques/{id}", get(technique_page))
        .route(
            "/techniques/{id}/cases",
            axum::routing::post(technique_case),
        )
        .route(
            "/techniques/{id}/stage",
            axum::routing::post(technique_stage),
        )
        .route("/mentorships/{id}", get(mentorship_page))
        .route(
            "/mentorships/{id}/apprentices",
            axum::routing::post(mentorship_apprentice),
        )
        .route(
            "/mentorships/{id}/notes",
            axum::routing::post(mentorship_note),
        )
        .route("/alliances/{id}", get(alliance_page))
        .route(
            "/alliances/{id}/members",
            axum::routing::post(alliance_member),
        );
    let r = section::<TechniquesS>(r);
    let r = section::<MentorshipsS>(r);
    let r = section::<TeamPairingsS>(r);
    let r = section::<TeachingS>(r);
    let r = section::<KpisS>(r);
    let r = section::<PlacementsS>(r);
    let r = section::<WorkstationsS>(r);
    let r = section::<AlliancesS>(r);
    let r = section::<ProjectsS>(r);
    let r = section::<RegulationsS>(r);
    let r = section::<ResearchS>(r);
    let r = section::<GoalsS>(r);
    let r = section::<FundingS>(r);
    section::<EquipmentS>(r)
}

fn section<S: Section>(r: Router<AppState>) -> Router<AppState> {
    r.route(S::PATH, get(list_page::<S>).post(create_page::<S>))
        .route(&format!("{}/new", S::PATH), get(form_page::<S>))
}

fn id_or_404(raw: &str) -> Result<String, ApiError> {
    shanhai_domain::ids::parse_id(raw).ok_or_else(ApiError::not_found)
}

/// An amount in fen as yuan with thousands separators: `8300000000` → `¥83,000,000.00`.
pub(super) fn money(fen: i64) -> String {
    let plain = yuan(fen);
    let (sign, rest) = plain
        .strip_prefix('-')
        .map(|r| ("-", r))
        .unwrap_or(("", plain.as_str()));
    let (whole, frac) = rest.split_once('.').unwrap_or((rest, "00"));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}¥{grouped}.{frac}")
}

// ---- tabs ----

/// The capacity area's tabs: (group, path, label key).
const TABS: [(&str, &str, &str); 6] = [
    ("techniques", "/techniques", "ui.cap_techniques"),
    ("mentorships", "/mentorships", "ui.cap_mentorships"),
    ("teaching", "/teaching-activities", "ui.cap_teaching"),
    ("placements", "/placements", "ui.cap_placements"),
    ("specialty", "/workstations", "ui.cap_specialty"),
    ("resources", "/funding-items", "ui.cap_resources"),
];

/// Second-level tabs inside a group: (group, path, label key).
const SUBTABS: [(&str, &str, &str); 14] = [
    ("techniques", "/techniques", "ui.cap_techniques"),
    ("mentorships", "/mentorships", "ui.cap_mentorships"),
    ("mentorships", "/team-pairings", "ui.cap_team_pairings"),
    ("teaching", "/teaching-activities", "ui.cap_teaching"),
    ("teaching", "/training-kpis", "ui.cap_kpis"),
    ("placements", "/placements", "ui.cap_placements"),
    ("specialty", "/workstations", "ui.cap_workstations"),
    ("specialty", "/alliances", "ui.cap_alliances"),
    ("specialty", "/specialty-projects", "ui.cap_projects"),
    ("specialty", "/regulations", "ui.cap_regulations"),
    ("specialty", "/research-outputs", "ui.cap_research"),
    ("specialty", "/accreditation-goals", "ui.cap_goals"),
    ("resources", "/funding-items", "ui.cap_funding"),
    ("resources", "/equipment-donations", "ui.cap_equipment"),
];

pub struct Tab {
    pub href: String,
    pub label: String,
    pub active: bool,
}

fn tabs(c: &Chrome, group: &str) -> Vec<Tab> {
    TABS.iter()
        .map(|(g, href, key)| Tab {
            href: (*href).into(),
            label: c.t(key),
            active: *g == group,
        })
        .collect()
}

fn subtabs(c: &Chrome, group: &str, path: &str) -> Vec<Tab> {
    let tabs: Vec<Tab> = SUBTABS
        .iter()
        .filter(|(g, _, _)| *g == group)
        .map(|(_, href, key)| Tab {
            href: (*href).into(),
            label: c.t(key),
            active: *href == path,
        })
        .collect();
    if tabs.len() > 1 { tabs } else { Vec::new() }
}

// ---- what a page knows about the viewer's institutions ----

/// Institutions the viewer reaches (for list filters) and may write (for forms).
struct Scope {
    facts: AccessFacts,
    institutions: Vec<Institution>,
}

impl Scope {
    async fn load(state: &AppState) -> Result<Scope, ApiError> {
        Ok(Scope {
            facts: AccessFacts::load(&state.db).await?,
            institutions: institutions::list(&state.db, &InstitutionFilter::default(), all())
                .await?
                .items,
        })
    }

    fn readable(&self, viewer: &Viewer) -> Vec<Institution> {
        let reach = self.facts.reach(&viewer.principal);
        self.institutions
            .iter()
            .filter(|i| reach.contains(&i.id))
            .cloned()
            .collect()
    }

    fn writable(&self, viewer: &Viewer) -> Vec<Institution> {
        self.institutions
            .iter()
            .filter(|i| self.facts.access(&viewer.principal, &i.id).can_write())
            .cloned()
            .collect()
    }

    fn may_write(&self, viewer: &Viewer, record: &impl Scoped) -> Result<(), ApiError> {
        let access = self
            .facts
            .access(&viewer.principal, record.institution_id());
        Ok(viewer
            .principal
            .may_write_capacity(access, record.program_id())?)
    }

    fn may_read(&self, viewer: &Viewer, record: &impl Scoped) -> Result<(), ApiError> {
        let access = self
            .facts
            .access(&viewer.principal, record.institution_id());
        Ok(viewer.principal.may_read_capacity(access)?)
    }
}

// ---- a generic section: list, form, create ----

/// One cell of a list row.
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// A badge class ("", "soft", "ok"…) when shown as a badge.
    pub badge: Option<&'static str>,
    pub sub: Option<String>,
    pub num: bool,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        href: None,
        badge: None,
        sub: None,
        num: false,
    }
}

fn opt(text: &Option<String>) -> Cell {
    cell(text.clone().unwrap_or_default())
}

fn link(text: impl Into<String>, href: String) -> Cell {
    Cell {
        href: Some(href),
        ..cell(text)
    }
}

fn badge(text: impl Into<String>, class: &'static str) -> Cell {
    Cell {
        badge: Some(class),
        ..cell(text)
    }
}

fn num(n: impl ToString) -> Cell {
    Cell {
        num: true,
        ..cell(n.to_string())
    }
}

fn with_sub(mut c: Cell, sub: Option<String>) -> Cell {
    c.sub = sub.filter(|s| !s.is_empty());
    c
}

fn period(from: &str, to: &Option<String>) -> String {
    match to {
        Some(t) => format!("{from} ~ {t}"),
        None => format!("{from} ~"),
    }
}

/// A form field.
pub struct Field {
    pub name: &'static str,
    pub label: String,
    /// `text`, `area`, `date`, `number`, `money`, `select`, `check`.
    pub kind: &'static str,
    json: Json,
    pub required: bool,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub error: Option<String>,
    pub help: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Json {
    Str,
    OptStr,
    Int,
    OptInt,
    Bool,
}

impl Field {
    fn new(c: &FormCtx, name: &'static str, kind: &'static str, json: Json) -> Field {
        Field {
            name,
            label: c.t(&format!("field.{name}")),
            kind,
            json,
            required: matches!(json, Json::Str | Json::Int),
            options: Vec::new(),
            value: String::new(),
            error: None,
            help: None,
        }
    }

    fn label(mut self, key: &str, c: &FormCtx) -> Field {
        self.label = c.t(key);
        self
    }

    fn options(mut self, options: Vec<(String, String)>) -> Field {
        self.options = options;
        self
    }

    fn default(mut self, v: impl Into<String>) -> Field {
        self.value = v.into();
        self
    }

    fn help(mut self, key: &str, c: &FormCtx) -> Field {
        self.help = Some(c.t(key));
        self
    }

    fn is_selected(&self, v: &str) -> bool {
        self.value == v
    }
}

fn text(c: &FormCtx, name: &'static str, required: bool) -> Field {
    Field::new(
        c,
        name,
        "text",
        if required { Json::Str } else { Json::OptStr },
    )
}
fn area(c: &FormCtx, name: &'static str) -> Field {
    Field::new(c, name, "area", Json::OptStr)
}
fn date(c: &FormCtx, name: &'static str, required: bool) -> Field {
    let f = Field::new(
        c,
        name,
        "date",
        if required { Json::Str } else { Json::OptStr },
    );
    if required {
        f.default(c.today.clone())
    } else {
        f
    }
}
fn number(c: &FormCtx, name: &'static str, required: bool) -> Field {
    Field::new(
        c,
        name,
        "number",
        if required { Json::Int } else { Json::OptInt },
    )
}
fn select(
    c: &FormCtx,
    name: &'static str,
    required: bool,
    options: Vec<(String, String)>,
) -> Field {
    Field::new(
        c,
        name,
        "select",
        if required { Json::Str } else { Json::OptStr },
    )
    .options(options)
}
fn codes<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T, Lang) -> &'static str,
    lang: Lang,
) -> Vec<(String, String)> {
    all.iter()
        .map(|x| (code(*x).to_string(), label(*x, lang).to_string()))
        .collect()
}

macro_rules! options_of {
    ($t:ty, $lang:expr) => {
        codes(<$t>::ALL, |x| x.code(), |x, l| x.label(l), $lang)
    };
}

/// What a form offers to choose from, for one local institution.
pub struct FormCtx {
    lang: Lang,
    today: String,
    institution: Institution,
    programs: Vec<Program>,
    departments: Vec<Department>,
    locals: Vec<Person>,
    experts: Vec<Person>,
    pairings: Vec<Pairing>,
    institutions: Vec<Institution>,
}

impl FormCtx {
    fn t(&self, key: &str) -> String {
        crate::i18n::t(self.lang, key)
    }

    async fn load(
        state: &AppState,
        institution: Institution,
        everyone: Vec<Institution>,
    ) -> Result<FormCtx, ApiError> {
        let db = &state.db;
        let id = institution.id.clone();
        let programs = programs::list(
            db,
            &ProgramFilter {
                institution: Some(id.clone()),
                ..Default::default()
            },
            all(),
        )
        .await?
        .items;
        let departments = departments::list(
            db,
            &DepartmentFilter {
                institution: Some(id.clone()),
                ..Default::default()
            },
            all(),
        )
        .await?
        .items;
        let locals = people_at(db, &id).await?;
        let pairings = pairings::list(
            db,
            &PairingFilter {
                recipient: Some(id.clone()),
                ..Default::default()
            },
            all(),
        )
        .await?
        .items;
        let mut experts = Vec::new();
        let mut donors: Vec<&str> = pairings.iter().map(|p| p.donor_id.as_str()).collect();
        donors.sort_unstable();
        donors.dedup();
        for d in donors {
            experts.extend(people_at(db, d).await?);
        }
        Ok(FormCtx {
            lang: crate::i18n::current(),
            today: shanhai_store::today().to_string(),
            institution,
            programs,
            departments,
            locals,
            experts,
            pairings,
            institutions: everyone,
        })
    }

    fn program_options(&self) -> Vec<(String, String)> {
        self.programs
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect()
    }

    fn default_program(&self) -> String {
        match self.programs.as_slice() {
            [only] => only.id.clone(),
            _ => String::new(),
        }
    }

    fn department_options(&self) -> Vec<(String, String)> {
        self.departments
            .iter()
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect()
    }

    fn person_label(&self, p: &Person) -> String {
        let mut s = format!("{} · {}", p.name, p.title.label(self.lang));
        if let Some(d) = &p.department_name {
            s.push_str(" · ");
            s.push_str(d);
        }
        s
    }

    fn local_options(&self) -> Vec<(String, String)> {
        self.locals
            .iter()
            .map(|p| (p.id.clone(), self.person_label(p)))
            .collect()
    }

    fn expert_options(&self) -> Vec<(String, String)> {
        self.experts
            .iter()
            .map(|p| {
                (
                    p.id.clone(),
                    format!(
                        "{} · {}",
                        self.person_label(p),
                        p.institution_name.clone().unwrap_or_default()
                    ),
                )
            })
            .collect()
    }

    fn pairing_options(&self) -> Vec<(String, String)> {
        self.pairings
            .iter()
            .map(|p| {
                (
                    p.id.clone(),
                    format!(
                        "{} → {} · {}",
                        p.donor_name.clone().unwrap_or_default(),
                        p.recipient_name.clone().unwrap_or_default(),
                        p.program_name.clone().unwrap_or_default()
                    ),
                )
            })
            .collect()
    }

    fn institution_options(&self) -> Vec<(String, String)> {
        self.institutions
            .iter()
            .filter(|i| i.id != self.institution.id)
            .map(|i| (i.id.clone(), i.name.clone()))
            .collect()
    }

    fn specialty_options(&self) -> Vec<(String, String)> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for d in &self.departments {
            if seen.insert(d.specialty_code.clone()) {
                out.push((
                    d.specialty_code.clone(),
                    format!(
                        "{} {}",
                        d.specialty_code,
                        specialty_name(self.lang, &d.specialty_code)
                    ),
                ));
            }
        }
        for s in shanhai_domain::specialty::all() {
            if seen.insert(s.code.clone()) {
                out.push((
                    s.code.clone(),
                    format!("{} {}", s.code, specialty_name(self.lang, &s.code)),
                ));
            }
        }
        out
    }
}

fn specialty_name(lang: Lang, code: &str) -> String {
    shanhai_domain::specialty::find(code)
        .map(|s| match lang {
            Lang::Zh => s.zh.clone(),
            Lang::En => s.en.clone(),
        })
        .unwrap_or_else(|| code.to_string())
}

/// Everyone at an institution (every page of them: a donor hospital may have hundreds).
async fn people_at(db: &Db, institution: &str) -> Result<Vec<Person>, ApiError> {
    let filter = PersonFilter {
        institution: Some(institution.to_string()),
        ..Default::default()
    };
    let mut out = Vec::new();
    for n in 1.. {
        let page = people::list(
            db,
            &filter,
            &shanhai_domain::access::Reach::All,
            PageRequest::new(Some(n), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let last = n >= page.pages();
        out.extend(page.items);
        if last || n >= 50 {
            break;
        }
    }
    Ok(out)
}

type Rec<S> = <S as Section>::R;
type New<S> = <S as Section>::N;

trait Section: Send + Sync + 'static {
    type R: Send + Sync + Scoped;
    type N: Send + Sync + Scoped;
    type T: Collection<New = Self::N> + shanhai_store::record::Table<Record = Self::R>;
    type I: DeserializeOwned + Parse<New = New<Self>> + Send;
    const PATH: &'static str;
    const GROUP: &'static str;
    const TITLE: &'static str;
    const INTRO: &'static str;
    const NEW: &'static str;
    const EMPTY: &'static str;
    const HEADERS: &'static [&'static str];
    /// The label of the `kind` filter, when the collection has kinds.
    const KIND: Option<&'static str> = None;

    fn kinds(_lang: Lang) -> Vec<(String, String)> {
        Vec::new()
    }
    fn row(c: &Chrome, r: &Rec<Self>) -> Vec<Cell>;
    fn fields(c: &FormCtx) -> Vec<Field>;
    /// Creates the record; answers where to go next.
    fn insert<'a>(
        db: &'a Db,
        actor: &'a Actor,
        new: &'a New<Self>,
    ) -> impl Future<Output = Result<String, StoreError>> + Send + 'a;
}

#[derive(Deserialize, Default)]
struct ListQuery {
    program: Option<String>,
    institution: Option<String>,
    kind: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "capacity_list.html")]
struct ListPage {
    c: Chrome,
    tabs: Vec<Tab>,
    subtabs: Vec<Tab>,
    title: String,
    intro: String,
    path: &'static str,
    new_label: String,
    can_create: bool,
    programs: Vec<Program>,
    institutions: Vec<Institution>,
    kind_label: Option<String>,
    kinds: Vec<(String, String)>,
    program: String,
    institution: String,
    kind: String,
    q: String,
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
    empty: String,
    pager: Pager,
    /// Exact totals over everything the filters select (money lists).
    totals: Option<(String, i64, String)>,
}

impl ListPage {
    fn new_href(&self) -> String {
        if self.institution.is_empty() {
            format!("{}/new", self.path)
        } else {
            format!("{}/new?institution={}", self.path, self.institution)
        }
    }
}

async fn list_page<S: Section>(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    match list_data::<S>(&state, &viewer, &uri, q).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn list_data<S: Section>(
    state: &AppState,
    viewer: &Viewer,
    uri: &OriginalUri,
    q: ListQuery,
) -> Result<ListPage, ApiError> {
    let scope = Scope::load(state).await?;
    let filter = CapacityFilter {
        program: given(&q.program),
        institution: given(&q.institution),
        kind: given(&q.kind),
        q: given(&q.q),
        ..Default::default()
    };
    let reach = scope.facts.reach(&viewer.principal);
    let items: Page<Rec<S>> = store::list::<S::T>(
        &state.db,
        &filter,
        &reach,
        PageRequest::new(page_no(&q.page), Some(PER_PAGE)),
    )
    .await?;
    let totals = match S::PATH {
        "/funding-items" => Some(store::funding_totals(&state.db, &filter, &reach).await?),
        "/equipment-donations" => Some(store::equipment_totals(&state.db, &filter, &reach).await?),
        _ => None,
    }
    .map(|t| {
        (
            crate::i18n::t(crate::i18n::current(), "ui.cap_total_amount"),
            t.count,
            money(t.amount_fen),
        )
    });
    let c = Chrome::new(Some(viewer), NAV, here(uri));
    let pager = Pager::new(
        &items,
        S::PATH,
        &[
            ("program", filter.program.as_deref()),
            ("institution", filter.institution.as_deref()),
            ("kind", filter.kind.as_deref()),
            ("q", filter.q.as_deref()),
        ],
    );
    let rows = items.items.iter().map(|r| S::row(&c, r)).collect();
    let programs = programs::list(&state.db, &ProgramFilter::default(), all())
        .await?
        .items;
    Ok(ListPage {
        tabs: tabs(&c, S::GROUP),
        subtabs: subtabs(&c, S::GROUP, S::PATH),
        title: c.t(S::TITLE),
        intro: c.t(S::INTRO),
        path: S::PATH,
        new_label: c.t(S::NEW),
        can_create: !scope.writable(viewer).is_empty(),
        programs,
        institutions: scope.readable(viewer),
        kind_label: S::KIND.map(|k| c.t(k)),
        kinds: S::kinds(c.lang),
        program: filter.program.unwrap_or_default(),
        institution: filter.institution.unwrap_or_default(),
        kind: filter.kind.unwrap_or_default(),
        q: filter.q.unwrap_or_default(),
        headers: S::HEADERS.iter().map(|h| c.t(h)).collect(),
        rows,
        empty: c.t(S::EMPTY),
        pager,
        totals,
        c,
    })
}

#[derive(Template)]
#[template(path = "capacity_form.html")]
struct FormPage {
    c: Chrome,
    tabs: Vec<Tab>,
    title: String,
    path: &'static str,
    /// Chosen: the form; not yet: the institution picker.
    institution: Option<Institution>,
    choices: Vec<Institution>,
    fields: Vec<Field>,
    error: Option<FormErrors>,
}

#[derive(Deserialize, Default)]
struct NewQuery {
    institution: Option<String>,
}

async fn form_data<S: Section>(
    state: &AppState,
    viewer: &Viewer,
    chosen: Option<String>,
    values: Option<&FormData>,
    error: Option<FormErrors>,
) -> Result<FormPage, ApiError> {
    let scope = Scope::load(state).await?;
    let writable = scope.writable(viewer);
    if writable.is_empty() {
        return Err(ApiError::forbidden());
    }
    let c = Chrome::new(Some(viewer), NAV, format!("{}/new", S::PATH));
    let institution = match chosen {
        Some(id) => Some(
            writable
                .iter()
                .find(|i| i.id == id)
                .cloned()
                .ok_or_else(ApiError::forbidden)?,
        ),
        None if writable.len() == 1 => writable.first().cloned(),
        None => None,
    };
    let mut fields = Vec::new();
    if let Some(inst) = &institution {
        let ctx = FormCtx::load(state, inst.clone(), scope.institutions.clone()).await?;
        fields = S::fields(&ctx);
        for f in &mut fields {
            if let Some(v) = values {
                f.value = if f.json == Json::Bool {
                    if v.opt(f.name).is_some() {
                        "1".into()
                    } else {
                        String::new()
                    }
                } else {
                    v.get(f.name)
                };
            }
            f.error = error.as_ref().and_then(|e| e.at(f.name));
        }
    }
    Ok(FormPage {
        tabs: tabs(&c, S::GROUP),
        title: c.t(S::NEW),
        path: S::PATH,
        institution,
        choices: writable,
        fields,
        error,
        c,
    })
}

async fn form_page<S: Section>(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewQuery>,
) -> Response {
    let chosen = given(&q.institution);
    match form_data::<S>(&state, &viewer, chosen, None, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// The submitted fields as the JSON input the API takes.
fn input_json(
    fields: &[Field],
    form: &FormData,
    institution: &str,
) -> Result<serde_json::Value, ApiError> {
    let mut obj = serde_json::Map::new();
    obj.insert("institution_id".into(), institution.into());
    for f in fields {
        let raw = form.get(f.name);
        let raw = raw.trim();
        let value = match f.json {
            Json::Str => serde_json::Value::from(raw),
            Json::OptStr if raw.is_empty() => serde_json::Value::Null,
            Json::OptStr => serde_json::Value::from(raw),
            Json::Bool => serde_json::Value::from(!raw.is_empty()),
            Json::Int | Json::OptInt if raw.is_empty() => {
                if f.json == Json::Int {
                    return Err(shanhai_domain::Invalid::new(f.name, "error.required").into());
                }
                serde_json::Value::Null
            }
            Json::Int | Json::OptInt => match raw.parse::<i64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => {
                    return Err(shanhai_domain::Invalid::new(f.name, "error.out_of_range").into());
                }
            },
        };
        obj.insert(f.name.into(), value);
    }
    Ok(serde_json::Value::Object(obj))
}

async fn create_page<S: Section>(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    if !viewer.csrf_ok(&form.get("csrf")) {
        return csrf_refused(&viewer, NAV, here(&uri));
    }
    let institution = form.get("institution_id");
    let result: Result<String, ApiError> = async {
        let page = form_data::<S>(&state, &viewer, Some(institution.clone()), None, None).await?;
        let json = input_json(&page.fields, &form, &institution)?;
        let input: S::I =
            serde_json::from_value(json).map_err(|_| ApiError::bad_request("error.bad_body"))?;
        let new = input.parse()?;
        let scope = Scope::load(&state).await?;
        scope.may_write(&viewer, &new)?;
        Ok(S::insert(&state.db, &viewer.actor(), &new).await?)
    }
    .await;
    let e = match result {
        Ok(next) => return Redirect::to(&next).into_response(),
        Err(e) => e,
    };
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        |error| form_data::<S>(&state, &viewer, Some(institution), Some(&form), Some(error)),
    )
    .await
}

fn listed_at(path: &str, institution: &str) -> String {
    format!("{path}?institution={institution}")
}

// ---- the sections ----

struct TechniquesS;
impl Section for TechniquesS {
    type R = Technique;
    type N = NewTechnique;
    type T = Techniques;
    type I = TechniqueInput;
    const PATH: &'static str = "/techniques";
    const GROUP: &'static str = "techniques";
    const TITLE: &'static str = "ui.cap_techniques";
    const INTRO: &'static str = "ui.cap_techniques_intro";
    const NEW: &'static str = "ui.cap_new_technique";
    const EMPTY: &'static str = "ui.cap_no_techniques";
    const HEADERS: &'static [&'static str] = &[
        "ui.cap_technique",
        "field.institution_id",
        "field.gap_level",
        "field.expert_id",
        "field.introduced_on",
        "ui.cap_cases",
        "field.stage",
    ];
    const KIND: Option<&'static str> = Some("field.stage");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(TechniqueStage, lang)
    }
    fn row(c: &Chrome, r: &Technique) -> Vec<Cell> {
        vec![
            with_sub(
                link(r.name.clone(), format!("/techniques/{}", r.id)),
                Some(
                    [
                        c.specialty(&r.specialty_code),
                        r.surgical_grade
                            .map(|g| grade_label(c.lang, g))
                            .unwrap_or_default(),
                    ]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" · "),
                ),
            ),
            with_sub(opt(&r.institution_name), r.department_name.clone()),
            match r.gap_level {
                Some(g) => badge(g.label(c.lang), "gold"),
                None => cell(""),
            },
            opt(&r.expert_name),
            cell(r.introduced_on.clone()),
            Cell {
                sub: (r.case_count > 0)
                    .then(|| format!("{} {}", c.t("ui.cap_local"), r.local_case_count)),
                ..num(r.case_count)
            },
            badge(r.stage.label(c.lang), stage_class(r.stage)),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true).label("ui.cap_technique_name", c),
            select(c, "specialty_code", true, c.specialty_options()).default(
                c.departments
                    .first()
                    .map(|d| d.specialty_code.clone())
                    .unwrap_or_default(),
            ),
            select(c, "department_id", false, c.department_options()),
            Field {
                json: Json::OptInt,
                ..select(c, "surgical_grade", false, Vec::new())
            }
            .options(
                (1..=4)
                    .map(|g| (g.to_string(), grade_label(c.lang, g)))
                    .collect(),
            ),
            select(c, "gap_level", false, options_of!(GapLevel, c.lang)).help("ui.cap_gap_help", c),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
            select(c, "pairing_id", false, c.pairing_options()),
            select(c, "expert_id", false, c.expert_options()).label("ui.cap_introducing_expert", c),
            date(c, "introduced_on", true),
            area(c, "description"),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewTechnique) -> Result<String, StoreError> {
        let (t, earlier) = store::create_technique(db, actor, new).await?;
        let mut next = format!("/techniques/{}?created=1", t.id);
        if !earlier.is_empty() {
            let ids: Vec<&str> = earlier.iter().map(|e| e.technique_id.as_str()).collect();
            next.push_str(&format!("&earlier={}", ids.join(",")));
        }
        Ok(next)
    }
}

fn grade_label(lang: Lang, g: i64) -> String {
    let zh = ["一级手术", "二级手术", "三级手术", "四级手术"];
    match (lang, usize::try_from(g - 1).ok().and_then(|i| zh.get(i))) {
        (Lang::Zh, Some(s)) => (*s).to_string(),
        _ => format!("Grade {g}"),
    }
}

fn stage_class(s: TechniqueStage) -> &'static str {
    match s {
        TechniqueStage::Introduced => "soft",
        TechniqueStage::Demonstrated => "",
        TechniqueStage::Supervised => "gold",
        TechniqueStage::Independent => "ok",
    }
}

struct MentorshipsS;
impl Section for MentorshipsS {
    type R = Mentorship;
    type N = NewMentorship;
    type T = Mentorships;
    type I = MentorshipInput;
    const PATH: &'static str = "/mentorships";
    const GROUP: &'static str = "mentorships";
    const TITLE: &'static str = "ui.cap_mentorships";
    const INTRO: &'static str = "ui.cap_mentorships_intro";
    const NEW: &'static str = "ui.cap_new_mentorship";
    const EMPTY: &'static str = "ui.cap_no_mentorships";
    const HEADERS: &'static [&'static str] = &[
        "field.mentor_id",
        "field.institution_id",
        "ui.cap_term",
        "field.subject",
        "ui.cap_apprentices",
        "field.evaluation",
    ];
    fn row(c: &Chrome, r: &Mentorship) -> Vec<Cell> {
        vec![
            link(
                r.mentor_name.clone().unwrap_or_default(),
                format!("/mentorships/{}", r.id),
            ),
            opt(&r.institution_name),
            cell(format!("{} ~ {}", r.term_start, r.term_end)),
            opt(&r.subject),
            num(r.apprentice_count),
            match r.evaluation {
                Some(e) => badge(e.label(c.lang), "ok"),
                None => cell(""),
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "mentor_id", true, c.expert_options()),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
            select(c, "department_id", false, c.department_options()),
            date(c, "term_start", true),
            date(c, "term_end", false).help("ui.cap_term_help", c),
            text(c, "subject", false),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewMentorship) -> Result<String, StoreError> {
        let m = store::create_mentorship(db, actor, new).await?;
        Ok(format!("/mentorships/{}", m.id))
    }
}

struct TeamPairingsS;
impl Section for TeamPairingsS {
    type R = TeamPairing;
    type N = NewTeamPairing;
    type T = TeamPairings;
    type I = TeamPairingInput;
    const PATH: &'static str = "/team-pairings";
    const GROUP: &'static str = "mentorships";
    const TITLE: &'static str = "ui.cap_team_pairings";
    const INTRO: &'static str = "ui.cap_team_pairings_intro";
    const NEW: &'static str = "ui.cap_new_team_pairing";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.local_team",
        "field.institution_id",
        "field.donor_team",
        "field.donor_institution_id",
        "ui.cap_period",
    ];
    fn row(_c: &Chrome, r: &TeamPairing) -> Vec<Cell> {
        vec![
            cell(r.local_team.clone()),
            opt(&r.institution_name),
            cell(r.donor_team.clone()),
            opt(&r.donor_institution_name),
            cell(period(&r.start_date, &r.end_date)),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "local_team", true),
            select(c, "department_id", false, c.department_options()),
            select(c, "donor_institution_id", true, c.institution_options()),
            text(c, "donor_team", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
            date(c, "start_date", true),
            date(c, "end_date", false),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewTeamPairing) -> Result<String, StoreError> {
        store::create::<TeamPairings>(db, actor, new).await?;
        Ok(listed_at("/team-pairings", &new.institution_id))
    }
}

struct TeachingS;
impl Section for TeachingS {
    type R = TeachingActivity;
    type N = NewTeachingActivity;
    type T = TeachingActivities;
    type I = TeachingActivityInput;
    const PATH: &'static str = "/teaching-activities";
    const GROUP: &'static str = "teaching";
    const TITLE: &'static str = "ui.cap_teaching";
    const INTRO: &'static str = "ui.cap_teaching_intro";
    const NEW: &'static str = "ui.cap_new_teaching";
    const EMPTY: &'static str = "ui.cap_no_teaching";
    const HEADERS: &'static [&'static str] = &[
        "field.held_on",
        "field.kind",
        "field.topic",
        "field.institution_id",
        "field.host_id",
        "field.duration_minutes",
        "ui.cap_attendance",
    ];
    const KIND: Option<&'static str> = Some("field.kind");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(TeachingKind, lang)
    }
    fn row(c: &Chrome, r: &TeachingActivity) -> Vec<Cell> {
        vec![
            cell(r.held_on.clone()),
            badge(r.kind.label(c.lang), "soft"),
            with_sub(
                cell(r.topic.clone()),
                if r.online {
                    Some(c.t("ui.cap_online"))
                } else {
                    r.place.clone()
                },
            ),
            opt(&r.institution_name),
            opt(&r.host_name),
            num(r.duration_minutes),
            num(r.attendance),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        let mut hosts = c.expert_options();
        hosts.extend(c.local_options());
        vec![
            select(c, "kind", true, options_of!(TeachingKind, c.lang)),
            text(c, "topic", true),
            date(c, "held_on", true),
            select(c, "host_id", false, hosts),
            select(c, "department_id", false, c.department_options()),
            text(c, "place", false),
            Field::new(c, "online", "check", Json::Bool).label("ui.cap_online", c),
            number(c, "duration_minutes", true).default("60"),
            number(c, "attendance", false).help("ui.cap_attendance_help", c),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(
        db: &Db,
        actor: &Actor,
        new: &NewTeachingActivity,
    ) -> Result<String, StoreError> {
        store::create::<TeachingActivities>(db, actor, new).await?;
        Ok(listed_at("/teaching-activities", &new.institution_id))
    }
}

struct KpisS;
impl Section for KpisS {
    type R = TrainingKpi;
    type N = NewTrainingKpi;
    type T = TrainingKpis;
    type I = TrainingKpiInput;
    const PATH: &'static str = "/training-kpis";
    const GROUP: &'static str = "teaching";
    const TITLE: &'static str = "ui.cap_kpis";
    const INTRO: &'static str = "ui.cap_kpis_intro";
    const NEW: &'static str = "ui.cap_new_kpi";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.year",
        "field.indicator",
        "field.institution_id",
        "field.candidates",
        "field.passed",
        "ui.cap_rate",
    ];
    const KIND: Option<&'static str> = Some("field.indicator");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(TrainingIndicator, lang)
    }
    fn row(c: &Chrome, r: &TrainingKpi) -> Vec<Cell> {
        vec![
            cell(r.year.to_string()),
            cell(r.indicator.label(c.lang)),
            opt(&r.institution_name),
            num(r.candidates),
            num(r.passed),
            Cell {
                num: true,
                ..cell(
                    r.rate_percent
                        .clone()
                        .map(|p| format!("{p}%"))
                        .unwrap_or_default(),
                )
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "indicator", true, options_of!(TrainingIndicator, c.lang)),
            number(c, "year", true).default(c.today.get(..4).unwrap_or_default()),
            number(c, "candidates", true),
            number(c, "passed", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewTrainingKpi) -> Result<String, StoreError> {
        store::create::<TrainingKpis>(db, actor, new).await?;
        Ok(listed_at("/training-kpis", &new.institution_id))
    }
}

struct PlacementsS;
impl Section for PlacementsS {
    type R = Placement;
    type N = NewPlacement;
    type T = Placements;
    type I = PlacementInput;
    const PATH: &'static str = "/placements";
    const GROUP: &'static str = "placements";
    const TITLE: &'static str = "ui.cap_placements";
    const INTRO: &'static str = "ui.cap_placements_intro";
    const NEW: &'static str = "ui.cap_new_placement";
    const EMPTY: &'static str = "ui.cap_no_placements";
    const HEADERS: &'static [&'static str] = &[
        "field.person_id",
        "field.institution_id",
        "field.host_institution_id",
        "field.subject",
        "ui.cap_period",
        "field.status",
        "field.outcome",
    ];
    const KIND: Option<&'static str> = Some("field.status");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(PlacementStatus, lang)
    }
    fn row(c: &Chrome, r: &Placement) -> Vec<Cell> {
        vec![
            opt(&r.person_name),
            opt(&r.institution_name),
            opt(&r.host_institution_name),
            cell(r.subject.clone()),
            cell(period(&r.start_date, &r.end_date)),
            badge(
                r.status.label(c.lang),
                if r.status == PlacementStatus::ALL[0] {
                    ""
                } else {
                    "ok"
                },
            ),
            opt(&r.outcome),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "person_id", true, c.local_options()),
            select(c, "host_institution_id", true, c.institution_options()),
            text(c, "subject", true),
            date(c, "start_date", true),
            date(c, "end_date", false),
            select(c, "status", false, options_of!(PlacementStatus, c.lang)),
            text(c, "outcome", false),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewPlacement) -> Result<String, StoreError> {
        store::create::<Placements>(db, actor, new).await?;
        Ok(listed_at("/placements", &new.institution_id))
    }
}

struct WorkstationsS;
impl Section for WorkstationsS {
    type R = Workstation;
    type N = NewWorkstation;
    type T = Workstations;
    type I = WorkstationInput;
    const PATH: &'static str = "/workstations";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_workstations";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_workstation";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.name",
        "field.kind",
        "field.institution_id",
        "field.lead_expert_id",
        "field.opened_on",
        "field.visits",
    ];
    const KIND: Option<&'static str> = Some("field.kind");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(WorkstationKind, lang)
    }
    fn row(c: &Chrome, r: &Workstation) -> Vec<Cell> {
        vec![
            cell(r.name.clone()),
            badge(r.kind.label(c.lang), "soft"),
            opt(&r.institution_name),
            opt(&r.lead_expert_name),
            cell(r.opened_on.clone()),
            num(r.visits),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true),
            select(c, "kind", true, options_of!(WorkstationKind, c.lang)),
            select(c, "lead_expert_id", false, c.expert_options()),
            select(c, "department_id", false, c.department_options()),
            date(c, "opened_on", true),
            number(c, "visits", false),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewWorkstation) -> Result<String, StoreError> {
        store::create::<Workstations>(db, actor, new).await?;
        Ok(listed_at("/workstations", &new.institution_id))
    }
}

struct AlliancesS;
impl Section for AlliancesS {
    type R = Alliance;
    type N = NewAlliance;
    type T = Alliances;
    type I = AllianceInput;
    const PATH: &'static str = "/alliances";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_alliances";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_alliance";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.name",
        "ui.cap_lead_institution",
        "field.specialty_code",
        "field.founded_on",
        "ui.cap_members",
    ];
    fn row(c: &Chrome, r: &Alliance) -> Vec<Cell> {
        vec![
            link(r.name.clone(), format!("/alliances/{}", r.id)),
            opt(&r.institution_name),
            cell(
                r.specialty_code
                    .as_deref()
                    .map(|s| c.specialty(s))
                    .unwrap_or_default(),
            ),
            cell(r.founded_on.clone()),
            num(r.member_count),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true),
            select(c, "specialty_code", false, c.specialty_options()),
            date(c, "founded_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewAlliance) -> Result<String, StoreError> {
        let a = store::create::<Alliances>(db, actor, new).await?;
        Ok(format!("/alliances/{}", a.id))
    }
}

struct ProjectsS;
impl Section for ProjectsS {
    type R = SpecialtyProject;
    type N = NewSpecialtyProject;
    type T = SpecialtyProjects;
    type I = SpecialtyProjectInput;
    const PATH: &'static str = "/specialty-projects";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_projects";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_project";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.name",
        "ui.cap_project_level",
        "field.institution_id",
        "field.started_on",
        "field.milestones",
        "field.acceptance_result",
    ];
    const KIND: Option<&'static str> = Some("ui.cap_project_level");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(SpecialtyLevel, lang)
    }
    fn row(c: &Chrome, r: &SpecialtyProject) -> Vec<Cell> {
        let done = r.milestones.iter().filter(|m| m.done_on.is_some()).count();
        vec![
            cell(r.name.clone()),
            badge(r.level.label(c.lang), "soft"),
            opt(&r.institution_name),
            cell(r.started_on.clone()),
            cell(format!("{done} / {}", r.milestones.len())),
            with_sub(
                badge(r.acceptance_result.label(c.lang), ""),
                r.accepted_on.clone(),
            ),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true),
            select(c, "level", true, options_of!(SpecialtyLevel, c.lang))
                .label("ui.cap_project_level", c),
            select(c, "department_id", false, c.department_options()),
            date(c, "started_on", true),
            select(
                c,
                "acceptance_result",
                false,
                options_of!(AcceptanceResult, c.lang),
            ),
            date(c, "accepted_on", false),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(
        db: &Db,
        actor: &Actor,
        new: &NewSpecialtyProject,
    ) -> Result<String, StoreError> {
        store::create::<SpecialtyProjects>(db, actor, new).await?;
        Ok(listed_at("/specialty-projects", &new.institution_id))
    }
}

struct RegulationsS;
impl Section for RegulationsS {
    type R = Regulation;
    type N = NewRegulation;
    type T = Regulations;
    type I = RegulationInput;
    const PATH: &'static str = "/regulations";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_regulations";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_regulation";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "ui.cap_regulation_title",
        "field.area",
        "field.institution_id",
        "field.adopted_on",
    ];
    fn row(_c: &Chrome, r: &Regulation) -> Vec<Cell> {
        vec![
            cell(r.title.clone()),
            badge(r.area.clone(), "soft"),
            opt(&r.institution_name),
            cell(r.adopted_on.clone()),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "title", true).label("ui.cap_regulation_title", c),
            text(c, "area", true),
            date(c, "adopted_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewRegulation) -> Result<String, StoreError> {
        store::create::<Regulations>(db, actor, new).await?;
        Ok(listed_at("/regulations", &new.institution_id))
    }
}

struct ResearchS;
impl Section for ResearchS {
    type R = ResearchOutput;
    type N = NewResearchOutput;
    type T = ResearchOutputs;
    type I = ResearchOutputInput;
    const PATH: &'static str = "/research-outputs";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_research";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_research";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "ui.cap_research_title",
        "field.kind",
        "field.person_id",
        "field.institution_id",
        "field.venue",
        "field.dated_on",
        "ui.cap_amount",
    ];
    const KIND: Option<&'static str> = Some("field.kind");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(ResearchKind, lang)
    }
    fn row(c: &Chrome, r: &ResearchOutput) -> Vec<Cell> {
        vec![
            cell(r.title.clone()),
            badge(r.kind.label(c.lang), "soft"),
            opt(&r.person_name),
            opt(&r.institution_name),
            opt(&r.venue),
            cell(r.dated_on.clone()),
            Cell {
                num: true,
                ..cell(r.amount_fen.map(money).unwrap_or_default())
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "kind", true, options_of!(ResearchKind, c.lang)),
            text(c, "title", true).label("ui.cap_research_title", c),
            select(c, "person_id", true, c.local_options()),
            text(c, "venue", false),
            date(c, "dated_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewResearchOutput) -> Result<String, StoreError> {
        store::create::<ResearchOutputs>(db, actor, new).await?;
        Ok(listed_at("/research-outputs", &new.institution_id))
    }
}

struct GoalsS;
impl Section for GoalsS {
    type R = AccreditationGoal;
    type N = NewAccreditationGoal;
    type T = AccreditationGoals;
    type I = AccreditationGoalInput;
    const PATH: &'static str = "/accreditation-goals";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_goals";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_goal";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.goal",
        "field.institution_id",
        "field.status",
        "field.target_on",
        "field.achieved_on",
        "field.note",
    ];
    const KIND: Option<&'static str> = Some("field.goal");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(AccreditationGoalKind, lang)
    }
    fn row(c: &Chrome, r: &AccreditationGoal) -> Vec<Cell> {
        vec![
            cell(r.goal.label(c.lang)),
            opt(&r.institution_name),
            badge(
                r.status.label(c.lang),
                if r.achieved_on.is_some() {
                    "ok"
                } else {
                    "gold"
                },
            ),
            opt(&r.target_on),
            opt(&r.achieved_on),
            opt(&r.note),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "goal", true, options_of!(AccreditationGoalKind, c.lang)),
            select(c, "status", true, options_of!(GoalStatus, c.lang)),
            date(c, "target_on", false),
            date(c, "achieved_on", false),
            text(c, "note", false),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(
        db: &Db,
        actor: &Actor,
        new: &NewAccreditationGoal,
    ) -> Result<String, StoreError> {
        store::create::<AccreditationGoals>(db, actor, new).await?;
        Ok(listed_at("/accreditation-goals", &new.institution_id))
    }
}

struct FundingS;
impl Section for FundingS {
    type R = FundingItem;
    type N = NewFundingItem;
    type T = FundingItems;
    type I = FundingItemInput;
    const PATH: &'static str = "/funding-items";
    const GROUP: &'static str = "resources";
    const TITLE: &'static str = "ui.cap_funding";
    const INTRO: &'static str = "ui.cap_resources_intro";
    const NEW: &'static str = "ui.cap_new_funding";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.granted_on",
        "field.purpose",
        "field.source",
        "field.institution_id",
        "ui.cap_amount",
    ];
    fn row(_c: &Chrome, r: &FundingItem) -> Vec<Cell> {
        vec![
            cell(r.granted_on.clone()),
            cell(r.purpose.clone()),
            cell(r.source.clone()),
            opt(&r.institution_name),
            Cell {
                num: true,
                ..cell(money(r.amount_fen))
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            Field::new(c, "amount_yuan", "money", Json::Str),
            text(c, "source", true),
            text(c, "purpose", true),
            date(c, "granted_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(db: &Db, actor: &Actor, new: &NewFundingItem) -> Result<String, StoreError> {
        store::create::<FundingItems>(db, actor, new).await?;
        Ok(listed_at("/funding-items", &new.institution_id))
    }
}

struct EquipmentS;
impl Section for EquipmentS {
    type R = EquipmentDonation;
    type N = NewEquipmentDonation;
    type T = EquipmentDonations;
    type I = EquipmentDonationInput;
    const PATH: &'static str = "/equipment-donations";
    const GROUP: &'static str = "resources";
    const TITLE: &'static str = "ui.cap_equipment";
    const INTRO: &'static str = "ui.cap_resources_intro";
    const NEW: &'static str = "ui.cap_new_equipment";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.donated_on",
        "field.item",
        "field.quantity",
        "field.donor_institution_id",
        "field.institution_id",
        "ui.cap_value",
    ];
    fn row(_c: &Chrome, r: &EquipmentDonation) -> Vec<Cell> {
        vec![
            cell(r.donated_on.clone()),
            cell(r.item.clone()),
            num(r.quantity),
            opt(&r.donor_name),
            opt(&r.institution_name),
            Cell {
                num: true,
                ..cell(money(r.value_fen))
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "item", true),
            number(c, "quantity", true).default("1"),
            Field::new(c, "value_yuan", "money", Json::Str),
            select(c, "donor_institution_id", false, c.institution_options()),
            text(c, "donor_name", false),
            date(c, "donated_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn insert(
        db: &Db,
        actor: &Actor,
        new: &NewEquipmentDonation,
    ) -> Result<String, StoreError> {
        store::create::<EquipmentDonations>(db, actor, new).await?;
        Ok(listed_at("/equipment-donations", &new.institution_id))
    }
}

// ---- one technique ----

/// A stage of the timeline with when it was reached.
pub struct Step {
    pub label: String,
    pub reached: Option<String>,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "technique.html")]
struct TechniquePage {
    c: Chrome,
    tabs: Vec<Tab>,
    d: TechniqueDetail,
    steps: Vec<Step>,
    can_write: bool,
    created: bool,
    warnings: Vec<Warning>,
    operators: Vec<(String, String)>,
    supervisors: Vec<(String, String)>,
    outcomes: Vec<(String, String)>,
    next_stages: Vec<(String, String)>,
    /// The form that failed ("case" or "stage") and why.
    failed: Option<(&'static str, FormErrors)>,
    values: FormData,
}

impl TechniquePage {
    fn t(&self) -> &Technique {
        &self.d.technique
    }

    fn err(&self, form: &str, field: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(f, _)| *f == form)
            .and_then(|(_, e)| e.at(field))
    }

    fn alert(&self, form: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, e)| e.summary())
    }

    fn value(&self, form: &str, field: &str, default: &str) -> String {
        if self.failed.as_ref().is_some_and(|(f, _)| *f == form) {
            self.values.get(field)
        } else {
            default.to_string()
        }
    }

    fn grade(&self) -> String {
        self.t()
            .surgical_grade
            .map(|g| grade_label(self.c.lang, g))
            .unwrap_or_default()
    }

    fn stage_class(&self) -> &'static str {
        stage_class(self.t().stage)
    }

    fn event_stage(&self, code: &str) -> String {
        TechniqueStage::parse(code)
            .map(|s| s.label(self.c.lang).to_string())
            .unwrap_or_default()
    }
}

/// When a stage was reached: the date given with the change (the note starts with it), else
/// the day it was recorded.
fn stage_date(c: &Chrome, e: &TechniqueEvent) -> String {
    let given = e
        .note
        .as_deref()
        .and_then(|n| n.get(..10))
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
    match given {
        Some(d) => d.to_string(),
        None => {
            let at = c.time(&e.at);
            at.get(..10).unwrap_or(&at).to_string()
        }
    }
}

#[derive(Deserialize, Default)]
struct TechniqueQuery {
    created: Option<String>,
    earlier: Option<String>,
}

async fn technique_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    q: &TechniqueQuery,
    failed: Option<(&'static str, FormErrors)>,
    values: FormData,
) -> Result<TechniquePage, ApiError> {
    let mut d = store::technique_detail(&state.db, id).await?;
    let scope = Scope::load(state).await?;
    scope.may_read(viewer, &d.technique)?;
    let can_write = scope.may_write(viewer, &d.technique).is_ok();
    let c = Chrome::new(Some(viewer), NAV, format!("/techniques/{id}"));
    let t = &d.technique;
    let steps = TechniqueStage::ALL
        .iter()
        .map(|s| Step {
            label: s.label(c.lang).to_string(),
            reached: if *s == TechniqueStage::Introduced {
                Some(t.introduced_on.clone())
            } else {
                d.timeline
                    .iter()
                    .find(|e| e.to_state == s.code() && e.from_state != e.to_state)
                    .map(|e| stage_date(&c, e))
            },
            current: *s == t.stage,
        })
        .collect();
    // The earlier records a "first in the region" claim ran into, named on the page.
    let mut earlier = Vec::new();
    for e in given(&q.earlier).unwrap_or_default().split(',') {
        if let Some(eid) = shanhai_domain::ids::parse_id(e)
            && let Ok(other) = store::get::<Techniques>(&state.db, &eid).await
        {
            earlier.push(EarlierTechnique {
                technique_id: other.id.clone(),
                institution_name: other.institution_name.clone().unwrap_or_default(),
                introduced_on: other.introduced_on.clone(),
            });
        }
    }
    // The record's creation is the introduction, shown from `introduced_on`; the timeline
    // lists the stage changes.
    d.timeline.retain(|e| e.from_state != e.to_state);
    let (mut operators, mut supervisors) = (Vec::new(), Vec::new());
    if can_write {
        let inst = institutions::get(&state.db, &t.institution_id).await?;
        let ctx = FormCtx::load(state, inst, Vec::new()).await?;
        operators = ctx.local_options();
        operators.extend(ctx.expert_options());
        supervisors = ctx.expert_options();
        supervisors.extend(ctx.local_options());
    }
    let next_stages = TechniqueStage::ALL
        .iter()
        .filter(|s| t.stage.may_move_to(**s, i64::MAX).is_ok())
        .map(|s| (s.code().to_string(), s.label(c.lang).to_string()))
        .collect();
    Ok(TechniquePage {
        tabs: tabs(&c, "techniques"),
        steps,
        can_write,
        created: given(&q.created).is_some(),
        warnings: gap_warnings(&earlier),
        operators,
        supervisors,
        outcomes: options_of!(CaseOutcome, c.lang),
        next_stages,
        failed,
        values,
        d,
        c,
    })
}

async fn technique_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Query(q): Query<TechniqueQuery>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => technique_data(&state, &viewer, &id, &q, None, FormData::parse(b"")).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(mut page) => {
            page.c.here = here(&uri);
            render(&page)
        }
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// A POST on a record's page: checks the CSRF token and the viewer's right to change the
/// record, runs `act`, and goes back to the page, or shows it again with the error.
async fn post_on_technique(
    state: &AppState,
    viewer: &Viewer,
    raw: &str,
    body: &Bytes,
    form_name: &'static str,
) -> Response {
    let form = FormData::parse(body);
    let back = format!("/techniques/{raw}");
    let Ok(id) = id_or_404(raw) else {
        return error_page(viewer, NAV, back, ApiError::not_found());
    };
    if !viewer.csrf_ok(&form.get("csrf")) {
        return csrf_refused(viewer, NAV, back);
    }
    let result: Result<(), ApiError> = async {
        let technique = store::get::<Techniques>(&state.db, &id).await?;
        Scope::load(state).await?.may_write(viewer, &technique)?;
        if form_name == "case" {
            let new = TechniqueCaseInput {
                performed_on: form.get("performed_on"),
                operator_id: form.get("operator_id"),
                supervisor_id: form.opt("supervisor_id"),
                outcome: form.get("outcome"),
                note: form.opt("note"),
            }
            .parse()?;
            store::record_case(&state.db, &viewer.actor(), &id, &new).await?;
        } else {
            let (stage, on, note) = StageInput {
                stage: form.get("stage"),
                on: form.opt("on"),
                note: form.opt("note"),
            }
            .parse()?;
            let note = match (on, note) {
                (Some(on), Some(note)) => Some(format!("{on} {note}")),
                (Some(on), None) => Some(on.to_string()),
                (None, note) => note,
            };
            store::change_stage(&state.db, &viewer.actor(), &id, stage, note).await?;
        }
        Ok(())
    }
    .await;
    let Err(e) = result else {
        return Redirect::to(&format!("{back}#{form_name}")).into_response();
    };
    let query = TechniqueQuery::default();
    form_failed(
        viewer,
        NAV,
        back,
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        |error| technique_data(state, viewer, &id, &query, Some((form_name, error)), form),
    )
    .await
}

async fn technique_case(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    post_on_technique(&state, &viewer, &raw, &body, "case").await
}

async fn technique_stage(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    post_on_technique(&state, &viewer, &raw, &body, "stage").await
}

// ---- one mentorship ----

#[derive(Template)]
#[template(path = "mentorship.html")]
struct MentorshipPage {
    c: Chrome,
    tabs: Vec<Tab>,
    d: MentorshipDetail,
    settings: CapacitySettings,
    can_write: bool,
    can_note: bool,
    candidates: Vec<(String, String)>,
    failed: Option<(&'static str, FormErrors)>,
    values: FormData,
}

impl MentorshipPage {
    fn m(&self) -> &Mentorship {
        &self.d.mentorship
    }

    fn err(&self, form: &str, field: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(f, _)| *f == form)
            .and_then(|(_, e)| e.at(field))
    }

    fn alert(&self, form: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, e)| e.summary())
    }

    fn value(&self, form: &str, field: &str, default: &str) -> String {
        if self.failed.as_ref().is_some_and(|(f, _)| *f == form) {
            self.values.get(field)
        } else {
            default.to_string()
        }
    }
}

async fn mentorship_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    failed: Option<(&'static str, FormErrors)>,
    values: FormData,
) -> Result<MentorshipPage, ApiError> {
    let d = store::mentorship_detail(&state.db, id).await?;
    let scope = Scope::load(state).await?;
    scope.may_read(viewer, &d.mentorship)?;
    let can_write = scope.may_write(viewer, &d.mentorship).is_ok();
    let is_mentor = viewer.user.person_id.as_deref() == Some(d.mentorship.mentor_id.as_str());
    let settings = match &d.mentorship.program_id {
        Some(p) => store::get_settings(&state.db, p).await?,
        None => CapacitySettings {
            program_id: String::new(),
            max_apprentices: MentorshipSettings::default().max_apprentices,
            term_months: MentorshipSettings::default().term_months,
            customised: false,
        },
    };
    let c = Chrome::new(Some(viewer), NAV, format!("/mentorships/{id}"));
    let candidates = if can_write {
        let lang = c.lang;
        people_at(&state.db, &d.mentorship.institution_id)
            .await?
            .into_iter()
            .filter(|p| !d.apprentices.iter().any(|a| a.person_id == p.id))
            .map(|p| {
                let mut s = format!("{} · {}", p.name, p.title.label(lang));
                if let Some(dn) = &p.department_name {
                    s.push_str(" · ");
                    s.push_str(dn);
                }
                (p.id, s)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(MentorshipPage {
        tabs: tabs(&c, "mentorships"),
        settings,
        can_write,
        can_note: can_write || is_mentor,
        candidates,
        failed,
        values,
        d,
        c,
    })
}

async fn mentorship_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => mentorship_data(&state, &viewer, &id, None, FormData::parse(b"")).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(mut page) => {
            page.c.here = here(&uri);
            render(&page)
        }
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn post_on_mentorship(
    state: &AppState,
    viewer: &Viewer,
    raw: &str,
    body: &Bytes,
    form_name: &'static str,
) -> Response {
    let form = FormData::parse(body);
    let back = format!("/mentorships/{raw}");
    let Ok(id) = id_or_404(raw) else {
        return error_page(viewer, NAV, back, ApiError::not_found());
    };
    if !viewer.csrf_ok(&form.get("csrf")) {
        return csrf_refused(viewer, NAV, back);
    }
    let result: Result<(), ApiError> = async {
        let m = store::get::<Mentorships>(&state.db, &id).await?;
        let is_mentor = viewer.user.person_id.as_deref() == Some(m.mentor_id.as_str());
        if form_name == "apprentice" {
            Scope::load(state).await?.may_write(viewer, &m)?;
            let new = ApprenticeInput {
                person_id: form.get("person_id"),
                joined_on: form.opt("joined_on"),
            }
            .parse()?;
            store::add_apprentice(&state.db, &viewer.actor(), &id, &new).await?;
        } else {
            if !is_mentor {
                Scope::load(state).await?.may_write(viewer, &m)?;
            }
            let (on, note) = NoteInput {
                written_on: form.get("written_on"),
                note: form.get("note"),
            }
            .parse()?;
            store::add_note(&state.db, &viewer.actor(), &id, on, &note).await?;
        }
        Ok(())
    }
    .await;
    let Err(e) = result else {
        return Redirect::to(&format!("{back}#{form_name}")).into_response();
    };
    form_failed(
        viewer,
        NAV,
        back,
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        |error| mentorship_data(state, viewer, &id, Some((form_name, error)), form),
    )
    .await
}

async fn mentorship_apprentice(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    post_on_mentorship(&state, &viewer, &raw, &body, "apprentice").await
}

async fn mentorship_note(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    post_on_mentorship(&state, &viewer, &raw, &body, "note").await
}

// ---- one alliance ----

#[derive(Template)]
#[template(path = "alliance.html")]
struct AlliancePage {
    c: Chrome,
    tabs: Vec<Tab>,
    d: AllianceDetail,
    can_write: bool,
    candidates: Vec<(String, String)>,
    error: Option<FormErrors>,
    values: FormData,
}

impl AlliancePage {
    fn err(&self, field: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(field))
    }
}

async fn alliance_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    error: Option<FormErrors>,
    values: FormData,
) -> Result<AlliancePage, ApiError> {
    let d = store::alliance_detail(&state.db, id).await?;
    let scope = Scope::load(state).await?;
    scope.may_read(viewer, &d.alliance)?;
    let can_write = scope.may_write(viewer, &d.alliance).is_ok();
    let candidates = scope
        .institutions
        .iter()
        .filter(|i| i.id != d.alliance.institution_id)
        .filter(|i| !d.members.iter().any(|m| m.institution_id == i.id))
        .map(|i| (i.id.clone(), i.name.clone()))
        .collect();
    let c = Chrome::new(Some(viewer), NAV, format!("/alliances/{id}"));
    Ok(AlliancePage {
        tabs: tabs(&c, "specialty"),
        d,
        can_write,
        candidates,
        error,
        values,
        c,
    })
}

async fn alliance_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => alliance_data(&state, &viewer, &id, None, FormData::parse(b"")).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn alliance_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    let back = format!("/alliances/{raw}");
    let Ok(id) = id_or_404(&raw) else {
        return error_page(&viewer, NAV, back, ApiError::not_found());
    };
    if !viewer.csrf_ok(&form.get("csrf")) {
        return csrf_refused(&viewer, NAV, back);
    }
    let result: Result<(), ApiError> = async {
        let a = store::get::<Alliances>(&state.db, &id).await?;
        Scope::load(&state).await?.may_write(&viewer, &a)?;
        let (member, joined) = AllianceMemberInput {
            institution_id: form.get("institution_id"),
            joined_on: form.get("joined_on"),
        }
        .parse()?;
        store::add_member(&state.db, &viewer.actor(), &id, &member, joined).await?;
        Ok(())
    }
    .await;
    let Err(e) = result else {
        return Redirect::to(&back).into_response();
    };
    form_failed(
        &viewer,
        NAV,
        back,
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        |error| alliance_data(&state, &viewer, &id, Some(error), form),
    )
    .await
}

// ---- the institution page's "what was built here" ----

/// The institution page's section, when the viewer may read the institution's data.
pub struct Built {
    pub s: CapacitySummary,
    pub stages: Vec<(String, i64, &'static str)>,
    pub gaps: Vec<(String, i64)>,
    pub funding: String,
    pub equipment: String,
}

pub(super) async fn built_here(state: &AppState, viewer: &Viewer, id: &str) -> Option<Built> {
    let facts = AccessFacts::load(&state.db).await.ok()?;
    if !facts.access(&viewer.principal, id).can_read() {
        return None;
    }
    let s = store::summary(&state.db, id).await.ok()?;
    let lang = crate::i18n::current();
    let count = |list: &[CodeCount], code: &str| {
        list.iter()
            .find(|c| c.code == code)
            .map(|c| c.count)
            .unwrap_or(0)
    };
    let stages = TechniqueStage::ALL
        .iter()
        .map(|st| {
            (
                st.label(lang).to_string(),
                count(&s.techniques_by_stage, st.code()),
                st.code(),
            )
        })
        .collect();
    let gaps = GapLevel::ALL
        .iter()
        .map(|g| {
            (
                g.label(lang).to_string(),
                count(&s.techniques_by_gap, g.code()),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    Some(Built {
        stages,
        gaps,
        funding: money(s.funding.amount_fen),
        equipment: money(s.equipment.amount_fen),
        s,
    })
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_has_thousands_separators_and_exact_fen() {
        assert_eq!(money(8_300_000_000), "¥83,000,000.00");
        assert_eq!(money(0), "¥0.00");
        assert_eq!(money(123_456), "¥1,234.56");
        assert_eq!(money(99_999), "¥999.99");
        assert_eq!(money(-100_000), "-¥1,000.00");
    }
}
