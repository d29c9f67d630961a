//! The deployment planner (issue 19, C13): needs, availability and plans.

use crate::AppState;
use axum::Router;
use utoipa::OpenApi;

mod availability;
mod needs;
mod plans;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(needs::router())
        .merge(availability::router())
        .merge(plans::router())
}

/// The planner's part of the OpenAPI description.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = needs::NeedsApi::openapi();
    doc.merge(availability::AvailabilityApi::openapi());
    doc.merge(plans::PlansApi::openapi());
    doc
}
