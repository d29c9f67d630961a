//! Bulk loads on SQLite. Instead of the roll-up trigger firing once per inserted row (a delta
//! row per teaching activity), the import drops the table's `AFTER INSERT` roll-up trigger
//! inside its own transaction, inserts, adds the new rows' contributions as one delta row per
//! roll-up key, and puts the trigger back — exactly as it was installed (its SQL is read from
//! `sqlite_master`) — before it commits. The contributions are summed on the checking side as
//! the rows are checked ([`Sums`], from the kind's [`crate::ImportKind::contribution`]); a kind
//! that does not give them has them summed by one grouped statement generated from the same
//! rules as the trigger and the recount (`rollups::grouped_delta`).
//!
//! SQLite's DDL is transactional and the import holds the write lock from `BEGIN IMMEDIATE` to
//! commit, so no other writer can insert while the trigger is away, a rolled-back import leaves
//! the trigger in place, and readers only ever see the schema with the trigger. The import
//! tests check that `rollups::verify` finds the roll-ups equal to a full recount after bulk
//! imports. PostgreSQL keeps its per-row triggers.
//!
//! A load that at least doubles its table ([`Tx::begin`] with `bulk`) also drops the table's
//! secondary indexes and rebuilds them before commit, and writes with foreign keys off on a
//! connection of its own, checking every reference with `PRAGMA foreign_key_check` before it
//! commits: one pass over the table instead of a parent lookup per inserted row.

use chrono::NaiveDate;
use shanhai_store::db::Backend;
use shanhai_store::query::{Arg, sql_with};
use shanhai_store::rollups::{RULES, grouped_delta};
use shanhai_store::{Db, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Executor, Row as _, Transaction};
use std::ops::{Deref, DerefMut};

/// Tables this size or larger than the new rows keep their indexes and foreign keys during a
/// load: rebuilding or checking the whole table would cost more than the rows save.
const BULK_MIN_ROWS: i64 = 10_000;

/// Whether a load of about `new_rows` rows into `table` is a bulk load: SQLite, and at least as
/// many new rows as stored ones (and at least [`BULK_MIN_ROWS`]). Read before the transaction:
/// it decides only how the rows are written, never what.
pub(crate) async fn is_bulk(
    db: &Db,
    table: Option<&'static str>,
    new_rows: usize,
) -> Result<bool, StoreError> {
    let Some(table) = table else {
        return Ok(false);
    };
    if db.backend() != Backend::Sqlite || (new_rows as i64) < BULK_MIN_ROWS {
        return Ok(false);
    }
    let stored: i64 = sql_with(format!("SELECT COUNT(*) FROM {table}"), vec![])
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    Ok(new_rows as i64 >= stored)
}

/// The import's transaction.
pub(crate) enum Tx {
    /// A pooled write transaction, as every other writer uses.
    Pooled(Transaction<'static, Any>),
    /// A bulk load on SQLite: a connection with foreign keys off, in `BEGIN IMMEDIATE`. It is
    /// closed when dropped, never returned to the pool with foreign keys off; closing it with
    /// the transaction open rolls the transaction back.
    Bulk(PoolConnection<Any>),
}

impl Tx {
    pub(crate) async fn begin(db: &Db, bulk: bool) -> Result<Tx, StoreError> {
        if !bulk {
            return Ok(Tx::Pooled(db.begin_write().await?));
        }
        let mut conn = db.pool().acquire().await?;
        conn.close_on_drop();
        // A no-op inside a transaction, so before it.
        conn.execute("PRAGMA foreign_keys = OFF").await?;
        conn.execute("BEGIN IMMEDIATE").await?;
        Ok(Tx::Bulk(conn))
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Pooled(tx) => tx.commit().await?,
            Tx::Bulk(mut conn) => {
                conn.execute("COMMIT").await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Pooled(tx) => tx.rollback().await?,
            Tx::Bulk(mut conn) => {
                conn.execute("ROLLBACK").await?;
            }
        }
        Ok(())
    }

    fn bulk(&self) -> bool {
        matches!(self, Tx::Bulk(_))
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Tx::Pooled(tx) => tx,
            Tx::Bulk(conn) => conn,
        }
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Tx::Pooled(tx) => &mut *tx,
            Tx::Bulk(conn) => &mut *conn,
        }
    }
}

