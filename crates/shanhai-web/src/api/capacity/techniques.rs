//! New techniques and projects (新技术新项目): a technique's record, its case log and its stages
//! from introduction to independence, with the warning a gap claim already filled earns.

use super::*;
use crate::i18n;
use shanhai_service::capacity::techniques as technique;
use shanhai_store::capacity::EarlierTechnique;

collection!(@list techniques, Technique,
    "/api/v1/techniques", "New techniques and projects (新技术新项目); `kind` filters the stage.");

/// A record as created or changed, with what the caller should know about it.
#[derive(Serialize, ToSchema)]
pub struct TechniqueWithWarnings {
    #[serde(flatten)]
    pub technique: Technique,
    /// E.g. `gap_already_filled` when the claimed gap was already filled in the area.
    pub warnings: Vec<Warning>,
}

/// The warnings of a gap claim that earlier records already filled, in the request's language.
pub fn gap_warnings(earlier: &[EarlierTechnique]) -> Vec<Warning> {
    let template = i18n::t(i18n::current(), "error.gap_already_filled");
    earlier
        .iter()
        .map(|e| Warning {
            code: "gap_already_filled".into(),
            message: template
                .replace("{institution}", &e.institution_name)
                .replace("{date}", &e.introduced_on),
        })
        .collect()
}

fn with_warnings(
    (technique, earlier): (Technique, Vec<EarlierTechnique>),
) -> TechniqueWithWarnings {
    TechniqueWithWarnings {
        technique,
        warnings: gap_warnings(&earlier),
    }
}

/// Records a new technique at a recipient, at the `introduced` stage. When it claims a gap
/// (县域空白…) that an earlier record in the same area already filled, it is still created and
/// `warnings` names the earlier record.
#[utoipa::path(post, path = "/api/v1/techniques", tag = "capacity", security(("bearer" = [])), request_body = TechniqueInput,
    responses((status = 201, body = TechniqueWithWarnings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_technique(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<TechniqueWithWarnings>)> {
    let input = body.parse::<TechniqueInput>()?;
    let created = technique::create(&state.db, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(with_warnings(created))))
}

/// A technique with its cases and its timeline from introduction to independence.
#[utoipa::path(get, path = "/api/v1/techniques/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = TechniqueDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_technique(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<TechniqueDetail>> {
    Ok(Json(
        technique::get(&state.db, &caller.acting(), &id).await?,
    ))
}

/// Changes a technique's details; the stage changes only through `POST …/stage`.
#[utoipa::path(put, path = "/api/v1/techniques/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = TechniqueInput,
    responses((status = 200, body = TechniqueWithWarnings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_technique(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<TechniqueWithWarnings>> {
    let input = body.parse::<TechniqueInput>()?;
    let changed = technique::update(&state.db, &caller.acting(), &id, &input).await?;
    Ok(Json(with_warnings(changed)))
}

/// Logs a case (date, operator, supervising expert, outcome; no patient identifiers).
#[utoipa::path(post, path = "/api/v1/techniques/{id}/cases", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = TechniqueCaseInput,
    responses((status = 201, body = TechniqueCase), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_case(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<TechniqueCase>)> {
    let input = body.parse::<TechniqueCaseInput>()?;
    let recorded = technique::record_case(&state.db, &caller.acting(), &id, &input).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

/// Moves a technique to a later stage: introduced → demonstrated → supervised → independent.
/// Refused (409, nothing changes) backwards, and to `independent` before a case by local staff.
#[utoipa::path(post, path = "/api/v1/techniques/{id}/stage", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = StageInput,
    responses((status = 200, body = Technique), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_stage(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Technique>> {
    let input = body.parse::<StageInput>()?;
    Ok(Json(
        technique::change_stage(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/techniques", get(list).post(create_technique))
        .route(
            "/api/v1/techniques/{id}",
            get(get_technique).put(update_technique),
        )
        .route("/api/v1/techniques/{id}/cases", post(record_case))
        .route("/api/v1/techniques/{id}/stage", post(change_stage))
}
