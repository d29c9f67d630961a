//! Institutions: hospitals, township health centres, health commissions…

use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, Page, PageRequest, fetch_page, opt_text, text};
use crate::{Db, Result, StoreError, regions};
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::codes::{Grade, InstitutionKind};
use shanhai_domain::registry::{Institution, NewInstitution};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const SELECT: &str = "i.*, r.name AS region_name";
const FROM: &str = "institutions i LEFT JOIN regions r ON r.code = i.region_code";

fn decode(row: &AnyRow) -> Result<Institution> {
    Ok(Institution {
        id: text(row, "id")?,
        name: text(row, "name")?,
        kind: query::code(row, "kind", InstitutionKind::parse)?,
        grade: query::code(row, "grade", Grade::parse)?,
        region_code: text(row, "region_code")?,
        region_name: opt_text(row, "region_name")?,
        parent_id: opt_text(row, "parent_id")?,
        address: opt_text(row, "address")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Institution> {
    let row = query::sql_with(
        format!("SELECT {SELECT} FROM {FROM} WHERE i.id = $1"),
        vec![id.into()],
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    decode(&row)
}

pub async fn get(db: &Db, id: &str) -> Result<Institution> {
    get_on(&mut *db.pool().acquire().await?, id).await
}

/// Fails with a field error when the referenced institution does not exist.
pub async fn require(conn: &mut AnyConnection, field: &str, id: &str) -> Result<Institution> {
    match get_on(conn, id).await {
        Err(StoreError::NotFound) => Err(Invalid::new(field, "error.unknown_institution").into()),
        other => other,
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
}

pub async fn list(db: &Db, f: &InstitutionFilter, page: PageRequest) -> Result<Page<Institution>> {
    let mut filter = Filter::default();
    filter
        .search(&["i.name"], f.q.as_deref())
        .eq("i.kind", f.kind.as_deref())
        .eq("i.parent_id", f.parent.as_deref());
    if let Some(region) = f.region.as_deref().filter(|r| !r.trim().is_empty()) {
        let prefix = shanhai_domain::registry::RegionCode::parse("region", region)
            .map(|c| c.prefix().to_string())
            .unwrap_or_else(|_| region.trim().to_string());
        filter.raw("i.region_code LIKE {}", format!("{prefix}%").into());
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
        decode,
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

const COLUMNS: &[&str] = &[
    "name",
    "kind",
    "grade",
    "region_code",
    "parent_id",
    "address",
    "updated_at",
];

fn args(new: &NewInstitution) -> Vec<query::Arg> {
    vec![
        new.name.clone().into(),
        new.kind.code().into(),
        new.grade.code().into(),
        new.region_code.as_str().into(),
        new.parent_id.clone().into(),
        new.address.clone().into(),
        crate::now().into(),
    ]
}

pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewInstitution,
) -> Result<Institution> {
    check(conn, new, None).await?;
    let id = shanhai_domain::ids::new_id();
    let mut a = args(new);
    a.push(id.clone().into());
    a.push(crate::now().into());
    let cols: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .chain(["id", "created_at"])
        .collect();
    query::sql_with(query::insert_sql("institutions", &cols), a)
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::on_unique(e, "error.institution_exists"))?;
    let created = get_on(conn, &id).await?;
    audit::record::<Institution, _>(
        conn,
        actor,
        Action::Create,
        "institution",
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

pub async fn create(db: &Db, actor: &Actor, new: &NewInstitution) -> Result<Institution> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewInstitution) -> Result<Institution> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    check(&mut tx, new, Some(id)).await?;
    let mut a = args(new);
    a.push(id.into());
    query::sql_with(query::update_sql("institutions", COLUMNS, "id"), a)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "error.institution_exists"))?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "institution",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
