//! Plans: a solve's proposals, explanations and acceptance.
//!
//! Who may: whoever may create a batch in the program (its office, the platform admin) runs,
//! edits and accepts plans; the coordinators of the program's parties read them
//! (`Principal::may_run_plans`, `Principal::may_read_plans`).
//!
//! A solve runs in the background ([`start_plan`], [`resolve_plan`] and every edit answer at
//! once): the instance is read without a transaction, the solver runs on a blocking thread,
//! progress is written about once a second in short statements, and the outcome in one short
//! transaction at the end.
//!
//! The views ([`PlanDetail`], [`PlanFits`]) come back with ids resolved to names but without
//! words: the caller fills them in the reader's language with `.word(&i18n::t, lang)`.

use crate::{AccessFacts, Acting, ServiceError, ServiceResult};
use shanhai_domain::Invalid;
use shanhai_domain::planning::plans::*;
use shanhai_planner::{Explanation, Instance, Options, Period, Reason, RuleBroken, Stint};
use shanhai_store::audit::Actor;
use shanhai_store::planning::plans as store;
use shanhai_store::{Db, Page, PageRequest};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// The message a plan left unfinished by a stopped server is failed with.
pub const INTERRUPTED: &str =
    "求解被服务重启中断，请重新求解 (interrupted by a restart: solve again)";

// ---- access ----

/// Refuses unless the caller may read the program's plans.
pub async fn may_read(db: &Db, who: &Acting, program_id: &str) -> ServiceResult<()> {
    let facts = AccessFacts::load(db).await?;
    Ok(who
        .principal
        .may_read_plans(program_id, &facts.links, &facts.programs)?)
}

/// The plan, when the caller may run, edit and accept it (asked before the input is read).
pub async fn may_run(db: &Db, who: &Acting, plan_id: &str) -> ServiceResult<Plan> {
    let plan = store::get_plan(db, plan_id).await?;
    if who.principal.may_run_plans(&plan.program_id).is_err() {
        // A reader learns they may not; anyone else learns nothing.
        may_read(db, who, &plan.program_id).await?;
        return Err(ServiceError::forbidden());
    }
    Ok(plan)
}

/// The plan, when the caller may edit it now: not accepted, not being solved.
async fn may_edit(db: &Db, who: &Acting, plan_id: &str) -> ServiceResult<Plan> {
    let plan = may_run(db, who, plan_id).await?;
    match plan.status {
        PlanStatus::Accepted => Err(ServiceError::Conflict("error.plan_already_accepted")),
        PlanStatus::Queued | PlanStatus::Running => {
            Err(ServiceError::Conflict("error.plan_solving"))
        }
        PlanStatus::Done | PlanStatus::Failed => Ok(plan),
    }
}

// ---- plans ----

/// Starts a plan: inserts it (queued) and solves it in the background; answers at once.
pub async fn start_plan(db: &Db, who: &Acting, input: &PlanInput) -> ServiceResult<Plan> {
    let new = input.parse()?;
    who.principal.may_run_plans(&new.program_id)?;
    let plan = store::create_plan(db, &who.actor, &new).await?;
    spawn_solve(db.clone(), who.actor.clone(), plan.id.clone());
    Ok(plan)
}

/// A page of plans the caller may read (one program's, when asked).
pub async fn list_plans(
    db: &Db,
    who: &Acting,
    program: Option<&str>,
    page: PageRequest,
) -> ServiceResult<Page<Plan>> {
    let facts = AccessFacts::load(db).await?;
    let program = program.map(str::trim).filter(|p| !p.is_empty());
    let readable: BTreeSet<String> = facts
        .programs
        .iter()
        .map(|p| p.program_id.clone())
        .filter(|p| {
            who.principal
                .may_read_plans(p, &facts.links, &facts.programs)
                .is_ok()
        })
        .collect();
    let filter = store::PlanFilter {
        program: program.map(str::to_string),
        programs: if who.principal.is_admin() {
            None
        } else {
            Some(readable)
        },
    };
    Ok(store::list_plans(db, &filter, page).await?)
}

