//! Needs posted for a recipient institution or department, and the program's planning rules.
//! Who may post and read them is the domain's rule (`Principal::may_write_need`,
//! `Principal::may_read_need`, `Principal::may_set_planning_rules`); every write marks the
//! program's open plans stale (the store does it in the write's transaction).

use crate::{AccessFacts, Acting, ServiceResult, page_of};
use shanhai_domain::planning::needs::{Need, NeedInput, PlanningRules, PlanningRulesInput};
use shanhai_store::planning::needs::{self as store, NeedFilter, Removal};
use shanhai_store::{Db, Page, PageRequest, programs};

pub use shanhai_store::planning::needs::{NeedFilter as Filter, Removal as Removed};

/// The needs the filter selects that the caller may read, one page.
pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &NeedFilter,
    page: PageRequest,
) -> ServiceResult<Page<Need>> {
    Ok(page_of(all(db, who, filter).await?, page))
}

/// Every need the filter selects that the caller may read (the board shows them all).
pub async fn all(db: &Db, who: &Acting, filter: &NeedFilter) -> ServiceResult<Vec<Need>> {
    let facts = AccessFacts::load(db).await?;
    Ok(store::list(db, filter)
        .await?
        .into_iter()
        .filter(|n| {
            who.principal
                .may_read_need(&n.program_id, &n.institution_id, &facts.links)
                .is_ok()
        })
        .collect())
}

/// One need, for whoever may read it.
pub async fn get(db: &Db, who: &Acting, id: &str) -> ServiceResult<Need> {
    let need = store::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    who.principal
        .may_read_need(&need.program_id, &need.institution_id, &facts.links)?;
    Ok(need)
}

/// Whether the caller may change or withdraw this need.
pub async fn may_change(db: &Db, who: &Acting, need: &Need) -> ServiceResult<bool> {
    let facts = AccessFacts::load(db).await?;
    Ok(who
        .principal
        .may_write_need(&need.program_id, &need.institution_id, &facts.links)
        .is_ok())
}

/// Refuses unless the caller may change the need (asked before the input is read).
pub async fn may_change_need(db: &Db, who: &Acting, id: &str) -> ServiceResult<Need> {
    let need = store::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    who.principal
        .may_write_need(&need.program_id, &need.institution_id, &facts.links)?;
    Ok(need)
}

/// Posts a need of a program at a recipient institution.
pub async fn create(db: &Db, who: &Acting, input: &NeedInput) -> ServiceResult<Need> {
    let new = input.parse()?;
    let facts = AccessFacts::load(db).await?;
    who.principal
        .may_write_need(&new.program_id, &new.institution_id, &facts.links)?;
    Ok(store::create(db, &who.actor, &new).await?)
}

/// Changes a need; the caller must be allowed to write it before and after.
pub async fn update(db: &Db, who: &Acting, id: &str, input: &NeedInput) -> ServiceResult<Need> {
    may_change_need(db, who, id).await?;
    let new = input.parse()?;
    let facts = AccessFacts::load(db).await?;
    who.principal
        .may_write_need(&new.program_id, &new.institution_id, &facts.links)?;
    Ok(store::update(db, &who.actor, id, &new).await?)
}

/// Removes a need: deleted when no plan names it, else withdrawn.
pub async fn remove(db: &Db, who: &Acting, id: &str) -> ServiceResult<Removal> {
    may_change_need(db, who, id).await?;
    Ok(store::remove(db, &who.actor, id).await?)
}

/// A program's planning rules (the defaults while it has set none), for anyone signed in.
pub async fn rules(db: &Db, program_id: &str) -> ServiceResult<PlanningRules> {
    programs::get(db, program_id).await?;
    Ok(store::rules(db, program_id).await?)
}

/// Sets a program's planning rules (its managers).
pub async fn set_rules(
    db: &Db,
    who: &Acting,
    program_id: &str,
    input: &PlanningRulesInput,
) -> ServiceResult<PlanningRules> {
    programs::get(db, program_id).await?;
    who.principal.may_set_planning_rules(program_id)?;
    let rules = input.parse(program_id)?;
    Ok(store::set_rules(db, &who.actor, &rules).await?)
}
