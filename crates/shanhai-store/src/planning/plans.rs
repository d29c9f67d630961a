//! Plans: a solve's proposals, explanations and acceptance.
//!
//! The store keeps plans and their items, reads the solver's [`Instance`] for a plan (reads
//! only: the solve itself holds no transaction), writes a solve's progress and outcome in short
//! statements, and turns an accepted plan into a batch and its assignments in one transaction.

use crate::audit::{self, Action, Actor};
use crate::dispatch::{create_assignment_on, create_batch_on};
use crate::query::{
    self, Arg, Filter, Page, PageRequest, fetch_page, int, opt_int, opt_text, text,
};
use crate::{Db, Result, StoreError};
use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use shanhai_domain::codes::Title;
use shanhai_domain::dispatch::{AssignmentMode, Batch, NewAssignment, NewBatch, Post, Weekdays};
use shanhai_domain::planning::plans::*;
use shanhai_planner::{
    Expert, Explanation, Instance, Need, Period, Rules, Stint, TeamPart, TeamRole, Window,
};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const PLAN_SELECT: &str = "pl.*, pr.name AS program_name, s.name AS scheme_name, \
    b.number AS batch_number, \
    (SELECT COUNT(*) FROM plan_items it WHERE it.plan_id = pl.id) AS item_count";
