//! The program dashboard: headline figures (累计…), trends, composition, KPI before/after and
//! a drill-down from region to institution to the records — all read from the roll-ups, drawn
//! as SVG on the server. And `/records`, which shows any API list a figure links to as a page.

use super::dispatch::{all, here};
use super::{Chrome, Viewer, error_page, render};
use crate::AppState;
use crate::api::indicators::{Narrow, NarrowParams, Within, display, records_url};
use crate::auth::AccessFacts;
use crate::charts::{self, Bar, KpiRow, Point, Series};
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;
use shanhai_domain::Lang;
use shanhai_domain::codes::Role;
use shanhai_domain::indicators::{CATALOGUE, Indicator, Measure, only_when_reported, total_of};
use shanhai_domain::registry::{Program, Region, RegionCode};
use shanhai_store::kpis::{self, StandingsFilter};
use shanhai_store::programs::{self, ProgramFilter};
use shanhai_store::rollups::{self, By, Grain};
use shanhai_store::{institutions, regions};
use std::collections::HashMap;
use std::sync::OnceLock;
use tower::ServiceExt;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard_page))
        .route("/records", get(records_page))
}

/// `?program=all`: every program together.
const ALL: &str = "all";

#[derive(Deserialize, Default)]
struct DashboardQuery {
    program: Option<String>,
    region: Option<String>,
    /// The period's first day (an annual or half-year view); none: since the beginning.
    from: Option<String>,
    until: Option<String>,
    grain: Option<String>,
    indicator: Option<String>,
    /// The scope chooser's choice: `team:ID`, `scheme:ID`, `pairing:ID` or `institution:ID`.
    within: Option<String>,
    team: Option<String>,
    scheme: Option<String>,
    pairing: Option<String>,
    institution: Option<String>,
}

/// One choice of the scope chooser: its group (team, pairing, scheme, institution), value
/// (`team:ID`) and label.
pub struct ScopeChoice {
    pub group: String,
    pub value: String,
    pub label: String,
    pub selected: bool,
    /// The first of its group, the last of its group.
    pub opens: bool,
    pub closes: bool,
}

