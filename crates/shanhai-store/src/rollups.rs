//! Roll-ups: every derived indicator summed per (program, pairing, institution, month) — and per
//! person for the indicators that count distinct people — kept up to date by database triggers,
//! so that a dashboard reads a few hundred roll-up rows instead of scanning millions of records.
//!
//! One [`Rule`] per indicator says which table it counts, how a record finds its program,
//! pairing, institution and date, which records count and what each contributes. Everything
//! else is generated from the rules, for SQLite and PostgreSQL alike:
//!
//! - the triggers (installed at migrate time by [`install_on`]; a changed rule set — say, a new
//!   indicator — replaces the triggers and rebuilds the table in the same transaction, so the
//!   spec is the single source and no SQL file has to be kept in step with it);
//! - the from-scratch recount that [`verify`] compares the table with and [`rebuild`] refills
//!   it from;
//! - the raw-table queries for the partial months at the edges of a date range.
//!
//! Why triggers: the demo loader and the spreadsheet import write with bulk INSERTs, not through
//! one Rust write path; a trigger catches every write, whoever makes it, in the writer's own
//! transaction. A record's contribution is read back from the table by its id (after an insert
//! or update, before an update or delete), so a rule's expressions are written once, over the
//! table aliased `t` and its joins, and mean the same in the trigger, the recount and the
//! edge queries. Updates only fire when a column the rule reads changes (`UPDATE OF … WHEN`).
//! When a record reaches its program through a parent (an assignment through its batch), the
//! parent's triggers move the children's contributions when the parent's key columns change.
//!
//! A date range is exact: the whole months inside it are read from `rollups`, the partial
//! months at its ends are counted from the raw tables (indexed by program and date).
//!
//! Counting across programs: each record belongs to one program, so summing programs never
//! counts an activity twice. Distinct people (`experts-dispatched`) are kept per person with a
//! reference count and counted with `COUNT(DISTINCT …)` over whatever scope is asked, so a
//! person dispatched by two programs counts once when the two are rolled up together.

use crate::db::Backend;
use crate::query::{self, Arg, int, text};
use crate::{Db, Result, StoreError};
use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};
use shanhai_domain::Invalid;
use sqlx::{AnyConnection, Connection, Executor};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A parent table whose key columns a rule reads through a join.
#[derive(Debug, Clone, Copy)]
pub struct Parent {
    pub table: &'static str,
    /// The parent's columns that change which program, pairing, institution, date or
    /// predicate its children count under.
    pub watch: &'static [&'static str],
    /// The children of the parent row `{id}`, as a condition over `t`.
    pub link: &'static str,
}

/// How one indicator is counted. Expressions are SQL over the source table aliased `t` and the
/// rule's `joins`, portable between SQLite and PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub indicator: &'static str,
    pub table: &'static str,
    pub joins: &'static str,
    pub program: &'static str,
    pub pairing: &'static str,
    pub institution: &'static str,
    /// `YYYY-MM-DD`, or a timestamp that starts with it.
    pub date: &'static str,
    /// Which records count.
    pub filter: &'static str,
    /// What a record contributes (`1`, an attendance, an amount in fen).
    pub value: &'static str,
    /// For indicators counting distinct people: the person. The value is then a reference
    /// count and the indicator is `COUNT(DISTINCT member)` over rows with a positive count.
    pub member: Option<&'static str>,
    /// The columns of `t` the expressions read (an update of any other column changes nothing).
    pub watch: &'static [&'static str],
    pub parents: &'static [Parent],
}

impl Rule {
    pub fn distinct(&self) -> bool {
        self.member.is_some()
    }
}

const BATCH_JOIN: &str = "JOIN batches b ON b.id = t.batch_id";
const ASSIGNMENT_PARENTS: &[Parent] = &[Parent {
    table: "batches",
    watch: &["program_id", "pairing_id"],
    link: "t.batch_id = {id}",
}];
const SESSION_JOINS: &str =
    "LEFT JOIN assignments a ON a.id = t.assignment_id LEFT JOIN batches b ON b.id = a.batch_id";
const SESSION_WATCH: &[&str] = &[
    "assignment_id",
    "institution_id",
    "date",
    "status",
    "visit_type",
    "booked",
];
const SESSION_PARENTS: &[Parent] = &[
    Parent {
        table: "assignments",
        watch: &["batch_id"],
        link: "t.assignment_id = {id}",
    },
    Parent {
        table: "batches",
        watch: &["program_id", "pairing_id"],
        link: "t.assignment_id IN (SELECT x.id FROM assignments x WHERE x.batch_id = {id})",
    },
];
const BOOKING_JOINS: &str = "JOIN clinic_sessions s ON s.id = t.session_id \
    LEFT JOIN assignments a ON a.id = s.assignment_id LEFT JOIN batches b ON b.id = a.batch_id";
