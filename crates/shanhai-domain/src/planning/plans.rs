//! Plans: a solve's proposals, explanations and acceptance.
//!
//! A plan is started for a program (optionally one scheme) and a horizon; the solver runs in the
//! background and writes its progress, then its proposals (plan items) and, for each need it does
//! not fully cover, why and what would cover it. A coordinator pins, moves, swaps, removes or adds
//! items (each change re-solves around the pinned ones) and accepts: the plan becomes a batch and
//! its assignments.
//!
//! The explanations are stored structured; [`PlanDetail::word`] puts them into sentences in the
//! reader's language (names, never ids), with the message catalogue the caller passes.

use crate::codes::Title;
use crate::dispatch::{AssignmentMode, Post};
use crate::validate::{self, optional_reference, reference};
use crate::{Invalid, Lang, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    /// Where a plan is in its life.
    PlanStatus {
        Queued => "queued", "排队中", "Queued";
        Running => "running", "求解中", "Solving";
        Done => "done", "已完成", "Done";
        Failed => "failed", "求解失败", "Failed";
        Accepted => "accepted", "已采纳", "Accepted";
    }
}

/// The default and the range of a solve's time limit, in seconds.
pub const DEFAULT_TIME_LIMIT: i64 = 10;
pub const TIME_LIMIT_RANGE: (i64, i64) = (1, 120);
/// The longest horizon a plan may span, in days (three years).
pub const LONGEST_HORIZON_DAYS: i64 = 3 * 366;

/// Starts a plan: the program's open needs (one scheme's, when given) overlapping the horizon.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlanInput {
    #[schema(format = Uuid)]
    pub program_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub scheme_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[schema(format = Date)]
    pub horizon_start: String,
    #[schema(format = Date)]
    pub horizon_end: String,
    /// Seconds the solver may search (1–120, default 10).
    #[serde(default)]
    pub time_limit_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub program_id: String,
    pub scheme_id: Option<String>,
    pub name: Option<String>,
    pub horizon_start: NaiveDate,
    pub horizon_end: NaiveDate,
    pub time_limit_seconds: i64,
}

/// A horizon: both dates, the end not before the start, at most [`LONGEST_HORIZON_DAYS`].
fn horizon(
    problems: &mut Problems,
    start_field: &str,
    start: &str,
    end_field: &str,
    end: &str,
) -> Option<(NaiveDate, NaiveDate)> {
    let s = problems.take(validate::date(start_field, start));
    let e = problems.take(validate::date(end_field, end));
    let (s, e) = (s?, e?);
    if e < s {
        problems.push(Invalid::new(end_field, "error.end_before_start"));
        return None;
    }
    if (e - s).num_days() + 1 > LONGEST_HORIZON_DAYS {
        problems.push(
            Invalid::new(end_field, "error.plan_horizon_too_long").with(&[LONGEST_HORIZON_DAYS]),
        );
        return None;
    }
    Some((s, e))
}

impl PlanInput {
    /// The plan described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewPlan, Problems> {
        let mut problems = Problems::new();
        let program_id = problems.take(reference("program_id", &self.program_id));
        let scheme_id = problems.take(optional_reference("scheme_id", self.scheme_id.as_deref()));
        let name = problems.take(validate::optional_text("name", self.name.as_deref(), 100));
        let period = horizon(
            &mut problems,
            "horizon_start",
            &self.horizon_start,
            "horizon_end",
            &self.horizon_end,
        );
        let limit = self.time_limit_seconds.unwrap_or(DEFAULT_TIME_LIMIT);
        let (lo, hi) = TIME_LIMIT_RANGE;
        let limit = problems.take(if (lo..=hi).contains(&limit) {
            Ok(limit)
        } else {
            Err(Invalid::new("time_limit_seconds", "error.plan_time_limit_range").with(&[lo, hi]))
        });
        let (Some(program_id), Some(scheme_id), Some(name), Some((start, end)), Some(limit)) =
            (program_id, scheme_id, name, period, limit)
        else {
            return Err(problems);
        };
        Ok(NewPlan {
            program_id,
            scheme_id,
            name,
            horizon_start: start,
            horizon_end: end,
            time_limit_seconds: limit,
        })
    }
}

/// Adds a proposal by hand: this expert fills this need from start to end (it is pinned).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlanItemInput {
    #[schema(format = Uuid)]
    pub need_id: String,
    #[schema(format = Uuid)]
    pub person_id: String,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
}

