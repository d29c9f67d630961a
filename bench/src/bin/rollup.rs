//! `cargo run --release -p shanhai-bench --bin rollup -- [--records N] [--backend postgres]`: a
//! national-scale database (≥ 2,000 institutions over the GB/T 2260 tree, programs, pairings,
//! batches, experts, and `--records` activity records over five years, written through the
//! roll-up triggers) on SQLite or PostgreSQL, then, in the same run:
//!
//! (a) dashboard latency — a program overview (`rollups::totals`) and a region drill-down
//!     (`rollups::breakdown` by child region, a province then a city) — against the same
//!     figures counted from the records (`rollups::scan_*`, the queries a dashboard would run
//!     without roll-ups: indexed by program and date where an index exists);
//! (b) the write overhead of the triggers: the same records inserted with and without them
//!     (same database, same indexes): many records in one transaction (rolled back), and one
//!     record per committed transaction as the server writes (deleted afterwards);
//! (c) `shanhai verify`'s check on the whole dataset, and its time;
//! (d) the server's peak resident memory (VmHWM) serving the dashboard endpoints on it.
//!
//! The data set is written by the same statements on both backends (`INSERT … SELECT` over a
//! numbered series; only the series and the date arithmetic differ). Record kinds whose tables
//! a schema lacks (the issue-18 kinds before their migrations) are left out, and their share
//! stays with the kinds they take it from.
//!
//! See bench/README.md for how to read the output.

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use reqwest::StatusCode;
use serde_json::Value;
use shanhai_bench::pg::{Cluster, PgDatabase, free_port};
use shanhai_bench::serve::{server_binary, status_kb};
use shanhai_store::Db;
use shanhai_store::db::Backend;
use shanhai_store::rollups::{self, By, Column, Scope};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AssertSqlSafe, Executor, Row};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
}

#[derive(Parser, Debug)]
#[command(
    name = "rollup",
    about = "Roll-up dashboards against full recounts at national scale"
)]
struct Args {
    /// Database to generate and measure.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    /// PostgreSQL server to use (a fresh database is created in it and dropped after; with
    /// `--dir`, the database `shanhai_rollup_bench` is kept and reused); without it, a
    /// throwaway cluster is started with scripts/pg.sh (in `--dir`, kept, when given).
    #[arg(long)]
    database_url: Option<String>,
    /// Activity records to generate (consultations, referrals, teaching activities, service
    /// days, assignments, techniques, funding, placements; and where the schema has them,
    /// operations, outreach events, team visits and workload reports).
    #[arg(long, default_value_t = 10_000_000)]
    records: u64,
    /// Records inserted with and without the triggers in the write-overhead phase.
    #[arg(long, default_value_t = 200_000)]
    overhead_records: u64,
    /// Seconds of dashboard requests against the server in the memory phase.
    #[arg(long, default_value_t = 6.0)]
    serve_seconds: f64,
    /// Keep the database in this directory (reused by a later run with the same directory
    /// instead of generating again). On PostgreSQL: the throwaway cluster's directory (or,
    /// with `--database-url`, the kept database's name is fixed) and the server's data dir.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The shanhai binary (default: target/release/shanhai, built when missing).
    #[arg(long)]
    server: Option<PathBuf>,
}

const PROVINCES: usize = 30;
const CITIES: usize = 8;
const COUNTIES: usize = 10;
/// The first ten provinces send help (east), the other twenty receive it (west).
const DONOR_PROVINCES: usize = 10;
const PROGRAMS: usize = 16;
const EXPERTS: usize = 20_000;
const DAYS: i64 = 1826; // 2021-01-01 .. 2025-12-31
const CHUNK: u64 = 250_000;

fn province_code(p: usize) -> String {
    format!("{:02}0000", 11 + p * 2)
}
fn city_code(p: usize, c: usize) -> String {
    format!("{:02}{:02}00", 11 + p * 2, c + 1)
}
fn county_code(p: usize, c: usize, k: usize) -> String {
    format!("{:02}{:02}{:02}", 11 + p * 2, c + 1, k + 1)
}

fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.2} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

fn thousands(n: u64) -> String {
    shanhai_domain::indicators::group_thousands(i64::try_from(n).unwrap_or(i64::MAX))
}

async fn exec(conn: &mut PoolConnection<Any>, sql: &str) -> Result<u64> {
    Ok(conn
        .execute(AssertSqlSafe(sql.to_string()))
        .await
        .with_context(|| sql.chars().take(200).collect::<String>())?
        .rows_affected())
}

async fn count(db: &Db, sql: &str) -> Result<i64> {
    Ok(sqlx::query(AssertSqlSafe(sql.to_string()))
        .fetch_one(db.pool())
        .await?
        .try_get::<i64, _>(0)?)
}

// ---- the two dialects ----

/// Starts a transaction that writes (on SQLite taking the write lock up front, as the server
/// does).
fn begin_write(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    }
}

/// The numbers `[from, to)` as a subquery with one column `i`.
fn series(b: Backend, from: u64, to: u64) -> String {
    if from >= to {
        return "(SELECT 0 AS i WHERE 1 = 0)".to_string();
    }
    match b {
        Backend::Sqlite => format!(
            "(WITH RECURSIVE s(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM s WHERE i + 1 < {to}) SELECT i FROM s)"
        ),
        Backend::Postgres => format!(
            "(SELECT i FROM generate_series(CAST({from} AS BIGINT), CAST({} AS BIGINT)) AS g(i))",
            to - 1
        ),
    }
}

/// The date `days` days after `date` (SQL expressions), as `YYYY-MM-DD` text.
fn plus_days(b: Backend, date: &str, days: &str) -> String {
    match b {
        Backend::Sqlite => format!("date({date}, '+' || ({days}) || ' days')"),
        Backend::Postgres => {
            format!("to_char(CAST({date} AS date) + CAST({days} AS INTEGER), 'YYYY-MM-DD')")
        }
    }
}

/// Whether a statement runs: how the generator tells which tables and columns the schema has
/// (`SELECT columns FROM table WHERE 1 = 0`).
async fn runs(conn: &mut PoolConnection<Any>, sql: &str) -> bool {
    conn.execute(AssertSqlSafe(sql.to_string())).await.is_ok()
}

// ---- the registry ----

/// Teams per program, where the schema has teams (issue 18).
const TEAMS_PER_PROGRAM: usize = 4;
/// People per team, the leader first.
const TEAM_SIZE: usize = 5;

