//! Planning dispatch in the browser: a batch's form (new and edit), a copy of a batch, an
//! assignment's form (mode, post, weekdays; the one-place-a-day rule shown at the field) and an
//! assignment's page (end it early, record leave). Every action is one service call.

use super::{all, batch_label, given, here, title_label};
use crate::AppState;
use crate::error::ApiError;
use crate::pages::form::{ErrorsAt, Form, FormErrors, error_page, form_failed, id_or_404};
use crate::pages::{Chrome, FormData, Viewer, render};
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::access::Reach;
use shanhai_domain::dispatch::{
    Assignment, AssignmentInput, AssignmentMode, Batch, BatchInput, CopyBatchInput,
    EndAssignmentInput, LeaveInput, Post, Scheme,
};
use shanhai_domain::registry::{Department, Pairing, Program};
use shanhai_service::dispatch as service;
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::dispatch::{self, AssignmentFilter, BatchFilter, LeaveDay};
use shanhai_store::pairings::{self, PairingFilter};
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::programs;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dispatch/batches/new", get(batch_new))
        .route("/dispatch/batches/create", post(batch_create))
        .route(
            "/dispatch/batches/{id}/edit",
            get(batch_edit).post(batch_update),
        )
        .route(
            "/dispatch/batches/{id}/copy",
            get(copy_form).post(copy_save),
        )
        .route("/dispatch/assignments/new", get(assignment_new))
        .route("/dispatch/assignments/create", post(assignment_create))
        .route(
            "/dispatch/assignments/{id}/edit",
            get(assignment_edit).post(assignment_update),
        )
        .route("/dispatch/assignments/{id}", get(assignment_page))
        .route("/dispatch/assignments/{id}/end", post(assignment_end))
        .route("/dispatch/assignments/{id}/leave", post(leave_record))
        .route(
            "/dispatch/assignments/{id}/leave/remove",
            post(leave_remove),
        )
        .route("/dispatch/schemes", get(schemes_page).post(scheme_create))
        .route("/dispatch/schemes/{id}", post(scheme_update))
}

const NAV: &str = "dispatch";

async fn program_of(state: &AppState, id: &str) -> Result<Program, ApiError> {
    Ok(programs::get(&state.db, id).await?)
}

async fn pairings_of(state: &AppState, program: &str) -> Result<Vec<Pairing>, ApiError> {
    Ok(pairings::list(
        &state.db,
        &PairingFilter {
            program: Some(program.to_string()),
            ..Default::default()
        },
        all(),
    )
    .await?
    .items)
}

// ---- a batch: new, edit ----

#[derive(Deserialize, Default)]
struct NewBatchQuery {
    program: Option<String>,
}

#[derive(Template)]
#[template(path = "dispatch_batch_form.html")]
struct BatchForm {
    c: Chrome,
    /// The batch edited (none: a new one).
    batch: Option<Batch>,
    program: Program,
    schemes: Vec<Scheme>,
    pairings: Vec<Pairing>,
    values: FormData,
    error: Option<FormErrors>,
}

impl BatchForm {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }
    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }
}

