//! Availability posted for donor-side experts. Who may post and read it is the domain's rule
//! (`Principal::may_write_availability`): the expert's own coordinator, the expert themself,
//! the office of a program in which the expert's institution is a donor, the platform admin.
//! Every write marks the affected programs' open plans stale (in the store's transaction).

use crate::{AccessFacts, Acting, ServiceError, ServiceResult, page_of};
use shanhai_domain::Invalid;
use shanhai_domain::planning::availability::{Availability, AvailabilityInput};
use shanhai_store::planning::availability::{self as store, AvailabilityFilter};
use shanhai_store::{Db, Page, PageRequest};

pub use shanhai_store::planning::availability::AvailabilityFilter as Filter;

fn may_read(facts: &AccessFacts, who: &Acting, a: &Availability) -> bool {
    who.principal
        .may_read_availability(
            &a.person_id,
            a.institution_id.as_deref().unwrap_or(""),
            who.person(),
            &facts.links,
        )
        .is_ok()
}

/// Every window the filter selects that the caller may read.
pub async fn all(
    db: &Db,
    who: &Acting,
    filter: &AvailabilityFilter,
) -> ServiceResult<Vec<Availability>> {
    let facts = AccessFacts::load(db).await?;
    Ok(store::list(db, filter)
        .await?
        .into_iter()
        .filter(|a| may_read(&facts, who, a))
        .collect())
}

/// One page of the windows the filter selects that the caller may read.
pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &AvailabilityFilter,
    page: PageRequest,
) -> ServiceResult<Page<Availability>> {
    Ok(page_of(all(db, who, filter).await?, page))
}

pub async fn get(db: &Db, who: &Acting, id: &str) -> ServiceResult<Availability> {
    let a = store::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    crate::allowed(may_read(&facts, who, &a))?;
    Ok(a)
}

/// Refuses unless the caller may post windows for the person (an unknown person is a problem
/// of the input's `person_id`).
pub async fn may_post_for(db: &Db, who: &Acting, person_id: &str) -> ServiceResult<()> {
    let Some(home) = store::home_of(db, person_id).await? else {
        return Err(Invalid::new("person_id", "error.unknown_person").into());
    };
    let facts = AccessFacts::load(db).await?;
    Ok(who
        .principal
        .may_write_availability(person_id, &home, who.person(), &facts.links)?)
}

/// Refuses unless the caller may change the window (asked before the input is read).
pub async fn may_change(db: &Db, who: &Acting, id: &str) -> ServiceResult<Availability> {
    let a = store::get(db, id).await?;
    match may_post_for(db, who, &a.person_id).await {
        Err(ServiceError::Invalid(_)) => Err(ServiceError::forbidden()),
        other => other.map(|()| a),
    }
}

pub async fn create(
    db: &Db,
    who: &Acting,
    input: &AvailabilityInput,
) -> ServiceResult<Availability> {
    let new = input.parse()?;
    may_post_for(db, who, &new.person_id).await?;
    Ok(store::create(db, &who.actor, &new).await?)
}

/// Changes a window; the caller must be allowed to write it before and after.
pub async fn update(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &AvailabilityInput,
) -> ServiceResult<Availability> {
    may_change(db, who, id).await?;
    let new = input.parse()?;
    may_post_for(db, who, &new.person_id).await?;
    Ok(store::update(db, &who.actor, id, &new).await?)
}

pub async fn delete(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    may_change(db, who, id).await?;
    Ok(store::delete(db, &who.actor, id).await?)
}
