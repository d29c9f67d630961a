//! Departments of an institution, each with its 诊疗科目 specialty.

use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, Page, PageRequest, fetch_page, opt_text, text};
use crate::{Db, Result, StoreError, institutions};
use shanhai_domain::Invalid;
use shanhai_domain::registry::{Department, NewDepartment};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const SELECT: &str = "d.*, i.name AS institution_name";
const FROM: &str = "departments d JOIN institutions i ON i.id = d.institution_id";

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

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Department> {
    let row = query::sql_with(
        format!("SELECT {SELECT} FROM {FROM} WHERE d.id = $1"),
        vec![id.into()],
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    decode(&row)
}

pub async fn get(db: &Db, id: &str) -> Result<Department> {
    get_on(&mut *db.pool().acquire().await?, id).await
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

const COLUMNS: &[&str] = &["institution_id", "specialty_code", "name", "updated_at"];

fn args(new: &NewDepartment) -> Vec<query::Arg> {
    vec![
        new.institution_id.clone().into(),
        new.specialty_code.clone().into(),
        new.name.clone().into(),
        crate::now().into(),
    ]
}

pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewDepartment,
) -> Result<Department> {
    institutions::require(conn, "institution_id", &new.institution_id).await?;
    let id = shanhai_domain::ids::new_id();
    let mut a = args(new);
    a.push(id.clone().into());
    a.push(crate::now().into());
    let cols: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .chain(["id", "created_at"])
        .collect();
    query::sql_with(query::insert_sql("departments", &cols), a)
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::on_unique(e, "error.department_exists"))?;
    let created = get_on(conn, &id).await?;
    audit::record::<Department, _>(
        conn,
        actor,
        Action::Create,
        "department",
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
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
    let mut a = args(new);
    a.push(id.into());
    query::sql_with(query::update_sql("departments", COLUMNS, "id"), a)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "error.department_exists"))?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "department",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
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
