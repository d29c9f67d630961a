//! A program's derived indicators up to a date, read from the roll-ups (kept by the database
//! as records change, equal to a recount — `shanhai verify`), each with the list of records it
//! counts: following a figure's link lists exactly that many records.

use super::{ApiQuery, IdPath, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shanhai_domain::Invalid;
use shanhai_domain::indicators::{
    CATALOGUE, FigureRecord, IndicatorValue, Measure, group_thousands, yuan,
};
use shanhai_service::figures::FigureQuery;
use shanhai_store::{Db, Page, Result, rollups};
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(program_indicators, figure_records),
    components(schemas(IndicatorValue, Measure, FigureRecord))
)]
pub struct IndicatorsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/programs/{id}/indicators", get(program_indicators))
        .route(
            "/api/v1/programs/{id}/indicators/{code}/records",
            get(figure_records),
        )
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// Count records from this date on (`YYYY-MM-DD`, inclusive; an annual or half-year
    /// report); default since the beginning.
    #[param(format = Date)]
    from: Option<String>,
    /// Count records up to and including this date (`YYYY-MM-DD`); default today.
    #[param(format = Date)]
    until: Option<String>,
    /// Only a team's figures: its members' records while members, and its visits.
    #[param(format = Uuid)]
    team: Option<String>,
    /// Only the records reached through a dispatch scheme's batches.
    #[param(format = Uuid)]
    scheme: Option<String>,
    /// Only a pairing's records.
    #[param(format = Uuid)]
    pairing: Option<String>,
    /// Only the records the figures attribute to this institution.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// Only those of institutions in this region (GB/T 2260) or below.
    region: Option<String>,
}

/// Which of a figure's records to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FigureRecordsQuery {
    /// Records counted from this date on (`YYYY-MM-DD`, inclusive); default since the beginning.
    #[param(format = Date)]
    from: Option<String>,
    /// Records counted up to and including this date (`YYYY-MM-DD`); default today.
    #[param(format = Date)]
    until: Option<String>,
    /// Only those the figure attributes to this institution.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// Only those of institutions in this region (GB/T 2260) or below.
    region: Option<String>,
    /// Only a team's: its members' records while members, and its visits.
    #[param(format = Uuid)]
    team: Option<String>,
    /// Only those reached through a dispatch scheme's batches.
    #[param(format = Uuid)]
    scheme: Option<String>,
    /// Only a pairing's.
    #[param(format = Uuid)]
    pairing: Option<String>,
}

/// A scope below a program that figures narrow to — a team, a dispatch scheme, a pairing, an
/// institution, a region, or several at once — with the names that title it.
#[derive(Debug, Clone, Default)]
pub struct Narrow {
    /// (id, name) of each; the region's GB/T 2260 code and name.
    pub team: Option<(String, String)>,
    pub scheme: Option<(String, String)>,
    pub pairing: Option<(String, String)>,
    pub institution: Option<(String, String)>,
    pub region: Option<(String, String)>,
}

/// The raw `?team=&scheme=&pairing=&institution=&region=` of a request.
#[derive(Debug, Clone, Default)]
pub struct NarrowParams<'a> {
    pub team: Option<&'a str>,
    pub scheme: Option<&'a str>,
    pub pairing: Option<&'a str>,
    pub institution: Option<&'a str>,
    pub region: Option<&'a str>,
}