/// A headline figure.
pub struct Headline {
    pub code: &'static str,
    pub name: String,
    pub unit: String,
    pub display: String,
    pub definition: String,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    programs: Vec<Program>,
    program: Option<Program>,
    /// The national view: every program together.
    all_programs: bool,
    /// The chosen indicator per program (national view only).
    by_program: String,
    /// The period's first day, or empty.
    from: String,
    until: String,
    grain: &'static str,
    indicator: &'static Indicator,
    indicator_name: String,
    /// Every indicator of the catalogue: code and name.
    indicators: Vec<(&'static str, String)>,
    /// Breadcrumbs: (label, href) from all regions down to the current one.
    trail: Vec<(String, String)>,
    region_name: Option<String>,
    /// The region drilled to (its code), or empty.
    region: String,
    headlines: Vec<Headline>,
    trend: String,
    activity: String,
    composition: Vec<(String, String)>,
    kpi_chart: String,
    regions_chart: String,
    institutions_chart: String,
    /// Whether the region is a county, so there is no level below it but institutions.
    at_bottom: bool,
    /// The scope chooser: the program's teams, pairings, schemes and institutions.
    scope_choices: Vec<ScopeChoice>,
    /// The chosen scope (`team:ID`…), or empty: the whole program.
    within: String,
    /// The chosen scope's name, or empty.
    scope_label: String,
    /// `&team=…` for the briefing link.
    scope_query: String,
}

fn valid_date(d: Option<&str>) -> Option<String> {
    d.map(str::trim)
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        .map(str::to_string)
}

/// The program a viewer sees first: the one asked for, the office's own, or the first.
fn chosen(viewer: &Viewer, asked: Option<&str>, programs: &[Program]) -> Option<Program> {
    let wanted = asked
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .or_else(|| {
            (viewer.principal.role == Role::ProgramOffice)
                .then(|| viewer.principal.program_id.clone())
                .flatten()
        });
    wanted
        .and_then(|id| programs.iter().find(|p| p.id == id).cloned())
        .or_else(|| programs.first().cloned())
}

fn url(parts: &[(&str, &str)]) -> String {
    let q: Vec<String> = parts
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", super::urlencode(v)))
        .collect();
    format!("/dashboard?{}", q.join("&"))
}

/// The six largest parts, and the rest together under `other` (a ring stays legible).
fn top_parts(mut parts: Vec<Bar>, other: &str) -> Vec<Bar> {
    const SHOWN: usize = 6;
    parts.sort_by_key(|p| std::cmp::Reverse(p.value));
    if parts.len() > SHOWN + 1 {
        let rest: i64 = parts.drain(SHOWN..).map(|p| p.value).sum();
        parts.push(Bar {
            label: other.to_string(),
            value: rest,
            href: None,
        });
    }
    parts
}

/// A link to the records page for an API list, titled; `expect` is the count the figure shows,
/// so that the page can say when the viewer may see only some of the records.
pub(super) fn records_href(src: &str, title: &str, expect: Option<i64>) -> String {
    let expect = expect.map(|n| format!("&expect={n}")).unwrap_or_default();
    format!(
        "/records?src={}&title={}{expect}",
        super::urlencode(src),
        super::urlencode(title)
    )
}

fn kpi_rows(standings: &[shanhai_domain::kpis::KpiStanding], lang: Lang) -> Vec<KpiRow> {
    standings
        .iter()
        .take(14)
        .map(|k| {
            let scale = k.scale.max(1) as f64;
            let before = k.baseline_scaled.unwrap_or(k.first_value_scaled);
            let name = match lang {
                Lang::Zh => &k.name_zh,
                Lang::En => &k.name_en,
            };
            KpiRow {
                name: format!(
                    "{name} · {}",
                    k.institution_name.clone().unwrap_or_default()
                ),
                unit: shanhai_domain::words::unit_after(
                    &k.unit,
                    k.latest_value_scaled as f64 / scale,
                    lang,
                ),
                baseline: Some(before as f64 / scale),
                latest: Some(k.latest_value_scaled as f64 / scale),
                target: k.target_scaled.map(|t| t as f64 / scale),
                higher_is_better: k.direction == shanhai_domain::kpis::KpiDirection::Higher,
                improved: k.improved,
                baseline_label: k.baseline.clone().unwrap_or_else(|| k.first_value.clone()),
                latest_label: k.latest_value.clone(),
                target_label: k.target.clone().unwrap_or_default(),
            }
        })
        .collect()
}

async fn page_data(
    state: &AppState,
    viewer: &Viewer,
    q: DashboardQuery,
    here_path: String,
) -> Result<DashboardPage, ApiError> {
    let c = Chrome::new(Some(viewer), "dashboard", here_path);
    let lang = c.lang;
    let t = |k: &str| c.t(k);
    let programs = programs::list(&state.db, &ProgramFilter::default(), all())
        .await?
        .items;
    // Every program together (the national view), or one.
    let all_programs = q.program.as_deref() == Some(ALL);
    let program = if all_programs {
        None
    } else {
        chosen(viewer, q.program.as_deref(), &programs)
    };
    let until =
        valid_date(q.until.as_deref()).unwrap_or_else(|| shanhai_store::today().to_string());
    // A start date after the end names no period: the view runs from the beginning.
    let from = valid_date(q.from.as_deref())
        .filter(|f| *f <= until)
        .unwrap_or_default();
    let from_opt = (!from.is_empty()).then_some(from.as_str());
    let region = q
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| RegionCode::parse("region", r).is_ok())
        .map(str::to_string);
    let grain = match q.grain.as_deref() {
        Some("month") => Grain::Month,
        Some("year") => Grain::Year,
        _ => Grain::Quarter,
    };
    let grain_code = match grain {
        Grain::Month => "month",
        Grain::Quarter => "quarter",
        Grain::Year => "year",
    };
    let indicators: Vec<(&'static str, String)> = CATALOGUE
        .iter()
        .map(|i| (i.code, i.name(lang).to_string()))
        .collect();
    let indicator = q
        .indicator
        .as_deref()
        .and_then(|code| CATALOGUE.iter().find(|i| i.code == code))
        .or_else(|| CATALOGUE.iter().find(|i| i.code == "consultations"))
        .unwrap_or(&CATALOGUE[0]);
    if program.is_none() && !all_programs {
        return Ok(DashboardPage {
            c,
            programs,
            program: None,
            all_programs,
            by_program: String::new(),
            from: from.clone(),
            until,
            grain: grain_code,
            indicator,
            indicator_name: indicator.name(lang).to_string(),
            indicators,
            trail: Vec::new(),
            region_name: None,
            region: String::new(),
            headlines: Vec::new(),
            trend: String::new(),
            activity: String::new(),
            composition: Vec::new(),
            kpi_chart: String::new(),
            regions_chart: String::new(),
            institutions_chart: String::new(),
            at_bottom: false,
            scope_choices: Vec::new(),
            within: String::new(),
            scope_label: String::new(),
            scope_query: String::new(),
        });
    }
    let pid = program.as_ref().map(|p| p.id.clone());
    let program_param = pid.clone().unwrap_or_else(|| ALL.to_string());
    // A scope below the program: the chooser's `within=kind:id`, or `?team=` and the like.
    let (mut team, mut scheme, mut pairing, mut institution) = (
        q.team.clone(),
        q.scheme.clone(),
        q.pairing.clone(),
        q.institution.clone(),
    );
    if let Some((kind, id)) = q.within.as_deref().and_then(|w| w.split_once(':')) {
        let id = Some(id.to_string());
        match kind {
            "team" => team = id,
            "scheme" => scheme = id,
            "pairing" => pairing = id,
            "institution" => institution = id,
            _ => {}
        }
    }
    let narrow = match &pid {
        Some(pid) => {
            Narrow::resolve(
                &state.db,
                pid,
                &NarrowParams {
                    team: team.as_deref(),
                    scheme: scheme.as_deref(),
                    pairing: pairing.as_deref(),
                    institution: institution.as_deref(),
                    region: None,
                },
            )
            .await?
        }
        None => Narrow::default(),
    };
    let within = [
        ("team", &narrow.team),
        ("scheme", &narrow.scheme),
        ("pairing", &narrow.pairing),
        ("institution", &narrow.institution),
    ]
    .iter()
    .find_map(|(k, x)| x.as_ref().map(|(id, _)| format!("{k}:{id}")))
    .unwrap_or_default();
    let scope_label = narrow.label();
    let scope_query = narrow.query();
    let mut scope = narrow.scope(pid.as_deref().unwrap_or(""), from_opt, &until);
    scope.program = pid.clone();
    scope.region = region.clone();
    // Indicators with no meaning in the scope are left out; the chart shows one that has.
    let indicators: Vec<(&'static str, String)> = indicators
        .into_iter()
        .filter(|(code, _)| rollups::measured_in(code, &scope))
        .collect();
    let indicator = if rollups::measured_in(indicator.code, &scope) {
        indicator
    } else {
        CATALOGUE
            .iter()
            .find(|i| rollups::measured_in(i.code, &scope))
            .unwrap_or(indicator)
    };
    let mut scope_choices = match &pid {
        Some(pid) => scope_choices(state, pid, lang).await?,
        None => Vec::new(),
    };
    for ch in &mut scope_choices {
        ch.selected = ch.value == within;
    }
    let base = |region: &str, ind: &str| {
        url(&[
            ("program", &program_param),
            ("from", &from),
            ("until", &until),
            ("grain", grain_code),
            ("indicator", ind),
            ("region", region),
            ("within", &within),
        ])
    };

    // Where we are: all regions › province › city › county.
    let lineage: Vec<Region> = match &region {
        Some(code) => regions::lineage(&state.db, code).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let mut trail = vec![(t("ui.dash_all_regions"), base("", indicator.code))];
    for r in &lineage {
        trail.push((r.name.clone(), base(&r.code, indicator.code)));
    }
    let region_name = lineage.last().map(|r| r.name.clone());
    let at_bottom = region
        .as_deref()
        .and_then(|r| RegionCode::parse("region", r).ok())
        .is_some_and(|c| c.prefix().len() >= 6);

    // Headline figures: every indicator of the catalogue, linked to its records at program level
    // (a total's parts by type or kind, and reported workload, only where there are any).
    let totals: HashMap<String, i64> = rollups::totals(&state.db, &scope)
        .await?
        .into_iter()
        .collect();
    let mut headlines: Vec<Headline> = CATALOGUE
        .iter()
        .filter(|i| rollups::measured_in(i.code, &scope))
        .filter(|i| {
            (total_of(i.code).is_none() && !only_when_reported(i.code))
                || totals.get(i.code).is_some_and(|v| *v != 0)
        })
        .map(|i| {
            let value = totals.get(i.code).copied().unwrap_or(0);
            Headline {
                code: i.code,
                name: i.name(lang).to_string(),
                unit: if i.measure == Measure::Money {
                    String::new()
                } else {
                    i.unit(lang).to_string()
                },
                display: if i.measure == Measure::Money {
                    format!("¥{}", display(i.measure, value))
                } else {
                    display(i.measure, value)
                },
                definition: i.definition(lang).to_string(),
                href: pid.as_deref().and_then(|pid| {
                    let within = Within {
                        program: pid,
                        from: from_opt,
                        until: &until,
                        institution: None,
                        region: region.as_deref(),
                    };
                    let url = if narrow.is_empty() {
                        records_url(i.code, &within)
                    } else {
                        Some(scoped_records_url(i.code, &within, &scope_query))
                    };
                    url.map(|u| {
                        let mut title = i.name(lang).to_string();
                        for part in [Some(&scope_label), region_name.as_ref()]
                            .into_iter()
                            .flatten()
                        {
                            if !part.is_empty() {
                                title.push_str(&format!(" · {part}"));
                            }
                        }
                        records_href(&u, &title, (i.measure == Measure::Count).then_some(value))
                    })
                }),
            }
        })
        .collect();
    // The operations' demonstration share (示教手术占比), next to the demonstrations.
    let count = |code: &str| totals.get(code).copied().unwrap_or(0);
    let (ops, shown) = (count("operations"), count("operations-demonstration"));
    if ops > 0
        && shown > 0
        && let Some(at) = headlines
            .iter()
            .position(|h| h.code == "operations-demonstration")
    {
        let permille = (shown * 1000 + ops / 2) / ops;
        let share = Headline {
            code: "operations-demonstration-share",
            name: t("ui.operations_demonstration_share"),
            unit: String::new(),
            display: format!("{}.{}%", permille / 10, permille % 10),
            definition: t("ui.operations_demonstration_share_definition"),
            href: headlines[at].href.clone(),
        };
        headlines.insert(at + 1, share);
    }

    // Trends: the chosen indicator over time, and the main activities side by side.
    let points = |rows: Vec<(String, i64)>| -> Vec<Point> {
        rows.into_iter()
            .map(|(label, value)| Point { label, value })
            .collect()
    };
    let trend = charts::trend(
        &format!("{} · {}", indicator.name(lang), t("ui.dash_trend")),
        &[Series {
            name: indicator.name(lang).to_string(),
            points: points(rollups::series(&state.db, &scope, indicator.code, grain).await?),
        }],
        &t("ui.no_results"),
    );
    let activity_grain = if grain == Grain::Month {
        Grain::Quarter
    } else {
        grain
    };
    let mut lines = Vec::new();
    for code in [
        "consultations",
        "clinic-sessions",
        "referrals-up",
        "teaching-activities",
    ]
    .into_iter()
    .filter(|c| rollups::measured_in(c, &scope))
    {
        let rows = rollups::series(&state.db, &scope, code, activity_grain).await?;
        let name = CATALOGUE
            .iter()
            .find(|i| i.code == code)
            .map_or(code, |i| i.name(lang));
        lines.push(Series {
            name: name.to_string(),
            points: points(rows),
        });
    }
    // Series start at their first value: align them on one set of periods.
    let mut periods: Vec<String> = lines
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.label.clone()))
        .collect();
    periods.sort();
    periods.dedup();
    for s in &mut lines {
        let by: HashMap<String, i64> = s
            .points
            .iter()
            .map(|p| (p.label.clone(), p.value))
            .collect();
        s.points = periods
            .iter()
            .map(|p| Point {
                label: p.clone(),
                value: by.get(p).copied().unwrap_or(0),
            })
            .collect();
    }
    let activity = charts::trend(&t("ui.dash_activity"), &lines, &t("ui.no_results"));

    // Composition.
    let v = |code: &str| totals.get(code).copied().unwrap_or(0);
    let part = |label: String, value: i64| Bar {
        label,
        value,
        href: None,
    };
    // A total's parts by type or kind (`indicators::total_of`).
    let kinds = |total: &str| -> Vec<Bar> {
        CATALOGUE
            .iter()
            .filter(|i| total_of(i.code) == Some(total))
            .map(|i| part(i.name(lang).to_string(), v(i.code)))
            .collect()
    };
    let consultations = kinds("consultations");
    let teaching = kinds("teaching-activities");
    // Dimensions the roll-ups do not keep, counted from the program's small tables.
    let other = t("ui.dash_other");
    let schemes = top_parts(
        shanhai_store::composition::assignments_by_scheme(&state.db, &scope)
            .await?
            .into_iter()
            .map(|(name, n)| {
                let label = if name.is_empty() {
                    t("ui.dash_no_scheme")
                } else {
                    name
                };
                part(label, n)
            })
            .collect(),
        &other,
    );
    let specialties = top_parts(
        shanhai_store::composition::techniques_by_specialty(&state.db, &scope)
            .await?
            .into_iter()
            .map(|(code, n)| {
                let label =
                    shanhai_domain::specialty::find(&code).map_or(code.clone(), |s| match lang {
                        Lang::Zh => s.zh.clone(),
                        Lang::En => s.en.clone(),
                    });
                part(label, n)
            })
            .collect(),
        &other,
    );
    let gaps = vec![
        part(t("ui.dash_gap_province"), v("gaps-filled-province")),
        part(t("ui.dash_gap_city"), v("gaps-filled-city")),
        part(t("ui.dash_gap_county"), v("gaps-filled-county")),
        part(t("ui.dash_gap_hospital"), v("gaps-filled-hospital")),
        part(
            t("ui.dash_gap_none"),
            v("techniques")
                - v("gaps-filled-province")
                - v("gaps-filled-city")
                - v("gaps-filled-county")
                - v("gaps-filled-hospital"),
        ),
    ];
    let referrals = vec![
        part(
            t("ui.dash_up_staying"),
            v("referrals-up") - v("referrals-leaving-region"),
        ),
        part(t("ui.dash_up_leaving"), v("referrals-leaving-region")),
        part(t("ui.dash_down"), v("referrals-down")),
    ];
    let clinics = vec![
        part(
            t("ui.dash_hospital_clinics"),
            v("clinic-sessions") - v("outreach-sessions"),
        ),
        part(t("ui.dash_outreach"), v("outreach-sessions")),
    ];
    let none = t("ui.no_results");
    let composition = vec![
        (
            t("ui.dash_comp_consultations"),
            charts::donut(&t("ui.dash_comp_consultations"), &consultations, &none),
        ),
        (
            t("ui.dash_comp_teaching"),
            charts::donut(&t("ui.dash_comp_teaching"), &teaching, &none),
        ),
        (
            t("ui.dash_comp_schemes"),
            charts::donut(&t("ui.dash_comp_schemes"), &schemes, &none),
        ),
        (
            t("ui.dash_comp_specialties"),
            charts::donut(&t("ui.dash_comp_specialties"), &specialties, &none),
        ),
        (
            t("ui.dash_comp_gaps"),
            charts::donut(&t("ui.dash_comp_gaps"), &gaps, &none),
        ),
        (
            t("ui.dash_comp_referrals"),
            charts::donut(&t("ui.dash_comp_referrals"), &referrals, &none),
        ),
        (
            t("ui.dash_comp_clinics"),
            charts::donut(&t("ui.dash_comp_clinics"), &clinics, &none),
        ),
    ];

    // A team's or a scheme's records have no composition by the program's small tables, nor
    // KPIs (those are an institution's): left out there.
    let per_record = narrow.team.is_some() || narrow.scheme.is_some();
    let composition = if per_record { Vec::new() } else { composition };
    // KPI before/after, within what the viewer may see.
    let reach = AccessFacts::load(&state.db).await?.reach(&viewer.principal);
    let standings = kpis::standings(
        &state.db,
        &StandingsFilter {
            program: pid.clone(),
            until: chrono::NaiveDate::parse_from_str(&until, "%Y-%m-%d").ok(),
            ..Default::default()
        },
        &reach,
    )
    .await?;
    // Within a region, the KPIs of its institutions only: the panel follows the drill-down.
    let standings = match &region {
        Some(code) => {
            let inside: std::collections::HashSet<String> = institutions::list(
                &state.db,
                &institutions::InstitutionFilter {
                    region: Some(code.clone()),
                    ..Default::default()
                },
                all(),
            )
            .await?
            .items
            .into_iter()
            .map(|i| i.id)
            .collect();
            standings
                .into_iter()
                .filter(|s| inside.contains(&s.institution_id))
                .collect()
        }
        None => standings,
    };
    let standings: Vec<_> = match &narrow.institution {
        Some((id, _)) => standings
            .into_iter()
            .filter(|s| &s.institution_id == id)
            .collect(),
        None => standings,
    };
    let kpi_chart = if per_record {
        String::new()
    } else {
        charts::kpi_before_after(
            &t("ui.dash_kpis"),
            &kpi_rows(&standings, lang),
            [
                &t("ui.dash_baseline"),
                &t("ui.dash_latest"),
                &t("ui.dash_target"),
            ],
            &t("ui.dash_no_kpis"),
        )
    };

    // Drill-down: the regions one level down, then the institutions, then their records.
    let unit = indicator.unit(lang);
    let regions_chart = if at_bottom {
        String::new()
    } else {
        let rows = rollups::breakdown(&state.db, &scope, indicator.code, By::ChildRegion).await?;
        let codes: Vec<String> = rows.iter().map(|(c, _)| c.clone()).collect();
        let names = regions::names(&state.db, &codes).await?;
        let bars: Vec<Bar> = rows
            .into_iter()
            .take(30)
            .map(|(code, value)| Bar {
                label: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
                href: Some(base(&code, indicator.code)),
                value,
            })
            .collect();
        charts::bars(&t("ui.dash_by_region"), &bars, unit, &t("ui.no_results"))
    };
    let rows = rollups::breakdown(&state.db, &scope, indicator.code, By::Institution).await?;
    let ids: Vec<String> = rows
        .iter()
        .take(30)
        .map(|(id, _)| id.clone())
        .filter(|id| !id.is_empty())
        .collect();
    let names = institutions::names(&state.db, &ids).await?;
    let bars: Vec<Bar> = rows
        .into_iter()
        .filter(|(id, _)| !id.is_empty())
        .take(30)
        .map(|(id, value)| {
            let name = names.get(&id).cloned().unwrap_or_else(|| id.clone());
            // A program's bar opens the records counted at the institution; in the national
            // view (several programs), the institution itself.
            let href = match pid.as_deref() {
                Some(pid) => {
                    let within = Within {
                        program: pid,
                        from: from_opt,
                        until: &until,
                        institution: Some(&id),
                        region: None,
                    };
                    let url = if narrow.is_empty() {
                        records_url(indicator.code, &within)
                    } else if narrow.institution.is_some() {
                        Some(scoped_records_url(
                            indicator.code,
                            &Within {
                                institution: None,
                                ..within
                            },
                            &scope_query,
                        ))
                    } else {
                        Some(scoped_records_url(
                            indicator.code,
                            &Within {
                                institution: None,
                                ..within
                            },
                            &format!("{scope_query}&institution={id}"),
                        ))
                    };
                    url.map(|u| {
                        records_href(
                            &u,
                            &format!("{} · {}", indicator.name(lang), name),
                            (indicator.measure == Measure::Count).then_some(value),
                        )
                    })
                }
                None => Some(format!("/institutions/{id}")),
            };
            Bar {
                href,
                label: name,
                value,
            }
        })
        .collect();
    let institutions_chart = charts::bars(
        &t("ui.dash_by_institution"),
        &bars,
        unit,
        &t("ui.no_results"),
    );

    // Every program side by side, in the national view.
    let by_program = if all_programs {
        let rows = rollups::breakdown(&state.db, &scope, indicator.code, By::Program).await?;
        let bars: Vec<Bar> = rows
            .into_iter()
            .filter(|(id, _)| !id.is_empty())
            .map(|(id, value)| Bar {
                label: programs
                    .iter()
                    .find(|p| p.id == id)
                    .map_or_else(|| id.clone(), |p| p.name.clone()),
                href: Some(url(&[
                    ("program", &id),
                    ("from", &from),
                    ("until", &until),
                    ("grain", grain_code),
                    ("indicator", indicator.code),
                ])),
                value,
            })
            .collect();
        charts::bars(&t("ui.dash_by_program"), &bars, unit, &t("ui.no_results"))
    } else {
        String::new()
    };

    Ok(DashboardPage {
        c,
        programs,
        program,
        all_programs,
        by_program,
        from,
        until,
        grain: grain_code,
        indicator,
        indicator_name: indicator.name(lang).to_string(),
        indicators,
        trail,
        region_name,
        region: region.unwrap_or_default(),
        headlines,
        trend,
        activity,
        composition,
        kpi_chart,
        regions_chart,
        institutions_chart,
        at_bottom,
        scope_choices,
        within,
        scope_label,
        scope_query,
    })
}

/// The figure listing of a program's indicator over a narrowed scope (`&team=…` in `query`):
/// exactly the records the scoped figure counts.
fn scoped_records_url(code: &str, w: &Within, query: &str) -> String {
    let mut url = format!(
        "/api/v1/programs/{}/indicators/{code}/records?until={}",
        w.program, w.until
    );
    if let Some(f) = w.from {
        url.push_str(&format!("&from={f}"));
    }
    if let Some(r) = w.region {
        url.push_str(&format!("&region={r}"));
    }
    url.push_str(query);
    url
}

/// What the scope chooser offers for a program: its teams, pairings, dispatch schemes and the
/// institutions of its pairings.
async fn scope_choices(
    state: &AppState,
    program: &str,
    lang: Lang,
) -> Result<Vec<ScopeChoice>, ApiError> {
    let t = |k: &str| crate::i18n::t(lang, k);
    let mut out = Vec::new();
    let teams = shanhai_store::teams::list(
        &state.db,
        &shanhai_store::teams::TeamFilter {
            program: Some(program.to_string()),
            ..Default::default()
        },
        &shanhai_domain::access::Reach::All,
        all(),
    )
    .await?
    .items;
    for x in teams {
        out.push(ScopeChoice {
            group: t("ui.scope_team"),
            value: format!("team:{}", x.id),
            label: x.name,
            selected: false,
            opens: false,
            closes: false,
        });
    }
    let pairings = shanhai_store::pairings::list(
        &state.db,
        &shanhai_store::pairings::PairingFilter {
            program: Some(program.to_string()),
            ..Default::default()
        },
        all(),
    )
    .await?
    .items;
    let mut places: Vec<(String, String)> = Vec::new();
    for x in &pairings {
        out.push(ScopeChoice {
            group: t("ui.scope_pairing"),
            value: format!("pairing:{}", x.id),
            label: format!(
                "{} → {}",
                x.donor_name.clone().unwrap_or_default(),
                x.recipient_name.clone().unwrap_or_default()
            ),
            selected: false,
            opens: false,
            closes: false,
        });
        for (id, name) in [
            (&x.donor_id, &x.donor_name),
            (&x.recipient_id, &x.recipient_name),
        ] {
            if !places.iter().any(|(i, _)| i == id) {
                places.push((id.clone(), name.clone().unwrap_or_default()));
            }
        }
    }
    for x in shanhai_store::dispatch::list_schemes(&state.db, Some(program), all())
        .await?
        .items
    {
        out.push(ScopeChoice {
            group: t("ui.scope_scheme"),
            value: format!("scheme:{}", x.id),
            label: x.name,
            selected: false,
            opens: false,
            closes: false,
        });
    }
    for (id, name) in places {
        out.push(ScopeChoice {
            group: t("ui.scope_institution"),
            value: format!("institution:{id}"),
            label: name,
            selected: false,
            opens: false,
            closes: false,
        });
    }
    for i in 0..out.len() {
        out[i].opens = i == 0 || out[i - 1].group != out[i].group;
        out[i].closes = i + 1 == out.len() || out[i + 1].group != out[i].group;
    }
    Ok(out)
}

async fn dashboard_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<DashboardQuery>,
) -> Response {
    match page_data(&state, &viewer, q, here(&uri)).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "dashboard", here(&uri), e),
    }
}

