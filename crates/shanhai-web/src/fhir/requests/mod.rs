//! ServiceRequest and Task: referrals (转诊) and remote consultations (远程会诊), each one
//! ServiceRequest (what is asked, of whom, for which patient as far as the caller may see the
//! patient) and one Task (its state as Task status and business status, moved by a FHIR client
//! through the same service functions and rules as the JSON API).
//!
//! A record's UUID is the id of both its ServiceRequest and its Task (ids are UUIDv7 drawn for
//! each record, so a referral's and a consultation's never coincide; a read looks the id up
//! among the referrals, then among the consultations).
//!
//! Searches run the JSON API's list filters (the same access scope); the answer lists the
//! referrals first, then the consultations, each newest first. Every record a search shows is
//! read in full through the service, which audits the read.

mod service_request;
mod task;

use super::{DateParam, FhirError, FhirResult, Prefix, ResourceCapability, Search};
use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};
use shanhai_domain::Lang;
use shanhai_domain::consultations::{Consultation, ConsultationState};
use shanhai_domain::referrals::{Referral, ReferralState, is_staff_of};
use shanhai_service::{Acting, ServiceError, ServiceResult};
use shanhai_store::query::InstantRange;
use shanhai_store::{PageRequest, StoreError};
use std::collections::BTreeSet;

/// This module's part of the CapabilityStatement (exactly what its router implements).
pub fn capability() -> Vec<ResourceCapability> {
    vec![service_request::CAPABILITY, task::CAPABILITY]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/R4/ServiceRequest", get(service_request::search))
        .route("/fhir/R4/ServiceRequest/{id}", get(service_request::read))
        .route("/fhir/R4/Task", get(task::search))
        .route(
            "/fhir/R4/Task/{id}",
            get(task::read).put(task::update).patch(task::patch),
        )
}

/// A referral or a consultation, as both resources show it.
pub(crate) enum Record {
    Referral(Box<Referral>),
    Consultation(Box<Consultation>),
}

impl Record {
    fn id(&self) -> &str {
        match self {
            Record::Referral(r) => &r.id,
            Record::Consultation(c) => &c.id,
        }
    }

    fn updated_at(&self) -> &str {
        match self {
            Record::Referral(r) => &r.updated_at,
            Record::Consultation(c) => &c.updated_at,
        }
    }

    fn created_at(&self) -> &str {
        match self {
            Record::Referral(r) => &r.created_at,
            Record::Consultation(c) => &c.requested_at,
        }
    }

    /// The requesting institution: id and name.
    fn requesting(&self) -> (&str, Option<&str>) {
        match self {
            Record::Referral(r) => (&r.from_institution_id, r.from_institution_name.as_deref()),
            Record::Consultation(c) => (
                &c.requesting_institution_id,
                c.requesting_institution_name.as_deref(),
            ),
        }
    }

    /// The institution asked: id and name.
    fn performing(&self) -> (&str, Option<&str>) {
        match self {
            Record::Referral(r) => (&r.to_institution_id, r.to_institution_name.as_deref()),
            Record::Consultation(c) => (
                &c.target_institution_id,
                c.target_institution_name.as_deref(),
            ),
        }
    }

    fn urgent(&self) -> bool {
        use shanhai_domain::consultations::Urgency;
        match self {
            Record::Referral(r) => r.urgency == Urgency::Urgent,
            Record::Consultation(c) => c.urgency == Urgency::Urgent,
        }
    }

    /// "转诊" / "Remote consultation".
    fn kind_label(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Record::Referral(_), Lang::Zh) => "转诊",
            (Record::Referral(_), Lang::En) => "Referral",
            (Record::Consultation(_), Lang::Zh) => "远程会诊",
            (Record::Consultation(_), Lang::En) => "Remote consultation",
        }
    }

    /// Whether the state is final (nothing more can happen).
    fn is_final(&self) -> bool {
        match self {
            Record::Referral(r) => r.state.is_final(),
            Record::Consultation(c) => c.state.is_final(),
        }
    }

    /// Whether the caller sees the patient (masked): the staff of either institution (and the
    /// platform admin); an expert assigned to a consultation reads the case without the name.
    fn shows_patient(&self, who: &Acting) -> bool {
        let (a, _) = self.requesting();
        let (b, _) = self.performing();
        is_staff_of(&who.principal, a) || is_staff_of(&who.principal, b)
    }
}

