//! Availability posted for donor-side experts: windows with their modes, longest stint and
//! blackouts. A window is audited with its blackouts; every write marks stale the plans (not
//! accepted) of the programs in which the expert's institution is a donor.

use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, int};
use crate::{Db, Result, StoreError, people};
use shanhai_domain::Invalid;
use shanhai_domain::codes::Title;
use shanhai_domain::dispatch::AssignmentMode;
use shanhai_domain::planning::availability::{Availability, Blackout, NewAvailability};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

const SELECT: &str = "a.*, p.name AS person_name, p.title AS person_title, \
    p.specialty_code AS person_specialty, p.institution_id AS home_id, i.name AS home_name";
const FROM: &str = "availability a LEFT JOIN people p ON p.id = a.person_id \
    LEFT JOIN institutions i ON i.id = p.institution_id";

fn decode(row: &AnyRow) -> Result<Availability> {
    let specialty_code = query::opt_text(row, "person_specialty")?;
    let found = specialty_code
        .as_deref()
        .and_then(shanhai_domain::specialty::find);
    Ok(Availability {
        id: query::text(row, "id")?,
        person_id: query::text(row, "person_id")?,
        person_name: query::opt_text(row, "person_name")?,
        title: query::opt_code(row, "person_title", Title::parse)?,
        specialty_name: found.map(|s| s.zh.clone()),
        specialty_name_en: found.map(|s| s.en.clone()),
        specialty_code,
        institution_id: query::opt_text(row, "home_id")?,
        institution_name: query::opt_text(row, "home_name")?,
        start_date: query::text(row, "start_date")?,
        end_date: query::text(row, "end_date")?,
        modes: serde_json::from_str::<Vec<AssignmentMode>>(&query::text(row, "modes")?)
            .unwrap_or_default(),
        longest_stint_days: query::opt_int(row, "longest_stint_days")?,
        blackouts: Vec::new(),
        note: query::opt_text(row, "note")?,
        created_at: query::text(row, "created_at")?,
        updated_at: query::text(row, "updated_at")?,
    })
}

async fn blackouts_of(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<(String, Blackout)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut f = Filter::default();
    f.within("availability_id", &ids.iter().cloned().collect());
    let rows = query::sql_with(
        format!(
            "SELECT * FROM availability_blackouts{} ORDER BY start_date, id",
            f.sql()
        ),
        f.args.clone(),
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                query::text(r, "availability_id")?,
                Blackout {
                    id: query::text(r, "id")?,
                    start_date: query::text(r, "start_date")?,
                    end_date: query::text(r, "end_date")?,
                    reason: query::opt_text(r, "reason")?,
                },
            ))
        })
        .collect()
}

