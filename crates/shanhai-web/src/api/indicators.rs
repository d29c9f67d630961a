//! A program's derived indicators up to a date, read from the roll-ups (kept by the database
//! as records change, equal to a recount — `shanhai verify`), each with the list of records it
//! counts: following a figure's link lists exactly that many records.

use super::{ApiQuery, IdPath};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::Invalid;
use shanhai_domain::indicators::{CATALOGUE, IndicatorValue, Measure, group_thousands, yuan};
use shanhai_store::{Db, Result, rollups};
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(program_indicators),
    components(schemas(IndicatorValue, Measure))
)]
pub struct IndicatorsApi;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/programs/{id}/indicators", get(program_indicators))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// Count records up to and including this date (`YYYY-MM-DD`); default today.
    until: Option<String>,
}

/// The list of records an indicator counts for a program up to a date: an API list whose
/// `total` equals the value for counted indicators (for sums, the records summed). With an
/// institution, the list narrows to the records the roll-up attributes to it (the requesting
/// hospital of a consultation, the sender of an up-referral, the receiver of a down-referral,
/// the host of everything else); `None` when no list narrows exactly that way.
pub fn records_url(
    code: &str,
    program: &str,
    until: &str,
    institution: Option<&str>,
) -> Option<String> {
    let q = format!("program={program}&until={until}");
    let (url, by) = match code {
        "experts-dispatched" => (
            format!("/api/v1/people?dispatched_in={program}&until={until}"),
            None,
        ),
        "batches" => (format!("/api/v1/batches?{q}"), None),
        "assignments" | "work-days" => (format!("/api/v1/assignments?{q}"), Some("institution")),
        "workload-outpatients" | "workload-admissions" | "workload-operations" => {
            (format!("/api/v1/workload-reports?{q}"), Some("institution"))
        }
        "clinic-sessions" | "bookings" | "patients-seen" => (
            format!("/api/v1/clinic-sessions?{q}&status=open"),
            Some("institution"),
        ),
        "outreach-sessions" | "outreach-patients" => (
            format!("/api/v1/clinic-sessions?{q}&status=open&outreach=true"),
            Some("institution"),
        ),
        "consultations" => (format!("/api/v1/consultations?{q}"), Some("requested_by")),
        _ if code.starts_with("consultations-") => (
            format!(
                "/api/v1/consultations?{q}&type={}",
                code.trim_start_matches("consultations-")
            ),
            Some("requested_by"),
        ),
        "referrals-up" => (
            format!("/api/v1/referrals?{q}&direction=up"),
            Some("from_institution"),
        ),
        "referrals-down" => (
            format!("/api/v1/referrals?{q}&direction=down"),
            Some("to_institution"),
        ),
        "referrals-leaving-region" => (
            format!("/api/v1/referrals?{q}&direction=up&leaving=true"),
            Some("from_institution"),
        ),
        "placements" => (format!("/api/v1/placements?{q}"), Some("institution")),
        "mentorships" | "apprentices" => (format!("/api/v1/mentorships?{q}"), Some("institution")),
        "team-pairings" => (format!("/api/v1/team-pairings?{q}"), Some("institution")),
        "teaching-activities" | "teaching-attendance" => (
            format!("/api/v1/teaching-activities?{q}"),
            Some("institution"),
        ),
        _ if code.starts_with("teaching-activities-") => (
            format!(
                "/api/v1/teaching-activities?{q}&kind={}",
                code.trim_start_matches("teaching-activities-")
            ),
            Some("institution"),
        ),
        "techniques" => (format!("/api/v1/techniques?{q}"), Some("institution")),
        "gaps-filled-hospital"
        | "gaps-filled-county"
        | "gaps-filled-city"
        | "gaps-filled-province" => (
            format!(
                "/api/v1/techniques?{q}&gap_level={}",
                code.trim_start_matches("gaps-filled-")
            ),
            Some("institution"),
        ),
        "techniques-grade-3-4" => (
            format!("/api/v1/techniques?{q}&min_grade=3"),
            Some("institution"),
        ),
        "workstations" => (format!("/api/v1/workstations?{q}"), Some("institution")),
        "alliances" => (format!("/api/v1/alliances?{q}"), Some("institution")),
        "specialty-projects" => (
            format!("/api/v1/specialty-projects?{q}"),
            Some("institution"),
        ),
        "regulations" => (format!("/api/v1/regulations?{q}"), Some("institution")),
        "research-outputs" => (format!("/api/v1/research-outputs?{q}"), Some("institution")),
        "funding" => (format!("/api/v1/funding-items?{q}"), Some("institution")),
        "equipment-value" => (
            format!("/api/v1/equipment-donations?{q}"),
            Some("institution"),
        ),
        _ => return None,
    };
    match institution {
        None => Some(url),
        Some(id) => by.map(|param| format!("{url}&{param}={id}")),
    }
}

/// An indicator's value as a reader sees it.
pub fn display(measure: Measure, value: i64) -> String {
    match measure {
        Measure::Money => yuan(value),
        Measure::Count | Measure::Sum => group_thousands(value),
    }
}

/// Every indicator of the catalogue for a program up to a date.
pub async fn program_values(db: &Db, program: &str, until: &str) -> Result<Vec<IndicatorValue>> {
    let lang = crate::i18n::current();
    let scope = rollups::Scope {
        program: Some(program.to_string()),
        until: until.to_string(),
        ..Default::default()
    };
    let totals: std::collections::HashMap<String, i64> =
        rollups::totals(db, &scope).await?.into_iter().collect();
    let mut out = Vec::with_capacity(CATALOGUE.len());
    for indicator in CATALOGUE {
        let value = totals.get(indicator.code).copied().unwrap_or(0);
        out.push(IndicatorValue {
            code: indicator.code.to_string(),
            name: indicator.name(lang).to_string(),
            value,
            unit: indicator.unit(lang).to_string(),
            measure: indicator.measure,
            display: display(indicator.measure, value),
            definition: indicator.definition(lang).to_string(),
            records_url: records_url(indicator.code, program, until, None).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The program's derived indicators up to `until` (default today, Asia/Shanghai): experts
/// dispatched, assignments, consultations, referrals, training, techniques, specialty building,
/// funding… each with its definition and `records_url`, an API list whose `total` equals the
/// value for counted indicators. No patient details. Anyone signed in may read them.
#[utoipa::path(get, path = "/api/v1/programs/{id}/indicators", tag = "indicators", security(("bearer" = [])),
    params(("id" = String, Path), IndicatorQuery),
    responses((status = 200, body = Vec<IndicatorValue>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn program_indicators(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> ApiResult<Json<Vec<IndicatorValue>>> {
    shanhai_store::programs::get(&state.db, &id).await?;
    let until = match q.until.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => chrono::NaiveDate::parse_from_str(u, "%Y-%m-%d")
            .map_err(|_| Invalid::new("until", "error.date_format"))?
            .to_string(),
        None => shanhai_store::today().to_string(),
    };
    Ok(Json(program_values(&state.db, &id, &until).await?))
}
