//! Programs: 沪蒙医疗协作, 京蒙"医疗倍增计划"…

use crate::audit::Actor;
use crate::query::{Filter, Page, PageRequest, fetch_page, opt_text, text};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, institutions};
use shanhai_domain::access::ProgramFacts;
use shanhai_domain::codes::{DonorAccess, ProgramKind};
use shanhai_domain::registry::{NewProgram, Program};
use sqlx::AnyConnection;

const SELECT: &str =
    "p.*, (SELECT COUNT(*) FROM pairings x WHERE x.program_id = p.id) AS pairing_count";
const FROM: &str = "programs p";

pub struct Programs;

impl Table for Programs {
    type Record = Program;
    const TABLE: &'static str = "programs";
    const ENTITY: &'static str = "program";
    const SELECT: &'static str = SELECT;
    const FROM: &'static str = FROM;
    const ID: &'static str = "p.id";
    const CONFLICT: &'static str = "error.program_exists";
}

row! {
    read Program(row) {
        id: text,
        name: text,
        kind: code(ProgramKind::parse),
        description: opt_text,
        start_date: text,
        end_date: opt_text,
        office_institution_id: opt_text,
        donor_access: code(DonorAccess::parse),
        pairing_count: int,
        created_at: text,
        updated_at: text,
    }
    write NewProgram(new) {
        name: clone,
        kind: code,
        description: clone,
        start_date: date,
        end_date: opt_date,
        office_institution_id: clone,
        donor_access: code,
    }
}

#[derive(Debug, Default, Clone)]
pub struct ProgramFilter {
    pub q: Option<String>,
    pub kind: Option<String>,
    /// Programs in which this institution is on either side of a pairing.
    pub institution: Option<String>,
}

pub async fn list(db: &Db, f: &ProgramFilter, page: PageRequest) -> Result<Page<Program>> {
    let mut filter = Filter::default();
    filter
        .search(&["p.name"], f.q.as_deref())
        .eq("p.kind", f.kind.as_deref());
    if let Some(inst) = f.institution.as_deref().filter(|s| !s.trim().is_empty()) {
        filter.raw(
            "p.id IN (SELECT program_id FROM pairings WHERE donor_id = {} OR recipient_id = {})",
            inst.trim().into(),
        );
    }
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter,
        "p.start_date, p.name",
        page,
        Program::decode,
    )
    .await
}

/// The facts the access policy needs about every program.
pub async fn facts(db: &Db) -> Result<Vec<ProgramFacts>> {
    let rows = sqlx::query("SELECT id, office_institution_id FROM programs")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ProgramFacts {
                program_id: text(r, "id")?,
                office_institution_id: opt_text(r, "office_institution_id")?,
            })
        })
        .collect()
}

async fn check(conn: &mut AnyConnection, new: &NewProgram) -> Result<()> {
    if let Some(office) = &new.office_institution_id {
        institutions::require(conn, "office_institution_id", office).await?;
    }
    Ok(())
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Program> {
    record::get_on::<Programs>(conn, id).await
}

pub async fn get(db: &Db, id: &str) -> Result<Program> {
    record::get::<Programs>(db, id).await
}

/// Fails with a field error when the referenced record does not exist.
pub async fn require(conn: &mut AnyConnection, field: &str, id: &str) -> Result<Program> {
    record::require::<Programs>(conn, field, id, "error.unknown_program").await
}

pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewProgram,
) -> Result<Program> {
    check(conn, new).await?;
    record::insert::<Programs>(conn, actor, NewProgram::COLUMNS, new.args()).await
}

pub async fn create(db: &Db, actor: &Actor, new: &NewProgram) -> Result<Program> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewProgram) -> Result<Program> {
    let mut tx = db.begin_write().await?;
    get_on(&mut tx, id).await?;
    check(&mut tx, new).await?;
    let after =
        record::update::<Programs>(&mut tx, actor, id, NewProgram::COLUMNS, new.args()).await?;
    tx.commit().await?;
    Ok(after)
}
