//! Needs posted for a recipient institution or department, and the program's planning rules.
//! Every write also marks the program's plans that are not accepted as stale, in the same
//! transaction, so that the plans page says the needs changed and re-solves.

use crate::audit::{self, Action, Actor};
use crate::dispatch::Schemes;
use crate::query::{self, Filter, int};
use crate::record::{self, Table};
use crate::row::{Columns, row};
use crate::{Db, Result, departments, institutions, programs};
use shanhai_domain::Invalid;
use shanhai_domain::codes::Title;
use shanhai_domain::dispatch::{AssignmentMode, Post};
use shanhai_domain::planning::needs::{Need, NeedStatus, NewNeed, PlanningRules, TeamRole};
use sqlx::{AnyConnection, Row};

pub struct Needs;

const NEED_SELECT: &str = "n.*, p.name AS program_name, s.name AS scheme_name, \
    i.name AS institution_name, d.name AS department_name";
const NEED_FROM: &str = "needs n JOIN programs p ON p.id = n.program_id \
    LEFT JOIN dispatch_schemes s ON s.id = n.scheme_id \
    LEFT JOIN institutions i ON i.id = n.institution_id \
    LEFT JOIN departments d ON d.id = n.department_id";

impl Table for Needs {
    type Record = Need;
    const TABLE: &'static str = "needs";
    const ENTITY: &'static str = "need";
    const SELECT: &'static str = NEED_SELECT;
    const FROM: &'static str = NEED_FROM;
    const ID: &'static str = "n.id";
    const CONFLICT: &'static str = "error.need_exists";
}

