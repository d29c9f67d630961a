//! Capacity building (C6), technology transfer (C7), specialty and management building (C8) and
//! resources (C9): what stays behind when the experts leave.
//!
//! Most collections are plain records of one local institution; they share one implementation
//! through [`Collection`] (list with the common filters, get, create, update, each write audited).
//! Mentorships (apprentices per term), techniques (cases, stages, the first-in-region check) and
//! alliances (members) add their own operations.

use crate::audit::{self, Action, Actor};
use crate::query::{self, Arg, Filter, Page, PageRequest, fetch_page, int, opt_text, text};
use crate::record::{self, Step, Table};
use crate::{Db, Result, StoreError, departments, institutions, people, programs};
use chrono::NaiveDate;
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

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
}

async fn check(conn: &mut AnyConnection, refs: Vec<Ref<'_>>) -> Result<()> {
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
    type New: Scoped + Sync;
    /// Columns written from an input, in the order of [`Collection::args`].
    const COLUMNS: &'static [&'static str];
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
    /// Whether `?gap_level=` and `?min_grade=` apply (techniques).
    const GRADED: bool = false;

    fn args(new: &Self::New) -> Vec<Arg>;
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
}

fn filter_for<T: Collection>(f: &CapacityFilter, reach: &Reach) -> Filter {
    let mut filter = Filter::default();
    filter
        .eq("t.program_id", f.program.as_deref())
        .eq("t.institution_id", f.institution.as_deref())
        .in_region("i.region_code", f.region.as_deref())
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
    if let Some(d) = f.from.as_deref().filter(|d| !d.is_empty()) {
        filter.raw(&format!("{} >= {{}}", T::DATE), d.into());
    }
    if let Some(d) = f.until.as_deref().filter(|d| !d.is_empty()) {
        filter.raw(&format!("{} <= {{}}", T::DATE), d.into());
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

fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(sqlx::Row::try_get::<Option<i64>, _>(row, col)?)
}

fn opt_code<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
    Ok(opt_text(row, col)?.and_then(|c| parse(&c)))
}

fn json<T: serde::Serialize>(value: &T) -> Arg {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "[]".into())
        .into()
}

fn date_arg(d: Option<NaiveDate>) -> Arg {
    d.map(|d| d.to_string()).into()
}

/// Declares a [`Collection`]'s [`Table`] half: a table aliased `t`, joined to its institution `i`.
macro_rules! capacity_table {
    ($name:ident, $record:ty, $table:literal, $entity:literal, $select:expr, $from:expr, $conflict:literal, $decode:ident) => {
        pub struct $name;

        impl Table for $name {
            type Record = $record;
            const TABLE: &'static str = $table;
            const ENTITY: &'static str = $entity;
            const SELECT: &'static str = $select;
            const FROM: &'static str = $from;
            const ID: &'static str = "t.id";
            const CONFLICT: &'static str = $conflict;

            fn decode(row: &AnyRow) -> Result<$record> {
                $decode(row)
            }
        }
    };
}

// ---- placements ----

capacity_table!(
    Placements,
    Placement,
    "placements",
    "placement",
    "t.*, i.name AS institution_name, p.name AS person_name, h.name AS host_institution_name",
    "placements t JOIN institutions i ON i.id = t.institution_id JOIN people p ON p.id = t.person_id \
     JOIN institutions h ON h.id = t.host_institution_id",
    "error.conflict",
    decode_placement
);

fn decode_placement(row: &AnyRow) -> Result<Placement> {
    Ok(Placement {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        person_id: text(row, "person_id")?,
        person_name: opt_text(row, "person_name")?,
        host_institution_id: text(row, "host_institution_id")?,
        host_institution_name: opt_text(row, "host_institution_name")?,
        host_department_id: opt_text(row, "host_department_id")?,
        subject: text(row, "subject")?,
        start_date: text(row, "start_date")?,
        end_date: opt_text(row, "end_date")?,
        status: query::code(row, "status", PlacementStatus::parse)?,
        outcome: opt_text(row, "outcome")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for Placements {
    type New = NewPlacement;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "person_id",
        "host_institution_id",
        "host_department_id",
        "subject",
        "start_date",
        "end_date",
        "status",
        "outcome",
    ];
    const SEARCH: &'static [&'static str] = &["t.subject", "p.name", "h.name"];
    const ORDER: &'static str = "t.start_date DESC, t.id";
    const KIND: Option<&'static str> = Some("t.status");
    const PERSON: &'static [&'static str] = &["t.person_id"];
    const DATE: &'static str = "t.start_date";

    fn args(n: &NewPlacement) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.person_id.clone().into(),
            n.host_institution_id.clone().into(),
            n.host_department_id.clone().into(),
            n.subject.clone().into(),
            n.start_date.to_string().into(),
            date_arg(n.end_date),
            n.status.code().into(),
            n.outcome.clone().into(),
        ]
    }

    fn refs(n: &NewPlacement) -> Vec<Ref<'_>> {
        let mut refs = vec![
            Ref::PersonAt("person_id", &n.person_id, &n.institution_id),
            Ref::Institution("host_institution_id", &n.host_institution_id),
        ];
        if let Some(d) = &n.host_department_id {
            refs.push(Ref::Department(
                "host_department_id",
                d,
                &n.host_institution_id,
            ));
        }
        refs
    }
}

// ---- mentorships ----

const MENTORSHIP_SELECT: &str = "t.*, i.name AS institution_name, m.name AS mentor_name, \
    (SELECT COUNT(*) FROM mentorship_apprentices a WHERE a.mentorship_id = t.id) AS apprentice_count";

capacity_table!(
    Mentorships,
    Mentorship,
    "mentorships",
    "mentorship",
    MENTORSHIP_SELECT,
    "mentorships t JOIN institutions i ON i.id = t.institution_id JOIN people m ON m.id = t.mentor_id",
    "error.conflict",
    decode_mentorship
);

