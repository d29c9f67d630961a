//! Needs (`/api/v1/needs`) and a program's planning rules
//! (`/api/v1/programs/{id}/planning-rules`).

use crate::AppState;
use crate::api::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router, extract::State};
use serde::{Deserialize, Serialize};
use shanhai_domain::planning::needs::{
    Need, NeedInput, NeedStatus, PlanningRules, PlanningRulesInput, TeamRole,
};
use shanhai_service::planning::needs as service;
use shanhai_store::Page;
use shanhai_store::planning::needs::{NeedFilter, Removal};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_needs,
        create_need,
        get_need,
        update_need,
        remove_need,
        get_rules,
        put_rules
    ),
    components(schemas(
        Need,
        NeedInput,
        NeedStatus,
        TeamRole,
        NeedRemoved,
        Removal,
        PlanningRules,
        PlanningRulesInput
    ))
)]
pub struct NeedsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/needs", get(list_needs).post(create_need))
        .route(
            "/api/v1/needs/{id}",
            get(get_need).put(update_need).delete(remove_need),
        )
        .route(
            "/api/v1/programs/{id}/planning-rules",
            get(get_rules).put(put_rules),
        )
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NeedQuery {
    #[param(format = Uuid)]
    program: Option<String>,
    /// The recipient institution.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// `open` or `withdrawn`.
    #[param(value_type = Option<shanhai_domain::planning::needs::NeedStatus>)]
    status: Option<String>,
    /// A 诊疗科目 code: needs of it or below it.
    specialty: Option<String>,
}

/// The needs the caller may read: the program's managers, the recipient institution's side,
/// the donor side of the program's pairings.
#[utoipa::path(get, path = "/api/v1/needs", tag = "planning", security(("bearer" = [])), params(PageParams, NeedQuery),
    responses((status = 200, body = Page<Need>), (status = 401, body = ErrorBody)))]
async fn list_needs(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<NeedQuery>,
) -> ApiResult<Json<Page<Need>>> {
    let filter = NeedFilter {
        program: q.program,
        institution: q.institution,
        status: q.status,
        specialty: q.specialty,
    };
    Ok(Json(
        service::list(&state.db, &caller.acting(), &filter, page.request()).await?,
    ))
}

/// Posts a need at a recipient institution of a program (the recipient's coordinator, the
/// program office, the platform admin). Marks the program's open plans stale.
#[utoipa::path(post, path = "/api/v1/needs", tag = "planning", security(("bearer" = [])), request_body = NeedInput,
    responses((status = 201, body = Need), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_need(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Need>)> {
    let input = body.parse::<NeedInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state.db, &caller.acting(), &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/needs/{id}", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Need), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_need(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Need>> {
    Ok(Json(service::get(&state.db, &caller.acting(), &id).await?))
}

/// Changes a need (who may post it, before and after). Marks the program's open plans stale.
#[utoipa::path(put, path = "/api/v1/needs/{id}", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = NeedInput,
    responses((status = 200, body = Need), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_need(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Need>> {
    let acting = caller.acting();
    service::may_change_need(&state.db, &acting, &id).await?;
    let input = body.parse::<NeedInput>()?;
    Ok(Json(
        service::update(&state.db, &acting, &id, &input).await?,
    ))
}

/// What removing a need did.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedRemoved {
    /// `deleted` when no plan named the need; `withdrawn` when one did (it stays, withdrawn).
    pub outcome: Removal,
}

/// Removes a need: deleted when no plan names it, else withdrawn. Marks the program's open
/// plans stale.
#[utoipa::path(delete, path = "/api/v1/needs/{id}", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = NeedRemoved), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_need(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<NeedRemoved>> {
    let outcome = service::remove(&state.db, &caller.acting(), &id).await?;
    Ok(Json(NeedRemoved { outcome }))
}

/// A program's planning rules; the defaults (14 rest days, title, team and split rules on)
/// while it has set none.
#[utoipa::path(get, path = "/api/v1/programs/{id}/planning-rules", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PlanningRules), (status = 404, body = ErrorBody)))]
async fn get_rules(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<PlanningRules>> {
    Ok(Json(service::rules(&state.db, &id).await?))
}

/// Sets a program's planning rules (its managers). Marks the program's open plans stale.
#[utoipa::path(put, path = "/api/v1/programs/{id}/planning-rules", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = PlanningRulesInput,
    responses((status = 200, body = PlanningRules), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_rules(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<PlanningRules>> {
    let input = body.parse::<PlanningRulesInput>()?;
    Ok(Json(
        service::set_rules(&state.db, &caller.acting(), &id, &input).await?,
    ))
}
