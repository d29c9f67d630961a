//! Specialty alliances (专科联盟) and their member institutions.

use super::{Collection, Ref};
use crate::audit::{self, Action, Actor};
use crate::query::{self};
use crate::record::{self, Table};
use crate::row::{Decode, row};
use crate::{Db, Result, StoreError, institutions};
use chrono::NaiveDate;
use shanhai_domain::capacity::*;
use sqlx::AnyConnection;

capacity_table!(
    Alliances,
    Alliance,
    "alliances",
    "alliance",
    "t.*, i.name AS institution_name, \
     (SELECT COUNT(*) FROM alliance_members m WHERE m.alliance_id = t.id) AS member_count",
    "alliances t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict"
);

row! {
    read Alliance(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        name: text,
        specialty_code: opt_text,
        founded_on: text,
        member_count: int,
        created_at: text,
        updated_at: text,
    }
    write NewAlliance(n) {
        program_id: clone,
        institution_id: clone,
        name: clone,
        specialty_code: clone,
        founded_on: date,
    }
}

impl Collection for Alliances {
    type New = NewAlliance;
    const SEARCH: &'static [&'static str] = &["t.name"];
    const ORDER: &'static str = "t.founded_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.specialty_code");
    const DATE: &'static str = "t.founded_on";

    fn refs(_: &NewAlliance) -> Vec<Ref<'_>> {
        Vec::new()
    }
}

const MEMBER_SELECT: &str = "SELECT m.*, i.name AS institution_name FROM alliance_members m \
    JOIN institutions i ON i.id = m.institution_id";

row! {
    read AllianceMember(row) {
        id: text,
        alliance_id: text,
        institution_id: text,
        institution_name: opt_text,
        joined_on: text,
    }
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
    let created = AllianceMember::decode(&row)?;
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
    .map(AllianceMember::decode)
    .collect::<Result<_>>()?;
    Ok(AllianceDetail { alliance, members })
}
