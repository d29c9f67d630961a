//! Teams (院士团队, 组团式 teams, specialty teams): their members and visits. A team's data
//! belongs to the institution it serves (else its home), under the capacity policy: whoever
//! reaches that institution reads the team, whoever may change its capacity records changes
//! the team (a program office under its own program only).

use crate::capacity::may_write;
use crate::{AccessFacts, Acting, ServiceResult};
use shanhai_domain::Problems;
use shanhai_domain::capacity::Scoped;
use shanhai_domain::teams::*;
use shanhai_store::teams::{self as store, TeamFilter};
use shanhai_store::{Db, Page, PageRequest};

/// The teams the filter selects, within the caller's reach.
pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &TeamFilter,
    page: PageRequest,
) -> ServiceResult<Page<Team>> {
    let reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(store::list(db, filter, &reach, page).await?)
}

/// A team as its page shows it: the team with members and visits, and whether the caller may
/// change it.
#[derive(Debug, Clone)]
pub struct TeamShown {
    pub detail: TeamDetail,
    pub may_write: bool,
}

/// A team with its members and visits, for whoever reaches the institution it serves.
pub async fn shown(db: &Db, who: &Acting, id: &str) -> ServiceResult<TeamShown> {
    let detail = store::detail(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    let inst = detail.team.institution_id();
    who.principal
        .may_read_capacity(facts.access(&who.principal, inst))?;
    let may_write = who
        .principal
        .may_write_capacity(facts.access(&who.principal, inst), detail.team.program_id())
        .is_ok();
    Ok(TeamShown { detail, may_write })
}

pub async fn get(db: &Db, who: &Acting, id: &str) -> ServiceResult<TeamDetail> {
    Ok(shown(db, who, id).await?.detail)
}

/// The team parsed with every problem at once: the input's own, then its references.
async fn parsed(db: &Db, input: &TeamInput) -> ServiceResult<NewTeam> {
    let new = input.parse()?;
    let refs = store::problems(db, &new).await?;
    if !refs.is_empty() {
        let mut p = Problems::new();
        for i in refs {
            p.push(i);
        }
        return Err(p.into());
    }
    Ok(new)
}

/// Forms a team (its leader its first member).
pub async fn create(db: &Db, who: &Acting, input: &TeamInput) -> ServiceResult<Team> {
    let new = parsed(db, input).await?;
    may_write(db, who, &new).await?;
    Ok(store::create(db, &who.actor, &new).await?)
}

/// The team, once the caller is found allowed to change it.
async fn writable(db: &Db, who: &Acting, id: &str) -> ServiceResult<Team> {
    let team = store::get(db, id).await?;
    may_write(db, who, &team).await?;
    Ok(team)
}

/// Changes a team; the caller must be allowed to change it before and after.
pub async fn update(db: &Db, who: &Acting, id: &str, input: &TeamInput) -> ServiceResult<Team> {
    writable(db, who, id).await?;
    let new = parsed(db, input).await?;
    may_write(db, who, &new).await?;
    Ok(store::update(db, &who.actor, id, &new).await?)
}

/// Removes a team with its members and visits (the audit log keeps them).
pub async fn delete(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    writable(db, who, id).await?;
    Ok(store::delete(db, &who.actor, id).await?)
}

pub async fn add_member(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &TeamMemberInput,
) -> ServiceResult<TeamMember> {
    writable(db, who, id).await?;
    let new = input.parse()?;
    Ok(store::add_member(db, &who.actor, id, &new).await?)
}

/// Changes a member's role or dates (the person is the one in the path).
pub async fn update_member(
    db: &Db,
    who: &Acting,
    id: &str,
    person: &str,
    input: &TeamMemberInput,
) -> ServiceResult<TeamMember> {
    writable(db, who, id).await?;
    let mut new = input.parse()?;
    new.person_id = person.to_string();
    Ok(store::update_member(db, &who.actor, id, &new).await?)
}

pub async fn remove_member(db: &Db, who: &Acting, id: &str, person: &str) -> ServiceResult<()> {
    writable(db, who, id).await?;
    Ok(store::remove_member(db, &who.actor, id, person).await?)
}

/// Records a visit of the team to its host (or another institution named).
pub async fn add_visit(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &TeamVisitInput,
) -> ServiceResult<TeamVisit> {
    writable(db, who, id).await?;
    let new = input.parse()?;
    Ok(store::add_visit(db, &who.actor, id, &new).await?)
}

pub async fn remove_visit(db: &Db, who: &Acting, id: &str, visit: &str) -> ServiceResult<()> {
    writable(db, who, id).await?;
    Ok(store::delete_visit(db, &who.actor, id, visit).await?)
}
