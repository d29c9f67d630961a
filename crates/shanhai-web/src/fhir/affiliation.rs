//! OrganizationAffiliation: pairings (结对). The donor (支援方) is the `organization`, the
//! recipient (受援方) the `participatingOrganization`, the program the `network` (an
//! Organization of type `other`, see `organization.rs`); `period` is the pairing's term,
//! `active` whether it runs today; `code` carries the pairing level (院包院/科包科,
//! `pairing-level`) and mode (对口帮扶, 组团式, 托管 …, `pairing-mode`); `specialty` the
//! 诊疗科目 the pairing covers.
//!
//! Every authenticated caller reads pairings, as in the JSON API (`GET /api/v1/pairings` reads
//! the same store list).

use super::organization::specialty_name;
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
use shanhai_domain::registry::Pairing;
use shanhai_store::pairings::{self, PairingFilter};

const PARAMS: &[(&str, &str, &str)] = &[
    (
        "primary-organization",
        "reference",
        "The donor institution (支援方)",
    ),
    (
        "participating-organization",
        "reference",
        "The recipient institution (受援方)",
    ),
    ("network", "reference", "The program (an Organization)"),
    ("active", "token", "true: the pairing's term includes today"),
    (
        "date",
        "date",
        "The pairing's term (prefixes eq, ne, gt, lt, ge, le, sa, eb)",
    ),
    ("specialty", "token", "A 诊疗科目 code the pairing covers"),
    ("role", "token", "pairing-level or pairing-mode code"),
];

/// This module's part of the CapabilityStatement (exactly what its router implements).
pub fn capability() -> Vec<ResourceCapability> {
    vec![ResourceCapability {
        resource_type: "OrganizationAffiliation",
        interactions: &["read", "search-type"],
        search_params: PARAMS,
        includes: &[],
        documentation: "Pairings: organization = donor, participatingOrganization = recipient, network = the program (Organization), period = the term, code = pairing-level and pairing-mode, specialty = the 诊疗科目 covered.",
    }]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/R4/OrganizationAffiliation", get(search))
        .route("/fhir/R4/OrganizationAffiliation/{id}", get(read))
}

fn resource(p: &Pairing) -> Value {
    let lang = i18n::current();
    let mut period = json!({ "start": p.start_date });
    if let Some(end) = &p.end_date {
        period["end"] = json!(end);
    }
    let mut r = json!({
        "resourceType": "OrganizationAffiliation",
        "id": p.id,
        "meta": meta(&p.updated_at),
        "language": language(),
        "active": support::current(&p.start_date, p.end_date.as_deref()),
        "period": period,
        "organization": reference("Organization", &p.donor_id, p.donor_name.as_deref()),
        "participatingOrganization": reference("Organization", &p.recipient_id, p.recipient_name.as_deref()),
        "network": [reference("Organization", &p.program_id, p.program_name.as_deref())],
        "code": [
            support::concept("pairing-level", p.level.code(), p.level.label(lang)),
            support::concept("pairing-mode", p.mode.code(), p.mode.label(lang)),
        ],
    });
    let specialties: Vec<Value> = p
        .departments
        .iter()
        .filter(|c| shanhai_domain::specialty::find(c).is_some())
        .map(|c| support::concept("specialty", c, &specialty_name(c, lang)))
        .collect();
    if !specialties.is_empty() {
        r["specialty"] = json!(specialties);
    }
    r
}

async fn read(
    State(state): State<AppState>,
    _caller: FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    Ok(Fhir::ok(resource(&pairings::get(&state.db, &id).await?)))
}

async fn search(
    State(state): State<AppState>,
    _caller: FhirCaller,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let names: Vec<&str> = PARAMS.iter().map(|p| p.0).collect();
    let search = Search::parse(raw.as_deref(), &names)?;
    super::support::plain(&search)?;
    let active = support::boolean(&search, "active")?;
    let dates = search.dates("date")?;
    let filter = PairingFilter {
        program: support::reference_value(&search, "network"),
        donor: support::reference_value(&search, "primary-organization"),
        recipient: support::reference_value(&search, "participating-organization"),
        ..Default::default()
    };
    let db = &state.db;
    let all = support::all_pages(|page| pairings::list(db, &filter, page)).await?;
    let specialty = code_system("specialty");
    let (level, mode) = (code_system("pairing-level"), code_system("pairing-mode"));
    let kept: Vec<Pairing> = all
        .into_iter()
        .filter(|p| {
            let specialties: Vec<(String, &str)> = p
                .departments
                .iter()
                .map(|c| (specialty.clone(), c.as_str()))
                .collect();
            support::common(&search, &p.id, &p.updated_at)
                && support::reference_match(&search, "primary-organization", &[&p.donor_id])
                && support::reference_match(
                    &search,
                    "participating-organization",
                    &[&p.recipient_id],
                )
                && support::reference_match(&search, "network", &[&p.program_id])
                && active
                    .is_none_or(|a| a == support::current(&p.start_date, p.end_date.as_deref()))
                && support::period_matches(&dates, &p.start_date, p.end_date.as_deref())
                && support::codings_match(&search, "specialty", &specialties)
                && support::codings_match(
                    &search,
                    "role",
                    &[
                        (level.clone(), p.level.code()),
                        (mode.clone(), p.mode.code()),
                    ],
                )
        })
        .collect();
    let (page, total) = search.page(kept);
    let matches = page.iter().map(|p| (p.id.clone(), resource(p))).collect();
    Ok(Fhir::ok(searchset(
        &base,
        "OrganizationAffiliation",
        &search,
        total,
        matches,
        Vec::new(),
    )))
}
