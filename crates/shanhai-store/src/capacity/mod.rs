//! Capacity building (C6), technology transfer (C7), specialty and management building (C8) and
//! resources (C9): what stays behind when the experts leave.
//!
//! Most collections are plain records of one local institution; they share one implementation
//! through [`Collection`] (list with the common filters, get, create, update, each write audited).
//! Mentorships (apprentices per term), techniques (cases, stages, the first-in-region check) and
//! alliances (members) add their own operations.

use crate::audit::Actor;
use crate::query::{self, Arg, Filter, Page, PageRequest, fetch_page, int, text};
use crate::record::{self, Table};
use crate::row::Columns;
use crate::{Db, Result, departments, institutions, people, programs};
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;
use sqlx::AnyConnection;

/// Another record an input names, checked before a write.
pub enum Ref<'a> {
    Program(&'a str),
    Institution(&'static str, &'a str),
    /// A department of the institution.
    Department(&'static str, &'a str, &'a str),
    Person(&'static str, &'a str),
    /// A person who works at the institution.
    PersonAt(&'static str, &'a str, &'a str),
    /// A pairing whose recipient is the institution.
    PairingTo(&'static str, &'a str, &'a str),
    /// A row of `table` (a training scheme, a lecture series…): (field, table, id, the error
    /// when there is none).
    Row(&'static str, &'static str, &'a str, &'static str),
}

pub(crate) async fn check(conn: &mut AnyConnection, refs: Vec<Ref<'_>>) -> Result<()> {
    for r in refs {
        match r {
            Ref::Program(id) => {
                programs::require(conn, "program_id", id).await?;
            }
            Ref::Institution(field, id) => {
                institutions::require(conn, field, id).await?;
            }
            Ref::Department(field, id, institution) => {
                departments::require_in(conn, field, id, institution).await?;
            }
            Ref::Person(field, id) => {
                people::require(conn, field, id).await?;
            }
            Ref::PersonAt(field, id, institution) => {
                if people::require(conn, field, id).await?.institution_id != institution {
                    return Err(Invalid::new(field, "error.person_not_at_institution").into());
                }
            }
            Ref::PairingTo(field, id, institution) => {
                if crate::pairings::require(conn, field, id)
                    .await?
                    .recipient_id
                    != institution
                {
                    return Err(Invalid::new(field, "error.pairing_not_recipient").into());
                }
            }
            Ref::Row(field, table, id, key) => {
                let found = query::sql_with(
                    format!("SELECT id FROM {table} WHERE id = $1"),
                    vec![id.into()],
                )
                .fetch_optional(&mut *conn)
                .await?;
                if found.is_none() {
                    return Err(Invalid::new(field, key).into());
                }
            }
        }
    }
    Ok(())
}

/// The references every capacity record has: its program and its institution.
fn scope_refs(new: &impl Scoped) -> Vec<Ref<'_>> {
    let mut refs = vec![Ref::Institution("institution_id", new.institution_id())];
    if let Some(p) = new.program_id() {
        refs.push(Ref::Program(p));
    }
    refs
}

/// A table of records that belong to one local institution (`t.institution_id`, joined to `i`)
/// and optionally a program (`t.program_id`).
pub trait Collection: Table {
    /// The input, which names the columns it writes ([`Columns`]).
    type New: Scoped + Sync + Columns;
    /// Columns written from an input, in the order of [`Collection::args`] (the input's).
    const COLUMNS: &'static [&'static str] = <Self::New as Columns>::COLUMNS;
    /// Columns `?q=` searches.
    const SEARCH: &'static [&'static str];
    const ORDER: &'static str;
    /// The column `?kind=` filters, where the collection has kinds.
    const KIND: Option<&'static str> = None;
    /// Columns naming a person, which `?person=` matches.
    const PERSON: &'static [&'static str] = &[];
    /// A JSON list of person ids that `?person=` also matches (named attendees).
    const PERSON_LIST: Option<&'static str> = None;
    /// The column `?from=` / `?until=` compare with.
    const DATE: &'static str;
    /// Whether [`Collection::DATE`] holds a year (an integer): `?from=` and `?until=` then
    /// compare by their year (`2026`, or the year of `2026-01-01`).
    const DATE_IS_YEAR: bool = false;
    /// Whether `?gap_level=` and `?min_grade=` apply (techniques).
    const GRADED: bool = false;
    /// The column `?series=` compares with (a lecture series' sessions; `any`: in a series).
    const SERIES: Option<&'static str> = None;
    /// The region column `?region=` matches (the institution's, unless the record has a place).
    const REGION: &'static str = "i.region_code";

    /// The values of [`Collection::COLUMNS`] (the input's).
    fn args(new: &Self::New) -> Vec<Arg> {
        new.args()
    }
    /// References beyond the program and institution.
    fn refs(new: &Self::New) -> Vec<Ref<'_>>;
}

