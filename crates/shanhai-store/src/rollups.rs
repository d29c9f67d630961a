//! Roll-ups: every derived indicator summed per (program, pairing, institution, month) — and per
//! person for the indicators that count distinct people — kept up to date by database triggers,
//! so that a dashboard reads a few hundred roll-up rows instead of scanning millions of records.
//!
//! One [`Rule`] per kind of record (consultations, clinic sessions, techniques…) says which table
//! it counts, how a record finds its program, pairing, institution and date, which records count,
//! the record's kind (its `split`: consultation type, visit type, gap level, teaching kind) and
//! what it contributes to two value columns (`value`, usually 1, and `extra`: bookings,
//! attendance, a grade-3–4 flag, an amount in fen). The indicators of the catalogue are
//! [`Measure`]s over the rules: a column summed over all kinds or some (`consultations-mdt` is
//! `value` of the kind `mdt`), or the distinct people of a rule with members. So a record costs
//! one row update per level whatever the number of indicators it feeds — the per-kind indicators
//! add no write cost.
//!
//! Three levels:
//! - `rollups`: per (rule, month, program, institution, pairing, kind, person) — what
//!   institution, region and pairing scopes read;
//! - `rollups_program`: per (program, rule, kind, person, month) — a few thousand rows, what
//!   program and national overviews, trends and by-program breakdowns read;
//! - `rollups_daily`: per (day, program, rule, kind, person) — what those same readers read for
//!   the partial months at the ends of a date range.
//!
//! The triggers do not update them in place: in the writer's own transaction they append the
//! record's contribution (one row per day, `+` or `-`) to `rollup_deltas`, an unindexed table —
//! an append costs a writer a fraction of an upsert into a B-tree keyed by program, institution
//! and month. [`fold`] (every 2 s in the server: [`folder`]; after each transaction of the
//! benchmark's generator) moves the pending deltas into every level in one transaction. Every
//! reader reads a level and the pending deltas within one read transaction (one snapshot:
//! `read_tx`, `Level::sources`), and [`check`] adds them to what it compares, so every figure
//! is exact whether or not the fold has run, and a fold can neither hide nor double a delta.
//!
//! Everything else is generated from the rules, for SQLite and PostgreSQL alike:
//!
//! - the triggers (installed at migrate time by [`install_on`]; a changed rule set — say, a new
//!   indicator — replaces the triggers and rebuilds the tables in the same transaction, so the
//!   spec is the single source and no SQL file has to be kept in step with it);
//! - the from-scratch recount that [`verify`] compares every level with and [`rebuild`] refills
//!   them from;
//! - the raw-table queries for the partial months at the edges of a date range of an
//!   institution, pairing or region scope.
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
//! A date range is exact: the whole months inside it are read from the roll-ups; the partial
//! months at its ends from the daily level for program and national scopes, and from the raw
//! tables (indexed by program, institution and date) for narrower ones.
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
use std::collections::{BTreeMap, HashMap};

/// A parent table whose key columns a rule reads through a join.
#[derive(Debug, Clone, Copy)]
pub struct Parent {
    pub table: &'static str,
    /// The parent's columns that change which program, pairing, institution, date, kind or
    /// predicate its children count under.
    pub watch: &'static [&'static str],
    /// The children of the parent row `{id}`, as a condition over `t`.
    pub link: &'static str,
}

/// How one kind of record is rolled up. Expressions are SQL over the source table aliased `t`
/// and the rule's `joins`, portable between SQLite and PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The rule's name, stored in the `rule` column.
    pub name: &'static str,
    pub table: &'static str,
    pub joins: &'static str,
    pub program: &'static str,
    pub pairing: &'static str,
    pub institution: &'static str,
    /// `YYYY-MM-DD`, or a timestamp that starts with it.
    pub date: &'static str,
    /// Which records count.
    pub filter: &'static str,
    /// The record's kind, kept as a key column (`NULL`: one kind).
    pub split: &'static str,
    /// What a record contributes to `value` (`1`, or for people a reference count).
    pub value: &'static str,
    /// What a record contributes to `extra` (bookings, attendance, an amount in fen; `0`).
    pub extra: &'static str,
    /// For rules whose records name a person counted once: the person.
    pub member: Option<&'static str>,
    /// The columns of `t` the expressions read (an update of any other column changes nothing).
    pub watch: &'static [&'static str],
    pub parents: &'static [Parent],
}

/// Which column of a rule an indicator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Value,
    Extra,
    /// The distinct people with a positive reference count.
    People,
}

/// One indicator of the catalogue as a reading of a rule: a column over all its kinds
/// (`kinds` empty) or over some.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    pub indicator: &'static str,
    pub rule: &'static str,
    pub kinds: &'static [&'static str],
    pub column: Column,
}

impl Measure {
    pub fn distinct(&self) -> bool {
        self.column == Column::People
    }

    fn counts(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    /// The rule the indicator reads.
    pub fn rule(&self) -> &'static Rule {
        RULES
            .iter()
            .find(|r| r.name == self.rule)
            .unwrap_or(&RULES[0])
    }
}

const BATCH_JOIN: &str = "JOIN batches b ON b.id = t.batch_id";
/// The batch of a record's assignment (`t.assignment_id`): its program and pairing.
const BATCH_OF_ASSIGNMENT: Parent = Parent {
    table: "batches",
    watch: &["program_id", "pairing_id"],
    link: "t.assignment_id IN (SELECT x.id FROM assignments x WHERE x.batch_id = {id})",
};
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
    BATCH_OF_ASSIGNMENT,
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

