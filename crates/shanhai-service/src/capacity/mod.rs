//! Capacity building (C6), technology transfer (C7), specialty and management building (C8) and
//! resources (C9): one module per record kind with its use cases (list, read, create, change,
//! and what each adds to a record: an apprentice, a progress note, a technique's case or stage,
//! an alliance's member); the generic parts, over the store's [`Collection`], are here.
//!
//! Every record belongs to a local institution; the domain's access policy decides on it
//! ([`Principal::may_read_capacity`], [`Principal::may_write_capacity`]): whoever may change the
//! institution's data writes its records (a program office under its own program only), whoever
//! reaches the institution reads them.
//!
//! [`Principal::may_read_capacity`]: shanhai_domain::access::Principal::may_read_capacity
//! [`Principal::may_write_capacity`]: shanhai_domain::access::Principal::may_write_capacity

pub mod accreditation;
pub mod alliances;
pub mod equipment;
pub mod funding;
pub mod mentorships;
pub mod outreach;
pub mod placements;
pub mod regulations;
pub mod research;
pub mod specialty_projects;
pub mod teaching;
pub mod team_pairings;
pub mod techniques;
pub mod training;
pub mod training_kpis;
pub mod workstations;

use crate::{AccessFacts, Acting, ServiceResult};
use shanhai_domain::access::{Reach, Refusal};
use shanhai_domain::capacity::{CapacitySummary, Scoped};
use shanhai_domain::registry::{Department, Institution, Pairing, Person, Program};
use shanhai_store::capacity::{self as store, Collection};
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::pairings::{self, PairingFilter};
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::programs::{self, ProgramFilter};
use shanhai_store::{Db, Page, PageRequest};

pub use shanhai_store::capacity::CapacityFilter;
pub use training::{
    cme_enrolments, department_changes, lecture_series, patient_returns, scheme_members,
    training_schemes,
};

/// An input that parses into what a collection stores.
pub trait Parse {
    type New;
    fn parse(&self) -> Result<Self::New, shanhai_domain::Problems>;
}

/// `Parse` for inputs whose own `parse` gives the collection's new record.
macro_rules! parse_into {
    ($input:ty => $new:ty) => {
        impl $crate::capacity::Parse for $input {
            type New = $new;
            fn parse(&self) -> Result<$new, shanhai_domain::Problems> {
                <$input>::parse(self)
            }
        }
    };
}

/// The use cases of a collection that behaves like every other: `list`, `get`, `create` and
/// `update`, for the collection `$t` of `$record`s written from `$input`.
macro_rules! plain_collection {
    ($t:ty, $input:ty, $record:ty) => {
        /// The records the filters select, within the acting principal's reach.
        pub async fn list(
            db: &shanhai_store::Db,
            who: &$crate::Acting,
            filter: &$crate::capacity::CapacityFilter,
            page: shanhai_store::PageRequest,
        ) -> $crate::ServiceResult<shanhai_store::Page<$record>> {
            $crate::capacity::list::<$t>(db, who, filter, page).await
        }

        /// One record, for whoever reaches its institution.
        pub async fn get(
            db: &shanhai_store::Db,
            who: &$crate::Acting,
            id: &str,
        ) -> $crate::ServiceResult<$record> {
            $crate::capacity::get::<$t>(db, who, id).await
        }

        /// Creates a record, for whoever may change its institution's data.
        pub async fn create(
            db: &shanhai_store::Db,
            who: &$crate::Acting,
            input: &$input,
        ) -> $crate::ServiceResult<$record> {
            $crate::capacity::create::<$t, $input>(db, who, input).await
        }

        /// Changes a record; the caller must be allowed to write it before and after.
        pub async fn update(
            db: &shanhai_store::Db,
            who: &$crate::Acting,
            id: &str,
            input: &$input,
        ) -> $crate::ServiceResult<$record> {
            $crate::capacity::update::<$t, $input>(db, who, id, input).await
        }
    };
}

