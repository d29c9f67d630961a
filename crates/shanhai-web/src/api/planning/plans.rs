//! Plans (issue 19, C13): start a solve in the background, read its progress, proposals and the
//! explanations of the needs it leaves uncovered, edit (pin, move, swap, remove, add: each
//! re-solves), see where an expert would fit, accept as a batch.

use crate::AppState;
use crate::api::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::i18n;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::planning::plans::*;
use shanhai_service::planning::plans as service;
use shanhai_store::Page;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_plans,
        start_plan,
        get_plan,
        accept_plan,
        solve_plan,
        add_item,
        change_item,
        remove_item,
        swap_items,
        plan_fits,
    ),
    components(schemas(
        PlanInput,
        Plan,
        PlanStatus,
        PlanDetail,
        PlanItem,
        PlanExplanation,
        PlanReason,
        ReasonKind,
        PlanSuggestion,
        NeedRef,
        ExpertRef,
        PlanItemInput,
        PlanItemChange,
        PlanSwapInput,
        AcceptInput,
        PlanFits,
        PlanFit,
        PlanItemRef,
    ))
)]
pub struct PlansApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/plans", get(list_plans).post(start_plan))
        .route("/api/v1/plans/{id}", get(get_plan))
        .route("/api/v1/plans/{id}/accept", post(accept_plan))
        .route("/api/v1/plans/{id}/solve", post(solve_plan))
        .route("/api/v1/plans/{id}/items", post(add_item))
        .route(
            "/api/v1/plans/{id}/items/{item}",
            put(change_item).delete(remove_item),
        )
        .route("/api/v1/plans/{id}/items/{item}/swap", post(swap_items))
        .route("/api/v1/plans/{id}/fits", get(plan_fits))
}

/// The plan and item ids of a path; anything that is not a UUID names no record.
fn ids(raw: (String, String)) -> Result<(String, String), ApiError> {
    let parse = |s: &str| shanhai_domain::ids::parse_id(s).ok_or_else(ApiError::not_found);
    Ok((parse(&raw.0)?, parse(&raw.1)?))
}

async fn detail(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Json<PlanDetail>> {
    let mut plan = service::get_plan(&state.db, &caller.acting(), id).await?;
    plan.word(&i18n::t, i18n::current());
    Ok(Json(plan))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Only this program's plans.
    #[param(format = Uuid)]
    program: Option<String>,
}

/// A page of plans the caller may read (newest first): the program's managers and the
/// coordinators of its parties.
#[utoipa::path(get, path = "/api/v1/plans", tag = "planning", security(("bearer" = [])), params(PageParams, PlanQuery),
    responses((status = 200, body = Page<Plan>), (status = 401, body = ErrorBody)))]