fn decode_mentorship(row: &AnyRow) -> Result<Mentorship> {
    Ok(Mentorship {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        mentor_id: text(row, "mentor_id")?,
        mentor_name: opt_text(row, "mentor_name")?,
        term_start: text(row, "term_start")?,
        term_end: text(row, "term_end")?,
        subject: opt_text(row, "subject")?,
        evaluation: opt_code(row, "evaluation", Evaluation::parse)?,
        evaluation_note: opt_text(row, "evaluation_note")?,
        apprentice_count: int(row, "apprentice_count")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for Mentorships {
    type New = NewMentorship;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "mentor_id",
        "term_start",
        "term_end",
        "subject",
        "evaluation",
        "evaluation_note",
    ];
    const SEARCH: &'static [&'static str] = &["m.name", "t.subject"];
    const ORDER: &'static str = "t.term_start DESC, m.name, t.id";
    const KIND: Option<&'static str> = Some("t.evaluation");
    const PERSON: &'static [&'static str] = &["t.mentor_id"];
    const DATE: &'static str = "t.term_start";

    /// `term_end` must already be settled (see [`create_mentorship_on`]).
    fn args(n: &NewMentorship) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.mentor_id.clone().into(),
            n.term_start.to_string().into(),
            n.term_end.unwrap_or(n.term_start).to_string().into(),
            n.subject.clone().into(),
            n.evaluation.map(|e| e.code().to_string()).into(),
            n.evaluation_note.clone().into(),
        ]
    }

    fn refs(n: &NewMentorship) -> Vec<Ref<'_>> {
        let mut refs = vec![Ref::Person("mentor_id", &n.mentor_id)];
        if let Some(d) = &n.department_id {
            refs.push(Ref::Department("department_id", d, &n.institution_id));
        }
        refs
    }
}

/// A program's mentorship settings, the defaults when it has none (or no program is given).
pub async fn settings_on(
    conn: &mut AnyConnection,
    program_id: Option<&str>,
) -> Result<MentorshipSettings> {
    let Some(program_id) = program_id else {
        return Ok(MentorshipSettings::default());
    };
    let row = query::sql_with(
        "SELECT max_apprentices, term_months FROM capacity_settings WHERE program_id = $1".into(),
        vec![program_id.into()],
    )
    .fetch_optional(conn)
    .await?;
    match row {
        Some(r) => Ok(MentorshipSettings {
            max_apprentices: int(&r, "max_apprentices")?,
            term_months: int(&r, "term_months")?,
        }),
        None => Ok(MentorshipSettings::default()),
    }
}

pub async fn get_settings(db: &Db, program_id: &str) -> Result<CapacitySettings> {
    let mut conn = db.pool().acquire().await?;
    programs::get_on(&mut conn, program_id).await?;
    let customised = query::sql_with(
        "SELECT COUNT(*) AS n FROM capacity_settings WHERE program_id = $1".into(),
        vec![program_id.into()],
    )
    .fetch_one(&mut *conn)
    .await
    .map(|r| int(&r, "n"))??
        > 0;
    let s = settings_on(&mut conn, Some(program_id)).await?;
    Ok(CapacitySettings {
        program_id: program_id.to_string(),
        max_apprentices: s.max_apprentices,
        term_months: s.term_months,
        customised,
    })
}

/// Sets how many apprentices a mentor may take per term and how long a term is, for a program.
pub async fn set_settings(
    db: &Db,
    actor: &Actor,
    program_id: &str,
    settings: &MentorshipSettings,
) -> Result<CapacitySettings> {
    let mut tx = db.begin_write().await?;
    programs::get_on(&mut tx, program_id).await?;
    let before = settings_on(&mut tx, Some(program_id)).await?;
    query::sql_with(
        "INSERT INTO capacity_settings (program_id, max_apprentices, term_months, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (program_id) DO UPDATE SET \
         max_apprentices = excluded.max_apprentices, term_months = excluded.term_months, \
         updated_at = excluded.updated_at"
            .into(),
        vec![
            program_id.into(),
            settings.max_apprentices.into(),
            settings.term_months.into(),
            crate::now().into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "capacity_settings",
        program_id,
        Some(&before),
        Some(settings),
    )
    .await?;
    tx.commit().await?;
    get_settings(db, program_id).await
}

/// Creates a mentorship whose term ends where the program's settings say (or earlier).
pub async fn create_mentorship_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewMentorship,
) -> Result<Mentorship> {
    let settings = settings_on(conn, new.program_id.as_deref()).await?;
    let settled = NewMentorship {
        term_end: Some(new.settle_term(&settings)?),
        ..new.clone()
    };
    create_on::<Mentorships>(conn, actor, &settled).await
}

