//! ServiceRequest: what a referral or a consultation asks, of whom, for which patient.

use super::{
    Query, Record, concept, consultation_request_status, local_minute, organization, read_record,
    referral_request_status, refuse_unsupported, run, system_codes,
};
use crate::AppState;
use crate::fhir::{
    Fhir, FhirBase, FhirCaller, FhirResult, ResourceCapability, Search, code_system, language,
    meta, reference, searchset,
};
use crate::i18n;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};
use shanhai_domain::Lang;
use shanhai_domain::consultations::ConsultationState;
use shanhai_domain::referrals::ReferralState;
use shanhai_service::Acting;
use std::collections::BTreeSet;

pub const SNOMED: &str = "http://snomed.info/sct";
/// SNOMED CT "Patient referral (procedure)".
pub const REFERRAL: &str = "3457005";
/// SNOMED CT "Consultation (procedure)".
pub const CONSULTATION: &str = "11429006";

const PARAMS: &[&str] = &["status", "requester", "performer", "authored", "category"];

pub const CAPABILITY: ResourceCapability = ResourceCapability {
    resource_type: "ServiceRequest",
    interactions: &["read", "search-type"],
    search_params: &[
        (
            "status",
            "token",
            "active, completed or revoked (declined or cancelled)",
        ),
        (
            "requester",
            "reference",
            "The requesting institution (Organization)",
        ),
        (
            "performer",
            "reference",
            "The institution asked (Organization), or an expert asked (Practitioner)",
        ),
        (
            "authored",
            "date",
            "When it was requested (prefixes eq, ne, gt, lt, ge, le, sa, eb)",
        ),
        (
            "category",
            "token",
            "http://snomed.info/sct|3457005 for referrals, |11429006 for remote consultations",
        ),
    ],
    includes: &[],
    documentation: "A referral (转诊, category SNOMED CT 3457005, code: the direction) or a remote consultation (远程会诊, category SNOMED CT 11429006, code: its type). The subject is the patient as far as the caller may see the patient: a masked name for the staff of the two institutions, otherwise only the data-absent-reason 'masked'. The id is the record's, shared with its Task. Searches list referrals first, then consultations, each newest first; every record shown is audited as a read of patient data.",
};

/// `GET /fhir/R4/ServiceRequest/{id}`.
pub async fn read(
    State(state): State<AppState>,
    FhirCaller(caller): FhirCaller,
    Path(id): Path<String>,
) -> FhirResult {
    let who = caller.acting();
    let record = read_record(&state, &who, &id).await?;
    Ok(Fhir::ok(resource(&record, &who)))
}

/// `GET /fhir/R4/ServiceRequest?…`.
pub async fn search(
    State(state): State<AppState>,
    FhirCaller(caller): FhirCaller,
    base: FhirBase,
    RawQuery(raw): RawQuery,
) -> FhirResult {
    let who = caller.acting();
    let search = Search::parse(raw.as_deref(), PARAMS)?;
    refuse_unsupported(&search, &[])?;
    let query = query(&search)?;
    let (records, total) = run(&state, &who, &query, search.offset, search.count).await?;
    let matches = records
        .iter()
        .map(|r| (r.id().to_string(), resource(r, &who)))
        .collect();
    Ok(Fhir::ok(searchset(
        &base,
        "ServiceRequest",
        &search,
        total,
        matches,
        Vec::new(),
    )))
}

fn query(search: &Search) -> FhirResult<Query> {
    let mut q = Query::both();
    if let Some(categories) = system_codes(search, "category") {
        let has = |code: &str| {
            categories
                .iter()
                .any(|(system, c)| c == code && system.as_deref().is_none_or(|s| s == SNOMED))
        };
        if !has(REFERRAL) {
            q.referrals = None;
        }
        if !has(CONSULTATION) {
            q.consultations = None;
        }
    }
    q.ids(search.ids());
    if let Some(statuses) = search.tokens("status") {
        let referral: BTreeSet<String> = ReferralState::ALL
            .iter()
            .filter(|s| statuses.iter().any(|t| t == referral_request_status(**s)))
            .map(|s| s.code().to_string())
            .collect();
        let consultation: BTreeSet<String> = ConsultationState::ALL
            .iter()
            .filter(|s| {
                statuses
                    .iter()
                    .any(|t| t == consultation_request_status(**s))
            })
            .map(|s| s.code().to_string())
            .collect();
        q.states(referral, consultation);
    }
    q.requesters(search.reference_ids("requester"));
    if let Some(performers) = search.reference_ids("performer") {
        let set: BTreeSet<String> = performers.into_iter().collect();
        if let Some(f) = &mut q.referrals {
            f.to_institutions = Some(set.clone());
        }
        if let Some(f) = &mut q.consultations {
            f.performers = Some(set);
        }
    }
    let authored: Vec<_> = search
        .dates("authored")?
        .iter()
        .map(super::instant_range)
        .collect();
    if let Some(f) = &mut q.referrals {
        f.created = authored.clone();
    }
    if let Some(f) = &mut q.consultations {
        f.requested = authored;
    }
    q.updated(search)?;
    Ok(q)
}