const BOOKING_PARENTS: &[Parent] = &[
    Parent {
        table: "clinic_sessions",
        watch: &[
            "assignment_id",
            "institution_id",
            "date",
            "status",
            "visit_type",
        ],
        link: "t.session_id = {id}",
    },
    Parent {
        table: "assignments",
        watch: &["batch_id"],
        link: "t.session_id IN (SELECT x.id FROM clinic_sessions x WHERE x.assignment_id = {id})",
    },
    Parent {
        table: "batches",
        watch: &["program_id", "pairing_id"],
        link: "t.session_id IN (SELECT x.id FROM clinic_sessions x \
               JOIN assignments y ON y.id = x.assignment_id WHERE y.batch_id = {id})",
    },
];
const CONSULTATION_WATCH: &[&str] = &[
    "program_id",
    "requesting_institution_id",
    "requested_at",
    "type",
];
const REFERRAL_WATCH: &[&str] = &[
    "program_id",
    "direction",
    "from_institution_id",
    "to_institution_id",
    "created_at",
    "leaves_region",
];
const TECHNIQUE_WATCH: &[&str] = &[
    "program_id",
    "institution_id",
    "pairing_id",
    "introduced_on",
    "gap_level",
    "surgical_grade",
];

/// A record of a capacity table (program, institution, one date column) counted once.
const fn capacity(indicator: &'static str, table: &'static str, date: &'static str) -> Rule {
    Rule {
        indicator,
        table,
        joins: "",
        program: "t.program_id",
        pairing: "NULL",
        institution: "t.institution_id",
        date,
        filter: "1 = 1",
        value: "1",
        member: None,
        watch: &[],
        parents: &[],
    }
}

const fn watching(mut rule: Rule, watch: &'static [&'static str]) -> Rule {
    rule.watch = watch;
    rule
}

const fn technique(indicator: &'static str, filter: &'static str) -> Rule {
    Rule {
        pairing: "t.pairing_id",
        filter,
        ..watching(
            capacity(indicator, "techniques", "t.introduced_on"),
            TECHNIQUE_WATCH,
        )
    }
}

const fn consultation(indicator: &'static str, filter: &'static str) -> Rule {
    Rule {
        institution: "t.requesting_institution_id",
        filter,
        ..watching(
            capacity(indicator, "consultations", "t.requested_at"),
            CONSULTATION_WATCH,
        )
    }
}

/// Up-referrals count at the sending hospital, down-referrals where the patient comes back to.
const fn referral(
    indicator: &'static str,
    institution: &'static str,
    filter: &'static str,
) -> Rule {
    Rule {
        institution,
        filter,
        ..watching(
            capacity(indicator, "referrals", "t.created_at"),
            REFERRAL_WATCH,
        )
    }
}

const fn session(indicator: &'static str, filter: &'static str, value: &'static str) -> Rule {
    Rule {
        indicator,
        table: "clinic_sessions",
        joins: SESSION_JOINS,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "t.institution_id",
        date: "t.date",
        filter,
        value,
        member: None,
        watch: SESSION_WATCH,
        parents: SESSION_PARENTS,
    }
}

const fn checked_in(indicator: &'static str, filter: &'static str) -> Rule {
    Rule {
        indicator,
        table: "bookings",
        joins: BOOKING_JOINS,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "s.institution_id",
        date: "s.date",
        filter,
        value: "1",
        member: None,
        watch: &["session_id", "status"],
        parents: BOOKING_PARENTS,
    }
}

const fn simple(indicator: &'static str, table: &'static str, date: &'static str) -> Rule {
    watching(
        capacity(indicator, table, date),
        &[], // filled in by `watch_of` from the rule's own columns
    )
}

