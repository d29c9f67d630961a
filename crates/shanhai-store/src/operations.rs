//! The operations log (手术): one row per operation a dispatched expert took part in, with its
//! local operators in `operation_local_operators`. Every write is audited with the operators
//! it names; the roll-up triggers count the rows (rules `operations` and `operations-grade`).

use crate::audit::{self, Action, Actor};
use crate::query::{self, Arg, Filter, Page, PageRequest, fetch_page, text};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, StoreError, departments, institutions, people, programs};
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::operations::*;
use sqlx::AnyConnection;
use std::collections::HashMap;

pub struct Operations;

impl Table for Operations {
    type Record = Operation;
    const TABLE: &'static str = "operations";
    const ENTITY: &'static str = "operation";
    const SELECT: &'static str = "t.*, i.name AS institution_name, d.name AS department_name, \
        e.name AS expert_name, e.title AS expert_title, ei.name AS expert_institution_name, \
        q.name AS technique_name, CAST(CASE WHEN t.technique_id IS NOT NULL AND NOT EXISTS (\
        SELECT 1 FROM operations o2 WHERE o2.technique_id = t.technique_id \
        AND (o2.performed_on < t.performed_on OR (o2.performed_on = t.performed_on AND o2.id < t.id))) \
        THEN 1 ELSE 0 END AS BIGINT) AS first_of_technique";
    const FROM: &'static str = "operations t JOIN institutions i ON i.id = t.institution_id \
        LEFT JOIN departments d ON d.id = t.department_id \
        LEFT JOIN people e ON e.id = t.expert_id \
        LEFT JOIN institutions ei ON ei.id = e.institution_id \
        LEFT JOIN techniques q ON q.id = t.technique_id";
    const ID: &'static str = "t.id";
    const CONFLICT: &'static str = "error.conflict";
}

row! {
    read Operation(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        department_name: opt_text,
        assignment_id: opt_text,
        expert_id: text,
        expert_name: opt_text,
        expert_title: opt_text,
        expert_institution_name: opt_text,
        performed_on: text,
        procedure_name: text,
        procedure_code: opt_text,
        grade: int,
        expert_role: code(ExpertRole::parse),
        minimally_invasive: bool,
        technique_id: opt_text,
        technique_name: opt_text,
        first_of_technique: bool,
        outcome: code(OperationOutcome::parse),
        local_operators: { Vec::new() },
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewOperation(n) {
        program_id: clone,
        institution_id: clone,
        department_id: clone,
        assignment_id: clone,
        expert_id: clone,
        performed_on: { shanhai_domain::validate::iso_date(n.performed_on).into() },
        procedure_name: clone,
        procedure_code: clone,
        grade: copy,
        expert_role: code,
        minimally_invasive: bool,
        technique_id: clone,
        outcome: code,
        note: clone,
    }
}

/// The filters of the operations list.
#[derive(Debug, Default, Clone)]
pub struct OperationFilter {
    pub program: Option<String>,
    pub institution: Option<String>,
    /// Institutions in this GB/T 2260 region or below.
    pub region: Option<String>,
    /// The dispatched expert (a person).
    pub expert: Option<String>,
    /// Operations naming this person as the expert or a local operator.
    pub person: Option<String>,
    pub technique: Option<String>,
    /// `operated`, `guided`, `demonstration`, `remote-guidance`.
    pub role: Option<String>,
    pub grade: Option<i64>,
    pub minimally_invasive: Option<bool>,
    /// Procedure name or code, expert's name.
    pub q: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
}

fn filter_for(f: &OperationFilter, reach: &Reach) -> Filter {
    let mut filter = Filter::default();
    filter
        .eq("t.program_id", f.program.as_deref())
        .eq("t.institution_id", f.institution.as_deref())
        .in_region("i.region_code", f.region.as_deref())
        .eq("t.expert_id", f.expert.as_deref())
        .eq("t.technique_id", f.technique.as_deref())
        .eq("t.expert_role", f.role.as_deref())
        .search(
            &["t.procedure_name", "t.procedure_code", "e.name"],
            f.q.as_deref(),
        );
    if let Some(p) = f.person.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        filter.raw_each(
            "(t.expert_id = {} OR t.id IN (SELECT l.operation_id FROM operation_local_operators l \
             WHERE l.person_id = {}))",
            vec![p.into(), p.into()],
        );
    }
    if let Some(g) = f.grade {
        filter.raw("t.grade = {}", g.into());
    }
    if let Some(m) = f.minimally_invasive {
        filter.raw("t.minimally_invasive = {}", i64::from(m).into());
    }
    if let Some(d) = f.from.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        filter.raw("t.performed_on >= {}", d.into());
    }
    if let Some(d) = f.until.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        filter.raw("t.performed_on <= {}", d.into());
    }
    institutions::reach_filter(&mut filter, "t.institution_id", reach);
    filter
}