// ---- /records: any API list as a page ----

#[derive(Deserialize, Default)]
struct RecordsQuery {
    src: Option<String>,
    title: Option<String>,
    page: Option<String>,
    /// The count of the figure that links here.
    expect: Option<String>,
}

#[derive(Template)]
#[template(path = "records.html")]
struct RecordsPage {
    c: Chrome,
    title: String,
    total: i64,
    page: i64,
    pages: i64,
    columns: Vec<(String, String)>,
    rows: Vec<(Option<String>, Vec<String>)>,
    prev: Option<String>,
    next: Option<String>,
    csv: String,
    xlsx: String,
    /// Said when the figure counts more records than the viewer may see.
    partial: Option<String>,
    /// Said when the records are about patients: what the de-identified rows leave out.
    deidentified: bool,
}

impl RecordsPage {
    /// The label of the `i`th column (a cell's label on a phone).
    fn label_of(&self, i: &usize) -> &str {
        self.columns.get(*i).map_or("", |(_, label)| label.as_str())
    }
}

const RECORDS_PER_PAGE: i64 = 50;

/// The API router, built once (it carries the OpenAPI document).
fn api() -> &'static Router<AppState> {
    static API: OnceLock<Router<AppState>> = OnceLock::new();
    API.get_or_init(crate::api::router)
}