/// Every roll-up rule: one entry per counted indicator of the catalogue. The counting rule of
/// each must agree with the list its `records_url` names (`GET /api/v1/programs/{id}/indicators`);
/// the API tests compare them on the demo data.
pub const RULES: &[Rule] = &[
    Rule {
        indicator: "experts-dispatched",
        table: "assignments",
        joins: BATCH_JOIN,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "t.institution_id",
        date: "t.start_date",
        filter: "1 = 1",
        value: "1",
        member: Some("t.person_id"),
        watch: &["batch_id", "person_id", "institution_id", "start_date"],
        parents: ASSIGNMENT_PARENTS,
    },
    Rule {
        indicator: "assignments",
        table: "assignments",
        joins: BATCH_JOIN,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "t.institution_id",
        date: "t.start_date",
        filter: "1 = 1",
        value: "1",
        member: None,
        watch: &["batch_id", "institution_id", "start_date"],
        parents: ASSIGNMENT_PARENTS,
    },
    // A service day counts once its assignment has begun (the list filters both dates).
    Rule {
        indicator: "work-days",
        table: "service_days",
        joins: "JOIN assignments a ON a.id = t.assignment_id JOIN batches b ON b.id = a.batch_id",
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "a.institution_id",
        date: "CASE WHEN a.start_date > t.day THEN a.start_date ELSE t.day END",
        filter: "1 = 1",
        value: "1",
        member: None,
        watch: &["assignment_id", "day"],
        parents: &[
            Parent {
                table: "assignments",
                watch: &["batch_id", "institution_id", "start_date"],
                link: "t.assignment_id = {id}",
            },
            Parent {
                table: "batches",
                watch: &["program_id", "pairing_id"],
                link: "t.assignment_id IN (SELECT x.id FROM assignments x WHERE x.batch_id = {id})",
            },
        ],
    },
    session("clinic-sessions", "t.status = 'open'", "1"),
    session("bookings", "t.status = 'open'", "t.booked"),
    checked_in(
        "patients-seen",
        "t.status = 'checked-in' AND s.status = 'open'",
    ),
    session(
        "outreach-sessions",
        "t.status = 'open' AND t.visit_type IN ('free-clinic', 'circuit')",
        "1",
    ),
    checked_in(
        "outreach-patients",
        "t.status = 'checked-in' AND s.status = 'open' AND s.visit_type IN ('free-clinic', 'circuit')",
    ),
    consultation("consultations", "1 = 1"),
    consultation("consultations-mdt", "t.type = 'mdt'"),
    consultation("consultations-difficult-case", "t.type = 'difficult-case'"),
    referral(
        "referrals-up",
        "t.from_institution_id",
        "t.direction = 'up'",
    ),
    referral(
        "referrals-down",
        "t.to_institution_id",
        "t.direction = 'down'",
    ),
    referral(
        "referrals-leaving-region",
        "t.from_institution_id",
        "t.direction = 'up' AND t.leaves_region = 1",
    ),
    simple("placements", "placements", "t.start_date"),
    simple("mentorships", "mentorships", "t.term_start"),
    // An apprentice counts once both the mentorship's term and the apprenticeship have begun.
    Rule {
        indicator: "apprentices",
        table: "mentorship_apprentices",
        joins: "JOIN mentorships m ON m.id = t.mentorship_id",
        program: "m.program_id",
        pairing: "NULL",
        institution: "m.institution_id",
        date: "CASE WHEN m.term_start > t.joined_on THEN m.term_start ELSE t.joined_on END",
        filter: "1 = 1",
        value: "1",
        member: None,
        watch: &["mentorship_id", "joined_on"],
        parents: &[Parent {
            table: "mentorships",
            watch: &["program_id", "institution_id", "term_start"],
            link: "t.mentorship_id = {id}",
        }],
    },
    simple("team-pairings", "team_pairings", "t.start_date"),
    simple("teaching-activities", "teaching_activities", "t.held_on"),
    Rule {
        value: "t.attendance",
        ..simple("teaching-attendance", "teaching_activities", "t.held_on")
    },
    technique("techniques", "1 = 1"),
    technique("gaps-filled-hospital", "t.gap_level = 'hospital'"),
    technique("gaps-filled-county", "t.gap_level = 'county'"),
    technique("gaps-filled-city", "t.gap_level = 'city'"),
    technique("gaps-filled-province", "t.gap_level = 'province'"),
    technique("techniques-grade-3-4", "t.surgical_grade >= 3"),
    simple("workstations", "workstations", "t.opened_on"),
    simple("alliances", "alliances", "t.founded_on"),
    simple("specialty-projects", "specialty_projects", "t.started_on"),
    simple("regulations", "regulations", "t.adopted_on"),
    simple("research-outputs", "research_outputs", "t.dated_on"),
    Rule {
        value: "t.amount_fen",
        ..simple("funding", "funding_items", "t.granted_on")
    },
    Rule {
        value: "t.value_fen",
        ..simple("equipment-value", "equipment_donations", "t.donated_on")
    },
];

pub fn rule(indicator: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.indicator == indicator)
}

/// The columns of `t` a rule reads: its declared `watch`, or for the simple capacity rules
/// the program, institution, date and value columns.
fn watch_of(rule: &Rule) -> Vec<&'static str> {
    if !rule.watch.is_empty() {
        return rule.watch.to_vec();
    }
    let mut cols = vec!["program_id", "institution_id"];
    for expr in [rule.date, rule.value] {
        if let Some(c) = expr.strip_prefix("t.") {
            cols.push(c);
        }
    }
    cols
}

// ---- generated SQL ----

const KEY_COLS: &str = "indicator, month, program_id, institution_id, pairing_id, member_id";
const UPSERT: &str = " ON CONFLICT (indicator, month, program_id, institution_id, pairing_id, member_id) \
     DO UPDATE SET value = rollups.value + excluded.value";

fn member_expr(rule: &Rule) -> &'static str {
    rule.member.unwrap_or("NULL")
}

/// The key columns of a record's contribution, in `KEY_COLS` order.
fn key_exprs(rule: &Rule) -> String {
    key_exprs_on(rule, |e| e.to_string())
}

