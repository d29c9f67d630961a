//! Practitioner and PractitionerRole.
//!
//! - **Practitioner**: a person of the registry — name, gender, the professional title (职称,
//!   `title`) and honours (院士, 国务院政府特殊津贴专家 …, `honour`) as `qualification`s. Read
//!   within the caller's reach, as `GET /api/v1/people` (`registry::list_people`,
//!   `registry::get_person`).
//! - **PractitionerRole**: an assignment of expert dispatch (派驻) — the expert serving the
//!   recipient institution (`organization`, and its premises as `location`) for a `period`,
//!   with the post (挂职院长, 科主任, 队员 …, `post`) and the assignment mode (常驻, 候鸟 …,
//!   `assignment-mode`) as `code`; a weekly (候鸟) assignment names its weekdays in
//!   `availableTime`. Every authenticated caller reads the roster, as `GET /api/v1/assignments`.

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
use shanhai_domain::dispatch::{Assignment, AssignmentMode};
use shanhai_domain::registry::Person;
use shanhai_service::registry as service;
use shanhai_store::dispatch::{self, AssignmentFilter};
use shanhai_store::people::PersonFilter;

const PRACTITIONER_PARAMS: &[(&str, &str, &str)] = &[
    ("name", "string", "Name (starts with; :contains, :exact)"),
    ("gender", "token", "male or female"),
    (
        "qualification",
        "token",
        "A professional title (title) or honour (honour) code",
    ),
];

const ROLE_PARAMS: &[(&str, &str, &str)] = &[
    ("practitioner", "reference", "The expert (Practitioner)"),
    (
        "organization",
        "reference",
        "The recipient institution the expert serves",
    ),
    (
        "location",
        "reference",
        "The recipient institution's premises (Location)",
    ),
    (
        "date",
        "date",
        "The assignment's period (prefixes eq, ne, gt, lt, ge, le, sa, eb)",
    ),
    ("role", "token", "A post or assignment-mode code"),
    ("active", "token", "true: the period includes today"),
];

