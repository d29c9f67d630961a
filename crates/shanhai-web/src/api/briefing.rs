//! A program's briefing (成果简报) for a date: paragraphs in the style of the seed articles
//! ("截至2025年4月30日，累计派出专家526名……"), grouped by theme, where every number is a figure
//! with its indicator code, value, display text and the API list of the records it counts
//! (`records_url`, whose `total` equals `value` for counted figures). The reported KPIs close it
//! (before → after, from approved reports only). No patient details: anyone signed in may read it.
//!
//! Served as JSON (default), a printable standalone HTML page (every number a link) and DOCX
//! (editable in Word/WPS; 宋体/黑体 named as the East Asian fonts; every number a hyperlink).

use super::{ApiQuery, IdPath};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::i18n::t;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shanhai_domain::access::Reach;
use shanhai_domain::indicators::{IndicatorValue, Measure, group_thousands, total_of, yuan};
use shanhai_domain::kpis::{KpiChange, KpiStanding, Period as KpiPeriod, PeriodType};
use shanhai_domain::{Invalid, Lang};
use shanhai_store::Db;
use shanhai_store::kpis::{self, StandingsFilter};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(program_briefing, briefing_preferences, set_briefing_preference),
    components(schemas(
        Briefing,
        BriefingParagraph,
        BriefingFigure,
        BriefingProgram,
        shanhai_domain::briefing::BriefingPreference,
        shanhai_domain::briefing::BriefingPreferenceInput,
        shanhai_domain::briefing::Wording
    ))
)]
pub struct BriefingApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/programs/{id}/briefing", get(program_briefing))
        .route(
            "/api/v1/programs/{id}/briefing-preferences",
            get(briefing_preferences).put(set_briefing_preference),
        )
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct BriefingQuery {
    /// Count records from this date on (`YYYY-MM-DD`, inclusive: an annual or half-year
    /// briefing); default since the beginning.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Count records up to and including this date (`YYYY-MM-DD`); default today.
    #[param(format = Date)]
    pub until: Option<String>,
    /// `json` (default), `html` (a printable page) or `docx`.
    #[param(schema_with = briefing_formats)]
    pub format: Option<String>,
    /// Narrow to one institution of the program (its id): the records the roll-ups attribute to
    /// it, and its KPIs.
    #[param(format = Uuid)]
    pub institution: Option<String>,
    /// Narrow to a team (its members' records while members, and its visits).
    #[param(format = Uuid)]
    pub team: Option<String>,
    /// Narrow to a dispatch scheme (the records reached through its batches).
    #[param(format = Uuid)]
    pub scheme: Option<String>,
    /// Narrow to a pairing.
    #[param(format = Uuid)]
    pub pairing: Option<String>,
    /// Narrow to a region (GB/T 2260) and below.
    pub region: Option<String>,
}

impl BriefingQuery {
    /// The scope parameters, as the figures read them.
    pub fn narrow_params(&self) -> super::indicators::NarrowParams<'_> {
        super::indicators::NarrowParams {
            team: self.team.as_deref(),
            scheme: self.scheme.as_deref(),
            pairing: self.pairing.as_deref(),
            institution: self.institution.as_deref(),
            region: self.region.as_deref(),
        }
    }
}

/// The program a briefing is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BriefingProgram {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
}

/// What a figure's value measures.
fn measure_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    shanhai_domain::codes::code_schema(&[
        ("count", "Count"),
        ("sum", "Sum"),
        ("money", "Money (fen)"),
        ("money-item", "One funding item or donation (fen)"),
        ("kpi", "A reported KPI's level"),
        ("kpi-change", "A reported KPI's change"),
        ("share", "Share of another figure (tenths of a percent)"),
    ])
}

/// `?format=` of the briefing.
fn briefing_formats() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    shanhai_domain::codes::code_schema(&[
        ("json", "JSON (default)"),
        ("html", "A printable page"),
        ("docx", "A Word document"),
    ])
}

/// One number of the briefing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BriefingFigure {
    /// The indicator's code (`experts-dispatched`…) or, for a reported KPI, its definition code.
    pub code: String,
    /// The indicator's (or KPI's) name.
    pub name: String,
    /// Counts and sums as counted; money in fen; a KPI as its scaled integer.
    pub value: i64,
    /// The number as the text shows it, e.g. `526`, `8,300万元`, `92%`.
    pub display: String,
    /// The API list of the records behind the number (its `total` equals `value` when
    /// `counted`).
    pub records_url: String,
    /// `count`, `sum`, `money`, `money-item` (one funding item or donation), `kpi` (a reported
    /// KPI's level), `kpi-change` (its change: a difference or a relative change in
    /// hundredths of a percent) or `share` (tenths of a percent of another figure).
    #[schema(schema_with = measure_schema)]
    pub measure: String,
    /// Whether `value` is the `total` of `records_url`.
    pub counted: bool,
}

/// A paragraph: its text, and the figures it quotes in order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BriefingParagraph {
    pub heading: String,
    pub text: String,
    pub figures: Vec<BriefingFigure>,
    /// The text cut at the figures, for the HTML and DOCX renderings.
    #[serde(skip)]
    parts: Vec<Part>,
    /// Per figure, the exact number when the text rounds it (the link's title).
    #[serde(skip)]
    exact: Vec<Option<String>>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    /// An index into the paragraph's figures.
    Figure(usize),
}

/// A program's briefing up to a date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Briefing {
    pub program: BriefingProgram,
    /// The institution the briefing narrows to (`?institution=`), if any.
    pub institution: Option<BriefingProgram>,
    /// The scope the briefing narrows to (a team, a scheme, a pairing, an institution, a
    /// region; their names joined), if any.
    pub scope: Option<String>,
    /// The period's first day, when the briefing covers a period (`?from=`).
    #[schema(format = Date)]
    pub from: Option<String>,
    #[schema(format = Date)]
    pub until: String,
    pub title: String,
    pub paragraphs: Vec<BriefingParagraph>,
    /// Every figure of every paragraph, in reading order.
    pub figures: Vec<BriefingFigure>,
    /// The scope's query parameters, for the page's links and date form.
    #[serde(skip)]
    pub scope_params: Vec<(String, String)>,
}

/// The themes, in reading order.
const THEMES: &[&str] = &["dispatch", "remote", "talent", "technique", "resources"];

/// Which theme an indicator's sentence belongs to (new indicators find theirs by their code).
fn theme_of(code: &str) -> &'static str {
    const TALENT: &[&str] = &[
        "placements",
        "mentorships",
        "team-pairings",
        "teaching-activities",
        "teaching-attendance",
    ];
    const TECHNIQUE: &[&str] = &[
        "techniques",
        "workstations",
        "alliances",
        "specialty-projects",
        "regulations",
        "research-outputs",
    ];
    // Training and management (issue 18, helper "training").
    match code {
        "training-cohort-members"
        | "lecture-series"
        | "lecture-series-sessions"
        | "lecture-series-attendance"
        | "cme-learners"
        | "teaching-attendance-training" => return "talent",
        "departments-restructured" | "accreditations-achieved" => return "technique",
        "patients-returned" => return "remote",
        _ => {}
    }
    if code.starts_with("operations") {
        // The operations log (手术) reads next to the workload, in the dispatch paragraph.
        "dispatch"
    } else if code.starts_with("consultations") || code.starts_with("referrals") {
        "remote"
    } else if TALENT.contains(&code) || code.contains("apprentice") || code.contains("teaching") {
        "talent"
    } else if TECHNIQUE.contains(&code)
        || code.contains("gap")
        || code.contains("grade")
        || code.contains("technique")
    {
        "technique"
    } else if code == "funding" || code.contains("equipment") {
        "resources"
    } else {
        "dispatch"
    }
}