/// Whether the plan's inputs changed since its solve (needs, availability, assignments,
/// rules), given the instance as it is now.
fn is_stale(plan: &Plan, digest: Option<&str>, now: &Instance) -> bool {
    plan.stale
        || (plan.status == PlanStatus::Done
            && digest.is_some_and(|d| d != store::instance_digest(now)))
}

/// A plan with its proposals and its explanations (names resolved; words left to `word`).
pub async fn get_plan(db: &Db, who: &Acting, id: &str) -> ServiceResult<PlanDetail> {
    let mut plan = store::get_plan(db, id).await?;
    may_read(db, who, &plan.program_id).await?;
    let items = store::items(db, id).await?;
    let (digest, explanations) = store::solved_from(db, id).await?;
    let instance = store::load_instance(db, &plan).await?;
    plan.stale = is_stale(&plan, digest.as_deref(), &instance);
    let explanations = if plan.status == PlanStatus::Queued || plan.status == PlanStatus::Running {
        Vec::new()
    } else {
        explanation_views(db, &explanations).await?
    };
    let needs_total = if plan.status == PlanStatus::Accepted {
        items
            .iter()
            .map(|i| i.need_id.as_str())
            .collect::<BTreeSet<_>>()
            .len() as i64
            + explanations.len() as i64
    } else {
        instance.needs.len() as i64
    };
    Ok(PlanDetail {
        plan,
        objective_words: String::new(),
        status_label: String::new(),
        items,
        needs_covered: (needs_total - explanations.len() as i64).max(0),
        needs_total,
        explanations,
    })
}

/// Re-solves a plan keeping its pinned items (and clearing `stale`); answers at once.
pub async fn resolve_plan(db: &Db, who: &Acting, id: &str) -> ServiceResult<Plan> {
    may_edit(db, who, id).await?;
    requeue_and_solve(db, &who.actor, id).await
}

async fn requeue_and_solve(db: &Db, actor: &Actor, id: &str) -> ServiceResult<Plan> {
    if !store::requeue(db, id).await? {
        return Err(ServiceError::Conflict("error.plan_solving"));
    }
    spawn_solve(db.clone(), actor.clone(), id.to_string());
    Ok(store::get_plan(db, id).await?)
}

// ---- edits ----

/// The field a broken rule is shown at, and its message key.
fn rule_problem(rule: &RuleBroken, dates_field: &str, person_field: &str) -> Invalid {
    let (field, key) = match rule {
        RuleBroken::UnknownNeed => ("need_id", "error.plan_rule.unknown_need"),
        RuleBroken::UnknownExpert => (person_field, "error.plan_rule.unknown_expert"),
        RuleBroken::Specialty => (person_field, "error.plan_rule.specialty"),
        RuleBroken::Title => (person_field, "error.plan_rule.title"),
        RuleBroken::ModeNotAccepted => (person_field, "error.plan_rule.mode_not_accepted"),
        RuleBroken::OutsideNeedWindow => (dates_field, "error.plan_rule.outside_need_window"),
        RuleBroken::OutsideAvailability => (dates_field, "error.plan_rule.outside_availability"),
        RuleBroken::Blackout => (dates_field, "error.plan_rule.blackout"),
        RuleBroken::BelowMinimumStay => (dates_field, "error.plan_rule.below_minimum_stay"),
        RuleBroken::AboveLongestStint => (dates_field, "error.plan_rule.above_longest_stint"),
        RuleBroken::TwoPlaces { .. } => (dates_field, "error.plan_rule.two_places"),
        RuleBroken::Rest { .. } => (dates_field, "error.plan_rule.rest"),
        RuleBroken::NeedOverfilled => (dates_field, "error.plan_rule.need_overfilled"),
        RuleBroken::OutsideLeader => (dates_field, "error.plan_rule.outside_leader"),
    };
    Invalid::new(field, key)
}

