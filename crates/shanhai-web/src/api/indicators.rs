//! A program's derived indicators up to a date, each counted from the records by the very list
//! query its `records_url` names — so following a figure's link lists exactly that many records.

use super::{ApiQuery, IdPath};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::indicators::{CATALOGUE, IndicatorValue, Measure, group_thousands, yuan};
use shanhai_store::capacity::{self, CapacityFilter, Collection};
use shanhai_store::clinics::{self, SessionFilter};
use shanhai_store::consultations::{self, ConsultationFilter};
use shanhai_store::dispatch::{self, AssignmentFilter};
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::referrals::{self, ReferralFilter};
use shanhai_store::{Db, PageRequest, Result};
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

/// One record is enough to learn a list's total.
fn one() -> PageRequest {
    PageRequest::new(Some(1), Some(1))
}

async fn capacity_total<T: Collection>(db: &Db, f: &CapacityFilter) -> Result<i64> {
    Ok(capacity::list::<T>(db, f, &Reach::All, one()).await?.total)
}

/// The value of one indicator for a program up to `until`, and the list it counts.
async fn value_of(db: &Db, code: &str, program: &str, until: &str) -> Result<(i64, String)> {
    let p = Some(program.to_string());
    let u = Some(until.to_string());
    let q = format!("program={program}&until={until}");
    let cap = CapacityFilter {
        program: p.clone(),
        until: u.clone(),
        ..Default::default()
    };
    let consultations = |kind: Option<&str>| ConsultationFilter {
        program: p.clone(),
        until: u.clone(),
        kind: kind.map(str::to_string),
        ..Default::default()
    };
    let referrals = |direction: &str, leaving: Option<bool>| ReferralFilter {
        program: p.clone(),
        until: u.clone(),
        direction: Some(direction.to_string()),
        leaves_region: leaving,
        ..Default::default()
    };
    Ok(match code {
        "experts-dispatched" => {
            let f = PersonFilter {
                dispatched_in: p.clone(),
                dispatched_until: u.clone(),
                ..Default::default()
            };
            (
                people::list(db, &f, &Reach::All, one()).await?.total,
                format!("/api/v1/people?dispatched_in={program}&until={until}"),
            )
        }
        "assignments" => {
            let f = AssignmentFilter {
                program: p.clone(),
                until: u.clone(),
                ..Default::default()
            };
            (
                dispatch::list_assignments(db, &f, one()).await?.total,
                format!("/api/v1/assignments?{q}"),
            )
        }
        "work-days" => {
            let f = AssignmentFilter {
                program: p.clone(),
                until: u.clone(),
                ..Default::default()
            };
            (
                dispatch::service_day_total(db, &f).await?,
                format!("/api/v1/assignments?{q}"),
            )
        }
        "clinic-sessions" | "bookings" | "patients-seen" | "outreach-sessions"
        | "outreach-patients" => {
            let outreach = code.starts_with("outreach");
            let f = SessionFilter {
                program: p.clone(),
                until: u.clone(),
                status: Some("open".into()),
                outreach: outreach.then_some(true),
                ..Default::default()
            };
            let url = format!(
                "/api/v1/clinic-sessions?{q}&status=open{}",
                if outreach { "&outreach=true" } else { "" }
            );
            let value = match code {
                "clinic-sessions" | "outreach-sessions" => {
                    clinics::list(db, &f, one()).await?.total
                }
                "bookings" => clinics::booking_totals(db, &f).await?.0,
                _ => clinics::booking_totals(db, &f).await?.1,
            };
            (value, url)
        }
        "apprentices" => (
            capacity::apprentice_total(db, &cap).await?,
            format!("/api/v1/mentorships?{q}"),
        ),
        "gaps-filled-hospital"
        | "gaps-filled-county"
        | "gaps-filled-city"
        | "gaps-filled-province" => {
            let level = code.trim_start_matches("gaps-filled-");
            let f = CapacityFilter {
                gap_level: Some(level.to_string()),
                ..cap.clone()
            };
            (
                capacity_total::<capacity::Techniques>(db, &f).await?,
                format!("/api/v1/techniques?{q}&gap_level={level}"),
            )
        }
        "techniques-grade-3-4" => {
            let f = CapacityFilter {
                min_grade: Some(3),
                ..cap.clone()
            };
            (
                capacity_total::<capacity::Techniques>(db, &f).await?,
                format!("/api/v1/techniques?{q}&min_grade=3"),
            )
        }
        "consultations" => (
            consultations::list(db, &consultations(None), one())
                .await?
                .total,
            format!("/api/v1/consultations?{q}"),
        ),
        "consultations-mdt" => (
            consultations::list(db, &consultations(Some("mdt")), one())
                .await?
                .total,
            format!("/api/v1/consultations?{q}&type=mdt"),
        ),
        "consultations-difficult-case" => (
            consultations::list(db, &consultations(Some("difficult-case")), one())
                .await?
                .total,
            format!("/api/v1/consultations?{q}&type=difficult-case"),
        ),
        "referrals-up" => (
            referrals::list(db, &referrals("up", None), one())
                .await?
                .total,
            format!("/api/v1/referrals?{q}&direction=up"),
        ),
        "referrals-down" => (
            referrals::list(db, &referrals("down", None), one())
                .await?
                .total,
            format!("/api/v1/referrals?{q}&direction=down"),
        ),
        "referrals-leaving-region" => (
            referrals::list(db, &referrals("up", Some(true)), one())
                .await?
                .total,
            format!("/api/v1/referrals?{q}&direction=up&leaving=true"),
        ),
        "placements" => (
            capacity_total::<capacity::Placements>(db, &cap).await?,
            format!("/api/v1/placements?{q}"),
        ),
        "mentorships" => (
            capacity_total::<capacity::Mentorships>(db, &cap).await?,
            format!("/api/v1/mentorships?{q}"),
        ),
        "team-pairings" => (
            capacity_total::<capacity::TeamPairings>(db, &cap).await?,
            format!("/api/v1/team-pairings?{q}"),
        ),
        "teaching-activities" => (
            capacity_total::<capacity::TeachingActivities>(db, &cap).await?,
            format!("/api/v1/teaching-activities?{q}"),
        ),
        "teaching-attendance" => (
            capacity::attendance_total(db, &cap).await?,
            format!("/api/v1/teaching-activities?{q}"),
        ),
        "techniques" => (
            capacity_total::<capacity::Techniques>(db, &cap).await?,
            format!("/api/v1/techniques?{q}"),
        ),
        "workstations" => (
            capacity_total::<capacity::Workstations>(db, &cap).await?,
            format!("/api/v1/workstations?{q}"),
        ),
        "alliances" => (
            capacity_total::<capacity::Alliances>(db, &cap).await?,
            format!("/api/v1/alliances?{q}"),
        ),
        "specialty-projects" => (
            capacity_total::<capacity::SpecialtyProjects>(db, &cap).await?,
            format!("/api/v1/specialty-projects?{q}"),
        ),
        "regulations" => (
            capacity_total::<capacity::Regulations>(db, &cap).await?,
            format!("/api/v1/regulations?{q}"),
        ),
        "research-outputs" => (
            capacity_total::<capacity::ResearchOutputs>(db, &cap).await?,
            format!("/api/v1/research-outputs?{q}"),
        ),
        "funding" => (
            capacity::funding_totals(db, &cap, &Reach::All)
                .await?
                .amount_fen,
            format!("/api/v1/funding-items?{q}"),
        ),
        "equipment-value" => (
            capacity::equipment_totals(db, &cap, &Reach::All)
                .await?
                .amount_fen,
            format!("/api/v1/equipment-donations?{q}"),
        ),
        other => {
            return Err(shanhai_store::StoreError::Other(format!(
                "indicator {other} has no counting rule"
            )));
        }
    })
}

/// Every indicator of the catalogue for a program up to a date.
pub async fn program_values(db: &Db, program: &str, until: &str) -> Result<Vec<IndicatorValue>> {
    let lang = crate::i18n::current();
    let mut out = Vec::with_capacity(CATALOGUE.len());
    for indicator in CATALOGUE {
        let (value, records_url) = value_of(db, indicator.code, program, until).await?;
        let display = match indicator.measure {
            Measure::Money => yuan(value),
            Measure::Count | Measure::Sum => group_thousands(value),
        };
        out.push(IndicatorValue {
            code: indicator.code.to_string(),
            name: indicator.name(lang).to_string(),
            value,
            unit: indicator.unit(lang).to_string(),
            measure: indicator.measure,
            display,
            definition: indicator.definition(lang).to_string(),
            records_url,
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
