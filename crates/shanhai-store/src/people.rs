//! People: experts, clinicians, coordinators, with title and honours.

use crate::audit::Actor;
use crate::query::{Filter, Page, PageRequest, fetch_page};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, departments, institutions};
use shanhai_domain::access::Reach;
use shanhai_domain::codes::{Gender, Title};
use shanhai_domain::registry::{NewPerson, Person};
use sqlx::AnyConnection;

const SELECT: &str = "p.*, i.name AS institution_name, d.name AS department_name";
const FROM: &str = "people p JOIN institutions i ON i.id = p.institution_id \
                    LEFT JOIN departments d ON d.id = p.department_id";

pub struct People;

impl Table for People {
    type Record = Person;
    const TABLE: &'static str = "people";
    const ENTITY: &'static str = "person";
    const SELECT: &'static str = SELECT;
    const FROM: &'static str = FROM;
    const ID: &'static str = "p.id";
    const CONFLICT: &'static str = "error.person_exists";
}

row! {
    read Person(row) {
        id: text,
        name: text,
        gender: code(Gender::parse),
        title: code(Title::parse),
        honours: json_list,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        department_name: opt_text,
        specialty_code: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewPerson(new) {
        name: clone,
        gender: code,
        title: code,
        honours: json,
        institution_id: clone,
        department_id: clone,
        specialty_code: clone,
    }
}

#[derive(Debug, Default, Clone)]
pub struct PersonFilter {
    pub institution: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub q: Option<String>,
    /// People at institutions on either side of a pairing in this program.
    pub program: Option<String>,
    /// People with an assignment in this program (dispatched experts) …
    pub dispatched_in: Option<String>,
    /// … that had begun by this date.
    pub dispatched_until: Option<String>,
    /// People of this specialty or one below it (`03` takes `03.06`): their own specialty, else
    /// their department's.
    pub specialty: Option<String>,
    /// Only these titles (codes), e.g. the physicians' for an expert.
    pub titles: Vec<String>,
    /// People at the donors paired with this institution (its visiting experts) …
    pub donors_of: Option<String>,
    /// … and, if set, at the institution itself too.
    pub with_own_staff: bool,
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
    if let Some(program) = f.dispatched_in.as_deref().filter(|p| !p.trim().is_empty()) {
        let until = f
            .dispatched_until
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "9999-12-31".into());
        filter.raw_each(
            "p.id IN (SELECT a.person_id FROM assignments a JOIN batches b ON b.id = a.batch_id \
              WHERE b.program_id = {} AND a.start_date <= {})",
            vec![program.trim().into(), until.into()],
        );
    }
    if let Some(s) = f.specialty.as_deref().filter(|s| !s.trim().is_empty()) {
        let s = s.trim().to_string();
        filter.raw_each(
            "(COALESCE(p.specialty_code, d.specialty_code) = {} \
              OR COALESCE(p.specialty_code, d.specialty_code) LIKE {})",
            vec![s.clone().into(), format!("{s}.%").into()],
        );
    }
    if let Some(i) = f.donors_of.as_deref().filter(|i| !i.trim().is_empty()) {
        let own = if f.with_own_staff {
            "p.institution_id = {} OR "
        } else {
            ""
        };
        let clause = format!(
            "({own}p.institution_id IN (SELECT donor_id FROM pairings WHERE recipient_id = {{}}))"
        );
        let i = i.trim().to_string();
        let values = if f.with_own_staff {
            vec![i.clone().into(), i.into()]
        } else {
            vec![i.into()]
        };
        filter.raw_each(&clause, values);
    }
    if !f.titles.is_empty() {
        let marks = vec!["{}"; f.titles.len()].join(", ");
        filter.raw_each(
            &format!("p.title IN ({marks})"),
            f.titles.iter().map(|t| t.clone().into()).collect(),
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
        Person::decode,
    )
    .await
}

async fn check(conn: &mut AnyConnection, new: &NewPerson) -> Result<()> {
    institutions::require(conn, "institution_id", &new.institution_id).await?;
    if let Some(department) = &new.department_id {
        departments::require_in(conn, "department_id", department, &new.institution_id).await?;
    }
    Ok(())
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Person> {
    record::get_on::<People>(conn, id).await
}

/// Fails with a field error when the referenced person does not exist.
pub async fn require(conn: &mut AnyConnection, field: &str, id: &str) -> Result<Person> {
    record::require::<People>(conn, field, id, "error.unknown_person").await
}

pub async fn get(db: &Db, id: &str) -> Result<Person> {
    record::get::<People>(db, id).await
}

pub async fn create_on(conn: &mut AnyConnection, actor: &Actor, new: &NewPerson) -> Result<Person> {
    check(conn, new).await?;
    record::insert::<People>(conn, actor, NewPerson::COLUMNS, new.args()).await
}

pub async fn create(db: &Db, actor: &Actor, new: &NewPerson) -> Result<Person> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewPerson) -> Result<Person> {
    let mut tx = db.begin_write().await?;
    get_on(&mut tx, id).await?;
    check(&mut tx, new).await?;
    let after =
        record::update::<People>(&mut tx, actor, id, NewPerson::COLUMNS, new.args()).await?;
    tx.commit().await?;
    Ok(after)
}