impl Narrow {
    /// Reads the parameters: each names a team, a scheme or a pairing of the program, an
    /// institution or a region, or is a problem at its field (every problem at once).
    pub async fn resolve(
        db: &Db,
        program: &str,
        p: &NarrowParams<'_>,
    ) -> std::result::Result<Narrow, crate::error::ApiError> {
        use shanhai_store::StoreError;
        let clean = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let mut problems = shanhai_domain::Problems::new();
        let mut out = Narrow::default();
        let id = |v: &str| shanhai_domain::ids::parse_id(v);
        fn found<T>(r: Result<T>) -> std::result::Result<Option<T>, StoreError> {
            match r {
                Ok(t) => Ok(Some(t)),
                Err(StoreError::NotFound) => Ok(None),
                Err(e) => Err(e),
            }
        }
        if let Some(v) = clean(p.team) {
            let t = match id(&v) {
                Some(i) => found(shanhai_store::teams::get(db, &i).await)?,
                None => None,
            };
            match t {
                Some(t) if t.program_id.as_deref().is_none_or(|p| p == program) => {
                    out.team = Some((t.id, t.name));
                }
                _ => problems.push(Invalid::new("team", "error.unknown_team")),
            }
        }
        if let Some(v) = clean(p.scheme) {
            let s = match id(&v) {
                Some(i) => found(shanhai_store::dispatch::get_scheme(db, &i).await)?,
                None => None,
            };
            match s {
                Some(s) if s.program_id == program => out.scheme = Some((s.id, s.name)),
                _ => problems.push(Invalid::new("scheme", "error.unknown_scheme")),
            }
        }
        if let Some(v) = clean(p.pairing) {
            let x = match id(&v) {
                Some(i) => found(shanhai_store::pairings::get(db, &i).await)?,
                None => None,
            };
            match x {
                Some(x) if x.program_id == program => {
                    let name = format!(
                        "{} → {}",
                        x.donor_name.unwrap_or_default(),
                        x.recipient_name.unwrap_or_default()
                    );
                    out.pairing = Some((x.id, name));
                }
                _ => problems.push(Invalid::new("pairing", "error.unknown_pairing")),
            }
        }
        if let Some(v) = clean(p.institution) {
            let i = match id(&v) {
                Some(i) => found(shanhai_store::institutions::get(db, &i).await)?,
                None => None,
            };
            match i {
                Some(i) => out.institution = Some((i.id, i.name)),
                None => problems.push(Invalid::new("institution", "error.unknown_institution")),
            }
        }
        if let Some(v) = clean(p.region) {
            match shanhai_domain::registry::RegionCode::parse("region", &v) {
                Ok(code) => match found(shanhai_store::regions::get(db, code.as_str()).await)? {
                    Some(r) => out.region = Some((r.code.to_string(), r.name)),
                    None => problems.push(Invalid::new("region", "error.unknown_region")),
                },
                Err(e) => problems.push(e),
            }
        }
        problems.finish()?;
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.team.is_none()
            && self.scheme.is_none()
            && self.pairing.is_none()
            && self.institution.is_none()
            && self.region.is_none()
    }

    /// Only an institution: the figures keep the lists narrowed the records' own way.
    pub fn only_institution(&self) -> bool {
        self.institution.is_some()
            && self.team.is_none()
            && self.scheme.is_none()
            && self.pairing.is_none()
            && self.region.is_none()
    }

    /// The names of the scope, joined (`张志愿院士团队`, `柔性援疆`, `上海市儿童医院 → 包头市第四医院`).
    pub fn label(&self) -> String {
        [
            &self.team,
            &self.scheme,
            &self.pairing,
            &self.institution,
            &self.region,
        ]
        .iter()
        .filter_map(|x| x.as_ref().map(|(_, n)| n.clone()))
        .collect::<Vec<_>>()
        .join("·")
    }

    /// The roll-up scope of a program narrowed this way.
    pub fn scope(&self, program: &str, from: Option<&str>, until: &str) -> rollups::Scope {
        let id = |x: &Option<(String, String)>| x.as_ref().map(|(i, _)| i.clone());
        rollups::Scope {
            program: Some(program.to_string()),
            pairing: id(&self.pairing),
            institution: id(&self.institution),
            region: id(&self.region),
            team: id(&self.team),
            scheme: id(&self.scheme),
            from: from.map(str::to_string),
            until: until.to_string(),
        }
    }

    /// The scope's parameters (`team`, id), in query order.
    pub fn pairs(&self) -> Vec<(String, String)> {
        [
            ("team", &self.team),
            ("scheme", &self.scheme),
            ("pairing", &self.pairing),
            ("institution", &self.institution),
            ("region", &self.region),
        ]
        .iter()
        .filter_map(|(k, x)| x.as_ref().map(|(id, _)| (k.to_string(), id.clone())))
        .collect()
    }

