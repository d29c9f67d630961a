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
use shanhai_domain::kpis::KpiStanding;
use shanhai_domain::{Invalid, Lang};
use shanhai_store::Db;
use shanhai_store::kpis::{self, StandingsFilter};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(program_briefing),
    components(schemas(Briefing, BriefingParagraph, BriefingFigure, BriefingProgram))
)]
pub struct BriefingApi;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/programs/{id}/briefing", get(program_briefing))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct BriefingQuery {
    /// Count records from this date on (`YYYY-MM-DD`, inclusive: an annual or half-year
    /// briefing); default since the beginning.
    pub from: Option<String>,
    /// Count records up to and including this date (`YYYY-MM-DD`); default today.
    pub until: Option<String>,
    /// `json` (default), `html` (a printable page) or `docx`.
    pub format: Option<String>,
    /// Narrow to one institution of the program (its id): the records the roll-ups attribute to
    /// it, and its KPIs.
    pub institution: Option<String>,
    /// Narrow to a team (its members' records while members, and its visits).
    pub team: Option<String>,
    /// Narrow to a dispatch scheme (the records reached through its batches).
    pub scheme: Option<String>,
    /// Narrow to a pairing.
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
    pub id: String,
    pub name: String,
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
    /// `count`, `sum`, `money` or `kpi`.
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
    pub from: Option<String>,
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
    if code.starts_with("consultations") || code.starts_with("referrals") {
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
    "workload-rescues",
    "workload-mdt",
    "team-visits",
    "outreach-sessions",
    "outreach-patients",
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
fn trim_decimals(s: &str) -> String {
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
            figures: self.figures,
            parts: self.parts,
        })
    }
}

fn kpi_url(s: &KpiStanding, program: &str, until: &str) -> String {
    format!(
        "/api/v1/kpi-series?definition={}&institution={}&program={program}&until={until}",
        s.definition, s.institution_id
    )
}

fn kpi_figure(s: &KpiStanding, name: &str, value: i64, shown: &str, url: &str) -> BriefingFigure {
    BriefingFigure {
        code: s.definition.clone(),
        name: name.to_string(),
        value,
        display: format!("{}{}", trim_decimals(shown), s.unit),
        records_url: url.to_string(),
        measure: "kpi".into(),
        counted: false,
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
    // institution's).
    let with_kpis = narrow.team.is_none() && narrow.scheme.is_none() && narrow.pairing.is_none();
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
        for v in quoted {
            let (before, after) = sentence(lang, v);
            p.separator();
            if paragraphs.is_empty() && p.sentences == 1 {
                p.text(&date_clause);
            }
            p.text(&before);
            p.figure(indicator_figure(lang, v));
            p.text(&after);
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
    // One standing per institution and KPI: the period type with the most approved periods.
    let mut chosen: Vec<&KpiStanding> = Vec::new();
    for s in &standings {
        match chosen
            .iter_mut()
            .find(|c| c.institution_id == s.institution_id && c.definition == s.definition)
        {
            Some(c) if s.periods > c.periods => *c = s,
            Some(_) => {}
            None => chosen.push(s),
        }
    }
    let mut p = ParagraphBuilder::new(lang, t(lang, "ui.briefing.theme.kpis"));
    let mut last_institution = String::new();
    for s in chosen {
        let name = match lang {
            Lang::Zh => &s.name_zh,
            Lang::En => &s.name_en,
        };
        // The institution is named when it changes.
        let who = if s.institution_id == last_institution {
            String::new()
        } else {
            last_institution = s.institution_id.clone();
            t(lang, "ui.briefing.kpi_who").replace(
                "{institution}",
                s.institution_name.as_deref().unwrap_or_default(),
            )
        };
        let url = kpi_url(s, &program.id, &until_s);
        let latest = kpi_figure(s, name, s.latest_value_scaled, &s.latest_value, &url);
        let from = s
            .baseline_scaled
            .zip(s.baseline.clone())
            .unwrap_or((s.first_value_scaled, s.first_value.clone()));
        p.separator();
        if from.0 == s.latest_value_scaled {
            let (a, b) = split_n(
                &t(lang, "ui.briefing.kpi_level")
                    .replace("{who}", &who)
                    .replace("{name}", name),
            );
            p.text(&a);
            p.figure(latest);
            p.text(&b);
        } else {
            let key = if s.latest_value_scaled > from.0 {
                "ui.briefing.kpi_rise"
            } else {
                "ui.briefing.kpi_fall"
            };
            let template = t(lang, key).replace("{who}", &who).replace("{name}", name);
            let (a, rest) = template.split_once("{from}").unwrap_or((&template, ""));
            let (mid, end) = rest.split_once("{to}").unwrap_or((rest, ""));
            p.text(a);
            p.figure(kpi_figure(s, name, from.0, &from.1, &url));
            p.text(mid);
            p.figure(latest);
            p.text(end);
        }
    }
    paragraphs.extend(p.finish());

    if paragraphs.is_empty() {
        let mut p = ParagraphBuilder::new(lang, t(lang, "ui.briefing.theme.dispatch"));
        p.separator();
        p.text(&date_clause);
        p.text(&t(lang, "ui.briefing.nothing_yet"));
        paragraphs.extend(p.finish());
    }
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
    params(("id" = String, Path), BriefingQuery),
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
