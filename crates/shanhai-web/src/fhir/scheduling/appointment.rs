//! Appointment: one booking, its patient only as far as the caller may see the patient; booked
//! and cancelled through the public booking's path (see the module's documentation).

use super::{
    BOOKING_CODE, RESIDENT_ID, check_extras, extension_url, instant, last_updated, local_range,
    record_id, service_type, slot, specialty, window,
};
use crate::AppState;
use crate::api::JsonBody;
use crate::error::ApiError;
use crate::fhir::{
    Fhir, FhirBase, FhirCaller, FhirError, FhirResult, ResourceCapability, Search, language, meta,
    operation_outcome, reference, searchset,
};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use shanhai_domain::Invalid;
use shanhai_domain::bookings::{BookingRequest, BookingStatus};
use shanhai_service::ServiceError;
use shanhai_service::bookings::{self as service, SeenBooking};
use shanhai_store::bookings::BookingFilter;
use shanhai_store::clinic_sessions::{self, SessionCondition, SessionFilter};
use std::collections::BTreeSet;

const PARAMS: &[&str] = &[
    "actor",
    "practitioner",
    "location",
    "date",
    "status",
    "slot",
];

pub fn capability() -> ResourceCapability {
    ResourceCapability {
        resource_type: "Appointment",
        interactions: &["read", "search-type", "create", "update", "patch"],
        search_params: &[
            (
                "actor",
                "reference",
                "The expert (Practitioner/{id}) or the host (Location/{id}); a bare id matches either",
            ),
            (
                "practitioner",
                "reference",
                "The expert (Practitioner/{id})",
            ),
            ("location", "reference", "The host (Location/{id})"),
            (
                "date",
                "date",
                "The session's start, with prefixes (a date without a zone is a day in Asia/Shanghai)",
            ),
            (
                "status",
                "token",
                "booked, waitlist, cancelled, checked-in or noshow",
            ),
            ("slot", "reference", "The Slot (clinic session)"),
        ],
        includes: &["Appointment:slot"],
        documentation: "One Appointment per booking. The patient appears masked (name, mobile and ID number as the JSON API masks them) for whoever runs the session's clinic, and is absent (data-absent-reason masked) for anyone else. Create books a Slot for a patient given as a contained Patient (name, phone telecom, resident ID identifier) through the public booking's rules (a full Slot is a 409; status waitlist joins the waitlist when full); only status cancelled may be written back (PUT or JSON Patch). Both for whoever runs the session's clinic.",
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/R4/Appointment", get(search).post(create))
        .route(
            "/fhir/R4/Appointment/{id}",
            get(read).put(update).patch(patch),
        )
}

/// A booking's status as an Appointment status.
fn status(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Confirmed => "booked",
        BookingStatus::Waitlisted => "waitlist",
        BookingStatus::Cancelled => "cancelled",
        BookingStatus::CheckedIn => "checked-in",
        BookingStatus::NoShow => "noshow",
    }
}

fn booking_status(code: &str) -> Option<BookingStatus> {
    BookingStatus::ALL
        .iter()
        .copied()
        .find(|s| status(*s) == code)
}

/// An Appointment resource.
pub fn resource(b: &SeenBooking) -> Value {
    let s = &b.session;
    let mut participants = vec![
        json!({
            "type": [{
                "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "code": "PPRF",
                    "display": "primary performer",
                }]
            }],
            "actor": reference("Practitioner", &s.expert_id, s.expert_name.as_deref()),
            "required": "required",
            "status": "accepted",
        }),
        json!({
            "actor": reference("Location", &s.institution_id, s.institution_name.as_deref()),
            "required": "required",
            "status": "accepted",
        }),
    ];
    participants.push(match &b.patient {
        Some(p) => json!({
            "extension": [{
                "url": extension_url("patient-masked"),
                "extension": [
                    { "url": "phone", "valueString": p.phone },
                    { "url": "idNumber", "valueString": p.id_number },
                ],
            }],
            "actor": { "type": "Patient", "display": p.name },
            "required": "required",
            "status": "accepted",
        }),
        None => json!({
            "actor": {
                "type": "Patient",
                "extension": [{
                    "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                    "valueCode": "masked",
                }],
            },
            "required": "required",
            "status": "accepted",
        }),
    });
    let mut r = json!({
        "resourceType": "Appointment",
        "id": b.id,
        "meta": meta(&b.updated_at),
        "language": language(),
        "status": status(b.status),
        "serviceType": [service_type(s.visit_type)],
        "start": instant(&s.date, &s.start),
        "end": instant(&s.date, &s.end),
        "created": b.created_at,
        "slot": [reference("Slot", &s.id, None)],
        "participant": participants,
    });
    if let Some(code) = &b.booking_code {
        r["identifier"] = json!([{ "system": BOOKING_CODE, "value": code }]);
    }
    if let Some(sp) = s.specialty_code.as_deref().and_then(specialty) {
        r["specialty"] = json!([sp]);
    }
    r
}

