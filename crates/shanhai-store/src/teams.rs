//! Teams (issue 18): a named team of experts with its leader, members and visits to its host.
//! The roll-ups count a team's visits (`team-visits`) and, for a team's scope, its members'
//! records while they are members (`rollups::Scope::team`).

use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, Page, PageRequest, fetch_page, int};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, StoreError, institutions, people, programs};
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::teams::*;
use sqlx::AnyConnection;

pub struct Teams;

const SELECT: &str = "t.*, pr.name AS program_name, h.name AS home_institution_name, \
    x.name AS host_institution_name, l.name AS leader_name, l.title AS leader_title, \
    (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id AND m.left_on IS NULL) AS member_count, \
    (SELECT COUNT(*) FROM team_visits v WHERE v.team_id = t.id) AS visit_count";
const FROM: &str = "teams t LEFT JOIN programs pr ON pr.id = t.program_id \
    JOIN institutions h ON h.id = t.home_institution_id \
    LEFT JOIN institutions x ON x.id = t.host_institution_id \
    JOIN people l ON l.id = t.leader_id";

impl Table for Teams {
    type Record = Team;
    const TABLE: &'static str = "teams";
    const ENTITY: &'static str = "team";
    const SELECT: &'static str = SELECT;
    const FROM: &'static str = FROM;
    const ID: &'static str = "t.id";
    const CONFLICT: &'static str = "error.conflict";
}

row! {
    read Team(row) {
        id: text,
        program_id: opt_text,
        program_name: opt_text,
        name: text,
        kind: code(TeamKind::parse),
        home_institution_id: text,
        home_institution_name: opt_text,
        host_institution_id: opt_text,
        host_institution_name: opt_text,
        leader_id: text,
        leader_name: opt_text,
        leader_title: opt_text,
        formed_on: text,
        note: opt_text,
        member_count: int,
        visit_count: int,
        created_at: text,
        updated_at: text,
    }
    write NewTeam(n) {
        program_id: clone,
        name: clone,
        kind: code,
        home_institution_id: clone,
        host_institution_id: clone,
        leader_id: clone,
        formed_on: date,
        note: clone,
    }
}

pub struct TeamVisits;

impl Table for TeamVisits {
    type Record = TeamVisit;
    const TABLE: &'static str = "team_visits";
    const ENTITY: &'static str = "team_visit";
    const SELECT: &'static str = "t.*, i.name AS institution_name";
    const FROM: &'static str = "team_visits t JOIN institutions i ON i.id = t.institution_id";
    const ID: &'static str = "t.id";
    const CONFLICT: &'static str = "error.conflict";
}

