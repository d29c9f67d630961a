//! Schedule, Slot and Appointment: clinic sessions, their places and bookings (booking and cancelling through the public booking's path).

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
