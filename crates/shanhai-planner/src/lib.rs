//! The deployment planner's solver (C13). Pure: an [`Instance`] (needs, experts with their
//! availability, the program's rules, pinned stints) in, a [`Solution`] (stints, objective,
//! bound) and [`Explanation`]s out. No database, no clock but the time limit.
//!
//! **The model.** Time is in days; stints start on the week grid of the horizon (the horizon's
//! start plus whole weeks, or the need's earliest start) and last whole weeks (or end at the
//! need's latest end). A need is one post at one recipient; it may be filled by consecutive,
//! non-overlapping stints of different experts when the rules allow splits (a team leader's
//! need: one stint). A stint of expert `e` for need `n` from `start` to `end` (inclusive) is
//! feasible when:
//! - `e`'s specialty is the need's or a sub-specialty of it (`03.04` fills `03`), and — when the
//!   rules check titles — `e`'s title meets the need's least title ([`Title::meets`]);
//! - it lies inside the need's window and inside one availability window of `e` that accepts
//!   the need's mode, contains no blackout day of that window, lasts at least the need's
//!   minimum stay and at most the window's longest stint;
//! - on-site needs (every mode but remote) occupy the expert every day of the stint: two on-site
//!   stints of one expert (or one and an existing on-site assignment, `busy`) never overlap, and
//!   between two of them lie at least `rest_days` free days — stricter than the one-place-a-day
//!   rule, so an accepted plan always passes it (the rest applies between stints, pinned or
//!   not; an existing assignment only must not overlap); remote stints occupy nobody;
//! - a team member's stint lies inside the stint of its team's leader (when the rules say so),
//!   and a member without a leader's stint has none;
//! - pinned stints are in every solution as they are.
//!
//! The solver's stints start at the need's earliest start or a grid point inside its window
//! and end the day before a grid point or at the need's latest end (a need's window is cut
//! into week segments; a pinned stint's ends cut it too); [`check`] accepts any dates.
//!
//! **The objective**: the sum over needs of `priority × days of the need's window covered`
//! ("priority-weighted need-days"); [`Solution::bound`] is a proven upper bound of it.

pub mod generate;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shanhai_domain::codes::Title;
use shanhai_domain::dispatch::AssignmentMode;
use std::time::Duration;

mod bound;
mod check;
mod exact;
mod explain;
mod model;
mod search;
mod solver;

/// The program's rules where it differs from the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Free days between two on-site stints of one expert.
    pub rest_days: u32,
    /// Whether an expert's title must meet the need's least title.
    pub check_title: bool,
    /// Whether a team member's stint must lie inside the leader's.
    pub team_within_leader: bool,
    /// Whether a need may be filled by consecutive stints of different experts.
    pub split_needs: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            rest_days: 14,
            check_title: true,
            team_within_leader: true,
            split_needs: true,
        }
    }
}

/// A period of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
}

/// A window in which an expert can go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub period: Period,
    /// The modes the expert accepts in this window.
    pub modes: Vec<AssignmentMode>,
    /// The longest stint in days (none: the whole window).
    pub longest_stint_days: Option<u32>,
    /// Days inside the window the expert cannot go.
    pub blackouts: Vec<Period>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expert {
    /// The person's id.
    pub id: String,
    pub specialty: Option<String>,
    pub title: Title,
    pub home_institution_id: String,
    pub windows: Vec<Window>,
    /// Periods the expert is already on site somewhere (existing assignments): they stay.
    pub busy: Vec<Period>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TeamRole {
    Leader,
    Member,
}

/// A team need's place in its team: needs with the same `team` key at one institution form a
/// team with exactly one leader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamPart {
    pub team: String,
    pub role: TeamRole,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Need {
    pub id: String,
    pub institution_id: String,
    pub specialty: String,
    pub mode: AssignmentMode,
    /// Earliest start and latest end.
    pub window: Period,
    pub min_stay_days: u32,
    pub min_title: Option<Title>,
    /// 1 (lowest) … 5 (highest).
    pub priority: u32,
    pub team: Option<TeamPart>,
}

/// One expert filling one need from start to end.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stint {
    pub need_id: String,
    pub expert_id: String,
    pub period: Period,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The plan's horizon: stints start on its week grid.
    pub horizon: Period,
    pub rules: Rules,
    pub experts: Vec<Expert>,
    pub needs: Vec<Need>,
    /// Stints every solution keeps as they are.
    pub pinned: Vec<Stint>,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub time_limit: Duration,
    pub seed: u64,
    /// Stop after this many improvement rounds whatever the time (deterministic runs: the demo
    /// and the tests).
    pub max_rounds: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            time_limit: Duration::from_secs(10),
            seed: 1,
            max_rounds: None,
        }
    }
}

