//! Location: where care happens.
//!
//! - **An institution's premises** (hospitals, regional centres, township and community health
//!   centres, village clinics — every kind that treats patients; a health commission is an
//!   office, not a place of care): the Location's id is the institution's, so that
//!   `Location/{id}` and `Organization/{id}` name the same hospital; the address as the
//!   Organization's (GB/T 2260 region, code in the region extension), `managingOrganization`
//!   the institution, `type` the institution kind. Every authenticated caller reads them.
//! - **Outreach sites** (义诊 and 巡回诊疗 places: a village, township, school, community):
//!   one Location per outreach event, its id the event's, `name` the place, `type` the place
//!   kind (`place-kind`), the address its GB/T 2260 region, `managingOrganization` the local
//!   institution the event counts for. Read within the caller's reach, as
//!   `GET /api/v1/outreach-events` (`capacity::outreach::list`, `get`).

use super::support::{self, Regions};
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
use shanhai_domain::capacity::OutreachEvent;
use shanhai_domain::codes::InstitutionKind;
use shanhai_domain::registry::Institution;
use shanhai_service::Acting;
use shanhai_service::capacity::outreach;
use shanhai_store::capacity::CapacityFilter;
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::{Db, StoreError};

const PARAMS: &[(&str, &str, &str)] = &[
    ("name", "string", "Name (starts with; :contains, :exact)"),
    (
        "address",
        "string",
        "A GB/T 2260 region code (the region and every region below it) or text of the address",
    ),
    (
        "organization",
        "reference",
        "The managing institution (Organization)",
    ),
    ("type", "token", "An institution-kind or place-kind code"),
];

/// This module's part of the CapabilityStatement (exactly what its router implements).
pub fn capability() -> Vec<ResourceCapability> {
    vec![ResourceCapability {
        resource_type: "Location",
        interactions: &["read", "search-type"],
        search_params: PARAMS,
        includes: &[],
        documentation: "Premises of institutions that treat patients (id = the institution's id; type institution-kind) and outreach sites (one per outreach event, id = the event's id; type place-kind), each with its GB/T 2260 region in the address.",
    }]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/R4/Location", get(search))
        .route("/fhir/R4/Location/{id}", get(read))
}

enum Place {
    Premises(Box<Institution>),
    Outreach(Box<OutreachEvent>),
}

impl Place {
    fn id(&self) -> &str {
        match self {
            Place::Premises(i) => &i.id,
            Place::Outreach(e) => &e.id,
        }
    }
    fn updated_at(&self) -> &str {
        match self {
            Place::Premises(i) => &i.updated_at,
            Place::Outreach(e) => &e.updated_at,
        }
    }
    fn name(&self) -> &str {
        match self {
            Place::Premises(i) => &i.name,
            Place::Outreach(e) => &e.place_name,
        }
    }
    fn organization(&self) -> &str {
        match self {
            Place::Premises(i) => &i.id,
            Place::Outreach(e) => &e.institution_id,
        }
    }
    fn region(&self) -> &str {
        match self {
            Place::Premises(i) => &i.region_code,
            Place::Outreach(e) => &e.region_code,
        }
    }
    fn street(&self) -> Option<&str> {
        match self {
            Place::Premises(i) => i.address.as_deref(),
            Place::Outreach(_) => None,
        }
    }
    fn coding(&self) -> (String, &'static str) {
        match self {
            Place::Premises(i) => (code_system("institution-kind"), i.kind.code()),
            Place::Outreach(e) => (code_system("place-kind"), e.place_kind.code()),
        }
    }
}

const PHYSICAL_TYPE: &str = "http://terminology.hl7.org/CodeSystem/location-physical-type";

async fn resource(db: &Db, regions: &mut Regions, place: &Place) -> FhirResult<Value> {
    let lang = i18n::current();
    let mut r = json!({
        "resourceType": "Location",
        "id": place.id(),
        "meta": meta(place.updated_at()),
        "language": language(),
        "status": "active",
        "mode": "instance",
        "name": place.name(),
        "address": regions.address(db, place.region(), place.street(), lang).await?,
    });
    match place {
        Place::Premises(i) => {
            r["type"] = json!([support::concept(
                "institution-kind",
                i.kind.code(),
                i.kind.label(lang)
            )]);
            r["physicalType"] = json!({ "coding": [{
                "system": PHYSICAL_TYPE, "code": "bu", "display": "Building",
            }]});
            r["managingOrganization"] = reference("Organization", &i.id, Some(&i.name));
        }
        Place::Outreach(e) => {
            r["type"] = json!([support::concept(
                "place-kind",
                e.place_kind.code(),
                e.place_kind.label(lang)
            )]);
            r["physicalType"] = json!({ "coding": [{
                "system": PHYSICAL_TYPE, "code": "si", "display": "Site",
            }]});
            let title = e
                .title
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .unwrap_or(e.kind.label(lang));
            r["description"] = json!(format!("{title} ({})", e.held_on));
            r["managingOrganization"] = reference(
                "Organization",
                &e.institution_id,
                e.institution_name.as_deref(),
            );
        }
    }
    Ok(r)
}

fn treats_patients() -> Vec<String> {
    InstitutionKind::ALL
        .iter()
        .filter(|k| k.treats_patients())
        .map(|k| k.code().to_string())
        .collect()
}

async fn find(db: &Db, who: &Acting, id: &str) -> FhirResult<Place> {
    match institutions::get(db, id).await {
        Ok(i) if i.kind.treats_patients() => return Ok(Place::Premises(Box::new(i))),
        Ok(_) => return Err(StoreError::NotFound.into()),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Place::Outreach(Box::new(outreach::get(db, who, id).await?)))
}

async fn read(
    State(state): State<AppState>,
    caller: FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    let place = find(&state.db, &caller.0.acting(), &id).await?;
    let mut regions = Regions::default();
    Ok(Fhir::ok(resource(&state.db, &mut regions, &place).await?))
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
    let organization = support::reference_value(&search, "organization");
    let inst_filter = InstitutionFilter {
        kinds: treats_patients(),
        ..Default::default()
    };
    let mut places: Vec<Place> =
        support::all_pages(|page| institutions::list(db, &inst_filter, page))
            .await?
            .into_iter()
            .map(|i| Place::Premises(Box::new(i)))
            .collect();
    let event_filter = CapacityFilter {
        institution: organization,
        ..Default::default()
    };
    places.extend(
        support::all_pages(|page| outreach::list(db, &acting, &event_filter, page))
            .await?
            .into_iter()
            .map(|e| Place::Outreach(Box::new(e))),
    );
    let mut regions = Regions::default();
    let mut kept = Vec::new();
    for place in places {
        let (system, code) = place.coding();
        if support::common(&search, place.id(), place.updated_at())
            && support::strings_match(&search, "name", &[place.name()])
            && support::reference_match(&search, "organization", &[place.organization()])
            && support::codings_match(&search, "type", &[(system, code)])
            && regions
                .address_matches(db, &search, place.region(), place.street())
                .await?
        {
            kept.push(place);
        }
    }
    let (page, total) = search.page(kept);
    let mut matches = Vec::new();
    for place in &page {
        matches.push((
            place.id().to_string(),
            resource(db, &mut regions, place).await?,
        ));
    }
    Ok(Fhir::ok(searchset(
        &base,
        "Location",
        &search,
        total,
        matches,
        Vec::new(),
    )))
}