row! {
    read Need(row) {
        id: text,
        program_id: text,
        program_name: opt_text,
        scheme_id: opt_text,
        scheme_name: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        department_name: opt_text,
        specialty_code: text,
        specialty_name: {
            shanhai_domain::specialty::find(&specialty_code).map(|s| s.zh.clone())
        },
        specialty_name_en: {
            shanhai_domain::specialty::find(&specialty_code).map(|s| s.en.clone())
        },
        mode: code(AssignmentMode::parse),
        weekdays: {
            query::opt_text(row, "weekdays")?
                .and_then(|w| serde_json::from_str::<Vec<i64>>(&w).ok())
                .unwrap_or_default()
        },
        start_date: text,
        end_date: text,
        min_stay_days: int,
        post: code(Post::parse),
        min_title: opt_code(Title::parse),
        priority: int,
        team_name: opt_text,
        team_role: opt_code(TeamRole::parse),
        status: code(NeedStatus::parse),
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewNeed(n) {
        program_id: clone,
        scheme_id: clone,
        institution_id: clone,
        department_id: clone,
        specialty_code: clone,
        mode: code,
        weekdays: {
            query::Arg::from(
                n.weekdays
                    .map(|w| serde_json::to_string(&w.to_vec()).unwrap_or_default()),
            )
        },
        start_date: date,
        end_date: date,
        min_stay_days: copy,
        post: code,
        min_title: opt_code,
        priority: copy,
        team_name: clone,
        team_role: opt_code,
        status: code,
        note: clone,
    }
}

/// Marks the program's plans that are not accepted as stale: their needs or availability
/// changed since they were solved.
pub async fn mark_stale(conn: &mut AnyConnection, program_id: &str) -> Result<()> {
    query::sql_with(
        "UPDATE plans SET stale = 1 WHERE program_id = $1 AND status <> 'accepted'".into(),
        vec![program_id.into()],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// References exist and fit: the program; the scheme is the program's; the institution is a
/// recipient of one of the program's pairings; the department is the institution's; a team
/// has one leader.
async fn check(conn: &mut AnyConnection, new: &NewNeed, except: Option<&str>) -> Result<()> {
    programs::require(conn, "program_id", &new.program_id).await?;
    if let Some(scheme) = &new.scheme_id {
        let s =
            record::require::<Schemes>(conn, "scheme_id", scheme, "error.unknown_scheme").await?;
        if s.program_id != new.program_id {
            return Err(Invalid::new("scheme_id", "error.scheme_other_program").into());
        }
    }
    institutions::require(conn, "institution_id", &new.institution_id).await?;
    let recipient = int(
        &query::sql_with(
            "SELECT COUNT(*) AS n FROM pairings WHERE program_id = $1 AND recipient_id = $2".into(),
            vec![
                new.program_id.clone().into(),
                new.institution_id.clone().into(),
            ],
        )
        .fetch_one(&mut *conn)
        .await?,
        "n",
    )?;
    if recipient == 0 {
        return Err(Invalid::new("institution_id", "error.not_program_recipient").into());
    }
    if let Some(d) = &new.department_id {
        departments::require_in(conn, "department_id", d, &new.institution_id).await?;
    }
    if let (Some(team), Some(TeamRole::Leader)) = (&new.team_name, new.team_role) {
        let leaders = int(
            &query::sql_with(
                "SELECT COUNT(*) AS n FROM needs WHERE program_id = $1 AND institution_id = $2 \
                 AND team_name = $3 AND team_role = 'leader' AND status = 'open' AND id <> $4"
                    .into(),
                vec![
                    new.program_id.clone().into(),
                    new.institution_id.clone().into(),
                    team.clone().into(),
                    except.unwrap_or("").into(),
                ],
            )
            .fetch_one(&mut *conn)
            .await?,
            "n",
        )?;
        shanhai_domain::planning::needs::one_leader(usize::try_from(leaders).unwrap_or(1))?;
    }
    Ok(())
}

fn with_creator(new: &NewNeed, actor: &Actor) -> (Vec<&'static str>, Vec<query::Arg>) {
    let mut columns = NewNeed::COLUMNS.to_vec();
    let mut args = new.args();
    columns.push("created_by");
    args.push(actor.user_id.clone().into());
    (columns, args)
}

pub async fn create_on(conn: &mut AnyConnection, actor: &Actor, new: &NewNeed) -> Result<Need> {
    check(conn, new, None).await?;
    let (columns, args) = with_creator(new, actor);
    let created = record::insert::<Needs>(conn, actor, &columns, args).await?;
    mark_stale(conn, &new.program_id).await?;
    Ok(created)
}

pub async fn create(db: &Db, actor: &Actor, new: &NewNeed) -> Result<Need> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn get(db: &Db, id: &str) -> Result<Need> {
    record::get::<Needs>(db, id).await
}

pub async fn update(db: &Db, actor: &Actor, id: &str, new: &NewNeed) -> Result<Need> {
    let mut tx = db.begin_write().await?;
    let before = record::get_on::<Needs>(&mut tx, id).await?;
    check(&mut tx, new, Some(id)).await?;
    let after = record::update::<Needs>(&mut tx, actor, id, NewNeed::COLUMNS, new.args()).await?;
    mark_stale(&mut tx, &before.program_id).await?;
    if before.program_id != after.program_id {
        mark_stale(&mut tx, &after.program_id).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// What removing a need did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Removal {
    /// No plan named it: it is gone.
    Deleted,
    /// A plan names it: it stays, withdrawn.
    Withdrawn,
}

/// Removes a need: deleted when no plan names it, else withdrawn (plans keep their history).
pub async fn remove(db: &Db, actor: &Actor, id: &str) -> Result<Removal> {
    let mut tx = db.begin_write().await?;
    let before = record::get_on::<Needs>(&mut tx, id).await?;
    let used = int(
        &query::sql_with(
            "SELECT COUNT(*) AS n FROM plan_items WHERE need_id = $1".into(),
            vec![id.into()],
        )
        .fetch_one(&mut *tx)
        .await?,
        "n",
    )?;
    let removal = if used > 0 {
        record::update::<Needs>(
            &mut tx,
            actor,
            id,
            &["status"],
            vec![NeedStatus::Withdrawn.code().into()],
        )
        .await?;
        Removal::Withdrawn
    } else {
        record::delete::<Needs>(&mut tx, actor, id).await?;
        Removal::Deleted
    };
    mark_stale(&mut tx, &before.program_id).await?;
    tx.commit().await?;
    Ok(removal)
}

#[derive(Debug, Clone, Default)]
pub struct NeedFilter {
    pub program: Option<String>,
    pub institution: Option<String>,
    pub status: Option<String>,
    /// A specialty code: needs of it or below it (`03` finds `03.04`).
    pub specialty: Option<String>,
}

/// Every need the filter selects, by institution, then start.
pub async fn list(db: &Db, filter: &NeedFilter) -> Result<Vec<Need>> {
    let mut f = Filter::default();
    f.eq("n.program_id", filter.program.as_deref());
    f.eq("n.institution_id", filter.institution.as_deref());
    f.eq("n.status", filter.status.as_deref());
    if let Some(s) = filter
        .specialty
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        f.raw_each(
            "(n.specialty_code = {} OR n.specialty_code LIKE {})",
            vec![s.into(), format!("{s}.%").into()],
        );
    }
    let rows = query::sql_with(
        format!(
            "SELECT {NEED_SELECT} FROM {NEED_FROM}{} ORDER BY i.name, n.team_name, \
             n.team_role, n.priority DESC, n.start_date, n.id",
            f.sql()
        ),
        f.args.clone(),
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(Needs::decode).collect()
}

// ---- planning rules ----

/// A program's planning rules; the defaults while it has set none.
pub async fn rules(db: &Db, program_id: &str) -> Result<PlanningRules> {
    let row = query::sql_with(
        "SELECT * FROM planning_rules WHERE program_id = $1".into(),
        vec![program_id.into()],
    )
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        Some(r) => PlanningRules {
            program_id: program_id.to_string(),
            rest_days: r.try_get::<i64, _>("rest_days")?,
            check_title: r.try_get::<i64, _>("check_title")? != 0,
            team_within_leader: r.try_get::<i64, _>("team_within_leader")? != 0,
            split_needs: r.try_get::<i64, _>("split_needs")? != 0,
            customised: true,
        },
        None => PlanningRules::defaults(program_id),
    })
}

/// Sets a program's planning rules (audited; the program's open plans become stale).
pub async fn set_rules(db: &Db, actor: &Actor, rules: &PlanningRules) -> Result<PlanningRules> {
    let before = self::rules(db, &rules.program_id).await?;
    let mut tx = db.begin_write().await?;
    programs::require(&mut tx, "program_id", &rules.program_id).await?;
    query::sql_with(
        "DELETE FROM planning_rules WHERE program_id = $1".into(),
        vec![rules.program_id.clone().into()],
    )
    .execute(&mut *tx)
    .await?;
    query::sql_with(
        query::insert_sql(
            "planning_rules",
            &[
                "program_id",
                "rest_days",
                "check_title",
                "team_within_leader",
                "split_needs",
                "updated_at",
            ],
        ),
        vec![
            rules.program_id.clone().into(),
            rules.rest_days.into(),
            i64::from(rules.check_title).into(),
            i64::from(rules.team_within_leader).into(),
            i64::from(rules.split_needs).into(),
            crate::now().into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    let after = PlanningRules {
        customised: true,
        ..rules.clone()
    };
    audit::record(
        &mut tx,
        actor,
        if before.customised {
            Action::Update
        } else {
            Action::Create
        },
        "planning_rules",
        &rules.program_id,
        before.customised.then_some(&before),
        Some(&after),
    )
    .await?;
    mark_stale(&mut tx, &rules.program_id).await?;
    tx.commit().await?;
    Ok(after)
}
