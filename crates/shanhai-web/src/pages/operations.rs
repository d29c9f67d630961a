//! The operations log's pages (手术): the list with its filters (cards, on the desk and the
//! phone), the count and the demonstration share of what it lists; the form to log an operation
//! (`/operations/new`) and to change or delete one (`/operations/{id}`). Every page asks
//! `shanhai_service::operations`, as the JSON API does; people are chosen with the type-ahead
//! picker and shown by name, title and institution.

use super::dispatch::{given, here, page_no};
use super::pick::Pick;
use super::{
    Chrome, Form, FormData, FormErrors, Pager, Viewer, error_page, form_failed, id_or_404, render,
};

/// A form's values as shown again (posted, or read from the record).
#[derive(Debug, Clone, Default)]
pub struct Values(Vec<(String, String)>);

impl Values {
    fn of(form: &FormData) -> Values {
        Values(form.pairs().to_vec())
    }
    fn set(&mut self, key: &str, value: &str) {
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_string(), value.to_string()));
    }
    fn push(&mut self, key: &str, value: &str) {
        self.0.push((key.to_string(), value.to_string()));
    }
    pub fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    pub fn is(&self, key: &str, value: &str) -> bool {
        self.get(key) == value
    }
    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::codes::Title;
use shanhai_domain::operations::{
    ExpertRole, Operation, OperationInput, OperationOutcome, grade_label,
};
use shanhai_domain::registry::{Institution, Program};
use shanhai_service::capacity as cap;
use shanhai_service::operations as service;
use shanhai_store::PageRequest;
use shanhai_store::operations::OperationFilter;

const NAV: &str = "operations";
const PER_PAGE: i64 = 20;
const REFUSED: &[StatusCode] = &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/operations", get(list_page).post(create_page))
        .route("/operations/new", get(new_page))
        .route("/operations/{id}", get(edit_page).post(update_page))
        .route("/operations/{id}/delete", post(delete_page))
}

/// An expert as people read them: name · title · institution.
pub fn expert_line(lang: Lang, o: &Operation) -> String {
    let mut parts = vec![o.expert_name.clone().unwrap_or_default()];
    if let Some(t) = o.expert_title.as_deref().and_then(Title::parse) {
        parts.push(t.label(lang).to_string());
    }
    if let Some(i) = &o.expert_institution_name {
        parts.push(i.clone());
    }
    parts.join(" · ")
}

fn operators_line(lang: Lang, o: &Operation) -> String {
    o.local_operators
        .iter()
        .map(|p| match Title::parse(&p.title) {
            Some(t) => format!("{} · {}", p.name, t.label(lang)),
            None => p.name.clone(),
        })
        .collect::<Vec<_>>()
        .join("、")
}

// ---- the list ----

