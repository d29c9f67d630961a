//! Departments of an institution, each with its 诊疗科目 specialty.

use crate::audit::Actor;
use crate::query::{self, Filter, Page, PageRequest, fetch_page, opt_text, text};
use crate::record::{self, Table};
use crate::{Db, Result, StoreError, institutions};
use shanhai_domain::Invalid;
use shanhai_domain::registry::{Department, NewDepartment};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const SELECT: &str = "d.*, i.name AS institution_name";
const FROM: &str = "departments d JOIN institutions i ON i.id = d.institution_id";

pub struct Departments;

impl Table for Departments {
    type Record = Department;
    const TABLE: &'static str = "departments";
    const ENTITY: &'static str = "department";
    const SELECT: &'static str = SELECT;
    const FROM: &'static str = FROM;
    const ID: &'static str = "d.id";
    const CONFLICT: &'static str = "error.department_exists";

    fn decode(row: &AnyRow) -> Result<Department> {
        decode(row)
    }
}

fn decode(row: &AnyRow) -> Result<Department> {
    let specialty_code = text(row, "specialty_code")?;
    Ok(Department {
        id: text(row, "id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        specialty_name: shanhai_domain::specialty::find(&specialty_code).map(|s| s.zh.clone()),
        specialty_code,
        name: text(row, "name")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

#[derive(Debug, Default, Clone)]
pub struct DepartmentFilter {
    pub institution: Option<String>,
    pub specialty: Option<String>,
    pub q: Option<String>,
}

pub async fn list(db: &Db, f: &DepartmentFilter, page: PageRequest) -> Result<Page<Department>> {
    let mut filter = Filter::default();
    filter
        .eq("d.institution_id", f.institution.as_deref())
        .search(&["d.name"], f.q.as_deref());
    if let Some(s) = f.specialty.as_deref().filter(|s| !s.trim().is_empty()) {
        filter.raw(
            "(d.specialty_code = {p} OR d.specialty_code LIKE {p} || '.%')"
                .replace("{p}", "{}")
                .as_str(),
            s.trim().into(),
        );
    }
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter,
        "i.name, d.specialty_code, d.name",
        page,
        decode,
    )
    .await
}

const COLUMNS: &[&str] = &["institution_id", "specialty_code", "name"];

fn args(new: &NewDepartment) -> Vec<query::Arg> {
    vec![
        new.institution_id.clone().into(),
        new.specialty_code.clone().into(),
        new.name.clone().into(),
    ]
}

/// Fails with a field error unless the department exists and belongs to the institution.
pub async fn require_in(
    conn: &mut AnyConnection,
    field: &str,
    id: &str,
    institution_id: &str,
) -> Result<()> {
    match get_on(conn, id).await {
        Ok(d) if d.institution_id == institution_id => Ok(()),
        Ok(_) => Err(Invalid::new(field, "error.department_elsewhere").into()),
        Err(StoreError::NotFound) => Err(Invalid::new(field, "error.unknown_department").into()),
        Err(e) => Err(e),
    }
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Department> {
    record::get_on::<Departments>(conn, id).await
}

pub async fn get(db: &Db, id: &str) -> Result<Department> {
    record::get::<Departments>(db, id).await
}

pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewDepartment,
) -> Result<Department> {
    institutions::require(conn, "institution_id", &new.institution_id).await?;
    record::insert::<Departments>(conn, actor, COLUMNS, args(new)).await
}

pub async fn create(db: &Db, actor: &Actor, new: &NewDepartment) -> Result<Department> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewDepartment) -> Result<Department> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    if before.institution_id != new.institution_id {
        return Err(Invalid::new("institution_id", "error.department_moves").into());
    }
    let after = record::update::<Departments>(&mut tx, actor, id, COLUMNS, args(new)).await?;
    tx.commit().await?;
    Ok(after)
}