async fn with_blackouts(
    conn: &mut AnyConnection,
    mut list: Vec<Availability>,
) -> Result<Vec<Availability>> {
    let ids: Vec<String> = list.iter().map(|a| a.id.clone()).collect();
    for chunk in ids.chunks(500) {
        for (owner, b) in blackouts_of(conn, chunk).await? {
            if let Some(a) = list.iter_mut().find(|a| a.id == owner) {
                a.blackouts.push(b);
            }
        }
    }
    Ok(list)
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Availability> {
    let row = query::sql_with(
        format!("SELECT {SELECT} FROM {FROM} WHERE a.id = $1"),
        vec![id.into()],
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let one = decode(&row)?;
    with_blackouts(conn, vec![one])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

pub async fn get(db: &Db, id: &str) -> Result<Availability> {
    get_on(&mut *db.pool().acquire().await?, id).await
}

/// Marks stale the open plans of every program in which the person's institution is a donor.
async fn mark_stale_for(conn: &mut AnyConnection, person_id: &str) -> Result<()> {
    query::sql_with(
        "UPDATE plans SET stale = 1 WHERE status <> 'accepted' AND program_id IN \
         (SELECT pr.program_id FROM pairings pr JOIN people p ON p.institution_id = pr.donor_id \
          WHERE p.id = $1)"
            .into(),
        vec![person_id.into()],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The person exists and works at a donor of some pairing.
async fn check(conn: &mut AnyConnection, new: &NewAvailability) -> Result<()> {
    let person = people::require(conn, "person_id", &new.person_id).await?;
    let donor = int(
        &query::sql_with(
            "SELECT COUNT(*) AS n FROM pairings WHERE donor_id = $1".into(),
            vec![person.institution_id.into()],
        )
        .fetch_one(&mut *conn)
        .await?,
        "n",
    )?;
    if donor == 0 {
        return Err(Invalid::new("person_id", "error.not_donor_side").into());
    }
    Ok(())
}

async fn write_blackouts(conn: &mut AnyConnection, id: &str, new: &NewAvailability) -> Result<()> {
    query::sql_with(
        "DELETE FROM availability_blackouts WHERE availability_id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *conn)
    .await?;
    for b in &new.blackouts {
        query::sql_with(
            query::insert_sql(
                "availability_blackouts",
                &[
                    "id",
                    "availability_id",
                    "start_date",
                    "end_date",
                    "reason",
                    "created_at",
                ],
            ),
            vec![
                shanhai_domain::ids::new_id().into(),
                id.into(),
                b.start_date.to_string().into(),
                b.end_date.to_string().into(),
                b.reason.clone().into(),
                crate::now().into(),
            ],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn modes_json(new: &NewAvailability) -> String {
    serde_json::to_string(&new.modes).unwrap_or_else(|_| "[]".into())
}

pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewAvailability,
) -> Result<Availability> {
    check(conn, new).await?;
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "availability",
            &[
                "id",
                "person_id",
                "start_date",
                "end_date",
                "modes",
                "longest_stint_days",
                "note",
                "created_by",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            new.person_id.clone().into(),
            new.start_date.to_string().into(),
            new.end_date.to_string().into(),
            modes_json(new).into(),
            new.longest_stint_days.into(),
            new.note.clone().into(),
            actor.user_id.clone().into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *conn)
    .await?;
    write_blackouts(conn, &id, new).await?;
    let created = get_on(conn, &id).await?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        "availability",
        &id,
        None,
        Some(&created),
    )
    .await?;
    mark_stale_for(conn, &new.person_id).await?;
    Ok(created)
}

pub async fn create(db: &Db, actor: &Actor, new: &NewAvailability) -> Result<Availability> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: &str,
    new: &NewAvailability,
) -> Result<Availability> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    check(&mut tx, new).await?;
    query::sql_with(
        query::update_sql(
            "availability",
            &[
                "person_id",
                "start_date",
                "end_date",
                "modes",
                "longest_stint_days",
                "note",
                "updated_at",
            ],
            "id",
        ),
        vec![
            new.person_id.clone().into(),
            new.start_date.to_string().into(),
            new.end_date.to_string().into(),
            modes_json(new).into(),
            new.longest_stint_days.into(),
            new.note.clone().into(),
            crate::now().into(),
            id.into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    write_blackouts(&mut tx, id, new).await?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "availability",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    mark_stale_for(&mut tx, &before.person_id).await?;
    if before.person_id != after.person_id {
        mark_stale_for(&mut tx, &after.person_id).await?;
    }
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    mark_stale_for(&mut tx, &before.person_id).await?;
    query::sql_with(
        "DELETE FROM availability_blackouts WHERE availability_id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *tx)
    .await?;
    query::sql_with(
        "DELETE FROM availability WHERE id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *tx)
    .await?;
    audit::record::<_, ()>(
        &mut tx,
        actor,
        Action::Delete,
        "availability",
        id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AvailabilityFilter {
    pub person: Option<String>,
    /// People of the program's donor institutions.
    pub program: Option<String>,
    /// The people's home institution.
    pub institution: Option<String>,
}

/// Every window the filter selects, by expert, then start.
pub async fn list(db: &Db, filter: &AvailabilityFilter) -> Result<Vec<Availability>> {
    let mut f = Filter::default();
    f.eq("a.person_id", filter.person.as_deref());
    f.eq("p.institution_id", filter.institution.as_deref());
    if let Some(program) = filter
        .program
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        f.raw(
            "p.institution_id IN (SELECT donor_id FROM pairings WHERE program_id = {})",
            program.into(),
        );
    }
    let mut conn = db.pool().acquire().await?;
    let rows = query::sql_with(
        format!(
            "SELECT {SELECT} FROM {FROM}{} ORDER BY i.name, p.name, a.person_id, a.start_date, a.id",
            f.sql()
        ),
        f.args.clone(),
    )
    .fetch_all(&mut *conn)
    .await?;
    let list = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
    with_blackouts(&mut conn, list).await
}

/// The institution a person works at (for the access policy).
pub async fn home_of(db: &Db, person_id: &str) -> Result<Option<String>> {
    Ok(query::sql_with(
        "SELECT institution_id FROM people WHERE id = $1".into(),
        vec![person_id.into()],
    )
    .fetch_optional(db.pool())
    .await?
    .map(|r| r.try_get::<String, _>("institution_id"))
    .transpose()?)
}