/// The Task status of a referral's state.
pub(crate) fn referral_task_status(s: ReferralState) -> &'static str {
    use ReferralState as S;
    match s {
        S::Created => "requested",
        S::Accepted => "accepted",
        S::Declined => "rejected",
        S::Arrived | S::Treated => "in-progress",
        S::DownReferred | S::Closed => "completed",
        S::Cancelled => "cancelled",
    }
}

/// The Task status of a consultation's state (a signed report completes the consulted side's
/// task; closing is the requester's acknowledgement).
pub(crate) fn consultation_task_status(s: ConsultationState) -> &'static str {
    use ConsultationState as S;
    match s {
        S::Requested => "requested",
        S::Accepted | S::Scheduled => "accepted",
        S::Declined => "rejected",
        S::Held => "in-progress",
        S::Signed | S::Closed => "completed",
        S::Cancelled => "cancelled",
    }
}

/// The ServiceRequest status of a referral's state.
pub(crate) fn referral_request_status(s: ReferralState) -> &'static str {
    use ReferralState as S;
    match s {
        S::Created | S::Accepted | S::Arrived | S::Treated => "active",
        S::DownReferred | S::Closed => "completed",
        S::Declined | S::Cancelled => "revoked",
    }
}

/// The ServiceRequest status of a consultation's state.
pub(crate) fn consultation_request_status(s: ConsultationState) -> &'static str {
    use ConsultationState as S;
    match s {
        S::Requested | S::Accepted | S::Scheduled | S::Held | S::Signed => "active",
        S::Closed => "completed",
        S::Declined | S::Cancelled => "revoked",
    }
}

/// A stored local minute (`YYYY-MM-DDTHH:MM`, Asia/Shanghai) as a FHIR dateTime.
fn local_minute(raw: &str) -> Option<String> {
    chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .ok()
        .map(|t| format!("{}+08:00", t.format("%Y-%m-%dT%H:%M:%S")))
}

/// A FHIR dateTime as the local minute the JSON API takes (`YYYY-MM-DDTHH:MM`, Asia/Shanghai);
/// anything else is passed on as given, for the service to refuse with its own message.
fn to_local_minute(raw: &str) -> String {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        let shanghai = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or(*t.offset());
        return t
            .with_timezone(&shanghai)
            .format("%Y-%m-%dT%H:%M")
            .to_string();
    }
    raw.get(..16).unwrap_or(raw).to_string()
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "system": system, "code": code, "display": display })
}

fn concept(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [coding(system, code, display)], "text": display })
}

/// A Reference to an Organization of this server.
fn organization((id, name): (&str, Option<&str>)) -> Value {
    super::reference("Organization", id, name)
}

fn is_not_found(e: &ServiceError) -> bool {
    matches!(
        e,
        ServiceError::NotFound
            | ServiceError::NotFoundAs(_)
            | ServiceError::Store(StoreError::NotFound)
    )
}