/// The filters every capacity list takes.
#[derive(Debug, Default, Clone)]
pub struct CapacityFilter {
    pub program: Option<String>,
    pub institution: Option<String>,
    /// Institutions in this GB/T 2260 region or below.
    pub region: Option<String>,
    pub q: Option<String>,
    pub kind: Option<String>,
    /// Records naming this person (trainee, mentor, operator, attendee…).
    pub person: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    /// Techniques filling a gap at this level (院内/县域/市域/省域).
    pub gap_level: Option<String>,
    /// Techniques of at least this surgical grade (手术分级 1–4).
    pub min_grade: Option<i64>,
    /// Teaching activities of this lecture series (`any`: of any series).
    pub series: Option<String>,
}

/// The year a bound names: `2026`, or the year of a date such as `2026-01-01`.
fn year_of(bound: &str) -> Option<i64> {
    let bound = bound.trim();
    let year = bound.get(..4)?;
    let rest = &bound[4..];
    if !year.bytes().all(|b| b.is_ascii_digit()) || !(rest.is_empty() || rest.starts_with('-')) {
        return None;
    }
    year.parse().ok()
}

fn filter_for<T: Collection>(f: &CapacityFilter, reach: &Reach) -> Filter {
    let mut filter = Filter::default();
    filter
        .eq("t.program_id", f.program.as_deref())
        .eq("t.institution_id", f.institution.as_deref())
        .in_region(T::REGION, f.region.as_deref())
        .search(T::SEARCH, f.q.as_deref());
    if let Some(kind) = T::KIND {
        filter.eq(kind, f.kind.as_deref());
    }
    if let Some(person) = f.person.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts: Vec<String> = T::PERSON.iter().map(|c| format!("{c} = {{}}")).collect();
        let mut args: Vec<Arg> = T::PERSON.iter().map(|_| person.into()).collect();
        if let Some(list) = T::PERSON_LIST {
            parts.push(format!("{list} LIKE {{}}"));
            args.push(format!("%\"{}\"%", person.replace(['%', '_', '"'], "")).into());
        }
        if parts.is_empty() {
            parts.push("1 = 0".into());
        }
        filter.raw_each(&format!("({})", parts.join(" OR ")), args);
    }
    for (bound, op) in [(&f.from, ">="), (&f.until, "<=")] {
        let Some(d) = bound.as_deref().filter(|d| !d.is_empty()) else {
            continue;
        };
        if !T::DATE_IS_YEAR {
            filter.raw(&format!("{} {op} {{}}", T::DATE), d.into());
        } else if let Some(year) = year_of(d) {
            filter.raw(&format!("{} {op} {{}}", T::DATE), year.into());
        } else {
            // Not a year: no record's year compares with it.
            filter.raw_each("1 = 0", Vec::new());
        }
    }
    if let Some(column) = T::SERIES {
        match f.series.as_deref().map(str::trim) {
            None | Some("") => {}
            Some("any") => {
                filter.raw_each(&format!("{column} IS NOT NULL"), Vec::new());
            }
            Some(series) => {
                filter.eq(column, Some(series));
            }
        }
    }
    if T::GRADED {
        filter.eq("t.gap_level", f.gap_level.as_deref());
        if let Some(g) = f.min_grade {
            filter.raw("t.surgical_grade >= {}", g.into());
        }
    }
    institutions::reach_filter(&mut filter, "t.institution_id", reach);
    filter
}

