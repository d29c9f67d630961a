//! The operations log (手术): the operations a dispatched expert operated (主刀), guided on site
//! (指导), demonstrated for teaching (示教) or guided remotely (远程指导) at a local institution,
//! with the local operators. No patient identifiers. The local institution's side and the
//! program office write, the expert logs their own; whoever reaches the institution reads.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::operations::{
    ExpertRole, Operation, OperationInput, OperationOutcome, OperationPerson,
};
use shanhai_service::operations as service;
use shanhai_store::Page;
use shanhai_store::operations::OperationFilter;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_operations,
        create_operation,
        get_operation,
        update_operation,
        delete_operation
    ),
    components(schemas(
        Operation,
        OperationInput,
        OperationPerson,
        ExpertRole,
        OperationOutcome
    ))
)]
pub struct OperationsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/operations",
            get(list_operations).post(create_operation),
        )
        .route(
            "/api/v1/operations/{id}",
            get(get_operation)
                .put(update_operation)
                .delete(delete_operation),
        )
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OperationQuery {
    #[param(format = Uuid)]
    pub program: Option<String>,
    /// The local institution where it was done.
    #[param(format = Uuid)]
    pub institution: Option<String>,
    /// Institutions in this region (GB/T 2260 code) or below.
    pub region: Option<String>,
    /// The dispatched expert (a person's id).
    #[param(format = Uuid)]
    pub expert: Option<String>,
    /// The expert or a local operator (a person's id).
    #[param(format = Uuid)]
    pub person: Option<String>,
    /// The technique it belongs to.
    #[param(format = Uuid)]
    pub technique: Option<String>,
    /// The expert's role: `operated`, `guided`, `demonstration`, `remote-guidance`.
    #[param(value_type = Option<shanhai_domain::operations::ExpertRole>)]
    pub role: Option<String>,
    /// The surgical grade, 1–4.
    #[param(minimum = 1, maximum = 4)]
    pub grade: Option<i64>,
    /// Only minimally invasive ones (`true`) or only open ones (`false`).
    pub minimally_invasive: Option<bool>,
    /// Searches the procedure's name and code and the expert's name.
    pub q: Option<String>,
    /// Performed on or after this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Performed on or before this date (`YYYY-MM-DD`): what the indicators count.
    #[param(format = Date)]
    pub until: Option<String>,
}

impl OperationQuery {
    pub fn filter(self) -> OperationFilter {
        OperationFilter {
            program: self.program,
            institution: self.institution,
            region: self.region,
            expert: self.expert,
            person: self.person,
            technique: self.technique,
            role: self.role,
            grade: self.grade,
            minimally_invasive: self.minimally_invasive,
            q: self.q,
            from: self.from,
            until: self.until,
        }
    }
}

/// Operations, latest first: what the `operations…` indicators count
/// (`?program=&until=`, with `role`, `grade` or `minimally_invasive` for their parts).
#[utoipa::path(get, path = "/api/v1/operations", tag = "operations", security(("bearer" = [])),
    params(PageParams, OperationQuery),
    responses((status = 200, body = Page<Operation>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_operations(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<OperationQuery>,
) -> ApiResult<Json<Page<Operation>>> {
    Ok(Json(
        service::list(&state.db, &caller.acting(), &q.filter(), page.request()).await?,
    ))
}

/// Logs an operation (the institution's coordinator, the program office, or the expert for
/// their own).
#[utoipa::path(post, path = "/api/v1/operations", tag = "operations", security(("bearer" = [])),
    request_body = OperationInput,
    responses((status = 201, body = Operation), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_operation(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Operation>)> {
    let input = body.parse::<OperationInput>()?;
    let created = service::create(&state.db, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One operation, with its local operators and whether it is its technique's first (首例).
#[utoipa::path(get, path = "/api/v1/operations/{id}", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Operation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_operation(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Operation>> {
    Ok(Json(service::get(&state.db, &caller.acting(), &id).await?))
}

/// Changes an operation.
#[utoipa::path(put, path = "/api/v1/operations/{id}", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = OperationInput,
    responses((status = 200, body = Operation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_operation(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Operation>> {
    let input = body.parse::<OperationInput>()?;
    Ok(Json(
        service::update(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

/// Removes an operation logged by mistake (the audit log keeps it).
#[utoipa::path(delete, path = "/api/v1/operations/{id}", tag = "operations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_operation(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    service::delete(&state.db, &caller.acting(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