/// Checks the pinned stints after an edit: the edited ones (`changed`) must break no rule
/// against the instance and the other pinned ones; every problem at its field.
fn check_edit(
    instance: &Instance,
    others: Vec<Stint>,
    changed: &[(Stint, &str, &str)],
) -> ServiceResult<()> {
    let mut all = others;
    all.extend(changed.iter().map(|(s, _, _)| s.clone()));
    let violations = shanhai_planner::check(instance, &all);
    let mut problems = shanhai_domain::Problems::new();
    for v in &violations {
        if let Some((_, dates, person)) = changed.iter().find(|(s, _, _)| *s == v.stint) {
            let mut p = rule_problem(&v.rule, dates, person);
            if let RuleBroken::Rest { .. } = v.rule {
                p = p.with(&[i64::from(instance.rules.rest_days)]);
            }
            problems.push(p);
        }
    }
    Ok(problems.finish()?)
}

fn stint_of(item: &PlanItem) -> Stint {
    Stint {
        need_id: item.need_id.clone(),
        expert_id: item.person_id.clone(),
        period: Period {
            start: day(&item.start_date),
            end: day(&item.end_date),
        },
    }
}

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// The pinned items' stints except those named.
async fn pinned_except(db: &Db, plan_id: &str, except: &[&str]) -> ServiceResult<Vec<Stint>> {
    Ok(store::items(db, plan_id)
        .await?
        .iter()
        .filter(|i| i.pinned && !except.contains(&i.id.as_str()))
        .map(stint_of)
        .collect())
}

/// Adds a proposal by hand (pinned), checked against the rules; then re-solves.
pub async fn add_item(
    db: &Db,
    who: &Acting,
    plan_id: &str,
    input: &PlanItemInput,
) -> ServiceResult<PlanItem> {
    let plan = may_edit(db, who, plan_id).await?;
    let new = input.parse()?;
    let mut instance = store::load_instance(db, &plan).await?;
    if !instance.experts.iter().any(|e| e.id == new.person_id) {
        // Someone not yet in the plan: read them in as if they were.
        instance = with_person(db, &plan, &new.person_id).await?;
    }
    let stint = Stint {
        need_id: new.need_id.clone(),
        expert_id: new.person_id.clone(),
        period: Period {
            start: new.start_date,
            end: new.end_date,
        },
    };
    let others = pinned_except(db, plan_id, &[]).await?;
    check_edit(
        &instance,
        others,
        &[(stint.clone(), "start_date", "person_id")],
    )?;
    let item = store::add_item(db, &who.actor, plan_id, &stint, true).await?;
    requeue_and_solve(db, &who.actor, plan_id).await?;
    Ok(item)
}

/// The instance with one more person read in (their availability is read only for people of
/// the program's donors or already in the plan, so an edit naming someone else finds them
/// unknown).
async fn with_person(db: &Db, plan: &Plan, _person: &str) -> ServiceResult<Instance> {
    Ok(store::load_instance(db, plan).await?)
}

/// Moves a proposal (new dates: it becomes pinned) and/or pins or unpins it; then re-solves.
pub async fn change_item(
    db: &Db,
    who: &Acting,
    plan_id: &str,
    item_id: &str,
    input: &PlanItemChange,
) -> ServiceResult<PlanItem> {
    let plan = may_edit(db, who, plan_id).await?;
    let item = store::get_item(db, plan_id, item_id).await?;
    let change = input.parse()?;
    let (start, end) = change
        .period
        .unwrap_or((day(&item.start_date), day(&item.end_date)));
    let pinned = change.pinned.unwrap_or(item.pinned);
    let mut stint = stint_of(&item);
    stint.period = Period { start, end };
    if pinned {
        let instance = store::load_instance(db, &plan).await?;
        let others = pinned_except(db, plan_id, &[item_id]).await?;
        check_edit(&instance, others, &[(stint, "start_date", "start_date")])?;
    }
    let mut changed = store::update_items(
        db,
        &who.actor,
        plan_id,
        &[store::ItemUpdate {
            id: item.id.clone(),
            person_id: item.person_id.clone(),
            start,
            end,
            pinned,
        }],
    )
    .await?;
    requeue_and_solve(db, &who.actor, plan_id).await?;
    changed.pop().ok_or(ServiceError::NotFound)
}

