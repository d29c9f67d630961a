//! Departments of an institution, each with its 诊疗科目 specialty.

use crate::audit::Actor;
use crate::query::{Filter, Page, PageRequest, fetch_page};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, StoreError, institutions};
use shanhai_domain::Invalid;
use shanhai_domain::registry::{Department, NewDepartment};
use sqlx::AnyConnection;

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
}

row! {
    read Department(row) {
        id: text,
        institution_id: text,
        institution_name: opt_text,
        specialty_code: text,
        specialty_name: { shanhai_domain::specialty::find(&specialty_code).map(|s| s.zh.clone()) },
        name: text,
        created_at: text,
        updated_at: text,
    }
    write NewDepartment(new) {
        institution_id: clone,
        specialty_code: clone,
        name: clone,
    }
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
        Department::decode,
    )
    .await
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
    record::insert::<Departments>(conn, actor, NewDepartment::COLUMNS, new.args()).await
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
    let after =
        record::update::<Departments>(&mut tx, actor, id, NewDepartment::COLUMNS, new.args())
            .await?;
    tx.commit().await?;
    Ok(after)
}