/// A record of a capacity table (program, institution, one date column) counted once.
const fn simple(name: &'static str, table: &'static str, date: &'static str) -> Rule {
    Rule {
        name,
        table,
        joins: "",
        program: "t.program_id",
        pairing: "NULL",
        institution: "t.institution_id",
        date,
        filter: "1 = 1",
        split: "NULL",
        value: "1",
        extra: "0",
        member: None,
        watch: &[], // filled in by `watch_of` from the rule's own columns
        parents: &[],
    }
}

/// Every roll-up rule: one per kind of record. Each must agree with the lists its measures'
/// `records_url` name (`GET /api/v1/programs/{id}/indicators`); the API tests compare them on
/// the demo data.
pub const RULES: &[Rule] = &[
    // One row per person: its reference count is the assignments, its presence the expert.
    Rule {
        name: "assignments",
        table: "assignments",
        joins: BATCH_JOIN,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "t.institution_id",
        date: "t.start_date",
        member: Some("t.person_id"),
        watch: &["batch_id", "person_id", "institution_id", "start_date"],
        parents: &[Parent {
            table: "batches",
            watch: &["program_id", "pairing_id"],
            link: "t.batch_id = {id}",
        }],
        ..simple("", "", "")
    },
    // A service day counts once its assignment has begun (the list filters both dates).
    Rule {
        name: "work-days",
        table: "service_days",
        joins: "JOIN assignments a ON a.id = t.assignment_id JOIN batches b ON b.id = a.batch_id",
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "a.institution_id",
        date: "CASE WHEN a.start_date > t.day THEN a.start_date ELSE t.day END",
        watch: &["assignment_id", "day"],
        parents: &[
            Parent {
                table: "assignments",
                watch: &["batch_id", "institution_id", "start_date"],
                link: "t.assignment_id = {id}",
            },
            BATCH_OF_ASSIGNMENT,
        ],
        ..simple("", "", "")
    },
    // Sessions held (not cancelled), by visit type; `extra` the places booked.
    Rule {
        name: "clinic-sessions",
        table: "clinic_sessions",
        joins: SESSION_JOINS,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "t.institution_id",
        date: "t.date",
        filter: "t.status = 'open'",
        split: "t.visit_type",
        extra: "t.booked",
        watch: SESSION_WATCH,
        parents: SESSION_PARENTS,
        ..simple("", "", "")
    },
    // Bookings checked in on sessions held, by the session's visit type.
    Rule {
        name: "patients-seen",
        table: "bookings",
        joins: BOOKING_JOINS,
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "s.institution_id",
        date: "s.date",
        filter: "t.status = 'checked-in' AND s.status = 'open'",
        split: "s.visit_type",
        watch: &["session_id", "status"],
        parents: BOOKING_PARENTS,
        ..simple("", "", "")
    },
    Rule {
        name: "consultations",
        institution: "t.requesting_institution_id",
        split: "t.type",
        watch: &[
            "program_id",
            "requesting_institution_id",
            "requested_at",
            "type",
        ],
        ..simple("", "consultations", "t.requested_at")
    },
    // Up-referrals count at the sending hospital, down-referrals where the patient comes back
    // to; `extra` marks an up-referral leaving the region.
    Rule {
        name: "referrals",
        institution: "CASE WHEN t.direction = 'down' THEN t.to_institution_id ELSE t.from_institution_id END",
        split: "t.direction",
        extra: "CASE WHEN t.direction = 'up' AND t.leaves_region = 1 THEN 1 ELSE 0 END",
        watch: &[
            "program_id",
            "direction",
            "from_institution_id",
            "to_institution_id",
            "created_at",
            "leaves_region",
        ],
        ..simple("", "referrals", "t.created_at")
    },
    simple("placements", "placements", "t.start_date"),
    simple("mentorships", "mentorships", "t.term_start"),
    // An apprentice counts once both the mentorship's term and the apprenticeship have begun.
    Rule {
        name: "apprentices",
        table: "mentorship_apprentices",
        joins: "JOIN mentorships m ON m.id = t.mentorship_id",
        program: "m.program_id",
        institution: "m.institution_id",
        date: "CASE WHEN m.term_start > t.joined_on THEN m.term_start ELSE t.joined_on END",
        watch: &["mentorship_id", "joined_on"],
        parents: &[Parent {
            table: "mentorships",
            watch: &["program_id", "institution_id", "term_start"],
            link: "t.mentorship_id = {id}",
        }],
        ..simple("", "", "")
    },
    simple("team-pairings", "team_pairings", "t.start_date"),
    // By kind; `extra` the attendance.
    Rule {
        split: "t.kind",
        extra: "t.attendance",
        watch: &[
            "program_id",
            "institution_id",
            "held_on",
            "kind",
            "attendance",
        ],
        ..simple("teaching-activities", "teaching_activities", "t.held_on")
    },
    // By the gap filled; `extra` marks surgical grade 3–4.
    Rule {
        pairing: "t.pairing_id",
        split: "t.gap_level",
        extra: "CASE WHEN t.surgical_grade >= 3 THEN 1 ELSE 0 END",
        watch: &[
            "program_id",
            "institution_id",
            "pairing_id",
            "introduced_on",
            "gap_level",
            "surgical_grade",
        ],
        ..simple("techniques", "techniques", "t.introduced_on")
    },
    simple("workstations", "workstations", "t.opened_on"),
    simple("alliances", "alliances", "t.founded_on"),
    simple("specialty-projects", "specialty_projects", "t.started_on"),
    simple("regulations", "regulations", "t.adopted_on"),
    simple("research-outputs", "research_outputs", "t.dated_on"),
    Rule {
        extra: "t.amount_fen",
        ..simple("funding", "funding_items", "t.granted_on")
    },
    Rule {
        extra: "t.value_fen",
        ..simple("equipment", "equipment_donations", "t.donated_on")
    },
    // A batch counts once it has begun; it has no one institution (it may serve several).
    Rule {
        name: "batches",
        table: "batches",
        program: "t.program_id",
        pairing: "t.pairing_id",
        institution: "NULL",
        date: "t.start_date",
        watch: &["program_id", "pairing_id", "start_date"],
        ..simple("", "", "")
    },
    // An expert's workload report counts at its period end, at the assignment's recipient; one
    // rule per count (a rule sums two columns, and these are a few rows per expert and month).
    workload("workload-outpatients", "t.outpatients"),
    workload("workload-admissions", "t.admissions"),
    workload("workload-operations", "t.operations"),
];

