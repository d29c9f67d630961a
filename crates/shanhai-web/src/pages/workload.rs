//! Workload reports' pages (工作量): the list with its filters and the totals of the five counts
//! (`/workload-reports`), the form to file a report (`/workload-reports/new`) and to correct or
//! delete one (`/workload-reports/{id}`). Every page asks `shanhai_service::workload`, as the
//! JSON API does; experts are shown by name and title.

use super::dispatch::{batch_label, given, here, page_no, title_label};
use super::pick::Pick;
use super::{
    Chrome, Form, FormData, FormErrors, Pager, Viewer, error_page, form_failed, id_or_404, render,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::dispatch::Assignment;
use shanhai_domain::registry::{Institution, Program};
use shanhai_domain::workload::{WorkloadReport, WorkloadReportInput};
use shanhai_service::capacity as cap;
use shanhai_service::workload as service;
use shanhai_store::PageRequest;
use shanhai_store::workload::{self, WorkloadFilter, WorkloadTotals};

const NAV: &str = "dispatch";
const PER_PAGE: i64 = 20;
const REFUSED: &[StatusCode] = &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];
/// The five counts, in the order the pages show them.
const COUNTS: [&str; 5] = [
    "outpatients",
    "admissions",
    "operations",
    "rescues",
    "mdt_participations",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workload-reports", get(list_page).post(create_page))
        .route("/workload-reports/new", get(new_page))
        .route("/workload-reports/{id}", get(edit_page).post(update_page))
        .route("/workload-reports/{id}/delete", post(delete_page))
}

/// An expert as people read them: name · title.
fn expert_of(lang: Lang, name: Option<&str>, title: Option<&str>) -> String {
    let t = title_label(lang, title);
    let name = name.unwrap_or_default();
    if t.is_empty() {
        name.to_string()
    } else {
        format!("{name} · {t}")
    }
}

/// An assignment as the form's choice reads: "expert · title · start – end · institution" (the
/// dates before the institution, which a phone's narrow select may cut off).
fn assignment_label(lang: Lang, a: &Assignment) -> String {
    format!(
        "{} · {} – {} · {}",
        expert_of(lang, a.person_name.as_deref(), a.person_title.as_deref()),
        a.start_date,
        a.end_date,
        a.institution_name.clone().unwrap_or_default(),
    )
}

// ---- the list ----

#[derive(Deserialize, Default)]
struct ListQuery {
    program: Option<String>,
    institution: Option<String>,
    expert: Option<String>,
    assignment: Option<String>,
    from: Option<String>,
    until: Option<String>,
    page: Option<String>,
}

pub struct Row {
    pub id: String,
    pub expert: String,
    pub institution: String,
    pub batch: String,
    pub period: String,
    pub counts: [i64; 5],
}

#[derive(Template)]
#[template(path = "workload_reports.html")]
struct ListPage {
    c: Chrome,
    programs: Vec<Program>,
    institutions: Vec<Institution>,
    experts: Vec<Pick>,
    program: String,
    institution: String,
    expert: String,
    assignment: String,
    assignment_label: String,
    from: String,
    until: String,
    can_file: bool,
    totals: WorkloadTotals,
    rows: Vec<Row>,
    pager: Pager,
}

impl ListPage {
    fn count_label(&self, i: &usize) -> String {
        self.c.t(format!("field.{}", COUNTS[*i]))
    }
    /// The column head: short, the full label in its title.
    fn short_label(&self, i: &usize) -> String {
        self.c.t(format!("ui.workload_short.{}", COUNTS[*i]))
    }
    fn total_of(&self, i: &usize) -> String {
        let t = &self.totals;
        shanhai_domain::indicators::group_thousands(
            [
                t.outpatients,
                t.admissions,
                t.operations,
                t.rescues,
                t.mdt_participations,
            ][*i],
        )
    }
    fn reports_total(&self) -> String {
        shanhai_domain::indicators::group_thousands(self.totals.reports)
    }
    fn reports_text(&self) -> String {
        let key = if self.totals.reports == 1 {
            "ui.workload_reports_n.one"
        } else {
            "ui.workload_reports_n"
        };
        self.c.t(key).replace("{n}", &self.reports_total())
    }
    fn indices(&self) -> [usize; 5] {
        [0, 1, 2, 3, 4]
    }
}

fn row(lang: Lang, r: &WorkloadReport) -> Row {
    Row {
        id: r.id.clone(),
        expert: expert_of(lang, r.person_name.as_deref(), r.person_title.as_deref()),
        institution: r.institution_name.clone().unwrap_or_default(),
        batch: batch_label(lang, r.batch_number),
        period: format!("{} – {}", r.period_start, r.period_end),
        counts: [
            r.outpatients,
            r.admissions,
            r.operations,
            r.rescues,
            r.mdt_participations,
        ],
    }
}

