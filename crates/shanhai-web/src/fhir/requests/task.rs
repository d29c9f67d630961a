//! Task: a referral's or a consultation's state as Task status and business status, moved by
//! `PUT` or `PATCH` through the JSON API's own service functions and rules.

use super::{
    Query, Record, concept, consultation_task_status, illegal_transition, local_minute,
    organization, read_record, referral_task_status, refuse_unsupported, run, system_codes,
    to_local_minute, unprocessable,
};
use crate::AppState;
use crate::api::JsonBody;
use crate::fhir::{
    Fhir, FhirBase, FhirCaller, FhirError, FhirResult, ResourceCapability, Search, code_system,
    language, meta, reference, searchset,
};
use crate::i18n;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use shanhai_domain::Lang;
use shanhai_domain::consultations::{ConsultationAction, ConsultationState, TransitionInput};
use shanhai_domain::referrals::{
    ReferralAction, ReferralState, ReferralTransitionInput, StepDetail,
};
use shanhai_service::Acting;
use std::collections::{BTreeMap, BTreeSet};

const PARAMS: &[&str] = &["owner", "requester", "status", "business-status", "focus"];
const INCLUDES: &[&str] = &["Task:focus", "Task:focus:ServiceRequest"];

/// Every code of the Task.status value set (required binding).
const TASK_STATUSES: &[&str] = &[
    "draft",
    "requested",
    "received",
    "accepted",
    "rejected",
    "ready",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
];

pub const CAPABILITY: ResourceCapability = ResourceCapability {
    resource_type: "Task",
    interactions: &["read", "search-type", "update", "patch"],
    search_params: &[
        ("owner", "reference", "The institution asked (Organization)"),
        (
            "requester",
            "reference",
            "The requesting institution (Organization)",
        ),
        ("status", "token", "Task status"),
        (
            "business-status",
            "token",
            "The record's own state (CodeSystem referral-state or consultation-state)",
        ),
        ("focus", "reference", "The ServiceRequest (the same id)"),
    ],
    includes: &["Task:focus"],
    documentation: "The state of a referral or a remote consultation: status (Task status) and businessStatus (the project's referral-state or consultation-state). Update (PUT) or patch (JSON Patch, application/json-patch+json) may change only status and businessStatus, adding a note (a decline reason, an outcome, a decision) and output (an acceptance's appointment-at, ward, contact-name, contact-phone; a consultation's scheduled-at and opinion; CodeSystem step-detail) where the step needs them; the step is taken by the JSON API's service with its rules and messages (403, 409 for a step the state does not allow, 422). Where a status alone names more than one step, give the businessStatus.",
};

/// `GET /fhir/R4/Task/{id}`.
pub async fn read(
    State(state): State<AppState>,
    FhirCaller(caller): FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    let who = caller.acting();
    let record = read_record(&state, &who, &id).await?;
    Ok(Fhir::ok(resource(&record)))
}

/// `GET /fhir/R4/Task?…`, with `_include=Task:focus` for the ServiceRequests.
pub async fn search(
    State(state): State<AppState>,
    FhirCaller(caller): FhirCaller,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let who = caller.acting();
    let search = Search::parse(raw.as_deref(), PARAMS)?;
    refuse_unsupported(&search, INCLUDES)?;
    let query = query(&search)?;
    let (records, total) = run(&state, &who, &query, search.offset, search.count).await?;
    let matches = records
        .iter()
        .map(|r| (r.id().to_string(), resource(r)))
        .collect();
    let included = if search.includes().is_empty() {
        Vec::new()
    } else {
        records
            .iter()
            .map(|r| {
                (
                    "ServiceRequest".to_string(),
                    r.id().to_string(),
                    super::service_request::resource(r, &who),
                )
            })
            .collect()
    };
    Ok(Fhir::ok(searchset(
        &base, "Task", &search, total, matches, included,
    )))
}

