//! ServiceRequest and Task: referrals and consultations, their states as Task status and business status.

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
