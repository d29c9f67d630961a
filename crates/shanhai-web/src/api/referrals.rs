//! Two-way referrals (C5): the sending and receiving institutions' staff move a referral along;
//! figures carry no patient details.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::referrals::*;
use shanhai_service::referrals as service;
use shanhai_store::Page;
use shanhai_store::referrals::ReferralFilter;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(list_referrals, create_referral, referral_figures, get_referral, act),
    components(schemas(
        Referral,
        ReferralInput,
        ReferralTransitionInput,
        ReferralEvent,
        ReferralFigures,
        Direction,
        ReferralState,
        ReferralAction
    ))
)]
pub struct ReferralsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/referrals",
            get(list_referrals).post(create_referral),
        )
        .route("/api/v1/referrals/figures", get(referral_figures))
        .route("/api/v1/referrals/{id}", get(get_referral))
        .route("/api/v1/referrals/{id}/{action}", post(act))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferralQuery {
    #[param(value_type = Option<shanhai_domain::referrals::ReferralState>)]
    state: Option<String>,
    /// `up` or `down`.
    #[param(value_type = Option<shanhai_domain::referrals::Direction>)]
    direction: Option<String>,
    /// Sent from or to this institution.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// The program linking the two hospitals.
    #[param(format = Uuid)]
    program: Option<String>,
    /// Sent on or after this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    from: Option<String>,
    /// Sent on or before this date.
    #[param(format = Date)]
    until: Option<String>,
    /// `true`: only patients leaving the province (大病出区); `false`: only those staying.
    leaving: Option<bool>,
    /// Sent from this institution.
    #[param(format = Uuid)]
    from_institution: Option<String>,
    /// Sent to this institution.
    #[param(format = Uuid)]
    to_institution: Option<String>,
    /// `true`: only finished referrals (declined, referred back down, closed, cancelled).
    finished: Option<bool>,
    /// Words in the reason, either institution's name or the sender's name.
    q: Option<String>,
}

/// Referrals sent from or to the caller's institution (all, for the platform admin).
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals", security(("bearer" = [])), params(PageParams, ReferralQuery),
    responses((status = 200, body = Page<Referral>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_referrals(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<ReferralQuery>,
) -> ApiResult<Json<Page<Referral>>> {
    let filter = ReferralFilter {
        state: q.state,
        direction: q.direction,
        institution: q.institution,
        program: q.program,
        from: q.from,
        until: q.until,
        leaves_region: q.leaving,
        from_institution: q.from_institution,
        to_institution: q.to_institution,
        finished: q.finished.unwrap_or(false),
        q: q.q,
        ..Default::default()
    };
    Ok(Json(
        service::list(&state.db, &caller.acting(), filter, page.request()).await?,
    ))
}

/// Refers a patient up or down (clinicians and coordinators of the sending institution), citing
/// if need be a consultation the author sees.
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals", security(("bearer" = [])), request_body = ReferralInput,
    responses((status = 201, body = Referral), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_referral(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Referral>)> {
    let input = body.parse::<ReferralInput>()?;
    let cipher = state.desk.cipher();
    let created = service::refer(&state.db, cipher, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Referral figures without patient details: up, down, leaving the region vs staying, returned.
/// The platform admin and program offices (their own program) see them.
#[utoipa::path(get, path = "/api/v1/referrals/figures", tag = "referrals", security(("bearer" = [])), params(super::FiguresQuery),
    responses((status = 200, body = ReferralFigures), (status = 403, body = ErrorBody)))]
async fn referral_figures(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<super::FiguresQuery>,
) -> ApiResult<Json<ReferralFigures>> {
    let acting = caller.acting();
    Ok(Json(
        service::figures(&state.db, &acting, q.program, q.region, q.from, q.until).await?,
    ))
}

/// The referral with its steps (the read is audited).
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Referral), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_referral(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Referral>> {
    let (referral, _, _) = service::read(&state.db, &caller.acting(), &id).await?;
    Ok(Json(referral))
}

/// `accept`, `decline` (note = reason), `arrive` (the arrival notice to the sender), `treat`,
/// `down-refer` or `close` (note = outcome) by the receiving institution; `cancel` by the sender
/// before the patient arrives. Anything else in the current state answers 409.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/{action}", tag = "referrals", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("action" = ReferralAction, Path)), request_body = ReferralTransitionInput,
    responses((status = 200, body = Referral), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw_id, raw_action)): Path<(String, String)>,
    body: JsonBody,
) -> ApiResult<Json<Referral>> {
    let id = shanhai_domain::ids::parse_id(&raw_id).ok_or_else(ApiError::not_found)?;
    let action = ReferralAction::parse(&raw_action).ok_or_else(ApiError::not_found)?;
    let acting = caller.acting();
    service::may_take(&state.db, &acting, &id, action).await?;
    let input = body.parse::<ReferralTransitionInput>()?;
    Ok(Json(
        service::act(&state.db, &acting, &id, action, &input).await?,
    ))
}
