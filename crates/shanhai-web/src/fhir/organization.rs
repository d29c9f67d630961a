//! Organization: institutions, their departments, and programs.
//!
//! - **Institutions** (医院, 区域医疗中心, 乡镇卫生院, 卫健委 …): `type` carries the HL7
//!   organization type (`prov`, or `govt` for a health commission), the institution kind
//!   (`institution-kind`) and the hospital grade (`institution-grade`), each its own
//!   CodeableConcept; `partOf` is the parent institution.
//! - **Region in the address.** The GB/T 2260 region is shown as FHIR expects an address to
//!   read: the province in `state`, the city in `city`, the county in `district`, a township
//!   and the street address in `line`, everything in `text`, `country` `CN`. The code itself,
//!   which no Address element holds, travels in an extension of the Address
//!   (`https://shanhai.health/fhir/StructureDefinition/region`, a `valueCoding` of the `region`
//!   CodeSystem): a client that knows nothing of it still reads a complete Chinese address, one
//!   that does gets the exact code (used by `address=` searches).
//! - **Departments are Organizations** (`type` `dept` plus their 诊疗科目 `specialty` code,
//!   `partOf` the institution), not HealthcareService: a Shanhai department is a unit of the
//!   hospital's organisation (科室) that staff belong to, that pairings of 科包科 join and that
//!   assignments place experts in — what FHIR models with Organization and its `dept` type. A
//!   HealthcareService describes a service offered to patients (with hours, eligibility,
//!   referral methods), which Shanhai does not record per department.
//! - **Programs** (沪蒙医疗协作, 豫哈 …) are Organizations of type `other` with their program
//!   kind (`program-kind`): an OrganizationAffiliation's `network` must reference an
//!   Organization, and a program is the network its pairings belong to; `active` while its
//!   period runs.
//!
//! Every authenticated caller reads the registry, as in the JSON API (`GET /api/v1/institutions`,
//! `/departments`, `/programs` read the same store lists).

use super::support::{self, ORGANIZATION_TYPE, Regions};
use super::{
    Fhir, FhirBase, FhirCaller, FhirResult, ResourceCapability, Search, language, meta, reference,
    searchset,
};
use crate::AppState;
use crate::i18n;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use serde_json::{Value, json};
use shanhai_domain::Lang;
use shanhai_domain::codes::InstitutionKind;
use shanhai_domain::registry::{Department, Institution, Program};
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::programs::{self, ProgramFilter};
use shanhai_store::{Db, StoreError};

const PARAMS: &[(&str, &str, &str)] = &[
    ("name", "string", "Name (starts with; :contains, :exact)"),
    (
        "type",
        "token",
        "organization-type (prov, dept, govt, other), institution-kind, institution-grade, program-kind or a department's specialty code",
    ),
    (
        "partof",
        "reference",
        "The parent institution (departments and child institutions)",
    ),
    (
        "address",
        "string",
        "A GB/T 2260 region code (the region and every region below it) or text of the address (region names, street)",
    ),
    ("active", "token", "true or false"),
];

/// This module's part of the CapabilityStatement (exactly what its router implements).
pub fn capability() -> Vec<ResourceCapability> {
    vec![ResourceCapability {
        resource_type: "Organization",
        interactions: &["read", "search-type"],
        search_params: PARAMS,
        includes: &[],
        documentation: "Institutions (type: organization-type prov/govt, institution-kind, institution-grade; GB/T 2260 region in the address, code in the region extension; partOf the parent institution), departments (type dept and their 诊疗科目 specialty; partOf the institution) and programs (type other and program-kind; the network of OrganizationAffiliations).",
    }]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/R4/Organization", get(search))
        .route("/fhir/R4/Organization/{id}", get(read))
}

/// One of the three records an Organization shows.
enum Org {
    Institution(Institution),
    Department(Department),
    Program(Program),
}

impl Org {
    fn id(&self) -> &str {
        match self {
            Org::Institution(i) => &i.id,
            Org::Department(d) => &d.id,
            Org::Program(p) => &p.id,
        }
    }

    fn updated_at(&self) -> &str {
        match self {
            Org::Institution(i) => &i.updated_at,
            Org::Department(d) => &d.updated_at,
            Org::Program(p) => &p.updated_at,
        }
    }

    fn name(&self) -> &str {
        match self {
            Org::Institution(i) => &i.name,
            Org::Department(d) => &d.name,
            Org::Program(p) => &p.name,
        }
    }

    fn active(&self) -> bool {
        match self {
            Org::Program(p) => support::current(&p.start_date, p.end_date.as_deref()),
            _ => true,
        }
    }

    fn part_of(&self) -> Option<&str> {
        match self {
            Org::Institution(i) => i.parent_id.as_deref(),
            Org::Department(d) => Some(&d.institution_id),
            Org::Program(_) => None,
        }
    }

    /// `(system, code)` of every type coding.
    fn codings(&self) -> Vec<(String, &'static str)> {
        let cs = super::code_system;
        match self {
            Org::Institution(i) => vec![
                (ORGANIZATION_TYPE.to_string(), org_type(i.kind).0),
                (cs("institution-kind"), i.kind.code()),
                (cs("institution-grade"), i.grade.code()),
            ],
            Org::Department(d) => {
                let mut v = vec![(ORGANIZATION_TYPE.to_string(), "dept")];
                if let Some(s) = shanhai_domain::specialty::find(&d.specialty_code) {
                    v.push((cs("specialty"), s.code.as_str()));
                }
                v
            }
            Org::Program(p) => vec![
                (ORGANIZATION_TYPE.to_string(), "other"),
                (cs("program-kind"), p.kind.code()),
            ],
        }
    }
}