/// A proposal as an edit names it (dates checked, references well formed).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlanItem {
    pub need_id: String,
    pub person_id: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

impl PlanItemInput {
    pub fn parse(&self) -> Result<NewPlanItem, Problems> {
        let mut problems = Problems::new();
        let need_id = problems.take(reference("need_id", &self.need_id));
        let person_id = problems.take(reference("person_id", &self.person_id));
        let period = horizon(
            &mut problems,
            "start_date",
            &self.start_date,
            "end_date",
            &self.end_date,
        );
        let (Some(need_id), Some(person_id), Some((start_date, end_date))) =
            (need_id, person_id, period)
        else {
            return Err(problems);
        };
        Ok(NewPlanItem {
            need_id,
            person_id,
            start_date,
            end_date,
        })
    }
}

/// Changes a proposal: new dates (it becomes pinned) and/or pinned or not.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PlanItemChange {
    #[serde(default)]
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub pinned: Option<bool>,
}

/// A change parsed: the new dates when moved, and whether the item is pinned afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemChange {
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub pinned: Option<bool>,
}

impl PlanItemChange {
    pub fn parse(&self) -> Result<ItemChange, Problems> {
        let mut problems = Problems::new();
        let start = self.start_date.as_deref().map(str::trim).unwrap_or("");
        let end = self.end_date.as_deref().map(str::trim).unwrap_or("");
        let period = if start.is_empty() && end.is_empty() {
            if self.pinned.is_none() {
                problems.push(Invalid::new("start_date", "error.plan_item_change_empty"));
            }
            None
        } else {
            horizon(&mut problems, "start_date", start, "end_date", end)
        };
        problems.finish()?;
        Ok(ItemChange {
            period,
            // A moved proposal is pinned where the coordinator put it, unless they say otherwise.
            pinned: self.pinned.or(period.map(|_| true)),
        })
    }
}

/// Swaps the experts of two proposals (both become pinned).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlanSwapInput {
    /// The other proposal of the same plan.
    #[schema(format = Uuid)]
    pub other_item_id: String,
}

impl PlanSwapInput {
    pub fn parse(&self) -> Result<String, Problems> {
        Ok(reference("other_item_id", &self.other_item_id)?)
    }
}

/// Accepts a plan: the batch it becomes (number: the program's next free one unless given).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AcceptInput {
    #[serde(default)]
    pub batch_number: Option<i64>,
    #[serde(default)]
    pub batch_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAcceptance {
    pub batch_number: Option<i64>,
    pub batch_name: Option<String>,
}

impl AcceptInput {
    pub fn parse(&self) -> Result<NewAcceptance, Problems> {
        let mut problems = Problems::new();
        let number = problems.take(match self.batch_number {
            Some(n) if !(1..=10_000).contains(&n) => {
                Err(Invalid::new("batch_number", "error.batch_number_range"))
            }
            n => Ok(n),
        });
        let name = problems.take(validate::optional_text(
            "batch_name",
            self.batch_name.as_deref(),
            100,
        ));
        let (Some(batch_number), Some(batch_name)) = (number, name) else {
            return Err(problems);
        };
        Ok(NewAcceptance {
            batch_number,
            batch_name,
        })
    }
}

/// A plan as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: String,
    pub program_name: Option<String>,
    #[schema(format = Uuid)]
    pub scheme_id: Option<String>,
    pub scheme_name: Option<String>,
    pub name: Option<String>,
    #[schema(format = Date)]
    pub horizon_start: String,
    #[schema(format = Date)]
    pub horizon_end: String,
    pub status: PlanStatus,
    pub time_limit_seconds: i64,
    /// Thousandths of the solve done.
    pub progress: i64,
    /// Priority-weighted need-days covered (按优先级加权的需求覆盖天数).
    pub objective: Option<i64>,
    /// A proven upper bound of the objective.
    pub bound: Option<i64>,
    /// What a coordinator's greedy (highest priority first, first free expert) reaches.
    pub greedy_objective: Option<i64>,
    pub error: Option<String>,
    /// Needs or availability changed since the solve: re-solve before accepting.
    pub stale: bool,
    #[schema(format = Uuid)]
    pub batch_id: Option<String>,
    pub batch_number: Option<i64>,
    pub item_count: i64,
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    #[schema(format = DateTime)]
    pub accepted_at: Option<String>,
    pub accepted_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A proposal: this expert fills this need from start to end.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanItem {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub plan_id: String,
    #[schema(format = Uuid)]
    pub need_id: String,
    /// The need as a coordinator names it: "某县人民医院 心血管内科（科主任）" (filled in the
    /// reader's language by [`PlanDetail::word`]).
    pub need_label: String,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: String,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub specialty_code: String,
    pub post: Option<Post>,
    pub mode: Option<AssignmentMode>,
    pub priority: i64,
    #[schema(format = Uuid)]
    pub person_id: String,
    pub person_name: String,
    pub person_title: Option<Title>,
    pub home_institution_name: Option<String>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    pub days: i64,
    pub pinned: bool,
    #[schema(format = Uuid)]
    pub assignment_id: Option<String>,
}

