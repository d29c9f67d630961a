//! Schedule, Slot and Appointment: the visiting experts' clinics, their places and bookings,
//! and booking and cancelling through the public booking's path.
//!
//! **One Schedule per expert per host** (the hospital, or the township health centre of an
//! outreach clinic): an integrator's system keeps a doctor's 排班 per doctor and hospital, and
//! finds it with `Schedule?actor=Practitioner/{id}`. It covers every session of the expert at
//! that host, whichever assignment (batch) or none it belongs to, so every session has one
//! (`Slot.schedule` is required) and `Slot?schedule=` returns all of them. Its
//! `planningHorizon` runs from the first session's start to the last one's end. There is no
//! stored record for it: its id is the expert's and the host's UUIDs without hyphens, joined
//! (64 characters, the longest id FHIR allows), so a read needs no lookup table.
//!
//! **One Slot per clinic session** (出诊), id the session's: a session is booked by places
//! (号源), not by time of day, so the Slot spans the session and carries its places in
//! extensions (`slot-capacity`, `slot-available`, `slot-waitlisted`). Its status is what a
//! client filters on: `free` while a place is left and the session takes bookings, `busy`
//! once every place is taken (its waitlist still open), `busy-unavailable` once it has ended
//! or was cancelled (停诊). So `Slot?schedule=…&start=ge…&status=free` answers "which of this
//! expert's sessions can still be booked", as HAPI FHIR and Medplum users expect.
//!
//! **One Appointment per booking**, id the booking's. Its patient appears only as far as the
//! caller may see the patient: masked (name, mobile and ID number as the JSON API masks them,
//! with the booking code) for whoever runs the session's clinic — the same people who see the
//! session's booking list — and absent for anyone else (a participant whose actor carries the
//! `data-absent-reason` `masked`). Every read of a masked patient is audited by the service.
//!
//! **Booking** (`POST /fhir/R4/Appointment`) goes through the same booking desk and rules as
//! the public booking (never overbooked, one booking per ID number per session, the per-phone
//! limits) and gives the same answers (a full slot is a 409). Who may book: whoever runs the
//! session's clinic (a coordinator of the host — the account a hospital's system signs in
//! with — a program office or the platform admin). The patient comes as a contained Patient
//! that a participant's actor references (`#id`), with `name` (`text`, or `family` and
//! `given`), a `phone` telecom and the resident ID number as an identifier of system
//! [`RESIDENT_ID`] (or typed `NI`), which any FHIR client can send. **Cancelling** is an
//! update of the status to `cancelled` (`PUT` of the Appointment, or a JSON Patch), by the
//! same people, through the same release as the patient's own cancellation.

mod appointment;
mod schedule;
mod slot;

use super::{DateParam, FhirError, FhirResult, Prefix, ResourceCapability, Search, code_system};
use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use chrono::{Duration, NaiveDateTime};
use serde_json::{Value, json};
use shanhai_domain::Lang;
use shanhai_domain::clinic_sessions::VisitType;
use shanhai_store::clinic_sessions::TextRange;
use shanhai_store::{Page, PageRequest};

/// Where the extensions this module defines live: `{STRUCTURE_DEFINITION_BASE}/{name}`.
pub const STRUCTURE_DEFINITION_BASE: &str = "https://shanhai.health/fhir/StructureDefinition";

/// The identifier system of a resident identity card number (居民身份证号码, GB 11643).
pub const RESIDENT_ID: &str = "https://shanhai.health/fhir/sid/resident-id";

/// The identifier system of a booking code (what the patient shows and cancels with).
pub const BOOKING_CODE: &str = "https://shanhai.health/fhir/sid/booking-code";

fn extension_url(name: &str) -> String {
    format!("{STRUCTURE_DEFINITION_BASE}/{name}")
}