pub async fn create_mentorship(db: &Db, actor: &Actor, new: &NewMentorship) -> Result<Mentorship> {
    let mut tx = db.begin_write().await?;
    let created = create_mentorship_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a mentorship (its term, the end-of-term evaluation…). The term may not shrink below
/// what its apprentices' joining dates need, and its apprentices still count against the mentor.
pub async fn update_mentorship(
    db: &Db,
    actor: &Actor,
    id: &str,
    new: &NewMentorship,
) -> Result<Mentorship> {
    let mut tx = db.begin_write().await?;
    record::get_on::<Mentorships>(&mut tx, id).await?;
    let settings = settings_on(&mut tx, new.program_id.as_deref()).await?;
    let settled = NewMentorship {
        term_end: Some(new.settle_term(&settings)?),
        ..new.clone()
    };
    check_new::<Mentorships>(&mut tx, &settled).await?;
    let after = record::update::<Mentorships>(
        &mut tx,
        actor,
        id,
        Mentorships::COLUMNS,
        Mentorships::args(&settled),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

fn decode_apprentice(row: &AnyRow) -> Result<Apprentice> {
    Ok(Apprentice {
        id: text(row, "id")?,
        mentorship_id: text(row, "mentorship_id")?,
        person_id: text(row, "person_id")?,
        person_name: opt_text(row, "person_name")?,
        joined_on: text(row, "joined_on")?,
    })
}

const APPRENTICE_SELECT: &str = "SELECT a.*, p.name AS person_name FROM mentorship_apprentices a \
    JOIN people p ON p.id = a.person_id";

/// Adds an apprentice (local staff of the mentorship's institution). Refused with
/// `error.mentor_full` when the mentor already has as many apprentices in an overlapping term as
/// the program allows.
pub async fn add_apprentice_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    mentorship_id: &str,
    new: &NewApprentice,
) -> Result<Apprentice> {
    let m = record::get_on::<Mentorships>(conn, mentorship_id).await?;
    check(
        conn,
        vec![Ref::PersonAt(
            "person_id",
            &new.person_id,
            &m.institution_id,
        )],
    )
    .await?;
    let joined_on = new
        .joined_on
        .map(|d| d.to_string())
        .unwrap_or_else(|| m.term_start.clone());
    if joined_on < m.term_start || joined_on > m.term_end {
        return Err(Invalid::new("joined_on", "error.joined_outside_term").into());
    }
    // Touching the mentor's overlapping mentorships first makes concurrent additions for the
    // same mentor wait for each other on PostgreSQL (SQLite already writes one at a time).
    query::sql_with(
        "UPDATE mentorships SET updated_at = updated_at \
         WHERE mentor_id = $1 AND term_start <= $2 AND term_end >= $3"
            .into(),
        vec![
            m.mentor_id.clone().into(),
            m.term_end.clone().into(),
            m.term_start.clone().into(),
        ],
    )
    .execute(&mut *conn)
    .await?;
    let held = query::sql_with(
        "SELECT COUNT(*) AS n FROM mentorship_apprentices a JOIN mentorships x ON x.id = a.mentorship_id \
         WHERE x.mentor_id = $1 AND x.term_start <= $2 AND x.term_end >= $3"
            .into(),
        vec![
            m.mentor_id.clone().into(),
            m.term_end.clone().into(),
            m.term_start.clone().into(),
        ],
    )
    .fetch_one(&mut *conn)
    .await
    .map(|r| int(&r, "n"))??;
    let settings = settings_on(conn, m.program_id.as_deref()).await?;
    if !settings.admits(held) {
        return Err(StoreError::Conflict("error.mentor_full"));
    }
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "mentorship_apprentices",
            &[
                "id",
                "mentorship_id",
                "person_id",
                "joined_on",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            mentorship_id.into(),
            new.person_id.clone().into(),
            joined_on.into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::on_unique(e, "error.apprentice_exists"))?;
    let row = query::sql_with(
        format!("{APPRENTICE_SELECT} WHERE a.id = $1"),
        vec![id.clone().into()],
    )
    .fetch_one(&mut *conn)
    .await?;
    let created = decode_apprentice(&row)?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        "mentorship_apprentice",
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

pub async fn add_apprentice(
    db: &Db,
    actor: &Actor,
    mentorship_id: &str,
    new: &NewApprentice,
) -> Result<Apprentice> {
    let mut tx = db.begin_write().await?;
    let created = add_apprentice_on(&mut tx, actor, mentorship_id, new).await?;
    tx.commit().await?;
    Ok(created)
}

fn decode_note(row: &AnyRow) -> Result<ProgressNote> {
    Ok(ProgressNote {
        id: text(row, "id")?,
        mentorship_id: text(row, "mentorship_id")?,
        written_on: text(row, "written_on")?,
        note: text(row, "note")?,
        author: text(row, "author")?,
        created_at: text(row, "created_at")?,
    })
}

/// Adds a progress note to a mentorship.
pub async fn add_note(
    db: &Db,
    actor: &Actor,
    mentorship_id: &str,
    written_on: NaiveDate,
    note: &str,
) -> Result<ProgressNote> {
    let mut tx = db.begin_write().await?;
    record::get_on::<Mentorships>(&mut tx, mentorship_id).await?;
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "mentorship_notes",
            &[
                "id",
                "mentorship_id",
                "written_on",
                "note",
                "author",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            mentorship_id.into(),
            written_on.to_string().into(),
            note.into(),
            actor.name.clone().into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    let row = query::sql_with(
        "SELECT * FROM mentorship_notes WHERE id = $1".into(),
        vec![id.clone().into()],
    )
    .fetch_one(&mut *tx)
    .await?;
    let created = decode_note(&row)?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Create,
        "mentorship_note",
        &id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// A mentorship with its apprentices and notes.
pub async fn mentorship_detail(db: &Db, id: &str) -> Result<MentorshipDetail> {
    let mentorship = record::get::<Mentorships>(db, id).await?;
    let apprentices = query::sql_with(
        format!("{APPRENTICE_SELECT} WHERE a.mentorship_id = $1 ORDER BY a.joined_on, p.name"),
        vec![id.into()],
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(decode_apprentice)
    .collect::<Result<_>>()?;
    let notes = query::sql_with(
        "SELECT * FROM mentorship_notes WHERE mentorship_id = $1 ORDER BY written_on, created_at"
            .into(),
        vec![id.into()],
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(decode_note)
    .collect::<Result<_>>()?;
    Ok(MentorshipDetail {
        mentorship,
        apprentices,
        notes,
    })
}

// ---- team pairings (团队带团队) ----

capacity_table!(
    TeamPairings,
    TeamPairing,
    "team_pairings",
    "team_pairing",
    "t.*, i.name AS institution_name, d.name AS donor_institution_name",
    "team_pairings t JOIN institutions i ON i.id = t.institution_id \
     JOIN institutions d ON d.id = t.donor_institution_id",
    "error.conflict",
    decode_team_pairing
);

fn decode_team_pairing(row: &AnyRow) -> Result<TeamPairing> {
    Ok(TeamPairing {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        local_team: text(row, "local_team")?,
        donor_institution_id: text(row, "donor_institution_id")?,
        donor_institution_name: opt_text(row, "donor_institution_name")?,
        donor_team: text(row, "donor_team")?,
        start_date: text(row, "start_date")?,
        end_date: opt_text(row, "end_date")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for TeamPairings {
    type New = NewTeamPairing;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "local_team",
        "donor_institution_id",
        "donor_team",
        "start_date",
        "end_date",
    ];
    const SEARCH: &'static [&'static str] = &["t.local_team", "t.donor_team", "d.name"];
    const ORDER: &'static str = "t.start_date DESC, t.id";
    const DATE: &'static str = "t.start_date";

    fn args(n: &NewTeamPairing) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.local_team.clone().into(),
            n.donor_institution_id.clone().into(),
            n.donor_team.clone().into(),
            n.start_date.to_string().into(),
            date_arg(n.end_date),
        ]
    }

    fn refs(n: &NewTeamPairing) -> Vec<Ref<'_>> {
        let mut refs = vec![Ref::Institution(
            "donor_institution_id",
            &n.donor_institution_id,
        )];
        if let Some(d) = &n.department_id {
            refs.push(Ref::Department("department_id", d, &n.institution_id));
        }
        refs
    }
}

// ---- teaching activities ----

capacity_table!(
    TeachingActivities,
    TeachingActivity,
    "teaching_activities",
    "teaching_activity",
    "t.*, i.name AS institution_name, h.name AS host_name",
    "teaching_activities t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN people h ON h.id = t.host_id",
    "error.conflict",
    decode_teaching
);

fn decode_teaching(row: &AnyRow) -> Result<TeachingActivity> {
    Ok(TeachingActivity {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        kind: query::code(row, "kind", TeachingKind::parse)?,
        held_on: text(row, "held_on")?,
        host_id: opt_text(row, "host_id")?,
        host_name: opt_text(row, "host_name")?,
        place: opt_text(row, "place")?,
        online: int(row, "online")? != 0,
        topic: text(row, "topic")?,
        duration_minutes: int(row, "duration_minutes")?,
        attendance: int(row, "attendance")?,
        attendee_ids: query::json_list(row, "attendee_ids")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for TeachingActivities {
    type New = NewTeachingActivity;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "kind",
        "held_on",
        "host_id",
        "place",
        "online",
        "topic",
        "duration_minutes",
        "attendance",
        "attendee_ids",
    ];
    const SEARCH: &'static [&'static str] = &["t.topic", "h.name", "t.place"];
    const ORDER: &'static str = "t.held_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const PERSON: &'static [&'static str] = &["t.host_id"];
    const PERSON_LIST: Option<&'static str> = Some("t.attendee_ids");
    const DATE: &'static str = "t.held_on";

    fn args(n: &NewTeachingActivity) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.kind.code().into(),
            shanhai_domain::validate::iso_date(n.held_on).into(),
            n.host_id.clone().into(),
            n.place.clone().into(),
            i64::from(n.online).into(),
            n.topic.clone().into(),
            n.duration_minutes.into(),
            n.attendance.into(),
            json(&n.attendee_ids),
        ]
    }

    fn refs(n: &NewTeachingActivity) -> Vec<Ref<'_>> {
        let mut refs: Vec<Ref<'_>> = n
            .attendee_ids
            .iter()
            .map(|a| Ref::Person("attendee_ids", a))
            .collect();
        if let Some(h) = &n.host_id {
            refs.push(Ref::Person("host_id", h));
        }
        if let Some(d) = &n.department_id {
            refs.push(Ref::Department("department_id", d, &n.institution_id));
        }
        refs
    }
}

// ---- training KPIs ----

capacity_table!(
    TrainingKpis,
    TrainingKpi,
    "training_kpis",
    "training_kpi",
    "t.*, i.name AS institution_name",
    "training_kpis t JOIN institutions i ON i.id = t.institution_id",
    "error.training_kpi_exists",
    decode_kpi
);

fn decode_kpi(row: &AnyRow) -> Result<TrainingKpi> {
    let candidates = int(row, "candidates")?;
    let passed = int(row, "passed")?;
    Ok(TrainingKpi {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        indicator: query::code(row, "indicator", TrainingIndicator::parse)?,
        year: int(row, "year")?,
        candidates,
        passed,
        rate_percent: percent(passed, candidates),
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for TrainingKpis {
    type New = NewTrainingKpi;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "indicator",
        "year",
        "candidates",
        "passed",
    ];
    const SEARCH: &'static [&'static str] = &["i.name"];
    const ORDER: &'static str = "i.name, t.indicator, t.year, t.id";
    const KIND: Option<&'static str> = Some("t.indicator");
    const DATE: &'static str = "t.year";

    fn args(n: &NewTrainingKpi) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.indicator.code().into(),
            n.year.into(),
            n.candidates.into(),
            n.passed.into(),
        ]
    }

    fn refs(_: &NewTrainingKpi) -> Vec<Ref<'_>> {
        Vec::new()
    }
}

// ---- techniques ----

const TECHNIQUE_SELECT: &str = "t.*, i.name AS institution_name, d.name AS department_name, \
    e.name AS expert_name, \
    (SELECT MIN(c.performed_on) FROM technique_cases c WHERE c.technique_id = t.id) AS first_case_on, \
    (SELECT COUNT(*) FROM technique_cases c WHERE c.technique_id = t.id) AS case_count, \
    (SELECT COUNT(*) FROM technique_cases c WHERE c.technique_id = t.id AND c.by_local_staff = 1) \
    AS local_case_count";

capacity_table!(
    Techniques,
    Technique,
    "techniques",
    "technique",
    TECHNIQUE_SELECT,
    "techniques t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN departments d ON d.id = t.department_id LEFT JOIN people e ON e.id = t.expert_id",
    "error.conflict",
    decode_technique
);

fn decode_technique(row: &AnyRow) -> Result<Technique> {
    Ok(Technique {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        department_name: opt_text(row, "department_name")?,
        name: text(row, "name")?,
        specialty_code: text(row, "specialty_code")?,
        surgical_grade: opt_int(row, "surgical_grade")?,
        gap_level: opt_code(row, "gap_level", GapLevel::parse)?,
        pairing_id: opt_text(row, "pairing_id")?,
        expert_id: opt_text(row, "expert_id")?,
        expert_name: opt_text(row, "expert_name")?,
        stage: query::code(row, "stage", TechniqueStage::parse)?,
        introduced_on: text(row, "introduced_on")?,
        first_case_on: opt_text(row, "first_case_on")?,
        case_count: int(row, "case_count")?,
        local_case_count: int(row, "local_case_count")?,
        description: opt_text(row, "description")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

/// Techniques are created at the `introduced` stage; the stage then changes only through
/// [`change_stage`], so it is not among the columns an input writes.
impl Collection for Techniques {
    type New = NewTechnique;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "name",
        "name_key",
        "specialty_code",
        "surgical_grade",
        "gap_level",
        "pairing_id",
        "expert_id",
        "introduced_on",
        "description",
    ];
    const SEARCH: &'static [&'static str] = &["t.name", "e.name"];
    const ORDER: &'static str = "t.introduced_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.stage");
    const PERSON: &'static [&'static str] = &["t.expert_id"];
    const DATE: &'static str = "t.introduced_on";
    const GRADED: bool = true;

    fn args(n: &NewTechnique) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.name.clone().into(),
            technique_key(&n.name).into(),
            n.specialty_code.clone().into(),
            n.surgical_grade.into(),
            n.gap_level.map(|g| g.code().to_string()).into(),
            n.pairing_id.clone().into(),
            n.expert_id.clone().into(),
            n.introduced_on.to_string().into(),
            n.description.clone().into(),
        ]
    }

    fn refs(n: &NewTechnique) -> Vec<Ref<'_>> {
        let mut refs = Vec::new();
        if let Some(d) = &n.department_id {
            refs.push(Ref::Department("department_id", d, &n.institution_id));
        }
        if let Some(p) = &n.pairing_id {
            refs.push(Ref::PairingTo("pairing_id", p, &n.institution_id));
        }
        if let Some(e) = &n.expert_id {
            refs.push(Ref::Person("expert_id", e));
        }
        refs
    }
}

