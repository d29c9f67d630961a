//! New techniques and projects (新技术新项目): a technique recorded at a recipient, its case log
//! and its stages from introduction to independence; a "first in the region" claim that an
//! earlier record already filled is still recorded, naming the earlier record.

use super::{Choices, check_read, choices, parse_into, parsed_change, parsed_for_writing};
use crate::{Acting, ServiceResult};
use shanhai_domain::capacity::{
    NewTechnique, StageInput, Technique, TechniqueCase, TechniqueCaseInput, TechniqueDetail,
    TechniqueInput,
};
use shanhai_store::capacity::{self as store, CapacityFilter, EarlierTechnique, Techniques};
use shanhai_store::{Db, Page, PageRequest};

parse_into!(TechniqueInput => NewTechnique);

/// The techniques the filters select (`kind` filters the stage), within reach.
pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &CapacityFilter,
    page: PageRequest,
) -> ServiceResult<Page<Technique>> {
    super::list::<Techniques>(db, who, filter, page).await
}

/// Records a new technique at a recipient, at the `introduced` stage, with the earlier records
/// of the same technique in the area its gap claim covers (none when the claim holds).
pub async fn create(
    db: &Db,
    who: &Acting,
    input: &TechniqueInput,
) -> ServiceResult<(Technique, Vec<EarlierTechnique>)> {
    let new = parsed_for_writing(db, who, input).await?;
    Ok(store::create_technique(db, &who.actor, &new).await?)
}

/// Changes a technique's details (the stage changes only through [`change_stage`]), with the
/// earlier records its gap claim runs into.
pub async fn update(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &TechniqueInput,
) -> ServiceResult<(Technique, Vec<EarlierTechnique>)> {
    let new = parsed_change::<Techniques>(db, who, id, input).await?;
    Ok(store::update_technique(db, &who.actor, id, &new).await?)
}

/// A technique with its cases and its timeline from introduction to independence.
pub async fn get(db: &Db, who: &Acting, id: &str) -> ServiceResult<TechniqueDetail> {
    let detail = store::technique_detail(db, id).await?;
    check_read(db, who, &detail.technique).await?;
    Ok(detail)
}

/// Logs a case (date, operator, supervising expert, outcome; no patient identifiers).
pub async fn record_case(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &TechniqueCaseInput,
) -> ServiceResult<TechniqueCase> {
    super::writable::<Techniques>(db, who, id).await?;
    let new = input.parse()?;
    Ok(store::record_case(db, &who.actor, id, &new).await?)
}

/// Moves a technique to a later stage: introduced → demonstrated → supervised → independent.
/// Refused (conflict, nothing changes) backwards, and to `independent` before a case by local
/// staff. The date the stage was reached, when given, starts the stage change's note.
pub async fn change_stage(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &StageInput,
) -> ServiceResult<Technique> {
    super::writable::<Techniques>(db, who, id).await?;
    let (stage, on, note) = input.parse()?;
    let note = match (on, note) {
        (Some(on), Some(note)) => Some(format!("{on} {note}")),
        (Some(on), None) => Some(on.to_string()),
        (None, note) => note,
    };
    Ok(store::change_stage(db, &who.actor, id, stage, note).await?)
}

/// A technique's page: the technique, whether the viewer may change it (and then whom a case
/// may name), and the earlier records a gap claim ran into (`earlier`, ids given back by
/// [`create`]; ids that name no technique are left out).
#[derive(Debug, Clone)]
pub struct TechniqueShown {
    pub detail: TechniqueDetail,
    pub may_write: bool,
    /// The institution's staff and the donor side's, when the viewer may write.
    pub choices: Option<Choices>,
    pub earlier: Vec<EarlierTechnique>,
}

pub async fn shown(
    db: &Db,
    who: &Acting,
    id: &str,
    earlier: &[String],
) -> ServiceResult<TechniqueShown> {
    let detail = store::technique_detail(db, id).await?;
    let may_write = check_read(db, who, &detail.technique).await?;
    let mut found = Vec::new();
    for eid in earlier {
        if let Ok(other) = store::get::<Techniques>(db, eid).await {
            found.push(EarlierTechnique {
                technique_id: other.id.clone(),
                institution_name: other.institution_name.clone().unwrap_or_default(),
                introduced_on: other.introduced_on.clone(),
            });
        }
    }
    let choices = if may_write {
        Some(choices(db, &detail.technique.institution_id).await?)
    } else {
        None
    };
    Ok(TechniqueShown {
        detail,
        may_write,
        choices,
        earlier: found,
    })
}