/// The patient as far as the caller may see the patient: the masked name with sex and age, or
/// only the reason the rest is absent.
fn subject(record: &Record, who: &Acting, lang: Lang) -> Value {
    if !record.shows_patient(who) {
        return json!({
            "extension": [{
                "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                "valueCode": "masked",
            }]
        });
    }
    let (name, sex, age) = match record {
        Record::Referral(r) => (&r.patient_name_masked, r.patient_sex, r.patient_age),
        Record::Consultation(c) => (&c.patient_name_masked, c.patient_sex, c.patient_age),
    };
    let age = match lang {
        Lang::Zh => format!("{age}岁"),
        Lang::En if age == 1 => "1 year".to_string(),
        Lang::En => format!("{age} years"),
    };
    json!({
        "type": "Patient",
        "display": format!("{name} · {} · {age}", sex.label(lang)),
    })
}

/// The requester: the requesting institution, with the person who asked (name and title)
/// where known, as a contained PractitionerRole.
fn requester(record: &Record, lang: Lang) -> (Option<Value>, Value) {
    let label = match record {
        Record::Referral(r) => r.sender.as_ref(),
        Record::Consultation(c) => c.requester.as_ref(),
    };
    let org = organization(record.requesting());
    let Some(label) = label else {
        return (None, org);
    };
    let person = match label.title {
        Some(t) => format!("{} · {}", label.name, t.label(lang)),
        None => label.name.clone(),
    };
    let institution = record.requesting().1.unwrap_or_default();
    let role = json!({
        "resourceType": "PractitionerRole",
        "id": "requester",
        "practitioner": { "display": person },
        "organization": org,
    });
    let display = if institution.is_empty() {
        person
    } else {
        format!("{person} · {institution}")
    };
    (
        Some(role),
        json!({ "reference": "#requester", "display": display }),
    )
}

/// The ServiceRequest of a referral or a consultation, in the request's language.
pub fn resource(record: &Record, who: &Acting) -> Value {
    let lang = i18n::current();
    let (contained, requester) = requester(record, lang);
    let mut sr = json!({
        "resourceType": "ServiceRequest",
        "id": record.id(),
        "meta": meta(record.updated_at()),
        "language": language(),
        "intent": "order",
        "priority": if record.urgent() { "urgent" } else { "routine" },
        "subject": subject(record, who, lang),
        "authoredOn": record.created_at(),
        "requester": requester,
    });
    if let Some(role) = contained {
        sr["contained"] = json!([role]);
    }
    let mut performers = vec![organization(record.performing())];
    match record {
        Record::Referral(r) => {
            sr["status"] = json!(referral_request_status(r.state));
            sr["category"] = json!([{
                "coding": [{ "system": SNOMED, "code": REFERRAL, "display": "Patient referral" }],
                "text": record.kind_label(lang),
            }]);
            sr["code"] = concept(
                &code_system("referral-direction"),
                r.direction.code(),
                r.direction.label(lang),
            );
            if let Some(at) = r.appointment_at.as_deref().and_then(local_minute) {
                sr["occurrenceDateTime"] = json!(at);
            }
            if !r.reason.trim().is_empty() {
                sr["reasonCode"] = json!([{ "text": r.reason }]);
            }
            if let Some(c) = &r.consultation_id {
                sr["supportingInfo"] = json!([reference("ServiceRequest", c, None)]);
            }
        }
        Record::Consultation(c) => {
            sr["status"] = json!(consultation_request_status(c.state));
            sr["category"] = json!([{
                "coding": [{ "system": SNOMED, "code": CONSULTATION, "display": "Consultation" }],
                "text": record.kind_label(lang),
            }]);
            sr["code"] = concept(
                &code_system("consultation-type"),
                c.r#type.code(),
                c.r#type.label(lang),
            );
            if let Some(s) = c
                .target_specialty_code
                .as_deref()
                .and_then(shanhai_domain::specialty::find)
            {
                let name = match lang {
                    Lang::Zh => &s.zh,
                    Lang::En => &s.en,
                };
                sr["performerType"] = concept(&code_system("specialty"), &s.code, name);
            }
            if let Some(at) = c.scheduled_at.as_deref().and_then(local_minute) {
                sr["occurrenceDateTime"] = json!(at);
            }
            performers.extend(
                c.experts
                    .iter()
                    .map(|e| reference("Practitioner", &e.person_id, e.name.as_deref())),
            );
            if !c.question.trim().is_empty() {
                sr["reasonCode"] = json!([{ "text": c.question }]);
            }
            if !c.case_summary.trim().is_empty() {
                sr["note"] = json!([{ "text": c.case_summary }]);
            }
        }
    }
    sr["performer"] = json!(performers);
    sr
}