#[derive(Deserialize, Default)]
struct ListQuery {
    program: Option<String>,
    institution: Option<String>,
    expert: Option<String>,
    technique: Option<String>,
    from: Option<String>,
    until: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

pub struct Card {
    pub id: String,
    pub date: String,
    pub procedure: String,
    pub code: String,
    pub grade: String,
    pub role: String,
    pub mi: bool,
    pub first: bool,
    pub technique: String,
    pub institution: String,
    pub expert: String,
    pub operators: String,
}

#[derive(Template)]
#[template(path = "operations.html")]
struct ListPage {
    c: Chrome,
    programs: Vec<Program>,
    institutions: Vec<Institution>,
    experts: Vec<Pick>,
    program: String,
    institution: String,
    expert: String,
    technique: String,
    from: String,
    until: String,
    q: String,
    can_create: bool,
    total: i64,
    /// The demonstrations among what is listed and their share (`57.5%`).
    demonstrations: i64,
    share: String,
    cards: Vec<Card>,
    pager: Pager,
}

impl ListPage {
    fn share_line(&self) -> String {
        self.c
            .t("ui.operations_share_line")
            .replace("{n}", &self.demonstrations.to_string())
            .replace("{share}", &self.share)
    }
}

fn card(lang: Lang, o: &Operation) -> Card {
    Card {
        id: o.id.clone(),
        date: o.performed_on.clone(),
        procedure: o.procedure_name.clone(),
        code: o.procedure_code.clone().unwrap_or_default(),
        grade: grade_label(lang, o.grade),
        role: o.expert_role.label(lang).to_string(),
        mi: o.minimally_invasive,
        first: o.first_of_technique,
        technique: o.technique_name.clone().unwrap_or_default(),
        institution: o.institution_name.clone().unwrap_or_default(),
        expert: expert_line(lang, o),
        operators: operators_line(lang, o),
    }
}

fn share(part: i64, all: i64) -> String {
    if all <= 0 {
        return "0%".into();
    }
    let permille = (part * 1000 + all / 2) / all;
    format!("{}.{}%", permille / 10, permille % 10)
}

async fn list_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    match list_data(&state, &viewer, q).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn list_data(state: &AppState, viewer: &Viewer, q: ListQuery) -> Result<ListPage, ApiError> {
    let db = &state.db;
    let who = viewer.acting();
    let scope = cap::scope(db, &who).await?;
    let filter = OperationFilter {
        program: given(&q.program),
        institution: given(&q.institution),
        expert: given(&q.expert),
        technique: given(&q.technique),
        from: given(&q.from),
        until: given(&q.until),
        q: given(&q.q),
        ..Default::default()
    };
    let page = PageRequest::new(page_no(&q.page), Some(PER_PAGE));
    let items = service::list(db, &who, &filter, page).await?;
    let demonstrations = service::list(
        db,
        &who,
        &OperationFilter {
            role: Some(ExpertRole::Demonstration.code().into()),
            ..filter.clone()
        },
        PageRequest::new(Some(1), Some(1)),
    )
    .await?
    .total;
    let c = Chrome::new(Some(viewer), NAV, "/operations".into());
    let pager = Pager::new(
        &items,
        "/operations",
        &[
            ("program", filter.program.as_deref()),
            ("institution", filter.institution.as_deref()),
            ("expert", filter.expert.as_deref()),
            ("technique", filter.technique.as_deref()),
            ("from", filter.from.as_deref()),
            ("until", filter.until.as_deref()),
            ("q", filter.q.as_deref()),
        ],
    );
    // The chosen expert, so that the picker shows them without scripts.
    let experts = match &filter.expert {
        Some(e) => items
            .items
            .iter()
            .find(|o| &o.expert_id == e)
            .map(|o| {
                vec![Pick {
                    id: e.clone(),
                    label: expert_line(c.lang, o),
                    specialty: None,
                }]
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(ListPage {
        programs: cap::programs(db).await?,
        institutions: scope.readable.clone(),
        experts,
        program: filter.program.clone().unwrap_or_default(),
        institution: filter.institution.clone().unwrap_or_default(),
        expert: filter.expert.clone().unwrap_or_default(),
        technique: filter.technique.clone().unwrap_or_default(),
        from: filter.from.clone().unwrap_or_default(),
        until: filter.until.clone().unwrap_or_default(),
        q: filter.q.clone().unwrap_or_default(),
        can_create: service::may_log_any(&who)
            && (!scope.writable.is_empty() || who.person_id.is_some()),
        total: items.total,
        demonstrations,
        share: share(demonstrations, items.total),
        cards: items.items.iter().map(|o| card(c.lang, o)).collect(),
        pager,
        c,
    })
}

// ---- the form ----

#[derive(Template)]
#[template(path = "operation_form.html")]
struct FormPage {
    c: Chrome,
    title: String,
    /// Where the form posts.
    action: String,
    /// Chosen: the form; not yet: the institution picker.
    institution: Option<Institution>,
    choices: Vec<Institution>,
    programs: Vec<(String, String)>,
    experts: Vec<Pick>,
    locals: Vec<Pick>,
    departments: Vec<Pick>,
    techniques: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    outcomes: Vec<(String, String)>,
    grades: Vec<(String, String)>,
    values: Values,
    expert_value: String,
    department_value: String,
    /// The local operators chosen, one picker each (and one more empty).
    operators: Vec<String>,
    error: Option<FormErrors>,
    /// Editing: the record's id, its 首例 mark and whether the viewer may change it.
    editing: Option<String>,
    first_case: bool,
    may_write: bool,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(field))
    }
    fn picks_source(&self, kind: &str) -> String {
        let inst = self
            .institution
            .as_ref()
            .map(|i| i.id.as_str())
            .unwrap_or("");
        match kind {
            "expert" => format!("/pick/people?donors_of={inst}&role=doctor"),
            "local" => format!("/pick/people?institution={inst}&role=doctor"),
            _ => format!("/pick/departments?institution={inst}"),
        }
    }
}

#[derive(Deserialize, Default)]
struct NewQuery {
    institution: Option<String>,
}

/// The institutions the viewer may log operations at: where they may write capacity records,
/// or for an expert, where they reach.
async fn writable_here(state: &AppState, viewer: &Viewer) -> Result<Vec<Institution>, ApiError> {
    let who = viewer.acting();
    if !service::may_log_any(&who) {
        return Err(ApiError::forbidden());
    }
    let scope = cap::scope(&state.db, &who).await?;
    let list = if who.principal.role == shanhai_domain::codes::Role::Expert {
        // An expert logs their own operations where they were dispatched.
        let there = service::dispatched_to(&state.db, who.person_id.as_deref()).await?;
        scope
            .all
            .into_iter()
            .filter(|i| there.contains(&i.id))
            .collect()
    } else {
        scope.writable
    };
    if list.is_empty() {
        return Err(ApiError::forbidden());
    }
    Ok(list)
}

fn person_pick(lang: Lang, p: &shanhai_domain::registry::Person, with_institution: bool) -> Pick {
    let mut label = format!("{} · {}", p.name, p.title.label(lang));
    if with_institution && let Some(i) = &p.institution_name {
        label.push_str(" · ");
        label.push_str(i);
    }
    Pick {
        id: p.id.clone(),
        label,
        specialty: None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_data(
    state: &AppState,
    viewer: &Viewer,
    chosen: Option<String>,
    values: Values,
    error: Option<FormErrors>,
    editing: Option<(String, bool, bool)>,
) -> Result<FormPage, ApiError> {
    let db = &state.db;
    let lang = crate::i18n::current();
    // Editing: the record's institution (the service decided who reads it).
    let choices = match &editing {
        Some(_) => cap::scope(db, &viewer.acting())
            .await?
            .all
            .into_iter()
            .filter(|i| chosen.as_deref() == Some(i.id.as_str()))
            .collect(),
        None => writable_here(state, viewer).await?,
    };
    let institution = match &chosen {
        Some(id) => Some(
            choices
                .iter()
                .find(|i| &i.id == id)
                .cloned()
                .ok_or_else(ApiError::forbidden)?,
        ),
        None if choices.len() == 1 => choices.first().cloned(),
        None => None,
    };
    let (mut programs, mut experts, mut locals, mut departments, mut techniques) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if let Some(inst) = &institution {
        let ch = cap::choices(db, &inst.id).await?;
        programs = ch
            .programs
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect();
        experts = ch
            .experts
            .iter()
            .map(|p| person_pick(lang, p, true))
            .collect();
        locals = ch
            .locals
            .iter()
            .map(|p| person_pick(lang, p, false))
            .collect();
        departments = ch
            .departments
            .iter()
            .map(|d| Pick {
                id: d.id.clone(),
                label: d.name.clone(),
                specialty: Some(d.specialty_code.clone()),
            })
            .collect();
        let list = cap::list::<shanhai_store::capacity::Techniques>(
            db,
            &viewer.acting(),
            &cap::CapacityFilter {
                institution: Some(inst.id.clone()),
                ..Default::default()
            },
            PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        techniques = list
            .items
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect();
    }
    let mut operators: Vec<String> = values
        .all("local_operator_ids")
        .into_iter()
        .filter(|v| !v.trim().is_empty())
        .collect();
    while operators.len() < 3 {
        operators.push(String::new());
    }
    let c = Chrome::new(Some(viewer), NAV, "/operations/new".into());
    let (title, action, editing_id, first_case, may_write) = match editing {
        Some((id, first, may)) => (
            c.t("ui.operations_edit"),
            format!("/operations/{id}"),
            Some(id),
            first,
            may,
        ),
        None => (
            c.t("ui.operations_new"),
            "/operations".into(),
            None,
            false,
            true,
        ),
    };
    Ok(FormPage {
        title,
        action,
        institution,
        choices,
        programs,
        experts,
        locals,
        departments,
        techniques,
        roles: ExpertRole::ALL
            .iter()
            .map(|r| (r.code().to_string(), r.label(lang).to_string()))
            .collect(),
        outcomes: OperationOutcome::ALL
            .iter()
            .map(|r| (r.code().to_string(), r.label(lang).to_string()))
            .collect(),
        grades: (1..=4)
            .map(|g| (g.to_string(), grade_label(lang, g)))
            .collect(),
        expert_value: values.get("expert_id"),
        department_value: values.get("department_id"),
        values,
        operators,
        error,
        editing: editing_id,
        first_case,
        may_write,
        c,
    })
}

async fn new_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewQuery>,
) -> Response {
    let mut values = Values::default();
    values.set("performed_on", &shanhai_store::today().to_string());
    values.set("outcome", "success");
    if let Some(p) = viewer.user.person_id.clone()
        && viewer.principal.role == shanhai_domain::codes::Role::Expert
    {
        values.set("expert_id", &p);
    }
    match form_data(&state, &viewer, given(&q.institution), values, None, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// The posted form read into the API's input.
fn read_input(form: &FormData) -> Result<OperationInput, ApiError> {
    let opt = |k: &str| {
        form.opt(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let grade = form.get("grade");
    Ok(OperationInput {
        program_id: opt("program_id"),
        institution_id: form.get("institution_id"),
        department_id: opt("department_id"),
        assignment_id: opt("assignment_id"),
        expert_id: form.get("expert_id"),
        performed_on: form.get("performed_on"),
        procedure_name: form.get("procedure_name"),
        procedure_code: opt("procedure_code"),
        // An empty or unreadable grade is out of range: said at the field with the others.
        grade: grade.trim().parse().unwrap_or(0),
        expert_role: form.get("expert_role"),
        minimally_invasive: form.opt("minimally_invasive").is_some(),
        technique_id: opt("technique_id"),
        outcome: form.get("outcome"),
        local_operator_ids: form
            .all("local_operator_ids")
            .into_iter()
            .filter(|v| !v.trim().is_empty())
            .collect(),
        note: opt("note"),
    })
}

async fn create_page(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data }: Form,
) -> Response {
    let institution = data.get("institution_id");
    let result: Result<Operation, ApiError> = async {
        writable_here(&state, &viewer).await?;
        let input = read_input(&data)?;
        Ok(service::create(&state.db, &viewer.acting(), &input).await?)
    }
    .await;
    let e = match result {
        Ok(o) => {
            return Redirect::to(&format!(
                "/operations?institution={}&saved=1",
                o.institution_id
            ))
            .into_response();
        }
        Err(e) => e,
    };
    form_failed(&viewer, NAV, here(&uri), e, REFUSED, |error| {
        form_data(
            &state,
            &viewer,
            Some(institution),
            Values::of(&data),
            Some(error),
            None,
        )
    })
    .await
}

fn values_of(o: &Operation) -> Values {
    let mut v = Values::default();
    v.set("institution_id", &o.institution_id);
    v.set("program_id", o.program_id.as_deref().unwrap_or(""));
    v.set("department_id", o.department_id.as_deref().unwrap_or(""));
    v.set("assignment_id", o.assignment_id.as_deref().unwrap_or(""));
    v.set("expert_id", &o.expert_id);
    v.set("performed_on", &o.performed_on);
    v.set("procedure_name", &o.procedure_name);
    v.set("procedure_code", o.procedure_code.as_deref().unwrap_or(""));
    v.set("grade", &o.grade.to_string());
    v.set("expert_role", o.expert_role.code());
    if o.minimally_invasive {
        v.set("minimally_invasive", "1");
    }
    v.set("technique_id", o.technique_id.as_deref().unwrap_or(""));
    v.set("outcome", o.outcome.code());
    v.set("note", o.note.as_deref().unwrap_or(""));
    for p in &o.local_operators {
        v.push("local_operator_ids", &p.id);
    }
    v
}

async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let id = id_or_404(&id)?;
        let (o, may_write) = service::shown(&state.db, &viewer.acting(), &id).await?;
        form_data(
            &state,
            &viewer,
            Some(o.institution_id.clone()),
            values_of(&o),
            None,
            Some((o.id.clone(), o.first_of_technique, may_write)),
        )
        .await
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn update_page(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(id): Path<String>,
    Form { viewer, data }: Form,
) -> Response {
    let institution = data.get("institution_id");
    let mut first = false;
    let result: Result<Operation, ApiError> = async {
        let id = id_or_404(&id)?;
        let (before, _) = service::shown(&state.db, &viewer.acting(), &id).await?;
        first = before.first_of_technique;
        let input = read_input(&data)?;
        Ok(service::update(&state.db, &viewer.acting(), &id, &input).await?)
    }
    .await;
    let e = match result {
        Ok(o) => return Redirect::to(&format!("/operations/{}?saved=1", o.id)).into_response(),
        Err(e) => e,
    };
    form_failed(&viewer, NAV, here(&uri), e, REFUSED, |error| {
        form_data(
            &state,
            &viewer,
            Some(institution),
            Values::of(&data),
            Some(error),
            Some((id.clone(), first, true)),
        )
    })
    .await
}

async fn delete_page(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(id): Path<String>,
    Form { viewer, data: _ }: Form,
) -> Response {
    let result: Result<(), ApiError> = async {
        let id = id_or_404(&id)?;
        Ok(service::delete(&state.db, &viewer.acting(), &id).await?)
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/operations?saved=1").into_response(),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}