fn query(search: &Search) -> FhirResult<Query> {
    let mut q = Query::both();
    q.ids(search.ids());
    q.ids(search.reference_ids("focus"));
    q.requesters(search.reference_ids("requester"));
    if let Some(owners) = search.reference_ids("owner") {
        let set: BTreeSet<String> = owners.into_iter().collect();
        if let Some(f) = &mut q.referrals {
            f.to_institutions = Some(set.clone());
        }
        if let Some(f) = &mut q.consultations {
            f.target_institutions = Some(set);
        }
    }
    if let Some(statuses) = search.tokens("status") {
        let referral = ReferralState::ALL
            .iter()
            .filter(|s| statuses.iter().any(|t| t == referral_task_status(**s)))
            .map(|s| s.code().to_string())
            .collect();
        let consultation = ConsultationState::ALL
            .iter()
            .filter(|s| statuses.iter().any(|t| t == consultation_task_status(**s)))
            .map(|s| s.code().to_string())
            .collect();
        q.states(referral, consultation);
    }
    if let Some(codes) = system_codes(search, "business-status") {
        let (rs, cs) = (
            code_system("referral-state"),
            code_system("consultation-state"),
        );
        let referral = codes
            .iter()
            .filter(|(system, _)| system.as_deref().is_none_or(|s| s == rs))
            .filter_map(|(_, c)| ReferralState::parse(c))
            .map(|s| s.code().to_string())
            .collect();
        let consultation = codes
            .iter()
            .filter(|(system, _)| system.as_deref().is_none_or(|s| s == cs))
            .filter_map(|(_, c)| ConsultationState::parse(c))
            .map(|s| s.code().to_string())
            .collect();
        q.states(referral, consultation);
    }
    q.updated(search)?;
    Ok(q)
}

/// An output of a step: its code and value.
fn output(detail: StepDetail, lang: Lang, value: Value, key: &str) -> Value {
    let mut o = json!({
        "type": concept(&code_system("step-detail"), detail.code(), detail.label(lang)),
    });
    o[key] = value;
    o
}

/// The Task of a referral or a consultation, in the request's language.
pub fn resource(record: &Record) -> Value {
    let lang = i18n::current();
    let (requesting, performing) = (record.requesting(), record.performing());
    let description = format!(
        "{} · {} → {}",
        record.kind_label(lang),
        requesting.1.unwrap_or(requesting.0),
        performing.1.unwrap_or(performing.0),
    );
    let mut period = json!({ "start": record.created_at() });
    if record.is_final() {
        period["end"] = json!(record.updated_at());
    }
    let mut task = json!({
        "resourceType": "Task",
        "id": record.id(),
        "meta": meta(record.updated_at()),
        "language": language(),
        "intent": "order",
        "priority": if record.urgent() { "urgent" } else { "routine" },
        "description": description,
        "focus": reference("ServiceRequest", record.id(), None),
        "authoredOn": record.created_at(),
        "lastModified": record.updated_at(),
        "executionPeriod": period,
        "requester": organization(requesting),
        "owner": organization(performing),
    });
    let mut outputs = Vec::new();
    let mut reason: Option<String> = None;
    match record {
        Record::Referral(r) => {
            task["status"] = json!(referral_task_status(r.state));
            task["businessStatus"] = concept(
                &code_system("referral-state"),
                r.state.code(),
                r.state.label(lang),
            );
            if let Some(at) = r.appointment_at.as_deref().and_then(local_minute) {
                outputs.push(output(
                    StepDetail::AppointmentAt,
                    lang,
                    json!(at),
                    "valueDateTime",
                ));
            }
            for (detail, value) in [
                (StepDetail::Ward, &r.ward),
                (StepDetail::ContactName, &r.contact_name),
                (StepDetail::ContactPhone, &r.contact_phone),
            ] {
                if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                    outputs.push(output(detail, lang, json!(v), "valueString"));
                }
            }
            if matches!(r.state, ReferralState::Declined | ReferralState::Cancelled) {
                reason = r
                    .events
                    .iter()
                    .rev()
                    .find(|e| e.to_state == r.state.code())
                    .and_then(|e| e.note.clone());
            }
        }
        Record::Consultation(c) => {
            task["status"] = json!(consultation_task_status(c.state));
            task["businessStatus"] = concept(
                &code_system("consultation-state"),
                c.state.code(),
                c.state.label(lang),
            );
            if let Some(at) = c.scheduled_at.as_deref().and_then(local_minute) {
                outputs.push(output(
                    StepDetail::ScheduledAt,
                    lang,
                    json!(at),
                    "valueDateTime",
                ));
            }
            if let Some(o) = c.opinions.iter().max_by_key(|o| o.version) {
                outputs.push(output(
                    StepDetail::Opinion,
                    lang,
                    json!(o.text),
                    "valueString",
                ));
            }
            if c.state == ConsultationState::Declined {
                reason = c.decline_reason.clone();
            }
        }
    }
    if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
        task["statusReason"] = json!({ "text": reason });
    }
    if !outputs.is_empty() {
        task["output"] = json!(outputs);
    }
    task
}