/// Regions, institutions (a provincial hospital per province, a city hospital per city, a
/// county hospital per county), programs pairing each western province's institutions with an
/// eastern provincial hospital, batches per program and year, experts, one user; where the
/// schema has them, teams of experts (with their members). The helper tables `gen_*` number
/// what the record generator picks from.
async fn registry(conn: &mut PoolConnection<Any>, schema: &Schema) -> Result<()> {
    let now = shanhai_store::now();
    exec(conn, "BEGIN").await?;
    let mut values = Vec::new();
    for p in 0..PROVINCES {
        values.push(format!(
            "('{}', '省{p}', 'province', NULL, '{now}', '{now}')",
            province_code(p)
        ));
        for c in 0..CITIES {
            values.push(format!(
                "('{}', '市{p}-{c}', 'city', '{}', '{now}', '{now}')",
                city_code(p, c),
                province_code(p)
            ));
            for k in 0..COUNTIES {
                values.push(format!(
                    "('{}', '县{p}-{c}-{k}', 'county', '{}', '{now}', '{now}')",
                    county_code(p, c, k),
                    city_code(p, c)
                ));
            }
        }
    }
    for chunk in values.chunks(500) {
        exec(conn, &format!("INSERT INTO regions (code, name, level, parent_code, created_at, updated_at) VALUES {}", chunk.join(", "))).await?;
    }
    exec(conn, "CREATE TEMP TABLE gen_inst (n INTEGER PRIMARY KEY, id TEXT, program_id TEXT, donor_id TEXT, pidx INTEGER)").await?;
    exec(
        conn,
        "CREATE TEMP TABLE gen_batch (n INTEGER PRIMARY KEY, id TEXT, program_id TEXT)",
    )
    .await?;
    exec(
        conn,
        "CREATE TEMP TABLE gen_people (n INTEGER PRIMARY KEY, id TEXT)",
    )
    .await?;
    exec(
        conn,
        "CREATE TEMP TABLE gen_team (n INTEGER PRIMARY KEY, id TEXT)",
    )
    .await?;
    let mut institutions = Vec::new();
    let mut provincial = Vec::new();
    let mut recipients: Vec<(usize, String)> = Vec::new(); // (province, id)
    for p in 0..PROVINCES {
        let id = uuid();
        provincial.push(id.clone());
        institutions.push(format!(
            "('{id}', '省{p}人民医院', 'hospital', '3A', '{}', '{now}', '{now}')",
            province_code(p)
        ));
        for c in 0..CITIES {
            let id = uuid();
            institutions.push(format!(
                "('{id}', '市{p}-{c}中心医院', 'hospital', '3A', '{}', '{now}', '{now}')",
                city_code(p, c)
            ));
            if p >= DONOR_PROVINCES {
                recipients.push((p, id));
            }
            for k in 0..COUNTIES {
                let id = uuid();
                institutions.push(format!(
                    "('{id}', '县{p}-{c}-{k}人民医院', 'hospital', '2A', '{}', '{now}', '{now}')",
                    county_code(p, c, k)
                ));
                if p >= DONOR_PROVINCES {
                    recipients.push((p, id));
                }
            }
        }
    }
    for chunk in institutions.chunks(500) {
        exec(conn, &format!("INSERT INTO institutions (id, name, kind, grade, region_code, created_at, updated_at) VALUES {}", chunk.join(", "))).await?;
    }
    // Program i: eastern province i % 10 helps western province 10 + i (the last four western
    // provinces go to programs 0–3 as well).
    let programs: Vec<String> = (0..PROGRAMS).map(|_| uuid()).collect();
    for (i, id) in programs.iter().enumerate() {
        exec(conn, &format!("INSERT INTO programs (id, name, kind, start_date, donor_access, created_at, updated_at) \
            VALUES ('{id}', '协作项目{i}', 'east-west', '2021-01-01', 'read', '{now}', '{now}')")).await?;
        for y in 0..5 {
            let b = uuid();
            exec(conn, &format!("INSERT INTO batches (id, program_id, number, start_date, end_date, created_at, updated_at) \
                VALUES ('{b}', '{id}', {}, '{}-01-01', '{}-12-31', '{now}', '{now}')", y + 1, 2021 + y, 2021 + y)).await?;
            exec(
                conn,
                &format!(
                    "INSERT INTO gen_batch (n, id, program_id) VALUES ({}, '{b}', '{id}')",
                    i * 5 + y
                ),
            )
            .await?;
        }
    }
    let mut pairings = Vec::new();
    let mut numbered = Vec::new();
    for (n, (p, id)) in recipients.iter().enumerate() {
        let pidx = (p - DONOR_PROVINCES) % PROGRAMS;
        let donor = &provincial[pidx % DONOR_PROVINCES];
        let program = &programs[pidx];
        pairings.push(format!("('{}', '{program}', '{donor}', '{id}', 'hospital', 'counterpart', '[]', '2021-01-01', '{now}', '{now}')", uuid()));
        numbered.push(format!("({n}, '{id}', '{program}', '{donor}', {pidx})"));
    }
    for chunk in pairings.chunks(500) {
        exec(conn, &format!("INSERT INTO pairings (id, program_id, donor_id, recipient_id, level, mode, departments, start_date, created_at, updated_at) VALUES {}", chunk.join(", "))).await?;
    }
    for chunk in numbered.chunks(500) {
        exec(
            conn,
            &format!(
                "INSERT INTO gen_inst (n, id, program_id, donor_id, pidx) VALUES {}",
                chunk.join(", ")
            ),
        )
        .await?;
    }
    let mut people = Vec::new();
    let mut gp = Vec::new();
    let mut people_ids = Vec::new();
    for n in 0..EXPERTS {
        let id = uuid();
        people_ids.push(id.clone());
        people.push(format!(
            "('{id}', '专家{n}', 'male', 'chief-physician', '[]', '{}', '{now}', '{now}')",
            provincial[n % DONOR_PROVINCES]
        ));
        gp.push(format!("({n}, '{id}')"));
    }
    for chunk in people.chunks(500) {
        exec(conn, &format!("INSERT INTO people (id, name, gender, title, honours, institution_id, created_at, updated_at) VALUES {}", chunk.join(", "))).await?;
    }
    for chunk in gp.chunks(500) {
        exec(
            conn,
            &format!("INSERT INTO gen_people (n, id) VALUES {}", chunk.join(", ")),
        )
        .await?;
    }
    exec(conn, &format!("INSERT INTO users (id, username, display_name, password_hash, role, active, created_at, updated_at) \
        VALUES ('{}', 'generator', '生成器', 'x', 'coordinator', 1, '{now}', '{now}')", uuid())).await?;
    if schema.teams {
        // Team `pidx * TEAMS_PER_PROGRAM + k` serves program `pidx` from its eastern
        // provincial hospital; its people are experts of that hospital.
        let mut teams = Vec::new();
        let mut gt = Vec::new();
        let mut members = Vec::new();
        for (pidx, program) in programs.iter().enumerate() {
            for k in 0..TEAMS_PER_PROGRAM {
                let n = pidx * TEAMS_PER_PROGRAM + k;
                let id = uuid();
                let kind = ["academician", "team-based", "specialty", "other"][k % 4];
                let home = &provincial[pidx % DONOR_PROVINCES];
                // Experts are spread over the donors by n % DONOR_PROVINCES: pick the home's.
                let person = |j: usize| {
                    &people_ids
                        [((n * TEAM_SIZE + j) * DONOR_PROVINCES + pidx % DONOR_PROVINCES) % EXPERTS]
                };
                teams.push(format!(
                    "('{id}', '{program}', '团队{pidx:02}-{k}', '{kind}', '{home}', NULL, '{}', '2021-01-01', '{now}', '{now}')",
                    person(0)
                ));
                gt.push(format!("({n}, '{id}')"));
                for j in 0..TEAM_SIZE {
                    members.push(format!(
                        "('{id}', '{}', '{}', '2021-01-01', '{now}', '{now}')",
                        person(j),
                        if j == 0 { "leader" } else { "member" }
                    ));
                }
            }
        }
        exec(conn, &format!("INSERT INTO teams (id, program_id, name, kind, home_institution_id, host_institution_id, leader_id, formed_on, created_at, updated_at) VALUES {}", teams.join(", "))).await?;
        exec(
            conn,
            &format!("INSERT INTO gen_team (n, id) VALUES {}", gt.join(", ")),
        )
        .await?;
        if schema.team_members {
            exec(conn, &format!("INSERT INTO team_members (team_id, person_id, role, joined_on, created_at, updated_at) VALUES {}", members.join(", "))).await?;
        }
    }
    exec(conn, "COMMIT").await?;
    Ok(())
}

// ---- the records ----

/// `SELECT` of the numbered rows `[a, b)` with a recipient institution `g`, a day `d` of the
/// five years and a number `r`, each spread evenly by a multiplicative hash of the row number
/// (not `random()`: SQLite may evaluate it again wherever a flattened subquery's column is
/// used).
fn rows(g: &Gen, a: u64, b: u64) -> String {
    format!(
        "SELECT x.i AS i, x.r AS r, {} AS d, g.* \
         FROM (SELECT i, (i * 214013 + 2531011) / 65536 AS r, ((i * 134775813 + 1) / 256) % {DAYS} AS dr, \
         ((i * 1103515245 + 12345) / 65536) % (SELECT COUNT(*) FROM gen_inst) AS gi FROM {} s) x \
         JOIN gen_inst g ON g.n = x.gi WHERE 1 = 1",
        plus_days(g.b, "'2021-01-01'", "x.dr"),
        series(g.b, a, b)
    )
}

/// What the INSERTs are written for: the backend, and what the schema has.
struct Gen {
    b: Backend,
    /// `workload_reports` has `rescues` and `mdt_participations` (issue 18).
    workload_counts: bool,
}

/// One kind of record: its share of `--records` and the INSERT for rows `[a, b)` (`tag`
/// keeps the ids of different runs apart; each kind's ids start with its own letter).
struct Kind {
    name: &'static str,
    /// The table the kind's records go to.
    table: &'static str,
    per_mille: u64,
    /// A kind of issue 18: generated only when the schema has the columns of `probe`, with
    /// its share taken from the kind `from`.
    new: Option<NewKind>,
    /// Written in the write-overhead phase's bulk mix too.
    mix: bool,
    insert: fn(&Gen, u64, u64, &str) -> String,
}

struct NewKind {
    probe: &'static str,
    from: &'static str,
}