/// Indicators with a sentence of their own in the catalogues (`ui.briefing.phrase.<code>`), in
/// the order a paragraph quotes them; others read "name number unit" and come last.
const PHRASED: &[&str] = &[
    "batches",
    "experts-dispatched",
    "assignments",
    "work-days",
    "clinic-sessions",
    "bookings",
    "patients-seen",
    "workload-outpatients",
    "workload-admissions",
    "workload-operations",
    // ---- operations (手术), issue 18 ----
    "operations",
    "operations-grade-4",
    "operations-grade-3",
    "operations-grade-2",
    "operations-grade-1",
    "operations-operated",
    "operations-guided",
    "operations-demonstration",
    "operations-remote-guidance",
    "operations-minimally-invasive",
    "workload-rescues",
    "workload-mdt",
    "team-visits",
    "outreach-sessions",
    "outreach-patients",
    // ---- outreach events ----
    "outreach-events",
    "outreach-free-clinic-served",
    "outreach-people-served",
    "outreach-screenings",
    "outreach-referrals",
    "consultations",
    "referrals-up",
    "referrals-leaving-region",
    "referrals-down",
    "placements",
    "mentorships",
    "apprentices",
    "team-pairings",
    "teaching-activities",
    "teaching-attendance",
    // ---- training and management (issue 18, helper "training") ----
    "teaching-attendance-training",
    "training-cohort-members",
    "lecture-series",
    "lecture-series-sessions",
    "lecture-series-attendance",
    "cme-learners",
    // ---- end training ----
    "techniques",
    "techniques-grade-3-4",
    "gaps-filled-hospital",
    "gaps-filled-county",
    "gaps-filled-city",
    "gaps-filled-province",
    "workstations",
    "alliances",
    "specialty-projects",
    "regulations",
    "research-outputs",
    "departments-restructured",
    "accreditations-achieved",
    "patients-returned",
    "funding",
    "equipment-value",
];

/// `2025-04-30` as `2025年4月30日` or `30 April 2025`.
pub fn long_date(lang: Lang, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    match lang {
        Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Lang::En => date.format("%-d %B %Y").to_string(),
    }
}

/// Fen as the briefing writes money: `8,300万元` (zh, from ten thousand yuan) or
/// `CNY 83,000,000.00`.
fn money(lang: Lang, fen: i64) -> String {
    match lang {
        Lang::Zh if fen.unsigned_abs() >= 1_000_000 => {
            // In 万元 with up to four decimals, trailing zeros dropped.
            let wan = fen / 1_000_000;
            let rest = (fen % 1_000_000).unsigned_abs();
            let mut decimals = format!("{rest:06}");
            while decimals.ends_with('0') {
                decimals.pop();
            }
            decimals.truncate(4);
            let dot = if decimals.is_empty() { "" } else { "." };
            format!("{}{dot}{decimals}万元", group_thousands(wan))
        }
        Lang::Zh => format!("{}元", yuan(fen)),
        Lang::En => format!("CNY {}", yuan(fen)),
    }
}

/// `92.00` as `92`, `8.90` as `8.9`, `104220` as `104,220`.
pub fn trim_decimals(s: &str) -> String {
    let trimmed = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    };
    let (int, frac) = trimmed.split_once('.').unwrap_or((trimmed, ""));
    let grouped = int
        .parse::<i64>()
        .map(group_thousands)
        .unwrap_or_else(|_| int.to_string());
    let grouped = if int.starts_with('-') && !grouped.starts_with('-') {
        format!("-{grouped}")
    } else {
        grouped
    };
    if frac.is_empty() {
        grouped
    } else {
        format!("{grouped}.{frac}")
    }
}

fn indicator_figure(lang: Lang, v: &IndicatorValue) -> BriefingFigure {
    let (measure, display) = match v.measure {
        Measure::Count => ("count", v.display.clone()),
        Measure::Sum => ("sum", v.display.clone()),
        Measure::Money => ("money", money(lang, v.value)),
    };
    BriefingFigure {
        code: v.code.clone(),
        name: v.name.clone(),
        value: v.value,
        display,
        records_url: v.records_url.clone(),
        measure: measure.into(),
        counted: v.measure == Measure::Count,
    }
}

/// A part of an indicator's figure (one training scheme's members, one lecture series'
/// sessions or attendance), with the list of exactly its records.
fn named_figure(
    v: &IndicatorValue,
    value: i64,
    records_url: String,
    measure: &str,
) -> BriefingFigure {
    BriefingFigure {
        code: v.code.clone(),
        name: v.name.clone(),
        value,
        display: group_thousands(value),
        records_url,
        measure: measure.into(),
        counted: measure == "count",
    }
}

/// A sentence template cut at `{n}` (and `{name}`, `{unit}` for unphrased indicators).
fn sentence(lang: Lang, v: &IndicatorValue) -> (String, String) {
    let template = if PHRASED.contains(&v.code.as_str()) {
        crate::i18n::t_count(
            lang,
            &format!("ui.briefing.phrase.{}", v.code),
            v.value as f64,
        )
    } else {
        t(lang, "ui.briefing.phrase_generic")
    };
    let unit = if v.measure == Measure::Money {
        String::new()
    } else {
        v.unit.clone()
    };
    let filled = template.replace("{name}", &v.name).replace("{unit}", &unit);
    match filled.split_once("{n}") {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (filled, String::new()),
    }
}

struct ParagraphBuilder {
    lang: Lang,
    heading: String,
    parts: Vec<Part>,
    figures: Vec<BriefingFigure>,
    sentences: usize,
}

impl ParagraphBuilder {
    fn new(lang: Lang, heading: String) -> Self {
        ParagraphBuilder {
            lang,
            heading,
            parts: Vec::new(),
            figures: Vec::new(),
            sentences: 0,
        }
    }

    fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        match self.parts.last_mut() {
            Some(Part::Text(t)) => t.push_str(s),
            _ => self.parts.push(Part::Text(s.to_string())),
        }
    }

    fn separator(&mut self) {
        if self.sentences > 0 {
            let sep = t(self.lang, "ui.briefing.separator");
            self.text(&sep);
        }
        self.sentences += 1;
    }

    fn figure(&mut self, f: BriefingFigure) {
        self.parts.push(Part::Figure(self.figures.len()));
        self.figures.push(f);
    }

    fn finish(mut self) -> Option<BriefingParagraph> {
        if self.sentences == 0 {
            return None;
        }
        let end = t(self.lang, "ui.briefing.full_stop");
        self.text(&end);
        let text = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(s) => s.clone(),
                Part::Figure(i) => self.figures[*i].display.clone(),
            })
            .collect();
        Some(BriefingParagraph {
            heading: self.heading,
            text,
            exact: vec![None; self.figures.len()],
            figures: self.figures,
            parts: self.parts,
        })
    }
}

