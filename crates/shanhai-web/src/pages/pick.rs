//! The type-ahead pickers' source: `GET /pick/people`, `/pick/institutions`, `/pick/departments`
//! answer a signed-in page session with at most [`LIMIT`] matches as `{"items": [{"id", "label",
//! "specialty"?}]}`: labels a person can read (name · title · institution), never codes. People
//! are those of the institutions the viewer reaches (the same scope as `GET /api/v1/people`),
//! and the visiting experts (`donors_of`, `around`) of an institution the viewer reads, as its
//! capacity forms offer them;
//! institutions and departments are the registry every signed-in user reads. The component that
//! asks is in `assets/app.js`, the markup in `templates/picker.html`.

use super::Viewer;
use crate::AppState;
use crate::auth::AccessFacts;
use crate::i18n;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use shanhai_domain::Lang;
use shanhai_domain::access::Reach;
use shanhai_domain::codes::{InstitutionKind, Title};
use shanhai_domain::registry::{Department, Institution, Person};
use shanhai_service::registry as service;
use shanhai_store::PageRequest;
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::people::{self, PersonFilter};

/// The most matches one answer holds: the picker asks again as the user types.
pub const LIMIT: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pick/people", get(people))
        .route("/pick/institutions", get(institution_list))
        .route("/pick/departments", get(department_list))
}

#[derive(Debug, Default, Deserialize)]
pub struct PickQuery {
    /// Part of the name.
    pub q: Option<String>,
    /// People of this specialty (or below it).
    pub specialty: Option<String>,
    /// People or departments of this institution.
    pub institution: Option<String>,
    /// People of this department.
    pub department: Option<String>,
    /// `doctor` (physicians), `clinical` (physicians, nurses, technicians) or empty (everyone).
    pub role: Option<String>,
    /// `hospital` (hospitals and regional centres), `care` (every kind that treats patients),
    /// `office` (health commissions) or one kind's code.
    pub kind: Option<String>,
    /// Institutions on either side of this program's pairings, and its office.
    pub program: Option<String>,
    /// People at the donors paired with this institution (its visiting experts).
    pub donors_of: Option<String>,
    /// People at this institution or at the donors paired with it.
    pub around: Option<String>,
}

/// One match.
#[derive(Debug, Clone, Serialize)]
pub struct Pick {
    pub id: String,
    pub label: String,
    /// A department's specialty code, for a picker of people that follows the department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specialty: Option<String>,
}

#[derive(Debug, Serialize)]
struct Picks {
    items: Vec<Pick>,
}

fn answer(result: Result<Vec<Pick>, shanhai_service::ServiceError>) -> Response {
    match result {
        Ok(items) => ([(header::CACHE_CONTROL, "no-store")], Json(Picks { items })).into_response(),
        Err(e) => {
            let e = crate::error::ApiError::from(e);
            (e.status, Json(Picks { items: Vec::new() })).into_response()
        }
    }
}

fn signed_out() -> Response {
    (StatusCode::UNAUTHORIZED, Json(Picks { items: Vec::new() })).into_response()
}