/// A technique already recorded in the area a new "first in the region" claim covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierTechnique {
    pub technique_id: String,
    pub institution_name: String,
    pub introduced_on: String,
}

/// Earlier records of the same technique (same name, same specialty) in the area the claim
/// covers: the institution itself for 院内, else its county, city or province.
async fn earlier_in_area(
    conn: &mut AnyConnection,
    new: &NewTechnique,
    exclude: &str,
) -> Result<Vec<EarlierTechnique>> {
    let Some(level) = new.gap_level else {
        return Ok(Vec::new());
    };
    let institution = institutions::get_on(conn, &new.institution_id).await?;
    let mut filter = Filter::default();
    filter
        .eq("t.name_key", Some(&technique_key(&new.name)))
        .eq("t.specialty_code", Some(&new.specialty_code))
        .raw("t.id <> {}", exclude.into());
    match level.area_prefix(&institution.region_code) {
        Some(prefix) => {
            filter.raw("i.region_code LIKE {}", format!("{prefix}%").into());
        }
        None => {
            filter.eq("t.institution_id", Some(&new.institution_id));
        }
    }
    let rows = query::sql_with(
        format!(
            "SELECT t.id, t.introduced_on, i.name AS institution_name \
             FROM techniques t JOIN institutions i ON i.id = t.institution_id{} \
             ORDER BY t.introduced_on, t.id LIMIT 5",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EarlierTechnique {
                technique_id: text(r, "id")?,
                institution_name: text(r, "institution_name")?,
                introduced_on: text(r, "introduced_on")?,
            })
        })
        .collect()
}

