//! The built-in demo: the five programs of `shared/seeds/` with their real regions, institutions,
//! departments, pairings and agreements (`data/registry.json`), synthetic people, and one account
//! per role. Loading is idempotent: a database that already has the demo is left as it is.
//!
//! Later capabilities extend the demo by adding a step to [`load`] that works from the
//! [`Loaded`] keys.

mod capacity;
mod consultations;
mod dispatch;
pub mod imaging;
mod kpis;
mod operations;
mod outreach;
mod people;
mod planning;
pub mod plans;
mod teams;
mod technique_catalogue;
mod training;
mod workload;

use serde::Deserialize;
use shanhai_domain::accounts::UserInput;
use shanhai_domain::registry::*;
use shanhai_store::audit::Actor;
use shanhai_store::crypto::PatientCipher;
use shanhai_store::{
    Db, Result, StoreError, agreements, departments, institutions, pairings, programs, regions,
    users,
};
use std::collections::HashMap;

/// Every demo account signs in with this password.
pub const DEMO_PASSWORD: &str = "shanhai-demo";

#[derive(Deserialize)]
struct Registry {
    regions: Vec<RegionRow>,
    institutions: Vec<InstitutionRow>,
    programs: Vec<ProgramRow>,
    pairings: Vec<PairingRow>,
}

#[derive(Deserialize)]
struct RegionRow {
    code: String,
    name: String,
    parent: Option<String>,
}

#[derive(Deserialize)]
struct InstitutionRow {
    key: String,
    name: String,
    kind: String,
    grade: String,
    region: String,
    parent: Option<String>,
    #[serde(default)]
    departments: Vec<DepartmentRow>,
}

#[derive(Deserialize)]
struct DepartmentRow {
    specialty: String,
    name: String,
}

#[derive(Deserialize)]
struct ProgramRow {
    key: String,
    name: String,
    /// The date the seed article's figures are counted up to.
    as_of: String,
    kind: String,
    start_date: String,
    description: Option<String>,
    office_institution: Option<String>,
}

#[derive(Deserialize)]
struct PairingRow {
    program: String,
    donor: String,
    recipient: String,
    level: String,
    mode: String,
    #[serde(default)]
    departments: Vec<String>,
    start_date: String,
    end_date: Option<String>,
    agreement: Option<AgreementRow>,
}

#[derive(Deserialize)]
struct AgreementRow {
    signed_on: String,
    term_years: i64,
    scope: String,
}

/// Ids of what the demo created, by the keys of `registry.json`.
#[derive(Debug, Default)]
pub struct Loaded {
    pub institutions: HashMap<String, String>,
    pub programs: HashMap<String, String>,
    pub people: usize,
    pub pairings: usize,
    pub batches: usize,
    pub assignments: usize,
    pub clinic_sessions: usize,
    pub bookings: usize,
    /// Capacity-building records (training, techniques, regulations, funding…).
    pub capacity_records: usize,
    pub consultations: usize,
    pub referrals: usize,
    /// Reported KPI reports (before/after figures the articles quote).
    pub kpi_reports: usize,
    /// Imaging consultations (about five, the first in the demo accounts' inbox) to attach
    /// synthetic DICOM studies to.
    pub imaging_consultations: Vec<String>,
}

/// A demo account to print after loading.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: &'static str,
    pub role: &'static str,
    pub scope: &'static str,
    /// The person the account belongs to — (name, gender, title) at the scope's institution (a
    /// program office's staff at the office's institution) — so that pages show who acted by
    /// name, title and institution. The expert is the 豫哈 expert on duty today; the platform
    /// admin is nobody in the registry and goes by `display_name`.
    pub person: Option<(&'static str, &'static str, &'static str)>,
    pub display_name: &'static str,
}