fn first(limit: i64) -> PageRequest {
    PageRequest::new(Some(1), Some(limit))
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The titles a `role` takes.
pub fn titles(role: Option<&str>) -> Vec<String> {
    use Title::*;
    let physicians = [
        ChiefPhysician,
        AssociateChiefPhysician,
        AttendingPhysician,
        ResidentPhysician,
    ];
    let clinical = [
        ChiefNurse,
        AssociateChiefNurse,
        SupervisorNurse,
        Nurse,
        ChiefTechnician,
        Technician,
    ];
    let list: Vec<Title> = match role.map(str::trim) {
        Some("doctor") => physicians.to_vec(),
        Some("clinical") => physicians.iter().chain(clinical.iter()).copied().collect(),
        _ => Vec::new(),
    };
    list.into_iter().map(|t| t.code().to_string()).collect()
}

/// The institution kinds a `kind` takes.
pub fn kinds(kind: Option<&str>) -> Vec<String> {
    use InstitutionKind::*;
    let list: Vec<InstitutionKind> = match kind.map(str::trim) {
        None | Some("") => Vec::new(),
        Some("hospital") => vec![Hospital, RegionalCenter],
        Some("care") => InstitutionKind::ALL
            .iter()
            .copied()
            .filter(|k| *k != HealthCommission)
            .collect(),
        Some("office") => vec![HealthCommission],
        Some(code) => return vec![code.to_string()],
    };
    list.into_iter().map(|k| k.code().to_string()).collect()
}

/// A person as a picker shows them: name · title · institution.
pub fn person_label(lang: Lang, p: &Person) -> String {
    let mut s = format!("{} · {}", p.name, p.title.label(lang));
    if let Some(d) = &p.department_name {
        s.push_str(" · ");
        s.push_str(d);
    }
    if let Some(i) = &p.institution_name {
        s.push_str(" · ");
        s.push_str(i);
    }
    s
}

pub fn person_pick(lang: Lang, p: &Person) -> Pick {
    Pick {
        id: p.id.clone(),
        label: person_label(lang, p),
        specialty: None,
    }
}

pub fn institution_pick(lang: Lang, i: &Institution) -> Pick {
    let mut label = format!("{} · {}", i.name, i.kind.label(lang));
    if let Some(r) = &i.region_name {
        label.push_str(" · ");
        label.push_str(r);
    }
    Pick {
        id: i.id.clone(),
        label,
        specialty: None,
    }
}

pub fn department_pick(lang: Lang, d: &Department) -> Pick {
    let specialty = shanhai_domain::specialty::find(&d.specialty_code).map(|s| match lang {
        Lang::Zh => s.zh.clone(),
        Lang::En => s.en.clone(),
    });
    let mut label = d.name.clone();
    if let Some(s) = specialty.filter(|s| *s != d.name) {
        label.push_str(" · ");
        label.push_str(&s);
    }
    if let Some(i) = &d.institution_name {
        label.push_str(" · ");
        label.push_str(i);
    }
    Pick {
        id: d.id.clone(),
        label,
        specialty: Some(d.specialty_code.clone()),
    }
}

/// The people a viewer may pick, filtered as the query says (at most `limit`).
pub async fn find_people(
    state: &AppState,
    viewer: &Viewer,
    q: &PickQuery,
    limit: i64,
) -> Result<Vec<Pick>, shanhai_service::ServiceError> {
    let filter = PersonFilter {
        q: given(&q.q),
        institution: given(&q.institution),
        department: given(&q.department),
        specialty: given(&q.specialty),
        titles: titles(q.role.as_deref()),
        program: given(&q.program),
        donors_of: given(&q.donors_of).or_else(|| given(&q.around)),
        with_own_staff: given(&q.around).is_some(),
        ..Default::default()
    };
    let lang = i18n::current();
    // The visiting experts of an institution the viewer reads: the donors' people its forms
    // name (a mentor, a technique's expert), as those forms offer them.
    let host = filter.donors_of.clone();
    let page = match host {
        Some(host) if reads(state, viewer, &host).await? => {
            people::list(&state.db, &filter, &Reach::All, first(limit))
                .await
                .map_err(shanhai_service::ServiceError::from)?
        }
        _ => service::list_people(&state.db, &viewer.acting(), &filter, first(limit)).await?,
    };
    Ok(page.items.iter().map(|p| person_pick(lang, p)).collect())
}

/// Whether the viewer reads `institution`'s records.
async fn reads(
    state: &AppState,
    viewer: &Viewer,
    institution: &str,
) -> Result<bool, shanhai_service::ServiceError> {
    let facts = AccessFacts::load(&state.db).await?;
    Ok(facts.access(&viewer.principal, institution).can_read())
}

/// The institutions a picker offers, filtered as the query says (at most `limit`).
pub async fn find_institutions(
    state: &AppState,
    q: &PickQuery,
    limit: i64,
) -> Result<Vec<Pick>, shanhai_service::ServiceError> {
    let filter = InstitutionFilter {
        q: given(&q.q),
        kinds: kinds(q.kind.as_deref()),
        program: given(&q.program),
        ..Default::default()
    };
    let lang = i18n::current();
    let page = institutions::list(&state.db, &filter, first(limit))
        .await
        .map_err(shanhai_service::ServiceError::from)?;
    Ok(page
        .items
        .iter()
        .map(|i| institution_pick(lang, i))
        .collect())
}

/// The departments a picker offers (at most `limit`).
pub async fn find_departments(
    state: &AppState,
    q: &PickQuery,
    limit: i64,
) -> Result<Vec<Pick>, shanhai_service::ServiceError> {
    let filter = DepartmentFilter {
        institution: given(&q.institution),
        specialty: given(&q.specialty),
        q: given(&q.q),
    };
    let lang = i18n::current();
    let page = departments::list(&state.db, &filter, first(limit))
        .await
        .map_err(shanhai_service::ServiceError::from)?;
    Ok(page
        .items
        .iter()
        .map(|d| department_pick(lang, d))
        .collect())
}

async fn people(
    State(state): State<AppState>,
    viewer: Option<Viewer>,
    Query(q): Query<PickQuery>,
) -> Response {
    let Some(viewer) = viewer else {
        return signed_out();
    };
    answer(find_people(&state, &viewer, &q, LIMIT).await)
}

async fn institution_list(
    State(state): State<AppState>,
    viewer: Option<Viewer>,
    Query(q): Query<PickQuery>,
) -> Response {
    if viewer.is_none() {
        return signed_out();
    }
    answer(find_institutions(&state, &q, LIMIT).await)
}

async fn department_list(
    State(state): State<AppState>,
    viewer: Option<Viewer>,
    Query(q): Query<PickQuery>,
) -> Response {
    if viewer.is_none() {
        return signed_out();
    }
    answer(find_departments(&state, &q, LIMIT).await)
}
