//! People: experts, clinicians, coordinators, with title and honours.

use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, Page, PageRequest, fetch_page, opt_text, text};
use crate::{Db, Result, StoreError, departments, institutions};
use shanhai_domain::access::Reach;
use shanhai_domain::codes::{Gender, Title};
use shanhai_domain::registry::{NewPerson, Person};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const SELECT: &str = "p.*, i.name AS institution_name, d.name AS department_name";
const FROM: &str = "people p JOIN institutions i ON i.id = p.institution_id \
                    LEFT JOIN departments d ON d.id = p.department_id";

fn decode(row: &AnyRow) -> Result<Person> {
    Ok(Person {
        id: text(row, "id")?,
        name: text(row, "name")?,
        gender: query::code(row, "gender", Gender::parse)?,
        title: query::code(row, "title", Title::parse)?,
        honours: query::json_list(row, "honours")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        department_name: opt_text(row, "department_name")?,
        specialty_code: opt_text(row, "specialty_code")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Person> {
    let row = query::sql_with(
        format!("SELECT {SELECT} FROM {FROM} WHERE p.id = $1"),
        vec![id.into()],
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    decode(&row)
}

pub async fn get(db: &Db, id: &str) -> Result<Person> {
    get_on(&mut *db.pool().acquire().await?, id).await
}

#[derive(Debug, Default, Clone)]
pub struct PersonFilter {
    pub institution: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub q: Option<String>,
    /// People at institutions on either side of a pairing in this program.
    pub program: Option<String>,
}

pub async fn list(
    db: &Db,
    f: &PersonFilter,
    reach: &Reach,
    page: PageRequest,
) -> Result<Page<Person>> {
    let mut filter = Filter::default();
    filter
        .eq("p.institution_id", f.institution.as_deref())
        .eq("p.department_id", f.department.as_deref())
        .eq("p.title", f.title.as_deref())
        .search(&["p.name"], f.q.as_deref());
    if let Some(program) = f.program.as_deref().filter(|p| !p.trim().is_empty()) {
        filter.raw(
            "(p.institution_id IN (SELECT donor_id FROM pairings WHERE program_id = {}) \
              OR p.institution_id IN (SELECT recipient_id FROM pairings WHERE program_id = {}))",
            program.trim().into(),
        );
    }
    institutions::reach_filter(&mut filter, "p.institution_id", reach);
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter,
        "i.name, p.name, p.id",
        page,
        decode,
    )
    .await
}

const COLUMNS: &[&str] = &[
    "name",
    "gender",
    "title",
    "honours",
    "institution_id",
    "department_id",
    "specialty_code",
    "updated_at",
];

fn args(new: &NewPerson) -> Vec<query::Arg> {
    vec![
        new.name.clone().into(),
        new.gender.code().into(),
        new.title.code().into(),
        serde_json::to_string(&new.honours)
            .unwrap_or_else(|_| "[]".into())
            .into(),
        new.institution_id.clone().into(),
        new.department_id.clone().into(),
        new.specialty_code.clone().into(),
        crate::now().into(),
    ]
}

async fn check(conn: &mut AnyConnection, new: &NewPerson) -> Result<()> {
    institutions::require(conn, "institution_id", &new.institution_id).await?;
    if let Some(department) = &new.department_id {
        departments::require_in(conn, "department_id", department, &new.institution_id).await?;
    }
    Ok(())
}

pub async fn create_on(conn: &mut AnyConnection, actor: &Actor, new: &NewPerson) -> Result<Person> {
    check(conn, new).await?;
    let id = shanhai_domain::ids::new_id();
    let mut a = args(new);
    a.push(id.clone().into());
    a.push(crate::now().into());
    let cols: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .chain(["id", "created_at"])
        .collect();
    query::sql_with(query::insert_sql("people", &cols), a)
        .execute(&mut *conn)
        .await?;
    let created = get_on(conn, &id).await?;
    audit::record::<Person, _>(
        conn,
        actor,
        Action::Create,
        "person",
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

pub async fn create(db: &Db, actor: &Actor, new: &NewPerson) -> Result<Person> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewPerson) -> Result<Person> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    check(&mut tx, new).await?;
    let mut a = args(new);
    a.push(id.into());
    query::sql_with(query::update_sql("people", COLUMNS, "id"), a)
        .execute(&mut *tx)
        .await?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "person",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
