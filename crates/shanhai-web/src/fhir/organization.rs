//! Organization: institutions (kind, grade, GB/T 2260 region in the address, parent) and their departments.

use super::ResourceCapability;
use crate::AppState;
use axum::Router;

/// This module's part of the CapabilityStatement (exactly what its router implements).
pub fn capability() -> Vec<ResourceCapability> {
    Vec::new()
}

pub fn router() -> Router<AppState> {
    Router::new()
}
