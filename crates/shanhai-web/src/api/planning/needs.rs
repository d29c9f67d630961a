use crate::AppState;
use axum::Router;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi()]
pub struct NeedsApi;

pub fn router() -> Router<AppState> {
    Router::new()
}
