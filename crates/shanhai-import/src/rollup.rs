//! Roll-ups under a bulk import on SQLite: instead of the roll-up trigger firing once per
//! inserted row (a delta row per teaching activity), the import drops the table's
//! `AFTER INSERT` roll-up trigger inside its own transaction, inserts, adds the new rows'
//! contributions as one delta row per roll-up key, and puts the trigger back — exactly as it was
//! installed (its SQL is read from `sqlite_master`) — before it commits.
//!
//! SQLite's DDL is transactional and the import holds the write lock from `BEGIN IMMEDIATE` to
//! commit, so no other writer can insert while the trigger is away, a rolled-back import leaves
//! the trigger in place, and readers only ever see the schema with the trigger. The grouped
//! statement is generated from the same rules as the trigger and the recount
//! (`rollups::grouped_delta`);
//! the import tests check that `rollups::verify` finds the roll-ups equal to a full recount after
//! a bulk import. PostgreSQL keeps its per-row triggers.

use shanhai_store::StoreError;
use shanhai_store::db::Backend;
use shanhai_store::query::sql_with;
use shanhai_store::rollups::{RULES, grouped_delta};
use sqlx::{AnyConnection, Executor, Row as _};

/// A table whose insert trigger is away until [`Deferred::finish`].
pub(crate) struct Deferred {
    table: &'static str,
    /// Rows after this rowid are the import's.
    after_rowid: i64,
    /// The trigger as installed.
    trigger_sql: Option<String>,
    /// Secondary indexes dropped for the load, as installed (rebuilt before commit).
    indexes: Vec<String>,
}

fn trigger_name(table: &str) -> String {
    format!("rollup_{table}_ins")
}

/// Takes the table's roll-up insert trigger away for this transaction, and — when the import
/// at least doubles the table — its secondary indexes too: building an index once by sorting
/// is several times faster than a million inserts at random places in it (SQLite only; `None`
/// leaves everything as it is).
pub(crate) async fn defer(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &'static str,
    new_rows: usize,
) -> Result<Option<Deferred>, StoreError> {
    if backend != Backend::Sqlite {
        return Ok(None);
    }
    let name = trigger_name(table);
    let trigger_sql: Option<String> = if RULES.iter().any(|r| r.table == table) {
        sql_with(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1".into(),
            vec![name.clone().into()],
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
    } else {
        None
    };
    let (after_rowid, stored): (i64, i64) = {
        let row = sql_with(
            format!("SELECT COALESCE(MAX(rowid), 0), COUNT(*) FROM {table}"),
            vec![],
        )
        .fetch_one(&mut *conn)
        .await?;
        (row.try_get(0)?, row.try_get(1)?)
    };
    let mut indexes = Vec::new();
    if new_rows as i64 >= stored.max(10_000) {
        for row in sql_with(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
             AND sql IS NOT NULL"
                .into(),
            vec![table.into()],
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let index: String = row.try_get(0)?;
            conn.execute(sqlx::AssertSqlSafe(format!("DROP INDEX {index}")))
                .await?;
            indexes.push(row.try_get(1)?);
        }
    }
    if trigger_sql.is_some() {
        conn.execute(sqlx::AssertSqlSafe(format!("DROP TRIGGER {name}")))
            .await?;
    }
    if trigger_sql.is_none() && indexes.is_empty() {
        return Ok(None);
    }
    Ok(Some(Deferred {
        table,
        after_rowid,
        trigger_sql,
        indexes,
    }))
}

impl Deferred {
    /// Rebuilds the indexes, adds the import's rows to the roll-ups and reinstalls the trigger.
    pub(crate) async fn finish(self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let timings = std::env::var_os("SHANHAI_IMPORT_TIMINGS").is_some();
        let timed = |what: &str, t: std::time::Instant| {
            if timings {
                eprintln!("[import]   {what}: {:.3} s", t.elapsed().as_secs_f64());
            }
        };
        for index in self.indexes {
            let t = std::time::Instant::now();
            conn.execute(sqlx::AssertSqlSafe(index)).await?;
            timed("one index built", t);
        }
        if let Some(trigger_sql) = self.trigger_sql {
            // The rows' contributions grouped by key, into the pending deltas as the trigger
            // would have put them one by one.
            let cond = format!("t.rowid > {}", self.after_rowid);
            for rule in RULES.iter().filter(|r| r.table == self.table) {
                let t = std::time::Instant::now();
                conn.execute(sqlx::AssertSqlSafe(grouped_delta(rule, &cond)))
                    .await?;
                timed("grouped roll-up deltas", t);
            }
            conn.execute(sqlx::AssertSqlSafe(trigger_sql)).await?;
        }
        Ok(())
    }
}