async fn technique_step(
    conn: &mut AnyConnection,
    id: &str,
    actor: &Actor,
    action: &str,
    from: TechniqueStage,
    to: TechniqueStage,
    note: Option<String>,
) -> Result<()> {
    record::append_step(
        conn,
        "technique_events",
        "technique_id",
        "note",
        id,
        actor,
        Step {
            action,
            from: from.code(),
            to: to.code(),
            note,
        },
    )
    .await
}

/// Records a new technique at the `introduced` stage. A claimed gap already filled in its area
/// does not stop it: the earlier records come back for the caller to warn about.
pub async fn create_technique_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewTechnique,
) -> Result<(Technique, Vec<EarlierTechnique>)> {
    check_new::<Techniques>(conn, new).await?;
    let earlier = earlier_in_area(conn, new, "").await?;
    let mut columns = Techniques::COLUMNS.to_vec();
    columns.push("stage");
    let mut args = Techniques::args(new);
    args.push(TechniqueStage::Introduced.code().into());
    let created = record::insert::<Techniques>(conn, actor, &columns, args).await?;
    technique_step(
        conn,
        &created.id,
        actor,
        "introduce",
        TechniqueStage::Introduced,
        TechniqueStage::Introduced,
        None,
    )
    .await?;
    Ok((created, earlier))
}

pub async fn create_technique(
    db: &Db,
    actor: &Actor,
    new: &NewTechnique,
) -> Result<(Technique, Vec<EarlierTechnique>)> {
    let mut tx = db.begin_write().await?;
    let created = create_technique_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a technique's description; its stage stays as it is.
pub async fn update_technique(
    db: &Db,
    actor: &Actor,
    id: &str,
    new: &NewTechnique,
) -> Result<(Technique, Vec<EarlierTechnique>)> {
    let mut tx = db.begin_write().await?;
    record::get_on::<Techniques>(&mut tx, id).await?;
    check_new::<Techniques>(&mut tx, new).await?;
    let earlier = earlier_in_area(&mut tx, new, id).await?;
    let after = record::update::<Techniques>(
        &mut tx,
        actor,
        id,
        Techniques::COLUMNS,
        Techniques::args(new),
    )
    .await?;
    tx.commit().await?;
    Ok((after, earlier))
}

fn decode_case(row: &AnyRow) -> Result<TechniqueCase> {
    Ok(TechniqueCase {
        id: text(row, "id")?,
        technique_id: text(row, "technique_id")?,
        performed_on: text(row, "performed_on")?,
        operator_id: text(row, "operator_id")?,
        operator_name: opt_text(row, "operator_name")?,
        by_local_staff: int(row, "by_local_staff")? != 0,
        supervisor_id: opt_text(row, "supervisor_id")?,
        supervisor_name: opt_text(row, "supervisor_name")?,
        outcome: query::code(row, "outcome", CaseOutcome::parse)?,
        note: opt_text(row, "note")?,
        created_at: text(row, "created_at")?,
    })
}

const CASE_SELECT: &str = "SELECT c.*, o.name AS operator_name, s.name AS supervisor_name \
    FROM technique_cases c JOIN people o ON o.id = c.operator_id LEFT JOIN people s ON s.id = c.supervisor_id";

/// Logs a case of a technique (date, operator, supervising expert, outcome — no patient
/// details). A case whose operator works at the technique's institution is local staff's.
pub async fn record_case_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    technique_id: &str,
    new: &NewTechniqueCase,
) -> Result<TechniqueCase> {
    let technique = record::get_on::<Techniques>(conn, technique_id).await?;
    let operator = people::require(conn, "operator_id", &new.operator_id).await?;
    if let Some(s) = &new.supervisor_id {
        people::require(conn, "supervisor_id", s).await?;
    }
    if new.performed_on.to_string() < technique.introduced_on {
        return Err(Invalid::new("performed_on", "error.case_before_introduction").into());
    }
    let by_local_staff = operator.institution_id == technique.institution_id;
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "technique_cases",
            &[
                "id",
                "technique_id",
                "performed_on",
                "operator_id",
                "by_local_staff",
                "supervisor_id",
                "outcome",
                "note",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            technique_id.into(),
            new.performed_on.to_string().into(),
            new.operator_id.clone().into(),
            i64::from(by_local_staff).into(),
            new.supervisor_id.clone().into(),
            new.outcome.code().into(),
            new.note.clone().into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *conn)
    .await?;
    let row = query::sql_with(
        format!("{CASE_SELECT} WHERE c.id = $1"),
        vec![id.clone().into()],
    )
    .fetch_one(&mut *conn)
    .await?;
    let created = decode_case(&row)?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        "technique_case",
        &id,
        None,
        Some(&created),
    )
    .await?;
    technique_step(
        conn,
        technique_id,
        actor,
        "case",
        technique.stage,
        technique.stage,
        Some(format!(
            "{} {} {}",
            new.performed_on,
            operator.name,
            new.outcome.code()
        )),
    )
    .await?;
    Ok(created)
}