async fn batch_form(
    state: &AppState,
    viewer: &Viewer,
    program_id: &str,
    batch: Option<Batch>,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<BatchForm, ApiError> {
    let program = program_of(state, program_id).await?;
    let schemes = dispatch::list_schemes(&state.db, Some(&program.id), all())
        .await?
        .items;
    let pairings = pairings_of(state, &program.id).await?;
    Ok(BatchForm {
        c: Chrome::new(Some(viewer), NAV, "/dispatch/batches".into()),
        batch,
        program,
        schemes,
        pairings,
        values,
        error,
    })
}

async fn batch_new(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewBatchQuery>,
) -> Response {
    let Some(program) = given(&q.program).or_else(|| viewer.principal.program_id.clone()) else {
        return Redirect::to("/dispatch/batches").into_response();
    };
    if !super::may_plan_in(&state, &viewer, &program).await {
        return error_page(&viewer, NAV, here(&uri), ApiError::forbidden());
    }
    // A donor's coordinator plans for their own pairing.
    let own_pairing = match &viewer.principal.institution_id {
        Some(own) => pairings_of(&state, &program)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|p| p.donor_id == *own)
            .map(|p| p.id),
        None => None,
    };
    let existing = dispatch::list_batches(
        &state.db,
        &BatchFilter {
            program: Some(program.clone()),
            ..Default::default()
        },
        all(),
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default();
    let next = existing.iter().map(|b| b.number).max().unwrap_or(0) + 1;
    let start = shanhai_store::today() + chrono::Duration::days(14);
    let end = start
        .checked_add_months(chrono::Months::new(6))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start);
    let single = own_pairing
        .or_else(|| existing.first().and_then(|b| b.pairing_id.clone()))
        .unwrap_or_default();
    let defaults = format!("number={next}&start_date={start}&end_date={end}&pairing_id={single}");
    match batch_form(
        &state,
        &viewer,
        &program,
        None,
        FormData::parse(defaults.as_bytes()),
        None,
    )
    .await
    {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

fn batch_input(form: &FormData) -> BatchInput {
    BatchInput {
        program_id: form.get("program_id"),
        scheme_id: form.opt("scheme_id"),
        pairing_id: form.opt("pairing_id"),
        // Not a whole number: out of range, said beside the field with the other problems.
        number: form.get("number").trim().parse().unwrap_or(0),
        name: form.opt("name"),
        start_date: form.get("start_date"),
        end_date: form.get("end_date"),
    }
}

async fn batch_create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let input = batch_input(&form);
    let e = match service::create_batch(&state.db, &viewer.acting(), &input).await {
        Ok(b) => {
            return Redirect::to(&format!(
                "/dispatch?program={}&batch={}&saved=batch",
                b.program_id, b.id
            ))
            .into_response();
        }
        Err(e) => ApiError::from(e),
    };
    let program = input.program_id.clone();
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move { batch_form(st, vw, &program, None, form, Some(error)).await },
    )
    .await
}

fn batch_values(b: &Batch) -> FormData {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("program_id", &b.program_id)
        .append_pair("scheme_id", b.scheme_id.as_deref().unwrap_or(""))
        .append_pair("pairing_id", b.pairing_id.as_deref().unwrap_or(""))
        .append_pair("number", &b.number.to_string())
        .append_pair("name", b.name.as_deref().unwrap_or(""))
        .append_pair("start_date", &b.start_date)
        .append_pair("end_date", &b.end_date);
    FormData::parse(s.finish().as_bytes())
}

async fn batch_edit(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = async {
        let id = id_or_404(&raw)?;
        let b = dispatch::get_batch(&state.db, &id).await?;
        service::may_change_batch(&state.db, &viewer.acting(), &id).await?;
        let values = batch_values(&b);
        let program = b.program_id.clone();
        batch_form(&state, &viewer, &program, Some(b), values, None).await
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn batch_update(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let input = batch_input(&form);
    let e = match service::update_batch(&state.db, &viewer.acting(), &id, &input).await {
        Ok(b) => {
            return Redirect::to(&format!(
                "/dispatch?program={}&batch={}&saved=batch",
                b.program_id, b.id
            ))
            .into_response();
        }
        Err(e) => ApiError::from(e),
    };
    let before = dispatch::get_batch(&state.db, &id).await.ok();
    let program = before
        .as_ref()
        .map(|b| b.program_id.clone())
        .unwrap_or_default();
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move { batch_form(st, vw, &program, before, form, Some(error)).await },
    )
    .await
}

// ---- a copy of a batch ----

#[derive(Template)]
#[template(path = "dispatch_batch_copy.html")]
struct CopyForm {
    c: Chrome,
    batch: Batch,
    values: FormData,
    error: Option<FormErrors>,
}

impl CopyForm {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }
    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }
    fn batch_no(&self) -> String {
        batch_label(self.c.lang, Some(self.batch.number))
    }
}