/// The accounts the demo creates: one per role, scoped to the 豫哈 program where it applies.
pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        username: "admin",
        role: "platform-admin",
        scope: "",
        person: None,
        display_name: "平台管理员",
    },
    DemoAccount {
        username: "office",
        role: "program-office",
        scope: "yu-ha",
        person: Some(("周立新", "male", "administrator")),
        display_name: "",
    },
    DemoAccount {
        username: "coord-donor",
        role: "coordinator",
        scope: "hn-people",
        person: Some(("陈晓燕", "female", "administrator")),
        display_name: "",
    },
    DemoAccount {
        username: "coord-recipient",
        role: "coordinator",
        scope: "hm-hongxing",
        person: Some(("阿依古丽·吐尔逊", "female", "administrator")),
        display_name: "",
    },
    DemoAccount {
        username: "expert",
        role: "expert",
        scope: "hn-people",
        person: None,
        display_name: "",
    },
    DemoAccount {
        username: "clinician",
        role: "clinician",
        scope: "hm-hongxing",
        person: Some(("王海军", "male", "attending-physician")),
        display_name: "",
    },
];

pub enum Outcome {
    Loaded(Loaded),
    AlreadyThere,
}

fn registry() -> Result<Registry> {
    serde_json::from_str(include_str!("../data/registry.json"))
        .map_err(|e| StoreError::Other(format!("demo registry.json: {e}")))
}

/// A seed program and the date its article's figures are counted up to.
#[derive(Debug, Clone)]
pub struct ArticleDate {
    pub key: String,
    pub name: String,
    pub as_of: chrono::NaiveDate,
}