/// This module's part of the CapabilityStatement (exactly what its router implements).
pub fn capability() -> Vec<ResourceCapability> {
    vec![
        ResourceCapability {
            resource_type: "Practitioner",
            interactions: &["read", "search-type"],
            search_params: PRACTITIONER_PARAMS,
            includes: &[],
            documentation: "People of the registry within the caller's reach: name, gender, professional title and honours as qualifications.",
        },
        ResourceCapability {
            resource_type: "PractitionerRole",
            interactions: &["read", "search-type"],
            search_params: ROLE_PARAMS,
            includes: &[],
            documentation: "Assignments of expert dispatch: the expert at the recipient institution (organization, location) for a period, the post and the assignment mode as code, a weekly expert's weekdays as availableTime.",
        },
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/R4/Practitioner", get(search_practitioners))
        .route("/fhir/R4/Practitioner/{id}", get(read_practitioner))
        .route("/fhir/R4/PractitionerRole", get(search_roles))
        .route("/fhir/R4/PractitionerRole/{id}", get(read_role))
}

fn known_honour(h: &str) -> bool {
    shanhai_domain::words::honours()
        .iter()
        .any(|(zh, _)| *zh == h.trim())
}

fn practitioner(p: &Person) -> Value {
    let lang = i18n::current();
    let mut qualifications = vec![json!({
        "code": support::concept("title", p.title.code(), p.title.label(lang)),
    })];
    for h in &p.honours {
        let shown = shanhai_domain::words::honour(h, lang);
        let code = if known_honour(h) {
            support::concept("honour", h.trim(), &shown)
        } else {
            json!({ "text": shown })
        };
        qualifications.push(json!({ "code": code }));
    }
    json!({
        "resourceType": "Practitioner",
        "id": p.id,
        "meta": meta(&p.updated_at),
        "language": language(),
        "active": true,
        "name": [{ "use": "official", "text": p.name }],
        "gender": p.gender.code(),
        "qualification": qualifications,
    })
}

async fn read_practitioner(
    State(state): State<AppState>,
    caller: FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    let person = service::get_person(&state.db, &caller.0.acting(), &id).await?;
    Ok(Fhir::ok(practitioner(&person)))
}

async fn search_practitioners(
    State(state): State<AppState>,
    caller: FhirCaller,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let names: Vec<&str> = PRACTITIONER_PARAMS.iter().map(|p| p.0).collect();
    let search = Search::parse(raw.as_deref(), &names)?;
    super::support::plain(&search)?;
    let acting = caller.0.acting();
    let db = &state.db;
    let ids = search.ids();
    let filter = PersonFilter {
        q: support::string_value(&search, "name"),
        ..Default::default()
    };
    let (page, total) = if !support::filtered_beyond(&search, &[]) {
        support::window(&search, |page| {
            service::list_people(db, &acting, &filter, page)
        })
        .await?
    } else {
        let candidates = match &ids {
            // `_id`: read those people (within reach) rather than the whole list.
            Some(ids) => {
                let mut v = Vec::new();
                for id in ids {
                    match service::get_person(db, &acting, id).await {
                        Ok(p) => v.push(p),
                        Err(shanhai_service::ServiceError::Store(
                            shanhai_store::StoreError::NotFound,
                        ))
                        | Err(shanhai_service::ServiceError::NotFound)
                        | Err(shanhai_service::ServiceError::Forbidden(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                v
            }
            None => {
                support::all_pages(|page| service::list_people(db, &acting, &filter, page)).await?
            }
        };
        let (title, honour) = (code_system("title"), code_system("honour"));
        let kept: Vec<Person> = candidates
            .into_iter()
            .filter(|p| {
                let mut quals = vec![(title.clone(), p.title.code())];
                quals.extend(p.honours.iter().map(|h| (honour.clone(), h.trim())));
                support::common(&search, &p.id, &p.updated_at)
                    && support::strings_match(&search, "name", &[&p.name])
                    && support::codings_match(
                        &search,
                        "gender",
                        &[(
                            "http://hl7.org/fhir/administrative-gender".to_string(),
                            p.gender.code(),
                        )],
                    )
                    && support::codings_match(&search, "qualification", &quals)
            })
            .collect();
        search.page(kept)
    };
    let matches = page
        .iter()
        .map(|p| (p.id.clone(), practitioner(p)))
        .collect();
    Ok(Fhir::ok(searchset(
        &base,
        "Practitioner",
        &search,
        total,
        matches,
        Vec::new(),
    )))
}

/// ISO weekday (1 = Monday) as a FHIR `days-of-week` code.
fn day_code(d: i64) -> Option<&'static str> {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .get(usize::try_from(d - 1).ok()?)
        .copied()
}

fn role(a: &Assignment) -> Value {
    let lang = i18n::current();
    let mut r = json!({
        "resourceType": "PractitionerRole",
        "id": a.id,
        "meta": meta(&a.updated_at),
        "language": language(),
        "active": support::current(&a.start_date, Some(&a.end_date)),
        "period": { "start": a.start_date, "end": a.end_date },
        "practitioner": reference("Practitioner", &a.person_id, a.person_name.as_deref()),
        "organization": reference("Organization", &a.institution_id, a.institution_name.as_deref()),
        "code": [
            support::concept("post", a.post.code(), a.post.label(lang)),
            support::concept("assignment-mode", a.mode.code(), a.mode.label(lang)),
        ],
    });
    if a.mode.on_site() {
        r["location"] = json!([reference(
            "Location",
            &a.institution_id,
            a.institution_name.as_deref()
        )]);
    }
    if a.mode == AssignmentMode::Weekly {
        let days: Vec<&str> = a.weekdays.iter().filter_map(|d| day_code(*d)).collect();
        if !days.is_empty() {
            r["availableTime"] = json!([{ "daysOfWeek": days }]);
        }
    }
    r
}

async fn read_role(
    State(state): State<AppState>,
    _caller: FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    Ok(Fhir::ok(role(
        &dispatch::get_assignment(&state.db, &id).await?,
    )))
}

async fn search_roles(
    State(state): State<AppState>,
    _caller: FhirCaller,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let names: Vec<&str> = ROLE_PARAMS.iter().map(|p| p.0).collect();
    let search = Search::parse(raw.as_deref(), &names)?;
    super::support::plain(&search)?;
    let active = support::boolean(&search, "active")?;
    let dates = search.dates("date")?;
    let db = &state.db;
    let today = shanhai_store::today().to_string();
    let institution = support::reference_value(&search, "organization")
        .or_else(|| support::reference_value(&search, "location"));
    let filter = AssignmentFilter {
        person: support::reference_value(&search, "practitioner"),
        institution,
        active_on: (active == Some(true)).then(|| today.clone()),
        ..Default::default()
    };
    // The store filters by expert, recipient and (when asked for `true`) today's roster; a
    // search naming nothing else is served by the store's own paging.
    let mut pushed = vec!["practitioner", "organization"];
    if active == Some(true) {
        pushed.push("active");
    }
    let fast = !support::filtered_beyond(&search, &pushed)
        && search.get("location").is_none()
        && ["practitioner", "organization"]
            .iter()
            .all(|n| search.all(n).len() <= 1 && search.get(n).is_none_or(|v| !v.contains(',')));
    let (page, total) = if fast {
        support::window(&search, |page| {
            dispatch::list_assignments(db, &filter, page)
        })
        .await?
    } else {
        let all = support::all_pages(|page| dispatch::list_assignments(db, &filter, page)).await?;
        let (post, mode) = (code_system("post"), code_system("assignment-mode"));
        let kept: Vec<Assignment> = all
            .into_iter()
            .filter(|a| {
                let on_site = if a.mode.on_site() {
                    vec![a.institution_id.as_str()]
                } else {
                    Vec::new()
                };
                support::common(&search, &a.id, &a.updated_at)
                    && support::reference_match(&search, "practitioner", &[&a.person_id])
                    && support::reference_match(&search, "organization", &[&a.institution_id])
                    && support::reference_match(&search, "location", &on_site)
                    && support::period_matches(&dates, &a.start_date, Some(&a.end_date))
                    && active
                        .is_none_or(|x| x == support::current(&a.start_date, Some(&a.end_date)))
                    && support::codings_match(
                        &search,
                        "role",
                        &[(post.clone(), a.post.code()), (mode.clone(), a.mode.code())],
                    )
            })
            .collect();
        search.page(kept)
    };
    let matches = page.iter().map(|a| (a.id.clone(), role(a))).collect();
    Ok(Fhir::ok(searchset(
        &base,
        "PractitionerRole",
        &search,
        total,
        matches,
        Vec::new(),
    )))
}
