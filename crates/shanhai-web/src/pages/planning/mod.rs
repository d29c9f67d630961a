//! The deployment planner (issue 19, C13): needs, availability and plans.

use crate::AppState;
use axum::Router;

mod availability;
mod needs;
mod plans;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(needs::router())
        .merge(availability::router())
        .merge(plans::router())
}
