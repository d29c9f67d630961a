//! Visiting-expert clinics for coordinators: sessions, their bookings, check-in and no-show.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::{AccessFacts, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::booking::{Booking, BookingStatus};
use shanhai_domain::clinics::*;
use shanhai_store::bookings::{self, Contact};
use shanhai_store::clinics::{self, SessionFilter};
use shanhai_store::{Page, StoreError};
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_sessions,
        create_session,
        get_session,
        update_session,
        cancel_session,
        session_bookings,
        check_in,
        no_show,
        contact
    ),
    components(schemas(
        ClinicSession,
        ClinicSessionInput,
        VisitType,
        SessionStatus,
        Booking,
        BookingStatus,
        Contact
    ))
)]
pub struct ClinicsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/clinic-sessions",
            get(list_sessions).post(create_session),
        )
        .route(
            "/api/v1/clinic-sessions/{id}",
            get(get_session).put(update_session),
        )
        .route("/api/v1/clinic-sessions/{id}/cancel", post(cancel_session))
        .route(
            "/api/v1/clinic-sessions/{id}/bookings",
            get(session_bookings),
        )
        .route("/api/v1/bookings/{id}/check-in", post(check_in))
        .route("/api/v1/bookings/{id}/no-show", post(no_show))
        .route("/api/v1/bookings/{id}/contact", get(contact))
}

/// Whoever runs the host institution's clinics.
async fn may_run(state: &AppState, caller: &Caller, institution_id: &str) -> ApiResult<()> {
    let facts = AccessFacts::load(state).await?;
    if caller
        .principal
        .can_run_clinics(facts.access(&caller.principal, institution_id))
    {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// The host institution.
    institution: Option<String>,
    /// The expert (person id).
    expert: Option<String>,
    assignment: Option<String>,
    region: Option<String>,
    specialty: Option<String>,
    from: Option<String>,
    until: Option<String>,
    /// `open` or `cancelled`.
    status: Option<String>,
    q: Option<String>,
    /// Sessions held under an assignment of this program.
    program: Option<String>,
    /// `true`: only outreach sessions (义诊, 巡回诊疗); `false`: only hospital clinics.
    outreach: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/clinic-sessions", tag = "clinics", security(("bearer" = [])), params(PageParams, SessionQuery),
    responses((status = 200, body = Page<ClinicSession>), (status = 401, body = ErrorBody)))]
async fn list_sessions(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<SessionQuery>,
) -> ApiResult<Json<Page<ClinicSession>>> {
    let filter = SessionFilter {
        institution: q.institution,
        expert: q.expert,
        assignment: q.assignment,
        region: q.region,
        specialty: q.specialty,
        from: q.from,
        until: q.until,
        status: q.status,
        q: q.q,
        institutions_in: None,
        program: q.program,
        outreach: q.outreach,
    };
    Ok(Json(
        clinics::list(&state.db, &filter, page.request()).await?,
    ))
}

/// Publishes a clinic session of an expert at a hospital department or an outreach site.
#[utoipa::path(post, path = "/api/v1/clinic-sessions", tag = "clinics", security(("bearer" = [])), request_body = ClinicSessionInput,
    responses((status = 201, body = ClinicSession), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_session(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<ClinicSession>)> {
    let new = body.parse::<ClinicSessionInput>()?.parse()?;
    may_run(&state, &caller, &new.institution_id).await?;
    new.check_publishable(shanhai_store::today())?;
    Ok((
        StatusCode::CREATED,
        Json(clinics::create(&state.db, &caller.actor(), &new).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/clinic-sessions/{id}", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ClinicSession), (status = 404, body = ErrorBody)))]
async fn get_session(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ClinicSession>> {
    Ok(Json(clinics::get(&state.db, &id).await?))
}

#[utoipa::path(put, path = "/api/v1/clinic-sessions/{id}", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ClinicSessionInput,
    responses((status = 200, body = ClinicSession), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_session(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<ClinicSession>> {
    let before = clinics::get(&state.db, &id).await?;
    may_run(&state, &caller, &before.institution_id).await?;
    let new = body.parse::<ClinicSessionInput>()?.parse()?;
    may_run(&state, &caller, &new.institution_id).await?;
    Ok(Json(
        clinics::update(&state.db, &caller.actor(), &id, &new).await?,
    ))
}

/// Cancels a session (停诊). Its bookings stay listed so every patient can be contacted.
#[utoipa::path(post, path = "/api/v1/clinic-sessions/{id}/cancel", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ClinicSession), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_session(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ClinicSession>> {
    let before = clinics::get(&state.db, &id).await?;
    may_run(&state, &caller, &before.institution_id).await?;
    Ok(Json(
        clinics::cancel(&state.db, &caller.actor(), &id).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingQuery {
    /// `confirmed`, `waitlisted`, `cancelled`, `checked-in` or `no-show`.
    status: Option<String>,
}

/// A session's bookings, identifiers masked (the read is audited).
#[utoipa::path(get, path = "/api/v1/clinic-sessions/{id}/bookings", tag = "clinics", security(("bearer" = [])),
    params(("id" = String, Path), PageParams, BookingQuery),
    responses((status = 200, body = Page<Booking>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn session_bookings(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<BookingQuery>,
) -> ApiResult<Json<Page<Booking>>> {
    let session = clinics::get(&state.db, &id).await?;
    may_run(&state, &caller, &session.institution_id).await?;
    Ok(Json(
        bookings::list_for_session(
            &state.db,
            &caller.actor(),
            &id,
            q.status.as_deref(),
            page.request(),
        )
        .await?,
    ))
}

async fn booking_host(state: &AppState, caller: &Caller, booking_id: &str) -> ApiResult<()> {
    let booking = bookings::get(&state.db, booking_id).await?;
    let session = clinics::get(&state.db, &booking.session_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found(),
            other => other.into(),
        })?;
    may_run(state, caller, &session.institution_id).await
}

/// Marks a confirmed booking as checked in (on or after the session's day).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/check-in", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Booking), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn check_in(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Booking>> {
    booking_host(&state, &caller, &id).await?;
    Ok(Json(
        bookings::mark(&state.db, &caller.actor(), &id, BookingStatus::CheckedIn).await?,
    ))
}

/// Marks a confirmed booking as a no-show (on or after the session's day).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/no-show", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Booking), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn no_show(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Booking>> {
    booking_host(&state, &caller, &id).await?;
    Ok(Json(
        bookings::mark(&state.db, &caller.actor(), &id, BookingStatus::NoShow).await?,
    ))
}

/// The patient's name and phone number, to call them about a cancelled session (停诊): for the
/// host institution's coordinators only (403 for anyone else), and only once the session is
/// cancelled (409 before). Each reveal is an audited read.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/contact", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Contact), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn contact(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Contact>> {
    let booking = bookings::get(&state.db, &id).await?;
    let session = clinics::get(&state.db, &booking.session_id).await?;
    caller.principal.may_reveal_booking_contact(
        &session.institution_id,
        session.status == SessionStatus::Cancelled,
    )?;
    Ok(Json(
        bookings::contact(&state.db, state.desk.cipher(), &caller.actor(), &id).await?,
    ))
}
