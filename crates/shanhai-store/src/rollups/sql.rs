//! The SQL generated from the rules: the levels, the triggers appending deltas, the recount that
//! rebuilds every level, and installing them.

use super::fold::fold_statements;
use super::rules::{RULES, Rule, watch_of};
use crate::db::Backend;
use crate::query::{int, text};
use crate::{Db, Result};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Connection, Executor};

/// The levels of roll-ups, and the pending deltas they are folded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `rollups`: per month, institution and pairing.
    Fine,
    /// `rollups_program`: per month, program and province.
    Program,
    /// `rollups_daily`: per day, program and province, for the partial months at a range's
    /// ends.
    Daily,
    /// `rollups_yearly`: the fine level's keys per year, for the whole years of a range.
    Yearly,
    /// `rollup_deltas`: what the triggers append (per day, institution and pairing), folded
    /// into the four levels. A delta's province is `NULL` (looked up from its institution when
    /// folded or read) unless pinned (see [`parent_links`]).
    Deltas,
}

impl Level {
    pub fn table(self) -> &'static str {
        match self {
            Level::Fine => "rollups",
            Level::Program => "rollups_program",
            Level::Daily => "rollups_daily",
            Level::Yearly => "rollups_yearly",
            Level::Deltas => "rollup_deltas",
        }
    }

    /// The key columns, in the order the generated SELECTs give them.
    pub(super) fn keys(self) -> &'static str {
        match self {
            Level::Fine => "rule, month, program_id, institution_id, pairing_id, kind, member_id",
            Level::Program => "rule, month, program_id, province, kind, member_id",
            Level::Daily => "rule, day, program_id, province, kind, member_id",
            Level::Yearly => "rule, year, program_id, institution_id, pairing_id, kind, member_id",
            Level::Deltas => {
                "rule, day, program_id, institution_id, pairing_id, province, kind, member_id"
            }
        }
    }

    /// The level's period column and its width in characters (`YYYY-MM`, `YYYY-MM-DD`).
    pub(super) fn period(self) -> (&'static str, usize) {
        match self {
            Level::Fine | Level::Program => ("month", 7),
            Level::Daily | Level::Deltas => ("day", 10),
            Level::Yearly => ("year", 4),
        }
    }

    /// Whether the level keeps the institution and the pairing.
    pub(super) fn placed(self) -> bool {
        matches!(self, Level::Fine | Level::Deltas | Level::Yearly)
    }

    /// Whether the level keeps the province of the institution (the levels without the
    /// institution, and the deltas they are folded from).
    pub(super) fn provincial(self) -> bool {
        matches!(self, Level::Program | Level::Daily | Level::Deltas)
    }

    /// `GROUP BY` positions of the keys from the `first` (`first, first + 1, …`).
    fn positions_from(self, first: usize) -> String {
        let n = self.keys().split(',').count();
        (first..=n)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `GROUP BY` positions of all the keys (`1, 2, …`).
    pub(super) fn positions(self) -> String {
        self.positions_from(1)
    }

    /// `GROUP BY` positions of the keys after the constant rule name.
    fn group_by(self) -> String {
        self.positions_from(2)
    }

    /// The level's keys computed from a row of `rollup_deltas`, named as the level names them.
    /// `from`: the table of deltas (`rollup_deltas`, or a recount at their grain).
    pub(super) fn keys_from_deltas(self, from: &str) -> String {
        let (period, width) = self.period();
        let place = if self.placed() {
            "institution_id, pairing_id, "
        } else {
            ""
        };
        let province = if self.provincial() {
            format!(
                "COALESCE({from}.province, {}) AS province, ",
                province_of(&format!("{from}.institution_id"))
            )
        } else {
            String::new()
        };
        let period = if period == "day" {
            "day".to_string()
        } else {
            format!("substr(day, 1, {width}) AS {period}")
        };
        format!("rule, {period}, program_id, {place}{province}kind, member_id")
    }

    /// What readers read, each by a statement of its own inside one read transaction
    /// (`read_tx` in [`super::read`]): the level's rows (in its keys' order) and the pending
    /// deltas at the level's keys.
    pub(super) fn sources(self) -> [String; 2] {
        [
            self.table().to_string(),
            format!(
                "(SELECT {}, value, extra FROM rollup_deltas)",
                self.keys_from_deltas("rollup_deltas")
            ),
        ]
    }

    pub(super) fn upsert(self) -> String {
        let t = self.table();
        format!(
            " ON CONFLICT ({}) DO UPDATE SET value = {t}.value + excluded.value, extra = {t}.extra + excluded.extra",
            self.keys()
        )
    }
}