/// Reported while solving, at least once a second and at every improvement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    /// Fraction of the time limit (or rounds) used, 0…1.
    pub fraction: f64,
    pub objective: u64,
    pub bound: u64,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// Pinned stints first, then the solver's, each need's in date order.
    pub stints: Vec<Stint>,
    pub objective: u64,
    /// A proven upper bound of the objective.
    pub bound: u64,
    /// Whether the objective is proven optimal (objective == bound, or the search was complete).
    pub optimal: bool,
    /// When the first feasible solution was found.
    pub first_feasible: Duration,
    pub elapsed: Duration,
}

/// Why an instance cannot be solved at all: its pinned stints break a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub stint: Stint,
    pub rule: RuleBroken,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum RuleBroken {
    UnknownNeed,
    UnknownExpert,
    Specialty,
    Title,
    OutsideNeedWindow,
    OutsideAvailability,
    ModeNotAccepted,
    Blackout,
    BelowMinimumStay,
    AboveLongestStint,
    /// Two on-site stints (or a stint and an existing assignment) of the expert overlap.
    TwoPlaces {
        other_need_id: Option<String>,
    },
    /// Fewer free days than `rest_days` between two on-site stints.
    Rest {
        other_need_id: String,
    },
    /// Two stints of one need overlap (or a need is split when splits are not allowed).
    NeedOverfilled,
    /// A team member's stint is not inside the leader's.
    OutsideLeader,
}

/// Why a need is not fully covered, in terms a coordinator reads (the web layer words them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reason {
    /// No expert of that specialty (and title) is free at all in the window.
    NoCandidate,
    /// Candidates exist but are taken by needs of higher (or equal) priority: which needs and
    /// which experts.
    TakenBy {
        needs: Vec<String>,
        experts: Vec<String>,
    },
    /// Candidates are free, but not for the minimum stay in one piece (the longest free run, in
    /// days, inside the window).
    MinimumStayCannotFit { longest_free_days: u32 },
    /// A team member without a leader's stint to lie in.
    NoLeader,
}

/// What would cover the rest of a need: one more expert of this specialty and title, free in
/// this period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub specialty: String,
    pub min_title: Option<Title>,
    pub period: Period,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub need_id: String,
    pub window_days: u32,
    pub covered_days: u32,
    pub reasons: Vec<Reason>,
    pub suggestion: Option<Suggestion>,
}

/// Where an expert would fit: a need, the stint they could take, and the objective gained
/// (negative when it displaces others).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    pub need_id: String,
    pub period: Period,
    pub gain: i64,
    /// Stints that would have to go.
    pub displaces: Vec<Stint>,
}

/// Every rule each stint of `stints` breaks (an empty list: a feasible plan). Used for pinned
/// stints before a solve, for a coordinator's edits, and by the property tests.
pub fn check(instance: &Instance, stints: &[Stint]) -> Vec<Violation> {
    check::check(instance, stints)
}

/// The objective of a set of stints (priority-weighted need-days covered).
pub fn objective(instance: &Instance, stints: &[Stint]) -> u64 {
    check::objective(instance, stints)
}

/// A coordinator's greedy: needs by priority, highest first (then earliest start), each given
/// the first free expert (in the instance's order) for the longest stint that fits.
pub fn greedy(instance: &Instance) -> Solution {
    let t0 = std::time::Instant::now();
    let m = model::Model::new(instance);
    let s = solver::greedy_state(&m);
    let elapsed = t0.elapsed();
    let bound = bound::bound(&m).max(s.obj) as u64;
    Solution {
        stints: solver::to_solution(instance, &m, &s),
        objective: s.obj as u64,
        bound,
        optimal: s.obj as u64 >= bound,
        first_feasible: elapsed,
        elapsed,
    }
}

/// The best plan found within the options' limits, keeping the pinned stints. Errors when the
/// pinned stints themselves break a rule.
pub fn solve(
    instance: &Instance,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Solution, Vec<Violation>> {
    let violations = check(instance, &instance.pinned);
    if !violations.is_empty() {
        return Err(violations);
    }
    let m = model::Model::new(instance);
    Ok(solver::run(instance, &m, options, progress))
}

/// For each need the solution does not fully cover: why, and what would cover it.
pub fn explain(instance: &Instance, solution: &Solution) -> Vec<Explanation> {
    explain::explain(instance, solution)
}

/// Where `expert_id` would fit best given `solution`, best first (at most `limit`).
pub fn fits(instance: &Instance, solution: &Solution, expert_id: &str, limit: usize) -> Vec<Fit> {
    explain::fits(instance, solution, expert_id, limit)
}

#[doc(hidden)]
pub mod testgen;

#[cfg(test)]
mod tests;