/// A need as the explanations name it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct NeedRef {
    #[schema(format = Uuid)]
    pub id: String,
    /// "某县人民医院 心血管内科（科主任）" (filled in the reader's language by `word`).
    pub label: String,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: String,
    pub department_name: Option<String>,
    pub post: Option<Post>,
    pub mode: Option<AssignmentMode>,
    pub specialty_code: String,
    pub min_title: Option<Title>,
    pub priority: i64,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    pub min_stay_days: i64,
}

/// An expert as the explanations name them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ExpertRef {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub title: Option<Title>,
    pub home_institution_name: Option<String>,
}

code_enum! {
    /// Why a need is not fully covered.
    ReasonKind {
        NoCandidate => "no-candidate", "无合适专家", "No candidate";
        TakenBy => "taken-by", "候选专家已被占用", "Candidates taken";
        MinimumStayCannotFit => "minimum-stay-cannot-fit", "最短驻派期无法排入", "Minimum stay cannot fit";
        NoLeader => "no-leader", "队长未排定", "No team leader";
    }
}

/// One reason, structured (the needs and experts it names) and in words.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanReason {
    pub kind: ReasonKind,
    /// The needs that took the candidates (taken-by).
    #[serde(default)]
    pub needs: Vec<NeedRef>,
    /// The candidates (taken-by).
    #[serde(default)]
    pub experts: Vec<ExpertRef>,
    /// The candidates' longest free run inside the window (minimum-stay-cannot-fit).
    #[serde(default)]
    pub longest_free_days: Option<i64>,
    /// The reason in the reader's language.
    #[serde(default)]
    pub text: String,
}

/// What would cover the rest of a need: one more expert of this specialty and title, free in
/// this period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanSuggestion {
    pub specialty_code: String,
    pub min_title: Option<Title>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
}

/// A need the plan does not fully cover: why, and what would cover it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanExplanation {
    pub need: NeedRef,
    pub window_days: i64,
    pub covered_days: i64,
    /// The reasons in one sentence each, joined (the reader's language).
    #[serde(default)]
    pub reason: String,
    pub reasons: Vec<PlanReason>,
    /// What would cover it, in words.
    #[serde(default)]
    pub suggestion: Option<String>,
    pub suggestion_detail: Option<PlanSuggestion>,
}

/// A plan with its proposals and explanations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanDetail {
    #[serde(flatten)]
    pub plan: Plan,
    /// The objective in words: "按优先级加权的需求覆盖天数".
    pub objective_words: String,
    /// The status in words.
    pub status_label: String,
    pub items: Vec<PlanItem>,
    pub explanations: Vec<PlanExplanation>,
    /// Needs the plan was solved for, and how many of them it covers fully.
    pub needs_total: i64,
    pub needs_covered: i64,
}

/// Where an expert would fit: the need, the stint, the gain, and the proposals that would go.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanFit {
    pub need: NeedRef,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    pub days: i64,
    /// Objective gained (negative when it displaces more than it adds).
    pub gain: i64,
    pub displaces: Vec<PlanItemRef>,
    /// The fit in words.
    pub text: String,
}

/// A proposal named by a fit as one that would have to go.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanItemRef {
    pub need: NeedRef,
    pub expert: ExpertRef,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
}

/// The expert a fit is for, and where they would fit best.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanFits {
    pub expert: ExpertRef,
    pub fits: Vec<PlanFit>,
}

// ---- words ----

/// A message catalogue lookup: the web layer's `i18n::t`.
pub type Catalogue<'a> = &'a dyn Fn(Lang, &str) -> String;