/// The share of the operations that were teaching demonstrations (示教), in tenths of a
/// percent (`575` reads `57.5%`), as a figure linking to the demonstrations; none without
/// operations or demonstrations.
pub fn demonstration_share(lang: Lang, values: &[IndicatorValue]) -> Option<BriefingFigure> {
    let value = |code: &str| values.iter().find(|v| v.code == code);
    let all = value("operations")?;
    let shown = value("operations-demonstration")?;
    if all.value <= 0 || shown.value <= 0 {
        return None;
    }
    let permille = (shown.value * 1000 + all.value / 2) / all.value;
    Some(BriefingFigure {
        code: "operations-demonstration-share".into(),
        name: t(lang, "ui.operations_demonstration_share"),
        value: permille,
        display: format!("{}.{}%", permille / 10, permille % 10),
        records_url: shown.records_url.clone(),
        measure: "share".into(),
        counted: false,
    })
}

fn kpi_url(s: &KpiStanding, program: &str, until: &str) -> String {
    format!(
        "/api/v1/kpi-series?definition={}&institution={}&program={program}&until={until}",
        s.definition, s.institution_id
    )
}

// ---- reported KPIs: level, change between consecutive periods, baseline → latest ----

/// Which standing of one institution's KPI the briefing states: a year over a quarter over a
/// month once it has two approved periods, then the most periods.
fn standing_rank(s: &KpiStanding) -> (bool, usize, i64) {
    let kind = PeriodType::ALL
        .iter()
        .position(|k| *k == s.period_type)
        .unwrap_or(0);
    (s.periods >= 2, kind, s.periods)
}

/// A KPI's scaled value as the text shows it, with its unit: `8.61天`, `92%`, `1,685,126人次`
/// (zh); `8.61 days`, `92%` (en).
fn kpi_shown(s: &KpiStanding, lang: Lang, scaled: i64) -> String {
    let number = trim_decimals(&shanhai_domain::kpis::format_scaled(scaled, s.scale));
    let unit = 10f64.powi(s.scale as i32);
    let unit = shanhai_domain::words::unit_after(&s.unit, scaled as f64 / unit, lang);
    format!("{number}{unit}")
}

fn kpi_figure(s: &KpiStanding, name: &str, lang: Lang, scaled: i64, url: &str) -> BriefingFigure {
    BriefingFigure {
        code: s.definition.clone(),
        name: name.to_string(),
        value: scaled,
        display: kpi_shown(s, lang, scaled),
        records_url: url.to_string(),
        measure: "kpi".into(),
        counted: false,
    }
}

/// The reports a change is computed from: the KPI's series between the two periods.
fn change_url(s: &KpiStanding, program: &str, c: &KpiChange) -> String {
    let from = if c.from_period.is_empty() {
        String::new()
    } else {
        format!("&from={}", c.from_period)
    };
    format!(
        "/api/v1/kpi-series?definition={}&institution={}&program={program}{from}&until={}",
        s.definition, s.institution_id, c.to_period
    )
}

/// The change's two figures: the difference (a rate's in percentage points) and the relative
/// change, as magnitudes — the words say which way.
fn change_figures(
    s: &KpiStanding,
    name: &str,
    lang: Lang,
    c: &KpiChange,
    url: &str,
) -> (BriefingFigure, Option<BriefingFigure>) {
    let figure = |value: i64, display: String| BriefingFigure {
        code: s.definition.clone(),
        name: name.to_string(),
        value,
        display,
        records_url: url.to_string(),
        measure: "kpi-change".into(),
        counted: false,
    };
    let delta = if s.unit == "%" {
        let points = trim_decimals(&shanhai_domain::kpis::format_scaled(
            c.delta_scaled.abs(),
            s.scale,
        ));
        t(lang, "ui.briefing.kpi_points").replace("{n}", &points)
    } else {
        kpi_shown(s, lang, c.delta_scaled.abs())
    };
    let relative = c.relative_bp.map(|r| {
        let shown = trim_decimals(&shanhai_domain::kpis::format_scaled(r.abs(), 2));
        figure(r, format!("{shown}%"))
    });
    (figure(c.delta_scaled, delta), relative)
}

/// Appends a change in the articles' words: a count by its relative change ("增长6.11%（增加
/// 321例）"), a rate by its points ("提升了5.12个百分点（相对提升29.82%）"), any other value by
/// its difference ("减少0.31天（下降3.48%）").
fn change_words(p: &mut ParagraphBuilder, s: &KpiStanding, name: &str, c: &KpiChange, url: &str) {
    let lang = p.lang;
    let up = c.delta_scaled > 0;
    let (delta, relative) = change_figures(s, name, lang, c, url);
    let kind = match (s.unit.as_str(), s.scale) {
        ("%", _) => "rate",
        (_, 0) => "count",
        _ => "value",
    };
    let way = if up { "up" } else { "down" };
    let key = |part: &str| format!("ui.briefing.kpi_change.{kind}.{way}{part}");
    let (first, second) = match (kind, relative) {
        ("count", Some(r)) => (r, Some(delta)),
        (_, r) => (delta, r),
    };
    let (a, b) = split_n(&t(lang, &key("")));
    p.text(&a);
    p.figure(first);
    p.text(&b);
    if let Some(second) = second {
        let (a, b) = split_n(&t(lang, &key("_also")));
        p.text(&a);
        p.figure(second);
        p.text(&b);
    }
}

/// One KPI's sentence: its latest level with the change from the period before ("2025年平均住院
/// 日为8.61天，同比减少0.31天"), or from its first figure or baseline ("由2020年的17.17%提升至
/// 2023年的22.29%，提升了5.12个百分点"), or the level alone ("四级手术占比达26.63%").
fn kpi_sentence(p: &mut ParagraphBuilder, s: &KpiStanding, who: &str, program: &str, until: &str) {
    let lang = p.lang;
    let name = match lang {
        Lang::Zh => s.name_zh.as_str(),
        Lang::En => s.name_en.as_str(),
    };
    let label = |key: &str| {
        KpiPeriod::parse("period", key)
            .map(|k| k.label(lang))
            .unwrap_or_default()
    };
    let fill = |key: &str| {
        t(lang, key)
            .replace("{who}", who)
            .replace("{name}", name)
            .replace("{period}", &label(&s.latest_period))
    };
    let level = kpi_figure(
        s,
        name,
        lang,
        s.latest_value_scaled,
        &kpi_url(s, program, until),
    );
    p.separator();
    if let Some(c) = &s.previous {
        let (a, b) = split_n(&fill("ui.briefing.kpi_latest"));
        p.text(&a);
        p.figure(level);
        p.text(&b);
        let key = match s.period_type {
            PeriodType::Year => "ui.briefing.kpi_year_on_year",
            _ => "ui.briefing.kpi_period_on_period",
        };
        p.text(&t(lang, key).replace("{unit}", s.period_type.label(lang)));
        change_words(p, s, name, c, &change_url(s, program, c));
        return;
    }
    let Some(c) = s.since_first.as_ref().filter(|c| c.delta_scaled != 0) else {
        let (a, b) = split_n(&fill("ui.briefing.kpi_level"));
        p.text(&a);
        p.figure(level);
        p.text(&b);
        return;
    };
    let url = change_url(s, program, c);
    let way = if c.delta_scaled > 0 { "rise" } else { "fall" };
    let dated = if c.from_period.is_empty() {
        ""
    } else {
        "_dated"
    };
    let template = fill(&format!("ui.briefing.kpi_{way}{dated}"))
        .replace("{from_period}", &label(&c.from_period));
    let (a, rest) = template.split_once("{from}").unwrap_or((&template, ""));
    let (mid, end) = rest.split_once("{to}").unwrap_or((rest, ""));
    p.text(a);
    p.figure(kpi_figure(s, name, lang, c.from_scaled, &url));
    p.text(mid);
    p.figure(level);
    p.text(end);
    p.text(&t(lang, "ui.briefing.kpi_change_joiner"));
    change_words(p, s, name, c, &url);
}