/// Swaps the experts of two proposals of one plan (both become pinned); then re-solves.
pub async fn swap_items(
    db: &Db,
    who: &Acting,
    plan_id: &str,
    item_id: &str,
    input: &PlanSwapInput,
) -> ServiceResult<Vec<PlanItem>> {
    let plan = may_edit(db, who, plan_id).await?;
    let a = store::get_item(db, plan_id, item_id).await?;
    let other = input.parse()?;
    let b = match store::get_item(db, plan_id, &other).await {
        Err(shanhai_store::StoreError::NotFound) => {
            return Err(Invalid::new("other_item_id", "error.plan_item_unknown").into());
        }
        r => r?,
    };
    if a.id == b.id {
        return Err(Invalid::new("other_item_id", "error.plan_swap_same").into());
    }
    let mut sa = stint_of(&a);
    let mut sb = stint_of(&b);
    std::mem::swap(&mut sa.expert_id, &mut sb.expert_id);
    let instance = store::load_instance(db, &plan).await?;
    let others = pinned_except(db, plan_id, &[&a.id, &b.id]).await?;
    check_edit(
        &instance,
        others,
        &[
            (sa.clone(), "other_item_id", "other_item_id"),
            (sb.clone(), "other_item_id", "other_item_id"),
        ],
    )?;
    let changed = store::update_items(
        db,
        &who.actor,
        plan_id,
        &[
            store::ItemUpdate {
                id: a.id.clone(),
                person_id: sa.expert_id,
                start: sa.period.start,
                end: sa.period.end,
                pinned: true,
            },
            store::ItemUpdate {
                id: b.id.clone(),
                person_id: sb.expert_id,
                start: sb.period.start,
                end: sb.period.end,
                pinned: true,
            },
        ],
    )
    .await?;
    requeue_and_solve(db, &who.actor, plan_id).await?;
    Ok(changed)
}

/// Removes a proposal; then re-solves (a removed solver's proposal may come back unless
/// something else is pinned there).
pub async fn remove_item(db: &Db, who: &Acting, plan_id: &str, item_id: &str) -> ServiceResult<()> {
    may_edit(db, who, plan_id).await?;
    store::get_item(db, plan_id, item_id).await?;
    store::delete_item(db, &who.actor, plan_id, item_id).await?;
    requeue_and_solve(db, &who.actor, plan_id).await?;
    Ok(())
}

// ---- where an expert fits ----