/// What one record adds to a roll-up rule's pending deltas: the values the rule's expressions
/// give for it, as its insert trigger would write them (`rollups::RULES`).
pub struct Contribution<'a> {
    pub rule: &'static str,
    pub day: NaiveDate,
    pub program_id: Option<&'a str>,
    pub institution_id: &'a str,
    pub kind: &'static str,
    pub value: i64,
    pub extra: i64,
}

/// Contributions summed by key while the rows are checked: a million activities of a file make
/// some tens of thousands of keys, written as that many delta rows — what the grouped statement
/// makes, without sorting the million rows again inside the transaction.
#[derive(Default)]
pub(crate) struct Sums {
    hasher: foldhash::fast::RandomState,
    /// The (program, institution) pairs met, by number, so a key holds no strings of its own
    /// and a record's two ids are hashed once.
    places: hashbrown::HashTable<(u64, u32)>,
    place_ids: Vec<(String, String)>,
    sums: foldhash::HashMap<(&'static str, NaiveDate, u32, &'static str), (i64, i64)>,
    /// A record the kind gave no contribution for: the grouped statement counts them all.
    incomplete: bool,
}

impl Sums {
    fn place(&mut self, program: &str, institution: &str) -> u32 {
        use std::hash::BuildHasher as _;
        let hash = self.hasher.hash_one((program, institution));
        let ids = &self.place_ids;
        let found = self.places.find(hash, |(h, n)| {
            *h == hash && {
                let (p, i) = &ids[*n as usize];
                p == program && i == institution
            }
        });
        if let Some((_, n)) = found {
            return *n;
        }
        let n = self.place_ids.len() as u32;
        self.place_ids
            .push((program.to_string(), institution.to_string()));
        self.places.insert_unique(hash, (hash, n), |(h, _)| *h);
        n
    }

    pub(crate) fn add(&mut self, c: Option<Contribution<'_>>) {
        let Some(c) = c else {
            self.incomplete = true;
            return;
        };
        let place = self.place(c.program_id.unwrap_or(""), c.institution_id);
        let sum = self.sums.entry((c.rule, c.day, place, c.kind)).or_default();
        sum.0 += c.value;
        sum.1 += c.extra;
    }

