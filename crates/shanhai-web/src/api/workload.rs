//! Workload reports: outpatients, admissions and operations of a dispatched expert per period
//! (usually a month), filed under their assignment. Whoever may record the assignment's days
//! served files and corrects them — the expert themselves, whoever runs the recipient's clinic_sessions,
//! whoever may dispatch in the batch — and every write is audited. Anyone signed in reads them,
//! as they read the roster: they are counts, with no patient details.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::workload::{WorkloadReport, WorkloadReportInput};
use shanhai_service::workload as service;
use shanhai_store::Page;
use shanhai_store::workload::{self, WorkloadFilter};
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(list_reports, create_report, get_report, update_report, delete_report),
    components(schemas(WorkloadReport, WorkloadReportInput))
)]
pub struct WorkloadApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/workload-reports",
            get(list_reports).post(create_report),
        )
        .route(
            "/api/v1/workload-reports/{id}",
            get(get_report).put(update_report).delete(delete_report),
        )
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkloadQuery {
    #[param(format = Uuid)]
    program: Option<String>,
    #[param(format = Uuid)]
    assignment: Option<String>,
    #[param(format = Uuid)]
    batch: Option<String>,
    /// The recipient institution of the assignment.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// The expert.
    #[param(format = Uuid)]
    person: Option<String>,
    /// Recipient institutions in this region (GB/T 2260 code) or below.
    region: Option<String>,
    /// Searches the expert's name and the note.
    q: Option<String>,
    /// Periods ending on or after this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    from: Option<String>,
    /// Periods ending on or before this date (`YYYY-MM-DD`): what the indicators count.
    #[param(format = Date)]
    until: Option<String>,
}

/// Workload reports, latest period first: what `workload-outpatients`, `workload-admissions`
/// and `workload-operations` sum (`?program=&until=`).
#[utoipa::path(get, path = "/api/v1/workload-reports", tag = "dispatch", security(("bearer" = [])),
    params(PageParams, WorkloadQuery),
    responses((status = 200, body = Page<WorkloadReport>), (status = 401, body = ErrorBody)))]
async fn list_reports(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<WorkloadQuery>,
) -> ApiResult<Json<Page<WorkloadReport>>> {
    let filter = WorkloadFilter {
        program: q.program,
        assignment: q.assignment,
        batch: q.batch,
        institution: q.institution,
        person: q.person,
        region: q.region,
        q: q.q,
        from: q.from,
        until: q.until,
    };
    Ok(Json(
        workload::list(&state.db, &filter, page.request()).await?,
    ))
}

/// Files an expert's workload for a period (usually a month) under their assignment. The period
/// must overlap the assignment; 409 when another report of the assignment covers part of it.
#[utoipa::path(post, path = "/api/v1/workload-reports", tag = "dispatch", security(("bearer" = [])),
    request_body = WorkloadReportInput,
    responses((status = 201, body = WorkloadReport), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_report(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<WorkloadReport>)> {
    let input = body.parse::<WorkloadReportInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::file(&state.db, &caller.acting(), &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/workload-reports/{id}", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = WorkloadReport), (status = 404, body = ErrorBody)))]
async fn get_report(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<WorkloadReport>> {
    Ok(Json(workload::get(&state.db, &id).await?))
}

/// Corrects a report (the audit log keeps what it said before).
#[utoipa::path(put, path = "/api/v1/workload-reports/{id}", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = WorkloadReportInput,
    responses((status = 200, body = WorkloadReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_report(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<WorkloadReport>> {
    let acting = caller.acting();
    service::may_change(&state.db, &acting, &id).await?;
    let input = body.parse::<WorkloadReportInput>()?;
    Ok(Json(
        service::correct(&state.db, &acting, &id, &input).await?,
    ))
}

/// Removes a report filed by mistake (the audit log keeps it).
#[utoipa::path(delete, path = "/api/v1/workload-reports/{id}", tag = "dispatch", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_report(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    service::remove(&state.db, &caller.acting(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
