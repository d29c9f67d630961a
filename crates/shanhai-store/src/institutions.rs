//! Institutions: hospitals, township health centres, health commissions…

use crate::audit::Actor;
use crate::query::{Filter, Page, PageRequest, fetch_page};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, regions};
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::codes::{Grade, InstitutionKind};
use shanhai_domain::registry::{Institution, NewInstitution};
use sqlx::AnyConnection;

const SELECT: &str = "i.*, r.name AS region_name";
const FROM: &str = "institutions i LEFT JOIN regions r ON r.code = i.region_code";

pub struct Institutions;

impl Table for Institutions {
    type Record = Institution;
    const TABLE: &'static str = "institutions";
    const ENTITY: &'static str = "institution";
    const SELECT: &'static str = SELECT;
    const FROM: &'static str = FROM;
    const ID: &'static str = "i.id";
    const CONFLICT: &'static str = "error.institution_exists";
}

row! {
    read Institution(row) {
        id: text,
        name: text,
        kind: code(InstitutionKind::parse),
        grade: code(Grade::parse),
        region_code: text,
        region_name: opt_text,
        parent_id: opt_text,
        address: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewInstitution(new) {
        name: clone,
        kind: code,
        grade: code,
        region_code: { new.region_code.as_str().into() },
        parent_id: clone,
        address: clone,
    }
}

#[derive(Debug, Default, Clone)]
pub struct InstitutionFilter {
    pub q: Option<String>,
    pub kind: Option<String>,
    /// Institutions in this region or any region below it.
    pub region: Option<String>,
    /// Institutions on either side of a pairing in this program.
    pub program: Option<String>,
    pub parent: Option<String>,
    /// Only these kinds (codes), e.g. the kinds that treat patients where a hospital is meant.
    pub kinds: Vec<String>,
}

pub async fn list(db: &Db, f: &InstitutionFilter, page: PageRequest) -> Result<Page<Institution>> {
    let mut filter = Filter::default();
    filter
        .search(&["i.name"], f.q.as_deref())
        .eq("i.kind", f.kind.as_deref())
        .eq("i.parent_id", f.parent.as_deref());
    filter.in_region("i.region_code", f.region.as_deref());
    if !f.kinds.is_empty() {
        let marks = vec!["{}"; f.kinds.len()].join(", ");
        filter.raw_each(
            &format!("i.kind IN ({marks})"),
            f.kinds.iter().map(|k| k.clone().into()).collect(),
        );
    }
    if let Some(program) = f.program.as_deref().filter(|p| !p.trim().is_empty()) {
        filter.raw(
            "(i.id IN (SELECT donor_id FROM pairings WHERE program_id = {p}) \
              OR i.id IN (SELECT recipient_id FROM pairings WHERE program_id = {p}) \
              OR i.id IN (SELECT office_institution_id FROM programs WHERE id = {p}))"
                .replace("{p}", "{}")
                .as_str(),
            program.trim().into(),
        );
    }
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter,
        "i.name, i.id",
        page,
        Institution::decode,
    )
    .await
}

/// Ids of institutions a caller reaches, used to scope other lists.
pub fn reach_filter(filter: &mut Filter, column: &str, reach: &Reach) {
    if let Reach::Some(set) = reach {
        filter.within(column, set);
    }
}

async fn check(conn: &mut AnyConnection, new: &NewInstitution, id: Option<&str>) -> Result<()> {
    regions::require(conn, "region_code", new.region_code.as_str()).await?;
    if let Some(parent) = &new.parent_id {
        if Some(parent.as_str()) == id {
            return Err(Invalid::new("parent_id", "error.parent_is_self").into());
        }
        require(conn, "parent_id", parent).await?;
    }
    Ok(())
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Institution> {
    record::get_on::<Institutions>(conn, id).await
}

pub async fn get(db: &Db, id: &str) -> Result<Institution> {
    record::get::<Institutions>(db, id).await
}

/// Fails with a field error when the referenced record does not exist.
pub async fn require(conn: &mut AnyConnection, field: &str, id: &str) -> Result<Institution> {
    record::require::<Institutions>(conn, field, id, "error.unknown_institution").await
}

pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewInstitution,
) -> Result<Institution> {
    check(conn, new, None).await?;
    record::insert::<Institutions>(conn, actor, NewInstitution::COLUMNS, new.args()).await
}

pub async fn create(db: &Db, actor: &Actor, new: &NewInstitution) -> Result<Institution> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewInstitution) -> Result<Institution> {
    let mut tx = db.begin_write().await?;
    get_on(&mut tx, id).await?;
    check(&mut tx, new, Some(id)).await?;
    let after =
        record::update::<Institutions>(&mut tx, actor, id, NewInstitution::COLUMNS, new.args())
            .await?;
    tx.commit().await?;
    Ok(after)
}

/// The names of these institutions (ids not found are left out).
pub async fn names(db: &Db, ids: &[String]) -> Result<std::collections::HashMap<String, String>> {
    crate::query::names(db, "institutions", "id", ids).await
}