fn key_exprs_on(rule: &Rule, on: impl Fn(&str) -> String) -> String {
    format!(
        "'{}' AS indicator, substr({}, 1, 7) AS month, COALESCE({}, '') AS program_id, \
         COALESCE({}, '') AS institution_id, COALESCE({}, '') AS pairing_id, COALESCE({}, '') AS member_id",
        rule.indicator,
        on(rule.date),
        on(rule.program),
        on(rule.institution),
        on(rule.pairing),
        on(member_expr(rule))
    )
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

/// One record's contribution (`sign` `+` or `-`). A rule without joins reads the trigger's row
/// itself; one with joins reads the record back by its id (after an insert or update, before
/// an update or delete) to reach its parents.
fn row_insert(rule: &Rule, row: &str, sign: &str) -> String {
    if rule.joins.is_empty() {
        let on = |e: &str| on_row(e, row);
        return format!(
            "INSERT INTO rollups ({KEY_COLS}, value) SELECT {}, {sign}({}) WHERE ({}){UPSERT}",
            key_exprs_on(rule, on),
            on(rule.value),
            on(rule.filter)
        );
    }
    format!(
        "INSERT INTO rollups ({KEY_COLS}, value) SELECT {}, {sign}({}) FROM {} t {} \
         WHERE t.id = {row}.id AND ({}){UPSERT}",
        key_exprs(rule),
        rule.value,
        rule.table,
        rule.joins,
        rule.filter
    )
}

/// The contributions of the records matching `extra`, grouped by key.
fn grouped_select(rule: &Rule, extra: &str, sign: &str) -> String {
    format!(
        "SELECT {}, {sign}CAST(SUM({}) AS BIGINT) AS value FROM {} t {} WHERE ({}) AND ({extra}) \
         GROUP BY 2, 3, 4, 5, 6",
        key_exprs(rule),
        rule.value,
        rule.table,
        rule.joins,
        rule.filter
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
    let mut parents: Vec<&'static str> = Vec::new();
    for r in RULES {
        for p in r.parents {
            if !parents.contains(&p.table) {
                parents.push(p.table);
            }
        }
    }
    for parent in parents {
        let links: Vec<(&Rule, &Parent)> = RULES
            .iter()
            .flat_map(|r| r.parents.iter().map(move |p| (r, p)))
            .filter(|(_, p)| p.table == parent)
            .collect();
        let cols = union(links.iter().map(|(_, p)| p.watch.to_vec()));
        let body = |row: &str, sign: &str| -> Vec<String> {
            links
                .iter()
                .map(|(r, p)| {
                    format!(
                        "INSERT INTO rollups ({KEY_COLS}, value) {}{UPSERT}",
                        grouped_select(r, &p.link.replace("{id}", &format!("{row}.id")), sign)
                    )
                })
                .collect()
        };
        let of = format!("UPDATE OF {}", cols.join(", "));
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

/// Refills `rollups` from the raw tables (the statements, in order).
fn rebuild_sql() -> Vec<String> {
    let mut out = vec!["DELETE FROM rollups".to_string()];
    for r in RULES {
        out.push(format!(
            "INSERT INTO rollups ({KEY_COLS}, value) {}",
            grouped_select(r, "1 = 1", "")
        ));
    }
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

async fn drop_triggers(conn: &mut AnyConnection, backend: Backend) -> Result<()> {
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
    if stored.as_deref() == Some(hash.as_str()) {
        return Ok(false);
    }
    let mut tx = conn.begin().await?;
    if backend == Backend::Postgres {
        tx.execute("LOCK TABLE rollups IN EXCLUSIVE MODE").await?;
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

/// Empties `rollups` and refills it from the raw tables, in one transaction that keeps writers
/// out meanwhile. Returns the number of roll-up rows.
pub async fn rebuild(db: &Db) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        tx.execute("LOCK TABLE rollups IN EXCLUSIVE MODE").await?;
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

// ---- verification ----

/// A roll-up row that differs from the recount (a missing row counts as 0).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    pub indicator: String,
    pub month: String,
    pub program_id: String,
    pub institution_id: String,
    pub pairing_id: String,
    pub member_id: String,
    pub stored: i64,
    pub recounted: i64,
}

/// One indicator's check: how many non-zero rows the table holds, how many the recount gives,
/// and the rows that differ (at most [`MAX_MISMATCHES`] listed).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    pub indicator: String,
    pub stored_rows: i64,
    pub recounted_rows: i64,
    pub mismatches: Vec<Mismatch>,
}

pub const MAX_MISMATCHES: i64 = 1000;

const KEYS: &str = "month, program_id, institution_id, pairing_id, member_id";

/// Compares every indicator's roll-up rows with a from-scratch `GROUP BY` recount of the raw
/// tables.
pub async fn check(db: &Db) -> Result<Vec<Check>> {
    let mut out = Vec::new();
    for r in RULES {
        out.push(check_rule(db, r).await?);
    }
    Ok(out)
}

async fn check_rule(db: &Db, r: &Rule) -> Result<Check> {
    let recount = format!(
        "{} HAVING SUM({}) <> 0",
        grouped_select(r, "1 = 1", ""),
        r.value
    );
    let stored = format!(
        "SELECT {KEYS}, value FROM rollups WHERE indicator = '{}' AND value <> 0",
        r.indicator
    );
    // The recount is a scan of the source table: run it once, into a temporary table on one
    // connection, and compare both ways against it.
    let mut conn = db.pool().acquire().await?;
    conn.execute("DROP TABLE IF EXISTS rollup_recount").await?;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "CREATE TEMPORARY TABLE rollup_recount AS SELECT {KEYS}, value FROM ({recount}) x"
    )))
    .await?;
    let recount = format!("SELECT {KEYS}, value FROM rollup_recount");
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
            "SELECT {KEYS}, value FROM ({a}) x EXCEPT SELECT {KEYS}, value FROM ({b}) y LIMIT {MAX_MISMATCHES}"
        )
    };
    let mut by_key: BTreeMap<[String; 5], (i64, i64)> = BTreeMap::new();
    for (sql, is_stored) in [
        (diff(&stored, &recount), true),
        (diff(&recount, &stored), false),
    ] {
        for row in query::sql_with(sql, vec![]).fetch_all(&mut *conn).await? {
            let key = [
                text(&row, "month")?,
                text(&row, "program_id")?,
                text(&row, "institution_id")?,
                text(&row, "pairing_id")?,
                text(&row, "member_id")?,
            ];
            let v = int(&row, "value")?;
            let e = by_key.entry(key).or_insert((0, 0));
            if is_stored { e.0 = v } else { e.1 = v }
        }
    }
    conn.execute("DROP TABLE rollup_recount").await?;
    let mismatches = by_key
        .into_iter()
        .map(|(k, (stored, recounted))| {
            let [month, program_id, institution_id, pairing_id, member_id] = k;
            Mismatch {
                indicator: r.indicator.to_string(),
                month,
                program_id,
                institution_id,
                pairing_id,
                member_id,
                stored,
                recounted,
            }
        })
        .collect();
    Ok(Check {
        indicator: r.indicator.to_string(),
        stored_rows,
        recounted_rows,
        mismatches,
    })
}