/// `PUT /fhir/R4/Task/{id}`: the Task as read, with a new status and/or businessStatus (and a
/// note or output where the step needs one).
pub async fn update(
    State(state): State<AppState>,
    FhirCaller(caller): FhirCaller,
    Path(id): Path<String>,
    body: JsonBody,
) -> FhirResult {
    let who = caller.acting();
    let record = read_record(&state, &who, &id).await?;
    let proposed: Value = body.parse()?;
    take_step(&state, &who, record, proposed).await
}

/// `PATCH /fhir/R4/Task/{id}` with a JSON Patch (`application/json-patch+json`).
pub async fn patch(
    State(state): State<AppState>,
    FhirCaller(caller): FhirCaller,
    Path(id): Path<String>,
    body: JsonBody,
) -> FhirResult {
    let who = caller.acting();
    let record = read_record(&state, &who, &id).await?;
    let ops: Value = body.parse()?;
    let mut proposed = resource(&record);
    crate::fhir::patch::apply(&mut proposed, &ops)?;
    take_step(&state, &who, record, proposed).await
}

/// Elements a client may change: the rest must stay as read.
const WRITABLE: &[&str] = &[
    "status",
    "businessStatus",
    "statusReason",
    "note",
    "output",
    "meta",
    "text",
    "language",
    "description",
    "lastModified",
];

/// Displays follow the request's language: compared without them.
fn without_displays(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "display")
                .map(|(k, v)| (k.clone(), without_displays(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_displays).collect()),
        other => other.clone(),
    }
}

/// The business status code the proposed Task names in `system` (or without a system).
fn business_code(task: &Value, system: &str) -> Option<String> {
    let codings = task["businessStatus"]["coding"].as_array()?;
    codings
        .iter()
        .find(|c| c["system"].as_str().is_none_or(|s| s == system))
        .and_then(|c| c["code"].as_str())
        .map(str::to_string)
}

/// What the client added: a note (or a new status reason), and outputs by code.
struct Added {
    note: Option<String>,
    outputs: BTreeMap<String, String>,
}

