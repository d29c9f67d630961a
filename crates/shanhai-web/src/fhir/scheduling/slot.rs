//! Slot: one clinic session and its places (see the module's documentation).

use super::{
    check_extras, extension_url, instant, lang, last_updated, local_range, parse_schedule_id,
    record_id, schedule, schedule_id, service_type, specialty, window,
};
use crate::AppState;
use crate::fhir::{
    Fhir, FhirBase, FhirCaller, FhirResult, ResourceCapability, Search, language, meta, reference,
    searchset,
};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use serde_json::{Value, json};
use shanhai_domain::clinic_sessions::{ClinicSession, SessionStatus, VisitType};
use shanhai_store::clinic_sessions::{self, SessionCondition, SessionFilter};
use std::collections::BTreeSet;

const PARAMS: &[&str] = &["schedule", "start", "status", "service-type", "specialty"];

pub fn capability() -> ResourceCapability {
    ResourceCapability {
        resource_type: "Slot",
        interactions: &["read", "search-type"],
        search_params: &[
            (
                "schedule",
                "reference",
                "The Schedule (an expert at a host)",
            ),
            (
                "start",
                "date",
                "The session's start, with prefixes (a date without a zone is a day in Asia/Shanghai)",
            ),
            (
                "status",
                "token",
                "free (places left, taking bookings), busy (every place taken; waitlist open), busy-unavailable (ended or cancelled)",
            ),
            (
                "service-type",
                "token",
                "The visit type (CodeSystem visit-type: expert, academician, free-clinic, circuit)",
            ),
            (
                "specialty",
                "token",
                "The 诊疗科目 code (CodeSystem specialty); a code matches its sub-specialties",
            ),
        ],
        includes: &["Slot:schedule"],
        documentation: "One Slot per clinic session (出诊), spanning the session; its places are in the extensions slot-capacity, slot-available and slot-waitlisted. Book one with POST Appointment.",
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/R4/Slot", get(search))
        .route("/fhir/R4/Slot/{id}", get(read))
}

/// A session's booking state as a Slot status.
pub fn status(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Open => "free",
        SessionStatus::Full => "busy",
        SessionStatus::Ended | SessionStatus::Cancelled => "busy-unavailable",
    }
}

/// The booking states a Slot status stands for.
fn states(code: &str) -> Vec<SessionStatus> {
    match code {
        "free" => vec![SessionStatus::Open],
        "busy" => vec![SessionStatus::Full],
        "busy-unavailable" => vec![SessionStatus::Ended, SessionStatus::Cancelled],
        _ => vec![],
    }
}

/// How a Schedule is shown where it is referenced: the expert at the host.
fn schedule_display(s: &ClinicSession) -> String {
    let expert = s.expert_name.as_deref().unwrap_or("");
    let host = s.institution_name.as_deref().unwrap_or("");
    format!("{expert} · {host}")
}

/// A Slot resource.
pub fn resource(s: &ClinicSession) -> Value {
    let mut r = json!({
        "resourceType": "Slot",
        "id": s.id,
        "meta": meta(&s.updated_at),
        "language": language(),
        "extension": [
            { "url": extension_url("slot-capacity"), "valuePositiveInt": s.capacity },
            { "url": extension_url("slot-available"), "valueUnsignedInt": s.available },
            { "url": extension_url("slot-waitlisted"), "valueUnsignedInt": s.waitlisted },
        ],
        "serviceType": [service_type(s.visit_type)],
        "schedule": reference(
            "Schedule",
            &schedule_id(&s.expert_id, &s.institution_id),
            Some(&schedule_display(s)),
        ),
        "status": status(s.status),
        "start": instant(&s.date, &s.start),
        "end": instant(&s.date, &s.end),
    });
    if let Some(sp) = s.specialty_code.as_deref().and_then(specialty) {
        r["specialty"] = json!([sp]);
    }
    let mut comment: Vec<String> = Vec::new();
    if s.status == SessionStatus::Cancelled {
        comment.push(SessionStatus::Cancelled.label(lang()).to_string());
    }
    if let Some(note) = s.note.as_deref().filter(|n| !n.trim().is_empty()) {
        comment.push(note.to_string());
    }
    if !comment.is_empty() {
        r["comment"] = json!(comment.join(" · "));
    }
    r
}

async fn read(
    State(state): State<AppState>,
    _caller: FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    let id = record_id(&id)?;
    Ok(Fhir::ok(resource(
        &clinic_sessions::get(&state.db, &id).await?,
    )))
}

/// The session conditions of a Slot search.
fn conditions(search: &Search) -> FhirResult<Vec<SessionCondition>> {
    let mut c = Vec::new();
    if let Some(ids) = search.ids() {
        c.push(SessionCondition::Ids(ids));
    }
    if let Some(ids) = search.reference_ids("schedule") {
        c.push(SessionCondition::ExpertAt(
            ids.iter().filter_map(|i| parse_schedule_id(i)).collect(),
        ));
    }
    for d in search.dates("start")? {
        c.push(SessionCondition::Starts(local_range(&d)));
    }
    for range in last_updated(search)? {
        c.push(SessionCondition::Updated(range));
    }
    if let Some(codes) = search.tokens("status") {
        c.push(SessionCondition::States(
            codes.iter().flat_map(|code| states(code)).collect(),
        ));
    }
    if let Some(codes) = search.tokens("service-type") {
        c.push(SessionCondition::VisitTypes(
            codes.iter().filter_map(|v| VisitType::parse(v)).collect(),
        ));
    }
    if let Some(codes) = search.tokens("specialty") {
        c.push(SessionCondition::Specialties(codes));
    }
    Ok(c)
}

async fn search(
    State(state): State<AppState>,
    _caller: FhirCaller,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let search = Search::parse(raw.as_deref(), PARAMS)?;
    check_extras(&search, &["Slot:schedule"], &["start"])?;
    let filter = SessionFilter {
        conditions: conditions(&search)?,
        ..Default::default()
    };
    let (sessions, total) = window(&search, |page| {
        clinic_sessions::list(&state.db, &filter, page)
    })
    .await?;
    let mut included = Vec::new();
    if search.includes().contains(&"Slot:schedule") {
        let pairs: BTreeSet<(String, String)> = sessions
            .iter()
            .map(|s| (s.expert_id.clone(), s.institution_id.clone()))
            .collect();
        for c in schedule::of_pairs(&state, pairs.into_iter().collect()).await? {
            let id = schedule_id(&c.expert_id, &c.institution_id);
            included.push(("Schedule".to_string(), id, schedule::resource(&c)));
        }
    }
    let entries = sessions
        .iter()
        .map(|s| (s.id.clone(), resource(s)))
        .collect();
    Ok(Fhir::ok(searchset(
        &base, "Slot", &search, total, entries, included,
    )))
}