/// The reported KPIs' paragraph, institution by institution (named when it changes).
fn kpi_paragraph(
    lang: Lang,
    chosen: &[&KpiStanding],
    program: &str,
    until: &str,
) -> Option<BriefingParagraph> {
    let mut p = ParagraphBuilder::new(lang, t(lang, "ui.briefing.theme.kpis"));
    let mut last_institution = "";
    for s in chosen {
        let who = if s.institution_id == last_institution {
            String::new()
        } else {
            last_institution = &s.institution_id;
            t(lang, "ui.briefing.kpi_who").replace(
                "{institution}",
                s.institution_name.as_deref().unwrap_or_default(),
            )
        };
        kpi_sentence(&mut p, s, &who, program, until);
    }
    p.finish()
}

// ---- money by item: the significant funding items and donations before their totals ----

/// One funding item or donation as the resources paragraph names it.
struct MoneyItem {
    fen: i64,
    recipient: String,
    /// What it is for (funding) or what was given (equipment, with its quantity).
    purpose: String,
    quantity: i64,
    records_url: String,
}

/// The program's significant funding items and equipment donations
/// ([`shanhai_domain::briefing::significant_items`]), largest first.
#[derive(Default)]
struct MoneyItems {
    funding: Vec<MoneyItem>,
    equipment: Vec<MoneyItem>,
}

/// Every record of a capacity collection the filter selects, read a page at a time.
async fn every<C: shanhai_store::capacity::Collection>(
    db: &Db,
    filter: &shanhai_store::capacity::CapacityFilter,
) -> shanhai_store::Result<Vec<C::Record>> {
    const PAGE: i64 = 200;
    let mut out = Vec::new();
    for page in 1.. {
        let batch = shanhai_store::capacity::list::<C>(
            db,
            filter,
            &Reach::All,
            shanhai_store::PageRequest::new(Some(page), Some(PAGE)),
        )
        .await?;
        let n = batch.items.len();
        out.extend(batch.items);
        if i64::try_from(n).unwrap_or(0) < PAGE {
            break;
        }
    }
    Ok(out)
}

impl MoneyItems {
    async fn read(
        db: &Db,
        program: &str,
        institution: Option<&str>,
        from: Option<&str>,
        until: &str,
    ) -> shanhai_store::Result<MoneyItems> {
        use shanhai_store::capacity::{CapacityFilter, EquipmentDonations, FundingItems};
        let filter = CapacityFilter {
            program: Some(program.to_string()),
            institution: institution.map(str::to_string),
            from: from.map(str::to_string),
            until: Some(until.to_string()),
            ..Default::default()
        };
        // The item's own record: its list narrowed to its recipient, day and words.
        let url = |list: &str, institution: &str, on: &str, words: &str| {
            let q: String = form_urlencoded::byte_serialize(words.as_bytes()).collect();
            format!(
                "/api/v1/{list}?program={program}&institution={institution}&from={on}&until={on}&q={q}"
            )
        };
        let funding = every::<FundingItems>(db, &filter)
            .await?
            .into_iter()
            .map(|f| MoneyItem {
                fen: f.amount_fen,
                records_url: url(
                    "funding-items",
                    &f.institution_id,
                    &f.granted_on,
                    &f.purpose,
                ),
                recipient: f.institution_name.unwrap_or_default(),
                purpose: f.purpose,
                quantity: 1,
            })
            .collect();
        let equipment = every::<EquipmentDonations>(db, &filter)
            .await?
            .into_iter()
            .map(|e| MoneyItem {
                fen: e.value_fen,
                records_url: url(
                    "equipment-donations",
                    &e.institution_id,
                    &e.donated_on,
                    &e.item,
                ),
                recipient: e.institution_name.unwrap_or_default(),
                purpose: e.item,
                quantity: e.quantity,
            })
            .collect();
        let mut out = MoneyItems { funding, equipment };
        for list in [&mut out.funding, &mut out.equipment] {
            let amounts: Vec<i64> = list.iter().map(|i| i.fen).collect();
            let keep = shanhai_domain::briefing::significant_items(&amounts);
            let mut all: Vec<Option<MoneyItem>> =
                std::mem::take(list).into_iter().map(Some).collect();
            *list = keep.into_iter().filter_map(|i| all[i].take()).collect();
        }
        Ok(out)
    }

    /// The items listed before an indicator's total: `funding` or `equipment-value`.
    fn of(&self, code: &str) -> (&'static str, &[MoneyItem]) {
        match code {
            "funding" => ("funding", &self.funding),
            "equipment-value" => ("equipment", &self.equipment),
            _ => ("", &[]),
        }
    }
}

/// Names the items (`…投入1,200万元，用于…；投入2,200万元用于…`), each amount a figure whose
/// records are the item; whether any was named.
fn money_items(p: &mut ParagraphBuilder, lang: Lang, (kind, items): (&str, &[MoneyItem])) -> bool {
    for (i, item) in items.iter().enumerate() {
        if i == 0 {
            p.separator();
        } else {
            p.text(&t(lang, "ui.briefing.money_items_joiner"));
        }
        // The recipient is named unless the purpose already does ("新建盐津县人民医院科研综合楼").
        let named = !item.recipient.is_empty() && !item.purpose.contains(&item.recipient);
        let quantity = if item.quantity > 1 { "_quantity" } else { "" };
        let key = format!(
            "ui.briefing.money_item.{kind}{}{quantity}",
            if named { "" } else { "_unnamed" }
        );
        let (a, b) = split_n(
            &t(lang, &key)
                .replace("{recipient}", &item.recipient)
                .replace("{purpose}", &item.purpose)
                .replace("{quantity}", &item.quantity.to_string()),
        );
        p.text(&a);
        p.figure(BriefingFigure {
            code: format!("{kind}-item"),
            name: item.purpose.clone(),
            value: item.fen,
            display: money(lang, item.fen),
            records_url: item.records_url.clone(),
            measure: "money-item".into(),
            counted: false,
        });
        p.text(&b);
    }
    !items.is_empty()
}

// ---- the rounding step: the press's words where the program office chose them ----

/// A figure of the briefing the program office may state either way (the briefing page's
/// wording section): its exact words and the press's.
#[derive(Debug, Clone)]
pub struct WordingChoice {
    pub code: String,
    pub name: String,
    pub exact: String,
    pub rounded: String,
    pub rounded_chosen: bool,
}