/// Every roll-up row that differs from a recount; empty when the roll-ups are right.
pub async fn verify(db: &Db) -> Result<Vec<Mismatch>> {
    Ok(check(db)
        .await?
        .into_iter()
        .flat_map(|c| c.mismatches)
        .collect())
}

// ---- reading ----

/// What a dashboard asks for: any combination of program, pairing, institution and region
/// (GB/T 2260, the whole subtree), over `[from, until]` (`YYYY-MM-DD`, inclusive; no `from`:
/// since the beginning).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub program: Option<String>,
    pub pairing: Option<String>,
    pub institution: Option<String>,
    pub region: Option<String>,
    pub from: Option<String>,
    pub until: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Month,
    Quarter,
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Program,
    Pairing,
    Institution,
    /// The next level below the scope's region: provinces without one, then cities, then
    /// counties (a county's own code at county level).
    ChildRegion,
}

/// How rows are grouped in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    None,
    Month,
    Program,
    Pairing,
    Institution,
}

/// Where values come from: the roll-ups (plus raw edge months), or a full scan of the raw
/// tables (the reference the roll-ups are checked and benchmarked against).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Rollups,
    Scan,
}

fn parse_date(field: &'static str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| StoreError::Invalid(Invalid::new(field, "error.date_format")))
}

fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    let first = first_of_month(d);
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(d)
}

/// Which whole months to read from `rollups` and which date ranges from the raw tables.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    /// Inclusive month bounds; `None` as the low bound: since the beginning.
    months: Option<(Option<String>, String)>,
    raw: Vec<(Option<NaiveDate>, NaiveDate)>,
}

fn plan(from: Option<NaiveDate>, until: NaiveDate, source: Source) -> Plan {
    if from.is_some_and(|f| f > until) {
        return Plan {
            months: None,
            raw: vec![],
        };
    }
    if source == Source::Scan {
        return Plan {
            months: None,
            raw: vec![(from, until)],
        };
    }
    let until_full = until == last_of_month(until);
    let from_full = from.is_none_or(|f| f.day() == 1);
    if let Some(f) = from
        && month_of(f) == month_of(until)
        && !(from_full && until_full)
    {
        return Plan {
            months: None,
            raw: vec![(Some(f), until)],
        };
    }
    let mut raw = Vec::new();
    let lo = match from {
        None => None,
        Some(f) if f.day() == 1 => Some(f),
        Some(f) => {
            raw.push((Some(f), last_of_month(f)));
            last_of_month(f).succ_opt()
        }
    };
    let hi = if until_full {
        Some(until)
    } else {
        raw.push((Some(first_of_month(until)), until));
        first_of_month(until).pred_opt()
    };
    let months = match (lo, hi) {
        (_, None) => None,
        (Some(lo), Some(hi)) if lo > hi => None,
        (lo, Some(hi)) => Some((lo.map(month_of), month_of(hi))),
    };
    Plan { months, raw }
}

struct Parsed {
    from: Option<NaiveDate>,
    until: NaiveDate,
    region_like: Option<String>,
    region_len: usize,
}

fn parse_scope(scope: &Scope) -> Result<Parsed> {
    let until = parse_date("until", &scope.until)?;
    let from = match scope
        .from
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(f) => Some(parse_date("from", f)?),
        None => None,
    };
    let (region_like, region_len) = match scope
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(r) => {
            let code = shanhai_domain::registry::RegionCode::parse("region", r)?;
            let prefix = code.prefix().to_string();
            let len = match prefix.len() {
                2 => 4,
                4 => 6,
                _ => 9,
            };
            (Some(format!("{prefix}%")), len)
        }
        None => (None, 2),
    };
    Ok(Parsed {
        from,
        until,
        region_like,
        region_len,
    })
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Adds the scope's program, pairing, institution and region conditions over the given
/// expressions.
fn scope_conditions(
    scope: &Scope,
    parsed: &Parsed,
    exprs: [&str; 3],
    args: &mut Vec<Arg>,
) -> Vec<String> {
    let mut out = Vec::new();
    let [program, pairing, institution] = exprs;
    for (expr, value) in [
        (program, opt(&scope.program)),
        (pairing, opt(&scope.pairing)),
        (institution, opt(&scope.institution)),
    ] {
        if let Some(v) = value {
            args.push(v.into());
            out.push(format!("{expr} = ${}", args.len()));
        }
    }
    if let Some(like) = &parsed.region_like {
        args.push(like.clone().into());
        out.push(format!(
            "{institution} IN (SELECT ri.id FROM institutions ri WHERE ri.region_code LIKE ${})",
            args.len()
        ));
    }
    out
}

