//! Visiting-expert clinics for coordinators: sessions, their bookings, check-in and no-show.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::bookings::{Booking, BookingRequest, BookingStatus};
use shanhai_domain::clinic_sessions::*;
use shanhai_service::bookings;
use shanhai_service::clinic_sessions as service;
use shanhai_store::Page;
use shanhai_store::bookings::Contact;
use shanhai_store::clinic_sessions::{self, SessionFilter};
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_sessions,
        create_session,
        get_session,
        update_session,
        change_session,
        cancel_session,
        copy_week,
        session_bookings,
        book_for_patient,
        cancel_for_patient,
        check_in_many,
        check_in,
        no_show,
        undo_mark,
        contact
    ),
    components(schemas(
        ClinicSession,
        ClinicSessionInput,
        SessionChangeInput,
        CopyWeekInput,
        CopyWeekOutcome,
        CheckInMany,
        VisitType,
        SessionStatus,
        Booking,
        BookingStatus,
        BookingRequest,
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
            get(get_session).put(update_session).patch(change_session),
        )
        .route("/api/v1/clinic-sessions/copy-week", post(copy_week))
        .route("/api/v1/clinic-sessions/{id}/cancel", post(cancel_session))
        .route(
            "/api/v1/clinic-sessions/{id}/bookings",
            get(session_bookings).post(book_for_patient),
        )
        .route(
            "/api/v1/clinic-sessions/{id}/check-ins",
            post(check_in_many),
        )
        .route("/api/v1/bookings/{id}/cancel", post(cancel_for_patient))
        .route("/api/v1/bookings/{id}/check-in", post(check_in))
        .route("/api/v1/bookings/{id}/no-show", post(no_show))
        .route("/api/v1/bookings/{id}/undo", post(undo_mark))
        .route("/api/v1/bookings/{id}/contact", get(contact))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// The host institution.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// The expert (person id).
    #[param(format = Uuid)]
    expert: Option<String>,
    #[param(format = Uuid)]
    assignment: Option<String>,
    region: Option<String>,
    specialty: Option<String>,
    #[param(format = Date)]
    from: Option<String>,
    #[param(format = Date)]
    until: Option<String>,
    /// The booking state: `open`, `full`, `ended` (its end time has passed) or `cancelled`.
    #[param(value_type = Option<shanhai_domain::clinic_sessions::SessionStatus>)]
    status: Option<String>,
    q: Option<String>,
    /// Sessions held under an assignment of this program.
    #[param(format = Uuid)]
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
        bookable: false,
        q: q.q,
        institutions_in: None,
        program: q.program,
        outreach: q.outreach,
        conditions: Vec::new(),
    };
    Ok(Json(
        clinic_sessions::list(&state.db, &filter, page.request()).await?,
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
    let input = body.parse::<ClinicSessionInput>()?;
    let session = service::publish(&state.db, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

#[utoipa::path(get, path = "/api/v1/clinic-sessions/{id}", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClinicSession), (status = 404, body = ErrorBody)))]
async fn get_session(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ClinicSession>> {
    Ok(Json(clinic_sessions::get(&state.db, &id).await?))
}

#[utoipa::path(put, path = "/api/v1/clinic-sessions/{id}", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = ClinicSessionInput,
    responses((status = 200, body = ClinicSession), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_session(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<ClinicSession>> {
    let input = body.parse::<ClinicSessionInput>()?;
    Ok(Json(
        service::update(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

/// Changes a published session's date, time, department, capacity or note; the rest stays and
/// so do its bookings. 409 for a cancelled or ended session; 422 for a capacity below the places
/// booked, a day in the past, or an end before the start.
#[utoipa::path(patch, path = "/api/v1/clinic-sessions/{id}", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = SessionChangeInput,
    responses((status = 200, body = ClinicSession), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_session(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<ClinicSession>> {
    let input = body.parse::<SessionChangeInput>()?;
    Ok(Json(
        service::change(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

/// Copies a week's sessions at a host to another week, each on the same weekday (cancelled ones
/// left out; past days and an expert's session already there skipped).
#[utoipa::path(post, path = "/api/v1/clinic-sessions/copy-week", tag = "clinics", security(("bearer" = [])),
    request_body = CopyWeekInput,
    responses((status = 201, body = CopyWeekOutcome), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn copy_week(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<CopyWeekOutcome>)> {
    let input = body.parse::<CopyWeekInput>()?;
    let outcome = service::copy_week(&state.db, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}

/// Bookings to check in together.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckInMany {
    #[schema(format = Uuid)]
    pub booking_ids: Vec<String>,
}

/// Checks in several confirmed bookings of the session at once: all of them or none (409 when
/// one is not confirmed, 404 when one is not this session's).
#[utoipa::path(post, path = "/api/v1/clinic-sessions/{id}/check-ins", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = CheckInMany,
    responses((status = 200, body = Vec<Booking>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn check_in_many(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Vec<Booking>>> {
    let input = body.parse::<CheckInMany>()?;
    Ok(Json(
        service::check_in_many(&state.db, &caller.acting(), &id, &input.booking_ids).await?,
    ))
}

/// Cancels a session (停诊). Its bookings stay listed so every patient can be contacted.
#[utoipa::path(post, path = "/api/v1/clinic-sessions/{id}/cancel", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClinicSession), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_session(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ClinicSession>> {
    Ok(Json(
        service::cancel(&state.db, &caller.acting(), &id).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingQuery {
    /// `confirmed`, `waitlisted`, `cancelled`, `checked-in` or `no-show`.
    #[param(value_type = Option<shanhai_domain::bookings::BookingStatus>)]
    status: Option<String>,
}

/// A session's bookings, identifiers masked (the read is audited).
#[utoipa::path(get, path = "/api/v1/clinic-sessions/{id}/bookings", tag = "clinics", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), PageParams, BookingQuery),
    responses((status = 200, body = Page<Booking>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn session_bookings(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<BookingQuery>,
) -> ApiResult<Json<Page<Booking>>> {
    Ok(Json(
        service::bookings(
            &state.db,
            &caller.acting(),
            &id,
            q.status.as_deref(),
            page.request(),
        )
        .await?,
    ))
}

/// Books a place for a patient on the patient's behalf (a hospital's registration desk or its own
/// system, signed in as a coordinator of the session's host): the public booking's rules and
/// rush-proof path, the per-address limits aside. 201 confirmed; 202 on the waiting list when
/// `waitlist` is asked for and the session is full; 409 when it is full.
#[utoipa::path(post, path = "/api/v1/clinic-sessions/{id}/bookings", tag = "clinics", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = BookingRequest,
    responses((status = 201, body = Booking), (status = 202, body = Booking), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn book_for_patient(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Booking>)> {
    let request = body.parse::<BookingRequest>()?;
    let seen =
        bookings::book_on_behalf(&state.db, &state.desk, &caller.acting(), &id, &request).await?;
    let booking = seen.into_booking().ok_or_else(ApiError::forbidden)?;
    let status = if booking.status == BookingStatus::Waitlisted {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(booking)))
}

/// Cancels a booking on the patient's behalf (for the session's host; a confirmed or waiting
/// booking only, 409 otherwise); the first waiting patient gets the place.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Booking), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_for_patient(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Booking>> {
    let seen = bookings::cancel_on_behalf(&state.db, &caller.acting(), &id).await?;
    Ok(Json(seen.into_booking().ok_or_else(ApiError::forbidden)?))
}

/// Marks a confirmed booking as checked in (on or after the session's day).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/check-in", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Booking), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn check_in(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Booking>> {
    let acting = caller.acting();
    Ok(Json(
        service::mark(&state.db, &acting, &id, None, BookingStatus::CheckedIn).await?,
    ))
}

/// Marks a confirmed booking as a no-show (on or after the session's day).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/no-show", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Booking), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn no_show(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Booking>> {
    let acting = caller.acting();
    Ok(Json(
        service::mark(&state.db, &acting, &id, None, BookingStatus::NoShow).await?,
    ))
}

/// Undoes a check-in or a no-show: the booking is confirmed again (audited).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/undo", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Booking), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn undo_mark(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Booking>> {
    let acting = caller.acting();
    Ok(Json(
        service::mark(&state.db, &acting, &id, None, BookingStatus::Confirmed).await?,
    ))
}

/// The patient's name and phone number, to call them about a cancelled session (停诊): for the
/// host institution's coordinators only (403 for anyone else), and only once the session is
/// cancelled (409 before). Each reveal is an audited read.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/contact", tag = "clinics", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Contact), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn contact(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Contact>> {
    let cipher = state.desk.cipher();
    Ok(Json(
        service::reveal_contact(&state.db, cipher, &caller.acting(), &id, None).await?,
    ))
}
