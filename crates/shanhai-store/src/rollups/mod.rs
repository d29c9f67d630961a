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
//! and month. [`fold()`] (every 2 s in the server: [`folder`]; after each transaction of the
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
//! - the from-scratch recount that [`verify()`] compares every level with and [`rebuild`] refills
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

mod fold;
mod read;
mod records;
mod rules;
mod sql;
mod verify;

pub use fold::*;
pub use read::*;
pub use records::*;
pub use rules::*;
pub use sql::*;
pub use verify::*;
