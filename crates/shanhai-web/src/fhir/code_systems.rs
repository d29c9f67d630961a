//! CodeSystem: the project's own code systems — 诊疗科目 (`specialty`), GB/T 2260 regions
//! (`region`), pairing level and mode, posts, titles, institution kinds and grades, honours,
//! consultation types and states, urgency, referral states, visit types and the few more the
//! resources use — each built from the domain's code list (regions from the registry's region
//! table), `content` `complete`, the display in the request's language with a designation in
//! the other. Each is served at `/fhir/R4/CodeSystem/{id}` and its canonical URL is
//! `{CODE_SYSTEM_BASE}/{id}` (`CodeSystem?url=` finds it). Readable without a token, like the
//! CapabilityStatement: they hold no data of anyone.

use super::{
    CODE_SYSTEM_BASE, Fhir, FhirBase, FhirError, FhirResult, ResourceCapability, Search,
    code_system, language, searchset,
};
use crate::AppState;
use crate::i18n;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use serde_json::{Value, json};
use shanhai_domain::Lang;
use shanhai_domain::capacity::PlaceKind;
use shanhai_domain::clinic_sessions::VisitType;
use shanhai_domain::codes::{
    Grade, InstitutionKind, PairingLevel, PairingMode, ProgramKind, Title,
};
use shanhai_domain::consultations::{ConsultationState, ConsultationType, Urgency};
use shanhai_domain::dispatch::{AssignmentMode, Post};
use shanhai_domain::referrals::ReferralState;
use shanhai_domain::teams::{TeamKind, TeamRole};
use shanhai_store::regions::{self, RegionFilter};
use shanhai_store::{Db, StoreError};
use std::sync::LazyLock;

/// `(id, name, Chinese title, English title)` of every CodeSystem served, in this order.
const SYSTEMS: &[(&str, &str, &str, &str)] = &[
    (
        "specialty",
        "Specialty",
        "诊疗科目",
        "Diagnosis and treatment subjects (诊疗科目)",
    ),
    (
        "region",
        "Region",
        "行政区划代码（GB/T 2260）",
        "Administrative regions (GB/T 2260)",
    ),
    ("pairing-level", "PairingLevel", "结对层级", "Pairing level"),
    ("pairing-mode", "PairingMode", "帮扶模式", "Pairing mode"),
    ("post", "Post", "派驻职务", "Post at the recipient"),
    ("title", "Title", "专业技术职称", "Professional title"),
    (
        "institution-kind",
        "InstitutionKind",
        "机构类别",
        "Institution kind",
    ),
    (
        "institution-grade",
        "InstitutionGrade",
        "医院等级",
        "Hospital grade",
    ),
    ("honour", "Honour", "荣誉称号", "Honours"),
    (
        "consultation-type",
        "ConsultationType",
        "会诊类型",
        "Consultation type",
    ),
    ("urgency", "Urgency", "紧急程度", "Urgency"),
    (
        "referral-state",
        "ReferralState",
        "转诊状态",
        "Referral state",
    ),
    (
        "consultation-state",
        "ConsultationState",
        "会诊状态",
        "Consultation state",
    ),
    ("visit-type", "VisitType", "号别", "Visit type"),
    ("program-kind", "ProgramKind", "项目类别", "Program kind"),
    (
        "assignment-mode",
        "AssignmentMode",
        "派驻方式",
        "Assignment mode",
    ),
    ("team-kind", "TeamKind", "团队类别", "Team kind"),
    ("team-role", "TeamRole", "团队角色", "Team role"),
    (
        "place-kind",
        "PlaceKind",
        "下沉地点类别",
        "Outreach place kind",
    ),
];

const PARAMS: &[(&str, &str, &str)] = &[
    ("url", "uri", "The canonical URL"),
    ("name", "string", "The computer-friendly name (starts with)"),
];

/// When these CodeSystems were built: they change with a release (regions with the registry).
static BUILT: LazyLock<String> = LazyLock::new(shanhai_store::now);

/// This module's part of the CapabilityStatement (exactly what its router implements).
pub fn capability() -> Vec<ResourceCapability> {
    vec![ResourceCapability {
        resource_type: "CodeSystem",
        interactions: &["read", "search-type"],
        search_params: PARAMS,
        includes: &[],
        documentation: "The project's own code systems (content complete), each at https://shanhai.health/fhir/CodeSystem/{id}; no token needed.",
    }]
}

pub fn router() -> Router<AppState> {
    LazyLock::force(&BUILT);
    Router::new()
        .route("/fhir/R4/CodeSystem", get(search))
        .route("/fhir/R4/CodeSystem/{id}", get(read))
}

/// One concept: code, Chinese and English display, parent code.
struct Concept {
    code: String,
    zh: String,
    en: String,
    parent: Option<String>,
}

fn of<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T, Lang) -> &'static str,
) -> Vec<Concept> {
    all.iter()
        .map(|v| Concept {
            code: code(*v).to_string(),
            zh: label(*v, Lang::Zh).to_string(),
            en: label(*v, Lang::En).to_string(),
            parent: None,
        })
        .collect()
}

