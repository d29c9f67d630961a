//! Accounts: the platform admin lists and creates them.

use crate::{Acting, ServiceResult};
use shanhai_domain::accounts::{User, UserInput};
use shanhai_store::users::{self, UserFilter};
use shanhai_store::{Db, Page, PageRequest};

/// Refuses anyone but the platform admin.
pub fn may_administer(who: &Acting) -> ServiceResult<()> {
    crate::allowed(who.principal.is_admin())
}

pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &UserFilter,
    page: PageRequest,
) -> ServiceResult<Page<User>> {
    may_administer(who)?;
    Ok(users::list(db, filter, page).await?)
}

/// Creates an account (the password is hashed with argon2id by the store).
pub async fn create(db: &Db, who: &Acting, input: &UserInput) -> ServiceResult<User> {
    may_administer(who)?;
    let new = input.parse()?;
    Ok(users::create(db, &who.actor, &new).await?)
}
