//! CodeSystem: the project's own code systems (诊疗科目, GB/T 2260 regions, pairing level and mode, posts, titles), each at its canonical URL.

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
