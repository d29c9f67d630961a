//! Specialty alliances (专科联盟) and their member institutions.

use super::{Collection, Ref};
use crate::audit::{self, Action, Actor};
use crate::query::{self, Arg, int, opt_text, text};
use crate::record::{self, Table};
use crate::{Db, Result, StoreError, institutions};
use chrono::NaiveDate;
use shanhai_domain::capacity::*;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

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