/// The rule summing one count of the workload reports.
const fn workload(name: &'static str, value: &'static str) -> Rule {
    Rule {
        name,
        table: "workload_reports",
        joins: "JOIN assignments a ON a.id = t.assignment_id JOIN batches b ON b.id = a.batch_id",
        program: "b.program_id",
        pairing: "b.pairing_id",
        institution: "a.institution_id",
        date: "t.period_end",
        value,
        watch: &[
            "assignment_id",
            "period_end",
            "outpatients",
            "admissions",
            "operations",
        ],
        parents: &[
            Parent {
                table: "assignments",
                watch: &["batch_id", "institution_id"],
                link: "t.assignment_id = {id}",
            },
            BATCH_OF_ASSIGNMENT,
        ],
        ..simple("", "", "")
    }
}

const fn m(indicator: &'static str, rule: &'static str, column: Column) -> Measure {
    Measure {
        indicator,
        rule,
        kinds: &[],
        column,
    }
}

const fn of(
    indicator: &'static str,
    rule: &'static str,
    kinds: &'static [&'static str],
    column: Column,
) -> Measure {
    Measure {
        indicator,
        rule,
        kinds,
        column,
    }
}

use Column::{Extra, People, Value};

const OUTREACH: &[&str] = &["free-clinic", "circuit"];

/// Every counted indicator of the catalogue, as a reading of a rule.
pub const MEASURES: &[Measure] = &[
    m("experts-dispatched", "assignments", People),
    m("assignments", "assignments", Value),
    m("work-days", "work-days", Value),
    m("clinic-sessions", "clinic-sessions", Value),
    m("bookings", "clinic-sessions", Extra),
    m("patients-seen", "patients-seen", Value),
    of("outreach-sessions", "clinic-sessions", OUTREACH, Value),
    of("outreach-patients", "patients-seen", OUTREACH, Value),
    m("consultations", "consultations", Value),
    of(
        "consultations-general",
        "consultations",
        &["general"],
        Value,
    ),
    of("consultations-mdt", "consultations", &["mdt"], Value),
    of(
        "consultations-difficult-case",
        "consultations",
        &["difficult-case"],
        Value,
    ),
    of(
        "consultations-imaging",
        "consultations",
        &["imaging"],
        Value,
    ),
    of(
        "consultations-pathology",
        "consultations",
        &["pathology"],
        Value,
    ),
    of(
        "consultations-surgical-guidance",
        "consultations",
        &["surgical-guidance"],
        Value,
    ),
    of("referrals-up", "referrals", &["up"], Value),
    of("referrals-down", "referrals", &["down"], Value),
    of("referrals-leaving-region", "referrals", &["up"], Extra),
    m("placements", "placements", Value),
    m("mentorships", "mentorships", Value),
    m("apprentices", "apprentices", Value),
    m("team-pairings", "team-pairings", Value),
    m("teaching-activities", "teaching-activities", Value),
    m("teaching-attendance", "teaching-activities", Extra),
    of(
        "teaching-activities-teaching-round",
        "teaching-activities",
        &["teaching-round"],
        Value,
    ),
    of(
        "teaching-activities-lecture",
        "teaching-activities",
        &["lecture"],
        Value,
    ),
    of(
        "teaching-activities-surgical-demonstration",
        "teaching-activities",
        &["surgical-demonstration"],
        Value,
    ),
    of(
        "teaching-activities-case-discussion",
        "teaching-activities",
        &["case-discussion"],
        Value,
    ),
    of(
        "teaching-activities-training",
        "teaching-activities",
        &["training"],
        Value,
    ),
    of(
        "teaching-activities-remote-teaching",
        "teaching-activities",
        &["remote-teaching"],
        Value,
    ),
    of(
        "teaching-activities-competition",
        "teaching-activities",
        &["competition"],
        Value,
    ),
    of(
        "teaching-activities-research-clinic",
        "teaching-activities",
        &["research-clinic"],
        Value,
    ),
    m("techniques", "techniques", Value),
    of("gaps-filled-hospital", "techniques", &["hospital"], Value),
    of("gaps-filled-county", "techniques", &["county"], Value),
    of("gaps-filled-city", "techniques", &["city"], Value),
    of("gaps-filled-province", "techniques", &["province"], Value),
    m("techniques-grade-3-4", "techniques", Extra),
    m("workstations", "workstations", Value),
    m("alliances", "alliances", Value),
    m("specialty-projects", "specialty-projects", Value),
    m("regulations", "regulations", Value),
    m("research-outputs", "research-outputs", Value),
    m("funding", "funding", Extra),
    m("equipment-value", "equipment", Extra),
    m("batches", "batches", Value),
    m("workload-outpatients", "workload-outpatients", Value),
    m("workload-admissions", "workload-admissions", Value),
    m("workload-operations", "workload-operations", Value),
];

