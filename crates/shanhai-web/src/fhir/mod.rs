//! Shanhai's HL7 FHIR R4 face at `/fhir/R4` (JSON, `application/fhir+json`): the registry,
//! clinics, bookings, consultations and referrals as FHIR resources, for hospitals' own systems.
//!
//! Every handler is a thin view over the same service function as the JSON API (the same
//! access policy, the same validation, the same audit); this layer only maps records to
//! resources and FHIR searches to the services' filters. Errors are OperationOutcome in the
//! request's language. What is implemented is exactly what [`capability::metadata`] lists:
//! each resource module declares its part in `capability()`.

pub mod common;

pub mod affiliation;
pub mod capability;
pub mod care_team;
pub mod code_systems;
pub mod location;
pub mod organization;
pub mod patch;
pub mod practitioner;
pub mod requests;
pub mod scheduling;
pub mod support;

pub use common::*;

use crate::AppState;
use axum::Router;

/// Every resource type this server implements, in the CapabilityStatement's order.
pub fn resources() -> Vec<ResourceCapability> {
    [
        organization::capability(),
        affiliation::capability(),
        practitioner::capability(),
        care_team::capability(),
        location::capability(),
        scheduling::capability(),
        requests::capability(),
        code_systems::capability(),
    ]
    .concat()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(capability::router())
        .merge(organization::router())
        .merge(affiliation::router())
        .merge(practitioner::router())
        .merge(care_team::router())
        .merge(location::router())
        .merge(scheduling::router())
        .merge(requests::router())
        .merge(code_systems::router())
}