async fn list_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    match list_data(&state, &viewer, q, here(&uri)).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn list_data(
    state: &AppState,
    viewer: &Viewer,
    q: ListQuery,
    at: String,
) -> Result<ListPage, ApiError> {
    let db = &state.db;
    let who = viewer.acting();
    let filter = WorkloadFilter {
        program: given(&q.program),
        institution: given(&q.institution),
        person: given(&q.expert),
        assignment: given(&q.assignment),
        from: given(&q.from),
        until: given(&q.until),
        ..Default::default()
    };
    let items = workload::list(
        db,
        &filter,
        PageRequest::new(page_no(&q.page), Some(PER_PAGE)),
    )
    .await?;
    let totals = workload::totals(db, &filter).await?;
    let c = Chrome::new(Some(viewer), NAV, at);
    // Narrowed to one assignment (from its page, or after filing): said, with a way out.
    let assignment_label = match &filter.assignment {
        Some(id) => match shanhai_store::dispatch::get_assignment(db, id).await {
            Ok(a) => assignment_label(c.lang, &a),
            Err(shanhai_store::StoreError::NotFound) => String::new(),
            Err(e) => return Err(e.into()),
        },
        None => String::new(),
    };
    let pager = Pager::new(
        &items,
        "/workload-reports",
        &[
            ("program", filter.program.as_deref()),
            ("institution", filter.institution.as_deref()),
            ("expert", filter.person.as_deref()),
            ("assignment", filter.assignment.as_deref()),
            ("from", filter.from.as_deref()),
            ("until", filter.until.as_deref()),
        ],
    );
    // The chosen expert, so that the picker shows them without scripts.
    let experts = match &filter.person {
        Some(e) => items
            .items
            .iter()
            .find(|r| &r.person_id == e)
            .map(|r| {
                vec![Pick {
                    id: e.clone(),
                    label: expert_of(c.lang, r.person_name.as_deref(), r.person_title.as_deref()),
                    specialty: None,
                }]
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let scope = cap::scope(db, &who).await?;
    Ok(ListPage {
        programs: cap::programs(db).await?,
        institutions: scope.readable,
        experts,
        program: filter.program.clone().unwrap_or_default(),
        institution: filter.institution.clone().unwrap_or_default(),
        expert: filter.person.clone().unwrap_or_default(),
        assignment: filter.assignment.clone().unwrap_or_default(),
        assignment_label,
        from: filter.from.clone().unwrap_or_default(),
        until: filter.until.clone().unwrap_or_default(),
        can_file: !matches!(who.principal.role, shanhai_domain::codes::Role::Clinician),
        totals,
        rows: items.items.iter().map(|r| row(c.lang, r)).collect(),
        pager,
        c,
    })
}

// ---- the form ----

#[derive(Template)]
#[template(path = "workload_form.html")]
struct FormPage {
    c: Chrome,
    title: String,
    action: String,
    /// The assignments to choose from: (id, label).
    assignments: Vec<(String, String)>,
    values: FormData,
    error: Option<FormErrors>,
    /// Editing: the report's id.
    editing: Option<String>,
    may_write: bool,
    /// `?delete=1`: the deletion asks to be confirmed.
    confirm_delete: bool,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(field))
    }
    fn counts(&self) -> [&'static str; 5] {
        COUNTS
    }
    fn label(&self, field: &str) -> String {
        self.c.t(format!("field.{field}"))
    }
}

/// The form's values from pairs.
fn values(pairs: &[(&str, String)]) -> FormData {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", super::urlencode(v)))
        .collect();
    FormData::parse(body.join("&").as_bytes())
}

/// Last calendar month, clipped to the assignment's dates when given.
fn last_month(a: Option<&Assignment>) -> (String, String) {
    let today = shanhai_store::today();
    let first_this = today.with_day(1).unwrap_or(today);
    let end = first_this - Duration::days(1);
    let start = end.with_day(1).unwrap_or(end);
    let (mut start, mut end) = (start, end);
    if let Some(a) = a {
        let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        if let (Some(s), Some(e)) = (parse(&a.start_date), parse(&a.end_date))
            && s <= end
            && e >= start
        {
            start = start.max(s);
            end = end.min(e);
        }
    }
    (start.to_string(), end.to_string())
}

async fn form_data(
    state: &AppState,
    viewer: &Viewer,
    values: FormData,
    error: Option<FormErrors>,
    editing: Option<(String, bool)>,
) -> Result<FormPage, ApiError> {
    let db = &state.db;
    let lang = crate::i18n::current();
    let who = viewer.acting();
    let may_write = editing.as_ref().is_none_or(|e| e.1);
    let mut list = if may_write {
        service::recordable(db, &who).await?
    } else {
        Vec::new()
    };
    // The chosen one (preselected, posted or the report's), when not among them.
    let chosen = values.get("assignment_id");
    if !chosen.is_empty()
        && !list.iter().any(|a| a.id == chosen)
        && let Ok(a) = shanhai_store::dispatch::get_assignment(db, &chosen).await
    {
        list.insert(0, a);
    }
    let c = Chrome::new(Some(viewer), NAV, "/workload-reports/new".into());
    let (title, action) = match &editing {
        Some((id, true)) => (c.t("ui.workload_edit"), format!("/workload-reports/{id}")),
        Some((id, false)) => (c.t("ui.workload_report"), format!("/workload-reports/{id}")),
        None => (c.t("ui.workload_new"), "/workload-reports".into()),
    };
    Ok(FormPage {
        title,
        action,
        assignments: list
            .iter()
            .map(|a| (a.id.clone(), assignment_label(lang, a)))
            .collect(),
        values,
        error,
        editing: editing.map(|e| e.0),
        may_write,
        confirm_delete: false,
        c,
    })
}

#[derive(Deserialize, Default)]
struct NewQuery {
    assignment: Option<String>,
}

async fn new_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewQuery>,
) -> Response {
    let result = async {
        let chosen = match given(&q.assignment) {
            Some(id) => {
                Some(shanhai_store::dispatch::get_assignment(&state.db, &id_or_404(&id)?).await?)
            }
            None => None,
        };
        let (start, end) = last_month(chosen.as_ref());
        let mut pairs = vec![("period_start", start), ("period_end", end)];
        if let Some(a) = &chosen {
            pairs.push(("assignment_id", a.id.clone()));
        }
        form_data(&state, &viewer, values(&pairs), None, None).await
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// A count as typed: empty is 0; unreadable is out of range, said at its field.
fn count(form: &FormData, key: &str) -> i64 {
    let v = form.get(key);
    let v = v.trim();
    if v.is_empty() {
        0
    } else {
        v.parse().unwrap_or(-1)
    }
}

/// The posted form read into the API's input.
fn read_input(form: &FormData) -> WorkloadReportInput {
    WorkloadReportInput {
        assignment_id: form.get("assignment_id").trim().to_string(),
        period_start: form.get("period_start").trim().to_string(),
        period_end: form.get("period_end").trim().to_string(),
        outpatients: count(form, "outpatients"),
        admissions: count(form, "admissions"),
        operations: count(form, "operations"),
        rescues: count(form, "rescues"),
        mdt_participations: count(form, "mdt_participations"),
        note: form
            .opt("note")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()),
    }
}

async fn create_page(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data }: Form,
) -> Response {
    let result = service::file(&state.db, &viewer.acting(), &read_input(&data)).await;
    let e: ApiError = match result {
        Ok(r) => {
            return Redirect::to(&format!("/workload-reports?assignment={}", r.assignment_id))
                .into_response();
        }
        Err(e) => e.into(),
    };
    form_failed(&viewer, NAV, here(&uri), e, REFUSED, |error| {
        form_data(&state, &viewer, data.clone(), Some(error), None)
    })
    .await
}

