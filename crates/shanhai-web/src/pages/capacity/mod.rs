//! Capacity building pages (C6–C9): technology transfer (a technique's timeline from
//! introduction to independence, its case log), mentorships (a mentor's apprentices and notes),
//! teaching, placements, specialty building and resources, one module per record kind. Every
//! list, form and detail page asks `shanhai_service::capacity`, which applies the domain's access
//! policy exactly as for the JSON API; what is shared (tabs, cells, fields, the generic list,
//! form and create of a [`Section`]) is here.

mod accreditation;
mod alliances;
mod equipment;
mod funding;
mod mentorships;
mod placements;
mod regulations;
mod research;
mod specialty_projects;
mod teaching;
mod team_pairings;
mod techniques;
mod training;
mod training_kpis;
mod workstations;

use super::dispatch::{given, here, page_no};
use super::pick::Pick;
use super::{
    Chrome, Form, FormData, FormErrors, Pager, Viewer, error_page, form_failed, id_or_404, render,
};
use crate::AppState;
use crate::api::capacity::gap_warnings;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shanhai_domain::Lang;
use shanhai_domain::capacity::*;
use shanhai_domain::registry::{Department, Institution, Pairing, Person, Program};
use shanhai_service::capacity::{self as service, CapacityFilter, Choices};
use shanhai_service::{Acting, ServiceResult};
use shanhai_store::capacity::*;
use shanhai_store::{Db, Page, PageRequest};
use std::future::Future;

const NAV: &str = "capacity";
const PER_PAGE: i64 = 20;
/// The failures of a form posted on a capacity page shown on an error page rather than beside
/// the form.
const REFUSED: &[StatusCode] = &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];

pub fn router() -> Router<AppState> {
    let r = Router::new()
        .route("/capacity", get(|| async { Redirect::to("/techniques") }))
        .route("/techniques/{id}", get(techniques::technique_page))
        .route("/techniques/{id}/cases", post(techniques::technique_case))
        .route("/techniques/{id}/stage", post(techniques::technique_stage))
        .route("/mentorships/{id}", get(mentorships::mentorship_page))
        .route(
            "/mentorships/{id}/apprentices",
            post(mentorships::mentorship_apprentice),
        )
        .route(
            "/mentorships/{id}/notes",
            post(mentorships::mentorship_note),
        )
        .route("/alliances/{id}", get(alliances::alliance_page))
        .route("/alliances/{id}/members", post(alliances::alliance_member));
    let r = section::<techniques::TechniquesS>(r);
    let r = section::<mentorships::MentorshipsS>(r);
    let r = section::<team_pairings::TeamPairingsS>(r);
    let r = section::<teaching::TeachingS>(r);
    let r = section::<training_kpis::KpisS>(r);
    let r = section::<placements::PlacementsS>(r);
    let r = section::<workstations::WorkstationsS>(r);
    let r = section::<alliances::AlliancesS>(r);
    let r = section::<specialty_projects::ProjectsS>(r);
    let r = section::<regulations::RegulationsS>(r);
    let r = section::<research::ResearchS>(r);
    let r = section::<accreditation::GoalsS>(r);
    let r = section::<training::SchemesS>(r);
    let r = section::<training::MembersS>(r);
    let r = section::<training::SeriesS>(r);
    let r = section::<training::CmeS>(r);
    let r = section::<training::ChangesS>(r);
    let r = section::<training::ReturnsS>(r);
    let r = section::<funding::FundingS>(r);
    section::<equipment::EquipmentS>(r)
}