fn group_expr(
    group: Group,
    program: &str,
    pairing: &str,
    institution: &str,
    month: &str,
) -> String {
    match group {
        Group::None => "''".into(),
        Group::Month => month.into(),
        Group::Program => format!("COALESCE({program}, '')"),
        Group::Pairing => format!("COALESCE({pairing}, '')"),
        Group::Institution => format!("COALESCE({institution}, '')"),
    }
}

/// Values (or, for distinct indicators, the people) of one rule per group key.
enum Acc {
    Sum(BTreeMap<String, i64>),
    People(BTreeMap<String, BTreeSet<String>>),
}

impl Acc {
    fn for_rule(rule: &Rule) -> Acc {
        if rule.distinct() {
            Acc::People(BTreeMap::new())
        } else {
            Acc::Sum(BTreeMap::new())
        }
    }

    fn into_values(self) -> BTreeMap<String, i64> {
        match self {
            Acc::Sum(m) => m,
            Acc::People(m) => m
                .into_iter()
                .map(|(k, s)| (k, i64::try_from(s.len()).unwrap_or(i64::MAX)))
                .collect(),
        }
    }

    /// Folds group keys together (months into quarters, institutions into regions).
    fn fold(self, f: impl Fn(&str) -> Option<String>) -> Acc {
        match self {
            Acc::Sum(m) => {
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    if let Some(k) = f(&k) {
                        *out.entry(k).or_insert(0) += v;
                    }
                }
                Acc::Sum(out)
            }
            Acc::People(m) => {
                let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                for (k, s) in m {
                    if let Some(k) = f(&k) {
                        out.entry(k).or_default().extend(s);
                    }
                }
                Acc::People(out)
            }
        }
    }

    async fn add_rows(&mut self, db: &Db, sql: String, args: Vec<Arg>) -> Result<()> {
        let rows = query::sql_with(sql, args).fetch_all(db.pool()).await?;
        for row in rows {
            let k = text(&row, "k")?;
            match self {
                Acc::Sum(m) => *m.entry(k).or_insert(0) += int(&row, "v")?,
                Acc::People(m) => {
                    m.entry(k).or_default().insert(text(&row, "m")?);
                }
            }
        }
        Ok(())
    }
}

/// One rule's values per group over the scope.
async fn grouped(
    db: &Db,
    scope: &Scope,
    parsed: &Parsed,
    rule: &Rule,
    group: Group,
    source: Source,
) -> Result<Acc> {
    let plan = plan(parsed.from, parsed.until, source);
    let mut acc = Acc::for_rule(rule);
    if let Some((lo, hi)) = &plan.months {
        let mut args: Vec<Arg> = vec![rule.indicator.into(), hi.clone().into()];
        let mut conds = vec!["r.indicator = $1".to_string(), "r.month <= $2".to_string()];
        if let Some(lo) = lo {
            args.push(lo.clone().into());
            conds.push(format!("r.month >= ${}", args.len()));
        }
        conds.extend(scope_conditions(
            scope,
            parsed,
            ["r.program_id", "r.pairing_id", "r.institution_id"],
            &mut args,
        ));
        let k = group_expr(
            group,
            "r.program_id",
            "r.pairing_id",
            "r.institution_id",
            "r.month",
        );
        let sql = if rule.distinct() {
            format!(
                "SELECT {k} AS k, r.member_id AS m FROM rollups r WHERE {} AND r.value > 0 GROUP BY 1, 2",
                conds.join(" AND ")
            )
        } else {
            format!(
                "SELECT {k} AS k, CAST(SUM(r.value) AS BIGINT) AS v FROM rollups r WHERE {} GROUP BY 1",
                conds.join(" AND ")
            )
        };
        acc.add_rows(db, sql, args).await?;
    }
    for (from, until) in &plan.raw {
        let mut args: Vec<Arg> = vec![format!("{until}~").into()];
        let mut conds = vec![format!("({})", rule.filter), format!("{} < $1", rule.date)];
        if let Some(from) = from {
            args.push(from.to_string().into());
            conds.push(format!("{} >= ${}", rule.date, args.len()));
        }
        conds.extend(scope_conditions(
            scope,
            parsed,
            [rule.program, rule.pairing, rule.institution],
            &mut args,
        ));
        let month = format!("substr({}, 1, 7)", rule.date);
        let k = group_expr(group, rule.program, rule.pairing, rule.institution, &month);
        let sql = match rule.member {
            Some(m) => format!(
                "SELECT {k} AS k, {m} AS m FROM {} t {} WHERE {} GROUP BY 1, 2",
                rule.table,
                rule.joins,
                conds.join(" AND ")
            ),
            None => format!(
                "SELECT {k} AS k, CAST(SUM({}) AS BIGINT) AS v FROM {} t {} WHERE {} GROUP BY 1",
                rule.value,
                rule.table,
                rule.joins,
                conds.join(" AND ")
            ),
        };
        acc.add_rows(db, sql, args).await?;
    }
    Ok(acc)
}

fn rule_or_invalid(indicator: &str) -> Result<&'static Rule> {
    rule(indicator)
        .ok_or_else(|| StoreError::Invalid(Invalid::new("indicator", "error.unknown_code")))
}

