//! Expert dispatch (C2): schemes, batches, assignments, days served and the week calendar.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shanhai_domain::clinic_sessions::{ClinicSession, GenerateSessionsInput};
use shanhai_domain::dispatch::*;
use shanhai_service::dispatch as service;
use shanhai_store::Page;
use shanhai_store::dispatch::{
    self, AssignmentFilter, BatchFilter, LeaveDay, ServiceDay, TodayDuty, WeekOutcome,
};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_schemes,
        create_scheme,
        list_batches,
        create_batch,
        get_batch,
        update_batch,
        list_assignments,
        create_assignment,
        get_assignment,
        update_assignment,
        list_days,
        record_day,
        remove_day,
        generate_sessions,
        calendar,
        update_scheme,
        copy_batch,
        end_assignment,
        list_leave,
        record_leave,
        remove_leave,
        confirm_days,
        today,
        check_in,
        days_to_confirm,
    ),
    components(schemas(
        Scheme,
        SchemeInput,
        Batch,
        BatchInput,
        Assignment,
        AssignmentInput,
        AssignmentMode,
        Post,
        ServiceDay,
        DayInput,
        Calendar,
        CalendarDay,
        CalendarExpert,
        GenerateSessionsInput,
        CopyBatchInput,
        BatchCopied,
        EndAssignmentInput,
        LeaveInput,
        LeaveDay,
        WeekInput,
        WeekEntry,
        WeekOutcome,
        DayMark,
        TodayDuty,
        DaysToConfirm,
    ))
)]
pub struct DispatchApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/dispatch-schemes",
            get(list_schemes).post(create_scheme),
        )
        .route("/api/v1/batches", get(list_batches).post(create_batch))
        .route("/api/v1/batches/{id}", get(get_batch).put(update_batch))
        .route(
            "/api/v1/assignments",
            get(list_assignments).post(create_assignment),
        )
        .route(
            "/api/v1/assignments/{id}",
            get(get_assignment).put(update_assignment),
        )
        .route(
            "/api/v1/assignments/{id}/service-days",
            get(list_days).post(record_day),
        )
        .route(
            "/api/v1/assignments/{id}/service-days/{day}",
            delete(remove_day),
        )
        .route(
            "/api/v1/assignments/{id}/clinic-sessions",
            post(generate_sessions),
        )
        .route("/api/v1/dispatch/calendar", get(calendar))
        .route("/api/v1/dispatch-schemes/{id}", put(update_scheme))
        .route("/api/v1/batches/{id}/copy", post(copy_batch))
        .route("/api/v1/assignments/{id}/end", post(end_assignment))
        .route(
            "/api/v1/assignments/{id}/leave-days",
            get(list_leave).post(record_leave),
        )
        .route(
            "/api/v1/assignments/{id}/leave-days/{day}",
            delete(remove_leave),
        )
        .route("/api/v1/dispatch/day-confirmations", post(confirm_days))
        .route("/api/v1/dispatch/days-to-confirm", get(days_to_confirm))
        .route("/api/v1/me/today", get(today))
        .route("/api/v1/me/check-in", post(check_in))
}

