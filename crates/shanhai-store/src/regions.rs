//! Administrative regions (GB/T 2260).

use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, Page, PageRequest, fetch_page};
use crate::row::{Decode, row};
use crate::{Db, Result, StoreError};
use shanhai_domain::Invalid;
use shanhai_domain::codes::RegionLevel;
use shanhai_domain::registry::{NewRegion, Region};
use sqlx::AnyConnection;

row! {
    read Region(row) {
        code: text,
        name: text,
        level: code(RegionLevel::parse),
        parent_code: opt_text,
    }
}

pub async fn get_on(conn: &mut AnyConnection, code: &str) -> Result<Region> {
    let row = query::sql_with(
        "SELECT * FROM regions WHERE code = $1".into(),
        vec![code.into()],
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Region::decode(&row)
}

pub async fn get(db: &Db, code: &str) -> Result<Region> {
    get_on(&mut *db.pool().acquire().await?, code).await
}

/// Fails with a field error when the referenced region does not exist.
pub async fn require(conn: &mut AnyConnection, field: &str, code: &str) -> Result<()> {
    match get_on(conn, code).await {
        Err(StoreError::NotFound) => Err(Invalid::new(field, "error.unknown_region").into()),
        other => other.map(|_| ()),
    }
}

#[derive(Debug, Default, Clone)]
pub struct RegionFilter {
    pub parent: Option<String>,
    pub level: Option<String>,
    pub q: Option<String>,
}

pub async fn list(db: &Db, f: &RegionFilter, page: PageRequest) -> Result<Page<Region>> {
    let mut filter = Filter::default();
    filter
        .eq("parent_code", f.parent.as_deref())
        .eq("level", f.level.as_deref())
        .search(&["name", "code"], f.q.as_deref());
    fetch_page(
        db.pool(),
        "*",
        "regions",
        &filter,
        "code",
        page,
        Region::decode,
    )
    .await
}

/// The region and all its ancestors, from the province down.
pub async fn lineage(db: &Db, code: &str) -> Result<Vec<Region>> {
    let mut conn = db.pool().acquire().await?;
    let mut chain = Vec::new();
    let mut next = Some(code.to_string());
    while let Some(code) = next.take() {
        let region = get_on(&mut conn, &code).await?;
        next = region.parent_code.clone();
        chain.push(region);
        if chain.len() > 5 {
            break;
        }
    }
    chain.reverse();
    Ok(chain)
}

async fn write(conn: &mut AnyConnection, new: &NewRegion, insert: bool) -> Result<()> {
    if let Some(parent) = &new.parent_code {
        require(conn, "parent_code", parent.as_str()).await?;
    }
    let now = crate::now();
    let args = vec![
        new.name.clone().into(),
        new.level.code().into(),
        new.parent_code
            .as_ref()
            .map(|c| c.as_str().to_string())
            .into(),
        now.clone().into(),
        new.code.as_str().into(),
    ];
    let sql = if insert {
        let mut args = args;
        args.push(now.into());
        query::sql_with(
            query::insert_sql(
                "regions",
                &[
                    "name",
                    "level",
                    "parent_code",
                    "updated_at",
                    "code",
                    "created_at",
                ],
            ),
            args,
        )
    } else {
        query::sql_with(
            query::update_sql(
                "regions",
                &["name", "level", "parent_code", "updated_at"],
                "code",
            ),
            args,
        )
    };
    sql.execute(conn)
        .await
        .map_err(|e| StoreError::on_unique(e, "error.region_exists"))?;
    Ok(())
}

pub async fn create_on(conn: &mut AnyConnection, actor: &Actor, new: &NewRegion) -> Result<Region> {
    write(conn, new, true).await?;
    let region = get_on(conn, new.code.as_str()).await?;
    audit::record::<Region, _>(
        conn,
        actor,
        Action::Create,
        "region",
        &region.code,
        None,
        Some(&region),
    )
    .await?;
    Ok(region)
}

pub async fn create(db: &Db, actor: &Actor, new: &NewRegion) -> Result<Region> {
    let mut tx = db.begin_write().await?;
    let region = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(region)
}

pub async fn update(db: &Db, actor: &Actor, code: &str, new: &NewRegion) -> Result<Region> {
    if new.code.as_str() != code {
        return Err(Invalid::new("code", "error.code_immutable").into());
    }
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, code).await?;
    write(&mut tx, new, false).await?;
    let after = get_on(&mut tx, code).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "region",
        code,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The names of these regions (codes not found are left out).
pub async fn names(db: &Db, codes: &[String]) -> Result<std::collections::HashMap<String, String>> {
    crate::query::names(db, "regions", "code", codes).await
}