fn fill(template: String, pairs: &[(&str, String)]) -> String {
    pairs.iter().fold(template, |s, (k, v)| {
        s.replace(&format!("{{{k}}}"), v.as_str())
    })
}

/// A specialty's name ("心血管内科专业" reads "心血管内科").
pub fn specialty_name(code: &str, lang: Lang) -> String {
    match crate::specialty::find(code) {
        Some(s) => {
            let name = match lang {
                Lang::Zh => s.zh.trim_end_matches("专业").to_string(),
                Lang::En => s.en.clone(),
            };
            if name.is_empty() {
                code.to_string()
            } else {
                name
            }
        }
        None => code.to_string(),
    }
}

fn days(t: Catalogue<'_>, lang: Lang, n: i64) -> String {
    let key = if n == 1 {
        "ui.plan_words.days.one"
    } else {
        "ui.plan_words.days"
    };
    fill(t(lang, key), &[("n", n.to_string())])
}

fn list(lang: Lang, parts: Vec<String>) -> String {
    parts.join(match lang {
        Lang::Zh => "、",
        Lang::En => "; ",
    })
}

impl ExpertRef {
    /// "张三（主任医师）"
    pub fn words(&self, lang: Lang) -> String {
        match (self.title, lang) {
            (Some(t), Lang::Zh) => format!("{}（{}）", self.name, t.label(lang)),
            (Some(t), Lang::En) => format!("{} ({})", self.name, t.label(lang)),
            (None, _) => self.name.clone(),
        }
    }
}

impl NeedRef {
    /// Fills `label` in the reader's language.
    pub fn fill_label(&mut self, lang: Lang) {
        self.label = need_label(
            &self.institution_name,
            self.department_name.as_deref(),
            &self.specialty_code,
            self.post,
            lang,
        );
    }

    /// "某县人民医院 心血管内科（科主任，优先级 5）"
    pub fn with_priority(&self, t: Catalogue<'_>, lang: Lang) -> String {
        let unit = need_label(
            &self.institution_name,
            self.department_name.as_deref(),
            &self.specialty_code,
            None,
            lang,
        );
        let priority = self.priority.to_string();
        match self.post {
            Some(post) => fill(
                t(lang, "ui.plan_words.need_post_priority"),
                &[
                    ("need", unit),
                    ("post", post.label(lang).to_string()),
                    ("priority", priority),
                ],
            ),
            None => fill(
                t(lang, "ui.plan_words.need_priority"),
                &[("need", unit), ("priority", priority)],
            ),
        }
    }
}

/// A title inside a sentence ("associate chief physician" in English).
fn title_in_sentence(title: Title, lang: Lang) -> String {
    match lang {
        Lang::Zh => title.label(lang).to_string(),
        Lang::En => title.label(lang).to_lowercase(),
    }
}

/// The template for a specialty with or without a least title, and the title's label.
fn who_words(
    t: Catalogue<'_>,
    lang: Lang,
    min_title: Option<Title>,
    key_titled: &str,
    key_plain: &str,
) -> (String, String) {
    match min_title {
        Some(title) => (t(lang, key_titled), title_in_sentence(title, lang)),
        None => (t(lang, key_plain), String::new()),
    }
}

impl PlanReason {
    /// The reason in a sentence, for the need it explains.
    pub fn words(&self, need: &NeedRef, t: Catalogue<'_>, lang: Lang) -> String {
        match self.kind {
            ReasonKind::NoCandidate => {
                let (template, title) = who_words(
                    t,
                    lang,
                    need.min_title,
                    "ui.plan_words.reason.no_candidate_titled",
                    "ui.plan_words.reason.no_candidate",
                );
                fill(
                    template,
                    &[
                        ("specialty", specialty_name(&need.specialty_code, lang)),
                        ("title", title),
                        ("start", need.start_date.clone()),
                        ("end", need.end_date.clone()),
                    ],
                )
            }
            ReasonKind::TakenBy => {
                let higher = self.needs.iter().all(|n| n.priority > need.priority);
                let key = match (self.experts.len() == 1, higher) {
                    (true, true) => "ui.plan_words.reason.taken_by_one_higher",
                    (true, false) => "ui.plan_words.reason.taken_by_one",
                    (false, true) => "ui.plan_words.reason.taken_by_higher",
                    (false, false) => "ui.plan_words.reason.taken_by",
                };
                fill(
                    t(lang, key),
                    &[
                        (
                            "experts",
                            list(lang, self.experts.iter().map(|e| e.words(lang)).collect()),
                        ),
                        (
                            "needs",
                            list(
                                lang,
                                self.needs
                                    .iter()
                                    .map(|n| n.with_priority(t, lang))
                                    .collect(),
                            ),
                        ),
                    ],
                )
            }
            ReasonKind::MinimumStayCannotFit if self.longest_free_days.unwrap_or(0) <= 0 => fill(
                t(lang, "ui.plan_words.reason.minimum_stay_no_gap"),
                &[("min", days(t, lang, need.min_stay_days))],
            ),
            ReasonKind::MinimumStayCannotFit => fill(
                t(lang, "ui.plan_words.reason.minimum_stay"),
                &[
                    ("min", days(t, lang, need.min_stay_days)),
                    (
                        "longest",
                        days(t, lang, self.longest_free_days.unwrap_or(0)),
                    ),
                ],
            ),
            ReasonKind::NoLeader => t(lang, "ui.plan_words.reason.no_leader"),
        }
    }
}