/// Where a record of an API list has its own page.
fn detail_page(path: &str, id: &str) -> Option<String> {
    let collection = path.strip_prefix("/api/v1/")?;
    let ui = match collection {
        "consultations" | "referrals" | "techniques" | "mentorships" | "alliances"
        | "institutions" | "programs" => collection,
        "clinic-sessions" => "clinics",
        _ => return None,
    };
    Some(format!("/{ui}/{id}"))
}

/// Columns worth showing: short scalar fields (on every row of the page) that some row fills,
/// not ids, hashes, scaled integers or timestamps; at most eight (the link to open a record stays on a desk screen).
fn columns_of(items: &[Value]) -> Vec<String> {
    let Some(first) = items.first().and_then(Value::as_object) else {
        return Vec::new();
    };
    let short = |v: &Value| match v {
        Value::String(s) => s.chars().count() <= 40,
        Value::Number(_) | Value::Bool(_) | Value::Null => true,
        _ => false,
    };
    first
        .keys()
        .filter(|k| {
            !(k.as_str() == "id"
                || k.ends_with("_id")
                || k.ends_with("_hash")
                || k.ends_with("_scaled")
                || k.ends_with("_enc")
                || (k.ends_with("_at") && k.as_str() != "requested_at")
                || k.ends_with("_url")
                || k.ends_with("_ids"))
        })
        .filter(|k| {
            items.iter().all(|i| short(&i[k.as_str()]))
                && items.iter().any(|i| !i[k.as_str()].is_null())
        })
        .cloned()
        .collect::<Vec<String>>()
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            let rank = PREFERRED
                .iter()
                .position(|p| *p == k)
                .unwrap_or(PREFERRED.len() + i);
            (rank, k)
        })
        .collect::<std::collections::BTreeMap<usize, String>>()
        .into_values()
        .take(8)
        .collect()
}

