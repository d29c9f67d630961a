//! The briefing's preferences: per program and figure, whether the briefing states the exact
//! number or the press's rounding words. No row means exact.

use crate::audit::{self, Action, Actor};
use crate::query::{self, text};
use crate::{Db, Result};
use shanhai_domain::briefing::{BriefingPreference, Wording};
use sqlx::AnyConnection;

fn decode(row: &sqlx::any::AnyRow) -> Result<BriefingPreference> {
    Ok(BriefingPreference {
        program_id: text(row, "program_id")?,
        code: text(row, "code")?,
        wording: query::code(row, "wording", Wording::parse)?,
        updated_at: text(row, "updated_at")?,
    })
}

async fn one_on(
    conn: &mut AnyConnection,
    program: &str,
    code: &str,
) -> Result<Option<BriefingPreference>> {
    query::sql_with(
        "SELECT * FROM briefing_preferences WHERE program_id = $1 AND code = $2".into(),
        vec![program.into(), code.into()],
    )
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(decode)
    .transpose()
}

/// A program's preferences, by code.
pub async fn list(db: &Db, program: &str) -> Result<Vec<BriefingPreference>> {
    query::sql_with(
        "SELECT * FROM briefing_preferences WHERE program_id = $1 ORDER BY code".into(),
        vec![program.into()],
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(decode)
    .collect()
}

/// Sets one figure's wording (audited, with what it was before).
pub async fn set(
    db: &Db,
    actor: &Actor,
    program: &str,
    code: &str,
    wording: Wording,
) -> Result<BriefingPreference> {
    let mut tx = db.begin_write().await?;
    let saved = set_on(&mut tx, actor, program, code, wording, true).await?;
    tx.commit().await?;
    Ok(saved)
}

/// The same in a connection the caller holds; the demo's load leaves it unaudited.
pub async fn set_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    program: &str,
    code: &str,
    wording: Wording,
    audited: bool,
) -> Result<BriefingPreference> {
    let before = one_on(conn, program, code).await?;
    let now = crate::now();
    query::sql_with(
        "INSERT INTO briefing_preferences (program_id, code, wording, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (program_id, code) DO UPDATE SET \
         wording = excluded.wording, updated_at = excluded.updated_at"
            .into(),
        vec![
            program.into(),
            code.into(),
            wording.code().into(),
            now.clone().into(),
            now.clone().into(),
        ],
    )
    .execute(&mut *conn)
    .await?;
    let after = BriefingPreference {
        program_id: program.to_string(),
        code: code.to_string(),
        wording,
        updated_at: now,
    };
    if audited {
        audit::record(
            conn,
            actor,
            if before.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            "briefing_preference",
            &format!("{program}/{code}"),
            before.as_ref(),
            Some(&after),
        )
        .await?;
    }
    Ok(after)
}