pub(crate) use {parse_into, plain_collection};

/// A record as the acting principal sees it on its page, with whether they may change it.
#[derive(Debug, Clone)]
pub struct Shown<T> {
    pub detail: T,
    pub may_write: bool,
}

fn writes(facts: &AccessFacts, who: &Acting, record: &impl Scoped) -> Result<(), Refusal> {
    who.principal.may_write_capacity(
        facts.access(&who.principal, record.institution_id()),
        record.program_id(),
    )
}

fn reads(facts: &AccessFacts, who: &Acting, record: &impl Scoped) -> Result<(), Refusal> {
    who.principal
        .may_read_capacity(facts.access(&who.principal, record.institution_id()))
}

/// Refuses unless the acting principal may create or change `record`.
pub async fn may_write(db: &Db, who: &Acting, record: &impl Scoped) -> ServiceResult<()> {
    Ok(writes(&AccessFacts::load(db).await?, who, record)?)
}

/// Refuses unless the acting principal reaches `record`'s institution; answers whether they
/// may also change it.
async fn check_read(db: &Db, who: &Acting, record: &impl Scoped) -> ServiceResult<bool> {
    let facts = AccessFacts::load(db).await?;
    reads(&facts, who, record)?;
    Ok(writes(&facts, who, record).is_ok())
}

/// The records of a collection the filters select, within the acting principal's reach.
pub async fn list<T: Collection>(
    db: &Db,
    who: &Acting,
    filter: &CapacityFilter,
    page: PageRequest,
) -> ServiceResult<Page<T::Record>> {
    let reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(store::list::<T>(db, filter, &reach, page).await?)
}

/// One record, for whoever reaches its institution.
pub async fn get<T: Collection>(db: &Db, who: &Acting, id: &str) -> ServiceResult<T::Record>
where
    T::Record: Scoped,
{
    let record = store::get::<T>(db, id).await?;
    reads(&AccessFacts::load(db).await?, who, &record)?;
    Ok(record)
}

/// Parses the input, then refuses unless the caller may write the new record.
async fn parsed_for_writing<N: Scoped>(
    db: &Db,
    who: &Acting,
    input: &impl Parse<New = N>,
) -> ServiceResult<N> {
    let new = input.parse()?;
    may_write(db, who, &new).await?;
    Ok(new)
}

