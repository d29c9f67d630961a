//! Two-way referrals (C5): the sending and receiving institutions' staff move a referral along;
//! figures carry no patient details.

use super::{ApiQuery, IdPath, JsonBody, PageParams, allow, named_or_own};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::Invalid;
use shanhai_domain::access::Principal;
use shanhai_domain::codes::Role;
use shanhai_domain::referrals::*;
use shanhai_store::audit::Actor;
use shanhai_store::referrals::{self, ReferralFilter};
use shanhai_store::{Page, StoreError};
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

/// Clinicians and coordinators of the institution, or the platform admin.
fn staff_of(caller: &Caller, institution: &str) -> bool {
    is_staff_of(&caller.principal, institution)
}

/// Refers a patient for the API and the pages alike: the author must be staff of the sending
/// institution and see the consultation the referral cites (an unseen one is refused as an
/// unknown id: 422 on `consultation_id`).
pub async fn create(
    state: &AppState,
    principal: &Principal,
    person: Option<&str>,
    actor: &Actor,
    sender_name: &str,
    new: &NewReferral,
) -> ApiResult<Referral> {
    let from = named_or_own(&new.from_institution_id, principal, "from_institution_id")?;
    allow(is_staff_of(principal, &from))?;
    if let Some(cited) = &new.consultation_id {
        let unknown = || Invalid::new("consultation_id", "error.bad_reference");
        let parties = match shanhai_store::consultations::parties(&state.db, cited).await {
            Err(StoreError::NotFound) => return Err(unknown().into()),
            other => other?,
        };
        if !may_cite_consultation(principal, person, &parties) {
            return Err(unknown().into());
        }
    }
    Ok(referrals::create(
        &state.db,
        state.desk.cipher(),
        actor,
        sender_name,
        &from,
        new,
    )
    .await?)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferralQuery {
    state: Option<String>,
    /// `up` or `down`.
    direction: Option<String>,
    /// Sent from or to this institution.
    institution: Option<String>,
    /// The program linking the two hospitals.
    program: Option<String>,
    /// Sent on or after this date (`YYYY-MM-DD`).
    from: Option<String>,
    /// Sent on or before this date.
    until: Option<String>,
    /// `true`: only patients leaving the province (大病出区); `false`: only those staying.
    leaving: Option<bool>,
    /// Sent from this institution.
    from_institution: Option<String>,
    /// Sent to this institution.
    to_institution: Option<String>,
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
    let p = &caller.principal;
    let visible_to_institution = if p.is_admin() {
        None
    } else {
        allow(matches!(p.role, Role::Coordinator | Role::Clinician))?;
        Some(p.institution_id.clone().unwrap_or_default())
    };
    let filter = ReferralFilter {
        state: q.state,
        direction: q.direction,
        institution: q.institution,
        visible_to_institution,
        program: q.program,
        from: q.from,
        until: q.until,
        leaves_region: q.leaving,
        from_institution: q.from_institution,
        to_institution: q.to_institution,
        ..Default::default()
    };
    Ok(Json(
        referrals::list(&state.db, &filter, page.request()).await?,
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
    let p = &caller.principal;
    allow(matches!(
        p.role,
        Role::PlatformAdmin | Role::Coordinator | Role::Clinician
    ))?;
    let new = body.parse::<ReferralInput>()?.parse()?;
    let created = create(
        &state,
        p,
        caller.user.person_id.as_deref(),
        &caller.actor(),
        &caller.user.display_name,
        &new,
    )
    .await?;
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
    let program = super::figures_program(&caller.principal, q.program)?;
    let filter = ReferralFilter {
        program,
        region: q.region,
        from: q.from,
        until: q.until,
        ..Default::default()
    };
    Ok(Json(referrals::figures(&state.db, &filter).await?))
}

/// The referral with its steps (the read is audited).
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Referral), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_referral(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Referral>> {
    let (from, to) = referrals::parties(&state.db, &id).await?;
    allow(staff_of(&caller, &from) || staff_of(&caller, &to))?;
    Ok(Json(
        referrals::read(&state.db, &caller.actor(), &id).await?,
    ))
}

/// `accept`, `decline` (note = reason), `arrive` (the arrival notice to the sender), `treat`,
/// `down-refer` or `close` (note = outcome) by the receiving institution; `cancel` by the sender
/// before the patient arrives. Anything else in the current state answers 409.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/{action}", tag = "referrals", security(("bearer" = [])),
    params(("id" = String, Path), ("action" = ReferralAction, Path)), request_body = ReferralTransitionInput,
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
    let (from, to) = referrals::parties(&state.db, &id).await?;
    allow(may_act(&caller.principal, &from, &to, action))?;
    let note = body.parse::<ReferralTransitionInput>()?.parse(action)?;
    Ok(Json(
        referrals::transition(&state.db, &caller.actor(), &id, action, note).await?,
    ))
}