async fn totals_from(db: &Db, scope: &Scope, source: Source) -> Result<Vec<(String, i64)>> {
    let parsed = parse_scope(scope)?;
    let plan = plan(parsed.from, parsed.until, source);
    // The summed indicators' whole months in one pass over the scope's roll-up rows.
    let mut month_sums: HashMap<String, i64> = HashMap::new();
    if let Some((lo, hi)) = &plan.months {
        let mut args: Vec<Arg> = vec![hi.clone().into()];
        let mut conds = vec!["r.month <= $1".to_string()];
        if let Some(lo) = lo {
            args.push(lo.clone().into());
            conds.push(format!("r.month >= ${}", args.len()));
        }
        conds.extend(scope_conditions(
            scope,
            &parsed,
            ["r.program_id", "r.pairing_id", "r.institution_id"],
            &mut args,
        ));
        let sql = format!(
            "SELECT r.indicator AS k, CAST(SUM(r.value) AS BIGINT) AS v FROM rollups r WHERE {} GROUP BY 1",
            conds.join(" AND ")
        );
        for row in query::sql_with(sql, args).fetch_all(db.pool()).await? {
            month_sums.insert(text(&row, "k")?, int(&row, "v")?);
        }
    }
    let mut out = Vec::with_capacity(RULES.len());
    for r in RULES {
        let value = if r.distinct() {
            grouped(db, scope, &parsed, r, Group::None, source)
                .await?
                .into_values()
                .values()
                .sum()
        } else {
            let mut v = month_sums.get(r.indicator).copied().unwrap_or(0);
            for (from, until) in &plan.raw {
                let edge = Parsed {
                    from: *from,
                    until: *until,
                    region_like: parsed.region_like.clone(),
                    region_len: parsed.region_len,
                };
                v += grouped(db, scope, &edge, r, Group::None, Source::Scan)
                    .await?
                    .into_values()
                    .values()
                    .sum::<i64>();
            }
            v
        };
        out.push((r.indicator.to_string(), value));
    }
    Ok(out)
}

/// Every indicator with a rule, summed over the scope, in [`RULES`] order.
pub async fn totals(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    totals_from(db, scope, Source::Rollups).await
}

/// The same as [`totals`], counted by scanning the raw tables (the reference).
pub async fn scan_totals(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    totals_from(db, scope, Source::Scan).await
}

/// One indicator over the scope.
pub async fn total(db: &Db, scope: &Scope, indicator: &str) -> Result<i64> {
    let r = rule_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    Ok(grouped(db, scope, &parsed, r, Group::None, Source::Rollups)
        .await?
        .into_values()
        .values()
        .sum())
}

/// One indicator over the scope, by scanning the raw tables.
pub async fn recount(db: &Db, scope: &Scope, indicator: &str) -> Result<i64> {
    let r = rule_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    Ok(grouped(db, scope, &parsed, r, Group::None, Source::Scan)
        .await?
        .into_values()
        .values()
        .sum())
}

fn period_of(month: &str, grain: Grain) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let m: u32 = m.parse().ok()?;
    Some(match grain {
        Grain::Month => month.to_string(),
        Grain::Quarter => format!("{y}Q{}", m.div_ceil(3)),
        Grain::Year => y.to_string(),
    })
}

fn next_period(p: &str, grain: Grain) -> Option<String> {
    match grain {
        Grain::Month => {
            let d = NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d").ok()?;
            Some(month_of(d.checked_add_months(chrono::Months::new(1))?))
        }
        Grain::Quarter => {
            let (y, q) = p.split_once('Q')?;
            let (y, q): (i32, u32) = (y.parse().ok()?, q.parse().ok()?);
            Some(if q == 4 {
                format!("{}Q1", y + 1)
            } else {
                format!("{y}Q{}", q + 1)
            })
        }
        Grain::Year => Some((p.parse::<i32>().ok()? + 1).to_string()),
    }
}

async fn series_from(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    grain: Grain,
    source: Source,
) -> Result<Vec<(String, i64)>> {
    let r = rule_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    let values = grouped(db, scope, &parsed, r, Group::Month, source)
        .await?
        .fold(|m| period_of(m, grain))
        .into_values();
    // Continuous: every period from the first with a value (or `from`) to `until`'s, zeros
    // included.
    let last = period_of(&month_of(parsed.until), grain).unwrap_or_default();
    let first = match parsed.from {
        Some(f) => period_of(&month_of(f), grain),
        None => values
            .iter()
            .find(|(_, v)| **v != 0)
            .map(|(k, _)| k.clone()),
    };
    let mut out = Vec::new();
    let mut p = first;
    while let Some(cur) = p {
        if cur > last || out.len() > 12 * 200 {
            break;
        }
        out.push((cur.clone(), values.get(&cur).copied().unwrap_or(0)));
        p = next_period(&cur, grain);
    }
    Ok(out)
}

/// One indicator over the scope per month (`2024-03`), quarter (`2024Q1`) or year (`2024`),
/// every period from the first with a value (or from `scope.from`) to `scope.until`'s.
pub async fn series(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    grain: Grain,
) -> Result<Vec<(String, i64)>> {
    series_from(db, scope, indicator, grain, Source::Rollups).await
}

/// The same as [`series`], counted by scanning the raw tables.
pub async fn scan_series(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    grain: Grain,
) -> Result<Vec<(String, i64)>> {
    series_from(db, scope, indicator, grain, Source::Scan).await
}