/// The briefing's figures that read differently in the press's words, once each, in reading
/// order.
pub fn wording_choices(
    b: &Briefing,
    wording: &[shanhai_domain::briefing::BriefingPreference],
    lang: Lang,
) -> Vec<WordingChoice> {
    use shanhai_domain::briefing::Wording;
    let mut out: Vec<WordingChoice> = Vec::new();
    for p in &b.paragraphs {
        for (i, f) in p.figures.iter().enumerate() {
            if out.iter().any(|c| c.code == f.code) {
                continue;
            }
            let exact = p
                .exact
                .get(i)
                .cloned()
                .flatten()
                .unwrap_or(f.display.clone());
            let as_exact = BriefingFigure {
                display: exact.clone(),
                ..f.clone()
            };
            let Some(rounded) = rounded_display(&as_exact, lang).filter(|r| *r != exact) else {
                continue;
            };
            out.push(WordingChoice {
                code: f.code.clone(),
                name: f.name.clone(),
                exact,
                rounded,
                rounded_chosen: wording
                    .iter()
                    .any(|w| w.code == f.code && w.wording == Wording::Rounded),
            });
        }
    }
    out
}

/// The figure in the press's rounding words, or none when it is stated exactly: counts, sums
/// and money, and a reported KPI counted in whole units (`门急诊人次`).
fn rounded_display(f: &BriefingFigure, lang: Lang) -> Option<String> {
    use shanhai_domain::briefing::{press_count, press_money};
    match f.measure.as_str() {
        "count" | "sum" => Some(press_count(lang, f.value)),
        "money" => press_money(lang, f.value),
        "kpi" => {
            let exact = shanhai_domain::indicators::group_thousands(f.value);
            let unit = f.display.strip_prefix(&exact)?;
            // Only a whole count shows the grouped value itself (a rate shows `92%` for 9200).
            (!unit.starts_with(['.', '%'])).then(|| format!("{}{unit}", press_count(lang, f.value)))
        }
        _ => None,
    }
}

/// Rewords the figures the program chose to round (their `value` stays exact; the HTML link's
/// title gives the exact number) and rebuilds each paragraph's text.
fn reword(
    paragraphs: &mut [BriefingParagraph],
    wording: &[shanhai_domain::briefing::BriefingPreference],
    lang: Lang,
) {
    use shanhai_domain::briefing::Wording;
    let rounded = |code: &str| {
        wording
            .iter()
            .any(|w| w.code == code && w.wording == Wording::Rounded)
    };
    for p in paragraphs.iter_mut() {
        let mut changed = false;
        for (i, f) in p.figures.iter_mut().enumerate() {
            if !rounded(&f.code) {
                continue;
            }
            if let Some(words) = rounded_display(f, lang).filter(|w| *w != f.display) {
                p.exact[i] = Some(std::mem::replace(&mut f.display, words));
                changed = true;
            }
        }
        if changed {
            p.text = p
                .parts
                .iter()
                .map(|part| match part {
                    Part::Text(s) => s.clone(),
                    Part::Figure(i) => p.figures[*i].display.clone(),
                })
                .collect();
        }
    }
}

/// The program's indicators at one institution (from the roll-ups, as the dashboards read
/// them), each with the list narrowed to it; indicators no list narrows that way (distinct
/// people) are left out.
async fn institution_values(
    db: &Db,
    program: &str,
    institution: &str,
    from: Option<&str>,
    until: &str,
) -> shanhai_store::Result<Vec<IndicatorValue>> {
    use super::indicators::{display, records_url};
    let lang = crate::i18n::current();
    let scope = shanhai_store::rollups::Scope {
        program: Some(program.to_string()),
        institution: Some(institution.to_string()),
        from: from.map(str::to_string),
        until: until.to_string(),
        ..Default::default()
    };
    let totals: std::collections::HashMap<String, i64> = shanhai_store::rollups::totals(db, &scope)
        .await?
        .into_iter()
        .collect();
    Ok(shanhai_domain::indicators::CATALOGUE
        .iter()
        .filter_map(|i| {
            let url = records_url(
                i.code,
                &super::indicators::Within {
                    program,
                    from,
                    until,
                    institution: Some(institution),
                    region: None,
                },
            )?;
            let value = totals.get(i.code).copied().unwrap_or(0);
            Some(IndicatorValue {
                code: i.code.to_string(),
                name: i.name(lang).to_string(),
                value,
                unit: i.unit(lang).to_string(),
                measure: i.measure,
                display: display(i.measure, value),
                definition: i.definition(lang).to_string(),
                records_url: url,
            })
        })
        .collect())
}

