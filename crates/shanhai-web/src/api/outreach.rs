//! Outreach events (义诊, 巡回诊疗, 健康讲座/科普, 筛查): list with filters, read, record, change,
//! delete, and the clinic sessions held at an event. Access as every capacity record (the
//! service asks the domain's policy); the handlers read the request and answer JSON.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::capacity::{
    OutreachEvent, OutreachEventInput, OutreachExpert, OutreachKind, PlaceKind,
};
use shanhai_domain::clinic_sessions::ClinicSession;
use shanhai_service::capacity::{CapacityFilter, outreach as service};
use shanhai_store::Page;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(list, create, get_one, update, remove, sessions, link_session),
    components(schemas(
        OutreachEvent,
        OutreachEventInput,
        OutreachExpert,
        OutreachKind,
        PlaceKind,
        SessionLink
    ))
)]
pub struct OutreachApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/outreach-events", get(list).post(create))
        .route(
            "/api/v1/outreach-events/{id}",
            get(get_one).put(update).delete(remove),
        )
        .route("/api/v1/outreach-events/{id}/sessions", get(sessions))
        .route(
            "/api/v1/clinic-sessions/{id}/outreach-event",
            put(link_session),
        )
}

/// The filters of the events list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutreachQuery {
    #[param(format = Uuid)]
    program: Option<String>,
    /// The local institution the events count at.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// `free-clinic`, `circuit`, `health-talk` or `screening`.
    #[param(value_type = Option<shanhai_domain::capacity::OutreachKind>)]
    kind: Option<String>,
    /// Places in this region (GB/T 2260 code) or below.
    region: Option<String>,
    /// Search in the place's name, the event's title and the region's name.
    q: Option<String>,
    /// Held on or after this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    from: Option<String>,
    /// Held on or before this date.
    #[param(format = Date)]
    until: Option<String>,
}

impl OutreachQuery {
    fn filter(self) -> CapacityFilter {
        CapacityFilter {
            program: self.program,
            institution: self.institution,
            region: self.region,
            q: self.q,
            kind: self.kind,
            from: self.from,
            until: self.until,
            ..Default::default()
        }
    }
}

/// Outreach events the filters select, newest first, within the caller's reach.
#[utoipa::path(get, path = "/api/v1/outreach-events", tag = "capacity", security(("bearer" = [])),
    params(PageParams, OutreachQuery),
    responses((status = 200, body = Page<OutreachEvent>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<OutreachQuery>,
) -> ApiResult<Json<Page<OutreachEvent>>> {
    let filter = q.filter();
    for (field, d) in [("from", &filter.from), ("until", &filter.until)] {
        super::indicators::date_param(field, d.as_deref())?;
    }
    Ok(Json(
        service::list(&state.db, &caller.acting(), &filter, page.request()).await?,
    ))
}

/// Records an outreach event with its team; every problem of the input at once.
#[utoipa::path(post, path = "/api/v1/outreach-events", tag = "capacity", security(("bearer" = [])),
    request_body = OutreachEventInput,
    responses((status = 201, body = OutreachEvent), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<OutreachEvent>)> {
    let input = body.parse::<OutreachEventInput>()?;
    let created = service::create(&state.db, &caller.acting(), &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One outreach event with its experts and its 两次下沉 chain.
#[utoipa::path(get, path = "/api/v1/outreach-events/{id}", tag = "capacity", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = OutreachEvent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<OutreachEvent>> {
    Ok(Json(service::get(&state.db, &caller.acting(), &id).await?))
}

/// Changes an outreach event (its experts are replaced by those given).
#[utoipa::path(put, path = "/api/v1/outreach-events/{id}", tag = "capacity", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = OutreachEventInput,
    responses((status = 200, body = OutreachEvent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<OutreachEvent>> {
    let input = body.parse::<OutreachEventInput>()?;
    Ok(Json(
        service::update(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

/// Deletes an outreach event recorded by mistake; its clinic sessions stay, unlinked.
#[utoipa::path(delete, path = "/api/v1/outreach-events/{id}", tag = "capacity", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    service::delete(&state.db, &caller.acting(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The clinic sessions held at an outreach event.
#[utoipa::path(get, path = "/api/v1/outreach-events/{id}/sessions", tag = "capacity", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<ClinicSession>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<ClinicSession>>> {
    Ok(Json(
        service::sessions(&state.db, &caller.acting(), &id).await?,
    ))
}

/// Which outreach event a clinic session belongs to (none: unlink it).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionLink {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub outreach_event_id: Option<String>,
}

/// Links an outreach clinic session (义诊, 巡回诊疗) to its event at the same institution, or
/// unlinks it.
#[utoipa::path(put, path = "/api/v1/clinic-sessions/{id}/outreach-event", tag = "capacity", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = SessionLink,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn link_session(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<StatusCode> {
    let link = body.parse::<SessionLink>()?;
    let event = link
        .outreach_event_id
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    service::link_session(&state.db, &caller.acting(), &id, event).await?;
    Ok(StatusCode::NO_CONTENT)
}