fn values_of(r: &WorkloadReport) -> FormData {
    values(&[
        ("assignment_id", r.assignment_id.clone()),
        ("period_start", r.period_start.clone()),
        ("period_end", r.period_end.clone()),
        ("outpatients", r.outpatients.to_string()),
        ("admissions", r.admissions.to_string()),
        ("operations", r.operations.to_string()),
        ("rescues", r.rescues.to_string()),
        ("mdt_participations", r.mdt_participations.to_string()),
        ("note", r.note.clone().unwrap_or_default()),
    ])
}

#[derive(Deserialize, Default)]
struct EditQuery {
    delete: Option<String>,
}

async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> Response {
    let result = async {
        let id = id_or_404(&id)?;
        let r = workload::get(&state.db, &id).await?;
        let may = service::may_change(&state.db, &viewer.acting(), &id)
            .await
            .is_ok();
        let mut page = form_data(&state, &viewer, values_of(&r), None, Some((r.id, may))).await?;
        page.confirm_delete = q.delete.is_some();
        Ok::<_, ApiError>(page)
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
    let result: Result<WorkloadReport, ApiError> = async {
        let id = id_or_404(&id)?;
        service::may_change(&state.db, &viewer.acting(), &id).await?;
        Ok(service::correct(&state.db, &viewer.acting(), &id, &read_input(&data)).await?)
    }
    .await;
    let e = match result {
        Ok(r) => {
            return Redirect::to(&format!("/workload-reports?assignment={}", r.assignment_id))
                .into_response();
        }
        Err(e) => e,
    };
    form_failed(&viewer, NAV, here(&uri), e, REFUSED, |error| {
        form_data(
            &state,
            &viewer,
            data.clone(),
            Some(error),
            Some((id.clone(), true)),
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
        Ok(service::remove(&state.db, &viewer.acting(), &id).await?)
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/workload-reports").into_response(),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}