/// Fields that say what a record is, shown first when a list has them.
const PREFERRED: &[&str] = &[
    "number",
    "name",
    "title",
    "subject",
    "person_name",
    "expert_name",
    "mentor_name",
    "patient_name_masked",
    "patient_age",
    "type",
    "kind",
    "direction",
    "urgency",
    "state",
    "status",
    "stage",
    "mode",
    "post",
    "requesting_institution_name",
    "target_institution_name",
    "from_institution_name",
    "to_institution_name",
    "institution_name",
    "department_name",
    "date",
    "start_date",
    "end_date",
    "term_start",
    "introduced_on",
    "held_on",
    "adopted_on",
    "opened_on",
    "founded_on",
    "started_on",
    "granted_on",
    "donated_on",
    "period_start",
    "period_end",
    "requested_at",
    "outpatients",
    "admissions",
    "operations",
    "attendance",
    "booked",
    "capacity",
    "amount_fen",
    "value_fen",
    "gap_level",
    "surgical_grade",
];

/// The code list (an OpenAPI enum schema such as `ConsultationType`) of each field of a list's
/// items, read from the API's own document, so that codes show as labels.
fn code_lists(path: &str) -> HashMap<String, String> {
    static DOC: OnceLock<Value> = OnceLock::new();
    let doc =
        DOC.get_or_init(|| serde_json::to_value(crate::api::openapi()).unwrap_or(Value::Null));
    let schemas = &doc["components"]["schemas"];
    let name_of = |v: &Value| {
        v["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(str::to_string)
    };
    let resolve = |v: &Value| -> Value {
        name_of(v).map_or_else(|| v.clone(), |n| schemas[n.as_str()].clone())
    };
    let ok =
        &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    let page = resolve(ok);
    let item = resolve(if page["properties"]["items"].is_object() {
        &page["properties"]["items"]["items"]
    } else {
        &page["items"]
    });
    let mut out = HashMap::new();
    for (field, prop) in item["properties"].as_object().into_iter().flatten() {
        let refs = std::iter::once(prop).chain(
            ["oneOf", "anyOf", "allOf"]
                .iter()
                .flat_map(|k| prop[*k].as_array().into_iter().flatten()),
        );
        for r in refs {
            if let Some(name) = name_of(r)
                && schemas[name.as_str()]["enum"].is_array()
            {
                out.insert(field.clone(), name);
            }
        }
    }
    out
}

/// A field of an API record as the records page shows it: codes as their labels, instants in
/// the display time zone.
fn shown(c: &Chrome, lists: &HashMap<String, String>, key: &str, v: Option<&Value>) -> String {
    if let Some(Value::String(s)) = v {
        if let Some(label) = lists
            .get(key)
            .and_then(|list| shanhai_domain::codes::label_of(list, s, c.lang))
        {
            return label.to_string();
        }
        if key.ends_with("_at") {
            return c.time(s);
        }
        if key.ends_with("specialty_code")
            && let Some(sp) = shanhai_domain::specialty::find(s)
        {
            return match c.lang {
                Lang::Zh => sp.zh.clone(),
                Lang::En => sp.en.clone(),
            };
        }
    }
    cell(v)
}

fn cell(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) if s.chars().count() > 40 => {
            s.chars().take(39).collect::<String>() + "…"
        }
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => if *b { "✓" } else { "—" }.to_string(),
        _ => String::new(),
    }
}