async fn copy_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    values: Option<FormData>,
    error: Option<FormErrors>,
) -> Result<CopyForm, ApiError> {
    let batch = dispatch::get_batch(&state.db, id).await?;
    service::may_change_batch(&state.db, &viewer.acting(), id).await?;
    let values = match values {
        Some(v) => v,
        None => {
            let next = dispatch::list_batches(
                &state.db,
                &BatchFilter {
                    program: Some(batch.program_id.clone()),
                    ..Default::default()
                },
                all(),
            )
            .await?
            .items
            .iter()
            .map(|b| b.number)
            .max()
            .unwrap_or(batch.number)
                + 1;
            let start = super::parse_date(&batch.end_date)
                .map(|d| d + chrono::Duration::days(1))
                .unwrap_or_else(shanhai_store::today);
            FormData::parse(format!("number={next}&start_date={start}").as_bytes())
        }
    };
    Ok(CopyForm {
        c: Chrome::new(Some(viewer), NAV, format!("/dispatch/batches/{id}/copy")),
        batch,
        values,
        error,
    })
}

async fn copy_form(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let page = match id_or_404(&raw) {
        Ok(id) => copy_page(&state, &viewer, &id, None, None).await,
        Err(e) => Err(e),
    };
    match page {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn copy_save(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let input = CopyBatchInput {
        number: form.get("number").trim().parse().unwrap_or(0),
        name: form.opt("name"),
        start_date: form.get("start_date"),
    };
    let e = match service::copy_batch(&state.db, &viewer.acting(), &id, &input).await {
        Ok((b, _)) => {
            return Redirect::to(&format!(
                "/dispatch?program={}&batch={}&saved=copy",
                b.program_id, b.id
            ))
            .into_response();
        }
        Err(e) => ApiError::from(e),
    };
    let e = clash_at(e, "start_date");
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move { copy_page(st, vw, &id, Some(form), Some(error)).await },
    )
    .await
}

/// The one-place-a-day rule is the store's 409; on a form it belongs beside a field.
fn clash_at(mut e: ApiError, field: &str) -> ApiError {
    if e.key == "error.assignment_clash" || e.key == "error.batch_exists" {
        e.field = Some(field.to_string());
    }
    e
}

// ---- an assignment: new, edit ----

#[derive(Deserialize, Default)]
struct NewAssignmentQuery {
    batch: Option<String>,
}

struct PersonOption {
    id: String,
    label: String,
}

struct PersonGroup {
    label: String,
    people: Vec<PersonOption>,
}

struct DepartmentGroup {
    label: String,
    departments: Vec<Department>,
}

#[derive(Template)]
#[template(path = "dispatch_assignment_form.html")]
struct AssignmentForm {
    c: Chrome,
    assignment: Option<Assignment>,
    batch: Batch,
    people: Vec<PersonGroup>,
    recipients: Vec<(String, String)>,
    departments: Vec<DepartmentGroup>,
    modes: &'static [AssignmentMode],
    posts: &'static [Post],
    values: FormData,
    /// Where the person already is on those days, when the one-place-a-day rule refused.
    clashes: Vec<Assignment>,
    error: Option<FormErrors>,
}

impl AssignmentForm {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }
    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }
    fn batch_text(&self) -> String {
        let n = batch_label(self.c.lang, Some(self.batch.number));
        match &self.batch.name {
            Some(name) => format!("{n} · {name}"),
            None => n,
        }
    }
    fn weekday_checked(&self, d: &i64) -> bool {
        self.values
            .all("weekdays")
            .iter()
            .any(|v| v == &d.to_string())
    }
    fn weekday_name(&self, d: &i64) -> String {
        shanhai_domain::dispatch::Weekdays::parse(&[*d])
            .map(|w| w.label(self.c.lang))
            .unwrap_or_default()
    }
    fn days(&self) -> Vec<i64> {
        (1..=7).collect()
    }
}

