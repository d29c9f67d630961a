//! Mentorships (师带徒): a mentor's term, its apprentices and progress notes, and the program's
//! mentorship settings.

use super::{CapacityFilter, Collection, Ref, check, check_new, create_on, filter_for};
use crate::audit::{self, Action, Actor};
use crate::query::{self, int};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, StoreError, programs};
use chrono::NaiveDate;
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;
use sqlx::AnyConnection;

const MENTORSHIP_SELECT: &str = "t.*, i.name AS institution_name, m.name AS mentor_name, \
    (SELECT COUNT(*) FROM mentorship_apprentices a WHERE a.mentorship_id = t.id) AS apprentice_count";

capacity_table!(
    Mentorships,
    Mentorship,
    "mentorships",
    "mentorship",
    MENTORSHIP_SELECT,
    "mentorships t JOIN institutions i ON i.id = t.institution_id JOIN people m ON m.id = t.mentor_id",
    "error.conflict"
);

row! {
    read Mentorship(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        mentor_id: text,
        mentor_name: opt_text,
        term_start: text,
        term_end: text,
        subject: opt_text,
        evaluation: opt_code(Evaluation::parse),
        evaluation_note: opt_text,
        apprentice_count: int,
        created_at: text,
        updated_at: text,
    }
    write NewMentorship(n) {
        program_id: clone,
        institution_id: clone,
        department_id: clone,
        mentor_id: clone,
        term_start: date,
        // Settled before it is written (see `create_mentorship_on`).
        term_end: { n.term_end.unwrap_or(n.term_start).to_string().into() },
        subject: clone,
        evaluation: opt_code,
        evaluation_note: clone,
    }
}

impl Collection for Mentorships {
    type New = NewMentorship;
    const SEARCH: &'static [&'static str] = &["m.name", "t.subject"];
    const ORDER: &'static str = "t.term_start DESC, m.name, t.id";
    const KIND: Option<&'static str> = Some("t.evaluation");
    const PERSON: &'static [&'static str] = &["t.mentor_id"];
    const DATE: &'static str = "t.term_start";

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
    let after =
        record::update::<Mentorships>(&mut tx, actor, id, NewMentorship::COLUMNS, settled.args())
            .await?;
    tx.commit().await?;
    Ok(after)
}

row! {
    read Apprentice(row) {
        id: text,
        mentorship_id: text,
        person_id: text,
        person_name: opt_text,
        joined_on: text,
    }
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
    let created = Apprentice::decode(&row)?;
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

row! {
    read ProgressNote(row) {
        id: text,
        mentorship_id: text,
        written_on: text,
        note: text,
        author: text,
        created_at: text,
    }
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
    let created = ProgressNote::decode(&row)?;
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
    .map(Apprentice::decode)
    .collect::<Result<_>>()?;
    let notes = query::sql_with(
        "SELECT * FROM mentorship_notes WHERE mentorship_id = $1 ORDER BY written_on, created_at"
            .into(),
        vec![id.into()],
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(ProgressNote::decode)
    .collect::<Result<_>>()?;
    Ok(MentorshipDetail {
        mentorship,
        apprentices,
        notes,
    })
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