async fn records_data(
    state: &AppState,
    viewer: &Viewer,
    q: RecordsQuery,
    here_path: String,
) -> Result<RecordsPage, ApiError> {
    let c = Chrome::new(Some(viewer), "dashboard", here_path);
    let src = q.src.clone().unwrap_or_default();
    let (path, query) = src.split_once('?').unwrap_or((src.as_str(), ""));
    if let Some((program, code)) = figure_path(path) {
        return figure_records_data(state, viewer, c, &q, program, code, query).await;
    }
    // Only a collection, `/api/v1/<list>`: every figure's records are one, and a single
    // record (a booking's contact, a consultation's case) would be an audited read of patient
    // data that a link from anywhere could make in the viewer's name.
    let safe = path.strip_prefix("/api/v1/").is_some_and(|list| {
        !list.is_empty()
            && list
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
    }) && !query.split('&').any(|kv| {
        let key = kv.split('=').next().unwrap_or("");
        matches!(key, "page" | "per_page" | "format")
    });
    if !safe {
        return Err(shanhai_domain::Invalid::new("src", "error.records_src").into());
    }
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let sep = if query.is_empty() { "" } else { "&" };
    let uri = format!("{path}?{query}{sep}page={page}&per_page={RECORDS_PER_PAGE}");
    let mut request = Request::get(&uri)
        .body(Body::empty())
        .map_err(|_| shanhai_domain::Invalid::new("src", "error.records_src"))?;
    request
        .extensions_mut()
        .insert(crate::api::export::SessionUser(viewer.user.clone()));
    if let Some(ip) = &viewer.ip
        && let Ok(addr) = format!("{ip}:0").parse::<std::net::SocketAddr>()
    {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
    }
    let response = api()
        .clone()
        .with_state(state.clone())
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await
        .map_err(|_| ApiError::from(shanhai_store::StoreError::Other("records body".into())))?;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status != StatusCode::OK {
        return Err(match status {
            StatusCode::FORBIDDEN => ApiError::forbidden(),
            StatusCode::NOT_FOUND => ApiError::not_found(),
            _ => shanhai_domain::Invalid::new("src", "error.records_src").into(),
        });
    }
    let items: Vec<Value> = body["items"].as_array().cloned().unwrap_or_default();
    let total = body["total"].as_i64().unwrap_or(items.len() as i64);
    let keys = columns_of(&items);
    let columns = keys
        .iter()
        .map(|k| {
            let key = format!("field.{k}");
            let label = c.t(&key);
            (k.clone(), if label == key { k.clone() } else { label })
        })
        .collect();
    let lists = code_lists(path);
    let rows = items
        .iter()
        .map(|item| {
            let link = item["id"].as_str().and_then(|id| detail_page(path, id));
            let cells = keys
                .iter()
                .map(|k| shown(&c, &lists, k, item.get(k)))
                .collect();
            (link, cells)
        })
        .collect();
    let pages = ((total + RECORDS_PER_PAGE - 1) / RECORDS_PER_PAGE).max(1);
    let title = q
        .title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| path.to_string());
    let (partial, link) = records_paging(&c, q.expect.as_deref(), total, &src, &title);
    Ok(RecordsPage {
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        csv: format!(
            "{src}{}format=csv",
            if query.is_empty() { "?" } else { "&" }
        ),
        xlsx: format!(
            "{src}{}format=xlsx",
            if query.is_empty() { "?" } else { "&" }
        ),
        partial,
        deidentified: false,
        c,
        title,
        total,
        page,
        pages,
        columns,
        rows,
    })
}