/// Reads one referral or consultation through the service (the caller's access checked, the
/// read audited).
pub(crate) async fn read_record(
    state: &AppState,
    who: &Acting,
    raw_id: &str,
) -> FhirResult<Record> {
    let id = shanhai_domain::ids::parse_id(raw_id).ok_or_else(ApiError::not_found)?;
    match shanhai_service::referrals::read(&state.db, who, &id).await {
        Ok((r, _, _)) => return Ok(Record::Referral(Box::new(r))),
        Err(e) if is_not_found(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let (c, _, _) = shanhai_service::consultations::read(&state.db, who, &id).await?;
    Ok(Record::Consultation(Box::new(c)))
}

/// A search over both kinds of record: `None` leaves a kind out.
#[derive(Default)]
pub(crate) struct Query {
    pub referrals: Option<shanhai_store::referrals::ReferralFilter>,
    pub consultations: Option<shanhai_store::consultations::ConsultationFilter>,
}

impl Query {
    fn both() -> Query {
        Query {
            referrals: Some(Default::default()),
            consultations: Some(Default::default()),
        }
    }

    /// Only these records (`_id`, `focus`).
    fn ids(&mut self, ids: Option<Vec<String>>) {
        if let Some(ids) = ids {
            let set: BTreeSet<String> = ids.into_iter().collect();
            if let Some(f) = &mut self.referrals {
                f.ids = Some(intersect(f.ids.take(), set.clone()));
            }
            if let Some(f) = &mut self.consultations {
                f.ids = Some(intersect(f.ids.take(), set));
            }
        }
    }

    /// Only referrals and consultations in these states.
    fn states(&mut self, referral: BTreeSet<String>, consultation: BTreeSet<String>) {
        if let Some(f) = &mut self.referrals {
            f.states = Some(intersect(f.states.take(), referral));
        }
        if let Some(f) = &mut self.consultations {
            f.states = Some(intersect(f.states.take(), consultation));
        }
    }

    /// Requested by one of these institutions.
    fn requesters(&mut self, ids: Option<Vec<String>>) {
        if let Some(ids) = ids {
            let set: BTreeSet<String> = ids.into_iter().collect();
            if let Some(f) = &mut self.referrals {
                f.from_institutions = Some(set.clone());
            }
            if let Some(f) = &mut self.consultations {
                f.requesting_institutions = Some(set);
            }
        }
    }

    fn updated(&mut self, search: &Search) -> FhirResult<()> {
        let ranges: Vec<InstantRange> = search
            .dates("_lastUpdated")?
            .iter()
            .map(instant_range)
            .collect();
        if let Some(f) = &mut self.referrals {
            f.updated = ranges.clone();
        }
        if let Some(f) = &mut self.consultations {
            f.updated = ranges;
        }
        Ok(())
    }
}

fn intersect(a: Option<BTreeSet<String>>, b: BTreeSet<String>) -> BTreeSet<String> {
    match a {
        Some(a) => a.intersection(&b).cloned().collect(),
        None => b,
    }
}

/// A date parameter as a range of stored instants.
fn instant_range(d: &DateParam) -> InstantRange {
    let at = |t: chrono::NaiveDateTime| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let (lo, hi) = (Some(at(d.lower)), Some(at(d.upper)));
    match d.prefix {
        Prefix::Eq => InstantRange {
            not_before: lo,
            before: hi,
            negate: false,
        },
        Prefix::Ne => InstantRange {
            not_before: lo,
            before: hi,
            negate: true,
        },
        Prefix::Gt | Prefix::Sa => InstantRange {
            not_before: hi,
            ..Default::default()
        },
        Prefix::Lt | Prefix::Eb => InstantRange {
            before: lo,
            ..Default::default()
        },
        Prefix::Ge => InstantRange {
            not_before: lo,
            ..Default::default()
        },
        Prefix::Le => InstantRange {
            before: hi,
            ..Default::default()
        },
    }
}

/// The values of a token parameter as `(system, code)` pairs (comma OR-list).
fn system_codes(search: &Search, name: &str) -> Option<Vec<(Option<String>, String)>> {
    search.get(name).map(|v| {
        v.split(',')
            .filter(|t| !t.trim().is_empty())
            .map(|t| match t.split_once('|') {
                Some((system, code)) => (
                    Some(system.trim().to_string()).filter(|s| !s.is_empty()),
                    code.trim().to_string(),
                ),
                None => (None, t.trim().to_string()),
            })
            .collect()
    })
}

/// Refuses what the search cannot honour rather than ignore it: modifiers (`status:not`),
/// `_sort`, and `_include` values other than those given.
fn refuse_unsupported(search: &Search, includes: &[&str]) -> FhirResult<()> {
    for (name, value) in &search.params {
        if name.contains(':') {
            return Err(FhirError::bad_request(
                "fhir.unknown_parameter",
                name.clone(),
            ));
        }
        if name == "_sort" {
            return Err(FhirError::bad_request("fhir.unknown_parameter", "_sort"));
        }
        if name == "_include" && !includes.contains(&value.as_str()) {
            return Err(FhirError::bad_request(
                "fhir.bad_parameter",
                format!("_include={value}"),
            ));
        }
    }
    Ok(())
}

/// One page of the records a query finds, and how many it finds: referrals first, then
/// consultations. A caller whose role works without referrals (an expert) finds only
/// consultations.
pub(crate) async fn run(
    state: &AppState,
    who: &Acting,
    query: &Query,
    offset: usize,
    count: usize,
) -> FhirResult<(Vec<Record>, usize)> {
    let mut found = Vec::new();
    let mut total = 0;
    if let Some(f) = &query.referrals {
        match referral_slice(state, who, f, offset, count).await {
            Ok((items, n)) => {
                found.extend(items.into_iter().map(|r| Record::Referral(Box::new(r))));
                total += n;
            }
            Err(ServiceError::Forbidden(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(f) = &query.consultations {
        let c_offset = offset.saturating_sub(total);
        let room = count.saturating_sub(found.len());
        let (items, n) = consultation_slice(state, who, f, c_offset, room).await?;
        found.extend(items.into_iter().map(|c| Record::Consultation(Box::new(c))));
        total += n;
    }
    Ok((found, total))
}

/// The pages of `per_page` records that cover `[offset, offset + count)`: the first page
/// number and whether the next one is needed too.
fn covering(offset: usize, count: usize) -> (i64, bool) {
    let count = count.max(1);
    let page = i64::try_from(offset / count).unwrap_or(i64::MAX - 1) + 1;
    (page, !offset.is_multiple_of(count))
}

fn per_page(count: usize) -> PageRequest {
    PageRequest::new(Some(1), Some(i64::try_from(count.max(1)).unwrap_or(1)))
}

fn total_of(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// Referrals `[offset, offset + count)` of the list the caller sees, read in full (audited).
async fn referral_slice(
    state: &AppState,
    who: &Acting,
    f: &shanhai_store::referrals::ReferralFilter,
    offset: usize,
    count: usize,
) -> ServiceResult<(Vec<Referral>, usize)> {
    use shanhai_service::referrals as service;
    let db = &state.db;
    let (page, two) = covering(offset, count);
    let size = per_page(count);
    let first = service::list(db, who, f.clone(), PageRequest { page, ..size }).await?;
    let total = total_of(first.total);
    if count == 0 {
        return Ok((Vec::new(), total));
    }
    let mut ids: Vec<String> = first.items.into_iter().map(|r| r.id).collect();
    if two {
        let next = PageRequest {
            page: page + 1,
            ..size
        };
        ids.extend(
            service::list(db, who, f.clone(), next)
                .await?
                .items
                .into_iter()
                .map(|r| r.id),
        );
    }
    let ids: BTreeSet<String> = ids.into_iter().skip(offset % count).take(count).collect();
    if ids.is_empty() {
        return Ok((Vec::new(), total));
    }
    let only = shanhai_store::referrals::ReferralFilter {
        ids: Some(ids),
        ..f.clone()
    };
    let items = service::read_page(db, who, only, size).await?.items;
    Ok((items, total))
}

/// Consultations `[offset, offset + count)` of the list the caller sees, read in full
/// (audited).
async fn consultation_slice(
    state: &AppState,
    who: &Acting,
    f: &shanhai_store::consultations::ConsultationFilter,
    offset: usize,
    count: usize,
) -> ServiceResult<(Vec<Consultation>, usize)> {
    use shanhai_service::consultations as service;
    let db = &state.db;
    let (page, two) = covering(offset, count);
    let size = per_page(count);
    let first = service::list(db, who, f.clone(), PageRequest { page, ..size }).await?;
    let total = total_of(first.total);
    if count == 0 {
        return Ok((Vec::new(), total));
    }
    let mut ids: Vec<String> = first.items.into_iter().map(|c| c.id).collect();
    if two {
        let next = PageRequest {
            page: page + 1,
            ..size
        };
        ids.extend(
            service::list(db, who, f.clone(), next)
                .await?
                .items
                .into_iter()
                .map(|c| c.id),
        );
    }
    let ids: BTreeSet<String> = ids.into_iter().skip(offset % count).take(count).collect();
    if ids.is_empty() {
        return Ok((Vec::new(), total));
    }
    let only = shanhai_store::consultations::ConsultationFilter {
        ids: Some(ids),
        ..f.clone()
    };
    let items = service::read_page(db, who, only, size).await?.items;
    Ok((items, total))
}

/// A 422 OperationOutcome with one of the catalogue's messages.
fn unprocessable(key: &'static str) -> FhirError {
    FhirError(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
        key,
    ))
}

/// The JSON API's answer to a move the state machine does not allow.
fn illegal_transition() -> FhirError {
    FhirError(ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        "error.illegal_transition",
    ))
}