/// This module's part of the CapabilityStatement (exactly what its router implements).
pub fn capability() -> Vec<ResourceCapability> {
    vec![
        schedule::capability(),
        slot::capability(),
        appointment::capability(),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(schedule::router())
        .merge(slot::router())
        .merge(appointment::router())
}

/// A Schedule's id: the expert's and the host's UUIDs without hyphens.
pub fn schedule_id(expert_id: &str, institution_id: &str) -> String {
    format!(
        "{}{}",
        expert_id.replace('-', ""),
        institution_id.replace('-', "")
    )
}

/// The expert and the host of a Schedule's id.
pub fn parse_schedule_id(id: &str) -> Option<(String, String)> {
    if id.len() != 64 || !id.is_ascii() {
        return None;
    }
    let uuid = |hex: &str| -> Option<String> {
        let hyphenated = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        shanhai_domain::ids::parse_id(&hyphenated)
    };
    Some((uuid(&id[..32])?, uuid(&id[32..])?))
}

/// A local (Asia/Shanghai) date and `HH:MM` time as a FHIR instant.
pub fn instant(date: &str, time: &str) -> String {
    format!("{date}T{time}:00+08:00")
}

/// `YYYY-MM-DDTHH:MM` (local) as a FHIR instant.
fn instant_of_local(local: &str) -> String {
    match local.split_once('T') {
        Some((date, time)) => instant(date, time),
        None => local.to_string(),
    }
}

/// What a date parameter selects of a point in time (an instant such as a session's start),
/// as a range over values written by `format`.
fn point_range(d: &DateParam, format: impl Fn(NaiveDateTime) -> String) -> TextRange {
    let (lo, hi) = (Some(format(d.lower)), Some(format(d.upper)));
    match d.prefix {
        Prefix::Eq => TextRange {
            from: lo,
            before: hi,
            outside: false,
        },
        Prefix::Ne => TextRange {
            from: lo,
            before: hi,
            outside: true,
        },
        Prefix::Gt | Prefix::Sa => TextRange {
            from: hi,
            ..Default::default()
        },
        Prefix::Ge => TextRange {
            from: lo,
            ..Default::default()
        },
        Prefix::Lt | Prefix::Eb => TextRange {
            before: lo,
            ..Default::default()
        },
        Prefix::Le => TextRange {
            before: hi,
            ..Default::default()
        },
    }
}

/// A date parameter over a session's local start (`YYYY-MM-DDTHH:MM:SS`).
fn local_range(d: &DateParam) -> TextRange {
    point_range(d, |t| {
        (t + Duration::hours(8))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    })
}

/// A date parameter over a stored RFC 3339 UTC timestamp (`updated_at`).
fn utc_range(d: &DateParam) -> TextRange {
    point_range(d, |t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// `_lastUpdated` as ranges over `updated_at`.
fn last_updated(search: &Search) -> FhirResult<Vec<TextRange>> {
    Ok(search
        .dates("_lastUpdated")?
        .iter()
        .map(utc_range)
        .collect())
}

/// The request's language.
fn lang() -> Lang {
    crate::i18n::current()
}

/// A visit type (专家号, 义诊…) as a `serviceType`.
fn service_type(v: VisitType) -> Value {
    json!({
        "coding": [{
            "system": code_system("visit-type"),
            "code": v.code(),
            "display": v.label(lang()),
        }]
    })
}

/// A 诊疗科目 code as a `specialty` (unknown codes are left out).
fn specialty(code: &str) -> Option<Value> {
    let s = shanhai_domain::specialty::find(code)?;
    let display = match lang() {
        Lang::Zh => &s.zh,
        Lang::En => &s.en,
    };
    Some(json!({
        "coding": [{ "system": code_system("specialty"), "code": s.code, "display": display }]
    }))
}

/// `_include` values must be among `supported`; `_sort` among `sorts` (a client then knows
/// its order or inclusion was applied).
fn check_extras(search: &Search, supported: &[&str], sorts: &[&str]) -> FhirResult<()> {
    for include in search.includes() {
        if !supported.contains(&include) {
            return Err(FhirError::bad_request("fhir.bad_parameter", "_include"));
        }
    }
    for (name, descending) in search.sort() {
        if descending || !sorts.contains(&name.as_str()) {
            return Err(FhirError::bad_request("fhir.bad_parameter", "_sort"));
        }
    }
    Ok(())
}

/// One window of `[_offset, _offset + _count)` from a store or service search that pages by
/// page number: the items and the total (`_count=0`: the total only).
async fn window<T, E, F, Fut>(search: &Search, fetch: F) -> FhirResult<(Vec<T>, usize)>
where
    E: Into<ApiError>,
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, E>>,
{
    let total_of = |p: &Page<T>| usize::try_from(p.total).unwrap_or(0);
    if search.count == 0 {
        let first = fetch(PageRequest::new(Some(1), Some(1)))
            .await
            .map_err(|e| FhirError(e.into()))?;
        return Ok((Vec::new(), total_of(&first)));
    }
    let per = search.count;
    let page = i64::try_from(search.offset / per + 1).unwrap_or(i64::MAX);
    let skip = search.offset % per;
    let per_page = i64::try_from(per).unwrap_or(PageRequest::MAX_PER_PAGE);
    let first = fetch(PageRequest::new(Some(page), Some(per_page)))
        .await
        .map_err(|e| FhirError(e.into()))?;
    let total = total_of(&first);
    let full = first.items.len() == per;
    let mut items: Vec<T> = first.items.into_iter().skip(skip).collect();
    if skip > 0 && full {
        let next = fetch(PageRequest::new(
            Some(page.saturating_add(1)),
            Some(per_page),
        ))
        .await
        .map_err(|e| FhirError(e.into()))?;
        items.extend(next.items.into_iter().take(skip));
    }
    Ok((items, total))
}

/// A resource's id from the path: a malformed one is a resource that does not exist.
fn record_id(raw: &str) -> FhirResult<String> {
    shanhai_domain::ids::parse_id(raw).ok_or_else(|| FhirError(ApiError::not_found()))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_id_holds_the_expert_and_the_host() {
        let expert = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        let host = "0190ffff-0000-7aaa-8bbb-cccccccccccc";
        let id = schedule_id(expert, host);
        assert_eq!(id.len(), 64);
        assert_eq!(
            parse_schedule_id(&id),
            Some((expert.to_string(), host.to_string()))
        );
        assert_eq!(parse_schedule_id("abc"), None);
        assert_eq!(parse_schedule_id(&"z".repeat(64)), None);
    }

    #[test]
    fn start_prefixes_become_ranges_of_local_time() {
        let ge = DateParam::parse("ge2027-01-05").expect("parses");
        assert_eq!(
            local_range(&ge),
            TextRange {
                from: Some("2027-01-05T00:00:00".into()),
                ..Default::default()
            }
        );
        let lt = DateParam::parse("lt2027-01-05T08:30:00+08:00").expect("parses");
        assert_eq!(lt.prefix, Prefix::Lt);
        assert_eq!(
            local_range(&lt).before.as_deref(),
            Some("2027-01-05T08:30:00")
        );
        let day = DateParam::parse("2027-01-05").expect("parses");
        let r = local_range(&day);
        assert_eq!(
            (r.from.as_deref(), r.before.as_deref()),
            (Some("2027-01-05T00:00:00"), Some("2027-01-06T00:00:00"))
        );
        let updated = utc_range(&DateParam::parse("gt2027-01-05").expect("parses"));
        assert_eq!(updated.from.as_deref(), Some("2027-01-05T16:00:00.000Z"));
        assert_eq!(instant("2027-01-05", "08:30"), "2027-01-05T08:30:00+08:00");
    }
}