const PLAN_FROM: &str = "plans pl JOIN programs pr ON pr.id = pl.program_id \
    LEFT JOIN dispatch_schemes s ON s.id = pl.scheme_id LEFT JOIN batches b ON b.id = pl.batch_id";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn decode_plan(row: &AnyRow) -> Result<Plan> {
    Ok(Plan {
        id: text(row, "id")?,
        program_id: text(row, "program_id")?,
        program_name: opt_text(row, "program_name")?,
        scheme_id: opt_text(row, "scheme_id")?,
        scheme_name: opt_text(row, "scheme_name")?,
        name: opt_text(row, "name")?,
        horizon_start: text(row, "horizon_start")?,
        horizon_end: text(row, "horizon_end")?,
        status: query::code(row, "status", PlanStatus::parse)?,
        time_limit_seconds: int(row, "time_limit_seconds")?,
        progress: int(row, "progress")?,
        objective: opt_int(row, "objective")?,
        bound: opt_int(row, "bound")?,
        greedy_objective: opt_int(row, "greedy_objective")?,
        error: opt_text(row, "error")?,
        stale: int(row, "stale")? != 0,
        batch_id: opt_text(row, "batch_id")?,
        batch_number: opt_int(row, "batch_number")?,
        item_count: int(row, "item_count")?,
        created_by: opt_text(row, "created_by")?,
        started_at: opt_text(row, "started_at")?,
        finished_at: opt_text(row, "finished_at")?,
        accepted_at: opt_text(row, "accepted_at")?,
        accepted_by: opt_text(row, "accepted_by")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

pub async fn get_plan_on(conn: &mut AnyConnection, id: &str) -> Result<Plan> {
    let row = query::sql_with(
        format!("SELECT {PLAN_SELECT} FROM {PLAN_FROM} WHERE pl.id = $1"),
        vec![id.into()],
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    decode_plan(&row)
}

pub async fn get_plan(db: &Db, id: &str) -> Result<Plan> {
    get_plan_on(&mut *db.pool().acquire().await?, id).await
}

/// The stored digest of what the plan was last solved from, and its explanations (the
/// solver's, by id).
pub async fn solved_from(db: &Db, id: &str) -> Result<(Option<String>, Vec<Explanation>)> {
    let row = query::sql_with(
        "SELECT instance_digest, explanations FROM plans WHERE id = $1".into(),
        vec![id.into()],
    )
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound)?;
    let explanations =
        query::opt_json::<Vec<Explanation>>(&row, "explanations")?.unwrap_or_default();
    Ok((opt_text(&row, "instance_digest")?, explanations))
}

/// Inserts a plan (status queued) and audits it.
pub async fn create_plan(db: &Db, actor: &Actor, new: &NewPlan) -> Result<Plan> {
    if let Some(scheme) = &new.scheme_id {
        let s = crate::dispatch::get_scheme(db, scheme).await;
        match s {
            Ok(s) if s.program_id == new.program_id => {}
            Ok(_) => {
                return Err(shanhai_domain::Invalid::new(
                    "scheme_id",
                    "error.scheme_other_program",
                )
                .into());
            }
            Err(StoreError::NotFound) => {
                return Err(
                    shanhai_domain::Invalid::new("scheme_id", "error.unknown_scheme").into(),
                );
            }
            Err(e) => return Err(e),
        }
    }
    let mut tx = db.begin_write().await?;
    crate::programs::require(&mut tx, "program_id", &new.program_id).await?;
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "plans",
            &[
                "id",
                "program_id",
                "scheme_id",
                "name",
                "horizon_start",
                "horizon_end",
                "status",
                "time_limit_seconds",
                "created_by",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            new.program_id.clone().into(),
            new.scheme_id.clone().into(),
            new.name.clone().into(),
            new.horizon_start.to_string().into(),
            new.horizon_end.to_string().into(),
            PlanStatus::Queued.code().into(),
            new.time_limit_seconds.into(),
            actor.user_id.clone().into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    let created = get_plan_on(&mut tx, &id).await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Create,
        "plan",
        &id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

#[derive(Debug, Default, Clone)]
pub struct PlanFilter {
    pub program: Option<String>,
    /// Only plans of these programs (the caller's readable ones); `None`: all.
    pub programs: Option<BTreeSet<String>>,
}

pub async fn list_plans(db: &Db, f: &PlanFilter, page: PageRequest) -> Result<Page<Plan>> {
    let mut filter = Filter::default();
    filter.eq("pl.program_id", f.program.as_deref());
    if let Some(set) = &f.programs {
        filter.within("pl.program_id", set);
    }
    fetch_page(
        db.pool(),
        PLAN_SELECT,
        PLAN_FROM,
        &filter,
        "pl.created_at DESC, pl.id",
        page,
        decode_plan,
    )
    .await
}

// ---- items ----

const ITEM_SELECT: &str = "it.*, n.institution_id AS institution_id, i.name AS institution_name, \
    n.department_id AS department_id, d.name AS department_name, n.specialty_code AS specialty_code, \
    n.post AS post, n.mode AS mode, n.priority AS priority, p.name AS person_name, \
    p.title AS person_title, hi.name AS home_institution_name";
const ITEM_FROM: &str = "plan_items it JOIN needs n ON n.id = it.need_id \
    JOIN institutions i ON i.id = n.institution_id LEFT JOIN departments d ON d.id = n.department_id \
    JOIN people p ON p.id = it.person_id LEFT JOIN institutions hi ON hi.id = p.institution_id";

fn decode_item(row: &AnyRow) -> Result<PlanItem> {
    let start = text(row, "start_date")?;
    let end = text(row, "end_date")?;
    Ok(PlanItem {
        id: text(row, "id")?,
        plan_id: text(row, "plan_id")?,
        need_id: text(row, "need_id")?,
        need_label: String::new(),
        institution_id: text(row, "institution_id")?,
        institution_name: text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        department_name: opt_text(row, "department_name")?,
        specialty_code: text(row, "specialty_code")?,
        post: query::opt_code(row, "post", Post::parse)?,
        mode: query::opt_code(row, "mode", AssignmentMode::parse)?,
        priority: int(row, "priority")?,
        person_id: text(row, "person_id")?,
        person_name: text(row, "person_name")?,
        person_title: query::opt_code(row, "person_title", Title::parse)?,
        home_institution_name: opt_text(row, "home_institution_name")?,
        days: (date(&end) - date(&start)).num_days() + 1,
        start_date: start,
        end_date: end,
        pinned: int(row, "pinned")? != 0,
        assignment_id: opt_text(row, "assignment_id")?,
    })
}

pub async fn items_on(conn: &mut AnyConnection, plan_id: &str) -> Result<Vec<PlanItem>> {
    let rows = query::sql_with(
        format!(
            "SELECT {ITEM_SELECT} FROM {ITEM_FROM} WHERE it.plan_id = $1 \
             ORDER BY i.name, it.start_date, p.name, it.id"
        ),
        vec![plan_id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(decode_item).collect()
}

pub async fn items(db: &Db, plan_id: &str) -> Result<Vec<PlanItem>> {
    items_on(&mut *db.pool().acquire().await?, plan_id).await
}

pub async fn get_item_on(conn: &mut AnyConnection, plan_id: &str, id: &str) -> Result<PlanItem> {
    let row = query::sql_with(
        format!("SELECT {ITEM_SELECT} FROM {ITEM_FROM} WHERE it.plan_id = $1 AND it.id = $2"),
        vec![plan_id.into(), id.into()],
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    decode_item(&row)
}

pub async fn get_item(db: &Db, plan_id: &str, id: &str) -> Result<PlanItem> {
    get_item_on(&mut *db.pool().acquire().await?, plan_id, id).await
}

/// Adds a proposal (audited).
pub async fn add_item(
    db: &Db,
    actor: &Actor,
    plan_id: &str,
    stint: &Stint,
    pinned: bool,
) -> Result<PlanItem> {
    let mut tx = db.begin_write().await?;
    let id = insert_item(&mut tx, plan_id, stint, pinned).await?;
    let created = get_item_on(&mut tx, plan_id, &id).await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Create,
        "plan_item",
        &id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

async fn insert_item(
    conn: &mut AnyConnection,
    plan_id: &str,
    stint: &Stint,
    pinned: bool,
) -> Result<String> {
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "plan_items",
            &[
                "id",
                "plan_id",
                "need_id",
                "person_id",
                "start_date",
                "end_date",
                "pinned",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            plan_id.into(),
            stint.need_id.clone().into(),
            stint.expert_id.clone().into(),
            stint.period.start.to_string().into(),
            stint.period.end.to_string().into(),
            i64::from(pinned).into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// One proposal's new expert, dates and pin (audited before and after).
#[derive(Debug, Clone)]
pub struct ItemUpdate {
    pub id: String,
    pub person_id: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub pinned: bool,
}

/// Changes proposals of a plan together (a move, a pin, a swap), in one transaction.
pub async fn update_items(
    db: &Db,
    actor: &Actor,
    plan_id: &str,
    updates: &[ItemUpdate],
) -> Result<Vec<PlanItem>> {
    let mut tx = db.begin_write().await?;
    let mut out = Vec::new();
    for u in updates {
        let before = get_item_on(&mut tx, plan_id, &u.id).await?;
        query::sql_with(
            "UPDATE plan_items SET person_id = $1, start_date = $2, end_date = $3, pinned = $4, \
             updated_at = $5 WHERE id = $6"
                .into(),
            vec![
                u.person_id.clone().into(),
                u.start.to_string().into(),
                u.end.to_string().into(),
                i64::from(u.pinned).into(),
                crate::now().into(),
                u.id.clone().into(),
            ],
        )
        .execute(&mut *tx)
        .await?;
        let after = get_item_on(&mut tx, plan_id, &u.id).await?;
        audit::record(
            &mut tx,
            actor,
            Action::Update,
            "plan_item",
            &u.id,
            Some(&before),
            Some(&after),
        )
        .await?;
        out.push(after);
    }
    tx.commit().await?;
    Ok(out)
}

/// Removes a proposal (audited).
pub async fn delete_item(db: &Db, actor: &Actor, plan_id: &str, id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = get_item_on(&mut tx, plan_id, id).await?;
    query::sql_with(
        "DELETE FROM plan_items WHERE id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *tx)
    .await?;
    audit::record::<_, ()>(
        &mut tx,
        actor,
        Action::Delete,
        "plan_item",
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---- the solve's writes ----

/// Puts a plan back in the queue for a re-solve, when it is done or failed; false when it is
/// queued, running or accepted already.
pub async fn requeue(db: &Db, id: &str) -> Result<bool> {
    let done = query::sql_with(
        "UPDATE plans SET status = 'queued', progress = 0, error = NULL, updated_at = $1 \
         WHERE id = $2 AND status IN ('done', 'failed')"
            .into(),
        vec![crate::now().into(), id.into()],
    )
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_running(db: &Db, id: &str) -> Result<()> {
    let now = crate::now();
    query::sql_with(
        "UPDATE plans SET status = 'running', progress = 0, started_at = $1, updated_at = $1 \
         WHERE id = $2"
            .into(),
        vec![now.into(), id.into()],
    )
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A solve's progress (thousandths), objective and bound so far.
pub async fn set_progress(
    db: &Db,
    id: &str,
    progress: i64,
    objective: i64,
    bound: i64,
) -> Result<()> {
    query::sql_with(
        "UPDATE plans SET progress = $1, objective = $2, bound = $3 WHERE id = $4 AND status = 'running'"
            .into(),
        vec![progress.clamp(0, 1000).into(), objective.into(), bound.into(), id.into()],
    )
    .execute(db.pool())
    .await?;
    Ok(())
}

/// What a finished solve writes.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The solver's stints that are not pinned (they replace the plan's non-pinned items).
    pub stints: Vec<Stint>,
    /// Pinned items that broke a rule (an expert's availability withdrawn…): they go.
    pub dropped: Vec<String>,
    pub objective: i64,
    pub bound: i64,
    pub greedy_objective: i64,
    pub explanations: Vec<Explanation>,
    pub digest: String,
}

/// Writes a finished solve in one short transaction: the non-pinned items replaced, the
/// explanations, the figures, status done; the plan's change audited.
pub async fn finish(db: &Db, actor: &Actor, id: &str, outcome: &Outcome) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = get_plan_on(&mut tx, id).await?;
    if before.status != PlanStatus::Running {
        // Accepted or failed meanwhile: the outcome is no longer wanted.
        return Ok(());
    }
    for item in &outcome.dropped {
        query::sql_with(
            "DELETE FROM plan_items WHERE id = $1 AND plan_id = $2".into(),
            vec![item.clone().into(), id.into()],
        )
        .execute(&mut *tx)
        .await?;
    }
    query::sql_with(
        "DELETE FROM plan_items WHERE plan_id = $1 AND pinned = 0".into(),
        vec![id.into()],
    )
    .execute(&mut *tx)
    .await?;
    for s in &outcome.stints {
        insert_item(&mut tx, id, s, false).await?;
    }
    let now = crate::now();
    query::sql_with(
        "UPDATE plans SET status = 'done', progress = 1000, objective = $1, bound = $2, \
         greedy_objective = $3, explanations = $4, instance_digest = $5, stale = 0, error = NULL, \
         finished_at = $6, updated_at = $6 WHERE id = $7"
            .into(),
        vec![
            outcome.objective.into(),
            outcome.bound.into(),
            outcome.greedy_objective.into(),
            query::json_arg(&outcome.explanations),
            outcome.digest.clone().into(),
            now.into(),
            id.into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    let after = get_plan_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "plan",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a solve failed with the reason.
pub async fn fail(db: &Db, id: &str, error: &str) -> Result<()> {
    let now = crate::now();
    query::sql_with(
        "UPDATE plans SET status = 'failed', error = $1, finished_at = $2, updated_at = $2 \
         WHERE id = $3 AND status IN ('queued', 'running')"
            .into(),
        vec![error.into(), now.into(), id.into()],
    )
    .execute(db.pool())
    .await?;
    Ok(())
}

/// At server start: plans left queued or running by a stopped server are failed with `error`.
pub async fn fail_unfinished(db: &Db, error: &str) -> Result<u64> {
    let now = crate::now();
    let done = query::sql_with(
        "UPDATE plans SET status = 'failed', error = $1, finished_at = $2, updated_at = $2 \
         WHERE status IN ('queued', 'running')"
            .into(),
        vec![error.into(), now.into()],
    )
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

// ---- the instance ----

/// A mode list as stored: a JSON array of codes, or codes separated by commas.
fn modes(raw: &str) -> Vec<AssignmentMode> {
    let codes: Vec<String> = serde_json::from_str(raw)
        .unwrap_or_else(|_| raw.split([',', ' ']).map(str::to_string).collect());
    codes
        .iter()
        .filter_map(|c| AssignmentMode::parse(c.trim()))
        .collect()
}

/// Weekdays as stored: a JSON array of ISO weekdays, or numbers separated by commas.
pub fn weekdays(raw: Option<&str>) -> Weekdays {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Weekdays::ALL;
    };
    let days: Vec<i64> = serde_json::from_str(raw).unwrap_or_else(|_| {
        raw.split([',', ' '])
            .filter_map(|d| d.trim().parse().ok())
            .collect()
    });
    match Weekdays::parse(&days) {
        Ok(w) if !w.is_empty() => w,
        _ => Weekdays::ALL,
    }
}

/// The solver's instance for a plan: the program's open needs (the plan's scheme's, when it
/// has one) overlapping the horizon; the experts with availability overlapping it whose home
/// institution is a donor of one of the program's pairings, and the people already in the
/// plan's items — with their windows, modes, longest stints, blackouts, and their existing
/// on-site assignments (any program) as busy; the program's rules (the defaults when it has
/// none); the plan's pinned items. Reads only.
pub async fn load_instance(db: &Db, plan: &Plan) -> Result<Instance> {
    let pool = db.pool();
    let (h_start, h_end) = (plan.horizon_start.clone(), plan.horizon_end.clone());
    let mut need_sql = "SELECT * FROM needs WHERE program_id = $1 AND status = 'open' \
        AND start_date <= $2 AND end_date >= $3"
        .to_string();
    let mut args: Vec<Arg> = vec![
        plan.program_id.clone().into(),
        h_end.clone().into(),
        h_start.clone().into(),
    ];
    if let Some(scheme) = &plan.scheme_id {
        need_sql.push_str(" AND scheme_id = $4");
        args.push(scheme.clone().into());
    }
    need_sql.push_str(" ORDER BY priority DESC, start_date, id");
    let rows = query::sql_with(need_sql, args).fetch_all(pool).await?;
    let mut needs = Vec::new();
    for row in &rows {
        let Some(mode) = query::opt_code(row, "mode", AssignmentMode::parse)? else {
            continue;
        };
        let institution_id = text(row, "institution_id")?;
        let team = match (opt_text(row, "team_name")?, opt_text(row, "team_role")?) {
            (Some(name), Some(role)) if !name.trim().is_empty() => Some(TeamPart {
                team: format!("{institution_id}/{}", name.trim()),
                role: if role == "leader" {
                    TeamRole::Leader
                } else {
                    TeamRole::Member
                },
            }),
            _ => None,
        };
        needs.push(Need {
            id: text(row, "id")?,
            institution_id,
            specialty: text(row, "specialty_code")?,
            mode,
            window: Period {
                start: date(&text(row, "start_date")?),
                end: date(&text(row, "end_date")?),
            },
            min_stay_days: u32::try_from(int(row, "min_stay_days")?.max(1)).unwrap_or(1),
            min_title: query::opt_code(row, "min_title", Title::parse)?,
            priority: u32::try_from(int(row, "priority")?.clamp(1, 5)).unwrap_or(1),
            team,
        });
    }

    let people = query::sql_with(
        "SELECT p.id, p.specialty_code, p.title, p.institution_id FROM people p \
         WHERE (p.id IN (SELECT a.person_id FROM availability a WHERE a.start_date <= $1 AND a.end_date >= $2) \
                AND p.institution_id IN (SELECT donor_id FROM pairings WHERE program_id = $3)) \
            OR p.id IN (SELECT person_id FROM plan_items WHERE plan_id = $4) \
         ORDER BY p.id"
            .into(),
        vec![
            h_end.clone().into(),
            h_start.clone().into(),
            plan.program_id.clone().into(),
            plan.id.clone().into(),
        ],
    )
    .fetch_all(pool)
    .await?;
    let mut experts: BTreeMap<String, Expert> = BTreeMap::new();
    for row in &people {
        let Some(title) = query::opt_code(row, "title", Title::parse)? else {
            continue;
        };
        let id = text(row, "id")?;
        experts.insert(
            id.clone(),
            Expert {
                id,
                specialty: opt_text(row, "specialty_code")?,
                title,
                home_institution_id: text(row, "institution_id")?,
                windows: Vec::new(),
                busy: Vec::new(),
            },
        );
    }
    if !experts.is_empty() {
        let mut filter = Filter::default();
        let ids: BTreeSet<String> = experts.keys().cloned().collect();
        filter.within("a.person_id", &ids);
        let rows = query::sql_with(
            format!(
                "SELECT a.* FROM availability a{} ORDER BY a.person_id, a.start_date, a.id",
                filter.sql()
            ),
            filter.args.clone(),
        )
        .fetch_all(pool)
        .await?;
        let mut by_id: HashMap<String, (String, usize)> = HashMap::new();
        for row in &rows {
            let person = text(row, "person_id")?;
            let Some(e) = experts.get_mut(&person) else {
                continue;
            };
            by_id.insert(text(row, "id")?, (person, e.windows.len()));
            e.windows.push(Window {
                period: Period {
                    start: date(&text(row, "start_date")?),
                    end: date(&text(row, "end_date")?),
                },
                modes: modes(&text(row, "modes")?),
                longest_stint_days: opt_int(row, "longest_stint_days")?
                    .and_then(|d| u32::try_from(d).ok())
                    .filter(|d| *d > 0),
                blackouts: Vec::new(),
            });
        }
        let rows = query::sql_with(
            format!(
                "SELECT bo.* FROM availability_blackouts bo JOIN availability a ON a.id = bo.availability_id{} \
                 ORDER BY bo.start_date, bo.id",
                filter.sql()
            ),
            filter.args.clone(),
        )
        .fetch_all(pool)
        .await?;
        for row in &rows {
            if let Some((person, i)) = by_id.get(&text(row, "availability_id")?)
                && let Some(w) = experts.get_mut(person).and_then(|e| e.windows.get_mut(*i))
            {
                w.blackouts.push(Period {
                    start: date(&text(row, "start_date")?),
                    end: date(&text(row, "end_date")?),
                });
            }
        }
        let rows = query::sql_with(
            format!(
                "SELECT a.person_id, a.mode, a.start_date, a.end_date FROM assignments a{} \
                 ORDER BY a.person_id, a.start_date, a.id",
                filter.sql()
            ),
            filter.args.clone(),
        )
        .fetch_all(pool)
        .await?;
        for row in &rows {
            let on_site = query::opt_code(row, "mode", AssignmentMode::parse)?
                .is_some_and(AssignmentMode::on_site);
            if let (true, Some(e)) = (on_site, experts.get_mut(&text(row, "person_id")?)) {
                e.busy.push(Period {
                    start: date(&text(row, "start_date")?),
                    end: date(&text(row, "end_date")?),
                });
            }
        }
    }

    let set = super::needs::rules(db, &plan.program_id).await?;
    let rules = Rules {
        rest_days: u32::try_from(set.rest_days.max(0)).unwrap_or(0),
        check_title: set.check_title,
        team_within_leader: set.team_within_leader,
        split_needs: set.split_needs,
    };

    let rows = query::sql_with(
        "SELECT need_id, person_id, start_date, end_date FROM plan_items \
         WHERE plan_id = $1 AND pinned = 1 ORDER BY start_date, id"
            .into(),
        vec![plan.id.clone().into()],
    )
    .fetch_all(pool)
    .await?;
    let pinned = rows
        .iter()
        .map(|row| {
            Ok(Stint {
                need_id: text(row, "need_id")?,
                expert_id: text(row, "person_id")?,
                period: Period {
                    start: date(&text(row, "start_date")?),
                    end: date(&text(row, "end_date")?),
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;

    Ok(Instance {
        horizon: Period {
            start: date(&h_start),
            end: date(&h_end),
        },
        rules,
        experts: experts.into_values().collect(),
        needs,
        pinned,
    })
}

/// A digest of what a plan is solved from — the needs, the experts' availability and existing
/// assignments, the rules — but not the plan's own pins (editing a plan does not make it stale).
pub fn instance_digest(instance: &Instance) -> String {
    #[derive(Serialize)]
    struct Inputs<'a> {
        horizon: &'a Period,
        rules: &'a Rules,
        needs: &'a [Need],
        experts: Vec<&'a Expert>,
    }
    // Experts without a window are there only because the plan names them.
    let inputs = Inputs {
        horizon: &instance.horizon,
        rules: &instance.rules,
        needs: &instance.needs,
        experts: instance
            .experts
            .iter()
            .filter(|e| !e.windows.is_empty())
            .collect(),
    };
    let json = serde_json::to_vec(&inputs).unwrap_or_default();
    hex::encode(Sha256::digest(&json))
}

// ---- names for the explanations ----

/// The needs named by id, for the explanations and the fits (labels left to `word`).
pub async fn need_refs(db: &Db, ids: &BTreeSet<String>) -> Result<HashMap<String, NeedRef>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut filter = Filter::default();
    filter.within("n.id", ids);
    let rows = query::sql_with(
        format!(
            "SELECT n.*, i.name AS institution_name, d.name AS department_name FROM needs n \
             JOIN institutions i ON i.id = n.institution_id LEFT JOIN departments d ON d.id = n.department_id{}",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = HashMap::new();
    for row in &rows {
        let r = NeedRef {
            id: text(row, "id")?,
            label: String::new(),
            institution_id: text(row, "institution_id")?,
            institution_name: text(row, "institution_name")?,
            department_name: opt_text(row, "department_name")?,
            post: query::opt_code(row, "post", Post::parse)?,
            mode: query::opt_code(row, "mode", AssignmentMode::parse)?,
            specialty_code: text(row, "specialty_code")?,
            min_title: query::opt_code(row, "min_title", Title::parse)?,
            priority: int(row, "priority")?,
            start_date: text(row, "start_date")?,
            end_date: text(row, "end_date")?,
            min_stay_days: int(row, "min_stay_days")?,
        };
        out.insert(r.id.clone(), r);
    }
    Ok(out)
}

/// People named by id, with title and home institution.
pub async fn expert_refs(db: &Db, ids: &BTreeSet<String>) -> Result<HashMap<String, ExpertRef>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut filter = Filter::default();
    filter.within("p.id", ids);
    let rows = query::sql_with(
        format!(
            "SELECT p.id, p.name, p.title, hi.name AS home_institution_name FROM people p \
             LEFT JOIN institutions hi ON hi.id = p.institution_id{}",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = HashMap::new();
    for row in &rows {
        let r = ExpertRef {
            id: text(row, "id")?,
            name: text(row, "name")?,
            title: query::opt_code(row, "title", Title::parse)?,
            home_institution_name: opt_text(row, "home_institution_name")?,
        };
        out.insert(r.id.clone(), r);
    }
    Ok(out)
}

// ---- acceptance ----

/// Why an acceptance failed: which item, and the rule it broke.
#[derive(Debug)]
pub enum AcceptError {
    Store(StoreError),
    /// The plan changed meanwhile (no longer done, or accepted).
    State(&'static str),
    /// An item could not become an assignment.
    Item {
        item_id: String,
        error: StoreError,
    },
}

impl From<StoreError> for AcceptError {
    fn from(e: StoreError) -> AcceptError {
        AcceptError::Store(e)
    }
}

impl From<sqlx::Error> for AcceptError {
    fn from(e: sqlx::Error) -> AcceptError {
        AcceptError::Store(e.into())
    }
}

/// Accepts a plan in one write transaction: the batch (the program's next free number unless
/// given; dates spanning the items), each item as an assignment through the same rules as a
/// hand-made one (post, mode, weekdays, institution and department from the need), the items'
/// assignments noted, the plan accepted — all audited; any failure rolls everything back.
pub async fn accept(
    db: &Db,
    actor: &Actor,
    id: &str,
    acceptance: &NewAcceptance,
) -> std::result::Result<(Plan, Batch), AcceptError> {
    let mut tx = db.begin_write().await?;
    let before = get_plan_on(&mut tx, id).await?;
    match before.status {
        PlanStatus::Done => {}
        PlanStatus::Accepted => return Err(AcceptError::State("error.plan_already_accepted")),
        _ => return Err(AcceptError::State("error.plan_not_done")),
    }
    let items = items_on(&mut tx, id).await?;
    let (Some(start), Some(end)) = (
        items.iter().map(|i| date(&i.start_date)).min(),
        items.iter().map(|i| date(&i.end_date)).max(),
    ) else {
        return Err(AcceptError::State("error.plan_empty"));
    };
    let number = match acceptance.batch_number {
        Some(n) => n,
        None => query::sql_with(
            "SELECT COALESCE(MAX(number), 0) + 1 AS n FROM batches WHERE program_id = $1".into(),
            vec![before.program_id.clone().into()],
        )
        .fetch_one(&mut *tx)
        .await
        .map(|r| int(&r, "n"))??,
    };
    let batch = create_batch_on(
        &mut tx,
        actor,
        &NewBatch {
            program_id: before.program_id.clone(),
            scheme_id: before.scheme_id.clone(),
            pairing_id: None,
            number,
            name: acceptance
                .batch_name
                .clone()
                .or_else(|| before.name.clone()),
            start_date: start,
            end_date: end,
        },
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => AcceptError::State("error.plan_batch_number_taken"),
        other => AcceptError::Store(other),
    })?;
    for item in &items {
        let raw_weekdays: Option<String> = query::sql_with(
            "SELECT weekdays FROM needs WHERE id = $1".into(),
            vec![item.need_id.clone().into()],
        )
        .fetch_one(&mut *tx)
        .await
        .map(|r| opt_text(&r, "weekdays"))??;
        let mode = item.mode.unwrap_or(AssignmentMode::Stationed);
        let new = NewAssignment {
            batch_id: batch.id.clone(),
            person_id: item.person_id.clone(),
            institution_id: item.institution_id.clone(),
            department_id: item.department_id.clone(),
            mode,
            post: item.post.unwrap_or(Post::TeamMember),
            weekdays: if mode == AssignmentMode::Weekly {
                weekdays(raw_weekdays.as_deref())
            } else {
                Weekdays::ALL
            },
            start_date: date(&item.start_date),
            end_date: date(&item.end_date),
        };
        let assignment = create_assignment_on(&mut tx, actor, &new)
            .await
            .map_err(|error| AcceptError::Item {
                item_id: item.id.clone(),
                error,
            })?;
        query::sql_with(
            "UPDATE plan_items SET assignment_id = $1, updated_at = $2 WHERE id = $3".into(),
            vec![
                assignment.id.into(),
                crate::now().into(),
                item.id.clone().into(),
            ],
        )
        .execute(&mut *tx)
        .await?;
    }
    let now = crate::now();
    query::sql_with(
        "UPDATE plans SET status = 'accepted', batch_id = $1, accepted_at = $2, accepted_by = $3, \
         updated_at = $2 WHERE id = $4"
            .into(),
        vec![
            batch.id.clone().into(),
            now.into(),
            actor.user_id.clone().into(),
            id.into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    let after = get_plan_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "plan",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    let batch = crate::record::get_on::<crate::dispatch::Batches>(&mut tx, &batch.id).await?;
    tx.commit().await?;
    Ok((after, batch))
}
