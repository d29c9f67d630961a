//! Schedule: one expert's clinics at one host (see the module's documentation).

use super::{
    check_extras, instant_of_local, parse_schedule_id, schedule_id, service_type, specialty,
};
use crate::AppState;
use crate::fhir::{
    Fhir, FhirBase, FhirCaller, FhirError, FhirResult, ResourceCapability, Search, language, meta,
    reference, searchset,
};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use serde_json::{Value, json};
use shanhai_store::clinic_sessions::{self, ExpertClinics, SessionCondition, SessionFilter};

const PARAMS: &[&str] = &["actor", "active", "date"];

pub fn capability() -> ResourceCapability {
    ResourceCapability {
        resource_type: "Schedule",
        interactions: &["read", "search-type"],
        search_params: &[
            (
                "actor",
                "reference",
                "The expert (Practitioner/{id}) or the host (Location/{id}); a bare id matches either",
            ),
            (
                "active",
                "token",
                "true: the expert still has a session to come at the host",
            ),
            (
                "date",
                "date",
                "The planning horizon (first session's start to last session's end) against the date, with prefixes",
            ),
        ],
        includes: &[],
        documentation: "One Schedule per expert per host (hospital or outreach site): every clinic session of the expert there. Its id is the expert's and the host's UUIDs without hyphens; its Slots are the sessions.",
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/R4/Schedule", get(search))
        .route("/fhir/R4/Schedule/{id}", get(read))
}

/// A Schedule resource.
pub fn resource(c: &ExpertClinics) -> Value {
    let active = c.last_end
        > shanhai_store::local_now()
            .format("%Y-%m-%dT%H:%M")
            .to_string();
    let mut r = json!({
        "resourceType": "Schedule",
        "id": schedule_id(&c.expert_id, &c.institution_id),
        "meta": meta(&c.updated_at),
        "language": language(),
        "active": active,
        "actor": [
            reference("Practitioner", &c.expert_id, Some(&c.expert_name)),
            reference("Location", &c.institution_id, Some(&c.institution_name)),
        ],
        "planningHorizon": {
            "start": instant_of_local(&c.first_start),
            "end": instant_of_local(&c.last_end),
        },
    });
    if !c.visit_types.is_empty() {
        r["serviceType"] = json!(
            c.visit_types
                .iter()
                .map(|v| service_type(*v))
                .collect::<Vec<_>>()
        );
    }
    let specialties: Vec<Value> = c.specialties.iter().filter_map(|s| specialty(s)).collect();
    if !specialties.is_empty() {
        r["specialty"] = json!(specialties);
    }
    r
}

/// The Schedules of these expert–host pairs (for `_include`).
pub async fn of_pairs(
    state: &AppState,
    pairs: Vec<(String, String)>,
) -> FhirResult<Vec<ExpertClinics>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let filter = SessionFilter {
        conditions: vec![SessionCondition::ExpertAt(pairs)],
        ..Default::default()
    };
    Ok(clinic_sessions::expert_clinics(&state.db, &filter).await?)
}

async fn read(
    State(state): State<AppState>,
    _caller: FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    let pair =
        parse_schedule_id(&id).ok_or_else(|| FhirError(crate::error::ApiError::not_found()))?;
    let found = of_pairs(&state, vec![pair]).await?;
    let clinics = found
        .first()
        .ok_or_else(|| FhirError(crate::error::ApiError::not_found()))?;
    Ok(Fhir::ok(resource(clinics)))
}

async fn search(
    State(state): State<AppState>,
    _caller: FhirCaller,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let search = Search::parse(raw.as_deref(), PARAMS)?;
    check_extras(&search, &[], &[])?;
    let mut conditions = Vec::new();
    if let Some(ids) = search.ids() {
        conditions.push(SessionCondition::ExpertAt(
            ids.iter().filter_map(|i| parse_schedule_id(i)).collect(),
        ));
    }
    if let Some(raw) = search.get("actor") {
        let (mut experts, mut hosts) = (Vec::new(), Vec::new());
        for r in raw.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            match r.split_once('/') {
                Some(("Practitioner", id)) => experts.push(id.to_string()),
                Some(("Location", id)) => hosts.push(id.to_string()),
                Some(_) => {}
                None => {
                    experts.push(r.to_string());
                    hosts.push(r.to_string());
                }
            }
        }
        conditions.push(SessionCondition::Actors { experts, hosts });
    }
    let active = match search.tokens("active").as_deref() {
        None => None,
        Some([v]) if v == "true" => Some(true),
        Some([v]) if v == "false" => Some(false),
        Some(_) => return Err(FhirError::bad_request("fhir.bad_parameter", "active")),
    };
    let dates = search.dates("date")?;
    let filter = SessionFilter {
        conditions,
        ..Default::default()
    };
    let all = clinic_sessions::expert_clinics(&state.db, &filter).await?;
    let matching: Vec<Value> = all
        .iter()
        .map(resource)
        .filter(|r| {
            let id = r["id"].as_str().unwrap_or("");
            let updated = r["meta"]["lastUpdated"].as_str().unwrap_or("");
            let horizon = |k: &str| {
                r["planningHorizon"][k]
                    .as_str()
                    .and_then(crate::fhir::parse_instant)
            };
            search.common_match(id, updated)
                && active.is_none_or(|a| r["active"] == a)
                && match (horizon("start"), horizon("end")) {
                    (Some(s), Some(e)) => dates.iter().all(|d| d.matches(s, e)),
                    _ => dates.is_empty(),
                }
        })
        .collect();
    let (page, total) = search.page(matching);
    let entries = page
        .into_iter()
        .map(|r| (r["id"].as_str().unwrap_or("").to_string(), r))
        .collect();
    Ok(Fhir::ok(searchset(
        &base,
        "Schedule",
        &search,
        total,
        entries,
        vec![],
    )))
}