async fn assignment_form(
    state: &AppState,
    viewer: &Viewer,
    batch_id: &str,
    assignment: Option<Assignment>,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<AssignmentForm, ApiError> {
    let lang = crate::i18n::current();
    let batch = dispatch::get_batch(&state.db, batch_id).await?;
    let pairings = pairings_of(state, &batch.program_id).await?;
    let used: Vec<&Pairing> = pairings
        .iter()
        .filter(|p| batch.pairing_id.as_deref().is_none_or(|id| id == p.id))
        .collect();
    let mut donors: Vec<(String, String)> = Vec::new();
    let mut recipients: Vec<(String, String)> = Vec::new();
    for p in &used {
        if !donors.iter().any(|(id, _)| *id == p.donor_id) {
            donors.push((p.donor_id.clone(), p.donor_name.clone().unwrap_or_default()));
        }
        if !recipients.iter().any(|(id, _)| *id == p.recipient_id) {
            recipients.push((
                p.recipient_id.clone(),
                p.recipient_name.clone().unwrap_or_default(),
            ));
        }
    }
    let mut groups = Vec::new();
    for (id, name) in &donors {
        let list = people::list(
            &state.db,
            &PersonFilter {
                institution: Some(id.clone()),
                ..Default::default()
            },
            &Reach::All,
            all(),
        )
        .await?;
        groups.push(PersonGroup {
            label: name.clone(),
            people: list
                .items
                .into_iter()
                .map(|p| PersonOption {
                    label: format!(
                        "{} · {}{}",
                        p.name,
                        p.title.label(lang),
                        p.department_name
                            .as_deref()
                            .map(|d| format!(" · {d}"))
                            .unwrap_or_default()
                    ),
                    id: p.id,
                })
                .collect(),
        });
    }
    // The person edited stays choosable even when they are no longer on the donor side.
    if let Some(a) = &assignment
        && !groups
            .iter()
            .any(|g| g.people.iter().any(|p| p.id == a.person_id))
    {
        groups.push(PersonGroup {
            label: a.home_institution_name.clone().unwrap_or_default(),
            people: vec![PersonOption {
                id: a.person_id.clone(),
                label: format!(
                    "{} · {}",
                    a.person_name.clone().unwrap_or_default(),
                    title_label(lang, a.person_title.as_deref())
                ),
            }],
        });
    }
    let mut departments = Vec::new();
    for (id, name) in &recipients {
        let list = departments::list(
            &state.db,
            &DepartmentFilter {
                institution: Some(id.clone()),
                ..Default::default()
            },
            all(),
        )
        .await?;
        departments.push(DepartmentGroup {
            label: name.clone(),
            departments: list.items,
        });
    }
    let clashes = if error
        .as_ref()
        .is_some_and(|e| e.at("person_id").is_some() && values.opt("person_id").is_some())
    {
        dispatch::all_assignments(
            &state.db,
            &AssignmentFilter {
                person: values.opt("person_id"),
                from: values.opt("start_date"),
                until: values.opt("end_date"),
                ..Default::default()
            },
            10,
        )
        .await?
        .into_iter()
        .filter(|a| assignment.as_ref().is_none_or(|me| me.id != a.id))
        .collect()
    } else {
        Vec::new()
    };
    Ok(AssignmentForm {
        c: Chrome::new(Some(viewer), NAV, "/dispatch".into()),
        assignment,
        batch,
        people: groups,
        recipients,
        departments,
        modes: AssignmentMode::ALL,
        posts: Post::ALL,
        values,
        clashes,
        error,
    })
}

fn assignment_input(form: &FormData) -> AssignmentInput {
    AssignmentInput {
        batch_id: form.get("batch_id"),
        person_id: form.get("person_id"),
        institution_id: form.get("institution_id"),
        department_id: form.opt("department_id"),
        mode: form.get("mode"),
        post: form.get("post"),
        weekdays: form
            .all("weekdays")
            .iter()
            .filter_map(|d| d.trim().parse().ok())
            .collect(),
        start_date: form.get("start_date"),
        end_date: form.get("end_date"),
    }
}

/// A refusal of the one-place-a-day rule is shown beside the person and the dates.
fn assignment_errors(e: ApiError) -> ApiError {
    clash_at(e, "person_id")
}

async fn assignment_new(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewAssignmentQuery>,
) -> Response {
    let Some(batch_id) = given(&q.batch) else {
        return Redirect::to("/dispatch/batches").into_response();
    };
    let result = async {
        let batch_id = id_or_404(&batch_id)?;
        service::may_change_batch(&state.db, &viewer.acting(), &batch_id).await?;
        let b = dispatch::get_batch(&state.db, &batch_id).await?;
        let defaults = format!(
            "batch_id={}&mode=stationed&post=team-member&start_date={}&end_date={}",
            b.id, b.start_date, b.end_date
        );
        assignment_form(
            &state,
            &viewer,
            &batch_id,
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

async fn assignment_create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let input = assignment_input(&form);
    let e = match service::create_assignment(&state.db, &viewer.acting(), &input).await {
        Ok(a) => {
            return Redirect::to(&format!(
                "/dispatch?batch={}&program={}&saved=assignment",
                a.batch_id,
                a.program_id.unwrap_or_default()
            ))
            .into_response();
        }
        Err(e) => assignment_errors(ApiError::from(e)),
    };
    let batch = input.batch_id.clone();
    if id_or_404(&batch).is_err() {
        return error_page(&viewer, NAV, here(&uri), e);
    }
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move { assignment_form(st, vw, &batch, None, form, Some(error)).await },
    )
    .await
}

fn assignment_values(a: &Assignment) -> FormData {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("batch_id", &a.batch_id)
        .append_pair("person_id", &a.person_id)
        .append_pair("institution_id", &a.institution_id)
        .append_pair("department_id", a.department_id.as_deref().unwrap_or(""))
        .append_pair("mode", a.mode.code())
        .append_pair("post", a.post.code())
        .append_pair("start_date", &a.start_date)
        .append_pair("end_date", &a.end_date);
    if a.mode == AssignmentMode::Weekly {
        for d in &a.weekdays {
            s.append_pair("weekdays", &d.to_string());
        }
    }
    FormData::parse(s.finish().as_bytes())
}

async fn assignment_edit(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = async {
        let id = id_or_404(&raw)?;
        let a = dispatch::get_assignment(&state.db, &id).await?;
        service::may_change_assignment(&state.db, &viewer.acting(), &id).await?;
        let values = assignment_values(&a);
        let batch = a.batch_id.clone();
        assignment_form(&state, &viewer, &batch, Some(a), values, None).await
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn assignment_update(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let input = assignment_input(&form);
    let e = match service::update_assignment(&state.db, &viewer.acting(), &id, &input).await {
        Ok(a) => {
            return Redirect::to(&format!("/dispatch/assignments/{}?saved=assignment", a.id))
                .into_response();
        }
        Err(e) => assignment_errors(ApiError::from(e)),
    };
    let before = dispatch::get_assignment(&state.db, &id).await.ok();
    let batch = before
        .as_ref()
        .map(|a| a.batch_id.clone())
        .unwrap_or_default();
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move {
            assignment_form(st, vw, &batch, before, form, Some(error)).await
        },
    )
    .await
}

// ---- an assignment's page: end early, leave ----

#[derive(Deserialize, Default)]
struct SavedQuery {
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "dispatch_assignment.html")]
struct AssignmentPage {
    c: Chrome,
    a: Assignment,
    leave: Vec<LeaveDay>,
    may_plan: bool,
    may_record: bool,
    /// How many workload reports the assignment has.
    workload_reports: i64,
    saved: String,
    end_values: FormData,
    end_error: Option<FormErrors>,
    leave_values: FormData,
    leave_error: Option<FormErrors>,
}

impl AssignmentPage {
    fn title(&self) -> String {
        title_label(self.c.lang, self.a.person_title.as_deref())
    }
    fn batch_no(&self) -> String {
        batch_label(self.c.lang, self.a.batch_number)
    }
    fn weekdays(&self) -> String {
        super::weekly_days(self.c.lang, &self.a)
    }
    fn end_error_at(&self, field: &str) -> Option<String> {
        self.end_error.at(field)
    }
    fn leave_error_at(&self, field: &str) -> Option<String> {
        self.leave_error.at(field)
    }
    fn days_text(&self, n: &i64) -> String {
        days_text(self.c.lang, *n)
    }
    fn saved_text(&self) -> String {
        self.c.t(format!("ui.saved_{}", self.saved))
    }
}

/// "12 天" / "12 days" / "1 day".
pub(super) fn days_text(lang: Lang, n: i64) -> String {
    match lang {
        Lang::Zh => format!("{n} 天"),
        Lang::En if n == 1 => "1 day".into(),
        Lang::En => format!("{n} days"),
    }
}

async fn assignment_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    saved: String,
    end: (Option<FormData>, Option<FormErrors>),
    leave: (Option<FormData>, Option<FormErrors>),
) -> Result<AssignmentPage, ApiError> {
    let a = dispatch::get_assignment(&state.db, id).await?;
    let acting = viewer.acting();
    let may_plan = service::may_change_assignment(&state.db, &acting, id)
        .await
        .is_ok();
    let may_record = service::may_record_days(&state.db, &acting, &a)
        .await
        .is_ok();
    let today = shanhai_store::today().to_string();
    let leave_days = dispatch::leave_days(&state.db, id).await?;
    let workload_reports = shanhai_store::workload::totals(
        &state.db,
        &shanhai_store::workload::WorkloadFilter {
            assignment: Some(id.to_string()),
            ..Default::default()
        },
    )
    .await?
    .reports;
    Ok(AssignmentPage {
        workload_reports,
        c: Chrome::new(Some(viewer), NAV, format!("/dispatch/assignments/{id}")),
        end_values: end.0.unwrap_or_else(|| {
            let d = if today < a.end_date && today >= a.start_date {
                today.clone()
            } else {
                String::new()
            };
            FormData::parse(format!("end_date={d}").as_bytes())
        }),
        end_error: end.1,
        leave_values: leave
            .0
            .unwrap_or_else(|| FormData::parse(format!("from={today}").as_bytes())),
        leave_error: leave.1,
        leave: leave_days,
        may_plan,
        may_record,
        saved,
        a,
    })
}

async fn assignment_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let page = match id_or_404(&raw) {
        Ok(id) => {
            assignment_data(
                &state,
                &viewer,
                &id,
                q.saved.unwrap_or_default(),
                (None, None),
                (None, None),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match page {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn assignment_end(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let input = EndAssignmentInput {
        end_date: form.get("end_date"),
    };
    let e = match service::end_early(&state.db, &viewer.acting(), &id, &input).await {
        Ok(_) => {
            return Redirect::to(&format!("/dispatch/assignments/{id}?saved=ended"))
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
        move |error| async move {
            assignment_data(
                st,
                vw,
                &id,
                String::new(),
                (Some(form), Some(error)),
                (None, None),
            )
            .await
        },
    )
    .await
}

async fn leave_record(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let input = LeaveInput {
        from: form.get("from"),
        until: form.opt("until"),
        note: form.opt("note"),
    };
    let e = match service::record_leave(&state.db, &viewer.acting(), &id, &input).await {
        Ok(_) => {
            return Redirect::to(&format!("/dispatch/assignments/{id}?saved=leave"))
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
        move |error| async move {
            assignment_data(
                st,
                vw,
                &id,
                String::new(),
                (None, None),
                (Some(form), Some(error)),
            )
            .await
        },
    )
    .await
}

async fn leave_remove(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data }: Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let day = data.get("day");
    let acting = viewer.acting();
    let allowed = match dispatch::get_assignment(&state.db, &id).await {
        Ok(a) => service::may_record_days(&state.db, &acting, &a).await,
        Err(e) => Err(e.into()),
    };
    if let Err(e) = allowed {
        return error_page(&viewer, NAV, here(&uri), e.into());
    }
    // A form sent twice finds the day already cleared: it is no longer leave either way.
    match service::remove_leave(&state.db, &acting, &id, &day).await {
        Ok(()) | Err(shanhai_service::ServiceError::NotFound) => {
            Redirect::to(&format!("/dispatch/assignments/{id}?saved=leave_removed")).into_response()
        }
        Err(e) => error_page(&viewer, NAV, here(&uri), e.into()),
    }
}

// ---- schemes of a program ----

#[derive(Deserialize, Default)]
struct SchemesQuery {
    program: Option<String>,
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "dispatch_schemes.html")]
struct SchemesPage {
    c: Chrome,
    program: Program,
    schemes: Vec<Scheme>,
    saved: bool,
    /// The scheme whose form failed (none: the new one), its values and problems.
    failed: Option<String>,
    values: FormData,
    error: Option<FormErrors>,
}

impl SchemesPage {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }
    fn failed_here(&self, id: &str) -> bool {
        self.failed.as_deref() == Some(id)
    }
}

async fn schemes_data(
    state: &AppState,
    viewer: &Viewer,
    program: &str,
    saved: bool,
    failed: Option<String>,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<SchemesPage, ApiError> {
    let program = program_of(state, program).await?;
    if !viewer.principal.can_manage_program(&program.id) {
        return Err(ApiError::forbidden());
    }
    let schemes = dispatch::list_schemes(&state.db, Some(&program.id), all())
        .await?
        .items;
    Ok(SchemesPage {
        c: Chrome::new(
            Some(viewer),
            NAV,
            format!("/dispatch/schemes?program={}", program.id),
        ),
        program,
        schemes,
        saved,
        failed,
        values,
        error,
    })
}

async fn schemes_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<SchemesQuery>,
) -> Response {
    let Some(program) = given(&q.program).or_else(|| viewer.principal.program_id.clone()) else {
        return Redirect::to("/dispatch/batches").into_response();
    };
    match schemes_data(
        &state,
        &viewer,
        &program,
        q.saved.is_some(),
        None,
        FormData::parse(b""),
        None,
    )
    .await
    {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

fn scheme_input(form: &FormData) -> shanhai_domain::dispatch::SchemeInput {
    shanhai_domain::dispatch::SchemeInput {
        program_id: form.get("program_id"),
        name: form.get("name"),
        description: form.opt("description"),
    }
}

async fn scheme_create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let input = scheme_input(&form);
    let e = match service::create_scheme(&state.db, &viewer.acting(), &input).await {
        Ok(s) => {
            return Redirect::to(&format!(
                "/dispatch/schemes?program={}&saved=1",
                s.program_id
            ))
            .into_response();
        }
        Err(e) => clash_at(ApiError::from(e), "name"),
    };
    let program = input.program_id.clone();
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move {
            schemes_data(
                st,
                vw,
                &program,
                false,
                Some(String::new()),
                form,
                Some(error),
            )
            .await
        },
    )
    .await
}

async fn scheme_update(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let input = scheme_input(&form);
    let e = match service::update_scheme(&state.db, &viewer.acting(), &id, &input).await {
        Ok(s) => {
            return Redirect::to(&format!(
                "/dispatch/schemes?program={}&saved=1",
                s.program_id
            ))
            .into_response();
        }
        Err(e) => ApiError::from(e),
    };
    let program = input.program_id.clone();
    let (st, vw) = (&state, &viewer);
    form_failed(
        &viewer,
        NAV,
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND],
        move |error| async move {
            schemes_data(st, vw, &program, false, Some(id), form, Some(error)).await
        },
    )
    .await
}
