//! Folding the pending deltas into every level.

use super::sql::LEVELS;
use crate::db::Backend;
use crate::query::int;
use crate::{Db, Result};
use sqlx::Executor;

/// Adds the pending deltas to every level and empties them.
pub(super) fn fold_statements() -> Vec<String> {
    let mut out = Vec::new();
    for level in LEVELS {
        out.push(format!(
            "INSERT INTO {} ({}, value, extra) SELECT {}, CAST(SUM(value) AS BIGINT), \
             CAST(SUM(extra) AS BIGINT) FROM rollup_deltas WHERE 1 = 1 GROUP BY {}{}",
            level.table(),
            level.keys(),
            level.keys_from_deltas("rollup_deltas"),
            level.positions(),
            level.upsert()
        ));
    }
    out.push("DELETE FROM rollup_deltas".to_string());
    out
}

/// Moves the pending deltas into every level (the statements, in order, for one transaction;
/// on PostgreSQL the first locks the deltas against writers until commit, so the rows summed
/// are exactly the rows deleted).
pub fn fold_sql(backend: Backend) -> Vec<String> {
    let mut out = Vec::new();
    if backend == Backend::Postgres {
        out.push("LOCK TABLE rollup_deltas IN EXCLUSIVE MODE".to_string());
    }
    out.extend(fold_statements());
    out
}

/// Folds the pending deltas into the roll-ups in one write transaction; returns how many
/// there were. Readers see the same figures before and after.
pub async fn fold(db: &Db) -> Result<u64> {
    if sqlx::query("SELECT 1 FROM rollup_deltas LIMIT 1")
        .fetch_optional(db.pool())
        .await?
        .is_none()
    {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    let n = int(
        &sqlx::query("SELECT COUNT(*) AS n FROM rollup_deltas")
            .fetch_one(&mut *tx)
            .await?,
        "n",
    )?;
    for sql in fold_sql(db.backend()) {
        tx.execute(sqlx::AssertSqlSafe(sql)).await?;
    }
    tx.commit().await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Folds the deltas every `every`, for as long as the server runs.
pub async fn folder(db: Db, every: std::time::Duration) {
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = fold(&db).await {
            tracing::warn!("roll-up fold: {e}");
        }
    }
}