    /// `&team=…&scheme=…` (the query a scoped link carries).
    pub fn query(&self) -> String {
        let mut q = String::new();
        for (key, x) in [
            ("team", &self.team),
            ("scheme", &self.scheme),
            ("pairing", &self.pairing),
            ("institution", &self.institution),
            ("region", &self.region),
        ] {
            if let Some((id, _)) = x {
                q.push_str(&format!("&{key}={id}"));
            }
        }
        q
    }
}

/// Every indicator of the catalogue with a meaning in a narrowed scope of a program, over a
/// period, each listing exactly its scoped records (the de-identified figure listing with the
/// same scope). A team's and a scheme's figures are counted from the records (the roll-ups keep
/// neither); the others from the roll-ups.
pub async fn scoped_values(
    db: &Db,
    program: &str,
    narrow: &Narrow,
    from: Option<&str>,
    until: &str,
) -> Result<Vec<IndicatorValue>> {
    let lang = crate::i18n::current();
    let scope = narrow.scope(program, from, until);
    let totals: std::collections::HashMap<String, i64> =
        rollups::totals(db, &scope).await?.into_iter().collect();
    let from = from.map(str::trim).filter(|f| !f.is_empty());
    Ok(CATALOGUE
        .iter()
        .filter(|i| rollups::measured_in(i.code, &scope))
        .map(|indicator| {
            let value = totals.get(indicator.code).copied().unwrap_or(0);
            let mut url = format!(
                "/api/v1/programs/{program}/indicators/{}/records?until={until}",
                indicator.code
            );
            if let Some(f) = from {
                url.push_str(&format!("&from={f}"));
            }
            url.push_str(&narrow.query());
            IndicatorValue {
                code: indicator.code.to_string(),
                name: indicator.name(lang).to_string(),
                value,
                unit: indicator.unit(lang).to_string(),
                measure: indicator.measure,
                display: display(indicator.measure, value),
                definition: indicator.definition(lang).to_string(),
                records_url: url,
            }
        })
        .collect())
}

/// A query's date, checked (`YYYY-MM-DD`); none when absent or blank.
pub fn date_param(
    field: &'static str,
    value: Option<&str>,
) -> std::result::Result<Option<String>, Invalid> {
    match value.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => chrono::NaiveDate::parse_from_str(u, "%Y-%m-%d")
            .map(|d| Some(d.to_string()))
            .map_err(|_| Invalid::new(field, "error.date_format")),
        None => Ok(None),
    }
}