    /// Writes one delta row per key (SQLite: the only backend whose triggers an import defers).
    async fn write(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let rows: Vec<_> = self.sums.iter().collect();
        for chunk in rows.chunks(2000) {
            let mut json = String::with_capacity(chunk.len() * 120);
            json.push('[');
            for (i, ((rule, day, place, kind), (value, extra))) in chunk.iter().enumerate() {
                if i > 0 {
                    json.push(',');
                }
                json.push('[');
                let (program, institution) = &self.place_ids[*place as usize];
                for text in [
                    *rule,
                    &shanhai_domain::validate::iso_date(*day),
                    program,
                    institution,
                    kind,
                ] {
                    crate::push_json_str(&mut json, text);
                    json.push(',');
                }
                json.push_str(&format!("{value},{extra}]"));
            }
            json.push(']');
            sql_with(
                "INSERT INTO rollup_deltas (rule, day, program_id, institution_id, pairing_id, \
                 province, kind, member_id, value, extra) \
                 SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, '', NULL, \
                 j.value ->> 4, '', CAST(j.value ->> 5 AS BIGINT), CAST(j.value ->> 6 AS BIGINT) \
                 FROM jsonb_each($1) AS j"
                    .into(),
                vec![Arg::Text(json)],
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// A table whose insert trigger is away until [`Deferred::finish`].
pub(crate) struct Deferred {
    table: &'static str,
    /// Rows after this rowid are the import's.
    after_rowid: i64,
    /// The trigger as installed.
    trigger_sql: Option<String>,
    /// Secondary indexes dropped for the load, as installed (rebuilt before commit).
    indexes: Vec<String>,
    /// Foreign keys are off: every reference of the table is checked before commit.
    check_references: bool,
}

fn trigger_name(table: &str) -> String {
    format!("rollup_{table}_ins")
}

/// Takes the table's roll-up insert trigger away for this transaction, and — in a bulk load —
/// its secondary indexes too: building an index once by sorting is several times faster than a
/// million inserts at random places in it (SQLite only; `None` leaves everything as it is).
pub(crate) async fn defer(
    tx: &mut Tx,
    backend: Backend,
    table: &'static str,
) -> Result<Option<Deferred>, StoreError> {
    if backend != Backend::Sqlite {
        return Ok(None);
    }
    let bulk = tx.bulk();
    let conn: &mut AnyConnection = tx;
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
    let after_rowid: i64 = sql_with(
        format!("SELECT COALESCE(MAX(rowid), 0) FROM {table}"),
        vec![],
    )
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let mut indexes = Vec::new();
    if bulk {
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
    if trigger_sql.is_none() && !bulk {
        return Ok(None);
    }
    Ok(Some(Deferred {
        table,
        after_rowid,
        trigger_sql,
        indexes,
        check_references: bulk,
    }))
}

impl Deferred {
    /// Rebuilds the indexes, checks the references, adds the import's rows to the roll-ups (the
    /// sums made while checking, or one grouped statement) and reinstalls the trigger.
    pub(crate) async fn finish(
        self,
        conn: &mut AnyConnection,
        sums: &Sums,
    ) -> Result<(), StoreError> {
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
        if self.check_references {
            // What the foreign keys would have checked row by row (a record the import refers
            // to, deleted after the import read it): one pass, and nothing written if any fails.
            let t = std::time::Instant::now();
            let broken = sql_with(format!("PRAGMA foreign_key_check({})", self.table), vec![])
                .fetch_optional(&mut *conn)
                .await?;
            timed("references checked", t);
            if broken.is_some() {
                return Err(StoreError::Conflict("error.import_reference_gone"));
            }
        }
        if let Some(trigger_sql) = self.trigger_sql {
            // The rows' contributions by key, into the pending deltas as the trigger would have
            // put them one by one.
            let t = std::time::Instant::now();
            let rules: Vec<_> = RULES.iter().filter(|r| r.table == self.table).collect();
            let summed = !sums.incomplete
                && rules.len() == 1
                && sums.sums.keys().all(|k| k.0 == rules[0].name);
            if !summed {
                let cond = format!("t.rowid > {}", self.after_rowid);
                for rule in rules {
                    conn.execute(sqlx::AssertSqlSafe(grouped_delta(rule, &cond)))
                        .await?;
                }
                timed("grouped roll-up deltas", t);
            } else {
                sums.write(conn).await?;
                timed("roll-up deltas summed while checking", t);
            }
            conn.execute(sqlx::AssertSqlSafe(trigger_sql)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn migrated() -> Result<(Db, std::path::PathBuf), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!(
            "shanhai-bulk-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir)?;
        let db = Db::connect(&format!("sqlite://{}/x.db?mode=rwc", dir.display())).await?;
        db.migrate().await?;
        Ok((db, dir))
    }

    /// With foreign keys off for the load, a row naming a record that is not there (one deleted
    /// after the import read it) is still refused: the whole load rolls back, and the pool's
    /// connections keep their foreign keys on.
    #[tokio::test]
    async fn a_bulk_load_checks_every_reference_before_it_commits()
    -> Result<(), Box<dyn std::error::Error>> {
        let (db, dir) = migrated().await?;
        let mut tx = Tx::begin(&db, true).await?;
        let deferred = defer(&mut tx, Backend::Sqlite, "teaching_activities")
            .await?
            .ok_or("deferred")?;
        tx.execute(
            "INSERT INTO teaching_activities (id, institution_id, kind, held_on, online, topic, \
             duration_minutes, attendance, attendee_ids, created_at, updated_at) VALUES \
             ('a', 'no-such-institution', 'lecture', '2025-05-06', 0, 't', 60, 3, '[]', 'x', 'x')",
        )
        .await?;
        let err = deferred.finish(&mut tx, &Sums::default()).await;
        assert!(
            matches!(
                err,
                Err(StoreError::Conflict("error.import_reference_gone"))
            ),
            "{err:?}"
        );
        tx.rollback().await?;
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut conn = db.pool().acquire().await?;
            let on: i64 = sql_with("PRAGMA foreign_keys".into(), vec![])
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            assert_eq!(on, 1, "a pooled connection with foreign keys off");
            held.push(conn);
        }
        drop(held);
        let rows: i64 = sql_with("SELECT COUNT(*) FROM teaching_activities".into(), vec![])
            .fetch_one(db.pool())
            .await?
            .try_get(0)?;
        assert_eq!(rows, 0);
        let triggers: i64 = sql_with(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'rollup_teaching_activities_ins'"
                .into(),
            vec![],
        )
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
        assert_eq!(triggers, 1, "the trigger is back after the rollback");
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
        Ok(())
    }
}