/// The measure of a catalogue indicator.
pub fn measure(indicator: &str) -> Option<&'static Measure> {
    MEASURES.iter().find(|m| m.indicator == indicator)
}

/// The rule of a catalogue indicator.
pub fn rule(indicator: &str) -> Option<&'static Rule> {
    measure(indicator).map(Measure::rule)
}

/// The columns of `t` a rule reads: its declared `watch`, or for the simple capacity rules
/// the program, institution, date and value columns.
fn watch_of(rule: &Rule) -> Vec<&'static str> {
    if !rule.watch.is_empty() {
        return rule.watch.to_vec();
    }
    let mut cols = vec!["program_id", "institution_id"];
    for expr in [rule.date, rule.value, rule.extra, rule.split] {
        if let Some(c) = expr.strip_prefix("t.") {
            cols.push(c);
        }
    }
    cols
}

// ---- generated SQL ----

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
    fn keys(self) -> &'static str {
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
    fn period(self) -> (&'static str, usize) {
        match self {
            Level::Fine | Level::Program => ("month", 7),
            Level::Daily | Level::Deltas => ("day", 10),
            Level::Yearly => ("year", 4),
        }
    }

    /// Whether the level keeps the institution and the pairing.
    fn placed(self) -> bool {
        matches!(self, Level::Fine | Level::Deltas | Level::Yearly)
    }

    /// Whether the level keeps the province of the institution (the levels without the
    /// institution, and the deltas they are folded from).
    fn provincial(self) -> bool {
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
    fn positions(self) -> String {
        self.positions_from(1)
    }

    /// `GROUP BY` positions of the keys after the constant rule name.
    fn group_by(self) -> String {
        self.positions_from(2)
    }

    /// The level's keys computed from a row of `rollup_deltas`, named as the level names them.
    /// `from`: the table of deltas (`rollup_deltas`, or a recount at their grain).
    fn keys_from_deltas(self, from: &str) -> String {
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
    /// ([`read_tx`]): the level's rows (in its keys' order) and the pending deltas at the
    /// level's keys.
    fn sources(self) -> [String; 2] {
        [
            self.table().to_string(),
            format!(
                "(SELECT {}, value, extra FROM rollup_deltas)",
                self.keys_from_deltas("rollup_deltas")
            ),
        ]
    }

    fn upsert(self) -> String {
        let t = self.table();
        format!(
            " ON CONFLICT ({}) DO UPDATE SET value = {t}.value + excluded.value, extra = {t}.extra + excluded.extra",
            self.keys()
        )
    }
}

/// The levels the deltas are folded into.
const LEVELS: [Level; 4] = [Level::Fine, Level::Program, Level::Daily, Level::Yearly];

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
fn province_of(institution: &str) -> String {
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
fn grouped_select(rule: &Rule, level: Level, pinned: bool, cond: &str, sign: &str) -> String {
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

/// Adds the pending deltas to every level and empties them.
fn fold_statements() -> Vec<String> {
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

// ---- verification ----

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
    /// The province of the institution (on the program and daily levels).
    Province,
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

/// A scope's dates and region, checked.
pub(crate) struct Parsed {
    pub(crate) from: Option<NaiveDate>,
    pub(crate) until: NaiveDate,
    region_like: Option<String>,
    region_len: usize,
    /// The region's two digits when it is a whole province.
    province: Option<String>,
}

pub(crate) fn parse_scope(scope: &Scope) -> Result<Parsed> {
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
    let province = region_like
        .as_deref()
        .and_then(|l| l.strip_suffix('%'))
        .filter(|p| p.len() == 2)
        .map(str::to_string);
    Ok(Parsed {
        from,
        until,
        region_like,
        region_len,
        province,
    })
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Adds the scope's program, pairing, institution and region conditions over the given
/// expressions; a whole province over `province` when given (a level that keeps it), else
/// through the institution's region.
pub(crate) fn scope_conditions(
    scope: &Scope,
    parsed: &Parsed,
    exprs: [&str; 3],
    province: Option<&str>,
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
    if let (Some(expr), Some(p)) = (province, &parsed.province) {
        args.push(p.clone().into());
        out.push(format!("{expr} = ${}", args.len()));
    } else if let Some(like) = &parsed.region_like {
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
    province: &str,
    month: &str,
) -> String {
    match group {
        Group::Province => province.into(),
        Group::None => "''".into(),
        Group::Month => month.into(),
        Group::Program => format!("COALESCE({program}, '')"),
        Group::Pairing => format!("COALESCE({pairing}, '')"),
        Group::Institution => format!("COALESCE({institution}, '')"),
    }
}

/// Which level answers a query: the program level when nothing narrower than a program or a
/// whole province is asked, the fine level otherwise.
fn level_for(scope: &Scope, parsed: &Parsed, group: Group) -> Level {
    let narrow = opt(&scope.pairing).is_some()
        || opt(&scope.institution).is_some()
        || (parsed.region_like.is_some() && parsed.province.is_none())
        || matches!(group, Group::Pairing | Group::Institution);
    if narrow { Level::Fine } else { Level::Program }
}

/// One rule's contributions per (group key, kind): both sums, and for rules with members each
/// person's reference count.
#[derive(Debug, Default)]
struct Acc {
    sums: BTreeMap<(String, String), [i64; 2]>,
    people: BTreeMap<(String, String), BTreeMap<String, i64>>,
}

impl Acc {
    fn add(&mut self, key: String, kind: String, member: Option<String>, v: i64, x: i64) {
        let e = self
            .sums
            .entry((key.clone(), kind.clone()))
            .or_insert([0, 0]);
        e[0] += v;
        e[1] += x;
        if let Some(m) = member {
            *self
                .people
                .entry((key, kind))
                .or_default()
                .entry(m)
                .or_insert(0) += v;
        }
    }

    /// Folds group keys together (months into quarters, institutions into regions).
    fn fold(self, f: impl Fn(&str) -> Option<String>) -> Acc {
        let mut out = Acc::default();
        for ((k, kind), [v, x]) in self.sums {
            if let Some(k) = f(&k) {
                let e = out.sums.entry((k, kind)).or_insert([0, 0]);
                e[0] += v;
                e[1] += x;
            }
        }
        for ((k, kind), people) in self.people {
            if let Some(k) = f(&k) {
                let e = out.people.entry((k, kind)).or_default();
                for (m, v) in people {
                    *e.entry(m).or_insert(0) += v;
                }
            }
        }
        out
    }

    /// A measure's value per group key.
    fn values(&self, measure: &Measure) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        match measure.column {
            Column::People => {
                let mut per: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
                for ((k, kind), people) in &self.people {
                    if measure.counts(kind) {
                        let e = per.entry(k).or_default();
                        for (m, v) in people {
                            *e.entry(m).or_insert(0) += v;
                        }
                    }
                }
                for (k, people) in per {
                    let n = people.values().filter(|v| **v > 0).count();
                    out.insert(k.to_string(), i64::try_from(n).unwrap_or(i64::MAX));
                }
            }
            Column::Value | Column::Extra => {
                let i = usize::from(measure.column == Column::Extra);
                for ((k, kind), s) in &self.sums {
                    if measure.counts(kind) {
                        *out.entry(k.clone()).or_insert(0) += s[i];
                    }
                }
            }
        }
        out
    }

    async fn add_rows(
        &mut self,
        conn: &mut AnyConnection,
        sql: String,
        args: Vec<Arg>,
        people: bool,
    ) -> Result<()> {
        let rows = query::sql_with(sql, args).fetch_all(&mut *conn).await?;
        for row in rows {
            let member = if people { Some(text(&row, "m")?) } else { None };
            self.add(
                text(&row, "k")?,
                text(&row, "kind")?,
                member,
                int(&row, "v")?,
                int(&row, "x")?,
            );
        }
        Ok(())
    }
}

/// One consistent read of the roll-ups: a level and the pending deltas are read by two
/// statements, so both must see one snapshot — a fold between them could otherwise hide or
/// double a delta. SQLite's deferred transaction reads one snapshot of the WAL; PostgreSQL's
/// default (read committed) would not, hence repeatable read.
async fn read_tx(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    let mut tx = db.pool().begin().await?;
    if db.backend() == Backend::Postgres {
        tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
    }
    Ok(tx)
}

/// A stretch of a date range read from the roll-ups: whole months or whole years (inclusive
/// bounds, `YYYY-MM` or `YYYY`; no low bound: since the beginning), or days from the daily
/// level.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Span {
    Months(Option<String>, String),
    Years(Option<String>, String),
    Days(Option<NaiveDate>, NaiveDate),
}

impl Span {
    /// The level that answers it.
    fn level(&self, scope: &Scope, parsed: &Parsed, group: Group) -> Level {
        match self {
            Span::Months(..) => level_for(scope, parsed, group),
            Span::Years(..) => Level::Yearly,
            Span::Days(..) => Level::Daily,
        }
    }
}

/// A range of whole months as the whole years inside it and the months around them.
fn with_years(lo: Option<&str>, hi: &str) -> Vec<Span> {
    let year = |m: &str| m.get(..4).and_then(|y| y.parse::<i32>().ok());
    fn month(m: &str) -> &str {
        m.get(5..7).unwrap_or("")
    }
    let months = || vec![Span::Months(lo.map(str::to_string), hi.to_string())];
    let Some(hy) = year(hi) else {
        return months();
    };
    let last = if month(hi) == "12" { hy } else { hy - 1 };
    let first = match lo {
        None => None,
        Some(l) => match year(l) {
            Some(ly) if month(l) == "01" => Some(ly),
            Some(ly) => Some(ly + 1),
            None => return months(),
        },
    };
    if first.is_some_and(|f| f > last) {
        return months();
    }
    let mut out = Vec::new();
    if let (Some(l), Some(f)) = (lo, first)
        && month(l) != "01"
    {
        out.push(Span::Months(Some(l.to_string()), format!("{}-12", f - 1)));
    }
    out.push(Span::Years(first.map(|f| f.to_string()), last.to_string()));
    if last < hy {
        out.push(Span::Months(Some(format!("{hy}-01")), hi.to_string()));
    }
    out
}

/// What a range is read from: spans of the roll-ups, and date ranges counted from the records.
/// Program and national scopes read whole months from the program level and the partial
/// months from the daily level; narrower ones read whole years from the yearly level (unless
/// grouped by month), the months around them from the fine level and the partial months from
/// the records. A scan reads everything from the records.
#[allow(clippy::type_complexity)]
fn spans(
    scope: &Scope,
    parsed: &Parsed,
    group: Group,
    source: Source,
) -> (Vec<Span>, Vec<(Option<NaiveDate>, NaiveDate)>) {
    let plan = plan(parsed.from, parsed.until, source);
    let program_level = level_for(scope, parsed, group) == Level::Program;
    let mut spans = Vec::new();
    if let Some((lo, hi)) = plan.months {
        if program_level || group == Group::Month {
            spans.push(Span::Months(lo, hi));
        } else {
            spans.extend(with_years(lo.as_deref(), &hi));
        }
    }
    let mut raw = Vec::new();
    for (from, until) in plan.raw {
        if program_level && source == Source::Rollups {
            spans.push(Span::Days(from, until));
        } else {
            raw.push((from, until));
        }
    }
    (spans, raw)
}

/// The span's and the scope's conditions over a roll-up level aliased `r`.
fn span_conditions(
    scope: &Scope,
    parsed: &Parsed,
    span: &Span,
    level: Level,
    args: &mut Vec<Arg>,
) -> Vec<String> {
    let (column, lo, hi) = match span {
        Span::Months(lo, hi) => ("r.month", lo.clone(), hi.clone()),
        Span::Years(lo, hi) => ("r.year", lo.clone(), hi.clone()),
        Span::Days(from, until) => ("r.day", from.map(|f| f.to_string()), until.to_string()),
    };
    args.push(hi.into());
    let mut conds = vec![format!("{column} <= ${}", args.len())];
    if let Some(lo) = lo {
        args.push(lo.into());
        conds.push(format!("{column} >= ${}", args.len()));
    }
    let province = level.provincial().then_some("r.province");
    conds.extend(scope_conditions(
        scope,
        parsed,
        ["r.program_id", "r.pairing_id", "r.institution_id"],
        province,
        args,
    ));
    conds
}

/// The month of a row of a level aliased `r`.
fn month_column(level: Level) -> &'static str {
    match level.period() {
        ("month", _) => "r.month",
        ("day", _) => "substr(r.day, 1, 7)",
        // Never grouped by month (`spans` reads months then).
        _ => "r.year",
    }
}

/// Adds one rule's span from the roll-ups.
#[allow(clippy::too_many_arguments)]
async fn level_into(
    acc: &mut Acc,
    conn: &mut AnyConnection,
    scope: &Scope,
    parsed: &Parsed,
    rule: &Rule,
    group: Group,
    span: &Span,
) -> Result<()> {
    let level = span.level(scope, parsed, group);
    let mut args: Vec<Arg> = vec![rule.name.into()];
    let mut conds = vec!["r.rule = $1".to_string()];
    conds.extend(span_conditions(scope, parsed, span, level, &mut args));
    let k = group_expr(
        group,
        "r.program_id",
        "r.pairing_id",
        "r.institution_id",
        "r.province",
        month_column(level),
    );
    let people = rule.member.is_some();
    let (m, by) = if people {
        (", r.member_id AS m", "1, 2, 3")
    } else {
        ("", "1, 2")
    };
    for source in level.sources() {
        let sql = format!(
            "SELECT {k} AS k, r.kind AS kind{m}, CAST(SUM(r.value) AS BIGINT) AS v, \
             CAST(SUM(r.extra) AS BIGINT) AS x FROM {source} r WHERE {} GROUP BY {by}",
            conds.join(" AND ")
        );
        acc.add_rows(conn, sql, args.clone(), people).await?;
    }
    Ok(())
}

/// Adds one rule's records dated in `[from, until]` (`None`: since the beginning), counted
/// from the raw table.
#[allow(clippy::too_many_arguments)]
async fn raw_into(
    acc: &mut Acc,
    conn: &mut AnyConnection,
    scope: &Scope,
    parsed: &Parsed,
    rule: &Rule,
    group: Group,
    from: Option<NaiveDate>,
    until: NaiveDate,
) -> Result<()> {
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
        None,
        &mut args,
    ));
    let month = format!("substr({}, 1, 7)", rule.date);
    let k = group_expr(
        group,
        rule.program,
        rule.pairing,
        rule.institution,
        &province_of(rule.institution),
        &month,
    );
    let people = rule.member.is_some();
    let (m, by) = match rule.member {
        Some(m) => (format!(", COALESCE({m}, '') AS m"), "1, 2, 3"),
        None => (String::new(), "1, 2"),
    };
    let sql = format!(
        "SELECT {k} AS k, COALESCE({}, '') AS kind{m}, CAST(SUM({}) AS BIGINT) AS v, \
         CAST(SUM({}) AS BIGINT) AS x FROM {} t {} WHERE {} GROUP BY {by}",
        rule.split,
        rule.value,
        rule.extra,
        rule.table,
        rule.joins,
        conds.join(" AND ")
    );
    acc.add_rows(conn, sql, args, people).await
}

/// One rule's contributions per group over the scope.
async fn grouped(
    db: &Db,
    scope: &Scope,
    parsed: &Parsed,
    rule: &Rule,
    group: Group,
    source: Source,
) -> Result<Acc> {
    let (spans, raw) = spans(scope, parsed, group, source);
    let mut tx = read_tx(db).await?;
    let mut acc = Acc::default();
    for span in &spans {
        level_into(&mut acc, &mut tx, scope, parsed, rule, group, span).await?;
    }
    for (from, until) in raw {
        raw_into(&mut acc, &mut tx, scope, parsed, rule, group, from, until).await?;
    }
    tx.commit().await?;
    Ok(acc)
}

fn measure_or_invalid(indicator: &str) -> Result<&'static Measure> {
    measure(indicator)
        .ok_or_else(|| StoreError::Invalid(Invalid::new("indicator", "error.unknown_code")))
}