pub async fn list<T: Collection>(
    db: &Db,
    f: &CapacityFilter,
    reach: &Reach,
    page: PageRequest,
) -> Result<Page<T::Record>> {
    fetch_page(
        db.pool(),
        T::SELECT,
        T::FROM,
        &filter_for::<T>(f, reach),
        T::ORDER,
        page,
        T::decode,
    )
    .await
}

pub async fn get<T: Collection>(db: &Db, id: &str) -> Result<T::Record> {
    record::get::<T>(db, id).await
}

async fn check_new<T: Collection>(conn: &mut AnyConnection, new: &T::New) -> Result<()> {
    check(conn, scope_refs(new)).await?;
    check(conn, T::refs(new)).await
}

/// Creates a record inside the caller's transaction (the demo loader writes many this way).
pub async fn create_on<T: Collection>(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &T::New,
) -> Result<T::Record> {
    check_new::<T>(conn, new).await?;
    record::insert::<T>(conn, actor, T::COLUMNS, T::args(new)).await
}

pub async fn create<T: Collection>(db: &Db, actor: &Actor, new: &T::New) -> Result<T::Record> {
    let mut tx = db.begin_write().await?;
    let created = create_on::<T>(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update<T: Collection>(
    db: &Db,
    actor: &Actor,
    id: &str,
    new: &T::New,
) -> Result<T::Record> {
    let mut tx = db.begin_write().await?;
    record::get_on::<T>(&mut tx, id).await?;
    check_new::<T>(&mut tx, new).await?;
    let after = record::update::<T>(&mut tx, actor, id, T::COLUMNS, T::args(new)).await?;
    tx.commit().await?;
    Ok(after)
}

/// Declares a [`Collection`]'s [`Table`] half: a table aliased `t`, joined to its institution `i`.
/// Its record's [`Decode`](crate::row::Decode) comes from a [`row!`](crate::row::row) `read`.
macro_rules! capacity_table {
    ($name:ident, $record:ty, $table:literal, $entity:literal, $select:expr, $from:expr, $conflict:literal) => {
        pub struct $name;

        impl Table for $name {
            type Record = $record;
            const TABLE: &'static str = $table;
            const ENTITY: &'static str = $entity;
            const SELECT: &'static str = $select;
            const FROM: &'static str = $from;
            const ID: &'static str = "t.id";
            const CONFLICT: &'static str = $conflict;
        }
    };
}

// One file per record kind, with its sub-records and its own operations.
mod accreditation;
mod alliances;
mod equipment;
mod funding;
mod mentorships;
mod outreach;
mod placements;
mod regulations;
mod research;
mod specialty_projects;
mod teaching;
mod team_pairings;
mod techniques;
mod training;
mod training_kpis;
mod workstations;

pub use accreditation::*;
pub use alliances::*;
pub use equipment::*;
pub use funding::*;
pub use mentorships::*;
pub use outreach::*;
pub use placements::*;
pub use regulations::*;
pub use research::*;
pub use specialty_projects::*;
pub use teaching::*;
pub use team_pairings::*;
pub use techniques::*;
pub use training::*;
pub use training_kpis::*;
pub use workstations::*;

// ---- money totals ----

/// Sums a money column over the records the filter selects, in SQL integers: exact to the fen.
/// (PostgreSQL sums BIGINT as NUMERIC, which the `Any` driver cannot read; the cast brings it
/// back, and fails loudly rather than round should a total ever exceed BIGINT.)
async fn money_totals<T: Collection>(
    db: &Db,
    column: &str,
    f: &CapacityFilter,
    reach: &Reach,
) -> Result<MoneyTotals> {
    let filter = filter_for::<T>(f, reach);
    let row = query::sql_with(
        format!(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS total FROM {}{}",
            T::FROM,
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_one(db.pool())
    .await?;
    Ok(MoneyTotals::new(int(&row, "n")?, int(&row, "total")?))
}

// ---- what was built at an institution ----

async fn count_where(db: &Db, sql: &str, institution_id: &str) -> Result<i64> {
    query::sql_with(sql.into(), vec![institution_id.into()])
        .fetch_one(db.pool())
        .await
        .map(|r| int(&r, "n"))?
}

async fn count_by(
    db: &Db,
    table: &str,
    column: &str,
    institution_id: &str,
) -> Result<Vec<CodeCount>> {
    let rows = query::sql_with(
        format!(
            "SELECT {column} AS code, COUNT(*) AS n FROM {table} \
             WHERE institution_id = $1 AND {column} IS NOT NULL GROUP BY {column} ORDER BY {column}"
        ),
        vec![institution_id.into()],
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CodeCount {
                code: text(r, "code")?,
                count: int(r, "n")?,
            })
        })
        .collect()
}

/// "What was built here": counts of everything capacity building left at an institution.
pub async fn summary(db: &Db, institution_id: &str) -> Result<CapacitySummary> {
    institutions::get_on(&mut *db.pool().acquire().await?, institution_id).await?;
    let n = |table: &str| format!("SELECT COUNT(*) AS n FROM {table} WHERE institution_id = $1");
    let by_institution = CapacityFilter {
        institution: Some(institution_id.to_string()),
        ..Default::default()
    };
    let goals = list::<AccreditationGoals>(
        db,
        &by_institution,
        &Reach::All,
        PageRequest::new(Some(1), Some(50)),
    )
    .await?
    .items;
    let recent = list::<Techniques>(
        db,
        &by_institution,
        &Reach::All,
        PageRequest::new(Some(1), Some(10)),
    )
    .await?
    .items;
    Ok(CapacitySummary {
        institution_id: institution_id.to_string(),
        techniques: count_where(db, &n("techniques"), institution_id).await?,
        techniques_by_stage: count_by(db, "techniques", "stage", institution_id).await?,
        techniques_by_gap: count_by(db, "techniques", "gap_level", institution_id).await?,
        technique_cases: count_where(
            db,
            "SELECT COUNT(*) AS n FROM technique_cases c JOIN techniques t ON t.id = c.technique_id \
             WHERE t.institution_id = $1",
            institution_id,
        )
        .await?,
        placements: count_where(db, &n("placements"), institution_id).await?,
        mentorships: count_where(db, &n("mentorships"), institution_id).await?,
        apprentices: count_where(
            db,
            "SELECT COUNT(*) AS n FROM mentorship_apprentices a JOIN mentorships m ON m.id = a.mentorship_id \
             WHERE m.institution_id = $1",
            institution_id,
        )
        .await?,
        team_pairings: count_where(db, &n("team_pairings"), institution_id).await?,
        teaching_activities: count_where(db, &n("teaching_activities"), institution_id).await?,
        teaching_by_kind: count_by(db, "teaching_activities", "kind", institution_id).await?,
        workstations: count_where(db, &n("workstations"), institution_id).await?,
        workstations_by_kind: count_by(db, "workstations", "kind", institution_id).await?,
        alliances_led: count_where(db, &n("alliances"), institution_id).await?,
        alliance_memberships: count_where(db, &n("alliance_members"), institution_id).await?,
        specialty_projects: count_where(db, &n("specialty_projects"), institution_id).await?,
        regulations: count_where(db, &n("regulations"), institution_id).await?,
        research_outputs: count_where(db, &n("research_outputs"), institution_id).await?,
        accreditation_goals: goals,
        funding: funding_totals(db, &by_institution, &Reach::All).await?,
        equipment: equipment_totals(db, &by_institution, &Reach::All).await?,
        recent_techniques: recent,
    })
}