/// What both records pages say about their paging: the note when fewer records are listed than
/// the figure counts (`expect`), and the link to another page of the same list.
fn records_paging(
    c: &Chrome,
    expect: Option<&str>,
    total: i64,
    src: &str,
    title: &str,
) -> (Option<String>, impl Fn(i64) -> String + use<>) {
    let expect = expect
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0);
    let partial = expect.filter(|n| *n > total).map(|n| {
        c.t("ui.records_partial")
            .replace(
                "{expected}",
                &shanhai_domain::indicators::group_thousands(n),
            )
            .replace(
                "{shown}",
                &shanhai_domain::indicators::group_thousands(total),
            )
    });
    let carried = expect.map(|n| format!("&expect={n}")).unwrap_or_default();
    let (src, title) = (super::urlencode(src), super::urlencode(title));
    let link = move |p: i64| format!("/records?src={src}&title={title}&page={p}{carried}");
    (partial, link)
}

/// The program and indicator of a figure listing's path,
/// `/api/v1/programs/{id}/indicators/{code}/records`.
fn figure_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/api/v1/programs/")?;
    let mut parts = rest.split('/');
    let (program, indicators, code, records) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && indicators == "indicators" && records == "records")
        .then_some((program, code))
}

/// Where a record behind a figure has its own page, for records not about patients (those
/// about patients open de-identified only).
fn figure_detail(code: &str, id: &str) -> Option<String> {
    let ui = match code {
        "techniques" | "techniques-grade-3-4" => "techniques",
        _ if code.starts_with("gaps-filled-") => "techniques",
        "mentorships" => "mentorships",
        "alliances" => "alliances",
        "clinic-sessions" | "outreach-sessions" | "bookings" => "clinics",
        _ if code.starts_with("outreach-") && !code.ends_with("-patients") => "outreach-events",
        _ => return None,
    };
    Some(format!("/{ui}/{id}"))
}