/// The levels the deltas are folded into.
pub(super) const LEVELS: [Level; 4] = [Level::Fine, Level::Program, Level::Daily, Level::Yearly];

fn member_expr(rule: &Rule) -> &'static str {
    rule.member.unwrap_or("NULL")
}

/// The key columns of a record's contribution at a level, in `Level::keys` order, with the
/// rule's expressions passed through `on`.
/// A delta's province is `NULL` (looked up when folded) unless `pinned`.
fn key_exprs_on(rule: &Rule, level: Level, pinned: bool, on: impl Fn(&str) -> String) -> String {
    let place = if level.placed() {
        format!(
            "COALESCE({}, '') AS institution_id, COALESCE({}, '') AS pairing_id, ",
            on(rule.institution),
            on(rule.pairing)
        )
    } else {
        String::new()
    };
    let province = match level {
        Level::Deltas if !pinned => "CAST(NULL AS TEXT) AS province, ".to_string(),
        _ if level.provincial() => format!("{} AS province, ", province_of(&on(rule.institution))),
        _ => String::new(),
    };
    let (period, width) = level.period();
    format!(
        "'{}' AS rule, substr({}, 1, {width}) AS {period}, COALESCE({}, '') AS program_id, {place}\
         {province}COALESCE({}, '') AS kind, COALESCE({}, '') AS member_id",
        rule.name,
        on(rule.date),
        on(rule.program),
        on(rule.split),
        on(member_expr(rule))
    )
}

/// The province of the institution `institution` (an expression giving its id): the first two
/// digits of its GB/T 2260 code, `''` without one.
pub(super) fn province_of(institution: &str) -> String {
    format!(
        "COALESCE((SELECT substr(ri.region_code, 1, 2) FROM institutions ri WHERE ri.id = {institution}), '')"
    )
}

fn key_exprs(rule: &Rule, level: Level, pinned: bool) -> String {
    key_exprs_on(rule, level, pinned, |e| e.to_string())
}

