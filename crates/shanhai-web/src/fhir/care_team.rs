//! CareTeam: teams (院士团队, 组团式 teams, specialty teams) — the leader and members as
//! `participant`s (Practitioners, with their part `team-role` and the dates they joined and
//! left), the team kind as `category` (`team-kind`), the institution it comes from as
//! `managingOrganization`, the date it was formed as the start of its `period`. Read within
//! the caller's reach, as `GET /api/v1/teams` (`teams::list`, `teams::get`).

use super::support;
use super::{
    Fhir, FhirBase, FhirCaller, FhirResult, ResourceCapability, Search, code_system, language,
    meta, reference, searchset,
};
use crate::AppState;
use crate::i18n;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use serde_json::{Value, json};
use shanhai_domain::teams::TeamDetail;
use shanhai_service::teams as service;
use shanhai_store::teams::TeamFilter;

const PARAMS: &[(&str, &str, &str)] = &[
    (
        "participant",
        "reference",
        "A member (Practitioner), past or present",
    ),
    ("status", "token", "active (every team is)"),
    ("category", "token", "A team-kind code"),
];

/// This module's part of the CapabilityStatement (exactly what its router implements).
pub fn capability() -> Vec<ResourceCapability> {
    vec![ResourceCapability {
        resource_type: "CareTeam",
        interactions: &["read", "search-type"],
        search_params: PARAMS,
        includes: &[],
        documentation: "Teams within the caller's reach: leader and members as participants (team-role, period), team-kind as category, the home institution as managingOrganization.",
    }]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/R4/CareTeam", get(search))
        .route("/fhir/R4/CareTeam/{id}", get(read))
}

fn resource(d: &TeamDetail) -> Value {
    let lang = i18n::current();
    let t = &d.team;
    let participants: Vec<Value> = d
        .members
        .iter()
        .map(|m| {
            let mut period = json!({ "start": m.joined_on });
            if let Some(left) = &m.left_on {
                period["end"] = json!(left);
            }
            json!({
                "role": [support::concept("team-role", m.role.code(), m.role.label(lang))],
                "member": reference("Practitioner", &m.person_id, m.person_name.as_deref()),
                "period": period,
            })
        })
        .collect();
    let mut r = json!({
        "resourceType": "CareTeam",
        "id": t.id,
        "meta": meta(&t.updated_at),
        "language": language(),
        "status": "active",
        "category": [support::concept("team-kind", t.kind.code(), t.kind.label(lang))],
        "name": t.name,
        "period": { "start": t.formed_on },
        "managingOrganization": [reference(
            "Organization",
            &t.home_institution_id,
            t.home_institution_name.as_deref()
        )],
    });
    if !participants.is_empty() {
        r["participant"] = json!(participants);
    }
    if let Some(note) = t.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        r["note"] = json!([{ "text": note }]);
    }
    r
}

async fn read(
    State(state): State<AppState>,
    caller: FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    let detail = service::get(&state.db, &caller.0.acting(), &id).await?;
    Ok(Fhir::ok(resource(&detail)))
}

async fn search(
    State(state): State<AppState>,
    caller: FhirCaller,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let names: Vec<&str> = PARAMS.iter().map(|p| p.0).collect();
    let search = Search::parse(raw.as_deref(), &names)?;
    super::support::plain(&search)?;
    let acting = caller.0.acting();
    let db = &state.db;
    let filter = TeamFilter {
        member: support::reference_value(&search, "participant"),
        ..Default::default()
    };
    let teams = support::all_pages(|page| service::list(db, &acting, &filter, page)).await?;
    let kind = code_system("team-kind");
    let status = "http://hl7.org/fhir/care-team-status".to_string();
    let mut kept = Vec::new();
    for t in teams {
        if support::common(&search, &t.id, &t.updated_at)
            && support::codings_match(&search, "category", &[(kind.clone(), t.kind.code())])
            && support::codings_match(&search, "status", &[(status.clone(), "active")])
        {
            kept.push(t);
        }
    }
    // Members are read per team; `participant` with several ids is checked on them.
    let mut details = Vec::new();
    if search.get("participant").is_some_and(|v| v.contains(','))
        || search.all("participant").len() > 1
    {
        for t in kept {
            let d = service::get(db, &acting, &t.id).await?;
            let ids: Vec<&str> = d.members.iter().map(|m| m.person_id.as_str()).collect();
            if support::reference_match(&search, "participant", &ids) {
                details.push(d);
            }
        }
        let (page, total) = search.page(details);
        let matches = page
            .iter()
            .map(|d| (d.team.id.clone(), resource(d)))
            .collect();
        return Ok(Fhir::ok(searchset(
            &base,
            "CareTeam",
            &search,
            total,
            matches,
            Vec::new(),
        )));
    }
    let (page, total) = search.page(kept);
    for t in &page {
        details.push(service::get(db, &acting, &t.id).await?);
    }
    let matches = details
        .iter()
        .map(|d| (d.team.id.clone(), resource(d)))
        .collect();
    Ok(Fhir::ok(searchset(
        &base,
        "CareTeam",
        &search,
        total,
        matches,
        Vec::new(),
    )))
}
