//! Plans in the browser (issue 19, C13). The pages come with the plans service; for now the
//! timeline renderer they draw with.

#[path = "timeline.rs"]
#[allow(dead_code)]
mod timeline;

use crate::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
}
