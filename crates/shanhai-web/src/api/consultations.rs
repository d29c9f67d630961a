//! Remote consultations (C4): requests, the state machine's transitions and signed opinions.
//! Who sees a case and who may move it is the domain's policy (`sees`, `may_act`,
//! `ConsultationScope`); each read is audited.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::consultations::*;
use shanhai_service::consultations as service;
use shanhai_store::Page;
use shanhai_store::consultations::ConsultationFilter;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_consultations,
        create_consultation,
        consultation_figures,
        get_targets,
        set_targets,
        get_consultation,
        act
    ),
    components(schemas(
        ConsultationFigures,
        InstitutionCount,
        TargetsInput,
        TargetHours,
        Consultation,
        ConsultationInput,
        PatientInput,
        TransitionInput,
        ConsultationType,
        Urgency,
        ConsultationState,
        ConsultationAction,
        ConsultationExpert,
        Opinion,
        ConsultationEvent,
    ))
)]
pub struct ConsultationsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/consultations",
            get(list_consultations).post(create_consultation),
        )
        .route("/api/v1/consultations/figures", get(consultation_figures))
        .route(
            "/api/v1/programs/{id}/consultation-targets",
            get(get_targets).put(set_targets),
        )
        .route("/api/v1/consultations/{id}", get(get_consultation))
        .route("/api/v1/consultations/{id}/{action}", post(act))
}

/// Whether the caller sees the consultation (the domain's rule, [`sees`]).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsultationQuery {
    #[param(value_type = Option<shanhai_domain::consultations::ConsultationState>)]
    state: Option<String>,
    /// Requested by or asked of this institution.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// `true`: only those past their turnaround target.
    overdue: Option<bool>,
    /// The program linking the two hospitals.
    #[param(format = Uuid)]
    program: Option<String>,
    /// A type code: `general`, `mdt`, `difficult-case`, `imaging`, `pathology`,
    /// `surgical-guidance`.
    #[param(value_type = Option<shanhai_domain::consultations::ConsultationType>)]
    r#type: Option<String>,
    /// Requested on or after this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    from: Option<String>,
    /// Requested on or before this date.
    #[param(format = Date)]
    until: Option<String>,
    /// Requested by this institution only.
    #[param(format = Uuid)]
    requested_by: Option<String>,
}

/// Consultations the caller sees: the two hospitals' coordinators and clinicians, the assigned
/// experts (all, for the platform admin).
#[utoipa::path(get, path = "/api/v1/consultations", tag = "consultations", security(("bearer" = [])),
    params(PageParams, ConsultationQuery),
    responses((status = 200, body = Page<Consultation>), (status = 401, body = ErrorBody)))]
async fn list_consultations(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<ConsultationQuery>,
) -> ApiResult<Json<Page<Consultation>>> {
    let filter = ConsultationFilter {
        state: q.state,
        institution: q.institution,
        overdue_only: q.overdue.unwrap_or(false),
        program: q.program,
        kind: q.r#type,
        from: q.from,
        until: q.until,
        requested_by: q.requested_by,
        ..Default::default()
    };
    Ok(Json(
        service::list(&state.db, &caller.acting(), filter, page.request()).await?,
    ))
}

/// Requests a consultation from a donor hospital (clinicians and coordinators of the
/// requesting hospital).
#[utoipa::path(post, path = "/api/v1/consultations", tag = "consultations", security(("bearer" = [])),
    request_body = ConsultationInput,
    responses((status = 201, body = Consultation), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_consultation(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Consultation>)> {
    let input = body.parse::<ConsultationInput>()?;
    let cipher = state.desk.cipher();
    let created = service::request(&state.db, cipher, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The consultation with its experts, opinions and history (the read is audited).
#[utoipa::path(get, path = "/api/v1/consultations/{id}", tag = "consultations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Consultation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_consultation(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Consultation>> {
    let (consultation, _, _) = service::read(&state.db, &caller.acting(), &id).await?;
    Ok(Json(consultation))
}

/// Moves the consultation on: `accept`, `decline` (`reason`), `schedule` (`scheduled_at`),
/// `hold`, `sign` (`opinion`; an assigned expert; signing again adds an amended version), `close`
/// (`decision`, by the requester), `cancel` (by the requester, before it is held). An action
/// the current state does not allow answers 409 and changes nothing.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/{action}", tag = "consultations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("action" = ConsultationAction, Path)), request_body = TransitionInput,
    responses((status = 200, body = Consultation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw_id, raw_action)): Path<(String, String)>,
    body: JsonBody,
) -> ApiResult<Json<Consultation>> {
    let id = shanhai_domain::ids::parse_id(&raw_id).ok_or_else(ApiError::not_found)?;
    let action = ConsultationAction::parse(&raw_action).ok_or_else(ApiError::not_found)?;
    let acting = caller.acting();
    // Who may act is decided before the body is judged.
    service::parties(&state.db, &acting, &id).await?;
    let input: TransitionInput = body.parse()?;
    Ok(Json(
        service::transition(&state.db, &acting, &id, action, &input).await?,
    ))
}

/// De-identified consultation figures: counts by type, state and institution, turnaround
/// against the targets, overdue now. The platform admin and program offices (their own
/// program) see them.
#[utoipa::path(get, path = "/api/v1/consultations/figures", tag = "consultations", security(("bearer" = [])), params(super::FiguresQuery),
    responses((status = 200, body = ConsultationFigures), (status = 403, body = ErrorBody)))]
async fn consultation_figures(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<super::FiguresQuery>,
) -> ApiResult<Json<ConsultationFigures>> {
    let acting = caller.acting();
    Ok(Json(
        service::figures(&state.db, &acting, q.program, q.region, q.from, q.until).await?,
    ))
}

/// The program's consultation turnaround targets in hours (defaults: 急会诊 2 h to accept and
/// 24 h to report, 普通 24 h and 48 h). Anyone signed in may read them.
#[utoipa::path(get, path = "/api/v1/programs/{id}/consultation-targets", tag = "consultations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = TargetsInput), (status = 404, body = ErrorBody)))]
async fn get_targets(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<TargetsInput>> {
    Ok(Json(service::targets(&state.db, &id).await?.into()))
}

/// Sets the program's turnaround targets (its office or the platform admin). New requests get
/// deadlines from them; requests already filed keep theirs.
#[utoipa::path(put, path = "/api/v1/programs/{id}/consultation-targets", tag = "consultations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = TargetsInput,
    responses((status = 200, body = TargetsInput), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_targets(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<TargetsInput>> {
    let input = body.parse::<TargetsInput>()?;
    Ok(Json(
        service::set_targets(&state.db, &caller.acting(), &id, &input)
            .await?
            .into(),
    ))
}
