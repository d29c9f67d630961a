//! Availability of donor-side experts (`/api/v1/availability`).

use crate::AppState;
use crate::api::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router, extract::State};
use serde::Deserialize;
use shanhai_domain::planning::availability::{
    Availability, AvailabilityInput, Blackout, BlackoutInput,
};
use shanhai_service::planning::availability as service;
use shanhai_store::Page;
use shanhai_store::planning::availability::AvailabilityFilter;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_availability,
        create_availability,
        get_availability,
        update_availability,
        delete_availability
    ),
    components(schemas(Availability, AvailabilityInput, Blackout, BlackoutInput))
)]
pub struct AvailabilityApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/availability",
            get(list_availability).post(create_availability),
        )
        .route(
            "/api/v1/availability/{id}",
            get(get_availability)
                .put(update_availability)
                .delete(delete_availability),
        )
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    #[param(format = Uuid)]
    person: Option<String>,
    /// People of the program's donor institutions.
    #[param(format = Uuid)]
    program: Option<String>,
    /// The experts' home institution.
    #[param(format = Uuid)]
    institution: Option<String>,
}

/// The windows the caller may read: the experts' own coordinators, the experts themselves, the
/// offices of programs in which their institutions are donors.
#[utoipa::path(get, path = "/api/v1/availability", tag = "planning", security(("bearer" = [])), params(PageParams, AvailabilityQuery),
    responses((status = 200, body = Page<Availability>), (status = 401, body = ErrorBody)))]
async fn list_availability(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<AvailabilityQuery>,
) -> ApiResult<Json<Page<Availability>>> {
    let filter = AvailabilityFilter {
        person: q.person,
        program: q.program,
        institution: q.institution,
    };
    Ok(Json(
        service::list(&state.db, &caller.acting(), &filter, page.request()).await?,
    ))
}

/// Posts a window in which a donor-side expert can go. Marks stale the open plans of the
/// programs in which the expert's institution is a donor.
#[utoipa::path(post, path = "/api/v1/availability", tag = "planning", security(("bearer" = [])), request_body = AvailabilityInput,
    responses((status = 201, body = Availability), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_availability(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Availability>)> {
    let input = body.parse::<AvailabilityInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state.db, &caller.acting(), &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/availability/{id}", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Availability), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_availability(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Availability>> {
    Ok(Json(service::get(&state.db, &caller.acting(), &id).await?))
}

/// Changes a window (its blackouts are replaced by those given).
#[utoipa::path(put, path = "/api/v1/availability/{id}", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = AvailabilityInput,
    responses((status = 200, body = Availability), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_availability(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Availability>> {
    let acting = caller.acting();
    service::may_change(&state.db, &acting, &id).await?;
    let input = body.parse::<AvailabilityInput>()?;
    Ok(Json(
        service::update(&state.db, &acting, &id, &input).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/availability/{id}", tag = "planning", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_availability(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    service::delete(&state.db, &caller.acting(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
