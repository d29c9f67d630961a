//! The public side (家门口看名医): find a visiting expert's clinic and book it, without an
//! account. Phone and ID numbers only travel in request bodies, never in URLs.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::PublicCaller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::bookings::{BookingLookup, BookingRequest, PublicBooking};
use shanhai_domain::clinic_sessions::ClinicSession;
use shanhai_service::bookings as service;
use shanhai_store::Page;
use shanhai_store::bookings::BookOutcome;
use shanhai_store::clinic_sessions::{self, SessionFilter};
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(search_sessions, get_public_session, book, lookup, cancel),
    components(schemas(BookingRequest, BookingLookup, PublicBooking))
)]
pub struct PublicApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/public/sessions", get(search_sessions))
        .route("/api/v1/public/sessions/{id}", get(get_public_session))
        .route("/api/v1/public/sessions/{id}/bookings", post(book))
        .route("/api/v1/public/bookings/lookup", post(lookup))
        .route("/api/v1/public/bookings/cancel", post(cancel))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PublicSessionQuery {
    /// A GB/T 2260 region code: hospitals in it or below.
    pub region: Option<String>,
    /// A 诊疗科目 code, e.g. `07` 儿科.
    pub specialty: Option<String>,
    /// A hospital id.
    #[param(format = Uuid)]
    pub institution: Option<String>,
    /// A single day (`YYYY-MM-DD`).
    #[param(format = Date)]
    pub date: Option<String>,
    #[param(format = Date)]
    pub from: Option<String>,
    #[param(format = Date)]
    pub until: Option<String>,
    /// Search in the expert's and the hospital's names.
    pub q: Option<String>,
}

impl PublicSessionQuery {
    /// Sessions that still take bookings (open or full with a waitlist), from today on; a
    /// session of today whose end time has passed is not offered.
    pub fn filter(&self) -> SessionFilter {
        let today = shanhai_store::today().to_string();
        let from = self
            .date
            .clone()
            .or_else(|| self.from.clone())
            .filter(|d| *d >= today)
            .unwrap_or(today);
        SessionFilter {
            region: self.region.clone(),
            specialty: self.specialty.clone(),
            institution: self.institution.clone(),
            from: Some(from),
            until: self.date.clone().or_else(|| self.until.clone()),
            q: self.q.clone(),
            bookable: true,
            ..Default::default()
        }
    }
}

/// Visiting-expert clinics that still take bookings, from today on (`status` says `open` or
/// `full`; a full one takes waitlist bookings). Sessions whose end time has passed are left out.
#[utoipa::path(get, path = "/api/v1/public/sessions", tag = "public", params(PageParams, PublicSessionQuery),
    responses((status = 200, body = Page<ClinicSession>), (status = 429, body = ErrorBody)))]
async fn search_sessions(
    State(state): State<AppState>,
    _caller: PublicCaller,
    uri: axum::http::Uri,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<PublicSessionQuery>,
) -> ApiResult<Response> {
    let key = uri.query().unwrap_or("").to_string();
    let body = match state.public_search.get(&key) {
        Some(cached) => cached,
        None => {
            let page = clinic_sessions::list(&state.db, &q.filter(), page.request()).await?;
            let body = std::sync::Arc::new(serde_json::to_vec(&page).unwrap_or_default());
            state.public_search.put(key, body.clone());
            body
        }
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.as_ref().clone(),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/public/sessions/{id}", tag = "public", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ClinicSession), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn get_public_session(
    State(state): State<AppState>,
    _caller: PublicCaller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ClinicSession>> {
    Ok(Json(clinic_sessions::get(&state.db, &id).await?))
}

/// Books a slot: 201 with the booking code; 202 with the waitlist position when the session is
/// full and `"waitlist": true`; 409 naming the reason when full, already booked by the same
/// person, cancelled (`error.session_closed`) or ended — its end time (Beijing time) has passed
/// (`error.session_ended`);
/// 422 naming the field for a bad name, phone or ID number.
#[utoipa::path(post, path = "/api/v1/public/sessions/{id}/bookings", tag = "public", params(("id" = String, Path, format = Uuid)),
    request_body = BookingRequest,
    responses((status = 201, body = PublicBooking), (status = 202, body = PublicBooking), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn book(
    State(state): State<AppState>,
    caller: PublicCaller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Response> {
    let request = body.parse::<BookingRequest>()?;
    Ok(
        match service::book(&state.desk, &caller.actor(), &id, &request).await? {
            BookOutcome::Confirmed(b) => (StatusCode::CREATED, Json(b)).into_response(),
            BookOutcome::Waitlisted(b) => (StatusCode::ACCEPTED, Json(b)).into_response(),
        },
    )
}

/// Finds a booking by its code and the phone number it was made with.
#[utoipa::path(post, path = "/api/v1/public/bookings/lookup", tag = "public", request_body = BookingLookup,
    responses((status = 200, body = PublicBooking), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn lookup(
    State(state): State<AppState>,
    caller: PublicCaller,
    body: JsonBody,
) -> ApiResult<Json<PublicBooking>> {
    let req: BookingLookup = body.parse()?;
    Ok(Json(
        service::lookup(&state.db, &state.desk, &caller.actor(), &req).await?,
    ))
}

/// Cancels a booking by its code and phone number; the first waiting patient gets the place.
#[utoipa::path(post, path = "/api/v1/public/bookings/cancel", tag = "public", request_body = BookingLookup,
    responses((status = 200, body = PublicBooking), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    caller: PublicCaller,
    body: JsonBody,
) -> ApiResult<Json<PublicBooking>> {
    let req: BookingLookup = body.parse()?;
    Ok(Json(
        service::cancel(&state.db, &state.desk, &caller.actor(), &req).await?,
    ))
}