async fn concepts(db: &Db, id: &str) -> FhirResult<Vec<Concept>> {
    Ok(match id {
        "specialty" => shanhai_domain::specialty::all()
            .iter()
            .map(|s| Concept {
                code: s.code.clone(),
                zh: s.zh.clone(),
                en: s.en.clone(),
                parent: s.parent.clone(),
            })
            .collect(),
        "region" => {
            let filter = RegionFilter::default();
            super::support::all_pages(|page| regions::list(db, &filter, page))
                .await?
                .into_iter()
                .map(|r| Concept {
                    code: r.code,
                    en: r.name.clone(),
                    zh: r.name,
                    parent: r.parent_code,
                })
                .collect()
        }
        "honour" => shanhai_domain::words::honours()
            .iter()
            .map(|(zh, en)| Concept {
                code: zh.to_string(),
                zh: zh.to_string(),
                en: en.to_string(),
                parent: None,
            })
            .collect(),
        "pairing-level" => of(PairingLevel::ALL, PairingLevel::code, |v, l| v.label(l)),
        "pairing-mode" => of(PairingMode::ALL, PairingMode::code, |v, l| v.label(l)),
        "post" => of(Post::ALL, Post::code, |v, l| v.label(l)),
        "title" => of(Title::ALL, Title::code, |v, l| v.label(l)),
        "institution-kind" => of(InstitutionKind::ALL, InstitutionKind::code, |v, l| {
            v.label(l)
        }),
        "institution-grade" => of(Grade::ALL, Grade::code, |v, l| v.label(l)),
        "consultation-type" => of(ConsultationType::ALL, ConsultationType::code, |v, l| {
            v.label(l)
        }),
        "urgency" => of(Urgency::ALL, Urgency::code, |v, l| v.label(l)),
        "referral-state" => of(ReferralState::ALL, ReferralState::code, |v, l| v.label(l)),
        "consultation-state" => of(ConsultationState::ALL, ConsultationState::code, |v, l| {
            v.label(l)
        }),
        "visit-type" => of(VisitType::ALL, VisitType::code, |v, l| v.label(l)),
        "program-kind" => of(ProgramKind::ALL, ProgramKind::code, |v, l| v.label(l)),
        "assignment-mode" => of(AssignmentMode::ALL, AssignmentMode::code, |v, l| v.label(l)),
        "team-kind" => of(TeamKind::ALL, TeamKind::code, |v, l| v.label(l)),
        "team-role" => of(TeamRole::ALL, TeamRole::code, |v, l| v.label(l)),
        "place-kind" => of(PlaceKind::ALL, PlaceKind::code, |v, l| v.label(l)),
        _ => return Err(StoreError::NotFound.into()),
    })
}

async fn resource(db: &Db, def: &(&str, &str, &str, &str)) -> FhirResult<Value> {
    let (id, name, zh_title, en_title) = *def;
    let lang = i18n::current();
    let (other_tag, title) = match lang {
        Lang::Zh => ("en", zh_title),
        Lang::En => ("zh-CN", en_title),
    };
    let list = concepts(db, id).await?;
    let hierarchical = list.iter().any(|c| c.parent.is_some());
    let concept: Vec<Value> = list
        .iter()
        .map(|c| {
            let (shown, other) = match lang {
                Lang::Zh => (&c.zh, &c.en),
                Lang::En => (&c.en, &c.zh),
            };
            let mut v = json!({ "code": c.code, "display": shown });
            if other != shown {
                v["designation"] = json!([{ "language": other_tag, "value": other }]);
            }
            if let Some(p) = &c.parent {
                v["property"] = json!([{ "code": "parent", "valueCode": p }]);
            }
            v
        })
        .collect();
    let mut r = json!({
        "resourceType": "CodeSystem",
        "id": id,
        "meta": { "lastUpdated": *BUILT },
        "language": language(),
        "url": code_system(id),
        "version": env!("CARGO_PKG_VERSION"),
        "name": name,
        "title": title,
        "status": "active",
        "experimental": false,
        "publisher": "Shanhai 山海",
        "caseSensitive": true,
        "content": "complete",
        "count": concept.len(),
    });
    if hierarchical {
        r["hierarchyMeaning"] = json!(if id == "region" { "part-of" } else { "is-a" });
        r["property"] = json!([{
            "code": "parent",
            "uri": "http://hl7.org/fhir/concept-properties#parent",
            "description": "The code of the concept one level up",
            "type": "code",
        }]);
    }
    if !concept.is_empty() {
        r["concept"] = json!(concept);
    }
    Ok(r)
}

async fn read(State(state): State<AppState>, Path(id): Path<String>) -> FhirResult {
    let def = SYSTEMS
        .iter()
        .find(|d| d.0 == id)
        .ok_or_else(|| FhirError::from(StoreError::NotFound))?;
    Ok(Fhir::ok(resource(&state.db, def).await?))
}

async fn search(
    State(state): State<AppState>,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let names: Vec<&str> = PARAMS.iter().map(|p| p.0).collect();
    let search = Search::parse(raw.as_deref(), &names)?;
    super::support::plain(&search)?;
    let kept: Vec<&(&str, &str, &str, &str)> = SYSTEMS
        .iter()
        .filter(|d| {
            search.common_match(d.0, &BUILT)
                && search
                    .all("url")
                    .iter()
                    .all(|u| u.split(',').any(|u| u.trim() == code_system(d.0)))
                && super::support::strings_match(&search, "name", &[d.1])
        })
        .collect();
    let (page, total) = search.page(kept);
    let mut matches = Vec::new();
    for def in page {
        matches.push((def.0.to_string(), resource(&state.db, def).await?));
    }
    debug_assert!(CODE_SYSTEM_BASE.starts_with("https://"));
    Ok(Fhir::ok(searchset(
        &base,
        "CodeSystem",
        &search,
        total,
        matches,
        Vec::new(),
    )))
}