/// The list of records an indicator counts for a program over a period: an API list whose
/// `total` equals the value for counted indicators (for sums, the records summed). With an
/// institution, the list narrows to the records the roll-up attributes to it (the requesting
/// hospital of a consultation, the sender of an up-referral, the receiver of a down-referral,
/// the host of everything else); `None` when no list narrows exactly that way. Within a region,
/// or from a start date that a record's own list does not take, the figure listing below. Records about
/// patients (consultations, referrals, patients seen) are listed de-identified by
/// `GET /api/v1/programs/{id}/indicators/{code}/records`, which the program office opens in
/// full.
pub fn records_url(code: &str, w: &Within) -> Option<String> {
    let (program, until, institution) = (w.program, w.until, w.institution);
    let from = w.from.map(str::trim).filter(|f| !f.is_empty());
    let region = w.region.map(str::trim).filter(|r| !r.is_empty());
    if figure_listed(code, from, institution, region) {
        let mut url = format!("/api/v1/programs/{program}/indicators/{code}/records?until={until}");
        for (key, value) in [
            ("from", from),
            ("institution", institution),
            ("region", region),
        ] {
            if let Some(v) = value {
                url.push_str(&format!("&{key}={v}"));
            }
        }
        return Some(url);
    }
    let q = match from {
        Some(f) => format!("program={program}&from={f}&until={until}"),
        None => format!("program={program}&until={until}"),
    };
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
            format!("/api/v1/clinic-sessions?{q}&status=scheduled"),
            Some("institution"),
        ),
        "outreach-sessions" | "outreach-patients" => (
            format!("/api/v1/clinic-sessions?{q}&status=scheduled&outreach=true"),
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
        // ---- training and management (issue 18, helper "training") ----
        "training-cohort-members" => (
            format!("/api/v1/training-scheme-members?{q}"),
            Some("institution"),
        ),
        "lecture-series" => (format!("/api/v1/lecture-series?{q}"), Some("institution")),
        "lecture-series-sessions" | "lecture-series-attendance" => (
            format!("/api/v1/teaching-activities?{q}&series=any"),
            Some("institution"),
        ),
        "cme-learners" => (format!("/api/v1/cme-enrolments?{q}"), Some("institution")),
        "departments-restructured" => (
            format!("/api/v1/department-changes?{q}"),
            Some("institution"),
        ),
        "patients-returned" => (format!("/api/v1/patient-returns?{q}"), Some("institution")),
        // ---- end training ----
        // ---- outreach events ----
        "outreach-events" => (format!("/api/v1/outreach-events?{q}"), Some("institution")),
        // ---- operations (手术), issue 18 ----
        "operations" => (format!("/api/v1/operations?{q}"), Some("institution")),
        "operations-minimally-invasive" => (
            format!("/api/v1/operations?{q}&minimally_invasive=true"),
            Some("institution"),
        ),
        _ if code.starts_with("operations-grade-") => (
            format!(
                "/api/v1/operations?{q}&grade={}",
                code.trim_start_matches("operations-grade-")
            ),
            Some("institution"),
        ),
        _ if code.starts_with("operations-") => (
            format!(
                "/api/v1/operations?{q}&role={}",
                code.trim_start_matches("operations-")
            ),
            Some("institution"),
        ),
        _ => return None,
    };
    match institution {
        None => Some(url),
        Some(id) => by.map(|param| format!("{url}&{param}={id}")),
    }
}

/// Whether an indicator's records are listed by the de-identified figure listing rather than
/// the records' own API list: records about patients (which the office may not read in full);
/// sums and money, whose rows there carry what each record adds; and lists narrowed in a way
/// the records' own lists do not take exactly (a start date, a region, people at an
/// institution).
fn figure_listed(
    code: &str,
    from: Option<&str>,
    institution: Option<&str>,
    region: Option<&str>,
) -> bool {
    let counted = CATALOGUE
        .iter()
        .any(|i| i.code == code && i.measure == Measure::Count);
    shanhai_domain::indicators::about_patients(code)
        || !counted
        // Team visits: no list of the program's visits of its own (a team's page lists its).
        || code == "team-visits"
        || from.is_some()
        || region.is_some()
        || (institution.is_some() && code == "experts-dispatched")
        // Goals count on the day achieved, which the goals' own list does not filter by.
        || code == "accreditations-achieved"
}

/// The records a figure counts: a program, a period, and an institution or region narrowing it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Within<'a> {
    pub program: &'a str,
    /// The period's first day (`YYYY-MM-DD`); none: since the beginning.
    pub from: Option<&'a str>,
    pub until: &'a str,
    /// The institution the records are attributed to.
    pub institution: Option<&'a str>,
    /// A region (GB/T 2260) the attributed institutions lie in.
    pub region: Option<&'a str>,
}

/// An indicator's value as a reader sees it.
pub fn display(measure: Measure, value: i64) -> String {
    match measure {
        Measure::Money => yuan(value),
        Measure::Count | Measure::Sum => group_thousands(value),
    }
}

