//! Specialty alliances (专科联盟) led by an institution, and their member institutions.

use super::*;
use shanhai_service::capacity::alliances as alliance;

collection!(@list alliances, Alliance,
    "/api/v1/alliances", "Specialty alliances (专科联盟) led by an institution.");

#[utoipa::path(post, path = "/api/v1/alliances", tag = "capacity", security(("bearer" = [])), request_body = AllianceInput,
    responses((status = 201, body = Alliance), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_alliance(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Alliance>)> {
    let input = body.parse::<AllianceInput>()?;
    let created = alliance::create(&state.db, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// An alliance with its member institutions.
#[utoipa::path(get, path = "/api/v1/alliances/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AllianceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_alliance(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<AllianceDetail>> {
    Ok(Json(alliance::get(&state.db, &caller.acting(), &id).await?))
}

#[utoipa::path(put, path = "/api/v1/alliances/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = AllianceInput,
    responses((status = 200, body = Alliance), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_alliance(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Alliance>> {
    let input = body.parse::<AllianceInput>()?;
    Ok(Json(
        alliance::update(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

/// Adds a member institution (those who may change the lead institution's data).
#[utoipa::path(post, path = "/api/v1/alliances/{id}/members", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = AllianceMemberInput,
    responses((status = 201, body = AllianceMember), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<AllianceMember>)> {
    let input = body.parse::<AllianceMemberInput>()?;
    let added = alliance::add_member(&state.db, &caller.acting(), &id, &input).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alliances", get(list).post(create_alliance))
        .route(
            "/api/v1/alliances/{id}",
            get(get_alliance).put(update_alliance),
        )
        .route("/api/v1/alliances/{id}/members", post(add_member))
}
