//! Teams (院士团队, 组团式 teams, specialty teams) with their members and visits. A team's data
//! belongs to the institution it serves (else its home) under the capacity policy (the service
//! decides); every write is audited. A team's figures are the program's figures scoped to it:
//! `GET /api/v1/programs/{id}/indicators?team=` and `…/briefing?team=`.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::teams::*;
use shanhai_service::teams as service;
use shanhai_store::Page;
use shanhai_store::teams::TeamFilter;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_teams,
        create_team,
        get_team,
        update_team,
        delete_team,
        add_member,
        update_member,
        remove_member,
        add_visit,
        remove_visit
    ),
    components(schemas(
        Team,
        TeamDetail,
        TeamInput,
        TeamMember,
        TeamMemberInput,
        TeamVisit,
        TeamVisitInput,
        TeamKind,
        TeamRole
    ))
)]
pub struct TeamsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(list_teams).post(create_team))
        .route(
            "/api/v1/teams/{id}",
            get(get_team).put(update_team).delete(delete_team),
        )
        .route("/api/v1/teams/{id}/members", post(add_member))
        .route(
            "/api/v1/teams/{id}/members/{person}",
            put(update_member).delete(remove_member),
        )
        .route("/api/v1/teams/{id}/visits", post(add_visit))
        .route(
            "/api/v1/teams/{id}/visits/{visit}",
            axum::routing::delete(remove_visit),
        )
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    #[param(format = Uuid)]
    program: Option<String>,
    /// The team's home or host institution.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// `academician`, `team-based`, `specialty` or `other`.
    #[param(value_type = Option<shanhai_domain::teams::TeamKind>)]
    kind: Option<String>,
    /// Teams this person is (or was) a member of.
    #[param(format = Uuid)]
    member: Option<String>,
    /// Searches the team's and the leader's names.
    q: Option<String>,
}

/// Two ids from the path; anything that is not a UUID names no record.
fn ids(path: (String, String)) -> Result<(String, String), ApiError> {
    let a = shanhai_domain::ids::parse_id(&path.0).ok_or_else(ApiError::not_found)?;
    let b = shanhai_domain::ids::parse_id(&path.1).ok_or_else(ApiError::not_found)?;
    Ok((a, b))
}

/// Teams within the caller's reach, newest first.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", security(("bearer" = [])),
    params(PageParams, TeamQuery),
    responses((status = 200, body = Page<Team>), (status = 401, body = ErrorBody)))]
async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<TeamQuery>,
) -> ApiResult<Json<Page<Team>>> {
    let filter = TeamFilter {
        program: q.program,
        institution: q.institution,
        kind: q.kind,
        member: q.member,
        q: q.q,
    };
    Ok(Json(
        service::list(&state.db, &caller.acting(), &filter, page.request()).await?,
    ))
}

/// Forms a team; its leader becomes its first member (joined on `formed_on`).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", security(("bearer" = [])),
    request_body = TeamInput,
    responses((status = 201, body = Team), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Team>)> {
    let input = body.parse::<TeamInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state.db, &caller.acting(), &input).await?),
    ))
}

/// A team with its members (name, title, institution; those who left too) and its visits.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = TeamDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_team(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<TeamDetail>> {
    Ok(Json(service::get(&state.db, &caller.acting(), &id).await?))
}

/// Changes a team; a new leader becomes a member.
#[utoipa::path(put, path = "/api/v1/teams/{id}", tag = "teams", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = TeamInput,
    responses((status = 200, body = Team), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_team(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Team>> {
    let input = body.parse::<TeamInput>()?;
    Ok(Json(
        service::update(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

/// Removes a team with its members and visits (the audit log keeps them).
#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "teams", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_team(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    service::delete(&state.db, &caller.acting(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a member (each person once: 409 when already a member).
#[utoipa::path(post, path = "/api/v1/teams/{id}/members", tag = "teams", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = TeamMemberInput,
    responses((status = 201, body = TeamMember), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<TeamMember>)> {
    let input = body.parse::<TeamMemberInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::add_member(&state.db, &caller.acting(), &id, &input).await?),
    ))
}

/// Changes a member's role and dates (`left_on`: the day they left the team).
#[utoipa::path(put, path = "/api/v1/teams/{id}/members/{person}", tag = "teams", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("person" = String, Path, format = Uuid)), request_body = TeamMemberInput,
    responses((status = 200, body = TeamMember), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<(String, String)>,
    body: JsonBody,
) -> ApiResult<Json<TeamMember>> {
    let (id, person) = ids(path)?;
    let input = body.parse::<TeamMemberInput>()?;
    Ok(Json(
        service::update_member(&state.db, &caller.acting(), &id, &person, &input).await?,
    ))
}

/// Removes a member (not the leader: 409; name another leader first).
#[utoipa::path(delete, path = "/api/v1/teams/{id}/members/{person}", tag = "teams", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("person" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (id, person) = ids(path)?;
    service::remove_member(&state.db, &caller.acting(), &id, &person).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records a visit of the team (at its host unless `institution_id` names another); it counts
/// in `team-visits` on its first day.
#[utoipa::path(post, path = "/api/v1/teams/{id}/visits", tag = "teams", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = TeamVisitInput,
    responses((status = 201, body = TeamVisit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_visit(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<TeamVisit>)> {
    let input = body.parse::<TeamVisitInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(service::add_visit(&state.db, &caller.acting(), &id, &input).await?),
    ))
}

/// Removes a visit recorded by mistake (the audit log keeps it).
#[utoipa::path(delete, path = "/api/v1/teams/{id}/visits/{visit}", tag = "teams", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("visit" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_visit(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (id, visit) = ids(path)?;
    service::remove_visit(&state.db, &caller.acting(), &id, &visit).await?;
    Ok(StatusCode::NO_CONTENT)
}
