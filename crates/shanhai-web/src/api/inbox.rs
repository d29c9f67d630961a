//! The inbox: what needs the caller's action now.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
pub use shanhai_domain::inbox::Inbox;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(paths(inbox), components(schemas(Inbox)))]
pub struct InboxApi;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/inbox", get(inbox))
}

#[utoipa::path(get, path = "/api/v1/inbox", tag = "consultations", security(("bearer" = [])),
    responses((status = 200, body = Inbox), (status = 401, body = ErrorBody)))]
async fn inbox(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Inbox>> {
    Ok(Json(
        shanhai_service::consultations::inbox(&state.db, &caller.acting()).await?,
    ))
}