/// Adds every rule's span from the roll-ups: the sums of every rule in one pass over the
/// scope's rows, and with `people` each person of the rules with people in one more per rule
/// (without: their distinct people are counted by [`people_counts`]).
async fn span_into(
    accs: &mut HashMap<&'static str, Acc>,
    conn: &mut AnyConnection,
    scope: &Scope,
    parsed: &Parsed,
    span: &Span,
    people: bool,
) -> Result<()> {
    let level = span.level(scope, parsed, Group::None);
    let mut args: Vec<Arg> = Vec::new();
    let conds = span_conditions(scope, parsed, span, level, &mut args);
    let mut rows = Vec::new();
    for source in level.sources() {
        let sql = format!(
            "SELECT r.rule AS k, r.kind AS kind, CAST(SUM(r.value) AS BIGINT) AS v, \
             CAST(SUM(r.extra) AS BIGINT) AS x FROM {source} r WHERE {} GROUP BY 1, 2",
            conds.join(" AND ")
        );
        rows.extend(
            query::sql_with(sql, args.clone())
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    for row in rows {
        let name = text(&row, "k")?;
        if let Some(r) = RULES
            .iter()
            .find(|r| r.name == name && !(people && r.member.is_some()))
            && let Some(acc) = accs.get_mut(r.name)
        {
            acc.add(
                String::new(),
                text(&row, "kind")?,
                None,
                int(&row, "v")?,
                int(&row, "x")?,
            );
        }
    }
    if people {
        for r in RULES.iter().filter(|r| r.member.is_some()) {
            if let Some(acc) = accs.get_mut(r.name) {
                level_into(acc, conn, scope, parsed, r, Group::None, span).await?;
            }
        }
    }
    Ok(())
}

/// Each people measure's distinct people over spans of the roll-ups, counted in one statement
/// per measure (a person with rows in several spans, levels or deltas counts once; only the
/// count leaves the database, not a row per person).
async fn people_counts(
    conn: &mut AnyConnection,
    scope: &Scope,
    parsed: &Parsed,
    spans: &[Span],
) -> Result<HashMap<&'static str, i64>> {
    let mut out = HashMap::new();
    for m in MEASURES.iter().filter(|m| m.distinct()) {
        let mut args: Vec<Arg> = vec![m.rule.into()];
        let mut arms = Vec::new();
        for span in spans {
            let level = span.level(scope, parsed, Group::None);
            let conds = span_conditions(scope, parsed, span, level, &mut args).join(" AND ");
            for source in level.sources() {
                arms.push(format!(
                    "SELECT r.kind AS kind, r.member_id AS m, r.value AS v FROM {source} r \
                     WHERE r.rule = $1 AND {conds}"
                ));
            }
        }
        if arms.is_empty() {
            out.insert(m.indicator, 0);
            continue;
        }
        let kinds = if m.kinds.is_empty() {
            "1 = 1".to_string()
        } else {
            let ps: Vec<String> = m
                .kinds
                .iter()
                .map(|k| {
                    args.push((*k).into());
                    format!("${}", args.len())
                })
                .collect();
            format!("x.kind IN ({})", ps.join(", "))
        };
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT x.m FROM ({}) x WHERE {kinds} \
             GROUP BY x.m HAVING SUM(x.v) > 0) y",
            arms.join(" UNION ALL ")
        );
        let row = query::sql_with(sql, args).fetch_one(&mut *conn).await?;
        out.insert(m.indicator, int(&row, "n")?);
    }
    Ok(out)
}