async fn list_plans(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> ApiResult<Json<Page<Plan>>> {
    Ok(Json(
        service::list_plans(
            &state.db,
            &caller.acting(),
            q.program.as_deref(),
            page.request(),
        )
        .await?,
    ))
}

/// Starts a plan for a program's open needs (one scheme's, when given) in a horizon: the solve
/// runs in the background; poll `GET /api/v1/plans/{id}` for its progress and outcome.
#[utoipa::path(post, path = "/api/v1/plans", tag = "planning", security(("bearer" = [])), request_body = PlanInput,
    responses((status = 202, body = Plan), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_plan(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    let input: PlanInput = body.parse()?;
    Ok((
        StatusCode::ACCEPTED,
        Json(service::start_plan(&state.db, &caller.acting(), &input).await?),
    ))
}

/// A plan: status, progress (thousandths), objective (priority-weighted need-days covered,
/// stated in `objective_words`), bound, the greedy baseline, whether it is stale, its proposals
/// (expert by name, title and home institution; need by label), and for each need not fully
/// covered the `reason` in words (the request's language), the structured reasons and a
/// `suggestion` in words.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = PlanDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_plan(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<PlanDetail>> {
    detail(&state, &caller, &id).await
}

/// Accepts a done plan: one transaction creates the batch (the program's next free number
/// unless given) and each proposal as an assignment under the same rules as a hand-made one.
/// Refused (409) when the plan is not done, already accepted, or stale; a proposal that breaks
/// a rule is named at `items.<id>` (422) and nothing is written.
#[utoipa::path(post, path = "/api/v1/plans/{id}/accept", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = AcceptInput,
    responses((status = 200, body = PlanDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn accept_plan(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<PlanDetail>> {
    let acting = caller.acting();
    service::may_run(&state.db, &acting, &id).await?;
    let input: AcceptInput = body.parse()?;
    let mut plan = service::accept_plan(&state.db, &acting, &id, &input).await?;
    plan.word(&i18n::t, i18n::current());
    Ok(Json(plan))
}

/// Re-solves a plan keeping its pinned proposals (clears `stale`); answers at once.
#[utoipa::path(post, path = "/api/v1/plans/{id}/solve", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 202, body = Plan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn solve_plan(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(service::resolve_plan(&state.db, &caller.acting(), &id).await?),
    ))
}

/// Adds a proposal by hand (pinned), checked against the rules (a broken rule: 422 at its
/// field); the plan re-solves around it.
#[utoipa::path(post, path = "/api/v1/plans/{id}/items", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = PlanItemInput,
    responses((status = 201, body = PlanItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_item(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<PlanItem>)> {
    let acting = caller.acting();
    service::may_run(&state.db, &acting, &id).await?;
    let input: PlanItemInput = body.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(service::add_item(&state.db, &acting, &id, &input).await?),
    ))
}

/// Moves a proposal (new dates: it becomes pinned) and/or pins or unpins it; the plan
/// re-solves.
#[utoipa::path(put, path = "/api/v1/plans/{id}/items/{item}", tag = "planning", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("item" = String, Path, format = Uuid)), request_body = PlanItemChange,
    responses((status = 200, body = PlanItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<(String, String)>,
    body: JsonBody,
) -> ApiResult<Json<PlanItem>> {
    let (id, item) = ids(raw)?;
    let acting = caller.acting();
    service::may_run(&state.db, &acting, &id).await?;
    let input: PlanItemChange = body.parse()?;
    Ok(Json(
        service::change_item(&state.db, &acting, &id, &item, &input).await?,
    ))
}

/// Removes a proposal; the plan re-solves.
#[utoipa::path(delete, path = "/api/v1/plans/{id}/items/{item}", tag = "planning", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("item" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn remove_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (id, item) = ids(raw)?;
    service::remove_item(&state.db, &caller.acting(), &id, &item).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Swaps the experts of two proposals of the plan (both become pinned), checked against the
/// rules; the plan re-solves.
#[utoipa::path(post, path = "/api/v1/plans/{id}/items/{item}/swap", tag = "planning", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("item" = String, Path, format = Uuid)), request_body = PlanSwapInput,
    responses((status = 200, body = Vec<PlanItem>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn swap_items(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<(String, String)>,
    body: JsonBody,
) -> ApiResult<Json<Vec<PlanItem>>> {
    let (id, item) = ids(raw)?;
    let acting = caller.acting();
    service::may_run(&state.db, &acting, &id).await?;
    let input: PlanSwapInput = body.parse()?;
    Ok(Json(
        service::swap_items(&state.db, &acting, &id, &item, &input).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FitsQuery {
    /// The expert (a person id).
    #[param(format = Uuid)]
    person: String,
}

/// Where an expert would fit best in the plan, best first, each in words (the need, the dates,
/// and the proposals that would have to go).
#[utoipa::path(get, path = "/api/v1/plans/{id}/fits", tag = "planning", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), FitsQuery),
    responses((status = 200, body = PlanFits), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn plan_fits(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<FitsQuery>,
) -> ApiResult<Json<PlanFits>> {
    let mut fits = service::fits(&state.db, &caller.acting(), &id, &q.person).await?;
    fits.word(&i18n::t, i18n::current());
    Ok(Json(fits))
}
