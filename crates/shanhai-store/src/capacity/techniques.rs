//! Techniques (新技术新项目): stages, cases, the timeline and the first-in-region check.

use super::{Collection, Ref, check_new};
use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, opt_text, text};
use crate::record::{self, Step, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, StoreError, institutions, people};
use shanhai_domain::Invalid;
use shanhai_domain::capacity::*;
use sqlx::AnyConnection;

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
    "error.conflict"
);

row! {
    read Technique(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        department_name: opt_text,
        name: text,
        specialty_code: text,
        surgical_grade: opt_int,
        gap_level: opt_code(GapLevel::parse),
        pairing_id: opt_text,
        expert_id: opt_text,
        expert_name: opt_text,
        stage: code(TechniqueStage::parse),
        introduced_on: text,
        first_case_on: opt_text,
        case_count: int,
        local_case_count: int,
        description: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewTechnique(n) {
        program_id: clone,
        institution_id: clone,
        department_id: clone,
        name: clone,
        name_key: { technique_key(&n.name).into() },
        specialty_code: clone,
        surgical_grade: copy,
        gap_level: opt_code,
        pairing_id: clone,
        expert_id: clone,
        introduced_on: date,
        description: clone,
    }
}

/// Techniques are created at the `introduced` stage; the stage then changes only through
/// [`change_stage`], so it is not among the columns an input writes.
impl Collection for Techniques {
    type New = NewTechnique;
    const SEARCH: &'static [&'static str] = &["t.name", "e.name"];
    const ORDER: &'static str = "t.introduced_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.stage");
    const PERSON: &'static [&'static str] = &["t.expert_id"];
    const DATE: &'static str = "t.introduced_on";
    const GRADED: bool = true;

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
    let mut columns = NewTechnique::COLUMNS.to_vec();
    columns.push("stage");
    let mut args = new.args();
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
    let after =
        record::update::<Techniques>(&mut tx, actor, id, NewTechnique::COLUMNS, new.args()).await?;
    tx.commit().await?;
    Ok((after, earlier))
}

row! {
    read TechniqueCase(row) {
        id: text,
        technique_id: text,
        performed_on: text,
        operator_id: text,
        operator_name: opt_text,
        by_local_staff: bool,
        supervisor_id: opt_text,
        supervisor_name: opt_text,
        outcome: code(CaseOutcome::parse),
        note: opt_text,
        created_at: text,
    }
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
    let created = TechniqueCase::decode(&row)?;
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
    .map(TechniqueCase::decode)
    .collect::<Result<_>>()?;
    let steps = query::sql_with(
        "SELECT * FROM technique_events WHERE technique_id = $1 ORDER BY at, id".into(),
        vec![id.into()],
    )
    .fetch_all(db.pool())
    .await?;
    let mut conn = db.pool().acquire().await?;
    let actors = crate::actors::of_steps_on(&mut conn, &steps).await?;
    let timeline = steps
        .iter()
        .zip(actors)
        .map(|(r, actor)| {
            Ok(TechniqueEvent {
                action: text(r, "action")?,
                from_state: text(r, "from_state")?,
                to_state: text(r, "to_state")?,
                at: text(r, "at")?,
                actor_name: text(r, "actor_name")?,
                actor,
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