/// The five seed programs with their articles' dates: the demo's records reproduce each
/// article's headline figures when counted up to that date (`?until=` of the briefing).
pub fn article_dates() -> Vec<ArticleDate> {
    registry()
        .map(|r| {
            r.programs
                .iter()
                .map(|p| ArticleDate {
                    key: p.key.clone(),
                    name: p.name.clone(),
                    as_of: chrono::NaiveDate::parse_from_str(&p.as_of, "%Y-%m-%d")
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The article date of the program with this registry key (today when unknown).
pub(crate) fn as_of(key: &str) -> chrono::NaiveDate {
    article_dates()
        .into_iter()
        .find(|a| a.key == key)
        .map(|a| a.as_of)
        .unwrap_or_else(shanhai_store::today)
}

fn invalid(what: &str, key: &str, e: impl Into<shanhai_domain::Problems>) -> StoreError {
    StoreError::Other(format!("demo {what} {key}: {}", e.into()))
}

/// Loads the demo unless the database already has it (its `admin` account is the marker).
/// Everything is written in one transaction: either the whole demo is there afterwards or
/// nothing changed.
pub async fn load(db: &Db, cipher: &PatientCipher) -> Result<Outcome> {
    if users::find_by_username(db, "admin").await?.is_some() {
        return Ok(Outcome::AlreadyThere);
    }
    let registry = registry()?;
    let actor = Actor::system("demo");
    let mut loaded = Loaded::default();
    let password_hash = users::hash_password(DEMO_PASSWORD.to_string()).await?;
    let mut records: HashMap<String, shanhai_domain::registry::Institution> = HashMap::new();
    let mut departments_by_key: HashMap<
        String,
        Vec<(shanhai_domain::registry::Department, String)>,
    > = HashMap::new();
    let mut demo_pairings: Vec<dispatch::DemoPairing> = Vec::new();
    let mut tx = db.begin_write().await?;

    for r in &registry.regions {
        let new = RegionInput {
            code: r.code.clone(),
            name: r.name.clone(),
            parent_code: r.parent.clone(),
        }
        .parse()
        .map_err(|e| invalid("region", &r.code, e))?;
        if regions::get_on(&mut tx, &r.code).await.is_ok() {
            continue;
        }
        regions::create_on(&mut tx, &actor, &new).await?;
    }

    for i in &registry.institutions {
        let parent_id = i
            .parent
            .as_ref()
            .and_then(|p| loaded.institutions.get(p).cloned());
        let new = InstitutionInput {
            name: i.name.clone(),
            kind: i.kind.clone(),
            grade: i.grade.clone(),
            region_code: i.region.clone(),
            parent_id,
            address: None,
        }
        .parse()
        .map_err(|e| invalid("institution", &i.key, e))?;
        let created = institutions::create_on(&mut tx, &actor, &new).await?;
        let mut department_ids = Vec::new();
        for d in &i.departments {
            let new = DepartmentInput {
                institution_id: created.id.clone(),
                specialty_code: d.specialty.clone(),
                name: d.name.clone(),
            }
            .parse()
            .map_err(|e| invalid("department", &d.name, e))?;
            department_ids.push((
                departments::create_on(&mut tx, &actor, &new).await?,
                d.specialty.clone(),
            ));
        }
        loaded.people +=
            people::generate(&mut tx, &actor, &i.key, &created, &department_ids).await?;
        loaded
            .institutions
            .insert(i.key.clone(), created.id.clone());
        records.insert(i.key.clone(), created);
        departments_by_key.insert(i.key.clone(), department_ids);
    }

    let inst = |key: &str| {
        loaded
            .institutions
            .get(key)
            .cloned()
            .ok_or_else(|| StoreError::Other(format!("demo: unknown institution {key}")))
    };
    for p in &registry.programs {
        let office = match &p.office_institution {
            Some(k) => Some(inst(k)?),
            None => None,
        };
        let new = ProgramInput {
            name: p.name.clone(),
            kind: p.kind.clone(),
            description: p.description.clone(),
            start_date: p.start_date.clone(),
            end_date: None,
            office_institution_id: office,
            donor_access: Some("read".into()),
        }
        .parse()
        .map_err(|e| invalid("program", &p.key, e))?;
        let created = programs::create_on(&mut tx, &actor, &new).await?;
        loaded.programs.insert(p.key.clone(), created.id);
    }

    for x in &registry.pairings {
        let program_id = loaded
            .programs
            .get(&x.program)
            .cloned()
            .ok_or_else(|| StoreError::Other(format!("demo: unknown program {}", x.program)))?;
        let new = PairingInput {
            program_id,
            donor_id: inst(&x.donor)?,
            recipient_id: inst(&x.recipient)?,
            level: x.level.clone(),
            mode: x.mode.clone(),
            departments: x.departments.clone(),
            start_date: x.start_date.clone(),
            end_date: x.end_date.clone(),
        }
        .parse()
        .map_err(|e| invalid("pairing", &format!("{}→{}", x.donor, x.recipient), e))?;
        let pairing = pairings::create_on(&mut tx, &actor, &new).await?;
        loaded.pairings += 1;
        demo_pairings.push(dispatch::DemoPairing {
            program: x.program.clone(),
            donor: x.donor.clone(),
            recipient: x.recipient.clone(),
            mode: x.mode.clone(),
            id: pairing.id.clone(),
        });
        if let Some(a) = &x.agreement {
            let new = AgreementInput {
                pairing_id: pairing.id,
                signed_on: a.signed_on.clone(),
                term_years: a.term_years,
                scope: a.scope.clone(),
            }
            .parse()
            .map_err(|e| invalid("agreement", &x.donor, e))?;
            agreements::create_on(&mut tx, &actor, &new).await?;
        }
    }
    let summary = dispatch::load(
        &mut tx,
        &actor,
        cipher,
        &dispatch::Registry {
            programs: &loaded.programs,
            institutions: &records,
            departments: &departments_by_key,
            pairings: &demo_pairings,
        },
    )
    .await?;
    loaded.batches = summary.batches;
    loaded.assignments = summary.assignments;
    loaded.clinic_sessions = summary.sessions;
    loaded.bookings = summary.bookings;
    loaded.capacity_records = capacity::load(
        &mut tx,
        &actor,
        &capacity::Registry {
            programs: &loaded.programs,
            institutions: &loaded.institutions,
            pairings: &demo_pairings,
        },
    )
    .await?
    .records;
    outreach::load(
        &mut tx,
        &actor,
        &outreach::Registry {
            programs: &loaded.programs,
            institutions: &loaded.institutions,
        },
    )
    .await?;
    let t = teams::load(
        &mut tx,
        &actor,
        cipher,
        &teams::Registry {
            programs: &loaded.programs,
            institutions: &loaded.institutions,
        },
    )
    .await?;
    (loaded.clinic_sessions, loaded.bookings) = (
        loaded.clinic_sessions + t.sessions,
        loaded.bookings + t.bookings,
    );
    loaded.kpi_reports = kpis::load(
        &mut tx,
        &kpis::Registry {
            programs: &loaded.programs,
            institutions: &loaded.institutions,
        },
    )
    .await?;
    loaded.capacity_records +=
        training::load(&mut tx, &actor, &loaded.programs, &loaded.institutions).await?;
    operations::load(
        &mut tx,
        &actor,
        &operations::Registry {
            programs: &loaded.programs,
            institutions: &loaded.institutions,
        },
    )
    .await?;

    // Needs and availability for the next batch (issue 19's planner), on the people above.
    planning::load(
        &mut tx,
        &actor,
        &planning::Registry {
            programs: &loaded.programs,
            institutions: &loaded.institutions,
        },
    )
    .await?;

    for account in ACCOUNTS {
        let (program_id, institution_id) = match account.role {
            "program-office" => (loaded.programs.get(account.scope).cloned(), None),
            "platform-admin" => (None, None),
            _ => (None, loaded.institutions.get(account.scope).cloned()),
        };
        // Accounts are people: the expert is the one on duty, the others get their own record.
        let works_at = registry
            .programs
            .iter()
            .find(|p| p.key == account.scope)
            .and_then(|p| p.office_institution.as_deref())
            .unwrap_or(account.scope);
        let person = match account.person {
            Some((name, gender, title)) => {
                let new = PersonInput {
                    name: name.to_string(),
                    gender: gender.to_string(),
                    title: title.to_string(),
                    honours: Vec::new(),
                    institution_id: inst(works_at)?,
                    department_id: None,
                    specialty_code: None,
                }
                .parse()
                .map_err(|e| invalid("person", name, e))?;
                Some(shanhai_store::people::create_on(&mut tx, &actor, &new).await?)
            }
            None if account.role == "expert" => match summary.on_duty.get(account.scope) {
                Some(id) => Some(shanhai_store::people::get_on(&mut tx, id).await?),
                None => None,
            },
            None => None,
        };
        let input = UserInput {
            username: account.username.to_string(),
            display_name: Some(
                person
                    .as_ref()
                    .map_or(account.display_name, |p| p.name.as_str())
                    .to_string(),
            ),
            password: DEMO_PASSWORD.to_string(),
            role: account.role.to_string(),
            program_id,
            institution_id,
            person_id: person.map(|p| p.id),
        };
        let new = input
            .parse()
            .map_err(|e| invalid("account", account.username, e))?;
        users::create_on(&mut tx, &actor, &new, &password_hash).await?;
    }
    // Consultations and referrals name the accounts that filed them, so they come last.
    let consulted = consultations::load(
        &mut tx,
        cipher,
        &consultations::Registry {
            institutions: &loaded.institutions,
            programs: &loaded.programs,
            password_hash: &password_hash,
        },
    )
    .await?;
    loaded.consultations = consulted.consultations;
    loaded.referrals = consulted.referrals;
    // Hook for the synthetic DICOM studies: attach them to these imaging consultations.
    loaded.imaging_consultations = consulted.imaging;
    tx.commit().await?;
    // The triggers left one roll-up delta per record; fold them now rather than leave them to
    // the first server (figures are exact either way, the fold only makes reads cheaper).
    shanhai_store::rollups::fold(db).await?;
    // Plans solve outside the load's transaction (a solve never holds one), once the needs and
    // availability are in.
    let planned = plans::load(db, &loaded.programs).await?;
    tracing::info!(?planned, "demo plans");
    Ok(Outcome::Loaded(loaded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_parses_and_every_reference_resolves() {
        let r = registry().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.programs.len(), 5);
        for a in article_dates() {
            assert!(a.as_of.to_string().starts_with("202"), "{}", a.key);
        }
        let keys: std::collections::HashSet<_> =
            r.institutions.iter().map(|i| i.key.as_str()).collect();
        for p in &r.pairings {
            assert!(
                keys.contains(p.donor.as_str()) && keys.contains(p.recipient.as_str()),
                "{} → {}",
                p.donor,
                p.recipient
            );
        }
        for a in ACCOUNTS
            .iter()
            .filter(|a| a.role != "platform-admin" && a.role != "program-office")
        {
            assert!(keys.contains(a.scope), "{}", a.scope);
        }
    }
}