impl PlanSuggestion {
    /// "若再有一名心血管内科副主任医师在 2027-03-01 至 2027-08-31 有空，即可覆盖"
    pub fn words(&self, t: Catalogue<'_>, lang: Lang) -> String {
        let (template, title) = who_words(
            t,
            lang,
            self.min_title,
            "ui.plan_words.suggestion_titled",
            "ui.plan_words.suggestion",
        );
        fill(
            template,
            &[
                ("specialty", specialty_name(&self.specialty_code, lang)),
                ("title", title),
                ("start", self.start_date.clone()),
                ("end", self.end_date.clone()),
            ],
        )
    }
}

impl PlanExplanation {
    /// Fills `reason`, each reason's `text` and `suggestion` in the reader's language.
    pub fn word(&mut self, t: Catalogue<'_>, lang: Lang) {
        self.need.fill_label(lang);
        for r in &mut self.reasons {
            for n in &mut r.needs {
                n.fill_label(lang);
            }
            r.text = if r.kind == ReasonKind::NoLeader && self.covered_days > 0 {
                // The leader is planned for part of the window: members only inside it.
                t(lang, "ui.plan_words.reason.no_leader_partly")
            } else {
                r.words(&self.need, t, lang)
            };
        }
        let sep = match lang {
            Lang::Zh => "；",
            Lang::En => "; ",
        };
        self.reason = if self.reasons.is_empty() {
            t(lang, "ui.plan_words.reason.partly")
        } else {
            self.reasons
                .iter()
                .map(|r| r.text.clone())
                .collect::<Vec<_>>()
                .join(sep)
        };
        self.suggestion = self.suggestion_detail.as_ref().map(|s| s.words(t, lang));
    }
}

impl PlanFit {
    /// "某县人民医院 心血管内科（科主任）：2027-03-01 至 2027-08-31，184 天（需调走：…）", for
    /// the expert `expert_id` (their own proposals that would go are named apart).
    pub fn word(&mut self, expert_id: &str, t: Catalogue<'_>, lang: Lang) {
        self.need.fill_label(lang);
        for d in &mut self.displaces {
            d.need.fill_label(lang);
        }
        let mut text = fill(
            t(lang, "ui.plan_words.fit"),
            &[
                ("need", self.need.label.clone()),
                ("start", self.start_date.clone()),
                ("end", self.end_date.clone()),
                ("days", days(t, lang, self.days)),
            ],
        );
        let (own, others): (Vec<&PlanItemRef>, Vec<&PlanItemRef>) = self
            .displaces
            .iter()
            .partition(|d| d.expert.id == expert_id);
        let current = own.iter().any(|d| {
            d.need.id == self.need.id
                && d.start_date == self.start_date
                && d.end_date == self.end_date
        });
        if current {
            text.push_str(&t(lang, "ui.plan_words.fit_current"));
        } else if !own.is_empty() {
            let names = own.iter().map(|d| d.need.label.clone()).collect();
            text.push_str(&fill(
                t(lang, "ui.plan_words.fit_leaves"),
                &[("items", list(lang, names))],
            ));
        }
        if !others.is_empty() {
            let names = others
                .iter()
                .map(|d| format!("{} · {}", d.expert.words(lang), d.need.label))
                .collect();
            text.push_str(&fill(
                t(lang, "ui.plan_words.fit_displaces"),
                &[("items", list(lang, names))],
            ));
        }
        self.text = text;
    }
}