/// Builds the briefing from the program's indicator values over `[from, until]` (no `from`:
/// since the beginning) and KPI standings up to `until`.
pub async fn build(
    db: &Db,
    program: &shanhai_domain::registry::Program,
    narrow: &super::indicators::Narrow,
    from: Option<chrono::NaiveDate>,
    until: chrono::NaiveDate,
) -> shanhai_store::Result<Briefing> {
    let lang = crate::i18n::current();
    let until_s = until.to_string();
    let from_s = from.map(|f| f.to_string());
    let institution = narrow.institution.clone();
    let values = if narrow.is_empty() {
        super::indicators::program_values(db, &program.id, from_s.as_deref(), &until_s).await?
    } else if narrow.only_institution()
        && let Some((i, _)) = &institution
    {
        institution_values(db, &program.id, i, from_s.as_deref(), &until_s).await?
    } else {
        super::indicators::scoped_values(db, &program.id, narrow, from_s.as_deref(), &until_s)
            .await?
    };
    // A team's, a scheme's or a pairing's briefing has no KPIs of its own (those are an
    // institution's), nor money items (money goes to an institution under a program).
    let with_kpis = narrow.team.is_none() && narrow.scheme.is_none() && narrow.pairing.is_none();
    let items = if with_kpis {
        MoneyItems::read(
            db,
            &program.id,
            institution.as_ref().map(|(id, _)| id.as_str()),
            from_s.as_deref(),
            &until_s,
        )
        .await?
    } else {
        MoneyItems::default()
    };
    let mut paragraphs = Vec::new();
    let date_clause = match from {
        Some(f) => t(lang, "ui.briefing.between")
            .replace("{from}", &long_date(lang, f))
            .replace("{to}", &long_date(lang, until)),
        None => t(lang, "ui.briefing.as_of").replace("{date}", &long_date(lang, until)),
    };
    for theme in THEMES {
        let mut p = ParagraphBuilder::new(lang, t(lang, &format!("ui.briefing.theme.{theme}")));
        let mut quoted: Vec<&IndicatorValue> = values
            .iter()
            .filter(|v| theme_of(&v.code) == *theme && v.value != 0 && total_of(&v.code).is_none())
            .collect();
        quoted.sort_by_key(|v| {
            PHRASED
                .iter()
                .position(|c| *c == v.code)
                .unwrap_or(PHRASED.len())
        });
        // A lecture series' sessions and attendance are told with the series that has them.
        let by_series = quoted.iter().any(|v| v.code == "lecture-series");
        quoted.retain(|v| {
            !(by_series
                && matches!(
                    v.code.as_str(),
                    "lecture-series-sessions" | "lecture-series-attendance"
                ))
        });
        for v in quoted {
            let inst = institution.as_ref().map(|(id, _)| id.as_str());
            if v.code == "training-cohort-members" {
                let named = super::capacity::training::schemes_named(
                    db,
                    &program.id,
                    inst,
                    from_s.as_deref(),
                    &until_s,
                )
                .await?;
                if !named.is_empty() {
                    p.separator();
                    if paragraphs.is_empty() && p.sentences == 1 {
                        p.text(&date_clause);
                    }
                    for (i, s) in named.into_iter().enumerate() {
                        if i > 0 {
                            p.text(&t(lang, "ui.briefing.breakdown_joiner"));
                        }
                        let (a, b) = split_n(
                            &crate::i18n::t_count(
                                lang,
                                "ui.briefing.scheme_members",
                                s.count as f64,
                            )
                            .replace("{name}", &s.name),
                        );
                        p.text(&a);
                        p.figure(named_figure(v, s.count, s.records_url, "count"));
                        p.text(&b);
                    }
                    continue;
                }
            }
            let (before, after) = sentence(lang, v);
            let listed = money_items(&mut p, lang, items.of(&v.code));
            p.separator();
            if paragraphs.is_empty() && p.sentences == 1 {
                p.text(&date_clause);
            }
            if listed {
                p.text(&t(lang, "ui.briefing.money_items_total"));
            }
            p.text(&before);
            p.figure(indicator_figure(lang, v));
            p.text(&after);
            if v.code == "lecture-series" {
                let named = super::capacity::training::series_named(
                    db,
                    &program.id,
                    inst,
                    from_s.as_deref(),
                    &until_s,
                )
                .await?;
                let sessions = values.iter().find(|c| c.code == "lecture-series-sessions");
                let attended = values
                    .iter()
                    .find(|c| c.code == "lecture-series-attendance");
                if let (false, Some(sessions), Some(attended)) =
                    (named.is_empty(), sessions, attended)
                {
                    p.text(&t(lang, "ui.briefing.list_open"));
                    for (i, s) in named.into_iter().enumerate() {
                        if i > 0 {
                            p.text(&t(lang, "ui.briefing.series_joiner"));
                        }
                        let template = crate::i18n::t_count(
                            lang,
                            "ui.briefing.series_sessions",
                            s.count as f64,
                        )
                        .replace("{name}", &s.name);
                        let (a, b) = split_n(&template);
                        p.text(&a);
                        let url = s.records_url.clone();
                        p.figure(named_figure(sessions, s.count, url.clone(), "count"));
                        p.text(&b);
                        if s.attendance > 0 {
                            let (a, b) = split_n(&crate::i18n::t_count(
                                lang,
                                "ui.briefing.series_attendance",
                                s.attendance as f64,
                            ));
                            p.text(&a);
                            p.figure(named_figure(attended, s.attendance, url, "sum"));
                            p.text(&b);
                        }
                    }
                    p.text(&t(lang, "ui.briefing.list_close"));
                }
                continue;
            }
            if v.code == "accreditations-achieved" {
                let names = super::capacity::training::achieved_named(
                    db,
                    &program.id,
                    inst,
                    from_s.as_deref(),
                    &until_s,
                )
                .await?;
                if !names.is_empty() {
                    p.text(&t(lang, "ui.briefing.list_open"));
                    p.text(&names.join(&t(lang, "ui.briefing.list_joiner")));
                    p.text(&t(lang, "ui.briefing.list_close"));
                }
                continue;
            }
            if v.code == "operations"
                && let Some(share) = demonstration_share(lang, &values)
            {
                let (a, b) = split_n(&t(lang, "ui.briefing.operations_demonstration_share"));
                p.text(&a);
                p.figure(share);
                p.text(&b);
            }
            let parts: Vec<&IndicatorValue> = values
                .iter()
                .filter(|c| c.value != 0 && total_of(&c.code) == Some(v.code.as_str()))
                .collect();
            if !parts.is_empty() {
                p.text(&t(lang, "ui.briefing.breakdown_open"));
                for (i, c) in parts.into_iter().enumerate() {
                    if i > 0 {
                        p.text(&t(lang, "ui.briefing.breakdown_joiner"));
                    }
                    let (a, b) = split_n(
                        &t(lang, "ui.briefing.breakdown_item")
                            .replace("{name}", &c.name)
                            .replace("{unit}", &c.unit),
                    );
                    p.text(&a);
                    p.figure(indicator_figure(lang, c));
                    p.text(&b);
                }
                p.text(&t(lang, "ui.briefing.breakdown_close"));
            }
        }
        paragraphs.extend(p.finish());
    }

    let standings = if with_kpis {
        kpis::standings(
            db,
            &StandingsFilter {
                program: Some(program.id.clone()),
                institution: institution.as_ref().map(|(i, _)| i.clone()),
                until: Some(until),
                ..Default::default()
            },
            &Reach::All,
        )
        .await?
    } else {
        Vec::new()
    };
    // One standing per institution and KPI: a year over a quarter over a month when it has
    // two approved periods or more, else the period type with the most approved periods.
    let mut chosen: Vec<&KpiStanding> = Vec::new();
    for s in &standings {
        match chosen
            .iter_mut()
            .find(|c| c.institution_id == s.institution_id && c.definition == s.definition)
        {
            Some(c) if standing_rank(s) > standing_rank(c) => *c = s,
            Some(_) => {}
            None => chosen.push(s),
        }
    }
    paragraphs.extend(kpi_paragraph(lang, &chosen, &program.id, &until_s));

    if paragraphs.is_empty() {
        let mut p = ParagraphBuilder::new(lang, t(lang, "ui.briefing.theme.dispatch"));
        p.separator();
        p.text(&date_clause);
        p.text(&t(lang, "ui.briefing.nothing_yet"));
        paragraphs.extend(p.finish());
    }
    let wording = shanhai_store::briefing::list(db, &program.id).await?;
    reword(&mut paragraphs, &wording, lang);
    let figures = paragraphs
        .iter()
        .flat_map(|p| p.figures.iter().cloned())
        .collect();
    Ok(Briefing {
        program: BriefingProgram {
            id: program.id.clone(),
            name: program.name.clone(),
        },
        institution: institution.as_ref().map(|(id, name)| BriefingProgram {
            id: id.clone(),
            name: name.clone(),
        }),
        scope: (!narrow.is_empty()).then(|| narrow.label()),
        scope_params: narrow.pairs(),
        from: from_s,
        until: until_s,
        title: if narrow.is_empty() {
            t(lang, "ui.briefing.title").replace("{program}", &program.name)
        } else if narrow.only_institution() {
            t(lang, "ui.briefing.title_institution")
                .replace("{program}", &program.name)
                .replace("{institution}", &narrow.label())
        } else {
            t(lang, "ui.briefing.title_scope")
                .replace("{program}", &program.name)
                .replace("{scope}", &narrow.label())
        },
        paragraphs,
        figures,
    })
}

fn split_n(s: &str) -> (String, String) {
    match s.split_once("{n}") {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (s.to_string(), String::new()),
    }
}

fn escape(s: &str) -> String {
    crate::charts::esc(s)
}

/// The UI page listing a figure's records (`/records`, which shows any API list under the
/// session): what HTML and DOCX link to, since a browser has no API token.
pub fn records_page(f: &BriefingFigure) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let expect = if f.counted {
        format!("&expect={}", f.value)
    } else {
        String::new()
    };
    format!(
        "/records?src={}&title={}{expect}",
        enc(&f.records_url),
        enc(&f.name)
    )
}