/// Where this expert would fit best in the plan (best first), with the proposals that would
/// have to go.
pub async fn fits(
    db: &Db,
    who: &Acting,
    plan_id: &str,
    person_id: &str,
) -> ServiceResult<PlanFits> {
    let plan = store::get_plan(db, plan_id).await?;
    may_read(db, who, &plan.program_id).await?;
    let person = shanhai_domain::ids::parse_id(person_id.trim())
        .ok_or_else(|| Invalid::new("person", "error.bad_reference"))?;
    let experts = store::expert_refs(db, &BTreeSet::from([person.clone()])).await?;
    let expert = experts
        .get(&person)
        .cloned()
        .ok_or_else(|| Invalid::new("person", "error.unknown_person"))?;
    let instance = store::load_instance(db, &plan).await?;
    let items = store::items(db, plan_id).await?;
    let stints: Vec<Stint> = items.iter().map(stint_of).collect();
    let objective = shanhai_planner::objective(&instance, &stints);
    let solution = shanhai_planner::Solution {
        stints,
        objective,
        bound: u64::try_from(plan.bound.unwrap_or(0)).unwrap_or(0),
        optimal: false,
        first_feasible: Duration::ZERO,
        elapsed: Duration::ZERO,
    };
    let found = shanhai_planner::fits(&instance, &solution, &person, 5);
    let mut need_ids: BTreeSet<String> = found.iter().map(|f| f.need_id.clone()).collect();
    let mut expert_ids = BTreeSet::new();
    for f in &found {
        for d in &f.displaces {
            need_ids.insert(d.need_id.clone());
            expert_ids.insert(d.expert_id.clone());
        }
    }
    let needs = store::need_refs(db, &need_ids).await?;
    let names = store::expert_refs(db, &expert_ids).await?;
    let need = |id: &str| needs.get(id).cloned().unwrap_or_else(|| unknown_need(id));
    let fits = found
        .iter()
        .map(|f| PlanFit {
            need: need(&f.need_id),
            start_date: f.period.start.to_string(),
            end_date: f.period.end.to_string(),
            days: f.period.days(),
            gain: f.gain,
            displaces: f
                .displaces
                .iter()
                .map(|d| PlanItemRef {
                    need: need(&d.need_id),
                    expert: names
                        .get(&d.expert_id)
                        .cloned()
                        .unwrap_or_else(|| unknown_expert(&d.expert_id)),
                    start_date: d.period.start.to_string(),
                    end_date: d.period.end.to_string(),
                })
                .collect(),
            text: String::new(),
        })
        .collect();
    Ok(PlanFits { expert, fits })
}

fn unknown_need(id: &str) -> NeedRef {
    NeedRef {
        id: id.to_string(),
        ..Default::default()
    }
}

fn unknown_expert(id: &str) -> ExpertRef {
    ExpertRef {
        id: id.to_string(),
        ..Default::default()
    }
}

/// The solver's explanations with every need and expert named.
async fn explanation_views(
    db: &Db,
    explanations: &[Explanation],
) -> ServiceResult<Vec<PlanExplanation>> {
    let mut need_ids = BTreeSet::new();
    let mut expert_ids = BTreeSet::new();
    for e in explanations {
        need_ids.insert(e.need_id.clone());
        for r in &e.reasons {
            if let Reason::TakenBy { needs, experts } = r {
                need_ids.extend(needs.iter().cloned());
                expert_ids.extend(experts.iter().cloned());
            }
        }
    }
    let needs = store::need_refs(db, &need_ids).await?;
    let experts = store::expert_refs(db, &expert_ids).await?;
    let need = |id: &str| needs.get(id).cloned().unwrap_or_else(|| unknown_need(id));
    let mut out: Vec<PlanExplanation> = explanations
        .iter()
        .map(|e| PlanExplanation {
            need: need(&e.need_id),
            window_days: i64::from(e.window_days),
            covered_days: i64::from(e.covered_days),
            reason: String::new(),
            reasons: e
                .reasons
                .iter()
                .map(|r| match r {
                    Reason::NoCandidate => PlanReason {
                        kind: ReasonKind::NoCandidate,
                        needs: vec![],
                        experts: vec![],
                        longest_free_days: None,
                        text: String::new(),
                    },
                    Reason::TakenBy { needs, experts: by } => PlanReason {
                        kind: ReasonKind::TakenBy,
                        needs: needs.iter().map(|n| need(n)).collect(),
                        experts: by
                            .iter()
                            .map(|x| experts.get(x).cloned().unwrap_or_else(|| unknown_expert(x)))
                            .collect(),
                        longest_free_days: None,
                        text: String::new(),
                    },
                    Reason::MinimumStayCannotFit { longest_free_days } => PlanReason {
                        kind: ReasonKind::MinimumStayCannotFit,
                        needs: vec![],
                        experts: vec![],
                        longest_free_days: Some(i64::from(*longest_free_days)),
                        text: String::new(),
                    },
                    Reason::NoLeader => PlanReason {
                        kind: ReasonKind::NoLeader,
                        needs: vec![],
                        experts: vec![],
                        longest_free_days: None,
                        text: String::new(),
                    },
                })
                .collect(),
            suggestion: None,
            suggestion_detail: e.suggestion.as_ref().map(|s| PlanSuggestion {
                specialty_code: s.specialty.clone(),
                min_title: s.min_title,
                start_date: s.period.start.to_string(),
                end_date: s.period.end.to_string(),
            }),
        })
        .collect();
    // Highest priority first, then by date.
    out.sort_by(|a, b| {
        b.need
            .priority
            .cmp(&a.need.priority)
            .then(a.need.start_date.cmp(&b.need.start_date))
    });
    Ok(out)
}