impl PlanFits {
    pub fn word(&mut self, t: Catalogue<'_>, lang: Lang) {
        for f in &mut self.fits {
            f.word(&self.expert.id, t, lang);
        }
    }
}

impl PlanDetail {
    /// Puts the objective, the status and every explanation into words.
    pub fn word(&mut self, t: Catalogue<'_>, lang: Lang) {
        self.objective_words = t(lang, "ui.plan_words.objective");
        self.status_label = self.plan.status.label(lang).to_string();
        for i in &mut self.items {
            i.need_label = need_label(
                &i.institution_name,
                i.department_name.as_deref(),
                &i.specialty_code,
                i.post,
                lang,
            );
        }
        for e in &mut self.explanations {
            e.word(t, lang);
        }
    }
}

/// The need's label: "某县人民医院 心血管内科（科主任）" (the department's name, else the
/// specialty's; the post's label).
pub fn need_label(
    institution_name: &str,
    department_name: Option<&str>,
    specialty_code: &str,
    post: Option<Post>,
    lang: Lang,
) -> String {
    let unit = department_name
        .map(str::to_string)
        .unwrap_or_else(|| specialty_name(specialty_code, lang));
    match (post, lang) {
        (Some(p), Lang::Zh) => format!("{institution_name} {unit}（{}）", p.label(lang)),
        (Some(p), Lang::En) => format!("{institution_name} {unit} ({})", p.label(lang)),
        (None, _) => format!("{institution_name} {unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(lang: Lang, key: &str) -> String {
        match (lang, key) {
            (Lang::Zh, "ui.plan_words.reason.taken_by_one_higher") => {
                "仅有的候选专家{experts}已被优先级更高的需求占用：{needs}".into()
            }
            (Lang::Zh, "ui.plan_words.need_priority") => "{need}（优先级 {priority}）".into(),
            (Lang::Zh, "ui.plan_words.reason.no_candidate_titled") => {
                "没有{specialty}、{title}及以上的专家在 {start} 至 {end} 有空".into()
            }
            _ => key.into(),
        }
    }

    #[test]
    fn a_plan_input_names_every_problem() {
        let input = PlanInput {
            program_id: "".into(),
            scheme_id: None,
            name: None,
            horizon_start: "2027-03-01".into(),
            horizon_end: "2027-01-01".into(),
            time_limit_seconds: Some(0),
        };
        let problems: Vec<_> = input
            .parse()
            .err()
            .into_iter()
            .flatten()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            problems,
            vec!["program_id", "horizon_end", "time_limit_seconds"]
        );
    }

    #[test]
    fn a_move_pins_unless_told_otherwise() {
        let c = PlanItemChange {
            start_date: Some("2027-03-01".into()),
            end_date: Some("2027-05-31".into()),
            pinned: None,
        };
        assert_eq!(c.parse().ok().and_then(|c| c.pinned), Some(true));
        assert!(PlanItemChange::default().parse().is_err());
    }

    #[test]
    fn reasons_read_as_sentences_with_names() {
        let need = NeedRef {
            label: "某县人民医院 心血管内科".into(),
            specialty_code: "03.04".into(),
            min_title: Some(Title::AssociateChiefPhysician),
            priority: 3,
            start_date: "2027-03-01".into(),
            end_date: "2027-08-31".into(),
            ..Default::default()
        };
        let taken = PlanReason {
            kind: ReasonKind::TakenBy,
            needs: vec![NeedRef {
                institution_name: "某县人民医院".into(),
                department_name: Some("心血管内科".into()),
                priority: 5,
                ..Default::default()
            }],
            experts: vec![ExpertRef {
                name: "张三".into(),
                title: Some(Title::ChiefPhysician),
                ..Default::default()
            }],
            longest_free_days: None,
            text: String::new(),
        };
        assert_eq!(
            taken.words(&need, &t, Lang::Zh),
            "仅有的候选专家张三（主任医师）已被优先级更高的需求占用：某县人民医院 心血管内科（优先级 5）"
        );
        let none = PlanReason {
            kind: ReasonKind::NoCandidate,
            needs: vec![],
            experts: vec![],
            longest_free_days: None,
            text: String::new(),
        };
        assert_eq!(
            none.words(&need, &t, Lang::Zh),
            "没有心血管内科、副主任医师及以上的专家在 2027-03-01 至 2027-08-31 有空"
        );
    }
}