async fn read(
    State(state): State<AppState>,
    caller: FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    let id = record_id(&id)?;
    let seen = service::seen(&state.db, &caller.0.acting(), &id).await?;
    Ok(Fhir::ok(resource(&seen)))
}

/// `actor`, `practitioner` and `location` as one condition on the session.
fn actors(search: &Search) -> Option<SessionCondition> {
    let mut experts = Vec::new();
    let mut hosts = Vec::new();
    let mut asked = false;
    let refs = |name: &str| -> Vec<String> {
        search
            .get(name)
            .map(|v| {
                v.split(',')
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let id_of = |r: &str, ty: &str| -> Option<String> {
        match r.rsplit_once('/') {
            Some((prefix, id)) if prefix == ty || prefix.ends_with(&format!("/{ty}")) => {
                Some(id.to_string())
            }
            Some(_) => None,
            None => Some(r.to_string()),
        }
    };
    if search.get("actor").is_some() {
        asked = true;
        for r in refs("actor") {
            let expert = id_of(&r, "Practitioner");
            let host = id_of(&r, "Location");
            experts.extend(expert);
            hosts.extend(host);
        }
    }
    if search.get("practitioner").is_some() {
        asked = true;
        experts.extend(
            refs("practitioner")
                .iter()
                .filter_map(|r| id_of(r, "Practitioner")),
        );
    }
    if search.get("location").is_some() {
        asked = true;
        hosts.extend(refs("location").iter().filter_map(|r| id_of(r, "Location")));
    }
    asked.then_some(SessionCondition::Actors { experts, hosts })
}

async fn search(
    State(state): State<AppState>,
    caller: FhirCaller,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let search = Search::parse(raw.as_deref(), PARAMS)?;
    check_extras(&search, &["Appointment:slot"], &["date"])?;
    let mut conditions = Vec::new();
    if let Some(c) = actors(&search) {
        conditions.push(c);
    }
    if let Some(ids) = search.reference_ids("slot") {
        conditions.push(SessionCondition::Ids(ids));
    }
    for d in search.dates("date")? {
        conditions.push(SessionCondition::Starts(local_range(&d)));
    }
    let filter = BookingFilter {
        sessions: SessionFilter {
            conditions,
            ..Default::default()
        },
        ids: search.ids(),
        statuses: search
            .tokens("status")
            .map(|codes| codes.iter().filter_map(|c| booking_status(c)).collect()),
        updated: last_updated(&search)?,
    };
    let acting = caller.0.acting();
    let (bookings, total) = if search.count == 0 {
        // The total only: nobody's patient is read.
        let page = shanhai_store::PageRequest::new(Some(1), Some(1));
        let found = shanhai_store::bookings::search(&state.db, &filter, page).await?;
        (Vec::new(), usize::try_from(found.total).unwrap_or(0))
    } else {
        window(&search, |page| {
            service::search_seen(&state.db, &acting, &filter, page)
        })
        .await?
    };
    let mut included = Vec::new();
    if search.includes().contains(&"Appointment:slot") {
        let ids: BTreeSet<String> = bookings.iter().map(|b| b.session.id.clone()).collect();
        if !ids.is_empty() {
            let of_page = SessionFilter {
                conditions: vec![SessionCondition::Ids(ids.into_iter().collect())],
                ..Default::default()
            };
            let all = shanhai_store::PageRequest::new(
                Some(1),
                Some(shanhai_store::PageRequest::MAX_PER_PAGE),
            );
            for s in clinic_sessions::list(&state.db, &of_page, all).await?.items {
                included.push(("Slot".to_string(), s.id.clone(), slot::resource(&s)));
            }
        }
    }
    let entries = bookings
        .iter()
        .map(|b| (b.id.clone(), resource(b)))
        .collect();
    Ok(Fhir::ok(searchset(
        &base,
        "Appointment",
        &search,
        total,
        entries,
        included,
    )))
}

/// Every problem of a request at once, each with the FHIRPath of the element at fault.
struct Problems(Vec<(Invalid, String)>);

impl Problems {
    fn push(&mut self, expression: &str, key: &'static str) {
        self.0
            .push((Invalid::new(expression, key), expression.to_string()));
    }

    fn into_response(self) -> Response {
        let issues = self
            .0
            .iter()
            .map(|(problem, expression)| {
                json!({
                    "severity": "error",
                    "code": "invalid",
                    "diagnostics": ApiError::problem_message(problem),
                    "expression": [expression],
                })
            })
            .collect();
        Fhir(StatusCode::UNPROCESSABLE_ENTITY, operation_outcome(issues)).into_response()
    }
}

/// The body as JSON, refused (400) unless it is the resource type named.
fn body_of(body: Result<JsonBody, ApiError>, resource_type: &str) -> FhirResult<Value> {
    let value: Value = body?.parse()?;
    if value["resourceType"] != resource_type {
        return Err(FhirError::bad_request(
            "fhir.wrong_resource_type",
            resource_type.to_string(),
        ));
    }
    Ok(value)
}

/// A contained Patient's name: `text`, or the family name and the given names.
fn patient_name(patient: &Value) -> String {
    let Some(name) = patient["name"].as_array().and_then(|n| n.first()) else {
        return String::new();
    };
    if let Some(text) = name["text"].as_str().filter(|t| !t.trim().is_empty()) {
        return text.trim().to_string();
    }
    let family = name["family"].as_str().unwrap_or("").trim();
    let given: Vec<&str> = name["given"]
        .as_array()
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let latin = family
        .chars()
        .chain(given.concat().chars())
        .any(|c| c.is_ascii_alphabetic());
    if latin {
        given
            .into_iter()
            .chain([family])
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        format!("{family}{}", given.concat())
    }
}

/// A contained Patient's mobile number: a `phone` telecom, the `mobile` one first.
fn patient_phone(patient: &Value) -> String {
    let phones: Vec<&Value> = patient["telecom"]
        .as_array()
        .map(|t| t.iter().filter(|c| c["system"] == "phone").collect())
        .unwrap_or_default();
    phones
        .iter()
        .find(|c| c["use"] == "mobile")
        .or(phones.first())
        .and_then(|c| c["value"].as_str())
        .unwrap_or("")
        .to_string()
}

/// A contained Patient's resident ID number: the identifier of system [`RESIDENT_ID`], else
/// one typed `NI` (national unique individual identifier), else the only identifier.
fn patient_id_number(patient: &Value) -> String {
    let ids: Vec<&Value> = patient["identifier"]
        .as_array()
        .map(|i| i.iter().collect())
        .unwrap_or_default();
    let typed_ni = |i: &&&Value| {
        i["type"]["coding"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["code"] == "NI"))
    };
    ids.iter()
        .find(|i| i["system"] == RESIDENT_ID)
        .or_else(|| ids.iter().find(typed_ni))
        .or(if ids.len() == 1 { ids.first() } else { None })
        .and_then(|i| i["value"].as_str())
        .unwrap_or("")
        .to_string()
}

/// What a new Appointment asks for: the Slot and the booking request, or every problem.
fn booking_asked(body: &Value) -> Result<(String, BookingRequest), Problems> {
    let mut problems = Problems(Vec::new());
    let waitlist = match body["status"].as_str() {
        Some("booked" | "pending" | "proposed") => false,
        Some("waitlist") => true,
        _ => {
            problems.push("Appointment.status", "fhir.appointment_new_status");
            false
        }
    };
    let slots = body["slot"].as_array().cloned().unwrap_or_default();
    let slot_id = match slots.as_slice() {
        [one] => one["reference"]
            .as_str()
            .and_then(|r| r.rsplit_once('/'))
            .filter(|(ty, _)| *ty == "Slot" || ty.ends_with("/Slot"))
            .and_then(|(_, id)| shanhai_domain::ids::parse_id(id)),
        _ => None,
    };
    if slot_id.is_none() {
        problems.push("Appointment.slot", "fhir.appointment_slot");
    }
    let contained = body["contained"].as_array().cloned().unwrap_or_default();
    let patient = body["participant"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["actor"]["reference"].as_str()?.strip_prefix('#'))
        .find_map(|local| {
            contained
                .iter()
                .position(|r| r["resourceType"] == "Patient" && r["id"] == local)
        });
    let request = match patient {
        None => {
            problems.push("Appointment.participant", "fhir.appointment_patient");
            None
        }
        Some(i) => {
            let p = &contained[i];
            let request = BookingRequest {
                name: patient_name(p),
                phone: patient_phone(p),
                id_number: patient_id_number(p),
                waitlist,
            };
            if let Err(found) = request.parse() {
                for problem in found {
                    let element = match problem.field.as_str() {
                        "name" => "name",
                        "phone" => "telecom",
                        _ => "identifier",
                    };
                    let expression = format!("Appointment.contained[{i}].{element}");
                    problems.0.push((problem, expression));
                }
            }
            Some(request)
        }
    };
    match (slot_id, request) {
        (Some(slot), Some(request)) if problems.0.is_empty() => Ok((slot, request)),
        _ => Err(problems),
    }
}

/// Books the Slot for the contained Patient: 201 with the Appointment and its `Location`.
async fn create(
    State(state): State<AppState>,
    caller: FhirCaller,
    base: FhirBase,
    body: Result<JsonBody, ApiError>,
) -> FhirResult<Response> {
    let body = body_of(body, "Appointment")?;
    let (slot_id, request) = match booking_asked(&body) {
        Ok(asked) => asked,
        Err(problems) => return Ok(problems.into_response()),
    };
    let seen = service::book_on_behalf(
        &state.db,
        &state.desk,
        &caller.0.acting(),
        &slot_id,
        &request,
    )
    .await?;
    let mut response = Fhir(StatusCode::CREATED, resource(&seen)).into_response();
    if let Ok(location) = HeaderValue::from_str(&base.full_url("Appointment", &seen.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Moves a booking to the status asked: `cancelled` cancels it; its current status changes
/// nothing; anything else is refused.
async fn change_status(
    state: &AppState,
    caller: &FhirCaller,
    id: &str,
    asked: Option<&str>,
) -> FhirResult {
    let acting = caller.0.acting();
    if asked == Some("cancelled") {
        return match service::cancel_on_behalf(&state.db, &acting, id).await {
            Ok(after) => Ok(Fhir::ok(resource(&after))),
            // Cancelling a cancelled booking again changes nothing (an update is idempotent).
            Err(refused @ ServiceError::Conflict(_)) => {
                let current = service::seen(&state.db, &acting, id).await?;
                if current.status == BookingStatus::Cancelled {
                    Ok(Fhir::ok(resource(&current)))
                } else {
                    Err(refused.into())
                }
            }
            Err(e) => Err(e.into()),
        };
    }
    let current = service::seen(&state.db, &acting, id).await?;
    if current.patient.is_none() {
        return Err(FhirError(ApiError::forbidden()));
    }
    if asked == Some(status(current.status)) {
        return Ok(Fhir::ok(resource(&current)));
    }
    Err(FhirError(ApiError::invalid(Invalid::new(
        "Appointment.status",
        "fhir.appointment_change",
    ))))
}

/// `PUT`: only the status is taken from the body, and only `cancelled` changes it.
async fn update(
    State(state): State<AppState>,
    caller: FhirCaller,
    Path(id): Path<String>,
    body: Result<JsonBody, ApiError>,
) -> FhirResult {
    let id = record_id(&id)?;
    let body = body_of(body, "Appointment")?;
    if body["id"].as_str() != Some(id.as_str()) {
        return Err(FhirError::bad_request("fhir.id_mismatch", "Appointment.id"));
    }
    change_status(&state, &caller, &id, body["status"].as_str()).await
}

/// `PATCH` with a JSON Patch (RFC 6902, the same implementation as Task's) applied to the
/// Appointment as read; as with `PUT`, only a change of status is taken (`test` operations
/// are checked against the resource as read).
async fn patch(
    State(state): State<AppState>,
    caller: FhirCaller,
    Path(id): Path<String>,
    body: Result<JsonBody, ApiError>,
) -> FhirResult {
    let id = record_id(&id)?;
    let ops: Value = body?.parse()?;
    let current = service::seen(&state.db, &caller.0.acting(), &id).await?;
    let mut proposed = resource(&current);
    crate::fhir::patch::apply(&mut proposed, &ops)?;
    change_status(&state, &caller, &id, proposed["status"].as_str()).await
}
