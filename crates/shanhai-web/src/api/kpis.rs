//! Reported KPIs (C10): an institution's coordinators (and the donor side where the program
//! grants write access) enter a period's figures and submit them; the program office approves,
//! which locks the period, returns a submitted report, or reopens an approved one with a reason.
//! Reads follow reach.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::kpis::*;
use shanhai_service::kpis as service;
use shanhai_store::Page;
use shanhai_store::kpis::{self, KpiReportFilter, SeriesFilter, StandingsFilter};
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_definitions,
        create_definition,
        list_reports,
        create_report,
        get_report,
        put_values,
        act,
        series,
        standings
    ),
    components(schemas(
        KpiDefinition,
        KpiDefinitionInput,
        KpiReport,
        KpiReportInput,
        KpiValue,
        KpiValueInput,
        KpiValuesInput,
        KpiReportEvent,
        KpiTransitionInput,
        KpiSeriesPoint,
        KpiStanding,
        PeriodType,
        KpiDirection,
        ValueKind,
        ReportState,
        ReportAction
    ))
)]
pub struct KpisApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/kpi-definitions",
            get(list_definitions).post(create_definition),
        )
        .route("/api/v1/kpi-reports", get(list_reports).post(create_report))
        .route("/api/v1/kpi-reports/{id}", get(get_report).put(put_values))
        .route("/api/v1/kpi-reports/{id}/{action}", post(act))
        .route("/api/v1/kpi-series", get(series))
        .route("/api/v1/kpi-standings", get(standings))
}

/// The KPI definitions: the built-in catalogue and those program offices added.
#[utoipa::path(get, path = "/api/v1/kpi-definitions", tag = "kpis", security(("bearer" = [])),
    responses((status = 200, body = Vec<KpiDefinition>), (status = 401, body = ErrorBody)))]
