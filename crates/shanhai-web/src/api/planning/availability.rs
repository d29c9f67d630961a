use crate::AppState;
use axum::Router;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi()]
pub struct AvailabilityApi;

pub fn router() -> Router<AppState> {
    Router::new()
}
