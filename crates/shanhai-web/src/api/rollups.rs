//! Roll-ups for dashboards: an indicator (or every indicator) over any scope — program, pairing,
//! institution, region subtree — and any date range, as a total, a series by month, quarter or
//! year, or a breakdown by program, pairing, institution or the region's next level. Read from
//! the trigger-maintained `rollups` table, the partial months at the range's edges counted from
//! the records; `shanhai verify` checks the table against a recount.

use super::ApiQuery;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shanhai_domain::Invalid;
use shanhai_store::rollups::{self, By, Grain, Scope};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(paths(get_rollups), components(schemas(Rollup, RollupItem)))]
pub struct RollupsApi;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/rollups", get(get_rollups))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RollupQuery {
    /// An indicator code of the catalogue (`consultations`, `funding`…); without it, every
    /// indicator's total.
    indicator: Option<String>,
    #[param(format = Uuid)]
    program: Option<String>,
    #[param(format = Uuid)]
    pairing: Option<String>,
    #[param(format = Uuid)]
    institution: Option<String>,
    /// A GB/T 2260 region code: institutions in it or below.
    region: Option<String>,
    /// A team: its members' records while members, and its visits (counted from the records).
    #[param(format = Uuid)]
    team: Option<String>,
    /// A dispatch scheme: the records reached through its batches (counted from the records).
    #[param(format = Uuid)]
    scheme: Option<String>,
    /// `YYYY-MM-DD`, inclusive; default: since the first record.
    #[param(format = Date)]
    from: Option<String>,
    /// `YYYY-MM-DD`, inclusive; default today.
    #[param(format = Date)]
    until: Option<String>,
    /// `month`, `quarter`, `year` (a series), `program`, `pairing`, `institution` or `region`
    /// (a breakdown; `region`: the next level below `region`, provinces without one).
    group: Option<String>,
}

/// One figure of a roll-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct RollupItem {
    /// The period (`2024-03`, `2024Q1`, `2024`), the program, pairing or institution id, the
    /// region code, or the indicator code when every indicator is listed.
    pub key: String,
    /// For money: fen.
    pub value: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rollup {
    pub indicator: Option<String>,
    pub group: Option<String>,
    #[schema(format = Date)]
    pub from: Option<String>,
    #[schema(format = Date)]
    pub until: String,
    /// Series: every period from the first with a value (or `from`) to `until`'s, zeros
    /// included. Breakdowns: largest first, zeros left out.
    pub items: Vec<RollupItem>,
}

fn trimmed(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn id_param(
    s: &Option<String>,
    field: &'static str,
    key: &'static str,
) -> Result<Option<String>, Invalid> {
    match trimmed(s) {
        None => Ok(None),
        Some(v) => shanhai_domain::ids::parse_id(v)
            .map(Some)
            .ok_or_else(|| Invalid::new(field, key)),
    }
}

fn date_param(s: Option<&str>, field: &'static str) -> Result<Option<chrono::NaiveDate>, Invalid> {
    s.map(|v| {
        chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| Invalid::new(field, "error.date_format"))
    })
    .transpose()
}

enum Shape {
    Total,
    Series(Grain),
    Breakdown(By),
}

/// An indicator, or every indicator, summed over a scope and date range, as a total, a series
/// or a breakdown. Counts follow each indicator's definition in the catalogue
/// (`GET /api/v1/programs/{id}/indicators`); an activity belongs to one program, so programs
/// summed together count it once, and distinct people (`experts-dispatched`) are counted once
/// over the whole scope. No patient details. Anyone signed in may read them.
#[utoipa::path(get, path = "/api/v1/rollups", tag = "indicators", security(("bearer" = [])),
    params(RollupQuery),
    responses((status = 200, body = Rollup), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_rollups(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<RollupQuery>,
) -> ApiResult<Json<Rollup>> {
    let indicator = match trimmed(&q.indicator) {
        Some(code) if rollups::measure(code).is_some() => Some(code.to_string()),
        Some(_) => return Err(Invalid::new("indicator", "error.unknown_code").into()),
        None => None,
    };
    let shape = match trimmed(&q.group) {
        None => Shape::Total,
        Some("month") => Shape::Series(Grain::Month),
        Some("quarter") => Shape::Series(Grain::Quarter),
        Some("year") => Shape::Series(Grain::Year),
        Some("program") => Shape::Breakdown(By::Program),
        Some("pairing") => Shape::Breakdown(By::Pairing),
        Some("institution") => Shape::Breakdown(By::Institution),
        Some("region") => Shape::Breakdown(By::ChildRegion),
        Some(_) => return Err(Invalid::new("group", "error.unknown_code").into()),
    };
    let region = match trimmed(&q.region) {
        Some(r) => Some(
            shanhai_domain::registry::RegionCode::parse("region", r)?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    let from = date_param(trimmed(&q.from), "from")?;
    let until = date_param(trimmed(&q.until), "until")?.unwrap_or_else(shanhai_store::today);
    if from.is_some_and(|f| f > until) {
        return Err(Invalid::new("until", "error.end_before_start").into());
    }
    let scope = Scope {
        program: id_param(&q.program, "program", "error.unknown_program")?,
        pairing: id_param(&q.pairing, "pairing", "error.unknown_pairing")?,
        institution: id_param(&q.institution, "institution", "error.unknown_institution")?,
        region,
        team: id_param(&q.team, "team", "error.unknown_team")?,
        scheme: id_param(&q.scheme, "scheme", "error.unknown_scheme")?,
        from: from.map(|f| f.to_string()),
        until: until.to_string(),
    };
    // An indicator with no meaning in the scope (a batch of a team) is not a zero.
    if let Some(i) = &indicator
        && !rollups::measured_in(i, &scope)
    {
        return Err(Invalid::new("indicator", "error.figure_not_in_scope").into());
    }
    let db = &state.db;
    let pairs = match (&indicator, &shape) {
        (None, Shape::Total) => rollups::totals(db, &scope).await?,
        (None, _) => return Err(Invalid::new("indicator", "error.required").into()),
        (Some(i), Shape::Total) => vec![(i.clone(), rollups::total(db, &scope, i).await?)],
        (Some(i), Shape::Series(grain)) => rollups::series(db, &scope, i, *grain).await?,
        (Some(i), Shape::Breakdown(by)) => rollups::breakdown(db, &scope, i, *by).await?,
    };
    Ok(Json(Rollup {
        indicator,
        group: trimmed(&q.group).map(str::to_string),
        from: scope.from,
        until: scope.until,
        items: pairs
            .into_iter()
            .map(|(key, value)| RollupItem { key, value })
            .collect(),
    }))
}
