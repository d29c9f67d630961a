use shanhai_domain::access::{Access, PairingLink, Principal, ProgramFacts, Reach};
use shanhai_store::{Db, StoreError, pairings, programs};

/// What the access policy needs to know about pairings and programs, read once per use case
/// that needs it.
pub struct AccessFacts {
    pub links: Vec<PairingLink>,
    pub programs: Vec<ProgramFacts>,
}

impl AccessFacts {
    pub async fn load(db: &Db) -> Result<AccessFacts, StoreError> {
        Ok(AccessFacts {
            links: pairings::links(db).await?,
            programs: programs::facts(db).await?,
        })
    }

    pub fn reach(&self, p: &Principal) -> Reach {
        p.reach(&self.links, &self.programs)
    }

    pub fn access(&self, p: &Principal, institution_id: &str) -> Access {
        p.institution_access(institution_id, &self.links, &self.programs)
    }
}