pub async fn record_case(
    db: &Db,
    actor: &Actor,
    technique_id: &str,
    new: &NewTechniqueCase,
) -> Result<TechniqueCase> {
    let mut tx = db.begin_write().await?;
    let created = record_case_on(&mut tx, actor, technique_id, new).await?;
    tx.commit().await?;
    Ok(created)
}

/// Moves a technique to a later stage. Refused (conflict) backwards, and to `independent` while
/// no case by local staff is recorded; nothing changes then.
pub async fn change_stage_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    technique_id: &str,
    to: TechniqueStage,
    note: Option<String>,
) -> Result<Technique> {
    let technique = record::get_on::<Techniques>(conn, technique_id).await?;
    technique
        .stage
        .may_move_to(to, technique.local_case_count)
        .map_err(StoreError::Conflict)?;
    let after = record::update::<Techniques>(
        conn,
        actor,
        technique_id,
        &["stage"],
        vec![to.code().into()],
    )
    .await?;
    technique_step(
        conn,
        technique_id,
        actor,
        "stage",
        technique.stage,
        to,
        note,
    )
    .await?;
    Ok(after)
}

pub async fn change_stage(
    db: &Db,
    actor: &Actor,
    technique_id: &str,
    to: TechniqueStage,
    note: Option<String>,
) -> Result<Technique> {
    let mut tx = db.begin_write().await?;
    let after = change_stage_on(&mut tx, actor, technique_id, to, note).await?;
    tx.commit().await?;
    Ok(after)
}

/// A technique with its cases and its timeline.
pub async fn technique_detail(db: &Db, id: &str) -> Result<TechniqueDetail> {
    let technique = record::get::<Techniques>(db, id).await?;
    let cases = query::sql_with(
        format!("{CASE_SELECT} WHERE c.technique_id = $1 ORDER BY c.performed_on, c.created_at"),
        vec![id.into()],
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(decode_case)
    .collect::<Result<_>>()?;
    let timeline = query::sql_with(
        "SELECT * FROM technique_events WHERE technique_id = $1 ORDER BY at, id".into(),
        vec![id.into()],
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(TechniqueEvent {
            action: text(r, "action")?,
            from_state: text(r, "from_state")?,
            to_state: text(r, "to_state")?,
            at: text(r, "at")?,
            actor_name: text(r, "actor_name")?,
            note: opt_text(r, "note")?,
        })
    })
    .collect::<Result<_>>()?;
    Ok(TechniqueDetail {
        technique,
        cases,
        timeline,
    })
}

// ---- workstations ----

capacity_table!(
    Workstations,
    Workstation,
    "workstations",
    "workstation",
    "t.*, i.name AS institution_name, e.name AS lead_expert_name",
    "workstations t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN people e ON e.id = t.lead_expert_id",
    "error.conflict",
    decode_workstation
);

fn decode_workstation(row: &AnyRow) -> Result<Workstation> {
    Ok(Workstation {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        kind: query::code(row, "kind", WorkstationKind::parse)?,
        name: text(row, "name")?,
        lead_expert_id: opt_text(row, "lead_expert_id")?,
        lead_expert_name: opt_text(row, "lead_expert_name")?,
        opened_on: text(row, "opened_on")?,
        visits: int(row, "visits")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for Workstations {
    type New = NewWorkstation;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "kind",
        "name",
        "lead_expert_id",
        "opened_on",
        "visits",
    ];
    const SEARCH: &'static [&'static str] = &["t.name", "e.name"];
    const ORDER: &'static str = "t.opened_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const PERSON: &'static [&'static str] = &["t.lead_expert_id"];
    const DATE: &'static str = "t.opened_on";

    fn args(n: &NewWorkstation) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.kind.code().into(),
            n.name.clone().into(),
            n.lead_expert_id.clone().into(),
            n.opened_on.to_string().into(),
            n.visits.into(),
        ]
    }

    fn refs(n: &NewWorkstation) -> Vec<Ref<'_>> {
        let mut refs = Vec::new();
        if let Some(e) = &n.lead_expert_id {
            refs.push(Ref::Person("lead_expert_id", e));
        }
        if let Some(d) = &n.department_id {
            refs.push(Ref::Department("department_id", d, &n.institution_id));
        }
        refs
    }
}

// ---- alliances ----

capacity_table!(
    Alliances,
    Alliance,
    "alliances",
    "alliance",
    "t.*, i.name AS institution_name, \
     (SELECT COUNT(*) FROM alliance_members m WHERE m.alliance_id = t.id) AS member_count",
    "alliances t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict",
    decode_alliance
);

fn decode_alliance(row: &AnyRow) -> Result<Alliance> {
    Ok(Alliance {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        name: text(row, "name")?,
        specialty_code: opt_text(row, "specialty_code")?,
        founded_on: text(row, "founded_on")?,
        member_count: int(row, "member_count")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for Alliances {
    type New = NewAlliance;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "name",
        "specialty_code",
        "founded_on",
    ];
    const SEARCH: &'static [&'static str] = &["t.name"];
    const ORDER: &'static str = "t.founded_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.specialty_code");
    const DATE: &'static str = "t.founded_on";

    fn args(n: &NewAlliance) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.name.clone().into(),
            n.specialty_code.clone().into(),
            n.founded_on.to_string().into(),
        ]
    }

    fn refs(_: &NewAlliance) -> Vec<Ref<'_>> {
        Vec::new()
    }
}