/// The mix, in the order it is generated: the assignments first (service days and workload
/// reports hang from them), then the kinds of issue 18 (a schema that refuses one is found in
/// the first seconds), then the rest. Service days take [`SERVICE_DAYS_PER_MILLE`].
const KINDS: &[Kind] = &[
    Kind {
        name: "assignments",
        table: "assignments",
        per_mille: 20,
        new: None,
        mix: false,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO assignments (id, batch_id, person_id, institution_id, mode, post, weekdays, start_date, end_date, created_at, updated_at) \
             SELECT '{tag}a' || i, (SELECT id FROM gen_batch WHERE n = pidx * 5 + r % 5), \
             (SELECT id FROM gen_people WHERE n = r % {EXPERTS}), id, 'resident', 'member', '[]', \
             {}, {}, d, d FROM ({}) q",
                plus_days(g.b, "(2021 + r % 5) || '-01-01'", "r % 300"),
                plus_days(g.b, "(2021 + r % 5) || '-01-01'", "r % 300 + 60"),
                rows(g, a, b)
            )
        },
    },
    // Operations by dispatched experts (issue 18): grade 1–4, the expert's role, minimally
    // invasive or not.
    Kind {
        name: "operations",
        table: "operations",
        per_mille: 20,
        new: Some(NewKind {
            probe: "SELECT id, program_id, institution_id, expert_id, performed_on, procedure_name, procedure_code, \
                    grade, expert_role, minimally_invasive, outcome, created_at, updated_at FROM operations WHERE 1 = 0",
            from: "consultations",
        }),
        mix: true,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO operations (id, program_id, institution_id, expert_id, performed_on, procedure_name, procedure_code, \
             grade, expert_role, minimally_invasive, outcome, created_at, updated_at) \
             SELECT '{tag}o' || i, program_id, id, (SELECT id FROM gen_people WHERE n = r % {EXPERTS}), d, \
             '腹腔镜胆囊切除术', '51.23', 1 + r % 4, \
             CASE WHEN r % 10 < 4 THEN 'operated' WHEN r % 10 < 7 THEN 'guided' WHEN r % 10 < 9 THEN 'demonstration' ELSE 'remote-guidance' END, \
             CASE WHEN r % 3 = 0 THEN 1 ELSE 0 END, '{OPERATION_OUTCOME}', d, d FROM ({}) q",
                rows(g, a, b)
            )
        },
    },
    // Outreach events (issue 18): four kinds, at a place of the institution's county.
    Kind {
        name: "outreach_events",
        table: "outreach_events",
        per_mille: 6,
        new: Some(NewKind {
            probe: "SELECT id, program_id, institution_id, kind, held_on, place_kind, place_name, region_code, \
                    donor_institution_id, people_served, screenings, referrals, local_staff, created_at, updated_at \
                    FROM outreach_events WHERE 1 = 0",
            from: "referrals",
        }),
        mix: true,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO outreach_events (id, program_id, institution_id, kind, held_on, place_kind, place_name, region_code, \
             donor_institution_id, people_served, screenings, referrals, local_staff, created_at, updated_at) \
             SELECT '{tag}e' || i, program_id, id, \
             CASE r % 4 WHEN 0 THEN 'free-clinic' WHEN 1 THEN 'circuit' WHEN 2 THEN 'health-talk' ELSE 'screening' END, d, \
             CASE r % 5 WHEN 0 THEN 'village' WHEN 1 THEN 'township' WHEN 2 THEN 'school' WHEN 3 THEN 'community' ELSE 'hospital' END, \
             '第' || (r % 100) || '村', (SELECT region_code FROM institutions WHERE institutions.id = q.id), donor_id, \
             20 + r % 300, CASE WHEN r % 4 = 3 THEN 10 + r % 200 ELSE r % 20 END, r % 6, r % 12, d, d FROM ({}) q",
                rows(g, a, b)
            )
        },
    },
    // Team visits (issue 18): a team of the program's donor visits a recipient for 3–7 days.
    Kind {
        name: "team_visits",
        table: "team_visits",
        per_mille: 2,
        new: Some(NewKind {
            probe: "SELECT v.id, v.team_id, v.program_id, v.institution_id, v.start_date, v.end_date, v.created_at, v.updated_at, \
                    t.id, t.program_id, t.name, t.kind, t.home_institution_id, t.host_institution_id, t.leader_id, t.formed_on, \
                    t.created_at, t.updated_at FROM team_visits v JOIN teams t ON t.id = v.team_id WHERE 1 = 0",
            from: "referrals",
        }),
        mix: true,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO team_visits (id, team_id, program_id, institution_id, start_date, end_date, created_at, updated_at) \
             SELECT '{tag}v' || i, (SELECT id FROM gen_team WHERE n = pidx * {TEAMS_PER_PROGRAM} + r % {TEAMS_PER_PROGRAM}), \
             program_id, id, d, {}, d, d FROM ({}) q",
                plus_days(g.b, "d", "2 + r % 5"),
                rows(g, a, b)
            )
        },
    },
    // Workload reports: two consecutive 30-day periods for each of the first assignments (with
    // rescues and MDT participations where the schema has them, issue 18).
    Kind {
        name: "workload_reports",
        table: "workload_reports",
        per_mille: 10,
        new: Some(NewKind {
            probe: "SELECT id, assignment_id, period_start, period_end, outpatients, admissions, operations, \
                    created_at, updated_at FROM workload_reports WHERE 1 = 0",
            from: "consultations",
        }),
        mix: false,
        insert: |g, a, b, tag| {
            let (cols, vals) = if g.workload_counts {
                (", rescues, mdt_participations", ", s.i % 4, s.i % 7")
            } else {
                ("", "")
            };
            format!(
                "INSERT INTO workload_reports (id, assignment_id, period_start, period_end, outpatients, admissions, operations{cols}, \
             created_at, updated_at) \
             SELECT '{tag}k' || s.i, x.id, {}, {}, 20 + s.i % 80, s.i % 12, s.i % 9{vals}, x.created_at, x.created_at \
             FROM {} s JOIN assignments x ON x.id = 'a' || (s.i / 2) WHERE 1 = 1",
                plus_days(g.b, "x.start_date", "30 * (s.i % 2)"),
                plus_days(g.b, "x.start_date", "30 * (s.i % 2) + 29"),
                series(g.b, a, b)
            )
        },
    },
    Kind {
        name: "consultations",
        table: "consultations",
        per_mille: 360,
        new: None,
        mix: true,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO consultations (id, type, urgency, state, requesting_institution_id, requester_user_id, requester_name, \
             target_institution_id, patient_name_enc, patient_name_masked, patient_sex, patient_age, case_summary, question, \
             requested_at, created_at, updated_at, program_id) \
             SELECT '{tag}c' || i, CASE r % 6 WHEN 0 THEN 'mdt' WHEN 1 THEN 'difficult-case' WHEN 2 THEN 'imaging' ELSE 'general' END, \
             'routine', 'closed', id, (SELECT id FROM users WHERE username = 'generator'), '医生', donor_id, 'x', '张*', 'female', 40, '', '', \
             d || 'T08:00:00.000Z', d || 'T08:00:00.000Z', d || 'T08:00:00.000Z', program_id FROM ({}) q",
                rows(g, a, b)
            )
        },
    },
    Kind {
        name: "referrals",
        table: "referrals",
        per_mille: 240,
        new: None,
        mix: true,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO referrals (id, direction, urgency, state, from_institution_id, sender_user_id, sender_name, to_institution_id, \
             patient_name_enc, patient_name_masked, patient_sex, patient_age, reason, leaves_region, created_at, updated_at, program_id) \
             SELECT '{tag}r' || i, CASE WHEN r % 10 < 7 THEN 'up' ELSE 'down' END, 'routine', 'arrived', \
             CASE WHEN r % 10 < 7 THEN id ELSE donor_id END, (SELECT id FROM users WHERE username = 'generator'), '医生', \
             CASE WHEN r % 10 < 7 THEN donor_id ELSE id END, 'x', '张*', 'male', 50, '', CASE WHEN r % 10 < 3 THEN 1 ELSE 0 END, \
             d || 'T09:00:00.000Z', d || 'T09:00:00.000Z', program_id FROM ({}) q",
                rows(g, a, b)
            )
        },
    },
    Kind {
        name: "teaching_activities",
        table: "teaching_activities",
        per_mille: 150,
        new: None,
        mix: true,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO teaching_activities (id, program_id, institution_id, kind, held_on, online, topic, duration_minutes, \
             attendance, attendee_ids, created_at, updated_at) \
             SELECT '{tag}t' || i, program_id, id, 'lecture', d, 0, '讲座', 60, 10 + r % 90, '[]', d, d FROM ({}) q",
                rows(g, a, b)
            )
        },
    },
    Kind {
        name: "techniques",
        table: "techniques",
        per_mille: 10,
        new: None,
        mix: true,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO techniques (id, program_id, institution_id, name, name_key, specialty_code, surgical_grade, gap_level, \
             stage, introduced_on, created_at, updated_at) \
             SELECT '{tag}q' || i, program_id, id, '新技术', 'k' || i, '03', 1 + r % 4, \
             CASE r % 5 WHEN 0 THEN 'hospital' WHEN 1 THEN 'county' WHEN 2 THEN 'city' ELSE NULL END, 'introduced', d, d, d FROM ({}) q",
                rows(g, a, b)
            )
        },
    },
    Kind {
        name: "funding_items",
        table: "funding_items",
        per_mille: 10,
        new: None,
        mix: true,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO funding_items (id, program_id, institution_id, amount_fen, source, purpose, granted_on, created_at, updated_at) \
             SELECT '{tag}f' || i, program_id, id, 100000 + r % 100000000, '财政', '设备', d, d, d FROM ({}) q",
                rows(g, a, b)
            )
        },
    },
    Kind {
        name: "placements",
        table: "placements",
        per_mille: 10,
        new: None,
        mix: true,
        insert: |g, a, b, tag| {
            format!(
                "INSERT INTO placements (id, program_id, institution_id, person_id, host_institution_id, subject, start_date, status, created_at, updated_at) \
             SELECT '{tag}p' || i, program_id, id, (SELECT id FROM gen_people WHERE n = r % {EXPERTS}), donor_id, '进修', d, 'in-progress', d, d FROM ({}) q",
                rows(g, a, b)
            )
        },
    },
];