// ---- acceptance ----

/// Accepts a plan: its batch and assignments in one audited transaction, through the same rules
/// as hand-made assignments. Refused (409) when the plan is not done, already accepted, or stale.
pub async fn accept_plan(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &AcceptInput,
) -> ServiceResult<PlanDetail> {
    let plan = may_run(db, who, id).await?;
    let acceptance = input.parse()?;
    match plan.status {
        PlanStatus::Accepted => return Err(ServiceError::Conflict("error.plan_already_accepted")),
        PlanStatus::Done => {}
        _ => return Err(ServiceError::Conflict("error.plan_not_done")),
    }
    let (digest, _) = store::solved_from(db, id).await?;
    let instance = store::load_instance(db, &plan).await?;
    if is_stale(&plan, digest.as_deref(), &instance) {
        return Err(ServiceError::Conflict("error.plan_stale"));
    }
    match store::accept(db, &who.actor, id, &acceptance).await {
        Ok(_) => get_plan(db, who, id).await,
        Err(store::AcceptError::State(key)) => Err(ServiceError::Conflict(key)),
        Err(store::AcceptError::Store(e)) => Err(e.into()),
        Err(store::AcceptError::Item { item_id, error }) => {
            let key = match error {
                shanhai_store::StoreError::Conflict(_) => "error.plan_item_clash",
                shanhai_store::StoreError::Invalid(i) => i.key,
                other => return Err(other.into()),
            };
            Err(Invalid::new(format!("items.{item_id}"), key).into())
        }
    }
}

// ---- the solve ----

/// At server start: plans a stopped server left queued or running are failed.
pub async fn fail_interrupted(db: &Db) -> ServiceResult<u64> {
    Ok(store::fail_unfinished(db, INTERRUPTED).await?)
}

fn spawn_solve(db: Db, actor: Actor, plan_id: String) {
    tokio::spawn(async move {
        if let Err(e) = solve(&db, &actor, &plan_id, None).await {
            tracing::warn!(plan = %plan_id, "plan solve failed: {e}");
            if let Err(e) = store::fail(&db, &plan_id, &e).await {
                tracing::error!(plan = %plan_id, "could not mark the plan failed: {e}");
            }
        }
    });
}