/// Fills in the local operators of the operations read.
async fn with_operators(conn: &mut AnyConnection, items: &mut [Operation]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let marks: Vec<String> = (1..=items.len()).map(|n| format!("${n}")).collect();
    let args: Vec<Arg> = items.iter().map(|o| o.id.clone().into()).collect();
    let rows = query::sql_with(
        format!(
            "SELECT l.operation_id, p.id, p.name, p.title FROM operation_local_operators l \
             JOIN people p ON p.id = l.person_id WHERE l.operation_id IN ({}) ORDER BY p.name, p.id",
            marks.join(", ")
        ),
        args,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut by_op: HashMap<String, Vec<OperationPerson>> = HashMap::new();
    for r in &rows {
        by_op
            .entry(text(r, "operation_id")?)
            .or_default()
            .push(OperationPerson {
                id: text(r, "id")?,
                name: text(r, "name")?,
                title: text(r, "title")?,
            });
    }
    for o in items.iter_mut() {
        o.local_operators = by_op.remove(&o.id).unwrap_or_default();
    }
    Ok(())
}

pub async fn list(
    db: &Db,
    f: &OperationFilter,
    reach: &Reach,
    page: PageRequest,
) -> Result<Page<Operation>> {
    let mut page = fetch_page(
        db.pool(),
        Operations::SELECT,
        Operations::FROM,
        &filter_for(f, reach),
        "t.performed_on DESC, t.id",
        page,
        Operation::decode,
    )
    .await?;
    with_operators(&mut *db.pool().acquire().await?, &mut page.items).await?;
    Ok(page)
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Operation> {
    let mut one = [record::get_on::<Operations>(conn, id).await?];
    with_operators(conn, &mut one).await?;
    let [o] = one;
    Ok(o)
}

pub async fn get(db: &Db, id: &str) -> Result<Operation> {
    get_on(&mut *db.pool().acquire().await?, id).await
}

/// What is wrong with the records an operation names, every problem at once: its program,
/// institution, department (of the institution), expert, the expert's assignment, the technique
/// (of the institution) and the local operators (people of the institution).
pub async fn problems(conn: &mut AnyConnection, n: &NewOperation) -> Result<Vec<Invalid>> {
    let mut found = Vec::new();
    let mut note = |r: Result<()>| -> Result<()> {
        match r {
            Err(StoreError::Invalid(i)) => {
                found.push(i);
                Ok(())
            }
            Err(StoreError::NotFound) => Ok(()),
            other => other,
        }
    };
    if let Some(p) = &n.program_id {
        note(programs::require(conn, "program_id", p).await.map(|_| ()))?;
    }
    note(
        institutions::require(conn, "institution_id", &n.institution_id)
            .await
            .map(|_| ()),
    )?;
    if let Some(d) = &n.department_id {
        note(
            departments::require_in(conn, "department_id", d, &n.institution_id)
                .await
                .map(|_| ()),
        )?;
    }
    note(
        people::require(conn, "expert_id", &n.expert_id)
            .await
            .map(|_| ()),
    )?;
    if let Some(a) = &n.assignment_id {
        let r = match crate::dispatch::get_assignment_on(conn, a).await {
            Ok(x) if x.person_id == n.expert_id => Ok(()),
            Ok(_) => Err(Invalid::new("assignment_id", "error.assignment_not_expert").into()),
            Err(StoreError::NotFound) => {
                Err(Invalid::new("assignment_id", "error.bad_reference").into())
            }
            Err(e) => Err(e),
        };
        note(r)?;
    }
    if let Some(t) = &n.technique_id {
        let row = query::sql_with(
            "SELECT institution_id FROM techniques WHERE id = $1".into(),
            vec![t.clone().into()],
        )
        .fetch_optional(&mut *conn)
        .await?;
        let r = match row {
            None => Err(Invalid::new("technique_id", "error.bad_reference").into()),
            Some(r) if text(&r, "institution_id")? != n.institution_id => {
                Err(Invalid::new("technique_id", "error.technique_not_at_institution").into())
            }
            Some(_) => Ok(()),
        };
        note(r)?;
    }
    for o in &n.local_operator_ids {
        let r = match people::require(conn, "local_operator_ids", o).await {
            Ok(p) if p.institution_id == n.institution_id => Ok(()),
            Ok(_) => {
                Err(Invalid::new("local_operator_ids", "error.person_not_at_institution").into())
            }
            Err(e) => Err(e),
        };
        note(r)?;
    }
    Ok(found)
}

async fn check(conn: &mut AnyConnection, n: &NewOperation) -> Result<()> {
    match problems(conn, n).await?.into_iter().next() {
        Some(first) => Err(first.into()),
        None => Ok(()),
    }
}

async fn put_operators(conn: &mut AnyConnection, id: &str, people: &[String]) -> Result<()> {
    query::sql_with(
        "DELETE FROM operation_local_operators WHERE operation_id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *conn)
    .await?;
    for p in people {
        query::sql_with(
            "INSERT INTO operation_local_operators (operation_id, person_id) VALUES ($1, $2)"
                .into(),
            vec![id.into(), p.clone().into()],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Creates an operation inside the caller's transaction (the import and the demo write many
/// this way); audited with its operators.
pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    n: &NewOperation,
) -> Result<Operation> {
    check(conn, n).await?;
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    let mut columns: Vec<&str> = NewOperation::COLUMNS.to_vec();
    columns.extend(["id", "created_at", "updated_at"]);
    let mut args = n.args();
    args.extend([id.clone().into(), now.clone().into(), now.into()]);
    query::sql_with(query::insert_sql(Operations::TABLE, &columns), args)
        .execute(&mut *conn)
        .await?;
    put_operators(conn, &id, &n.local_operator_ids).await?;
    let created = get_on(conn, &id).await?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        Operations::ENTITY,
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

pub async fn create(db: &Db, actor: &Actor, n: &NewOperation) -> Result<Operation> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, n).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, actor: &Actor, id: &str, n: &NewOperation) -> Result<Operation> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    check(&mut tx, n).await?;
    let mut columns: Vec<&str> = NewOperation::COLUMNS.to_vec();
    columns.push("updated_at");
    let mut args = n.args();
    args.push(crate::now().into());
    args.push(id.into());
    query::sql_with(query::update_sql(Operations::TABLE, &columns, "id"), args)
        .execute(&mut *tx)
        .await?;
    put_operators(&mut tx, id, &n.local_operator_ids).await?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        Operations::ENTITY,
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    query::sql_with(
        "DELETE FROM operation_local_operators WHERE operation_id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *tx)
    .await?;
    query::sql_with(
        "DELETE FROM operations WHERE id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *tx)
    .await?;
    audit::record::<_, ()>(
        &mut tx,
        actor,
        Action::Delete,
        Operations::ENTITY,
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A technique's earliest operation (its 首例), if any.
pub async fn first_of_technique(db: &Db, technique_id: &str) -> Result<Option<Operation>> {
    let row = query::sql_with(
        format!(
            "SELECT {} FROM {} WHERE t.technique_id = $1 ORDER BY t.performed_on, t.id LIMIT 1",
            Operations::SELECT,
            Operations::FROM
        ),
        vec![technique_id.into()],
    )
    .fetch_optional(db.pool())
    .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let mut one = [Operation::decode(&r)?];
            with_operators(&mut *db.pool().acquire().await?, &mut one).await?;
            let [o] = one;
            Ok(Some(o))
        }
    }
}