/// The change parsed, once the caller is found allowed to write the record before it and after
/// it (a record does not move to an institution they may not change).
async fn parsed_change<T: Collection>(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &impl Parse<New = T::New>,
) -> ServiceResult<T::New>
where
    T::Record: Scoped,
{
    let before = store::get::<T>(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    writes(&facts, who, &before)?;
    let new = input.parse()?;
    writes(&facts, who, &new)?;
    Ok(new)
}

/// A record as it is before something is added to it (a case, an apprentice, a member): it
/// must exist and the caller may write it.
async fn writable<T: Collection>(db: &Db, who: &Acting, id: &str) -> ServiceResult<T::Record>
where
    T::Record: Scoped,
{
    let record = store::get::<T>(db, id).await?;
    may_write(db, who, &record).await?;
    Ok(record)
}

/// Creates a record, for whoever may change its institution's data.
pub async fn create<T: Collection, I: Parse<New = T::New>>(
    db: &Db,
    who: &Acting,
    input: &I,
) -> ServiceResult<T::Record> {
    let new = parsed_for_writing(db, who, input).await?;
    Ok(store::create::<T>(db, &who.actor, &new).await?)
}

/// Changes a record; the caller must be allowed to write it before and after.
pub async fn update<T: Collection, I: Parse<New = T::New>>(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &I,
) -> ServiceResult<T::Record>
where
    T::Record: Scoped,
{
    let new = parsed_change::<T>(db, who, id, input).await?;
    Ok(store::update::<T>(db, &who.actor, id, &new).await?)
}

/// "What was built here" at one institution, for whoever reaches it.
pub async fn summary(
    db: &Db,
    who: &Acting,
    institution_id: &str,
) -> ServiceResult<CapacitySummary> {
    let facts = AccessFacts::load(db).await?;
    who.principal
        .may_read_capacity(facts.access(&who.principal, institution_id))?;
    Ok(store::summary(db, institution_id).await?)
}

/// The institutions the capacity pages offer the acting principal: every one (to name a donor
/// or a member), those they reach (to filter lists) and those whose data they may change (to
/// record something at).
#[derive(Debug, Clone)]
pub struct Scope {
    pub all: Vec<Institution>,
    pub readable: Vec<Institution>,
    pub writable: Vec<Institution>,
}

pub async fn scope(db: &Db, who: &Acting) -> ServiceResult<Scope> {
    let facts = AccessFacts::load(db).await?;
    let all = all_institutions(db).await?;
    let reach = facts.reach(&who.principal);
    let readable = all
        .iter()
        .filter(|i| reach.contains(&i.id))
        .cloned()
        .collect();
    let writable = all
        .iter()
        .filter(|i| facts.access(&who.principal, &i.id).can_write())
        .cloned()
        .collect();
    Ok(Scope {
        all,
        readable,
        writable,
    })
}

/// Every institution (the first page of the largest size).
async fn all_institutions(db: &Db) -> ServiceResult<Vec<Institution>> {
    Ok(
        institutions::list(db, &InstitutionFilter::default(), everything())
            .await?
            .items,
    )
}

/// Every program, for the lists' program filter.
pub async fn programs(db: &Db) -> ServiceResult<Vec<Program>> {
    Ok(programs::list(db, &ProgramFilter::default(), everything())
        .await?
        .items)
}

/// What a form offers to choose from when recording something at one local institution: its
/// programs, departments and staff, its pairings and the donor side's staff (the experts).
#[derive(Debug, Clone)]
pub struct Choices {
    pub programs: Vec<Program>,
    pub departments: Vec<Department>,
    pub locals: Vec<Person>,
    pub experts: Vec<Person>,
    pub pairings: Vec<Pairing>,
}

pub async fn choices(db: &Db, institution_id: &str) -> ServiceResult<Choices> {
    let id = institution_id.to_string();
    let programs = programs::list(
        db,
        &ProgramFilter {
            institution: Some(id.clone()),
            ..Default::default()
        },
        everything(),
    )
    .await?
    .items;
    let departments = departments::list(
        db,
        &DepartmentFilter {
            institution: Some(id.clone()),
            ..Default::default()
        },
        everything(),
    )
    .await?
    .items;
    let locals = people_at(db, &id).await?;
    let pairings = pairings::list(
        db,
        &PairingFilter {
            recipient: Some(id.clone()),
            ..Default::default()
        },
        everything(),
    )
    .await?
    .items;
    let mut experts = Vec::new();
    let mut donors: Vec<&str> = pairings.iter().map(|p| p.donor_id.as_str()).collect();
    donors.sort_unstable();
    donors.dedup();
    for d in donors {
        experts.extend(people_at(db, d).await?);
    }
    Ok(Choices {
        programs,
        departments,
        locals,
        experts,
        pairings,
    })
}

/// Everyone at an institution (every page of them: a donor hospital may have hundreds).
pub async fn people_at(db: &Db, institution: &str) -> ServiceResult<Vec<Person>> {
    let filter = PersonFilter {
        institution: Some(institution.to_string()),
        ..Default::default()
    };
    let mut out = Vec::new();
    for n in 1.. {
        let page = people::list(
            db,
            &filter,
            &Reach::All,
            PageRequest::new(Some(n), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let last = n >= page.pages();
        out.extend(page.items);
        if last || n >= 50 {
            break;
        }
    }
    Ok(out)
}

/// The first page of the largest size: every record of a small table.
fn everything() -> PageRequest {
    PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE))
}