/// The outcome of a generated operation (手术顺利; the roll-ups do not read it).
const OPERATION_OUTCOME: &str = "success";

/// Service days: ten per assignment from its start, for the assignments numbered `[a, b)`.
fn service_days(g: &Gen, a: u64, b: u64, tag: &str) -> String {
    format!(
        "INSERT INTO service_days (id, assignment_id, day, created_at, updated_at) \
         SELECT '{tag}s' || s.i || '-' || k.i, x.id, {}, x.created_at, x.created_at \
         FROM {} s JOIN assignments x ON x.id = 'a' || s.i CROSS JOIN {} k WHERE 1 = 1",
        plus_days(g.b, "x.start_date", "k.i"),
        series(g.b, a, b),
        series(g.b, 0, 10)
    )
}

/// Service days take 20 % of the records (ten per assignment).
const SERVICE_DAYS_PER_MILLE: u64 = 200;

/// What the schema holds of the issue-18 kinds, found at the start.
struct Schema {
    /// The kinds generated, each with its share of `--records` in per mille.
    kinds: Vec<(&'static Kind, u64)>,
    /// The kinds left out, and why.
    missing: Vec<(&'static str, String)>,
    teams: bool,
    team_members: bool,
    workload_counts: bool,
}

impl Schema {
    async fn probe(conn: &mut PoolConnection<Any>) -> Schema {
        let mut present = HashSet::new();
        let mut missing = Vec::new();
        for k in KINDS {
            match &k.new {
                Some(n) if !runs(conn, n.probe).await => {
                    missing.push((k.name, format!("no table or columns for {}", k.table)));
                }
                _ => {
                    present.insert(k.name);
                }
            }
        }
        let workload_counts = runs(
            conn,
            "SELECT rescues, mdt_participations FROM workload_reports WHERE 1 = 0",
        )
        .await;
        let team_members = runs(
            conn,
            "SELECT team_id, person_id, role, joined_on, created_at, updated_at FROM team_members WHERE 1 = 0",
        )
        .await;
        let mut schema = Schema {
            kinds: Vec::new(),
            missing,
            teams: present.contains("team_visits"),
            team_members,
            workload_counts,
        };
        schema.share(&present);
        schema
    }

    /// Each kind present gets its share; a kind of issue 18 takes its share from its `from`.
    fn share(&mut self, present: &HashSet<&'static str>) {
        let mut shares: HashMap<&str, u64> = KINDS.iter().map(|k| (k.name, k.per_mille)).collect();
        for k in KINDS {
            if let Some(n) = &k.new {
                if present.contains(k.name) {
                    if let Some(s) = shares.get_mut(n.from) {
                        *s = s.saturating_sub(k.per_mille);
                    }
                } else {
                    shares.insert(k.name, 0);
                }
            }
        }
        self.kinds = KINDS
            .iter()
            .filter(|k| present.contains(k.name))
            .map(|k| (k, shares.get(k.name).copied().unwrap_or(0)))
            .collect();
    }

    /// A kind the generator could not write after all: left out, its share back to its `from`.
    fn drop_kind(&mut self, name: &str, why: String) {
        let Some(pos) = self.kinds.iter().position(|(k, _)| k.name == name) else {
            return;
        };
        let (kind, share) = self.kinds.remove(pos);
        if let Some(n) = &kind.new
            && let Some(from) = self.kinds.iter_mut().find(|(k, _)| k.name == n.from)
        {
            from.1 += share;
        }
        self.missing.push((kind.name, why));
    }

    fn writing(&self, b: Backend) -> Gen {
        Gen {
            b,
            workload_counts: self.workload_counts,
        }
    }

    /// The tables whose records the data set counts.
    fn tables(&self) -> Vec<&'static str> {
        let mut t: Vec<&str> = self.kinds.iter().map(|(k, _)| k.table).collect();
        t.push("service_days");
        t
    }

    fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .kinds
            .iter()
            .map(|(k, s)| format!("{} {:.1} %", k.name, *s as f64 / 10.0))
            .collect();
        parts.push(format!(
            "service_days {:.1} %",
            SERVICE_DAYS_PER_MILLE as f64 / 10.0
        ));
        let mut out = parts.join(", ");
        if self.workload_counts {
            out.push_str(" (workload reports with rescues and MDT participations)");
        }
        if self.teams {
            out.push_str(&format!(
                "; {} teams{}",
                PROGRAMS * TEAMS_PER_PROGRAM,
                if self.team_members {
                    format!(" of {TEAM_SIZE} members")
                } else {
                    String::new()
                }
            ));
        }
        for (name, why) in &self.missing {
            out.push_str(&format!("; not generated: {name} ({why})"));
        }
        out
    }
}

/// Folds the roll-up deltas of the records just written (what the server does every 2 s).
async fn fold(conn: &mut PoolConnection<Any>, b: Backend, spent: &mut Duration) -> Result<()> {
    let t = Instant::now();
    exec(conn, begin_write(b)).await?;
    for sql in rollups::fold_sql(b) {
        exec(conn, &sql).await?;
    }
    exec(conn, "COMMIT").await?;
    *spent += t.elapsed();
    Ok(())
}

async fn generate(
    conn: &mut PoolConnection<Any>,
    b: Backend,
    schema: &mut Schema,
    records: u64,
) -> Result<u64> {
    let started = Instant::now();
    let mut total = 0u64;
    let mut folding = Duration::ZERO;
    let g = schema.writing(b);
    let mut assignments = 0;
    let mut i = 0;
    while i < schema.kinds.len() {
        let (kind, share) = schema.kinds[i];
        let n = records * share / 1000;
        let t = Instant::now();
        let mut done = 0;
        let mut written = 0;
        while done < n {
            let end = (done + CHUNK).min(n);
            exec(conn, "BEGIN").await?;
            match exec(conn, &(kind.insert)(&g, done, end, "")).await {
                Ok(w) => written += w,
                // A kind of issue 18 whose table the schema has but refuses these rows (a
                // column added since): left out, said so, its share back to its `from`.
                Err(e) if kind.new.is_some() && done == 0 => {
                    exec(conn, "ROLLBACK").await?;
                    eprintln!("\n  {}: left out: {e:#}", kind.name);
                    schema.drop_kind(kind.name, format!("the INSERT failed: {e:#}"));
                    break;
                }
                Err(e) => return Err(e),
            }
            exec(conn, "COMMIT").await?;
            fold(conn, b, &mut folding).await?;
            done = end;
            eprint!(
                "\r  {:<22} {:>12} / {:<12} {:>8.0} rows/s   ",
                kind.name,
                thousands(done),
                thousands(n),
                done as f64 / t.elapsed().as_secs_f64()
            );
        }
        if schema.kinds.get(i).map(|(k, _)| k.name) != Some(kind.name) {
            continue; // left out: the next kind is now at i
        }
        eprintln!();
        if kind.name == "assignments" {
            assignments = n;
        }
        total += written;
        i += 1;
    }
    // Service days hang from the assignments: ten each.
    let wanted = records * SERVICE_DAYS_PER_MILLE / 1000;
    let upto = (wanted / 10).min(assignments);
    let t = Instant::now();
    let mut a = 0;
    while a < upto {
        let end = (a + CHUNK / 10).min(upto);
        exec(conn, "BEGIN").await?;
        total += exec(conn, &service_days(&g, a, end, "")).await?;
        exec(conn, "COMMIT").await?;
        fold(conn, b, &mut folding).await?;
        a = end;
        eprint!(
            "\r  {:<22} {:>12} / {:<12} {:>8.0} rows/s   ",
            "service_days",
            thousands(a * 10),
            thousands(upto * 10),
            (a * 10) as f64 / t.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    eprintln!(
        "  generated {} records in {} ({:.0} records/s, through the roll-up triggers; folding their deltas after each {}-record transaction took {} of it)",
        thousands(total),
        secs(started.elapsed()),
        total as f64 / started.elapsed().as_secs_f64(),
        thousands(CHUNK),
        secs(folding)
    );
    Ok(total)
}

// ---- (a) latency ----

/// The median of `runs` timings of `f`, and its last answer.
async fn timed<T, F, Fut>(runs: usize, mut f: F) -> Result<(Duration, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = shanhai_store::Result<T>>,
{
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f().await?);
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], last.context("no run")?))
}