/// "Figures as of 30 April 2025", or over a period "Figures from 1 January to 30 June 2025".
fn dateline(b: &Briefing, lang: Lang) -> String {
    let long = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(|d| long_date(lang, d))
            .unwrap_or_else(|_| s.to_string())
    };
    match &b.from {
        Some(f) => t(lang, "ui.briefing.dateline_between")
            .replace("{from}", &long(f))
            .replace("{to}", &long(&b.until)),
        None => t(lang, "ui.briefing.dateline").replace("{date}", &long(&b.until)),
    }
}

/// The briefing's body as HTML (title, date line, headed paragraphs; every number a link to
/// `link(figure)`), for the standalone page and the page inside the UI.
pub fn article_html(b: &Briefing, lang: Lang, link: &dyn Fn(&BriefingFigure) -> String) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "<article class=\"briefing\" lang=\"{}\">\n<h1>{}</h1>\n<p class=\"briefing-date\">{}</p>\n",
        lang.code(),
        escape(&b.title),
        escape(&dateline(b, lang))
    ));
    for p in &b.paragraphs {
        out.push_str(&format!("<h2>{}</h2>\n<p>", escape(&p.heading)));
        for part in &p.parts {
            match part {
                Part::Text(s) => out.push_str(&escape(s)),
                Part::Figure(i) => {
                    let f = &p.figures[*i];
                    if let Some(Some(exact)) = p.exact.get(*i) {
                        out.push_str(&format!(
                            "<a class=\"figure rounded\" title=\"{}\" href=\"{}\" data-records-url=\"{}\" data-code=\"{}\" data-value=\"{}\">{}</a>",
                            escape(&t(lang, "ui.briefing.exact_title").replace("{n}", exact)),
                            escape(&link(f)),
                            escape(&f.records_url),
                            escape(&f.code),
                            f.value,
                            escape(&f.display)
                        ));
                        continue;
                    }
                    out.push_str(&format!(
                        "<a class=\"figure\" href=\"{}\" data-records-url=\"{}\" data-code=\"{}\" data-value=\"{}\">{}</a>",
                        escape(&link(f)),
                        escape(&f.records_url),
                        escape(&f.code),
                        f.value,
                        escape(&f.display)
                    ));
                }
            }
        }
        out.push_str("</p>\n");
    }
    out.push_str(&format!(
        "<p class=\"briefing-note\">{}</p>\n</article>\n",
        escape(&t(lang, "ui.briefing.note"))
    ));
    out
}

/// The print stylesheet shared by the standalone page and the UI page.
pub const BRIEFING_CSS: &str = r#"
.briefing { font-family: "Noto Serif CJK SC", "Source Han Serif SC", SimSun, serif; line-height: 1.9; max-width: 44em; margin: 0 auto; color: #111; }
.briefing h1 { font-family: "Noto Sans CJK SC", "Source Han Sans SC", SimHei, sans-serif; font-size: 1.7em; text-align: center; margin: 0.6em 0 0.2em; }
.briefing h2 { font-family: "Noto Sans CJK SC", "Source Han Sans SC", SimHei, sans-serif; font-size: 1.15em; margin: 1.2em 0 0.3em; }
.briefing p { text-indent: 2em; margin: 0.3em 0; }
.briefing .briefing-date, .briefing .briefing-note { text-indent: 0; text-align: center; color: #555; }
.briefing .briefing-note { font-size: 0.85em; margin-top: 2em; }
.briefing a.figure { color: #0b4f9c; text-decoration: none; border-bottom: 1px dotted #0b4f9c; font-weight: 600; }
@page { size: A4; margin: 25mm 22mm; }
@media print {
  .briefing { max-width: none; font-size: 12pt; }
  .briefing a.figure { color: #000; border-bottom: none; }
  .no-print { display: none !important; }
}
"#;

/// A printable standalone page: numbers link to their records page under `base`.
pub fn standalone_html(b: &Briefing, lang: Lang, base: &str) -> String {
    let link = |f: &BriefingFigure| format!("{base}{}", records_page(f));
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{BRIEFING_CSS}\nbody {{ margin: 2em 1em; background: #fff; }}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        lang.code(),
        escape(&b.title),
        article_html(b, lang, &link)
    )
}

/// The briefing as a DOCX document: 宋体 body, 黑体 headings (Times New Roman for Latin
/// text), A4, every number a hyperlink to its records page under `base`.
pub fn docx(b: &Briefing, lang: Lang, base: &str) -> Result<Vec<u8>, String> {
    use docx_rs::{
        AlignmentType, Docx, Hyperlink, HyperlinkType, LineSpacing, PageMargin, Paragraph, Run,
        RunFonts, SpecialIndentType,
    };
    let body_font = || {
        RunFonts::new()
            .ascii("Times New Roman")
            .hi_ansi("Times New Roman")
            .cs("Times New Roman")
            .east_asia("宋体")
    };
    let heading_font = || {
        RunFonts::new()
            .ascii("Times New Roman")
            .hi_ansi("Times New Roman")
            .cs("Times New Roman")
            .east_asia("黑体")
    };
    // Sizes in half-points: 二号 22pt title, 三号 16pt headings, 四号 14pt body, 小四 12pt notes.
    let run = |text: &str, size: usize| Run::new().add_text(text).size(size).fonts(body_font());
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(1440)
                .bottom(1440)
                .left(1800)
                .right(1800),
        )
        .default_fonts(body_font())
        .default_size(28);
    doc = doc.add_paragraph(
        Paragraph::new().align(AlignmentType::Center).add_run(
            Run::new()
                .add_text(&b.title)
                .size(44)
                .bold()
                .fonts(heading_font()),
        ),
    );
    let dateline = dateline(b, lang);
    doc = doc.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(run(&dateline, 24)),
    );
    for p in &b.paragraphs {
        doc = doc.add_paragraph(
            Paragraph::new()
                .line_spacing(LineSpacing::new().before(240).after(60))
                .add_run(
                    Run::new()
                        .add_text(&p.heading)
                        .size(32)
                        .fonts(heading_font()),
                ),
        );
        let mut para = Paragraph::new()
            .indent(None, Some(SpecialIndentType::FirstLine(560)), None, None)
            .line_spacing(LineSpacing::new().line(440));
        for part in &p.parts {
            para = match part {
                Part::Text(s) => para.add_run(run(s, 28)),
                Part::Figure(i) => {
                    let f = &p.figures[*i];
                    para.add_hyperlink(
                        Hyperlink::new(
                            format!("{base}{}", records_page(f)),
                            HyperlinkType::External,
                        )
                        .add_run(run(&f.display, 28).color("0B4F9C").underline("single")),
                    )
                }
            };
        }
        doc = doc.add_paragraph(para);
    }
    doc = doc.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(run(&t(lang, "ui.briefing.note"), 21).color("555555")),
    );
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// `http://host` of the request, for absolute links in documents leaving the browser.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// The formats a briefing comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
    Docx,
}

/// A briefing's period: its first day (none: since the beginning) and its last.
pub type Period = (Option<chrono::NaiveDate>, chrono::NaiveDate);

/// Reads `from` (default none), `until` (default today) and `format` (default JSON); 422
/// naming the field otherwise (every problem at once).
pub fn parse_query(q: &BriefingQuery) -> Result<(Period, Format), ApiError> {
    let date =
        |field: &'static str, v: Option<&str>| -> Result<Option<chrono::NaiveDate>, Invalid> {
            match v.map(str::trim).filter(|u| !u.is_empty()) {
                Some(u) => chrono::NaiveDate::parse_from_str(u, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| Invalid::new(field, "error.date_format")),
                None => Ok(None),
            }
        };
    let (from, until) = (
        date("from", q.from.as_deref()),
        date("until", q.until.as_deref()),
    );
    let (from, until) = match (from, until) {
        (Ok(f), Ok(u)) => (f, u.unwrap_or_else(shanhai_store::today)),
        (Err(a), Err(b)) => {
            let mut problems = shanhai_domain::Problems::new();
            problems.push(a);
            problems.push(b);
            return Err(problems.into());
        }
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    if from.is_some_and(|f| f > until) {
        return Err(Invalid::new("until", "error.end_before_start").into());
    }
    let format = match q.format.as_deref().map(str::trim).unwrap_or("") {
        "" | "json" => Format::Json,
        "html" => Format::Html,
        "docx" => Format::Docx,
        _ => return Err(Invalid::new("format", "error.unknown_code").into()),
    };
    Ok(((from, until), format))
}

/// The institution named by `?institution=`: 422 naming the field when it is not one.
pub async fn institution_of(
    db: &Db,
    q: &BriefingQuery,
) -> Result<Option<shanhai_domain::registry::Institution>, ApiError> {
    let Some(raw) = q
        .institution
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    let unknown = || ApiError::from(Invalid::new("institution", "error.unknown_institution"));
    let id = shanhai_domain::ids::parse_id(raw).ok_or_else(unknown)?;
    match shanhai_store::institutions::get(db, &id).await {
        Ok(i) => Ok(Some(i)),
        Err(shanhai_store::StoreError::NotFound) => Err(unknown()),
        Err(e) => Err(e.into()),
    }
}

/// The briefing's file name without extension: `沪滇协作成果简报-2025-04-30`.
fn file_stem(b: &Briefing) -> String {
    let clean: String = b
        .title
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '/' | '\\' | '"' | ':' | '*' | '?' | '<' | '>' | '|')
        })
        .collect();
    match &b.from {
        Some(f) => format!("{clean}-{f}-{}", b.until),
        None => format!("{clean}-{}", b.until),
    }
}