fn section<S: Section>(r: Router<AppState>) -> Router<AppState> {
    r.route(S::PATH, get(list_page::<S>).post(create_page::<S>))
        .route(&format!("{}/new", S::PATH), get(form_page::<S>))
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
const TABS: [(&str, &str, &str); 7] = [
    ("techniques", "/techniques", "ui.cap_techniques"),
    ("mentorships", "/mentorships", "ui.cap_mentorships"),
    ("teaching", "/teaching-activities", "ui.cap_teaching"),
    ("placements", "/placements", "ui.cap_placements"),
    ("outreach", "/outreach-events", "ui.outreach_events"),
    ("specialty", "/workstations", "ui.cap_specialty"),
    ("resources", "/funding-items", "ui.cap_resources"),
];

/// Second-level tabs inside a group: (group, path, label key).
const SUBTABS: [(&str, &str, &str); 19] = [
    ("techniques", "/techniques", "ui.cap_techniques"),
    ("mentorships", "/mentorships", "ui.cap_mentorships"),
    ("mentorships", "/team-pairings", "ui.cap_team_pairings"),
    ("teaching", "/teaching-activities", "ui.cap_teaching"),
    ("teaching", "/training-kpis", "ui.cap_kpis"),
    ("teaching", "/lecture-series", "ui.cap_series"),
    ("teaching", "/training-schemes", "ui.cap_schemes"),
    ("teaching", "/cme-enrolments", "ui.cap_cme"),
    ("placements", "/placements", "ui.cap_placements"),
    ("specialty", "/workstations", "ui.cap_workstations"),
    ("specialty", "/alliances", "ui.cap_alliances"),
    ("specialty", "/specialty-projects", "ui.cap_projects"),
    ("specialty", "/regulations", "ui.cap_regulations"),
    ("specialty", "/research-outputs", "ui.cap_research"),
    ("specialty", "/accreditation-goals", "ui.cap_goals"),
    (
        "specialty",
        "/department-changes",
        "ui.cap_department_changes",
    ),
    ("specialty", "/patient-returns", "ui.cap_patient_returns"),
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

/// The capacity area's tabs with `group` active (pages outside this module).
pub(super) fn tabs_for(c: &Chrome, group: &str) -> Vec<Tab> {
    tabs(c, group)
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
    /// A `pick` field's choices without scripts, where it looks as one types, and the other
    /// fields it follows (see templates/picker.html).
    pub picks: Vec<Pick>,
    pub source: String,
    pub with: &'static str,
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
            picks: Vec::new(),
            source: String::new(),
            with: "",
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
/// A type-ahead picker (people, institutions, departments): `picks` without scripts, else
/// what `source` finds as one types, following the fields `with` names.
fn pick(
    c: &FormCtx,
    name: &'static str,
    required: bool,
    (picks, source): (Vec<Pick>, String),
    with: &'static str,
) -> Field {
    let mut f = Field::new(
        c,
        name,
        "pick",
        if required { Json::Str } else { Json::OptStr },
    );
    f.picks = picks;
    f.source = source;
    f.with = with;
    f
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

/// A code enum's codes and labels, for a select or a filter.
macro_rules! options_of {
    ($t:ty, $lang:expr) => {
        codes(<$t>::ALL, |x| x.code(), |x, l| x.label(l), $lang)
    };
}

use options_of;

/// What a form offers to choose from, for one local institution.
pub struct FormCtx {
    lang: Lang,
    today: String,
    /// The local institution the record is for.
    institution_id: String,
    programs: Vec<Program>,
    departments: Vec<Department>,
    locals: Vec<Person>,
    experts: Vec<Person>,
    pairings: Vec<Pairing>,
    institutions: Vec<Institution>,
    /// Lecture series, training schemes and placements, for the training forms.
    training: training::TrainingChoices,
}

impl FormCtx {
    fn t(&self, key: &str) -> String {
        crate::i18n::t(self.lang, key)
    }

    /// The choices for a record at `institution_id`; `everyone` for the fields that name another
    /// institution (a donor, a host).
    fn new(choices: Choices, institution_id: &str, everyone: Vec<Institution>) -> FormCtx {
        FormCtx {
            lang: crate::i18n::current(),
            today: shanhai_store::today().to_string(),
            institution_id: institution_id.to_string(),
            programs: choices.programs,
            departments: choices.departments,
            locals: choices.locals,
            experts: choices.experts,
            pairings: choices.pairings,
            institutions: everyone,
            training: Default::default(),
        }
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

    fn as_picks(options: Vec<(String, String)>) -> Vec<Pick> {
        options
            .into_iter()
            .map(|(id, label)| Pick {
                id,
                label,
                specialty: None,
            })
            .collect()
    }

    /// The local institution's departments, each with its specialty for the experts' picker.
    fn department_picks(&self) -> (Vec<Pick>, String) {
        let picks = self
            .departments
            .iter()
            .map(|d| Pick {
                id: d.id.clone(),
                label: d.name.clone(),
                specialty: Some(d.specialty_code.clone()),
            })
            .collect();
        (
            picks,
            format!("/pick/departments?institution={}", self.institution_id),
        )
    }

    /// The local institution's staff.
    fn local_picks(&self) -> (Vec<Pick>, String) {
        (
            Self::as_picks(self.local_options()),
            format!("/pick/people?institution={}", self.institution_id),
        )
    }

    /// The experts of the donors paired with the local institution (`role`: `doctor`,
    /// `clinical`).
    fn expert_picks(&self, role: &str) -> (Vec<Pick>, String) {
        (
            Self::as_picks(self.expert_options()),
            format!("/pick/people?donors_of={}&role={role}", self.institution_id),
        )
    }

    /// The experts and the local staff.
    fn host_picks(&self) -> (Vec<Pick>, String) {
        let mut all = self.expert_options();
        all.extend(self.local_options());
        (
            Self::as_picks(all),
            format!("/pick/people?around={}&role=clinical", self.institution_id),
        )
    }

    /// Hospitals other than the local one.
    fn hospital_picks(&self) -> (Vec<Pick>, String) {
        (
            Self::as_picks(self.institution_options()),
            "/pick/institutions?kind=hospital".to_string(),
        )
    }

    fn institution_options(&self) -> Vec<(String, String)> {
        self.institutions
            .iter()
            .filter(|i| i.id != self.institution_id)
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

type Rec<S> = <S as Section>::R;

/// A collection's list, form and creation as the pages show them.
trait Section: Send + Sync + 'static {
    type R: Send + Sync;
    type T: Collection + shanhai_store::record::Table<Record = Self::R>;
    /// The input the form is read into (the API's JSON input).
    type I: DeserializeOwned + Send + Sync;
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
    /// Creates the record (one use case of the service); answers where to go next.
    fn create<'a>(
        db: &'a Db,
        who: &'a Acting,
        input: &'a Self::I,
    ) -> impl Future<Output = ServiceResult<String>> + Send + 'a;
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
    let db = &state.db;
    let who = viewer.acting();
    let scope = service::scope(db, &who).await?;
    let filter = CapacityFilter {
        program: given(&q.program),
        institution: given(&q.institution),
        kind: given(&q.kind),
        q: given(&q.q),
        ..Default::default()
    };
    let page = PageRequest::new(page_no(&q.page), Some(PER_PAGE));
    let items: Page<Rec<S>> = service::list::<S::T>(db, &who, &filter, page).await?;
    let totals = match S::PATH {
        "/funding-items" => Some(service::funding::totals(db, &who, &filter).await?),
        "/equipment-donations" => Some(service::equipment::totals(db, &who, &filter).await?),
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
    Ok(ListPage {
        tabs: tabs(&c, S::GROUP),
        subtabs: subtabs(&c, S::GROUP, S::PATH),
        title: c.t(S::TITLE),
        intro: c.t(S::INTRO),
        path: S::PATH,
        new_label: c.t(S::NEW),
        can_create: !scope.writable.is_empty(),
        programs: service::programs(db).await?,
        institutions: scope.readable,
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
    let scope = service::scope(&state.db, &viewer.acting()).await?;
    let writable = scope.writable;
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
        let choices = service::choices(&state.db, &inst.id).await?;
        let mut ctx = FormCtx::new(choices, &inst.id, scope.all);
        ctx.training = training::choices(&state.db, &viewer.acting(), &inst.id, S::PATH).await?;
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

/// The submitted fields read into the input the API takes. A field left empty is left out, so
/// that the input's default applies (an optional field is absent, a count is 0).
fn read_input<I: DeserializeOwned>(
    fields: &[Field],
    form: &FormData,
    institution: &str,
) -> Result<I, ApiError> {
    let mut obj = serde_json::Map::new();
    obj.insert("institution_id".into(), institution.into());
    for f in fields {
        let raw = form.get(f.name);
        let raw = raw.trim();
        let value = match f.json {
            Json::Str => serde_json::Value::from(raw),
            Json::Bool => serde_json::Value::from(!raw.is_empty()),
            Json::Int if raw.is_empty() => {
                return Err(shanhai_domain::Invalid::new(f.name, "error.required").into());
            }
            Json::OptStr | Json::OptInt if raw.is_empty() => continue,
            Json::OptStr => serde_json::Value::from(raw),
            Json::Int | Json::OptInt => match raw.parse::<i64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => {
                    return Err(shanhai_domain::Invalid::new(f.name, "error.out_of_range").into());
                }
            },
        };
        obj.insert(f.name.into(), value);
    }
    serde_json::from_value(serde_json::Value::Object(obj))
        .map_err(|_| ApiError::bad_request("error.bad_body"))
}

/// Records something from a section's form: back to the list (or the new record's page), or
/// the form again with every problem beside its field.
async fn create_page<S: Section>(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data }: Form,
) -> Response {
    let institution = data.get("institution_id");
    let result: Result<String, ApiError> = async {
        let form = form_data::<S>(&state, &viewer, Some(institution.clone()), None, None).await?;
        let input: S::I = read_input(&form.fields, &data, &institution)?;
        Ok(S::create(&state.db, &viewer.acting(), &input).await?)
    }
    .await;
    let e = match result {
        Ok(next) => return Redirect::to(&next).into_response(),
        Err(e) => e,
    };
    form_failed(&viewer, NAV, here(&uri), e, REFUSED, |error| {
        form_data::<S>(&state, &viewer, Some(institution), Some(&data), Some(error))
    })
    .await
}

fn listed_at(path: &str, institution: &str) -> String {
    format!("{path}?institution={institution}")
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
    let s = service::summary(&state.db, &viewer.acting(), id)
        .await
        .ok()?;
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
