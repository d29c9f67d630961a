//! Specialty alliances (专科联盟) led by an institution, and their member institutions.

use super::{check_read, parse_into, writable};
use crate::{Acting, ServiceResult};
use shanhai_domain::capacity::{
    Alliance, AllianceDetail, AllianceInput, AllianceMember, AllianceMemberInput, NewAlliance,
};
use shanhai_domain::registry::Institution;
use shanhai_store::capacity::{self as store, Alliances, CapacityFilter};
use shanhai_store::{Db, Page, PageRequest};

parse_into!(AllianceInput => NewAlliance);

/// The alliances the filters select, within reach.
pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &CapacityFilter,
    page: PageRequest,
) -> ServiceResult<Page<Alliance>> {
    super::list::<Alliances>(db, who, filter, page).await
}

/// Founds an alliance led by a local institution.
pub async fn create(db: &Db, who: &Acting, input: &AllianceInput) -> ServiceResult<Alliance> {
    super::create::<Alliances, _>(db, who, input).await
}

/// Changes an alliance.
pub async fn update(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &AllianceInput,
) -> ServiceResult<Alliance> {
    super::update::<Alliances, _>(db, who, id, input).await
}

/// An alliance with its member institutions.
pub async fn get(db: &Db, who: &Acting, id: &str) -> ServiceResult<AllianceDetail> {
    let detail = store::alliance_detail(db, id).await?;
    check_read(db, who, &detail.alliance).await?;
    Ok(detail)
}

/// Adds a member institution (those who may change the lead institution's data).
pub async fn add_member(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &AllianceMemberInput,
) -> ServiceResult<AllianceMember> {
    writable::<Alliances>(db, who, id).await?;
    let (institution_id, joined_on) = input.parse()?;
    Ok(store::add_member(db, &who.actor, id, &institution_id, joined_on).await?)
}

/// An alliance's page: the alliance, whether the viewer may change it, and the institutions
/// that could join (neither the lead nor a member yet).
#[derive(Debug, Clone)]
pub struct AllianceShown {
    pub detail: AllianceDetail,
    pub may_write: bool,
    pub candidates: Vec<Institution>,
}

pub async fn shown(db: &Db, who: &Acting, id: &str) -> ServiceResult<AllianceShown> {
    let detail = store::alliance_detail(db, id).await?;
    let may_write = check_read(db, who, &detail.alliance).await?;
    let lead = &detail.alliance.institution_id;
    let candidates = super::all_institutions(db)
        .await?
        .into_iter()
        .filter(|i| &i.id != lead)
        .filter(|i| !detail.members.iter().any(|m| m.institution_id == i.id))
        .collect();
    Ok(AllianceShown {
        detail,
        may_write,
        candidates,
    })
}