/// Solves a queued plan now and writes the outcome (the background task's body; the demo and
/// tests call it directly with `max_rounds` for a deterministic plan). Errors in words.
pub async fn solve(
    db: &Db,
    actor: &Actor,
    plan_id: &str,
    max_rounds: Option<u64>,
) -> Result<(), String> {
    let err = |e: shanhai_store::StoreError| e.to_string();
    store::mark_running(db, plan_id).await.map_err(err)?;
    let plan = store::get_plan(db, plan_id).await.map_err(err)?;
    let mut instance = store::load_instance(db, &plan).await.map_err(err)?;
    let digest = store::instance_digest(&instance);
    // Pinned items that no longer hold (an expert's availability withdrawn, a need closed) go:
    // their needs are planned afresh.
    let broken: Vec<Stint> = shanhai_planner::check(&instance, &instance.pinned)
        .into_iter()
        .map(|v| v.stint)
        .collect();
    let dropped: Vec<String> = if broken.is_empty() {
        Vec::new()
    } else {
        let items = store::items(db, plan_id).await.map_err(err)?;
        instance.pinned.retain(|s| !broken.contains(s));
        items
            .iter()
            .filter(|i| i.pinned && broken.contains(&stint_of(i)))
            .map(|i| i.id.clone())
            .collect()
    };
    let options = Options {
        time_limit: Duration::from_secs(
            u64::try_from(plan.time_limit_seconds.clamp(1, 120)).unwrap_or(10),
        ),
        max_rounds,
        ..Options::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<shanhai_planner::Progress>();
    let handle = tokio::task::spawn_blocking(move || {
        let tx = tx;
        let greedy = shanhai_planner::greedy(&instance);
        let mut last: Option<Instant> = None;
        let solved = shanhai_planner::solve(&instance, &options, &mut |p| {
            if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                last = Some(Instant::now());
                let _ = tx.send(p);
            }
        });
        let explained = solved
            .as_ref()
            .ok()
            .map(|s| shanhai_planner::explain(&instance, s));
        (instance, greedy, solved, explained)
    });
    while let Some(p) = rx.recv().await {
        let progress = (p.fraction.clamp(0.0, 1.0) * 1000.0) as i64;
        store::set_progress(
            db,
            plan_id,
            progress,
            i64::try_from(p.objective).unwrap_or(i64::MAX),
            i64::try_from(p.bound).unwrap_or(i64::MAX),
        )
        .await
        .map_err(err)?;
    }
    let (instance, greedy, solved, explained) = handle.await.map_err(|e| e.to_string())?;
    let solution = solved.map_err(|violations| {
        format!(
            "锁定的派驻违反规则 (pinned proposals break a rule): {}",
            violations
                .iter()
                .map(|v| format!("{:?}", v.rule))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let stints = solution
        .stints
        .iter()
        .filter(|s| !instance.pinned.contains(s))
        .cloned()
        .collect();
    let outcome = store::Outcome {
        stints,
        dropped,
        objective: i64::try_from(solution.objective).unwrap_or(i64::MAX),
        bound: i64::try_from(solution.bound.max(solution.objective)).unwrap_or(i64::MAX),
        greedy_objective: i64::try_from(greedy.objective).unwrap_or(i64::MAX),
        explanations: explained.unwrap_or_default(),
        digest,
    };
    store::finish(db, actor, plan_id, &outcome)
        .await
        .map_err(err)
}

/// Starts a plan and solves it before answering (the demo: deterministic with `max_rounds`).
pub async fn plan_now(
    db: &Db,
    actor: &Actor,
    new: &NewPlan,
    max_rounds: Option<u64>,
) -> ServiceResult<Plan> {
    let plan = store::create_plan(db, actor, new).await?;
    if let Err(e) = solve(db, actor, &plan.id, max_rounds).await {
        store::fail(db, &plan.id, &e).await?;
    }
    Ok(store::get_plan(db, &plan.id).await?)
}

/// Accepts a plan for the demo loader (no caller to check; the same transaction and rules).
pub async fn accept_now(
    db: &Db,
    actor: &Actor,
    id: &str,
    acceptance: &NewAcceptance,
) -> ServiceResult<()> {
    match store::accept(db, actor, id, acceptance).await {
        Ok(_) => Ok(()),
        Err(store::AcceptError::State(key)) => Err(ServiceError::Conflict(key)),
        Err(store::AcceptError::Store(e)) => Err(e.into()),
        Err(store::AcceptError::Item { error, .. }) => Err(error.into()),
    }
}

/// Names for the pages: the needs and people of a plan by id (labels left to `word`).
pub async fn names(
    db: &Db,
    need_ids: &BTreeSet<String>,
    person_ids: &BTreeSet<String>,
) -> ServiceResult<(HashMap<String, NeedRef>, HashMap<String, ExpertRef>)> {
    Ok((
        store::need_refs(db, need_ids).await?,
        store::expert_refs(db, person_ids).await?,
    ))
}
