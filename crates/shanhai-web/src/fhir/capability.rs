//! `GET /fhir/R4/metadata`: the CapabilityStatement, assembled from what each resource module
//! declares, so that it lists exactly what is implemented.

use super::{Fhir, FhirBase, ResourceCapability, resources};
use crate::AppState;
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/fhir/R4/metadata", get(metadata))
}

/// The server's CapabilityStatement (no authentication needed, as FHIR clients expect).
pub async fn metadata(base: FhirBase) -> Fhir {
    Fhir::ok(statement(&base, &resources()))
}

fn statement(base: &FhirBase, resources: &[ResourceCapability]) -> Value {
    let common = [
        ("_id", "token", "Logical id of the resource"),
        (
            "_lastUpdated",
            "date",
            "When the record last changed (prefixes ge, gt, le, lt, eq)",
        ),
    ];
    let rest_resources: Vec<Value> = resources
        .iter()
        .map(|r| {
            let mut params: Vec<Value> = common
                .iter()
                .chain(r.search_params.iter())
                .map(|(name, ty, doc)| json!({ "name": name, "type": ty, "documentation": doc }))
                .collect();
            if !r.interactions.contains(&"search-type") {
                params.clear();
            }
            let mut resource = json!({
                "type": r.resource_type,
                "documentation": r.documentation,
                "interaction": r.interactions.iter().map(|i| json!({ "code": i })).collect::<Vec<_>>(),
            });
            if !params.is_empty() {
                resource["searchParam"] = json!(params);
            }
            if !r.includes.is_empty() {
                resource["searchInclude"] = json!(r.includes);
            }
            resource
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": shanhai_store::today().to_string(),
        "publisher": "Shanhai 山海",
        "kind": "instance",
        "software": { "name": "Shanhai 山海", "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": "Shanhai FHIR R4 server", "url": base.0 },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": false,
                "service": [{
                    "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "OAuth",
                    }],
                    "text": "Bearer token from POST /api/v1/auth/token",
                }],
                "description": "Send Authorization: Bearer <token> (POST /api/v1/auth/token). The same roles and scopes as the JSON API.",
            },
            "resource": rest_resources,
        }],
    })
}