/// `attachment; filename="briefing-….docx"; filename*=UTF-8''…` (RFC 6266 / 5987).
fn attachment(b: &Briefing, ext: &str) -> HeaderValue {
    let name = format!("{}.{ext}", file_stem(b));
    let encoded: String = name
        .bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"briefing-{}.{ext}\"; filename*=UTF-8''{encoded}",
        b.until
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub const DOCX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The briefing in `format`: the response the API and the UI page send.
pub fn render(
    b: &Briefing,
    format: Format,
    lang: Lang,
    headers: &HeaderMap,
    download_json: bool,
) -> Result<Response, ApiError> {
    let base = base_url(headers);
    Ok(match format {
        Format::Json if download_json => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::CONTENT_DISPOSITION, attachment(b, "json")),
            ],
            Json(b),
        )
            .into_response(),
        Format::Json => Json(b).into_response(),
        Format::Html => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            standalone_html(b, lang, &base),
        )
            .into_response(),
        Format::Docx => {
            let bytes = docx(b, lang, &base).map_err(|e| {
                ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "error.internal",
                )
                .with_detail(e)
            })?;
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(DOCX_TYPE)),
                    (header::CONTENT_DISPOSITION, attachment(b, "docx")),
                ],
                bytes,
            )
                .into_response()
        }
    })
}

/// The program's briefing (成果简报) up to `until` (default today, Asia/Shanghai): paragraphs
/// by theme in the style of the seed articles, every number a figure with its indicator code,
/// value, display text and `records_url` (an API list whose `total` equals the value for counted
/// figures), closing with the reported KPIs before → after. `format=json` (default), `html`
/// (a printable page, every number a link) or `docx` (every number a hyperlink). Chinese, or
/// English when the request asks for it. No patient details; anyone signed in may read it.
#[utoipa::path(get, path = "/api/v1/programs/{id}/briefing", tag = "indicators", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), BriefingQuery),
    responses(
        (status = 200, body = Briefing, description = "JSON; with format=html a text/html page, with format=docx an attachment"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn program_briefing(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<BriefingQuery>,
) -> ApiResult<Response> {
    let ((from, until), format) = parse_query(&q)?;
    let program = shanhai_store::programs::get(&state.db, &id).await?;
    let narrow =
        super::indicators::Narrow::resolve(&state.db, &program.id, &q.narrow_params()).await?;
    let b = build(&state.db, &program, &narrow, from, until).await?;
    render(&b, format, crate::i18n::current(), &headers, false)
}

/// How the program's briefing states its figures: the figures whose wording was chosen (`exact`
/// or `rounded`, the press's words such as "5500余", "近200", "10.5万"); any other figure is
/// stated exactly.
#[utoipa::path(get, path = "/api/v1/programs/{id}/briefing-preferences", tag = "indicators", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = [shanhai_domain::briefing::BriefingPreference]),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn briefing_preferences(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<shanhai_domain::briefing::BriefingPreference>>> {
    Ok(Json(
        shanhai_service::briefing::preferences(&state.db, &caller.acting(), &id).await?,
    ))
}

/// Sets how the program's briefing states one figure (an indicator's or a reported KPI's
/// code): `exact` (the default) or `rounded`. The program's office and the platform admin;
/// audited. The figure keeps its exact `value`.
#[utoipa::path(put, path = "/api/v1/programs/{id}/briefing-preferences", tag = "indicators", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), request_body = shanhai_domain::briefing::BriefingPreferenceInput,
    responses((status = 200, body = shanhai_domain::briefing::BriefingPreference),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_briefing_preference(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: super::JsonBody,
) -> ApiResult<Json<shanhai_domain::briefing::BriefingPreference>> {
    let input = body.parse::<shanhai_domain::briefing::BriefingPreferenceInput>()?;
    Ok(Json(
        shanhai_service::briefing::set_wording(&state.db, &caller.acting(), &id, &input).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_articles_write_it() {
        assert_eq!(money(Lang::Zh, 8_300_000_000), "8,300万元");
        assert_eq!(money(Lang::Zh, 8_326_400_000), "8,326.4万元");
        assert_eq!(money(Lang::Zh, 82_000_000), "82万元");
        assert_eq!(money(Lang::Zh, 123_456), "1,234.56元");
        assert_eq!(money(Lang::En, 8_300_000_000), "CNY 83,000,000.00");
        assert_eq!(trim_decimals("92.00"), "92");
        assert_eq!(trim_decimals("8.90"), "8.9");
        assert_eq!(trim_decimals("-0.31"), "-0.31");
        assert_eq!(trim_decimals("104220"), "104,220");
        assert_eq!(trim_decimals("1685000.00"), "1,685,000");
    }

    #[test]
    fn every_indicator_has_a_theme_and_phrased_ones_a_sentence() {
        for i in shanhai_domain::indicators::CATALOGUE {
            assert!(THEMES.contains(&theme_of(i.code)));
        }
        for code in PHRASED {
            for lang in [Lang::Zh, Lang::En] {
                let s = t(lang, &format!("ui.briefing.phrase.{code}"));
                assert!(s.contains("{n}"), "{code}: {s}");
            }
        }
    }
}
