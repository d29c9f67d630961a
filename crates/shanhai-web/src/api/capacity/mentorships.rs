//! 师带徒 mentorships: a mentor's term, its apprentices and progress notes, and a program's
//! mentorship settings.

use super::*;
use shanhai_service::capacity::mentorships as mentorship;

collection!(@list mentorships, Mentorship,
    "/api/v1/mentorships", "师带徒 mentorships; `person` finds a mentor's.");

/// A mentorship: a mentor and a term at a local institution. The term ends where the program's
/// settings say unless an earlier end is given.
#[utoipa::path(post, path = "/api/v1/mentorships", tag = "capacity", security(("bearer" = [])), request_body = MentorshipInput,
    responses((status = 201, body = Mentorship), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_mentorship(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Mentorship>)> {
    let input = body.parse::<MentorshipInput>()?;
    let created = mentorship::create(&state.db, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// A mentorship with its apprentices and progress notes.
#[utoipa::path(get, path = "/api/v1/mentorships/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = MentorshipDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_mentorship(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<MentorshipDetail>> {
    Ok(Json(
        mentorship::get(&state.db, &caller.acting(), &id).await?,
    ))
}

/// Changes a mentorship, e.g. to record the end-of-term evaluation.
#[utoipa::path(put, path = "/api/v1/mentorships/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = MentorshipInput,
    responses((status = 200, body = Mentorship), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_mentorship(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Mentorship>> {
    let input = body.parse::<MentorshipInput>()?;
    Ok(Json(
        mentorship::update(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

/// Adds an apprentice (local staff). Refused (409) when the mentor already has as many
/// apprentices in the term as the program allows (3 unless its capacity settings say more).
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/apprentices", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = ApprenticeInput,
    responses((status = 201, body = Apprentice), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_apprentice(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Apprentice>)> {
    let input = body.parse::<ApprenticeInput>()?;
    let added = mentorship::add_apprentice(&state.db, &caller.acting(), &id, &input).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Adds a progress note: those who may change the mentorship, and the mentor.
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/notes", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = NoteInput,
    responses((status = 201, body = ProgressNote), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<ProgressNote>)> {
    let input = body.parse::<NoteInput>()?;
    let added = mentorship::add_note(&state.db, &caller.acting(), &id, &input).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// A program's 师带徒 settings: apprentices per mentor per term and the term's length.
#[utoipa::path(get, path = "/api/v1/programs/{id}/capacity-settings", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = CapacitySettings), (status = 404, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<CapacitySettings>> {
    Ok(Json(mentorship::settings(&state.db, &id).await?))
}

/// Sets a program's 师带徒 settings (the program's managers).
#[utoipa::path(put, path = "/api/v1/programs/{id}/capacity-settings", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = CapacitySettingsInput,
    responses((status = 200, body = CapacitySettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<CapacitySettings>> {
    let input = body.parse::<CapacitySettingsInput>()?;
    Ok(Json(
        mentorship::set_settings(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/mentorships", get(list).post(create_mentorship))
        .route(
            "/api/v1/mentorships/{id}",
            get(get_mentorship).put(update_mentorship),
        )
        .route("/api/v1/mentorships/{id}/apprentices", post(add_apprentice))
        .route("/api/v1/mentorships/{id}/notes", post(add_note))
        .route(
            "/api/v1/programs/{id}/capacity-settings",
            get(get_settings).put(put_settings),
        )
}
