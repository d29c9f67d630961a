//! Practitioner and PractitionerRole: people, titles and honours; assignments as roles with a period at the recipient's location.

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