/// The code list an indicator's record kinds and states are labelled from.
fn kind_list(code: &str) -> Option<&'static str> {
    Some(match code {
        _ if code.starts_with("consultations") => "ConsultationType",
        _ if code.starts_with("referrals") => "Direction",
        _ if code.starts_with("teaching-activities") => "TeachingKind",
        _ if code.starts_with("gaps-filled") || code.starts_with("techniques") => "GapLevel",
        "clinic-sessions" | "outreach-sessions" | "bookings" | "patients-seen"
        | "outreach-patients" => "VisitType",
        "outreach-events" | "outreach-people-served" | "outreach-free-clinic-served" => {
            "OutreachKind"
        }
        _ => return None,
    })
}

/// `/records` for a figure listing: the de-identified records behind a program's figure, read
/// through the same service function as the API (and audited the same way), shown with labels.
async fn figure_records_data(
    state: &AppState,
    viewer: &Viewer,
    c: Chrome,
    q: &RecordsQuery,
    program: &str,
    code: &str,
    query: &str,
) -> Result<RecordsPage, ApiError> {
    let program = shanhai_domain::ids::parse_id(program).ok_or_else(ApiError::not_found)?;
    let param = |key: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .filter(|v| !v.trim().is_empty())
    };
    let bad_date = |field: &'static str| shanhai_domain::Invalid::new(field, "error.date_format");
    let from = param("from")
        .map(|f| valid_date(Some(&f)).ok_or_else(|| bad_date("from")))
        .transpose()?;
    let until = match param("until") {
        Some(u) => valid_date(Some(&u)).ok_or_else(|| bad_date("until"))?,
        None => shanhai_store::today().to_string(),
    };
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let fq = shanhai_service::figures::FigureQuery {
        program,
        indicator: code.to_string(),
        from,
        until,
        institution: param("institution"),
        region: param("region"),
        team: param("team"),
        scheme: param("scheme"),
        pairing: param("pairing"),
    };
    let list = shanhai_service::figures::records(
        &state.db,
        &viewer.acting(),
        &fq,
        shanhai_store::PageRequest::new(Some(page), Some(RECORDS_PER_PAGE)),
    )
    .await?;
    let lang = c.lang;
    let label = |list: &str, v: &Option<String>| {
        v.as_deref()
            .map(|v| {
                shanhai_domain::codes::label_of(list, v, lang)
                    .map_or_else(|| v.to_string(), str::to_string)
            })
            .unwrap_or_default()
    };
    let indicator = CATALOGUE.iter().find(|i| i.code == code);
    let measure = indicator.map_or(Measure::Count, |i| i.measure);
    let two_sided = code.starts_with("consultations") || code.starts_with("referrals");
    let consultation = code.starts_with("consultations");
    let kinds = kind_list(code);
    let field = |key: &str| c.t(format!("field.{key}"));
    let mut columns = vec![("date".to_string(), field("date"))];
    if kinds.is_some() {
        let key = match kinds {
            Some("ConsultationType") => "type",
            Some("Direction") => "direction",
            Some("VisitType") => "visit_type",
            Some("GapLevel") => "gap_level",
            _ => "kind",
        };
        columns.push(("kind".into(), field(key)));
    }
    if two_sided {
        let (a, b) = if consultation {
            ("requesting_institution_name", "target_institution_name")
        } else {
            ("from_institution_name", "to_institution_name")
        };
        columns.push(("from".into(), field(a)));
        columns.push(("to".into(), field(b)));
        columns.push(("urgency".into(), field("urgency")));
        columns.push(("state".into(), field("state")));
        columns.push(("turnaround".into(), field("turnaround_hours")));
    } else {
        columns.push(("institution".into(), field("institution_name")));
        if measure != Measure::Count {
            let unit = indicator.map(|i| i.unit(lang)).unwrap_or_default();
            columns.push(("value".into(), format!("{} ({unit})", field("value"))));
        }
    }
    let (state_list, urgency_list) = if consultation {
        ("ConsultationState", "Urgency")
    } else {
        ("ReferralState", "Urgency")
    };
    let rows = list
        .items
        .iter()
        .map(|r| {
            let mut cells = vec![r.date.clone()];
            if let Some(list) = kinds {
                cells.push(label(list, &r.kind));
            }
            if two_sided {
                cells.push(r.from_institution_name.clone().unwrap_or_default());
                cells.push(r.to_institution_name.clone().unwrap_or_default());
                cells.push(label(urgency_list, &r.urgency));
                cells.push(label(state_list, &r.state));
                cells.push(
                    r.turnaround_hours
                        .map(|h| format!("{h:.1}"))
                        .unwrap_or_else(|| "—".into()),
                );
            } else {
                cells.push(r.institution_name.clone().unwrap_or_default());
                if measure != Measure::Count {
                    cells.push(display(measure, r.value));
                }
            }
            (figure_detail(code, &r.id), cells)
        })
        .collect();
    let total = list.total;
    let pages = ((total + RECORDS_PER_PAGE - 1) / RECORDS_PER_PAGE).max(1);
    let src = q.src.clone().unwrap_or_default();
    let title = q
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| indicator.map(|i| i.name(lang).to_string()))
        .unwrap_or_default();
    let (partial, link) = records_paging(&c, q.expect.as_deref(), total, &src, &title);
    Ok(RecordsPage {
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        csv: format!("{src}&format=csv"),
        xlsx: format!("{src}&format=xlsx"),
        partial,
        deidentified: shanhai_domain::indicators::about_patients(code),
        c,
        title,
        total,
        page: list.page,
        pages,
        columns,
        rows,
    })
}

async fn records_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    headers: axum::http::HeaderMap,
    Query(q): Query<RecordsQuery>,
) -> Response {
    if super::cross_site(&headers) {
        return error_page(&viewer, "dashboard", here(&uri), ApiError::forbidden());
    }
    match records_data(&state, &viewer, q, here(&uri)).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "dashboard", here(&uri), e),
    }
}