/// Renames or redescribes a dispatch scheme (the program's managers).
#[utoipa::path(put, path = "/api/v1/dispatch-schemes/{id}", tag = "dispatch", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = SchemeInput,
    responses((status = 200, body = Scheme), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_scheme(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Scheme>> {
    let input = body.parse::<SchemeInput>()?;
    Ok(Json(
        service::update_scheme(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct BatchCopied {
    pub batch: Batch,
    /// Assignments copied into it.
    pub assignments: usize,
}

/// Copies a batch with its assignments to a new start date (every assignment moves by the same
/// number of days). Refused (409) when a copied assignment would put someone in two places on
/// one day; nothing is copied then.
#[utoipa::path(post, path = "/api/v1/batches/{id}/copy", tag = "dispatch", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = CopyBatchInput,
    responses((status = 201, body = BatchCopied), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn copy_batch(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<BatchCopied>)> {
    let acting = caller.acting();
    service::may_change_batch(&state.db, &acting, &id).await?;
    let input = body.parse::<CopyBatchInput>()?;
    let (batch, assignments) = service::copy_batch(&state.db, &acting, &id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(BatchCopied { batch, assignments }),
    ))
}

/// Ends an assignment early: the given day becomes its last (its planned end is kept).
#[utoipa::path(post, path = "/api/v1/assignments/{id}/end", tag = "dispatch", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = EndAssignmentInput,
    responses((status = 200, body = Assignment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn end_assignment(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Assignment>> {
    let acting = caller.acting();
    service::may_change_assignment(&state.db, &acting, &id).await?;
    let input = body.parse::<EndAssignmentInput>()?;
    Ok(Json(
        service::end_early(&state.db, &acting, &id, &input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/assignments/{id}/leave-days", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = Vec<LeaveDay>), (status = 404, body = ErrorBody)))]
async fn list_leave(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<LeaveDay>>> {
    dispatch::get_assignment(&state.db, &id).await?;
    Ok(Json(dispatch::leave_days(&state.db, &id).await?))
}

/// Records days of leave on an assignment (the expert or a coordinator); a day already recorded
/// as served is refused at `from`.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/leave-days", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = LeaveInput,
    responses((status = 201, body = Vec<LeaveDay>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_leave(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Vec<LeaveDay>>)> {
    let acting = caller.acting();
    let a = dispatch::get_assignment(&state.db, &id).await?;
    service::may_record_days(&state.db, &acting, &a).await?;
    let input: LeaveInput = body.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(service::record_leave(&state.db, &acting, &id, &input).await?),
    ))
}

/// Removes a day of leave recorded by mistake (the audit log keeps it).
#[utoipa::path(delete, path = "/api/v1/assignments/{id}/leave-days/{day}", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("day" = String, Path, format = Date)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_leave(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, day)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = shanhai_domain::ids::parse_id(&raw).ok_or_else(ApiError::not_found)?;
    service::remove_leave(&state.db, &caller.acting(), &id, &day).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirms or corrects days of assignments at once (the week grid): each entry says whether the
/// day was served, on leave or not on site. All entries are written or none.
#[utoipa::path(post, path = "/api/v1/dispatch/day-confirmations", tag = "dispatch", security(("bearer" = [])),
    request_body = WeekInput,
    responses((status = 200, body = WeekOutcome), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn confirm_days(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Json<WeekOutcome>> {
    let input: WeekInput = body.parse()?;
    Ok(Json(
        service::confirm_days(&state.db, &caller.acting(), &input).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct DaysToConfirm {
    /// Days experts checked in that the caller has still to confirm.
    pub count: u64,
}

/// How many checked-in days wait for the caller's confirmation (their program or hospital).
#[utoipa::path(get, path = "/api/v1/dispatch/days-to-confirm", tag = "dispatch", security(("bearer" = [])),
    responses((status = 200, body = DaysToConfirm), (status = 401, body = ErrorBody)))]
async fn days_to_confirm(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<DaysToConfirm>> {
    Ok(Json(DaysToConfirm {
        count: service::days_to_confirm(&state.db, &caller.acting()).await?,
    }))
}

/// Where the signed-in expert is today (null when they have no assignment running today).
#[utoipa::path(get, path = "/api/v1/me/today", tag = "dispatch", security(("bearer" = [])),
    responses((status = 200, body = Option<TodayDuty>), (status = 401, body = ErrorBody)))]
async fn today(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Option<TodayDuty>>> {
    Ok(Json(service::today_for(&state.db, &caller.acting()).await?))
}

/// The signed-in expert checks in for today on the assignment running today (one tap).
#[utoipa::path(post, path = "/api/v1/me/check-in", tag = "dispatch", security(("bearer" = [])),
    responses((status = 201, body = ServiceDay), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn check_in(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<ServiceDay>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::check_in(&state.db, &caller.acting()).await?),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchemeQuery {
    #[param(format = Uuid)]
    program: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/dispatch-schemes", tag = "dispatch", security(("bearer" = [])), params(PageParams, SchemeQuery),
    responses((status = 200, body = Page<Scheme>), (status = 401, body = ErrorBody)))]
async fn list_schemes(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<SchemeQuery>,
) -> ApiResult<Json<Page<Scheme>>> {
    Ok(Json(
        dispatch::list_schemes(&state.db, q.program.as_deref(), page.request()).await?,
    ))
}

/// Adds a dispatch scheme to a program, e.g. 柔性援疆 (the program's managers).
#[utoipa::path(post, path = "/api/v1/dispatch-schemes", tag = "dispatch", security(("bearer" = [])), request_body = SchemeInput,
    responses((status = 201, body = Scheme), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_scheme(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Scheme>)> {
    let input = body.parse::<SchemeInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::create_scheme(&state.db, &caller.acting(), &input).await?),
    ))
}

/// Whether the caller may plan this batch: the program's managers, or the donor's coordinator
/// when the batch serves a pairing.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchQuery {
    #[param(format = Uuid)]
    program: Option<String>,
    #[param(format = Uuid)]
    scheme: Option<String>,
    #[param(format = Uuid)]
    pairing: Option<String>,
    /// Batches that had begun by this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    until: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/batches", tag = "dispatch", security(("bearer" = [])), params(PageParams, BatchQuery),
    responses((status = 200, body = Page<Batch>), (status = 401, body = ErrorBody)))]
async fn list_batches(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<BatchQuery>,
) -> ApiResult<Json<Page<Batch>>> {
    let filter = BatchFilter {
        program: q.program,
        scheme: q.scheme,
        pairing: q.pairing,
        until: q.until,
    };
    Ok(Json(
        dispatch::list_batches(&state.db, &filter, page.request()).await?,
    ))
}

/// Plans a batch (批次) of a program.
#[utoipa::path(post, path = "/api/v1/batches", tag = "dispatch", security(("bearer" = [])), request_body = BatchInput,
    responses((status = 201, body = Batch), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_batch(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Batch>)> {
    let input = body.parse::<BatchInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::create_batch(&state.db, &caller.acting(), &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "dispatch", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Batch), (status = 404, body = ErrorBody)))]
async fn get_batch(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Batch>> {
    Ok(Json(dispatch::get_batch(&state.db, &id).await?))
}

#[utoipa::path(put, path = "/api/v1/batches/{id}", tag = "dispatch", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = BatchInput,
    responses((status = 200, body = Batch), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_batch(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Batch>> {
    let acting = caller.acting();
    service::may_change_batch(&state.db, &acting, &id).await?;
    let input = body.parse::<BatchInput>()?;
    Ok(Json(
        service::update_batch(&state.db, &acting, &id, &input).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentQuery {
    #[param(format = Uuid)]
    program: Option<String>,
    #[param(format = Uuid)]
    batch: Option<String>,
    /// The recipient institution.
    #[param(format = Uuid)]
    institution: Option<String>,
    #[param(format = Uuid)]
    person: Option<String>,
    /// The experts' own (donor-side) institution.
    #[param(format = Uuid)]
    home: Option<String>,
    /// `me`: the caller's own assignments (their account must name a person).
    #[param(format = Uuid)]
    expert: Option<String>,
    /// Assignments running on this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    active_on: Option<String>,
    /// Recipient institutions in this region (GB/T 2260 code) or below.
    region: Option<String>,
    q: Option<String>,
    /// Periods that have begun by this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    until: Option<String>,
    /// Periods still running on or after this date.
    #[param(format = Date)]
    from: Option<String>,
}

/// The roster: assignments of a batch, program, recipient or person.
#[utoipa::path(get, path = "/api/v1/assignments", tag = "dispatch", security(("bearer" = [])), params(PageParams, AssignmentQuery),
    responses((status = 200, body = Page<Assignment>), (status = 401, body = ErrorBody)))]
async fn list_assignments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<AssignmentQuery>,
) -> ApiResult<Json<Page<Assignment>>> {
    let person = match q.expert.as_deref() {
        Some("me") => Some(
            caller
                .user
                .person_id
                .clone()
                .ok_or_else(|| ApiError::bad_request("error.account_has_no_person"))?,
        ),
        _ => q.person,
    };
    let filter = AssignmentFilter {
        program: q.program,
        batch: q.batch,
        institution: q.institution,
        person,
        home: q.home,
        active_on: q.active_on,
        region: q.region,
        q: q.q,
        from: q.from,
        until: q.until,
    };
    Ok(Json(
        dispatch::list_assignments(&state.db, &filter, page.request()).await?,
    ))
}

/// Assigns a person to a recipient within a batch. Refused (409) when the person would be in two
/// places on one day; the period must lie inside the batch.
#[utoipa::path(post, path = "/api/v1/assignments", tag = "dispatch", security(("bearer" = [])), request_body = AssignmentInput,
    responses((status = 201, body = Assignment), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_assignment(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Assignment>)> {
    let input = body.parse::<AssignmentInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::create_assignment(&state.db, &caller.acting(), &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/assignments/{id}", tag = "dispatch", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Assignment), (status = 404, body = ErrorBody)))]
async fn get_assignment(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Assignment>> {
    Ok(Json(dispatch::get_assignment(&state.db, &id).await?))
}

#[utoipa::path(put, path = "/api/v1/assignments/{id}", tag = "dispatch", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = AssignmentInput,
    responses((status = 200, body = Assignment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_assignment(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Assignment>> {
    let acting = caller.acting();
    service::may_change_assignment(&state.db, &acting, &id).await?;
    let input = body.parse::<AssignmentInput>()?;
    Ok(Json(
        service::update_assignment(&state.db, &acting, &id, &input).await?,
    ))
}

/// Days served may be recorded by the expert themselves, by whoever runs the recipient's data,
/// and by whoever may dispatch in the batch.
#[utoipa::path(get, path = "/api/v1/assignments/{id}/service-days", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses((status = 200, body = Vec<ServiceDay>), (status = 404, body = ErrorBody)))]
async fn list_days(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<ServiceDay>>> {
    dispatch::get_assignment(&state.db, &id).await?;
    Ok(Json(dispatch::service_days(&state.db, &id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct DayInput {
    /// `YYYY-MM-DD`
    #[schema(format = Date)]
    pub day: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records a day actually served (check-in by the expert or a coordinator).
#[utoipa::path(post, path = "/api/v1/assignments/{id}/service-days", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = DayInput,
    responses((status = 201, body = ServiceDay), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_day(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<ServiceDay>)> {
    let acting = caller.acting();
    let a = dispatch::get_assignment(&state.db, &id).await?;
    service::may_record_days(&state.db, &acting, &a).await?;
    let input: DayInput = body.parse()?;
    let note = input.note.as_deref();
    Ok((
        StatusCode::CREATED,
        Json(service::record_day(&state.db, &acting, &id, &input.day, note).await?),
    ))
}

/// Removes a day recorded by mistake (the audit log keeps it).
#[utoipa::path(delete, path = "/api/v1/assignments/{id}/service-days/{day}", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("day" = String, Path, format = Date)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_day(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, day)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = shanhai_domain::ids::parse_id(&raw).ok_or_else(ApiError::not_found)?;
    service::remove_day(&state.db, &caller.acting(), &id, &day).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Generates the assignment's clinic sessions from its pattern (a 候鸟 expert's weekdays, a
/// monthly clinic…) at the recipient; days that already have a session of this expert there are
/// skipped.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/clinic-sessions", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = GenerateSessionsInput,
    responses((status = 201, body = Vec<ClinicSession>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn generate_sessions(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Vec<ClinicSession>>)> {
    let acting = caller.acting();
    let a = dispatch::get_assignment(&state.db, &id).await?;
    shanhai_service::clinic_sessions::may_run(&state.db, &acting, &a.institution_id).await?;
    let input: GenerateSessionsInput = body.parse()?;
    let created = service::generate_sessions(&state.db, &acting, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// A GB/T 2260 region code: recipients in it or below (default: everywhere).
    region: Option<String>,
    /// Any day of the week to show (`YYYY-MM-DD`, default: today).
    #[param(format = Date)]
    week: Option<String>,
    #[param(format = Uuid)]
    program: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarDay {
    #[schema(format = Date)]
    pub date: String,
    /// Experts on site that day.
    pub experts: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarExpert {
    #[schema(format = Uuid)]
    pub person_id: String,
    pub person_name: Option<String>,
    pub home_institution_name: Option<String>,
    pub institution_name: Option<String>,
    pub mode: AssignmentMode,
    pub post: Post,
    /// The days of the week (`YYYY-MM-DD`) they are on site.
    #[schema(format = Date)]
    pub days: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Calendar {
    #[schema(format = Date)]
    pub week_start: String,
    pub region: Option<String>,
    /// Distinct experts from outside on site at least one day this week (本周在岗区外专家).
    pub experts_on_duty: i64,
    pub days: Vec<CalendarDay>,
    pub experts: Vec<CalendarExpert>,
}

/// The week calendar of a region: who is on site which day.
#[utoipa::path(get, path = "/api/v1/dispatch/calendar", tag = "dispatch", security(("bearer" = [])), params(CalendarQuery),
    responses((status = 200, body = Calendar), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn calendar(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<Calendar>> {
    Ok(Json(
        build_calendar(&state, q.region, q.week.as_deref(), q.program).await?,
    ))
}

pub async fn build_calendar(
    state: &AppState,
    region: Option<String>,
    week: Option<&str>,
    program: Option<String>,
) -> ApiResult<Calendar> {
    let day =
        shanhai_domain::validate::optional_date("week", week)?.unwrap_or_else(shanhai_store::today);
    let start = week_start(day);
    let end = start + chrono::Duration::days(6);
    let filter = AssignmentFilter {
        region: region.clone(),
        program,
        from: Some(start.to_string()),
        until: Some(end.to_string()),
        ..Default::default()
    };
    let assignments = dispatch::all_assignments(&state.db, &filter, 20_000).await?;
    let week: Vec<NaiveDate> = start.iter_days().take(7).collect();
    let mut by_person: std::collections::BTreeMap<String, CalendarExpert> =
        std::collections::BTreeMap::new();
    for a in &assignments {
        let Some(presence) = a.presence() else {
            continue;
        };
        let days: Vec<String> = week
            .iter()
            .filter(|d| presence.covers(**d))
            .map(|d| d.to_string())
            .collect();
        if days.is_empty() {
            continue;
        }
        let entry = by_person
            .entry(a.person_id.clone())
            .or_insert_with(|| CalendarExpert {
                person_id: a.person_id.clone(),
                person_name: a.person_name.clone(),
                home_institution_name: a.home_institution_name.clone(),
                institution_name: a.institution_name.clone(),
                mode: a.mode,
                post: a.post,
                days: Vec::new(),
            });
        for d in days {
            if !entry.days.contains(&d) {
                entry.days.push(d);
            }
        }
    }
    let experts: Vec<CalendarExpert> = by_person.into_values().collect();
    let days = week
        .iter()
        .map(|d| {
            let date = d.to_string();
            CalendarDay {
                experts: experts.iter().filter(|e| e.days.contains(&date)).count() as i64,
                date,
            }
        })
        .collect();
    Ok(Calendar {
        week_start: start.to_string(),
        region,
        experts_on_duty: experts.len() as i64,
        days,
        experts,
    })
}
