//! The demo's deployment plans (issue 19): for 豫哈 one plan of its open needs, solved and
//! accepted (its batch and assignments are ordinary ones on the roster and the calendar); for
//! another program one plan solved and left for the coordinator, which leaves a need uncovered
//! and says why. Solved synchronously and deterministically (a fixed number of rounds), after
//! the demo's needs and availability are in (the main load has committed).

use shanhai_domain::planning::plans::{LONGEST_HORIZON_DAYS, NewAcceptance, NewPlan, PlanStatus};
use shanhai_service::ServiceError;
use shanhai_service::planning::plans as service;
use shanhai_store::audit::Actor;
use shanhai_store::query::{self, opt_text};
use shanhai_store::{Db, Result, StoreError};
use std::collections::HashMap;

/// Improvement rounds of the demo's solves: the same plan on every load.
const ROUNDS: u64 = 60;

/// What the demo's plans came to.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// The accepted plan (豫哈) and its batch, when 豫哈 has open needs.
    pub accepted: Option<(String, String)>,
    /// The plan left done, and how many needs it leaves not fully covered.
    pub done: Option<(String, usize)>,
}

fn store(e: ServiceError) -> StoreError {
    match e {
        ServiceError::Store(e) => e,
        other => StoreError::Other(format!("demo plans: {other}")),
    }
}

/// The horizon of a program's open needs: their earliest start to their latest end (at most
/// the longest horizon a plan may span).
async fn horizon(
    db: &Db,
    program_id: &str,
) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>> {
    let row = query::sql_with(
        "SELECT MIN(start_date) AS s, MAX(end_date) AS e FROM needs \
         WHERE program_id = $1 AND status = 'open'"
            .into(),
        vec![program_id.into()],
    )
    .fetch_one(db.pool())
    .await?;
    let parse =
        |s: Option<String>| s.and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
    let (Some(start), Some(end)) = (parse(opt_text(&row, "s")?), parse(opt_text(&row, "e")?))
    else {
        return Ok(None);
    };
    let longest = start + chrono::Days::new(u64::try_from(LONGEST_HORIZON_DAYS - 1).unwrap_or(0));
    Ok(Some((start, end.min(longest))))
}

async fn plan(db: &Db, actor: &Actor, program_id: &str, name: &str) -> Result<Option<String>> {
    let Some((start, end)) = horizon(db, program_id).await? else {
        return Ok(None);
    };
    let new = NewPlan {
        program_id: program_id.to_string(),
        scheme_id: None,
        name: Some(name.to_string()),
        horizon_start: start,
        horizon_end: end,
        time_limit_seconds: 120,
    };
    let plan = service::plan_now(db, actor, &new, Some(ROUNDS))
        .await
        .map_err(store)?;
    if plan.status != PlanStatus::Done {
        tracing::warn!(
            program = program_id,
            "demo plan not solved: {:?}",
            plan.error
        );
        return Ok(None);
    }
    Ok(Some(plan.id))
}

/// Loads the demo's plans; `programs` maps the registry's program keys to ids.
pub async fn load(db: &Db, programs: &HashMap<String, String>) -> Result<Summary> {
    let actor = Actor::system("demo");
    let mut summary = Summary::default();
    if let Some(yu_ha) = programs.get("yu-ha")
        && let Some(id) = plan(db, &actor, yu_ha, "豫哈下一批次（求解方案）").await?
    {
        let accepted = service::accept_now(
            db,
            &actor,
            &id,
            &NewAcceptance {
                batch_number: None,
                batch_name: Some("豫哈下一批次".into()),
            },
        )
        .await;
        match accepted {
            Ok(()) => {
                let plan = shanhai_store::planning::plans::get_plan(db, &id).await?;
                summary.accepted = plan.batch_id.map(|b| (id, b));
            }
            Err(e) => tracing::warn!("demo plan for 豫哈 not accepted: {e}"),
        }
    }
    // The other programs in a fixed order: the first plan that leaves a need uncovered stays.
    for key in ["hu-dian", "min-regional", "hu-meng", "jing-meng"] {
        let Some(program_id) = programs.get(key) else {
            continue;
        };
        let Some(id) = plan(db, &actor, program_id, "下一批次（求解方案）").await? else {
            continue;
        };
        let (_, explanations) = shanhai_store::planning::plans::solved_from(db, &id).await?;
        summary.done = Some((id, explanations.len()));
        if !explanations.is_empty() {
            break;
        }
    }
    Ok(summary)
}