async fn totals_from(db: &Db, scope: &Scope, source: Source) -> Result<Vec<(String, i64)>> {
    let parsed = parse_scope(scope)?;
    let (spans, raw) = spans(scope, &parsed, Group::None, source);
    let mut tx = read_tx(db).await?;
    let mut accs: HashMap<&'static str, Acc> =
        RULES.iter().map(|r| (r.name, Acc::default())).collect();
    // Read from the roll-ups alone, the distinct people are counted in the database; with
    // records counted too, person by person here.
    let counted = if raw.is_empty() {
        Some(people_counts(&mut tx, scope, &parsed, &spans).await?)
    } else {
        None
    };
    for span in &spans {
        span_into(&mut accs, &mut tx, scope, &parsed, span, counted.is_none()).await?;
    }
    for (from, until) in raw {
        for r in RULES {
            if let Some(acc) = accs.get_mut(r.name) {
                raw_into(acc, &mut tx, scope, &parsed, r, Group::None, from, until).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(MEASURES
        .iter()
        .map(|m| {
            let value = match (&counted, m.distinct()) {
                (Some(counted), true) => counted.get(m.indicator).copied().unwrap_or(0),
                _ => accs
                    .get(m.rule)
                    .and_then(|acc| acc.values(m).get("").copied())
                    .unwrap_or(0),
            };
            (m.indicator.to_string(), value)
        })
        .collect())
}

/// Every indicator with a measure, summed over the scope, in [`MEASURES`] order.
pub async fn totals(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    totals_from(db, scope, Source::Rollups).await
}

/// The same as [`totals`], counted by scanning the raw tables (the reference).
pub async fn scan_totals(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    totals_from(db, scope, Source::Scan).await
}

async fn total_from(db: &Db, scope: &Scope, indicator: &str, source: Source) -> Result<i64> {
    let m = measure_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    Ok(grouped(db, scope, &parsed, m.rule(), Group::None, source)
        .await?
        .values(m)
        .values()
        .sum())
}

/// One indicator over the scope.
pub async fn total(db: &Db, scope: &Scope, indicator: &str) -> Result<i64> {
    total_from(db, scope, indicator, Source::Rollups).await
}

/// One indicator over the scope, by scanning the raw tables.
pub async fn recount(db: &Db, scope: &Scope, indicator: &str) -> Result<i64> {
    total_from(db, scope, indicator, Source::Scan).await
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
    let m = measure_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    let values = grouped(db, scope, &parsed, m.rule(), Group::Month, source)
        .await?
        .fold(|m| period_of(m, grain))
        .values(m);
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
    let m = measure_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    // Provinces of the whole country come from the levels that keep them; smaller regions
    // (and a scan) group institutions, folded into their regions below.
    let provinces = by == By::ChildRegion
        && parsed.region_like.is_none()
        && source == Source::Rollups
        && level_for(scope, &parsed, Group::Province) == Level::Program;
    let group = match by {
        By::Program => Group::Program,
        By::Pairing => Group::Pairing,
        By::ChildRegion if provinces => Group::Province,
        By::Institution | By::ChildRegion => Group::Institution,
    };
    let mut acc = grouped(db, scope, &parsed, m.rule(), group, source).await?;
    if provinces {
        acc = acc.fold(|p| (!p.is_empty()).then(|| format!("{p}0000")));
    } else if by == By::ChildRegion {
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
    let mut out: Vec<(String, i64)> = acc.values(m).into_iter().filter(|(_, v)| *v != 0).collect();
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
    fn every_catalogue_indicator_has_exactly_one_measure_over_a_rule() {
        for i in CATALOGUE {
            let n = MEASURES.iter().filter(|m| m.indicator == i.code).count();
            assert_eq!(
                n, 1,
                "indicator {} needs exactly one measure in shanhai-store/src/rollups.rs (has {n})",
                i.code
            );
        }
        for m in MEASURES {
            assert!(
                CATALOGUE.iter().any(|i| i.code == m.indicator),
                "measure {} names no catalogue indicator",
                m.indicator
            );
            assert!(
                RULES.iter().any(|r| r.name == m.rule),
                "measure {} names no rule",
                m.indicator
            );
            assert_eq!(
                m.distinct(),
                m.rule().member.is_some() && m.column == Column::People
            );
            assert!(
                m.kinds.is_empty() || m.rule().split != "NULL",
                "{}",
                m.indicator
            );
        }
        for r in RULES {
            assert!(!watch_of(r).is_empty());
            assert!(
                MEASURES.iter().any(|m| m.rule == r.name),
                "rule {} unread",
                r.name
            );
        }
        // One indicator per consultation type and per teaching kind, over the rule's split.
        use shanhai_domain::capacity::TeachingKind;
        use shanhai_domain::consultations::ConsultationType;
        for t in ConsultationType::ALL {
            let m = measure(&format!("consultations-{}", t.code())).expect("per type");
            assert_eq!((m.rule, m.kinds), ("consultations", &[t.code()][..]));
        }
        for k in TeachingKind::ALL {
            let m = measure(&format!("teaching-activities-{}", k.code())).expect("per kind");
            assert_eq!((m.rule, m.kinds), ("teaching-activities", &[k.code()][..]));
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
    fn whole_years_are_read_from_the_yearly_level_and_the_months_around_them_from_the_fine() {
        let m = |lo: Option<&str>, hi: &str| Span::Months(lo.map(str::to_string), hi.to_string());
        let y = |lo: Option<&str>, hi: &str| Span::Years(lo.map(str::to_string), hi.to_string());
        assert_eq!(
            with_years(None, "2025-05"),
            vec![y(None, "2024"), m(Some("2025-01"), "2025-05")]
        );
        assert_eq!(with_years(None, "2025-12"), vec![y(None, "2025")]);
        assert_eq!(
            with_years(Some("2022-03"), "2025-05"),
            vec![
                m(Some("2022-03"), "2022-12"),
                y(Some("2023"), "2024"),
                m(Some("2025-01"), "2025-05")
            ]
        );
        assert_eq!(
            with_years(Some("2024-01"), "2024-12"),
            vec![y(Some("2024"), "2024")]
        );
        // No whole year inside: months only.
        assert_eq!(
            with_years(Some("2024-03"), "2025-05"),
            vec![m(Some("2024-03"), "2025-05")]
        );
        assert_eq!(
            with_years(Some("2024-03"), "2024-12"),
            vec![m(Some("2024-03"), "2024-12")]
        );
        assert_eq!(
            with_years(Some("2025-01"), "2025-05"),
            vec![m(Some("2025-01"), "2025-05")]
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
