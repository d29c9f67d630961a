//! Verification: every level, with the pending deltas, compared with a recount from the raw tables.

use super::rules::{RULES, Rule};
use super::sql::{LEVELS, Level, grouped_select};
use crate::query::{self, int, text};
use crate::{Db, Result};
use sqlx::Executor;
use std::collections::BTreeMap;

/// A roll-up row that differs from the recount (a missing row counts as 0).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// The rule, with the kind in brackets when it has one (`consultations[mdt]`).
    pub indicator: String,
    pub rule: String,
    pub kind: String,
    /// The month (`YYYY-MM`), or on the daily level the day (`YYYY-MM-DD`).
    pub month: String,
    pub program_id: String,
    /// `*` on the program level.
    pub institution_id: String,
    /// `*` on the program level.
    pub pairing_id: String,
    /// The province (two digits of GB/T 2260) on the program and daily levels; `*` on the
    /// others.
    pub province: String,
    pub member_id: String,
    pub stored: i64,
    pub recounted: i64,
    pub stored_extra: i64,
    pub recounted_extra: i64,
}

/// One rule's check at one level: how many non-zero rows the table holds, how many the
/// recount gives, and the rows that differ (at most [`MAX_MISMATCHES`] listed).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// The rule, and ` (program)` or ` (daily)` for those levels.
    pub indicator: String,
    pub stored_rows: i64,
    pub recounted_rows: i64,
    pub mismatches: Vec<Mismatch>,
}

pub const MAX_MISMATCHES: i64 = 1000;

/// Compares every level of every rule with a from-scratch `GROUP BY` recount of the raw
/// tables (one recount per rule, summed to each level's keys).
pub async fn check(db: &Db) -> Result<Vec<Check>> {
    let mut out = Vec::new();
    for r in RULES {
        out.extend(check_rule(db, r).await?);
    }
    Ok(out)
}

/// A level's non-zero rows of a rule with the pending deltas added.
fn stored_with_deltas(level: Level, rule: &str) -> String {
    let keys = level.keys();
    format!(
        "SELECT {keys}, CAST(SUM(value) AS BIGINT) AS value, CAST(SUM(extra) AS BIGINT) AS extra FROM \
         (SELECT {keys}, value, extra FROM {} WHERE rule = '{rule}' \
          UNION ALL SELECT {}, value, extra FROM rollup_deltas WHERE rule = '{rule}') s \
         GROUP BY {keys} HAVING SUM(value) <> 0 OR SUM(extra) <> 0",
        level.table(),
        level.keys_from_deltas("rollup_deltas")
    )
}

/// The recount (in the temporary table `rollup_recount`, at the deltas' grain) summed to a
/// level's keys, non-zero rows only.
fn recount_at(level: Level) -> String {
    format!(
        "SELECT {}, CAST(SUM(value) AS BIGINT) AS value, CAST(SUM(extra) AS BIGINT) AS extra \
         FROM rollup_recount GROUP BY {} HAVING SUM(value) <> 0 OR SUM(extra) <> 0",
        level.keys_from_deltas("rollup_recount"),
        level.positions()
    )
}

async fn check_rule(db: &Db, r: &Rule) -> Result<Vec<Check>> {
    // The recount is a scan of the source table: run it once, at the deltas' grain (per day,
    // institution and pairing, each record's province looked up as it is read rather than
    // left to the fold's lookup), into a temporary table on one connection, and compare every
    // level both ways against its sums.
    let mut conn = db.pool().acquire().await?;
    conn.execute("DROP TABLE IF EXISTS rollup_recount").await?;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "CREATE TEMPORARY TABLE rollup_recount AS SELECT {}, value, extra FROM ({}) x",
        Level::Deltas.keys(),
        grouped_select(r, Level::Deltas, true, "1 = 1", "")
    )))
    .await?;
    let mut out = Vec::new();
    for level in LEVELS {
        let keys = level.keys();
        let stored = stored_with_deltas(level, r.name);
        let recount = recount_at(level);
        let label = match level {
            Level::Program => format!("{} (program)", r.name),
            Level::Daily => format!("{} (daily)", r.name),
            Level::Yearly => format!("{} (yearly)", r.name),
            _ => r.name.to_string(),
        };
        let mut count = async |sql: &str| -> Result<i64> {
            let row = query::sql_with(format!("SELECT COUNT(*) AS n FROM ({sql}) x"), vec![])
                .fetch_one(&mut *conn)
                .await?;
            int(&row, "n")
        };
        let stored_rows = count(&stored).await?;
        let recounted_rows = count(&recount).await?;
        let diff = |a: &str, b: &str| {
            format!(
                "SELECT {keys}, value, extra FROM ({a}) x EXCEPT SELECT {keys}, value, extra FROM ({b}) y \
                 LIMIT {MAX_MISMATCHES}"
            )
        };
        let (period, _) = level.period();
        let mut by_key: BTreeMap<[String; 7], [i64; 4]> = BTreeMap::new();
        for (sql, is_stored) in [
            (diff(&stored, &recount), true),
            (diff(&recount, &stored), false),
        ] {
            for row in query::sql_with(sql, vec![]).fetch_all(&mut *conn).await? {
                let (institution, pairing) = if level.placed() {
                    (text(&row, "institution_id")?, text(&row, "pairing_id")?)
                } else {
                    ("*".to_string(), "*".to_string())
                };
                let province = if level.provincial() {
                    text(&row, "province")?
                } else {
                    "*".to_string()
                };
                let key = [
                    text(&row, period)?,
                    text(&row, "program_id")?,
                    institution,
                    pairing,
                    province,
                    text(&row, "kind")?,
                    text(&row, "member_id")?,
                ];
                let (v, x) = (int(&row, "value")?, int(&row, "extra")?);
                let e = by_key.entry(key).or_insert([0; 4]);
                if is_stored {
                    e[0] = v;
                    e[2] = x;
                } else {
                    e[1] = v;
                    e[3] = x;
                }
            }
        }
        let mismatches = by_key
            .into_iter()
            .map(|(k, [stored, recounted, stored_extra, recounted_extra])| {
                let [
                    month,
                    program_id,
                    institution_id,
                    pairing_id,
                    province,
                    kind,
                    member_id,
                ] = k;
                Mismatch {
                    indicator: if kind.is_empty() {
                        r.name.to_string()
                    } else {
                        format!("{}[{kind}]", r.name)
                    },
                    rule: r.name.to_string(),
                    kind,
                    month,
                    program_id,
                    institution_id,
                    pairing_id,
                    province,
                    member_id,
                    stored,
                    recounted,
                    stored_extra,
                    recounted_extra,
                }
            })
            .collect();
        out.push(Check {
            indicator: label,
            stored_rows,
            recounted_rows,
            mismatches,
        });
    }
    conn.execute("DROP TABLE rollup_recount").await?;
    Ok(out)
}

/// Every roll-up row that differs from a recount; empty when the roll-ups are right.
pub async fn verify(db: &Db) -> Result<Vec<Mismatch>> {
    Ok(check(db)
        .await?
        .into_iter()
        .flat_map(|c| c.mismatches)
        .collect())
}