/// The HL7 organization type of an institution kind.
fn org_type(kind: InstitutionKind) -> (&'static str, &'static str) {
    if kind == InstitutionKind::HealthCommission {
        ("govt", "Government")
    } else {
        ("prov", "Healthcare Provider")
    }
}

fn hl7_type(code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": ORGANIZATION_TYPE, "code": code, "display": display }] })
}

/// A specialty's name in a language.
pub fn specialty_name(code: &str, lang: Lang) -> String {
    match shanhai_domain::specialty::find(code) {
        Some(s) if lang == Lang::En => s.en.clone(),
        Some(s) => s.zh.clone(),
        None => code.to_string(),
    }
}

async fn resource(db: &Db, regions: &mut Regions, org: &Org) -> FhirResult<Value> {
    let lang = i18n::current();
    let mut r = json!({
        "resourceType": "Organization",
        "id": org.id(),
        "meta": meta(org.updated_at()),
        "language": language(),
        "active": org.active(),
        "name": org.name(),
    });
    match org {
        Org::Institution(i) => {
            let (code, display) = org_type(i.kind);
            r["type"] = json!([
                hl7_type(code, display),
                support::concept("institution-kind", i.kind.code(), i.kind.label(lang)),
                support::concept("institution-grade", i.grade.code(), i.grade.label(lang)),
            ]);
            r["address"] = json!([regions
                .address(db, &i.region_code, i.address.as_deref(), lang)
                .await?]);
            if let Some(parent) = &i.parent_id {
                r["partOf"] = reference("Organization", parent, None);
            }
        }
        Org::Department(d) => {
            let mut types = vec![hl7_type("dept", "Hospital Department")];
            if shanhai_domain::specialty::find(&d.specialty_code).is_some() {
                types.push(support::concept(
                    "specialty",
                    &d.specialty_code,
                    &specialty_name(&d.specialty_code, lang),
                ));
            }
            r["type"] = json!(types);
            r["partOf"] = reference(
                "Organization",
                &d.institution_id,
                d.institution_name.as_deref(),
            );
        }
        Org::Program(p) => {
            r["type"] = json!([
                hl7_type("other", "Other"),
                support::concept("program-kind", p.kind.code(), p.kind.label(lang)),
            ]);
        }
    }
    Ok(r)
}

/// Any of the three records by id.
async fn find(db: &Db, id: &str) -> FhirResult<Org> {
    match institutions::get(db, id).await {
        Ok(i) => return Ok(Org::Institution(i)),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    match departments::get(db, id).await {
        Ok(d) => return Ok(Org::Department(d)),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Org::Program(programs::get(db, id).await?))
}

async fn read(
    State(state): State<AppState>,
    _caller: FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    let org = find(&state.db, &id).await?;
    let mut regions = Regions::default();
    Ok(Fhir::ok(resource(&state.db, &mut regions, &org).await?))
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
    let db = &state.db;
    let parent = support::reference_value(&search, "partof");
    let q = support::string_value(&search, "name");
    let mut orgs: Vec<Org> = Vec::new();
    let inst_filter = InstitutionFilter {
        q: q.clone(),
        parent: parent.clone(),
        ..Default::default()
    };
    orgs.extend(
        support::all_pages(|page| institutions::list(db, &inst_filter, page))
            .await?
            .into_iter()
            .map(Org::Institution),
    );
    let dept_filter = DepartmentFilter {
        institution: parent.clone(),
        q: q.clone(),
        ..Default::default()
    };
    orgs.extend(
        support::all_pages(|page| departments::list(db, &dept_filter, page))
            .await?
            .into_iter()
            .map(Org::Department),
    );
    if parent.is_none() {
        let prog_filter = ProgramFilter {
            q: q.clone(),
            ..Default::default()
        };
        orgs.extend(
            support::all_pages(|page| programs::list(db, &prog_filter, page))
                .await?
                .into_iter()
                .map(Org::Program),
        );
    }
    let mut regions = Regions::default();
    let mut kept = Vec::new();
    for org in orgs {
        let codings = org.codings();
        let pass = support::common(&search, org.id(), org.updated_at())
            && support::strings_match(&search, "name", &[org.name()])
            && support::codings_match(&search, "type", &codings)
            && support::reference_match(
                &search,
                "partof",
                &org.part_of().into_iter().collect::<Vec<_>>(),
            )
            && active.is_none_or(|a| a == org.active());
        if !pass {
            continue;
        }
        let in_address = match &org {
            Org::Institution(i) => {
                regions
                    .address_matches(db, &search, &i.region_code, i.address.as_deref())
                    .await?
            }
            _ => {
                search.get("address").is_none()
                    && !search.params.iter().any(|(k, _)| k.starts_with("address:"))
            }
        };
        if in_address {
            kept.push(org);
        }
    }
    let (page, total) = search.page(kept);
    let mut matches = Vec::new();
    for org in &page {
        matches.push((org.id().to_string(), resource(db, &mut regions, org).await?));
    }
    Ok(Fhir::ok(searchset(
        &base,
        "Organization",
        &search,
        total,
        matches,
        Vec::new(),
    )))
}