fn added(current: &Value, proposed: &Value) -> Added {
    let text_of = |v: &Value| v["text"].as_str().map(str::to_string);
    let old_notes: Vec<Value> = current["note"].as_array().cloned().unwrap_or_default();
    let note = proposed["note"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| !old_notes.contains(n))
        .filter_map(text_of)
        .next_back()
        .or_else(|| {
            let reason = text_of(&proposed["statusReason"]);
            reason.filter(|r| Some(r) != text_of(&current["statusReason"]).as_ref())
        });
    let old_outputs: Vec<Value> = current["output"]
        .as_array()
        .into_iter()
        .flatten()
        .map(without_displays)
        .collect();
    let mut outputs = BTreeMap::new();
    for o in proposed["output"].as_array().into_iter().flatten() {
        if old_outputs.contains(&without_displays(o)) {
            continue;
        }
        let code = o["type"]["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|c| c["code"].as_str())
            .or_else(|| o["type"]["text"].as_str());
        let value = ["valueString", "valueDateTime", "valueMarkdown"]
            .iter()
            .find_map(|k| o[*k].as_str());
        if let (Some(code), Some(value)) = (code, value) {
            outputs.insert(code.to_string(), value.to_string());
        }
    }
    Added { note, outputs }
}

/// Checks the proposed Task against the current one, finds the step it asks for and takes it
/// through the JSON API's service; answers the Task after the step (or as it is, when nothing
/// changes).
async fn take_step(state: &AppState, who: &Acting, record: Record, proposed: Value) -> FhirResult {
    let current = resource(&record);
    if proposed["resourceType"] != "Task"
        || proposed.get("id").is_some_and(|id| *id != current["id"])
    {
        return Err(FhirError::bad_request("fhir.wrong_resource", "Task"));
    }
    let keys: BTreeSet<&String> = current
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
        .chain(proposed.as_object().into_iter().flat_map(|m| m.keys()))
        .collect();
    for key in keys {
        if WRITABLE.contains(&key.as_str()) || key == "id" {
            continue;
        }
        if without_displays(&current[key]) != without_displays(&proposed[key]) {
            let mut e = unprocessable("fhir.task_read_only");
            e.0.field = Some(format!("Task.{key}"));
            return Err(e);
        }
    }
    let status = proposed["status"].as_str().unwrap_or_default();
    if !TASK_STATUSES.contains(&status) {
        let mut e = unprocessable("fhir.bad_status");
        e.0.field = Some("Task.status".into());
        return Err(e);
    }
    let status_changed = current["status"].as_str() != Some(status);
    let added = added(&current, &proposed);
    let db = &state.db;
    let after = match &record {
        Record::Referral(r) => {
            let system = code_system("referral-state");
            let target = match business_code(&proposed, &system) {
                Some(code) if code != r.state.code() => Some(
                    ReferralState::parse(&code)
                        .ok_or_else(|| unprocessable("fhir.bad_business_status"))?,
                ),
                _ => None,
            };
            let Some(action) = referral_action(r.state, status, status_changed, target)? else {
                return unchanged(current, &added);
            };
            let output = |d: StepDetail| added.outputs.get(d.code()).cloned();
            let input = ReferralTransitionInput {
                note: added.note.clone(),
                appointment_at: output(StepDetail::AppointmentAt).map(|t| to_local_minute(&t)),
                ward: output(StepDetail::Ward),
                contact_name: output(StepDetail::ContactName),
                contact_phone: output(StepDetail::ContactPhone),
            };
            let moved = shanhai_service::referrals::act(db, who, &r.id, action, &input).await?;
            Record::Referral(Box::new(moved))
        }
        Record::Consultation(c) => {
            let system = code_system("consultation-state");
            let target = match business_code(&proposed, &system) {
                Some(code) if code != c.state.code() => Some(
                    ConsultationState::parse(&code)
                        .ok_or_else(|| unprocessable("fhir.bad_business_status"))?,
                ),
                _ => None,
            };
            let Some(action) = consultation_action(c.state, status, status_changed, target)? else {
                return unchanged(current, &added);
            };
            let output = |d: StepDetail| added.outputs.get(d.code()).cloned();
            let input = TransitionInput {
                reason: added.note.clone(),
                scheduled_at: output(StepDetail::ScheduledAt).map(|t| to_local_minute(&t)),
                opinion: output(StepDetail::Opinion),
                decision: added.note.clone(),
            };
            let moved =
                shanhai_service::consultations::transition(db, who, &c.id, action, &input).await?;
            Record::Consultation(Box::new(moved))
        }
    };
    Ok(Fhir(StatusCode::OK, resource(&after)))
}

/// The answer when the Task asks for no step: the Task as it is, unless the client added a note
/// or an output, which are kept only with the step that needs them (422 rather than a 200 that
/// stores nothing).
fn unchanged(current: Value, added: &Added) -> FhirResult {
    if added.note.is_some() || !added.outputs.is_empty() {
        let mut e = unprocessable("fhir.task_no_step");
        e.0.field = Some(
            if added.note.is_some() {
                "Task.note"
            } else {
                "Task.output"
            }
            .into(),
        );
        return Err(e);
    }
    Ok(Fhir::ok(current))
}

fn mismatch() -> FhirError {
    let mut e = unprocessable("fhir.status_mismatch");
    e.0.field = Some("Task.status".into());
    e
}

/// The referral action a Task change asks for: the one leading to the business status given,
/// else the one step from here whose state has the status given; `None` when nothing changes.
fn referral_action(
    state: ReferralState,
    status: &str,
    status_changed: bool,
    target: Option<ReferralState>,
) -> Result<Option<ReferralAction>, FhirError> {
    use ReferralAction as A;
    use ReferralState as S;
    if let Some(target) = target {
        if status_changed && referral_task_status(target) != status {
            return Err(mismatch());
        }
        let action = match target {
            S::Created => return Err(illegal_transition()),
            S::Accepted => A::Accept,
            S::Declined => A::Decline,
            S::Arrived => A::Arrive,
            S::Treated => A::Treat,
            S::DownReferred => A::DownRefer,
            S::Closed => A::Close,
            S::Cancelled => A::Cancel,
        };
        return Ok(Some(action));
    }
    if !status_changed {
        return Ok(None);
    }
    let steps: Vec<ReferralAction> = A::ALL
        .iter()
        .copied()
        .filter(|a| {
            shanhai_domain::referrals::transition(state, *a)
                .is_some_and(|next| referral_task_status(next) == status)
        })
        .collect();
    match steps.as_slice() {
        [one] => Ok(Some(*one)),
        [] => {
            // No step from here: the step that status usually means, so that the caller hears
            // what the JSON API says (403 for the wrong side, 409 in this state).
            let usual = match status {
                "accepted" => A::Accept,
                "rejected" => A::Decline,
                "in-progress" => A::Arrive,
                "completed" => A::Close,
                "cancelled" => A::Cancel,
                _ => return Err(illegal_transition()),
            };
            Ok(Some(usual))
        }
        _ => Err(unprocessable("fhir.business_status_needed")),
    }
}

/// [`referral_action`] for a consultation.
fn consultation_action(
    state: ConsultationState,
    status: &str,
    status_changed: bool,
    target: Option<ConsultationState>,
) -> Result<Option<ConsultationAction>, FhirError> {
    use ConsultationAction as A;
    use ConsultationState as S;
    if let Some(target) = target {
        if status_changed && consultation_task_status(target) != status {
            return Err(mismatch());
        }
        let action = match target {
            S::Requested => return Err(illegal_transition()),
            S::Accepted => A::Accept,
            S::Declined => A::Decline,
            S::Scheduled => A::Schedule,
            S::Held => A::Hold,
            S::Signed => A::Sign,
            S::Closed => A::Close,
            S::Cancelled => A::Cancel,
        };
        return Ok(Some(action));
    }
    if !status_changed {
        return Ok(None);
    }
    let steps: Vec<ConsultationAction> = A::ALL
        .iter()
        .copied()
        .filter(|a| {
            shanhai_domain::consultations::transition(state, *a)
                .is_some_and(|next| next != state && consultation_task_status(next) == status)
        })
        .collect();
    match steps.as_slice() {
        [one] => Ok(Some(*one)),
        [] => {
            let usual = match status {
                "accepted" => A::Accept,
                "rejected" => A::Decline,
                "in-progress" => A::Hold,
                "completed" => A::Sign,
                "cancelled" => A::Cancel,
                _ => return Err(illegal_transition()),
            };
            Ok(Some(usual))
        }
        _ => Err(unprocessable("fhir.business_status_needed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_alone_names_one_step_or_asks_for_the_business_status() {
        let a = |s, st, t| referral_action(s, st, true, t).ok().flatten();
        assert_eq!(
            a(ReferralState::Created, "accepted", None),
            Some(ReferralAction::Accept)
        );
        assert_eq!(
            a(ReferralState::Accepted, "in-progress", None),
            Some(ReferralAction::Arrive)
        );
        assert!(
            referral_action(ReferralState::Treated, "completed", true, None).is_err(),
            "down-refer or close"
        );
        assert_eq!(
            a(
                ReferralState::Treated,
                "completed",
                Some(ReferralState::Closed)
            ),
            Some(ReferralAction::Close)
        );
        assert!(
            referral_action(
                ReferralState::Created,
                "completed",
                true,
                Some(ReferralState::Accepted)
            )
            .is_err(),
            "status and business status disagree"
        );
        assert_eq!(
            referral_action(ReferralState::Created, "requested", false, None)
                .ok()
                .flatten(),
            None
        );
    }

    #[test]
    fn every_state_has_a_task_status_from_the_value_set() {
        for s in ReferralState::ALL {
            assert!(TASK_STATUSES.contains(&referral_task_status(*s)));
        }
        for s in ConsultationState::ALL {
            assert!(TASK_STATUSES.contains(&consultation_task_status(*s)));
        }
    }
}