async fn list_definitions(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<KpiDefinition>>> {
    Ok(Json(kpis::definitions(&state.db).await?))
}

/// Adds a KPI definition (program offices and the platform admin). Its scale (decimals kept) is
/// fixed once values exist, so definitions are not edited.
#[utoipa::path(post, path = "/api/v1/kpi-definitions", tag = "kpis", security(("bearer" = [])), request_body = KpiDefinitionInput,
    responses((status = 201, body = KpiDefinition), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_definition(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<KpiDefinition>)> {
    let acting = caller.acting();
    service::may_define(&acting)?;
    let input = body.parse::<KpiDefinitionInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::define(&state.db, &acting, &input).await?),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    #[param(format = Uuid)]
    institution: Option<String>,
    #[param(format = Uuid)]
    program: Option<String>,
    /// A period key: `2025-03`, `2025-Q1` or `2025`.
    period: Option<String>,
    /// `draft`, `submitted`, `approved` or `reopened`.
    #[param(value_type = Option<shanhai_domain::kpis::ReportState>)]
    state: Option<String>,
    /// Institutions in this GB/T 2260 region or below.
    region: Option<String>,
}

/// Reports of the institutions the caller reaches, most recent period first (without values).
#[utoipa::path(get, path = "/api/v1/kpi-reports", tag = "kpis", security(("bearer" = [])), params(PageParams, ReportQuery),
    responses((status = 200, body = Page<KpiReport>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_reports(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Page<KpiReport>>> {
    let period = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(Period::parse("period", p)?.key()),
        None => None,
    };
    let filter = KpiReportFilter {
        institution: q.institution,
        program: q.program,
        period,
        state: q.state,
        region: q.region,
    };
    Ok(Json(
        service::list(&state.db, &caller.acting(), &filter, page.request()).await?,
    ))
}

/// Opens a draft report for an institution and period (one per institution and period), with
/// any values given.
#[utoipa::path(post, path = "/api/v1/kpi-reports", tag = "kpis", security(("bearer" = [])), request_body = KpiReportInput,
    responses((status = 201, body = KpiReport), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_report(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<KpiReport>)> {
    let input = body.parse::<KpiReportInput>()?;
    let created = service::open(&state.db, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// A report with its values and steps (a reopen's reason among them).
#[utoipa::path(get, path = "/api/v1/kpi-reports/{id}", tag = "kpis", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = KpiReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_report(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<KpiReport>> {
    let (report, _) = service::read(&state.db, &caller.acting(), &id).await?;
    Ok(Json(report))
}

/// Replaces a report's values. Only a draft or a reopened report changes: a submitted or an
/// approved (locked) one answers 409 and keeps every value.
#[utoipa::path(put, path = "/api/v1/kpi-reports/{id}", tag = "kpis", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = KpiValuesInput,
    responses((status = 200, body = KpiReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_values(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<KpiReport>> {
    let acting = caller.acting();
    service::may_edit(&state.db, &acting, &id).await?;
    let input = body.parse::<KpiValuesInput>()?;
    Ok(Json(
        service::save(&state.db, &acting, &id, &input.values, false).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/kpi-reports/{id}/{action}", tag = "kpis", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("action" = ReportAction, Path)), request_body = KpiTransitionInput,
    responses((status = 200, body = KpiReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw_id, raw_action)): Path<(String, String)>,
    body: JsonBody,
) -> ApiResult<Json<KpiReport>> {
    let id = shanhai_domain::ids::parse_id(&raw_id).ok_or_else(ApiError::not_found)?;
    let action = ReportAction::parse(&raw_action).ok_or_else(ApiError::not_found)?;
    let acting = caller.acting();
    service::may_take(&state.db, &acting, &id, action).await?;
    let input = body.parse::<KpiTransitionInput>()?;
    Ok(Json(
        service::act(&state.db, &acting, &id, action, &input).await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// The definition's code, e.g. `licensing-first-pass`.
    definition: String,
    #[param(format = Uuid)]
    institution: Option<String>,
    #[param(format = Uuid)]
    program: Option<String>,
    /// Periods from this one (a period key or `YYYY-MM-DD`).
    #[param(format = Date)]
    from: Option<String>,
    /// Periods up to this one (a period key or `YYYY-MM-DD`).
    #[param(format = Date)]
    until: Option<String>,
    /// Include submitted, draft and reopened figures (default: approved only).
    #[serde(default)]
    include_unapproved: bool,
}

/// One KPI over time for the institutions the caller reaches: `[{period, value, baseline,
/// target, direction, unit, …}]`, oldest first; approved (locked) figures only unless
/// `include_unapproved=true`.
#[utoipa::path(get, path = "/api/v1/kpi-series", tag = "kpis", security(("bearer" = [])), params(SeriesQuery),
    responses((status = 200, body = Vec<KpiSeriesPoint>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn series(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SeriesQuery>,
) -> ApiResult<Json<Vec<KpiSeriesPoint>>> {
    let bound_of = |field: &str, v: &Option<String>, upper: bool| match v
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => bound(field, v, upper).map(Some),
        None => Ok(None),
    };
    let filter = SeriesFilter {
        definition: q.definition.trim().to_string(),
        institution: q.institution,
        program: q.program,
        from: bound_of("from", &q.from, false)?,
        until: bound_of("until", &q.until, true)?,
        include_unapproved: q.include_unapproved,
    };
    Ok(Json(
        service::series(&state.db, &caller.acting(), &filter).await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StandingsQuery {
    #[param(format = Uuid)]
    program: Option<String>,
    #[param(format = Uuid)]
    institution: Option<String>,
    /// Only this KPI (its code).
    definition: Option<String>,
    /// Periods up to this one (a period key or `YYYY-MM-DD`).
    #[param(format = Date)]
    until: Option<String>,
}

/// Before and after for every KPI of the institutions the caller reaches, from approved reports:
/// the first and latest figure of each period type, the baseline and target, the change and
/// whether it goes the better way and reaches the target.
#[utoipa::path(get, path = "/api/v1/kpi-standings", tag = "kpis", security(("bearer" = [])), params(StandingsQuery),
    responses((status = 200, body = Vec<KpiStanding>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn standings(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<StandingsQuery>,
) -> ApiResult<Json<Vec<KpiStanding>>> {
    let until = match q.until.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(bound("until", v, true)?),
        None => None,
    };
    let filter = StandingsFilter {
        program: q.program,
        institution: q.institution,
        definition: q.definition,
        until,
    };
    Ok(Json(
        service::standings(&state.db, &caller.acting(), &filter).await?,
    ))
}
