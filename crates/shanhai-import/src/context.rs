//! What every row is checked against, read once per import: names of institutions, departments,
//! people, programs and batches resolved to ids, and what the caller may write.

use shanhai_domain::access::{PairingLink, Principal, ProgramFacts};
use shanhai_store::query::sql_with;
use shanhai_store::{Result, pairings, programs};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Who runs the import: the command line may write everything; a signed-in user only what the
/// create endpoints would let them write.
#[derive(Debug, Clone)]
pub enum Who {
    System,
    User(Principal),
}

pub struct Person {
    pub id: String,
    pub institution_id: String,
    pub title: String,
}

pub struct Batch {
    pub id: String,
    pub program_id: String,
    pub donor_id: Option<String>,
}

pub struct Context {
    pub who: Who,
    links: Vec<PairingLink>,
    programs: Vec<ProgramFacts>,
    institutions: HashMap<String, String>,
    departments: HashMap<(String, String), String>,
    /// People by name.
    people: HashMap<String, Vec<Person>>,
    program_names: HashMap<String, String>,
    batches: HashMap<(String, i64), Batch>,
    /// What the reported-KPI import checks against (loaded only by that kind).
    pub kpis: Option<crate::kpis::KpiData>,
    /// The assignments workload rows are matched against (loaded only by that kind).
    pub workload: Option<crate::workload::WorkloadData>,
}

async fn pairs(conn: &mut AnyConnection, sql: &str) -> Result<Vec<(String, String)>> {
    Ok(sql_with(sql.to_string(), vec![])
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

impl Context {
    pub async fn load(conn: &mut AnyConnection, db: &shanhai_store::Db, who: Who) -> Result<Self> {
        let institutions = pairs(conn, "SELECT name, id FROM institutions")
            .await?
            .into_iter()
            .collect();
        let mut departments = HashMap::new();
        for row in sql_with(
            "SELECT institution_id, name, id FROM departments".into(),
            vec![],
        )
        .fetch_all(&mut *conn)
        .await?
        {
            departments.insert((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?);
        }
        let mut people: HashMap<String, Vec<Person>> = HashMap::new();
        for row in sql_with(
            "SELECT name, id, institution_id, title FROM people".into(),
            vec![],
        )
        .fetch_all(&mut *conn)
        .await?
        {
            people.entry(row.try_get(0)?).or_default().push(Person {
                id: row.try_get(1)?,
                institution_id: row.try_get(2)?,
                title: row.try_get(3)?,
            });
        }
        let program_names = pairs(conn, "SELECT name, id FROM programs")
            .await?
            .into_iter()
            .collect();
        let mut batches = HashMap::new();
        for row in sql_with(
            "SELECT b.program_id, b.number, b.id, p.donor_id FROM batches b \
             LEFT JOIN pairings p ON p.id = b.pairing_id"
                .into(),
            vec![],
        )
        .fetch_all(&mut *conn)
        .await?
        {
            batches.insert(
                (row.try_get(0)?, row.try_get(1)?),
                Batch {
                    id: row.try_get(2)?,
                    program_id: row.try_get(0)?,
                    donor_id: row.try_get(3)?,
                },
            );
        }
        let (links, programs) = match who {
            Who::System => (vec![], vec![]),
            Who::User(_) => (pairings::links(db).await?, programs::facts(db).await?),
        };
        Ok(Context {
            who,
            links,
            programs,
            institutions,
            departments,
            people,
            program_names,
            batches,
            kpis: None,
            workload: None,
        })
    }

    pub fn institution(&self, name: &str) -> Option<&str> {
        self.institutions.get(name.trim()).map(String::as_str)
    }

    pub fn department(&self, institution_id: &str, name: &str) -> Option<&str> {
        self.departments
            .get(&(institution_id.to_string(), name.trim().to_string()))
            .map(String::as_str)
    }

    pub fn program(&self, name: &str) -> Option<&str> {
        self.program_names.get(name.trim()).map(String::as_str)
    }

    pub fn batch(&self, program_id: &str, number: i64) -> Option<&Batch> {
        self.batches.get(&(program_id.to_string(), number))
    }

    /// The people of that name, at the institution when one is given.
    pub fn people_named<'a>(
        &'a self,
        name: &str,
        institution_id: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Person> + 'a {
        self.people
            .get(name.trim())
            .into_iter()
            .flatten()
            .filter(move |p| institution_id.is_none_or(|i| p.institution_id == i))
    }

    fn access(&self, institution_id: &str) -> Option<shanhai_domain::access::Access> {
        match &self.who {
            Who::System => None,
            Who::User(p) => Some(p.institution_access(institution_id, &self.links, &self.programs)),
        }
    }

    /// May change the institution's people and departments (`POST /api/v1/people`): the
    /// domain's staff-keeping rule.
    pub fn may_write_institution(&self, institution_id: &str) -> bool {
        match (&self.who, self.access(institution_id)) {
            (Who::User(p), Some(a)) => p.may_keep_staff(Some(a)).is_ok(),
            _ => true,
        }
    }

    /// May write a capacity record of the institution under the program: the domain's capacity
    /// rule (a program office only under its own program).
    pub fn may_write_capacity(&self, institution_id: &str, program_id: Option<&str>) -> bool {
        match (&self.who, self.access(institution_id)) {
            (Who::User(p), Some(a)) => p.may_write_capacity(a, program_id).is_ok(),
            _ => true,
        }
    }

    /// May enter the institution's reported KPIs (`PUT /api/v1/kpi-reports/{id}`): its
    /// coordinators, the donor side's where the program grants write access, the admin.
    pub fn may_enter_kpis(&self, institution_id: &str) -> bool {
        match (&self.who, self.access(institution_id)) {
            (Who::User(p), Some(a)) => shanhai_domain::kpis::may_enter(p, a),
            _ => true,
        }
    }

    /// May publish clinic sessions at the institution (`POST /api/v1/clinic-sessions`).
    pub fn may_run_clinics(&self, institution_id: &str) -> bool {
        match (&self.who, self.access(institution_id)) {
            (Who::User(p), Some(a)) => p.may_run_clinics(a).is_ok(),
            _ => true,
        }
    }

    /// May dispatch experts in the batch (`POST /api/v1/assignments`).
    pub fn may_dispatch(&self, batch: &Batch) -> bool {
        match &self.who {
            Who::System => true,
            Who::User(p) => p.can_dispatch(&batch.program_id, batch.donor_id.as_deref()),
        }
    }
}