/// Every indicator of the catalogue for a program over a period (`from` none: since the
/// beginning).
pub async fn program_values(
    db: &Db,
    program: &str,
    from: Option<&str>,
    until: &str,
) -> Result<Vec<IndicatorValue>> {
    let lang = crate::i18n::current();
    let scope = rollups::Scope {
        program: Some(program.to_string()),
        from: from.map(str::to_string),
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
            records_url: records_url(
                indicator.code,
                &Within {
                    program,
                    from,
                    until,
                    ..Default::default()
                },
            )
            .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The program's derived indicators up to `until` (default today, Asia/Shanghai): experts
/// dispatched, assignments, consultations, referrals, training, techniques, specialty building,
/// funding… each with its definition and `records_url`, an API list whose `total` equals the
/// value for counted indicators. No patient details. Anyone signed in may read them.
///
/// Scoped to a team, a dispatch scheme, a pairing, an institution or a region (any of
/// `?team=&scheme=&pairing=&institution=&region=`), the figures count the scope's records only
/// and each `records_url` lists exactly them; indicators with no meaning in the scope (a team's
/// batches, a pairing's consultations) are left out rather than zero.
#[utoipa::path(get, path = "/api/v1/programs/{id}/indicators", tag = "indicators", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), IndicatorQuery),
    responses((status = 200, body = Vec<IndicatorValue>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn program_indicators(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> ApiResult<Json<Vec<IndicatorValue>>> {
    shanhai_store::programs::get(&state.db, &id).await?;
    let from = date_param("from", q.from.as_deref())?;
    let until = date_param("until", q.until.as_deref())?
        .unwrap_or_else(|| shanhai_store::today().to_string());
    period_in_order(from.as_deref(), &until)?;
    let narrow = Narrow::resolve(
        &state.db,
        &id,
        &NarrowParams {
            team: q.team.as_deref(),
            scheme: q.scheme.as_deref(),
            pairing: q.pairing.as_deref(),
            institution: q.institution.as_deref(),
            region: q.region.as_deref(),
        },
    )
    .await?;
    if narrow.is_empty() {
        return Ok(Json(
            program_values(&state.db, &id, from.as_deref(), &until).await?,
        ));
    }
    Ok(Json(
        scoped_values(&state.db, &id, &narrow, from.as_deref(), &until).await?,
    ))
}

/// A start date after the end date names no period.
fn period_in_order(from: Option<&str>, until: &str) -> std::result::Result<(), Invalid> {
    match from {
        Some(f) if f > until => Err(Invalid::new("until", "error.end_before_start")),
        _ => Ok(()),
    }
}

/// The codes of the indicator catalogue (`{code}` in the paths).
struct IndicatorCode;

impl utoipa::PartialSchema for IndicatorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let codes: Vec<(&'static str, &'static str)> = shanhai_domain::indicators::CATALOGUE
            .iter()
            .map(|i| (i.code, i.name_en))
            .collect();
        shanhai_domain::codes::code_schema(&codes)
    }
}

impl utoipa::ToSchema for IndicatorCode {}

/// The records a program's indicator counts over a period, de-identified (date, kind,
/// institutions, state, turnaround; never a patient's name, ID number or case). The program's
/// office and the platform admin list all of them — `total` equals the indicator's value over
/// the same period; a hospital's staff list those their institution takes part in; others are
/// refused. Reads of records about patients are audited.
#[utoipa::path(get, path = "/api/v1/programs/{id}/indicators/{code}/records", tag = "indicators", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("code" = inline(IndicatorCode), Path, description = "An indicator of the catalogue, e.g. `consultations`"), PageParams, FigureRecordsQuery),
    responses((status = 200, body = Page<FigureRecord>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn figure_records(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, code)): Path<(String, String)>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<FigureRecordsQuery>,
) -> ApiResult<Json<Page<FigureRecord>>> {
    let id = shanhai_domain::ids::parse_id(&id).ok_or_else(ApiError::not_found)?;
    let from = date_param("from", q.from.as_deref())?;
    let until = date_param("until", q.until.as_deref())?
        .unwrap_or_else(|| shanhai_store::today().to_string());
    period_in_order(from.as_deref(), &until)?;
    let query = FigureQuery {
        program: id,
        indicator: code,
        from,
        until,
        institution: q.institution,
        region: q.region,
        team: q.team,
        scheme: q.scheme,
        pairing: q.pairing,
    };
    Ok(Json(
        shanhai_service::figures::records(&state.db, &caller.acting(), &query, page.request())
            .await?,
    ))
}
