//! Importing a spreadsheet of records (people with their assignments, clinic sessions, teaching
//! activities, techniques…): the whole file is checked and either stored in one transaction or
//! refused with every problem named by row and column.

use crate::{Acting, ServiceError, ServiceResult};
use shanhai_domain::access::Principal;
use shanhai_domain::codes::Role;
use shanhai_import::{NoProgress, Outcome, Upload, Who};
use shanhai_store::Db;

/// Coordinators, program offices and the platform admin import; rows are then checked one by
/// one against what the caller may write.
pub fn may_import(p: &Principal) -> bool {
    matches!(
        p.role,
        Role::PlatformAdmin | Role::ProgramOffice | Role::Coordinator
    )
}

/// Refuses a caller who may not import at all (asked before the file is received).
pub fn may_start(who: &Acting) -> ServiceResult<()> {
    crate::allowed(may_import(&who.principal))
}

/// Imports (or with `dry_run` only checks) a file of `kind` for a signed-in user; an unknown
/// kind names nothing (404).
pub async fn import(
    db: &Db,
    who: &Acting,
    kind: &str,
    upload: Upload<'_>,
    dry_run: bool,
) -> ServiceResult<Outcome> {
    may_start(who)?;
    shanhai_import::import(
        db,
        kind,
        &who.actor,
        Who::User(who.principal.clone()),
        upload,
        dry_run,
        &NoProgress,
    )
    .await?
    .ok_or(ServiceError::NotFound)
}