async fn breakdown_from(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    by: By,
    source: Source,
) -> Result<Vec<(String, i64)>> {
    let r = rule_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    let group = match by {
        By::Program => Group::Program,
        By::Pairing => Group::Pairing,
        By::Institution | By::ChildRegion => Group::Institution,
    };
    let mut acc = grouped(db, scope, &parsed, r, group, source).await?;
    if by == By::ChildRegion {
        let rows = match &parsed.region_like {
            Some(like) => {
                query::sql_with(
                    "SELECT id, region_code FROM institutions WHERE region_code LIKE $1".into(),
                    vec![like.clone().into()],
                )
                .fetch_all(db.pool())
                .await?
            }
            None => {
                sqlx::query("SELECT id, region_code FROM institutions")
                    .fetch_all(db.pool())
                    .await?
            }
        };
        let mut regions: HashMap<String, String> = HashMap::with_capacity(rows.len());
        for row in rows {
            regions.insert(text(&row, "id")?, text(&row, "region_code")?);
        }
        let len = parsed.region_len;
        acc = acc.fold(|inst| {
            let code = regions.get(inst)?;
            let mut child: String = code.chars().take(len).collect();
            while child.len() < 6 {
                child.push('0');
            }
            Some(child)
        });
    }
    let mut out: Vec<(String, i64)> = acc
        .into_values()
        .into_iter()
        .filter(|(_, v)| *v != 0)
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// One indicator over the scope per program, pairing, institution (ids; `""` for records
/// without one) or child region (GB/T 2260 codes), largest first, zeros left out.
pub async fn breakdown(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    by: By,
) -> Result<Vec<(String, i64)>> {
    breakdown_from(db, scope, indicator, by, Source::Rollups).await
}

/// The same as [`breakdown`], counted by scanning the raw tables.
pub async fn scan_breakdown(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    by: By,
) -> Result<Vec<(String, i64)>> {
    breakdown_from(db, scope, indicator, by, Source::Scan).await
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
mod tests {
    use super::*;
    use shanhai_domain::indicators::CATALOGUE;

    #[test]
    fn every_catalogue_indicator_has_exactly_one_rule_and_every_rule_an_indicator() {
        for i in CATALOGUE {
            let n = RULES.iter().filter(|r| r.indicator == i.code).count();
            assert_eq!(
                n, 1,
                "indicator {} needs exactly one roll-up rule in shanhai-store/src/rollups.rs (has {n})",
                i.code
            );
        }
        for r in RULES {
            assert!(
                CATALOGUE.iter().any(|i| i.code == r.indicator),
                "roll-up rule {} names no catalogue indicator",
                r.indicator
            );
            assert!(!watch_of(r).is_empty());
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_range_is_whole_months_from_rollups_and_partial_edges_from_records() {
        let p = plan(None, d("2025-04-30"), Source::Rollups);
        assert_eq!(p.months, Some((None, "2025-04".into())));
        assert!(p.raw.is_empty());
        let p = plan(None, d("2025-04-15"), Source::Rollups);
        assert_eq!(p.months, Some((None, "2025-03".into())));
        assert_eq!(p.raw, vec![(Some(d("2025-04-01")), d("2025-04-15"))]);
        let p = plan(Some(d("2024-02-10")), d("2025-04-15"), Source::Rollups);
        assert_eq!(p.months, Some((Some("2024-03".into()), "2025-03".into())));
        assert_eq!(
            p.raw,
            vec![
                (Some(d("2024-02-10")), d("2024-02-29")),
                (Some(d("2025-04-01")), d("2025-04-15"))
            ]
        );
        let p = plan(Some(d("2025-04-02")), d("2025-04-20"), Source::Rollups);
        assert_eq!(p.months, None);
        assert_eq!(p.raw, vec![(Some(d("2025-04-02")), d("2025-04-20"))]);
        let p = plan(Some(d("2025-04-01")), d("2025-04-30"), Source::Rollups);
        assert_eq!(p.months, Some((Some("2025-04".into()), "2025-04".into())));
        assert!(p.raw.is_empty());
        let p = plan(Some(d("2025-03-31")), d("2025-04-01"), Source::Rollups);
        assert_eq!(p.months, None);
        assert_eq!(p.raw.len(), 2);
        assert_eq!(
            plan(Some(d("2025-05-01")), d("2025-04-01"), Source::Rollups),
            Plan {
                months: None,
                raw: vec![]
            }
        );
    }

    #[test]
    fn the_source_alias_becomes_the_triggers_row() {
        assert_eq!(
            on_row("CASE WHEN t.a > at.b THEN t.c END", "NEW"),
            "CASE WHEN NEW.a > at.b THEN NEW.c END"
        );
    }

    #[test]
    fn periods_are_labelled_and_followed() {
        assert_eq!(
            period_of("2024-03", Grain::Quarter).as_deref(),
            Some("2024Q1")
        );
        assert_eq!(
            period_of("2024-12", Grain::Quarter).as_deref(),
            Some("2024Q4")
        );
        assert_eq!(period_of("2024-12", Grain::Year).as_deref(), Some("2024"));
        assert_eq!(
            next_period("2024-12", Grain::Month).as_deref(),
            Some("2025-01")
        );
        assert_eq!(
            next_period("2024Q4", Grain::Quarter).as_deref(),
            Some("2025Q1")
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
        drop(conn);
        assert!(verify(&db).await.expect("verify").is_empty());
        assert_eq!(rebuild(&db).await.expect("rebuild"), 0);
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