/// `expr` with the source alias `t.` replaced by the trigger's row (`NEW.` or `OLD.`).
fn on_row(expr: &str, row: &str) -> String {
    let mut out = String::with_capacity(expr.len() + 8);
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if boundary && bytes[i] == b't' && bytes.get(i + 1) == Some(&b'.') {
            out.push_str(row);
            out.push('.');
            i += 2;
        } else {
            let ch = expr[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// One record's contribution (`sign` `+` or `-`), appended to `rollup_deltas`. A rule without
/// joins reads the trigger's row itself; one with joins reads the record back by its id (after
/// an insert or update, before an update or delete) to reach its parents.
fn row_insert(rule: &Rule, row: &str, sign: &str) -> String {
    let keys = Level::Deltas.keys();
    if rule.joins.is_empty() {
        let on = |e: &str| on_row(e, row);
        return format!(
            "INSERT INTO rollup_deltas ({keys}, value, extra) SELECT {}, {sign}({}), {sign}({}) WHERE ({})",
            key_exprs_on(rule, Level::Deltas, false, on),
            on(rule.value),
            on(rule.extra),
            on(rule.filter)
        );
    }
    format!(
        "INSERT INTO rollup_deltas ({keys}, value, extra) SELECT {}, {sign}({}), {sign}({}) FROM {} t {} \
         WHERE t.id = {row}.id AND ({})",
        key_exprs(rule, Level::Deltas, false),
        rule.value,
        rule.extra,
        rule.table,
        rule.joins,
        rule.filter
    )
}

/// The contributions of the records matching `cond`, grouped by the level's key (at the
/// deltas' grain, the province `pinned` or left to the fold).
pub(super) fn grouped_select(
    rule: &Rule,
    level: Level,
    pinned: bool,
    cond: &str,
    sign: &str,
) -> String {
    format!(
        "SELECT {}, {sign}CAST(SUM({}) AS BIGINT) AS value, {sign}CAST(SUM({}) AS BIGINT) AS extra \
         FROM {} t {} WHERE ({}) AND ({cond}) GROUP BY {}",
        key_exprs(rule, level, pinned),
        rule.value,
        rule.extra,
        rule.table,
        rule.joins,
        rule.filter,
        level.group_by()
    )
}

/// The statement adding the contributions of the records matching `cond` (a condition over
/// `t`) to the pending deltas, grouped by key: what a bulk writer runs instead of the per-row
/// trigger.
pub fn grouped_delta(rule: &Rule, cond: &str) -> String {
    format!(
        "INSERT INTO rollup_deltas ({}, value, extra) {}",
        Level::Deltas.keys(),
        grouped_select(rule, Level::Deltas, false, cond, "")
    )
}

fn changed(backend: Backend, cols: &[&str]) -> String {
    let op = match backend {
        Backend::Sqlite => "IS NOT",
        Backend::Postgres => "IS DISTINCT FROM",
    };
    cols.iter()
        .map(|c| format!("OLD.{c} {op} NEW.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn union(lists: impl IntoIterator<Item = Vec<&'static str>>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for list in lists {
        for c in list {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// A parent of a rule's records, with its link as a condition over `t` and the rule's joins.
struct Link {
    table: &'static str,
    watch: &'static [&'static str],
    link: String,
    /// The parent places its records in a province (the institution): the contributions it
    /// moves carry their province, and its pending deltas are pinned to the old one first.
    places: bool,
}

/// Every rule's parents: those it names, and the institution its records are counted at,
/// whose region places them in a province.
fn parent_links() -> Vec<(&'static Rule, Link)> {
    let mut out = Vec::new();
    for r in RULES {
        for p in r.parents {
            out.push((
                r,
                Link {
                    table: p.table,
                    watch: p.watch,
                    link: p.link.to_string(),
                    places: false,
                },
            ));
        }
        if r.institution != "NULL" {
            out.push((
                r,
                Link {
                    table: "institutions",
                    watch: &["region_code"],
                    link: format!("{} = {{id}}", r.institution),
                    places: true,
                },
            ));
        }
    }
    out
}

/// Pins the pending deltas of the institution `OLD` to its province, before its region changes
/// or it goes.
const PIN_INSTITUTION: &str = "UPDATE rollup_deltas SET province = COALESCE(substr(OLD.region_code, 1, 2), '') \
     WHERE province IS NULL AND institution_id = OLD.id";

/// One trigger: a name, when it fires, on which table, and its statements (`;`-terminated).
struct Trigger {
    name: String,
    timing: &'static str,
    event: String,
    table: &'static str,
    when: Option<String>,
    body: Vec<String>,
}

fn triggers(backend: Backend) -> Vec<Trigger> {
    let mut out = Vec::new();
    let mut tables: Vec<&'static str> = Vec::new();
    for r in RULES {
        if !tables.contains(&r.table) {
            tables.push(r.table);
        }
    }
    for table in &tables {
        let rules: Vec<&Rule> = RULES.iter().filter(|r| r.table == *table).collect();
        let cols = union(rules.iter().map(|r| watch_of(r)));
        let body = |row: &str, sign: &str| -> Vec<String> {
            rules.iter().map(|r| row_insert(r, row, sign)).collect()
        };
        let of = format!("UPDATE OF {}", cols.join(", "));
        out.push(Trigger {
            name: format!("rollup_{table}_ins"),
            timing: "AFTER",
            event: "INSERT".into(),
            table,
            when: None,
            body: body("NEW", ""),
        });
        out.push(Trigger {
            name: format!("rollup_{table}_del"),
            timing: "BEFORE",
            event: "DELETE".into(),
            table,
            when: None,
            body: body("OLD", "-"),
        });
        out.push(Trigger {
            name: format!("rollup_{table}_upd_old"),
            timing: "BEFORE",
            event: of.clone(),
            table,
            when: Some(changed(backend, &cols)),
            body: body("OLD", "-"),
        });
        out.push(Trigger {
            name: format!("rollup_{table}_upd_new"),
            timing: "AFTER",
            event: of,
            table,
            when: Some(changed(backend, &cols)),
            body: body("NEW", ""),
        });
    }
    // Parents: when a parent's key column changes, its children's contributions move.
    let links = parent_links();
    let mut parents: Vec<&'static str> = Vec::new();
    for (_, p) in &links {
        if !parents.contains(&p.table) {
            parents.push(p.table);
        }
    }
    for parent in parents {
        let links: Vec<&(&Rule, Link)> = links.iter().filter(|(_, p)| p.table == parent).collect();
        let cols = union(links.iter().map(|(_, p)| p.watch.to_vec()));
        let regional = links.iter().any(|(_, p)| p.places);
        let body = |row: &str, sign: &str| -> Vec<String> {
            let pin = (regional && row == "OLD").then(|| PIN_INSTITUTION.to_string());
            pin.into_iter()
                .chain(links.iter().map(|(r, p)| {
                    let cond = p.link.replace("{id}", &format!("{row}.id"));
                    format!(
                        "INSERT INTO rollup_deltas ({}, value, extra) {}",
                        Level::Deltas.keys(),
                        grouped_select(r, Level::Deltas, regional, &cond, sign)
                    )
                }))
                .collect()
        };
        let of = format!("UPDATE OF {}", cols.join(", "));
        if regional {
            out.push(Trigger {
                name: format!("rollup_{parent}_pin"),
                timing: "BEFORE",
                event: "DELETE".into(),
                table: parent,
                when: None,
                body: vec![PIN_INSTITUTION.to_string()],
            });
        }
        out.push(Trigger {
            name: format!("rollup_{parent}_children_old"),
            timing: "BEFORE",
            event: of.clone(),
            table: parent,
            when: Some(changed(backend, &cols)),
            body: body("OLD", "-"),
        });
        out.push(Trigger {
            name: format!("rollup_{parent}_children_new"),
            timing: "AFTER",
            event: of,
            table: parent,
            when: Some(changed(backend, &cols)),
            body: body("NEW", ""),
        });
    }
    out
}

/// The DDL creating every roll-up trigger for a backend, one statement per element.
pub fn trigger_ddl(backend: Backend) -> Vec<String> {
    let mut out = Vec::new();
    for t in triggers(backend) {
        match backend {
            Backend::Sqlite => {
                let when = t.when.map(|w| format!(" WHEN {w}")).unwrap_or_default();
                out.push(format!(
                    "CREATE TRIGGER {} {} {} ON {} FOR EACH ROW{when} BEGIN\n  {};\nEND",
                    t.name,
                    t.timing,
                    t.event,
                    t.table,
                    t.body.join(";\n  ")
                ));
            }
            Backend::Postgres => {
                // A BEFORE row trigger must hand the row back, or the change is skipped.
                let ret = if t.timing == "BEFORE" {
                    "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;"
                } else {
                    "RETURN NULL;"
                };
                out.push(format!(
                    "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  {};\n  {ret}\nEND\n$fn$",
                    t.name,
                    t.body.join(";\n  ")
                ));
                let when = t.when.map(|w| format!(" WHEN ({w})")).unwrap_or_default();
                out.push(format!(
                    "CREATE TRIGGER {} {} {} ON {} FOR EACH ROW{when} EXECUTE FUNCTION {}()",
                    t.name, t.timing, t.event, t.table, t.name
                ));
            }
        }
    }
    out
}

/// Refills every level from the raw tables (the statements, in order): a recount of every rule
/// at the deltas' grain, folded like any deltas.
fn rebuild_sql() -> Vec<String> {
    let mut out: Vec<String> = [Level::Deltas]
        .iter()
        .chain(LEVELS.iter())
        .map(|l| format!("DELETE FROM {}", l.table()))
        .collect();
    for r in RULES {
        out.push(grouped_delta(r, "1 = 1"));
    }
    out.extend(fold_statements());
    out
}

/// A fingerprint of everything generated for a backend: when it changes, [`install_on`]
/// replaces the triggers and rebuilds.
pub fn spec_hash(backend: Backend) -> String {
    let mut h = Sha256::new();
    for s in trigger_ddl(backend).iter().chain(rebuild_sql().iter()) {
        h.update(s.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// Drops every roll-up trigger (inside the connection's transaction, if one is open): what
/// [`install_on`] does before it installs them again, and what a benchmark does to measure
/// writes without them.
pub async fn drop_triggers(conn: &mut AnyConnection, backend: Backend) -> Result<()> {
    match backend {
        Backend::Sqlite => {
            let names: Vec<String> = sqlx::query(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rollup\\_%' ESCAPE '\\'",
            )
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| text(r, "name"))
            .collect::<Result<_>>()?;
            for n in names {
                conn.execute(sqlx::AssertSqlSafe(format!("DROP TRIGGER IF EXISTS {n}")))
                    .await?;
            }
        }
        Backend::Postgres => {
            let names: Vec<String> = sqlx::query(
                "SELECT p.proname::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                 WHERE n.nspname = current_schema() AND p.proname LIKE 'rollup\\_%'",
            )
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| text(r, "name"))
            .collect::<Result<_>>()?;
            for n in names {
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP FUNCTION IF EXISTS {n}() CASCADE"
                )))
                .await?;
            }
        }
    }
    Ok(())
}

const LOCK_PG: &str = "LOCK TABLE rollups, rollups_program, rollups_daily, rollups_yearly, \
     rollup_deltas IN EXCLUSIVE MODE";

/// Installs the triggers the rules generate, unless the database already has exactly these,
/// and then rebuilds the roll-ups in the same transaction (so a database from before the
/// roll-ups, or from before a rule changed, is filled when it is migrated). Called by
/// [`Db::migrate`] while it holds the migration lock. Returns whether anything was done.
pub async fn install_on(conn: &mut AnyConnection, backend: Backend) -> Result<bool> {
    let hash = spec_hash(backend);
    let stored: Option<String> = sqlx::query("SELECT spec_hash FROM rollup_state WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| text(&r, "spec_hash"))
        .transpose()?;
    // The same specification, and every trigger in place: nothing to do. A trigger missing (a
    // tool stopped halfway, a hand-made change) means writes may have gone uncounted: reinstall
    // and rebuild.
    if stored.as_deref() == Some(hash.as_str())
        && installed_triggers(conn, backend).await? == triggers(backend).len() as i64
    {
        return Ok(false);
    }
    let mut tx = conn.begin().await?;
    if backend == Backend::Postgres {
        tx.execute(LOCK_PG).await?;
    }
    drop_triggers(&mut tx, backend).await?;
    for ddl in trigger_ddl(backend) {
        tx.execute(sqlx::AssertSqlSafe(ddl)).await?;
    }
    for sql in rebuild_sql() {
        tx.execute(sqlx::AssertSqlSafe(sql)).await?;
    }
    sqlx::query(
        "INSERT INTO rollup_state (id, spec_hash, built_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET spec_hash = excluded.spec_hash, built_at = excluded.built_at",
    )
    .bind(hash)
    .bind(crate::now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// How many roll-up triggers the database holds.
async fn installed_triggers(conn: &mut AnyConnection, backend: Backend) -> Result<i64> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' \
             AND name LIKE 'rollup\\_%' ESCAPE '\\'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND NOT t.tgisinternal \
             AND t.tgname LIKE 'rollup\\_%'"
        }
    };
    int(&sqlx::query(sql).fetch_one(&mut *conn).await?, "n")
}

/// Empties every level and refills them from the raw tables, in one transaction that keeps
/// writers out meanwhile. Returns the number of fine roll-up rows.
pub async fn rebuild(db: &Db) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        tx.execute(LOCK_PG).await?;
    }
    for sql in rebuild_sql() {
        tx.execute(sqlx::AssertSqlSafe(sql)).await?;
    }
    let n = int(
        &sqlx::query("SELECT COUNT(*) AS n FROM rollups")
            .fetch_one(&mut *tx)
            .await?,
        "n",
    )?;
    tx.commit().await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
mod tests {
    use super::*;
    use crate::rollups::verify::verify;

    #[test]
    fn the_source_alias_becomes_the_triggers_row() {
        assert_eq!(
            on_row("CASE WHEN t.a > at.b THEN t.c END", "NEW"),
            "CASE WHEN NEW.a > at.b THEN NEW.c END"
        );
    }

    #[test]
    fn triggers_are_generated_for_every_source_and_parent_table() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let ddl = trigger_ddl(backend).join("\n");
            for table in [
                "assignments",
                "consultations",
                "bookings",
                "batches",
                "mentorships",
            ] {
                assert!(ddl.contains(&format!(" ON {table} ")), "{table}");
            }
        }
        assert_ne!(spec_hash(Backend::Sqlite), spec_hash(Backend::Postgres));
    }

    #[tokio::test]
    async fn a_fresh_sqlite_database_installs_the_triggers_once_and_verifies() {
        let dir = std::env::temp_dir().join(format!("shanhai-rollups-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", dir.join("t.db").display()))
            .await
            .expect("connect");
        db.migrate().await.expect("migrate");
        let mut conn = db.pool().acquire().await.expect("conn");
        assert!(
            !install_on(&mut conn, Backend::Sqlite)
                .await
                .expect("install")
        );
        // A trigger gone (a tool stopped halfway): the next start puts them back and rebuilds.
        conn.execute("DROP TRIGGER rollup_consultations_ins")
            .await
            .expect("drop");
        assert!(
            install_on(&mut conn, Backend::Sqlite)
                .await
                .expect("reinstall")
        );
        assert_eq!(
            installed_triggers(&mut conn, Backend::Sqlite)
                .await
                .expect("count"),
            triggers(Backend::Sqlite).len() as i64
        );
        drop(conn);
        assert!(verify(&db).await.expect("verify").is_empty());
        assert_eq!(rebuild(&db).await.expect("rebuild"), 0);
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