row! {
    read TeamVisit(row) {
        id: text,
        team_id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        start_date: text,
        end_date: text,
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
}

row! {
    read TeamMember(row) {
        team_id: text,
        person_id: text,
        person_name: opt_text,
        person_title: opt_text,
        institution_name: opt_text,
        role: code(TeamRole::parse),
        joined_on: text,
        left_on: opt_text,
    }
}

const MEMBER_SELECT: &str = "SELECT m.team_id, m.person_id, p.name AS person_name, \
    p.title AS person_title, i.name AS institution_name, m.role, m.joined_on, m.left_on \
    FROM team_members m JOIN people p ON p.id = m.person_id \
    JOIN institutions i ON i.id = p.institution_id";

/// Which teams to list.
#[derive(Debug, Clone, Default)]
pub struct TeamFilter {
    pub program: Option<String>,
    /// Home or host.
    pub institution: Option<String>,
    pub kind: Option<String>,
    /// A member (person id).
    pub member: Option<String>,
    pub q: Option<String>,
}

/// Every reference of a new team that names nothing (each at its field).
pub async fn problems_on(conn: &mut AnyConnection, new: &NewTeam) -> Result<Vec<Invalid>> {
    let mut problems = Vec::new();
    if let Some(p) = &new.program_id
        && let Err(e) = programs::require(conn, "program_id", p).await
    {
        problems.push(invalid_of(e)?);
    }
    if let Err(e) =
        institutions::require(conn, "home_institution_id", &new.home_institution_id).await
    {
        problems.push(invalid_of(e)?);
    }
    if let Some(h) = &new.host_institution_id
        && let Err(e) = institutions::require(conn, "host_institution_id", h).await
    {
        problems.push(invalid_of(e)?);
    }
    if let Err(e) = people::require(conn, "leader_id", &new.leader_id).await {
        problems.push(invalid_of(e)?);
    }
    Ok(problems)
}

/// [`problems_on`] over a pooled connection.
pub async fn problems(db: &Db, new: &NewTeam) -> Result<Vec<Invalid>> {
    problems_on(&mut *db.pool().acquire().await?, new).await
}

async fn check(conn: &mut AnyConnection, new: &NewTeam) -> Result<()> {
    match problems_on(conn, new).await?.into_iter().next() {
        Some(first) => Err(first.into()),
        None => Ok(()),
    }
}

/// The field error of a failed lookup (other errors pass).
fn invalid_of(e: StoreError) -> Result<Invalid> {
    match e {
        StoreError::Invalid(i) => Ok(i),
        other => Err(other),
    }
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Team> {
    record::get_on::<Teams>(conn, id).await
}

pub async fn get(db: &Db, id: &str) -> Result<Team> {
    record::get::<Teams>(db, id).await
}

/// Creates a team; its leader becomes its first member (joined when the team was formed).
pub async fn create_on(conn: &mut AnyConnection, actor: &Actor, new: &NewTeam) -> Result<Team> {
    check(conn, new).await?;
    let team = record::insert::<Teams>(conn, actor, NewTeam::COLUMNS, new.args()).await?;
    add_member_on(
        conn,
        actor,
        &team.id,
        &NewTeamMember {
            person_id: new.leader_id.clone(),
            role: TeamRole::Leader,
            joined_on: new.formed_on,
            left_on: None,
        },
    )
    .await?;
    get_on(conn, &team.id).await
}

pub async fn create(db: &Db, actor: &Actor, new: &NewTeam) -> Result<Team> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a team; a new leader becomes a member (the old one stays a member).
pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewTeam) -> Result<Team> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    check(&mut tx, new).await?;
    record::update::<Teams>(&mut tx, actor, id, NewTeam::COLUMNS, new.args()).await?;
    if before.leader_id != new.leader_id {
        query::sql_with(
            "UPDATE team_members SET role = 'member' WHERE team_id = $1 AND person_id = $2".into(),
            vec![id.into(), before.leader_id.clone().into()],
        )
        .execute(&mut *tx)
        .await?;
        let exists = member_on(&mut tx, id, &new.leader_id).await?.is_some();
        if exists {
            query::sql_with(
                "UPDATE team_members SET role = 'leader', left_on = NULL WHERE team_id = $1 AND person_id = $2".into(),
                vec![id.into(), new.leader_id.clone().into()],
            )
            .execute(&mut *tx)
            .await?;
        } else {
            add_member_on(
                &mut tx,
                actor,
                id,
                &NewTeamMember {
                    person_id: new.leader_id.clone(),
                    role: TeamRole::Leader,
                    joined_on: new.formed_on,
                    left_on: None,
                },
            )
            .await?;
        }
    }
    let after = get_on(&mut tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a team with its members and visits (each audited).
pub async fn delete(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    get_on(&mut tx, id).await?;
    for v in visits_on(&mut tx, id).await? {
        record::delete::<TeamVisits>(&mut tx, actor, &v.id).await?;
    }
    for m in members_on(&mut tx, id).await? {
        remove_member_on(&mut tx, actor, id, &m.person_id).await?;
    }
    record::delete::<Teams>(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(())
}

fn filter_of(f: &TeamFilter, reach: &Reach) -> Filter {
    let mut filter = Filter::default();
    filter
        .eq("t.program_id", f.program.as_deref())
        .eq("t.kind", f.kind.as_deref())
        .eq_any(
            &["t.home_institution_id", "t.host_institution_id"],
            f.institution.as_deref(),
        )
        .search(&["t.name", "l.name"], f.q.as_deref());
    if let Some(m) = f.member.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        filter.raw(
            "t.id IN (SELECT tm.team_id FROM team_members tm WHERE tm.person_id = {})",
            m.into(),
        );
    }
    // A team belongs to the institution it serves (else its home).
    institutions::reach_filter(
        &mut filter,
        "COALESCE(t.host_institution_id, t.home_institution_id)",
        reach,
    );
    filter
}

/// The teams the filter selects within reach, newest first.
pub async fn list(db: &Db, f: &TeamFilter, reach: &Reach, page: PageRequest) -> Result<Page<Team>> {
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter_of(f, reach),
        "t.formed_on DESC, t.name, t.id",
        page,
        Team::decode,
    )
    .await
}

async fn member_on(
    conn: &mut AnyConnection,
    team: &str,
    person: &str,
) -> Result<Option<TeamMember>> {
    query::sql_with(
        format!("{MEMBER_SELECT} WHERE m.team_id = $1 AND m.person_id = $2"),
        vec![team.into(), person.into()],
    )
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(TeamMember::decode)
    .transpose()
}

pub async fn members_on(conn: &mut AnyConnection, team: &str) -> Result<Vec<TeamMember>> {
    query::sql_with(
        format!(
            "{MEMBER_SELECT} WHERE m.team_id = $1 \
             ORDER BY CASE m.role WHEN 'leader' THEN 0 ELSE 1 END, m.joined_on, p.name, m.person_id"
        ),
        vec![team.into()],
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(TeamMember::decode)
    .collect()
}

pub async fn visits_on(conn: &mut AnyConnection, team: &str) -> Result<Vec<TeamVisit>> {
    query::sql_with(
        format!(
            "SELECT {} FROM {} WHERE t.team_id = $1 ORDER BY t.start_date DESC, t.id",
            TeamVisits::SELECT,
            TeamVisits::FROM
        ),
        vec![team.into()],
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(TeamVisit::decode)
    .collect()
}

/// Adds a member (each person once; 409 when already one).
pub async fn add_member_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    team: &str,
    new: &NewTeamMember,
) -> Result<TeamMember> {
    people::require(conn, "person_id", &new.person_id).await?;
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "team_members",
            &[
                "team_id",
                "person_id",
                "role",
                "joined_on",
                "left_on",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            team.into(),
            new.person_id.clone().into(),
            new.role.code().into(),
            new.joined_on.to_string().into(),
            new.left_on.map(|d| d.to_string()).into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::on_unique(e, "error.team_member_exists"))?;
    let created = member_on(conn, team, &new.person_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        "team_member",
        &format!("{team}/{}", new.person_id),
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

pub async fn add_member(
    db: &Db,
    actor: &Actor,
    team: &str,
    new: &NewTeamMember,
) -> Result<TeamMember> {
    let mut tx = db.begin_write().await?;
    get_on(&mut tx, team).await?;
    let created = add_member_on(&mut tx, actor, team, new).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a member's role and dates.
pub async fn update_member(
    db: &Db,
    actor: &Actor,
    team: &str,
    new: &NewTeamMember,
) -> Result<TeamMember> {
    let mut tx = db.begin_write().await?;
    let before = member_on(&mut tx, team, &new.person_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    query::sql_with(
        "UPDATE team_members SET role = $1, joined_on = $2, left_on = $3, updated_at = $4 \
         WHERE team_id = $5 AND person_id = $6"
            .into(),
        vec![
            new.role.code().into(),
            new.joined_on.to_string().into(),
            new.left_on.map(|d| d.to_string()).into(),
            crate::now().into(),
            team.into(),
            new.person_id.clone().into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    let after = member_on(&mut tx, team, &new.person_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "team_member",
        &format!("{team}/{}", new.person_id),
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

async fn remove_member_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    team: &str,
    person: &str,
) -> Result<()> {
    let before = member_on(conn, team, person)
        .await?
        .ok_or(StoreError::NotFound)?;
    query::sql_with(
        "DELETE FROM team_members WHERE team_id = $1 AND person_id = $2".into(),
        vec![team.into(), person.into()],
    )
    .execute(&mut *conn)
    .await?;
    audit::record::<_, ()>(
        conn,
        actor,
        Action::Delete,
        "team_member",
        &format!("{team}/{person}"),
        Some(&before),
        None,
    )
    .await
}

/// Removes a member (not the leader: name another leader first).
pub async fn remove_member(db: &Db, actor: &Actor, team: &str, person: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let t = get_on(&mut tx, team).await?;
    if t.leader_id == person {
        return Err(StoreError::Conflict("error.team_leader_stays"));
    }
    remove_member_on(&mut tx, actor, team, person).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a visit of the team (at its host unless another institution is named), under the
/// team's program.
pub async fn add_visit_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    team: &str,
    new: &NewTeamVisit,
) -> Result<TeamVisit> {
    let t = get_on(conn, team).await?;
    let institution = match (&new.institution_id, &t.host_institution_id) {
        (Some(i), _) => {
            institutions::require(conn, "institution_id", i).await?;
            i.clone()
        }
        (None, Some(h)) => h.clone(),
        (None, None) => {
            return Err(Invalid::new("institution_id", "error.team_visit_where").into());
        }
    };
    record::insert::<TeamVisits>(
        conn,
        actor,
        &[
            "team_id",
            "program_id",
            "institution_id",
            "start_date",
            "end_date",
            "note",
        ],
        vec![
            team.into(),
            t.program_id.clone().into(),
            institution.into(),
            new.start_date.to_string().into(),
            new.end_date.to_string().into(),
            new.note.clone().into(),
        ],
    )
    .await
}

pub async fn add_visit(
    db: &Db,
    actor: &Actor,
    team: &str,
    new: &NewTeamVisit,
) -> Result<TeamVisit> {
    let mut tx = db.begin_write().await?;
    let created = add_visit_on(&mut tx, actor, team, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn get_visit(db: &Db, id: &str) -> Result<TeamVisit> {
    record::get::<TeamVisits>(db, id).await
}

/// Deletes a visit of the team.
pub async fn delete_visit(db: &Db, actor: &Actor, team: &str, id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let v = record::get_on::<TeamVisits>(&mut tx, id).await?;
    if v.team_id != team {
        return Err(StoreError::NotFound);
    }
    record::delete::<TeamVisits>(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(())
}

/// A team with its members and visits.
pub async fn detail(db: &Db, id: &str) -> Result<TeamDetail> {
    let mut conn = db.pool().acquire().await?;
    let team = get_on(&mut conn, id).await?;
    let members = members_on(&mut conn, id).await?;
    let visits = visits_on(&mut conn, id).await?;
    Ok(TeamDetail {
        team,
        members,
        visits,
    })
}

/// How many teams name a person (for a person's page; unused counts are cheap).
pub async fn count_for_person(db: &Db, person: &str) -> Result<i64> {
    int(
        &query::sql_with(
            "SELECT COUNT(*) AS n FROM team_members WHERE person_id = $1".into(),
            vec![person.into()],
        )
        .fetch_one(db.pool())
        .await?,
        "n",
    )
}