const MEMBER_SELECT: &str = "SELECT m.*, i.name AS institution_name FROM alliance_members m \
    JOIN institutions i ON i.id = m.institution_id";

fn decode_member(row: &AnyRow) -> Result<AllianceMember> {
    Ok(AllianceMember {
        id: text(row, "id")?,
        alliance_id: text(row, "alliance_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        joined_on: text(row, "joined_on")?,
    })
}

/// Adds a member institution to an alliance (each institution once).
pub async fn add_member_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    alliance_id: &str,
    institution_id: &str,
    joined_on: NaiveDate,
) -> Result<AllianceMember> {
    record::get_on::<Alliances>(conn, alliance_id).await?;
    institutions::require(conn, "institution_id", institution_id).await?;
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "alliance_members",
            &[
                "id",
                "alliance_id",
                "institution_id",
                "joined_on",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            alliance_id.into(),
            institution_id.into(),
            joined_on.to_string().into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::on_unique(e, "error.member_exists"))?;
    let row = query::sql_with(
        format!("{MEMBER_SELECT} WHERE m.id = $1"),
        vec![id.clone().into()],
    )
    .fetch_one(&mut *conn)
    .await?;
    let created = decode_member(&row)?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        "alliance_member",
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

pub async fn add_member(
    db: &Db,
    actor: &Actor,
    alliance_id: &str,
    institution_id: &str,
    joined_on: NaiveDate,
) -> Result<AllianceMember> {
    let mut tx = db.begin_write().await?;
    let created = add_member_on(&mut tx, actor, alliance_id, institution_id, joined_on).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn alliance_detail(db: &Db, id: &str) -> Result<AllianceDetail> {
    let alliance = record::get::<Alliances>(db, id).await?;
    let members = query::sql_with(
        format!("{MEMBER_SELECT} WHERE m.alliance_id = $1 ORDER BY m.joined_on, i.name"),
        vec![id.into()],
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(decode_member)
    .collect::<Result<_>>()?;
    Ok(AllianceDetail { alliance, members })
}

// ---- specialty projects ----

capacity_table!(
    SpecialtyProjects,
    SpecialtyProject,
    "specialty_projects",
    "specialty_project",
    "t.*, i.name AS institution_name",
    "specialty_projects t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict",
    decode_specialty_project
);

fn decode_specialty_project(row: &AnyRow) -> Result<SpecialtyProject> {
    Ok(SpecialtyProject {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        name: text(row, "name")?,
        level: query::code(row, "level", SpecialtyLevel::parse)?,
        started_on: text(row, "started_on")?,
        milestones: serde_json::from_str(&text(row, "milestones")?).unwrap_or_default(),
        acceptance_result: query::code(row, "acceptance_result", AcceptanceResult::parse)?,
        accepted_on: opt_text(row, "accepted_on")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for SpecialtyProjects {
    type New = NewSpecialtyProject;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "name",
        "level",
        "started_on",
        "milestones",
        "acceptance_result",
        "accepted_on",
    ];
    const SEARCH: &'static [&'static str] = &["t.name"];
    const ORDER: &'static str = "t.started_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.level");
    const DATE: &'static str = "t.started_on";

    fn args(n: &NewSpecialtyProject) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.name.clone().into(),
            n.level.code().into(),
            n.started_on.to_string().into(),
            json(&n.milestones),
            n.acceptance_result.code().into(),
            date_arg(n.accepted_on),
        ]
    }

    fn refs(n: &NewSpecialtyProject) -> Vec<Ref<'_>> {
        n.department_id
            .iter()
            .map(|d| Ref::Department("department_id", d, &n.institution_id))
            .collect()
    }
}

// ---- regulations ----

capacity_table!(
    Regulations,
    Regulation,
    "regulations",
    "regulation",
    "t.*, i.name AS institution_name",
    "regulations t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict",
    decode_regulation
);

fn decode_regulation(row: &AnyRow) -> Result<Regulation> {
    Ok(Regulation {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        title: text(row, "title")?,
        area: text(row, "area")?,
        adopted_on: text(row, "adopted_on")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for Regulations {
    type New = NewRegulation;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "title",
        "area",
        "adopted_on",
    ];
    const SEARCH: &'static [&'static str] = &["t.title", "t.area"];
    const ORDER: &'static str = "t.adopted_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.area");
    const DATE: &'static str = "t.adopted_on";

    fn args(n: &NewRegulation) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.title.clone().into(),
            n.area.clone().into(),
            n.adopted_on.to_string().into(),
        ]
    }

    fn refs(_: &NewRegulation) -> Vec<Ref<'_>> {
        Vec::new()
    }
}

// ---- research outputs ----

capacity_table!(
    ResearchOutputs,
    ResearchOutput,
    "research_outputs",
    "research_output",
    "t.*, i.name AS institution_name, p.name AS person_name",
    "research_outputs t JOIN institutions i ON i.id = t.institution_id JOIN people p ON p.id = t.person_id",
    "error.conflict",
    decode_research
);

fn decode_research(row: &AnyRow) -> Result<ResearchOutput> {
    Ok(ResearchOutput {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        kind: query::code(row, "kind", ResearchKind::parse)?,
        title: text(row, "title")?,
        person_id: text(row, "person_id")?,
        person_name: opt_text(row, "person_name")?,
        venue: opt_text(row, "venue")?,
        dated_on: text(row, "dated_on")?,
        amount_fen: opt_int(row, "amount_fen")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for ResearchOutputs {
    type New = NewResearchOutput;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "kind",
        "title",
        "person_id",
        "venue",
        "dated_on",
        "amount_fen",
    ];
    const SEARCH: &'static [&'static str] = &["t.title", "p.name", "t.venue"];
    const ORDER: &'static str = "t.dated_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const PERSON: &'static [&'static str] = &["t.person_id"];
    const DATE: &'static str = "t.dated_on";

    fn args(n: &NewResearchOutput) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.kind.code().into(),
            n.title.clone().into(),
            n.person_id.clone().into(),
            n.venue.clone().into(),
            n.dated_on.to_string().into(),
            n.amount_fen.into(),
        ]
    }

    fn refs(n: &NewResearchOutput) -> Vec<Ref<'_>> {
        vec![Ref::PersonAt("person_id", &n.person_id, &n.institution_id)]
    }
}

