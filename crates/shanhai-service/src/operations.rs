//! The operations log (手术): list, read, log, change and remove an operation a dispatched expert
//! took part in. Access as for the capacity records — the local institution's side (its
//! coordinator, a donor with write access), the program office under its own program and the
//! platform admin write; whoever reaches the institution reads — and the dispatched expert logs
//! and changes their own operations ([`Principal::may_log_operation`]).
//!
//! [`Principal::may_log_operation`]: shanhai_domain::access::Principal::may_log_operation

use crate::{AccessFacts, Acting, ServiceResult};
use shanhai_domain::Problems;
use shanhai_domain::operations::{NewOperation, Operation, OperationInput};
use shanhai_store::operations::{self as store, OperationFilter};
use shanhai_store::{Db, Page, PageRequest};

/// The institutions a person was dispatched to (has an assignment at).
pub async fn dispatched_to(db: &Db, person: Option<&str>) -> ServiceResult<Vec<String>> {
    let Some(person) = person else {
        return Ok(Vec::new());
    };
    let rows = shanhai_store::query::sql_with(
        "SELECT DISTINCT institution_id FROM assignments WHERE person_id = $1".into(),
        vec![person.into()],
    )
    .fetch_all(db.pool())
    .await
    .map_err(shanhai_store::StoreError::from)?;
    rows.iter()
        .map(|r| Ok(shanhai_store::query::text(r, "institution_id")?))
        .collect()
}

/// Whether the person was dispatched to the institution (has an assignment there).
async fn dispatched_there(
    db: &Db,
    person: Option<&str>,
    institution_id: &str,
) -> ServiceResult<bool> {
    let Some(person) = person else {
        return Ok(false);
    };
    let row = shanhai_store::query::sql_with(
        "SELECT COUNT(*) AS n FROM assignments WHERE person_id = $1 AND institution_id = $2".into(),
        vec![person.into(), institution_id.into()],
    )
    .fetch_one(db.pool())
    .await
    .map_err(shanhai_store::StoreError::from)?;
    Ok(shanhai_store::query::int(&row, "n")? > 0)
}

async fn writes(
    db: &Db,
    facts: &AccessFacts,
    who: &Acting,
    institution_id: &str,
    program_id: Option<&str>,
    expert_id: &str,
) -> ServiceResult<()> {
    let own = who.person_id.as_deref() == Some(expert_id)
        && who.principal.role == shanhai_domain::codes::Role::Expert;
    let there = own && dispatched_there(db, who.person_id.as_deref(), institution_id).await?;
    Ok(who.principal.may_log_operation(
        facts.access(&who.principal, institution_id),
        program_id,
        expert_id,
        who.person_id.as_deref(),
        there,
    )?)
}

async fn writes_new(
    db: &Db,
    facts: &AccessFacts,
    who: &Acting,
    n: &NewOperation,
) -> ServiceResult<()> {
    writes(
        db,
        facts,
        who,
        &n.institution_id,
        n.program_id.as_deref(),
        &n.expert_id,
    )
    .await
}

async fn writes_old(
    db: &Db,
    facts: &AccessFacts,
    who: &Acting,
    o: &Operation,
) -> ServiceResult<()> {
    writes(
        db,
        facts,
        who,
        &o.institution_id,
        o.program_id.as_deref(),
        &o.expert_id,
    )
    .await
}

/// Parses the input and checks the records it names: every problem at once.
async fn parsed(db: &Db, input: &OperationInput) -> ServiceResult<NewOperation> {
    let new = input.parse(shanhai_store::today())?;
    let mut conn = db
        .pool()
        .acquire()
        .await
        .map_err(shanhai_store::StoreError::from)?;
    let found = store::problems(&mut conn, &new).await?;
    if !found.is_empty() {
        let mut problems = Problems::new();
        for f in found {
            problems.push(f);
        }
        return Err(problems.into());
    }
    Ok(new)
}

/// The operations the filters select, within the caller's reach.
pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &OperationFilter,
    page: PageRequest,
) -> ServiceResult<Page<Operation>> {
    // An expert reads the operations they took part in, wherever they were dispatched.
    if who.principal.role == shanhai_domain::codes::Role::Expert
        && let Some(me) = who.person_id.clone()
    {
        let mine = OperationFilter {
            person: Some(me),
            ..filter.clone()
        };
        return Ok(store::list(db, &mine, &shanhai_domain::access::Reach::All, page).await?);
    }
    let reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(store::list(db, filter, &reach, page).await?)
}

/// One operation, for whoever reaches its institution.
pub async fn get(db: &Db, who: &Acting, id: &str) -> ServiceResult<Operation> {
    Ok(shown(db, who, id).await?.0)
}

/// One operation and whether the caller may change it.
pub async fn shown(db: &Db, who: &Acting, id: &str) -> ServiceResult<(Operation, bool)> {
    let o = store::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    let took_part = who
        .person_id
        .as_deref()
        .is_some_and(|me| o.expert_id == me || o.local_operators.iter().any(|p| p.id == me));
    if !took_part {
        who.principal
            .may_read_capacity(facts.access(&who.principal, &o.institution_id))?;
    }
    let may_write = writes_old(db, &facts, who, &o).await.is_ok();
    Ok((o, may_write))
}

/// Whether the caller may log operations at all (a page offers the form only then).
pub fn may_log_any(who: &Acting) -> bool {
    use shanhai_domain::codes::Role;
    match who.principal.role {
        Role::Clinician => false,
        Role::Expert => who.person_id.is_some(),
        _ => true,
    }
}

/// Logs an operation.
pub async fn create(db: &Db, who: &Acting, input: &OperationInput) -> ServiceResult<Operation> {
    let new = input.parse(shanhai_store::today())?;
    writes_new(db, &AccessFacts::load(db).await?, who, &new).await?;
    let new = parsed(db, input).await?;
    Ok(store::create(db, &who.actor, &new).await?)
}

/// Changes an operation; the caller must be allowed to write it before and after.
pub async fn update(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &OperationInput,
) -> ServiceResult<Operation> {
    let before = store::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    writes_old(db, &facts, who, &before).await?;
    let new = input.parse(shanhai_store::today())?;
    writes_new(db, &facts, who, &new).await?;
    let new = parsed(db, input).await?;
    Ok(store::update(db, &who.actor, id, &new).await?)
}

/// Removes an operation logged by mistake.
pub async fn delete(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    let before = store::get(db, id).await?;
    writes_old(db, &AccessFacts::load(db).await?, who, &before).await?;
    Ok(store::delete(db, &who.actor, id).await?)
}

/// A technique's earliest operation (its 首例), for whoever reads the technique.
pub async fn first_of_technique(db: &Db, technique_id: &str) -> ServiceResult<Option<Operation>> {
    Ok(store::first_of_technique(db, technique_id).await?)
}