fn line(what: &str, fast: Duration, slow: Duration, equal: bool) -> String {
    format!(
        "  {what:<44} roll-ups {:>10}   recount {:>10}   ratio {:>8.0}×   {}",
        secs(fast),
        secs(slow),
        slow.as_secs_f64() / fast.as_secs_f64().max(1e-9),
        if equal { "equal" } else { "DIFFERENT" }
    )
}

/// A read transaction in which no index is used: on SQLite the queries say `NOT INDEXED` on
/// their source table ([`not_indexed`]); on PostgreSQL the planner is told not to use index,
/// index-only or bitmap scans (so it reads every table it joins as well).
async fn full_scan_tx(db: &Db) -> Result<sqlx::Transaction<'static, Any>> {
    let mut tx = db.pool().begin().await?;
    if db.backend() == Backend::Postgres {
        for setting in [
            "enable_indexscan",
            "enable_indexonlyscan",
            "enable_bitmapscan",
        ] {
            tx.execute(AssertSqlSafe(format!("SET LOCAL {setting} = off")))
                .await?;
        }
    }
    Ok(tx)
}

/// What follows the source table of a full scan (see [`full_scan_tx`]).
fn not_indexed(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "NOT INDEXED",
        Backend::Postgres => "",
    }
}

/// The baseline: the same figures by a full scan of the raw tables (every record of
/// the source table read, see [`full_scan_tx`]), for a program up to a date — one scan per
/// source table and rule, every indicator of the rule counted in that one pass (by kind, and
/// by person for the distinct people), so the baseline does not grow with the indicators.
async fn full_scan_totals(db: &Db, program: &str, until: &str) -> Result<Vec<(String, i64)>> {
    // rule → kind → (value, extra, people with a positive count)
    type Kinds = HashMap<String, (i64, i64, HashSet<String>)>;
    let mut per_rule: HashMap<&str, Kinds> = HashMap::new();
    let mut tx = full_scan_tx(db).await?;
    for r in rollups::RULES {
        let member = r.member.unwrap_or("''");
        let sql = format!(
            "SELECT COALESCE({}, '') AS kind, COALESCE({member}, '') AS m, CAST(SUM({}) AS BIGINT) AS v, \
             CAST(SUM({}) AS BIGINT) AS x FROM {} t {} {} WHERE ({}) AND {} = $1 AND {} < $2 GROUP BY 1, 2",
            r.split,
            r.value,
            r.extra,
            r.table,
            not_indexed(db.backend()),
            r.joins,
            r.filter,
            r.program,
            r.date
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(program.to_string())
            .bind(format!("{until}~"))
            .fetch_all(&mut *tx)
            .await?;
        let kinds = per_rule.entry(r.name).or_default();
        for row in rows {
            let kind: String = row.try_get("kind")?;
            let (v, x): (i64, i64) = (row.try_get("v")?, row.try_get("x")?);
            let e = kinds.entry(kind).or_default();
            e.0 += v;
            e.1 += x;
            if r.member.is_some() && v > 0 {
                e.2.insert(row.try_get("m")?);
            }
        }
    }
    let mut out = Vec::new();
    for m in rollups::MEASURES {
        let kinds = per_rule.get(m.rule).context("rule")?;
        let matching = kinds
            .iter()
            .filter(|(k, _)| m.kinds.is_empty() || m.kinds.contains(&k.as_str()));
        let value = match m.column {
            Column::Value => matching.map(|(_, e)| e.0).sum(),
            Column::Extra => matching.map(|(_, e)| e.1).sum(),
            Column::People => {
                let people: HashSet<&String> = matching.flat_map(|(_, e)| e.2.iter()).collect();
                i64::try_from(people.len())?
            }
        };
        out.push((m.indicator.to_string(), value));
    }
    tx.rollback().await?;
    Ok(out)
}

/// A region's consultations by child region up to a date, by a full scan.
async fn full_scan_regions(
    db: &Db,
    region: Option<&str>,
    until: &str,
) -> Result<Vec<(String, i64)>> {
    let r = rollups::rule("consultations").context("rule")?;
    let (like, len) = match region {
        Some(code) if code.ends_with("0000") => (format!("{}%", &code[..2]), 4),
        Some(code) => (format!("{}%", &code[..4]), 6),
        None => ("%".to_string(), 2),
    };
    let sql = format!(
        "SELECT substr(i.region_code, 1, {len}) AS k, CAST(SUM({}) AS BIGINT) AS v FROM {} t {} {} \
         JOIN institutions i ON i.id = {} WHERE ({}) AND {} < $1 AND i.region_code LIKE $2 GROUP BY 1",
        r.value,
        r.table,
        not_indexed(db.backend()),
        r.joins,
        r.institution,
        r.filter,
        r.date
    );
    let mut tx = full_scan_tx(db).await?;
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(format!("{until}~"))
        .bind(like)
        .fetch_all(&mut *tx)
        .await?;
    tx.rollback().await?;
    let mut out: Vec<(String, i64)> = rows
        .iter()
        .map(|row| {
            let k: String = row.try_get("k")?;
            Ok((format!("{k:0<6}"), row.try_get("v")?))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    out.retain(|(_, v)| *v != 0);
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

async fn timed_any<T, F, Fut>(mut f: F) -> Result<(Duration, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let t = Instant::now();
    let v = f().await?;
    Ok((t.elapsed(), v))
}

fn line3(what: &str, fast: Duration, indexed: Duration, full: Duration, equal: bool) -> String {
    let ratio = |d: Duration| d.as_secs_f64() / fast.as_secs_f64().max(1e-9);
    format!(
        "  {what:<40} roll-ups {:>9} | indexed recount {:>9} ({:>6.0}×) | full scan {:>9} ({:>7.0}×)  {}",
        secs(fast),
        secs(indexed),
        ratio(indexed),
        secs(full),
        ratio(full),
        if equal { "equal" } else { "DIFFERENT" }
    )
}

// ---- (d) the server ----

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve_phase(
    args: &Args,
    bin: &Path,
    dir: &Path,
    url: &str,
    program: &str,
    province: &str,
    city: &str,
) -> Result<()> {
    // A new account per run: a reused database keeps the accounts of earlier runs.
    let username = format!("bench-{}", std::process::id());
    let mut add = Command::new(bin)
        .args([
            "--lang",
            "en",
            "user",
            "add",
            "--username",
            &username,
            "--role",
            "platform-admin",
            "--password-stdin",
        ])
        .arg("--data-dir")
        .arg(dir)
        .args(["--database-url", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = add.stdin.take() {
        use std::io::Write;
        stdin.write_all(b"bench-password-1234\n")?;
    }
    let out = add.wait_with_output()?;
    if !out.status.success() {
        bail!("user add: {}", String::from_utf8_lossy(&out.stderr));
    }
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("serve.log"))?;
    let child = Command::new(bin)
        .args(["--lang", "en", "serve", "--data-dir"])
        .arg(dir)
        .args([
            "--database-url",
            url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("SHANHAI_PUBLIC_RATE_LIMIT", "0")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
            && r.status() == StatusCode::OK
        {
            break;
        }
        if Instant::now() > deadline {
            bail!("shanhai serve did not answer");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = server.child.id();
    let after_start = status_kb(pid, "VmRSS:").unwrap_or(0);
    let token: Value = client
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&serde_json::json!({"username": username, "password": "bench-password-1234"}))
        .send()
        .await?
        .json()
        .await?;
    let token = token["token"].as_str().context("no token")?.to_string();
    let endpoints = [
        (
            "overview",
            format!("/api/v1/rollups?program={program}&until=2025-06-15"),
        ),
        (
            "trend",
            format!(
                "/api/v1/rollups?indicator=consultations&program={program}&group=month&until=2025-06-15"
            ),
        ),
        (
            "national by province",
            "/api/v1/rollups?indicator=consultations&group=region&until=2025-06-15".to_string(),
        ),
        (
            "province by city",
            format!(
                "/api/v1/rollups?indicator=consultations&region={province}&group=region&until=2025-06-15"
            ),
        ),
        (
            "city by county",
            format!(
                "/api/v1/rollups?indicator=consultations&region={city}&group=region&until=2025-06-15"
            ),
        ),
        (
            "program indicators",
            format!("/api/v1/programs/{program}/indicators?until=2025-06-15"),
        ),
    ];
    let end = Instant::now() + Duration::from_secs_f64(args.serve_seconds);
    let mut first = true;
    let mut served = vec![(0u32, Duration::ZERO); endpoints.len()];
    while first || Instant::now() < end {
        first = false;
        // Four clients at once, each walking the dashboard.
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let client = client.clone();
            let base = server.base.clone();
            let token = token.clone();
            let eps: Vec<String> = endpoints.iter().map(|(_, p)| p.clone()).collect();
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                for p in eps {
                    let t = Instant::now();
                    let r = client
                        .get(format!("{base}{p}"))
                        .bearer_auth(&token)
                        .send()
                        .await;
                    let ok = matches!(&r, Ok(r) if r.status() == StatusCode::OK);
                    if let Ok(r) = r {
                        let _ = r.bytes().await;
                    }
                    out.push((ok, t.elapsed()));
                }
                out
            }));
        }
        for t in tasks {
            for (i, (ok, d)) in t.await?.into_iter().enumerate() {
                if !ok {
                    bail!("{} failed", endpoints[i].1);
                }
                served[i].0 += 1;
                served[i].1 += d;
            }
        }
    }
    let hwm = status_kb(pid, "VmHWM:").unwrap_or(0);
    for ((name, path), (n, total)) in endpoints.iter().zip(&served) {
        println!(
            "  {name:<22} {n:>4} requests, mean {:>10}   {path}",
            secs(*total / (*n).max(1))
        );
    }
    println!(
        "  server RSS after start {:.0} MB; peak (VmHWM) while serving {:.0} MB   (aim < 200 MB)",
        after_start as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    drop(server);
    Ok(())
}

// ---- (b) write overhead ----

/// What the write-overhead phase writes with: the backend, and the bulk mix — the kinds of
/// the data set that hang from no other record (not the assignments, service days and
/// workload reports), each with its share.
struct Writer {
    g: Gen,
    mix: Vec<(&'static Kind, u64)>,
}

/// Inserts `n` records of the usual mix inside a transaction that is rolled back, with or
/// without the roll-up triggers (dropped inside the same transaction, so they come back with
/// the rollback). Returns the insert time.
async fn insert_mix(
    conn: &mut PoolConnection<Any>,
    w: &Writer,
    n: u64,
    triggers: bool,
    tag: &str,
) -> Result<(Duration, Duration)> {
    exec(conn, begin_write(w.g.b)).await?;
    if !triggers {
        rollups::drop_triggers(conn, w.g.b).await?;
    }
    let all: u64 = w.mix.iter().map(|(_, s)| s).sum();
    let t = Instant::now();
    for (kind, share) in &w.mix {
        let m = n * share / all.max(1);
        exec(conn, &(kind.insert)(&w.g, 0, m, tag)).await?;
    }
    let elapsed = t.elapsed();
    Ok((elapsed, fold_and_roll_back(conn, w.g.b, triggers).await?))
}

/// Times the fold of the open transaction's deltas (the server's job every 2 s) on its own,
/// then rolls the transaction back.
async fn fold_and_roll_back(
    conn: &mut PoolConnection<Any>,
    b: Backend,
    triggers: bool,
) -> Result<Duration> {
    let t = Instant::now();
    if triggers {
        for sql in rollups::fold_sql(b) {
            exec(conn, &sql).await?;
        }
    }
    let folding = t.elapsed();
    exec(conn, "ROLLBACK").await?;
    Ok(folding)
}

/// What one-record inserts are made of: institutions with their program and donor, and a user.
struct Picks {
    places: Vec<(String, String, String)>,
    user: String,
}

async fn picks(conn: &mut PoolConnection<Any>) -> Result<Picks> {
    let places = sqlx::query("SELECT id, program_id, donor_id FROM gen_inst ORDER BY n")
        .fetch_all(&mut **conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let user: String = sqlx::query("SELECT id FROM users WHERE username = 'generator'")
        .fetch_one(&mut **conn)
        .await?
        .try_get(0)?;
    Ok(Picks { places, user })
}

/// Inserts record `i` of the one-at-a-time mix (a consultation, a referral or a teaching
/// activity, in turn) through a prepared statement, the way the server writes.
async fn insert_one(conn: &mut PoolConnection<Any>, p: &Picks, i: u64, tag: &str) -> Result<()> {
    let (inst, program, donor) = &p.places[(i as usize * 7919) % p.places.len()];
    let user = &p.user;
    let day = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default()
        + chrono::Duration::days((i as i64 * 37) % DAYS);
    match i % 3 {
        0 => {
            sqlx::query(
                "INSERT INTO consultations (id, type, urgency, state, requesting_institution_id, requester_user_id, requester_name, \
                 target_institution_id, patient_name_enc, patient_name_masked, patient_sex, patient_age, case_summary, question, \
                 requested_at, created_at, updated_at, program_id) \
                 VALUES ($1, $2, 'routine', 'requested', $3, $4, '医生', $5, 'x', '张*', 'female', 40, '', '', $6, $6, $6, $7)",
            )
            .bind(format!("{tag}c{i}"))
            .bind(if i.is_multiple_of(2) { "mdt" } else { "general" })
            .bind(inst)
            .bind(user)
            .bind(donor)
            .bind(format!("{day}T08:00:00.000Z"))
            .bind(program)
            .execute(&mut **conn)
            .await?;
        }
        1 => {
            sqlx::query(
                "INSERT INTO referrals (id, direction, urgency, state, from_institution_id, sender_user_id, sender_name, to_institution_id, \
                 patient_name_enc, patient_name_masked, patient_sex, patient_age, reason, leaves_region, created_at, updated_at, program_id) \
                 VALUES ($1, 'up', 'routine', 'sent', $2, $3, '医生', $4, 'x', '张*', 'male', 50, '', 0, $5, $5, $6)",
            )
            .bind(format!("{tag}r{i}"))
            .bind(inst)
            .bind(user)
            .bind(donor)
            .bind(format!("{day}T09:00:00.000Z"))
            .bind(program)
            .execute(&mut **conn)
            .await?;
        }
        _ => {
            sqlx::query(
                "INSERT INTO teaching_activities (id, program_id, institution_id, kind, held_on, online, topic, duration_minutes, \
                 attendance, attendee_ids, created_at, updated_at) VALUES ($1, $2, $3, 'lecture', $4, 0, '讲座', 60, 30, '[]', $4, $4)",
            )
            .bind(format!("{tag}t{i}"))
            .bind(program)
            .bind(inst)
            .bind(day.to_string())
            .execute(&mut **conn)
            .await?;
        }
    }
    Ok(())
}

/// The same records one INSERT at a time through prepared statements, in one transaction
/// rolled back.
async fn insert_rows(
    conn: &mut PoolConnection<Any>,
    b: Backend,
    n: u64,
    triggers: bool,
    tag: &str,
) -> Result<(Duration, Duration)> {
    exec(conn, begin_write(b)).await?;
    if !triggers {
        rollups::drop_triggers(conn, b).await?;
    }
    let p = picks(conn).await?;
    let t = Instant::now();
    for i in 0..n {
        insert_one(conn, &p, i, tag).await?;
    }
    let elapsed = t.elapsed();
    Ok((elapsed, fold_and_roll_back(conn, b, triggers).await?))
}

/// The same records each in a transaction of its own, committed, as the server writes them
/// (one API write, one transaction), with or without the triggers; then the fold of their
/// deltas. Afterwards the records and their deltas are deleted (without the triggers) and the
/// triggers put back, so the database ends as it began. Needs no pending deltas at the start.
async fn insert_committed(
    conn: &mut PoolConnection<Any>,
    b: Backend,
    n: u64,
    triggers: bool,
    tag: &str,
) -> Result<(Duration, Duration)> {
    let pending = sqlx::query("SELECT COUNT(*) FROM rollup_deltas")
        .fetch_one(&mut **conn)
        .await?
        .try_get::<i64, _>(0)?;
    if pending != 0 {
        bail!("{pending} pending roll-up deltas: fold them first");
    }
    if !triggers {
        exec(conn, begin_write(b)).await?;
        rollups::drop_triggers(conn, b).await?;
        exec(conn, "COMMIT").await?;
    }
    let p = picks(conn).await?;
    let t = Instant::now();
    for i in 0..n {
        exec(conn, begin_write(b)).await?;
        insert_one(conn, &p, i, tag).await?;
        exec(conn, "COMMIT").await?;
    }
    let elapsed = t.elapsed();
    // The fold as the server runs it: its own write transaction (timed, then rolled back; the
    // deltas go with the cleanup below).
    exec(conn, begin_write(b)).await?;
    let folding = fold_and_roll_back(conn, b, triggers).await?;
    // The new records have no children: without the foreign-key checks, deleting them does not
    // scan the tables that may refer to them (some without an index on the reference). On
    // PostgreSQL that takes a superuser (the throwaway cluster's `postgres` is one); without
    // it the checks stay on.
    let checks_off = match b {
        Backend::Sqlite => exec(conn, "PRAGMA foreign_keys = OFF").await.is_ok(),
        Backend::Postgres => exec(conn, "SET session_replication_role = replica")
            .await
            .is_ok(),
    };
    exec(conn, begin_write(b)).await?;
    rollups::drop_triggers(conn, b).await?;
    for (table, letter) in [
        ("consultations", 'c'),
        ("referrals", 'r'),
        ("teaching_activities", 't'),
    ] {
        exec(
            conn,
            &format!("DELETE FROM {table} WHERE id >= '{tag}{letter}' AND id < '{tag}{letter}~'"),
        )
        .await?;
    }
    exec(conn, "DELETE FROM rollup_deltas").await?;
    for ddl in rollups::trigger_ddl(b) {
        exec(conn, &ddl).await?;
    }
    exec(conn, "COMMIT").await?;
    if checks_off {
        match b {
            Backend::Sqlite => exec(conn, "PRAGMA foreign_keys = ON").await?,
            Backend::Postgres => exec(conn, "RESET session_replication_role").await?,
        };
    }
    Ok((elapsed, folding))
}

/// How the write-overhead phase inserts its records.
#[derive(Debug, Clone, Copy)]
enum Writes {
    /// `INSERT … SELECT` statements, in one transaction rolled back.
    Bulk,
    /// One prepared INSERT per record, in one transaction rolled back.
    Rows,
    /// One record per committed transaction.
    Committed,
}

/// Inserts `n` records `how`, with the triggers or without; returns the insert's and the
/// fold's times.
async fn insert_by(
    conn: &mut PoolConnection<Any>,
    w: &Writer,
    how: Writes,
    n: u64,
    triggers: bool,
    tag: &str,
) -> Result<(Duration, Duration)> {
    match how {
        Writes::Bulk => insert_mix(conn, w, n, triggers, tag).await,
        Writes::Rows => insert_rows(conn, w.g.b, n, triggers, tag).await,
        Writes::Committed => insert_committed(conn, w.g.b, n, triggers, tag).await,
    }
}

/// Inserts the records twice without the triggers and twice with them, alternately, and prints
/// the best of each and the overhead, without and with the fold.
async fn overhead(
    conn: &mut PoolConnection<Any>,
    w: &Writer,
    how: Writes,
    n: u64,
    label: &str,
) -> Result<()> {
    let letter = match how {
        Writes::Bulk => 'w',
        Writes::Rows => 'y',
        Writes::Committed => 'u',
    };
    let mut with = Vec::new();
    let mut without = Vec::new();
    for round in 0..2 {
        without.push(insert_by(conn, w, how, n, false, &format!("{letter}{round}")).await?);
        with.push(insert_by(conn, w, how, n, true, &format!("{letter}x{round}")).await?);
    }
    let (w, wo) = (
        with.iter().min().copied().unwrap_or_default(),
        without.iter().map(|x| x.0).min().unwrap_or_default(),
    );
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let more = |d: Duration| (d.as_secs_f64() / wo.as_secs_f64() - 1.0) * 100.0;
    println!(
        "  {label}: with triggers {:>9} ({:.0}/s)   without {:>9} ({:.0}/s)   overhead {:>6.1} %   (aim ≤ 20 %)   + fold {:>9} (with it {:>6.1} %)",
        secs(w.0),
        rate(w.0),
        secs(wo),
        rate(wo),
        more(w.0),
        secs(w.1),
        more(w.0 + w.1)
    );
    Ok(())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("rollup bench: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let bin = server_binary(args.server.as_deref())?;
    let (dir, temporary) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("shanhai-rollup-bench-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    // The database: SQLite in the directory, or PostgreSQL — a fresh database on the given
    // server or on a throwaway cluster; with `--dir`, one kept for the next run.
    let mut cluster = None;
    let mut fresh = None;
    let (backend, url, reuse) = match args.backend {
        BackendArg::Sqlite => {
            let db_path = dir.join("shanhai.db");
            let reuse = db_path.exists();
            (
                Backend::Sqlite,
                format!("sqlite://{}?mode=rwc", db_path.display()),
                reuse,
            )
        }
        BackendArg::Postgres => {
            let base = match &args.database_url {
                Some(base) => base.clone(),
                None => {
                    let (c, base) = Cluster::start(dir.join("pg"))?;
                    cluster = Some(c);
                    base
                }
            };
            if args.dir.is_some() {
                let (_, url, existed) = PgDatabase::named(&base, KEPT_DATABASE).await?;
                (Backend::Postgres, url, existed)
            } else {
                let (db, url) = PgDatabase::create(&base).await?;
                fresh = Some(db);
                (Backend::Postgres, url, false)
            }
        }
    };
    let outcome = bench(&args, backend, &bin, &dir, &url, reuse).await;
    if let Some(db) = &fresh {
        db.drop_database().await;
    }
    drop(cluster);
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    outcome
}

/// The PostgreSQL database a run with `--dir` keeps for the next.
const KEPT_DATABASE: &str = "shanhai_rollup_bench";

async fn bench(
    args: &Args,
    backend: Backend,
    bin: &Path,
    dir: &Path,
    url: &str,
    reuse: bool,
) -> Result<()> {
    println!(
        "rollup bench: {} records, {}, server {}, {} cores",
        thousands(args.records),
        match backend {
            Backend::Sqlite => format!("SQLite {}", dir.join("shanhai.db").display()),
            Backend::Postgres => format!("PostgreSQL {}", shanhai_store::db::redact_url(url)),
        },
        bin.display(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let out = Command::new(bin)
        .args(["--lang", "en", "migrate", "--data-dir"])
        .arg(dir)
        .args(["--database-url", url])
        .output()?;
    if !out.status.success() {
        bail!("shanhai migrate: {}", String::from_utf8_lossy(&out.stderr));
    }
    let db = Db::connect(url).await?;
    let mut conn = db.pool().acquire().await?;
    if backend == Backend::Sqlite {
        exec(&mut conn, "PRAGMA cache_size = -524288").await?;
        exec(&mut conn, "PRAGMA temp_store = MEMORY").await?;
    }
    let mut schema = Schema::probe(&mut conn).await;
    if reuse && count(&db, "SELECT COUNT(*) FROM programs").await? > 0 {
        println!("[data] reusing the database in {}", dir.display());
        // The generator's helper tables are per connection: number the registry again (each
        // institution with its program's number, which picks its teams).
        exec(&mut conn, "CREATE TEMP TABLE gen_inst AS SELECT (ROW_NUMBER() OVER (ORDER BY p.recipient_id)) - 1 AS n, \
            p.recipient_id AS id, p.program_id, p.donor_id, \
            (SELECT CAST(substr(g.name, 5) AS INTEGER) FROM programs g WHERE g.id = p.program_id) AS pidx FROM pairings p").await?;
        exec(&mut conn, "CREATE TEMP TABLE gen_people AS SELECT (ROW_NUMBER() OVER (ORDER BY id)) - 1 AS n, id FROM people").await?;
        if schema.teams {
            exec(&mut conn, "CREATE TEMP TABLE gen_team AS SELECT (ROW_NUMBER() OVER (ORDER BY name)) - 1 AS n, id FROM teams").await?;
        }
        // A kind the database was generated without stays out of the write mix too.
        let mut empty = Vec::new();
        for (k, _) in &schema.kinds {
            if k.new.is_some()
                && count(&db, &format!("SELECT COUNT(*) FROM {}", k.table)).await? == 0
            {
                empty.push(k.name);
            }
        }
        for name in empty {
            schema.drop_kind(name, "none in the reused database".into());
        }
        println!("[data] record kinds: {}", schema.describe());
    } else {
        println!("[data] generating");
        let t = Instant::now();
        registry(&mut conn, &schema).await?;
        if backend == Backend::Postgres {
            exec(&mut conn, "ANALYZE gen_inst").await?;
            exec(&mut conn, "ANALYZE gen_people").await?;
            exec(&mut conn, "ANALYZE gen_batch").await?;
            exec(&mut conn, "ANALYZE gen_team").await?;
        }
        generate(&mut conn, backend, &mut schema, args.records).await?;
        println!("[data] record kinds: {}", schema.describe());
        let a = Instant::now();
        // On PostgreSQL the vacuum also sets the visibility map, without which no index-only
        // scan skips the table (autovacuum would get there later).
        let analyze = match backend {
            Backend::Sqlite => "ANALYZE",
            Backend::Postgres => "VACUUM ANALYZE",
        };
        exec(&mut conn, analyze).await?;
        println!(
            "  {analyze} {}; all {}",
            secs(a.elapsed()),
            secs(t.elapsed())
        );
    }
    let size = match backend {
        Backend::Sqlite => std::fs::metadata(dir.join("shanhai.db"))
            .map(|m| m.len())
            .unwrap_or(0),
        Backend::Postgres => {
            u64::try_from(count(&db, "SELECT pg_database_size(current_database())").await?)?
        }
    };
    let mut records = 0i64;
    let mut by_table = Vec::new();
    for table in schema.tables() {
        let n = count(&db, &format!("SELECT COUNT(*) FROM {table}")).await?;
        records += n;
        by_table.push(format!("{table} {}", thousands(u64::try_from(n)?)));
    }
    println!("[data] records: {}", by_table.join(", "));
    println!(
        "[data] {} institutions, {} programs, {} pairings, {} activity records, {} roll-up rows + {} program-level rows + {} daily rows, {:.1} GB",
        count(&db, "SELECT COUNT(*) FROM institutions").await?,
        count(&db, "SELECT COUNT(*) FROM programs").await?,
        count(&db, "SELECT COUNT(*) FROM pairings").await?,
        thousands(u64::try_from(records)?),
        thousands(u64::try_from(
            count(&db, "SELECT COUNT(*) FROM rollups").await?
        )?),
        thousands(u64::try_from(
            count(&db, "SELECT COUNT(*) FROM rollups_program").await?
        )?),
        thousands(u64::try_from(
            count(&db, "SELECT COUNT(*) FROM rollups_daily").await?
        )?),
        size as f64 / 1e9
    );

    // (a) dashboard latency.
    let program: String = sqlx::query("SELECT program_id, COUNT(*) AS n FROM pairings GROUP BY program_id ORDER BY n DESC, program_id LIMIT 1")
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    let recipient_region: String = sqlx::query(
        "SELECT i.region_code FROM pairings p JOIN institutions i ON i.id = p.recipient_id WHERE p.program_id = $1 ORDER BY i.region_code LIMIT 1",
    )
    .bind(&program)
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    let province = format!("{}0000", &recipient_region[..2]);
    let city = format!("{}00", &recipient_region[..4]);
    println!(
        "[a] dashboard latency: roll-ups (median of 5, warm) against the same figures recounted from the records \
         (through the indexes, best of 2) and by a full scan of the raw tables (once)"
    );
    let until = "2025-06-15".to_string(); // mid-month: the partial month is counted from the records
    let overview = Scope {
        program: Some(program.clone()),
        until: until.clone(),
        ..Default::default()
    };
    let (fast, a) = timed(5, || rollups::totals(&db, &overview)).await?;
    let (slow, b) = timed(2, || rollups::scan_totals(&db, &overview)).await?;
    let (full, c) = timed_any(|| full_scan_totals(&db, &program, &until)).await?;
    println!(
        "{}",
        line3(
            "program overview (every indicator)",
            fast,
            slow,
            full,
            a == b && a == c
        )
    );
    for (what, region) in [
        ("province → cities", Some(&province)),
        ("city → counties", Some(&city)),
        ("nation → provinces", None),
    ] {
        let scope = Scope {
            region: region.cloned(),
            until: until.clone(),
            ..Default::default()
        };
        let (fast, a) = timed(5, || {
            rollups::breakdown(&db, &scope, "consultations", By::ChildRegion)
        })
        .await?;
        let (slow, b) = timed(2, || {
            rollups::scan_breakdown(&db, &scope, "consultations", By::ChildRegion)
        })
        .await?;
        let (full, c) =
            timed_any(|| full_scan_regions(&db, region.map(String::as_str), &until)).await?;
        println!(
            "{}",
            line3(
                &format!("{what} {}", region.map(String::as_str).unwrap_or("")),
                fast,
                slow,
                full,
                a == b && a == c
            )
        );
    }
    let year = Scope {
        region: Some(province.clone()),
        from: Some("2024-03-10".into()),
        until: "2025-02-20".into(),
        ..Default::default()
    };
    let (fast, a) = timed(5, || rollups::totals(&db, &year)).await?;
    let (slow, b) = timed(2, || rollups::scan_totals(&db, &year)).await?;
    println!(
        "{}",
        line(
            &format!("province {province}, 2024-03-10..2025-02-20, all"),
            fast,
            slow,
            a == b
        )
    );
    let national = Scope {
        until: until.clone(),
        ..Default::default()
    };
    let (fast, a) = timed(3, || rollups::totals(&db, &national)).await?;
    let (slow, b) = timed(1, || rollups::scan_totals(&db, &national)).await?;
    println!(
        "{}",
        line("national overview (every indicator)", fast, slow, a == b)
    );

    // (b) write overhead.
    println!(
        "[b] write overhead of the roll-up triggers: {} records, same database, each run rolled back or deleted",
        thousands(args.overhead_records)
    );
    let writer = Writer {
        g: schema.writing(backend),
        mix: schema
            .kinds
            .iter()
            .filter(|(k, _)| k.mix)
            .copied()
            .collect(),
    };
    overhead(
        &mut conn,
        &writer,
        Writes::Bulk,
        args.overhead_records,
        "bulk INSERT…SELECT",
    )
    .await?;
    let n = args.overhead_records.min(100_000);
    overhead(
        &mut conn,
        &writer,
        Writes::Rows,
        n,
        &format!("one prepared INSERT per record ({} records)", thousands(n)),
    )
    .await?;
    let n = args.overhead_records.min(20_000);
    rollups::fold(&db).await?;
    overhead(
        &mut conn,
        &writer,
        Writes::Committed,
        n,
        &format!(
            "one record per committed transaction, as the server writes ({} records)",
            thousands(n)
        ),
    )
    .await?;
    drop(conn);

    // (c) verify.
    let t = Instant::now();
    let checks = rollups::check(&db).await?;
    let rows: i64 = checks.iter().map(|c| c.stored_rows).sum();
    let bad: usize = checks.iter().map(|c| c.mismatches.len()).sum();
    println!(
        "[c] verify: {} rule levels, {} roll-up rows against a recount of every record: {} in {}",
        checks.len(),
        thousands(u64::try_from(rows)?),
        if bad == 0 {
            "all equal".to_string()
        } else {
            format!("{bad} MISMATCHES")
        },
        secs(t.elapsed())
    );
    db.close().await;

    // (d) the server's memory.
    println!(
        "[d] shanhai serve on this database: 4 clients walking the dashboard for {} s",
        args.serve_seconds
    );
    serve_phase(args, bin, dir, url, &program, &province, &city).await?;
    if bad > 0 {
        bail!("the roll-ups differ from the recount");
    }
    Ok(())
}