// ---- accreditation goals ----

capacity_table!(
    AccreditationGoals,
    AccreditationGoal,
    "accreditation_goals",
    "accreditation_goal",
    "t.*, i.name AS institution_name",
    "accreditation_goals t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict",
    decode_goal
);

fn decode_goal(row: &AnyRow) -> Result<AccreditationGoal> {
    Ok(AccreditationGoal {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        goal: query::code(row, "goal", AccreditationGoalKind::parse)?,
        status: query::code(row, "status", GoalStatus::parse)?,
        target_on: opt_text(row, "target_on")?,
        achieved_on: opt_text(row, "achieved_on")?,
        note: opt_text(row, "note")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for AccreditationGoals {
    type New = NewAccreditationGoal;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "goal",
        "status",
        "target_on",
        "achieved_on",
        "note",
    ];
    const SEARCH: &'static [&'static str] = &["i.name", "t.note"];
    const ORDER: &'static str = "i.name, t.goal, t.id";
    const KIND: Option<&'static str> = Some("t.status");
    const DATE: &'static str = "t.target_on";

    fn args(n: &NewAccreditationGoal) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.goal.code().into(),
            n.status.code().into(),
            date_arg(n.target_on),
            date_arg(n.achieved_on),
            n.note.clone().into(),
        ]
    }

    fn refs(_: &NewAccreditationGoal) -> Vec<Ref<'_>> {
        Vec::new()
    }
}

// ---- funding items ----

capacity_table!(
    FundingItems,
    FundingItem,
    "funding_items",
    "funding_item",
    "t.*, i.name AS institution_name",
    "funding_items t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict",
    decode_funding
);

fn decode_funding(row: &AnyRow) -> Result<FundingItem> {
    let amount_fen = int(row, "amount_fen")?;
    Ok(FundingItem {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        amount_fen,
        amount_yuan: yuan(amount_fen),
        source: text(row, "source")?,
        purpose: text(row, "purpose")?,
        granted_on: text(row, "granted_on")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for FundingItems {
    type New = NewFundingItem;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "amount_fen",
        "source",
        "purpose",
        "granted_on",
    ];
    const SEARCH: &'static [&'static str] = &["t.source", "t.purpose", "i.name"];
    const ORDER: &'static str = "t.granted_on DESC, t.id";
    const DATE: &'static str = "t.granted_on";

    fn args(n: &NewFundingItem) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.amount_fen.into(),
            n.source.clone().into(),
            n.purpose.clone().into(),
            n.granted_on.to_string().into(),
        ]
    }

    fn refs(_: &NewFundingItem) -> Vec<Ref<'_>> {
        Vec::new()
    }
}

// ---- equipment donations ----

capacity_table!(
    EquipmentDonations,
    EquipmentDonation,
    "equipment_donations",
    "equipment_donation",
    "t.*, i.name AS institution_name, d.name AS donor_institution_name",
    "equipment_donations t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN institutions d ON d.id = t.donor_institution_id",
    "error.conflict",
    decode_equipment
);

fn decode_equipment(row: &AnyRow) -> Result<EquipmentDonation> {
    let value_fen = int(row, "value_fen")?;
    Ok(EquipmentDonation {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        donor_institution_id: opt_text(row, "donor_institution_id")?,
        donor_name: opt_text(row, "donor_name")?.or(opt_text(row, "donor_institution_name")?),
        item: text(row, "item")?,
        quantity: int(row, "quantity")?,
        value_fen,
        value_yuan: yuan(value_fen),
        donated_on: text(row, "donated_on")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for EquipmentDonations {
    type New = NewEquipmentDonation;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "donor_institution_id",
        "donor_name",
        "item",
        "quantity",
        "value_fen",
        "donated_on",
    ];
    const SEARCH: &'static [&'static str] = &["t.item", "t.donor_name", "d.name"];
    const ORDER: &'static str = "t.donated_on DESC, t.id";
    const DATE: &'static str = "t.donated_on";

    fn args(n: &NewEquipmentDonation) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.donor_institution_id.clone().into(),
            n.donor_name.clone().into(),
            n.item.clone().into(),
            n.quantity.into(),
            n.value_fen.into(),
            n.donated_on.to_string().into(),
        ]
    }

    fn refs(n: &NewEquipmentDonation) -> Vec<Ref<'_>> {
        n.donor_institution_id
            .iter()
            .map(|d| Ref::Institution("donor_institution_id", d))
            .collect()
    }
}

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

pub async fn funding_totals(db: &Db, f: &CapacityFilter, reach: &Reach) -> Result<MoneyTotals> {
    money_totals::<FundingItems>(db, "t.amount_fen", f, reach).await
}

pub async fn equipment_totals(db: &Db, f: &CapacityFilter, reach: &Reach) -> Result<MoneyTotals> {
    money_totals::<EquipmentDonations>(db, "t.value_fen", f, reach).await
}

/// The people attending the teaching activities the filter selects (人次), summed.
pub async fn attendance_total(db: &Db, f: &CapacityFilter) -> Result<i64> {
    Ok(
        money_totals::<TeachingActivities>(db, "t.attendance", f, &Reach::All)
            .await?
            .amount_fen,
    )
}

/// The apprentices who joined, by `until`, the mentorships the filter selects.
pub async fn apprentice_total(db: &Db, f: &CapacityFilter) -> Result<i64> {
    let mut filter = filter_for::<Mentorships>(f, &Reach::All);
    let joined = match f.until.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => format!(" AND ma.joined_on <= {}", filter.next(d.into())),
        None => String::new(),
    };
    let row = query::sql_with(
        format!(
            "SELECT COUNT(*) AS n FROM mentorship_apprentices ma WHERE ma.mentorship_id IN \
             (SELECT t.id FROM {}{}){joined}",
            Mentorships::FROM,
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_one(db.pool())
    .await?;
    int(&row, "n")
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
