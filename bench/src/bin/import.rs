//! `cargo run --release -p shanhai-bench --bin import`: rows per second of `shanhai import` of a
//! million-row CSV of teaching activities, every row checked, against `sqlite3`'s own `.import`
//! of the same file into a plain table, in the same run. See bench/README.md.

use anyhow::{Context, Result, bail};
use clap::Parser;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(name = "import", about = "shanhai import against sqlite3 .import")]
struct Args {
    /// Data rows in the generated CSV.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Institutions the rows are spread over.
    #[arg(long, default_value_t = 100)]
    institutions: usize,
    /// The shanhai binary (default: target/release/shanhai).
    #[arg(long)]
    server: Option<PathBuf>,
    /// The sqlite3 shell.
    #[arg(long, default_value = "/usr/bin/sqlite3")]
    sqlite3: PathBuf,
}

const KINDS: &[&str] = &["教学查房", "学术讲座", "手术示教", "病例讨论", "业务培训"];

fn institution(i: usize) -> String {
    format!("基准测试第{i}人民医院")
}

fn generate(path: &Path, args: &Args) -> Result<u64> {
    let mut csv = String::with_capacity(args.rows * 120);
    csv.push_str("机构,类型,日期,主题,地点,线上,时长（分钟）,参加人次\n");
    for i in 0..args.rows {
        let day = i % 1826;
        let (y, d) = (2021 + day / 365, day % 365);
        let (m, dd) = (1 + d / 31 % 12, 1 + d % 28);
        let _ = writeln!(
            csv,
            "{},{},{y}-{m:02}-{dd:02},第{i}次业务学习：常见病诊疗规范,示教室,否,{},{}",
            institution(i % args.institutions),
            KINDS[i % KINDS.len()],
            30 + i % 120,
            5 + i % 60
        );
    }
    std::fs::write(path, &csv)?;
    Ok(csv.len() as u64)
}

/// Wall time and CPU seconds (user + system, every thread) of one command.
struct Took {
    wall: Duration,
    cpu: Option<f64>,
}

fn timed(what: &str, cmd: &mut Command) -> Result<Took> {
    let cpu_before = children_cpu();
    let start = Instant::now();
    let out = cmd.output().with_context(|| what.to_string())?;
    let wall = start.elapsed();
    if !out.status.success() {
        bail!(
            "{what} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cpu = children_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    Ok(Took { wall, cpu })
}

/// CPU seconds of this process's waited-for children so far (Linux: `cutime` + `cstime` of
/// `/proc/self/stat`, in clock ticks of 1/100 s). On shared cores the wall time of a step
/// depends on what else runs; its CPU time much less, so the benchmark prints both.
fn children_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // Fields 16 and 17 of the file; the first after the command's `)` is field 3.
    Some((ticks(13)? + ticks(14)?) / 100.0)
}

fn count(sqlite3: &Path, db: &Path, table: &str) -> Result<u64> {
    let out = Command::new(sqlite3)
        .arg(db)
        .arg(format!("SELECT COUNT(*) FROM {table}"))
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = args
        .server
        .clone()
        .unwrap_or_else(|| target.join("release/shanhai"));
    if !bin.exists() {
        bail!(
            "{} is missing: cargo build --release -p shanhai",
            bin.display()
        );
    }
    let dir = std::env::temp_dir().join(format!("shanhai-import-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("teaching.csv");
    let bytes = generate(&csv, &args)?;
    println!(
        "{} rows, {:.0} MiB CSV, {} institutions",
        args.rows,
        bytes as f64 / 1048576.0,
        args.institutions
    );

    // Baseline: the sqlite3 shell's own CSV import into a plain table (no checks, no indexes,
    // no ids or timestamps, no roll-ups): the least any import of this file can cost.
    let plain = dir.join("plain.db");
    let baseline = timed(
        "sqlite3 .import",
        Command::new(&args.sqlite3)
            .arg(&plain)
            .arg(".mode csv")
            .arg(format!(".import {} teaching", csv.display())),
    )?;
    let plain_rows = count(&args.sqlite3, &plain, "teaching")?;

    // The database shanhai imports into: migrated, with the institutions the rows name.
    let db = dir.join("shanhai.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let shanhai = |extra: &[&str]| {
        let mut c = Command::new(&bin);
        c.args(["--database-url", &url, "--data-dir"])
            .arg(&dir)
            .args(["--lang", "en"]);
        c.args(extra);
        c
    };
    timed("shanhai migrate", &mut shanhai(&["migrate"]))?;
    let mut setup = String::from(
        "BEGIN; INSERT INTO regions (code, name, level, parent_code, created_at, updated_at) \
         VALUES ('650000', '新疆维吾尔自治区', 'province', NULL, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');",
    );
    for i in 0..args.institutions {
        let _ = write!(
            setup,
            "INSERT INTO institutions (id, name, kind, grade, region_code, created_at, updated_at) \
             VALUES ('00000000-0000-7000-8000-{i:012}', '{}', 'hospital', '2A', '650000', \
             '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');",
            institution(i)
        );
    }
    setup.push_str("COMMIT;");
    timed("setup", Command::new(&args.sqlite3).arg(&db).arg(&setup))?;
    let file = csv.to_string_lossy().into_owned();
    let dry = timed(
        "shanhai import --dry-run",
        &mut shanhai(&["import", "teaching-activities", &file, "--dry-run"]),
    )?;
    let real = timed(
        "shanhai import",
        &mut shanhai(&["import", "teaching-activities", &file]),
    )?;
    let imported = count(&args.sqlite3, &db, "teaching_activities")?;
    let again = timed(
        "shanhai import (again: every row unchanged)",
        &mut shanhai(&["import", "teaching-activities", &file]),
    )?;
    let after = count(&args.sqlite3, &db, "teaching_activities")?;
    if plain_rows != args.rows as u64 || imported != args.rows as u64 || after != imported {
        bail!(
            "row counts differ: sqlite3 {plain_rows}, shanhai {imported}, after re-import {after}"
        );
    }

    let rate = |d: Duration| args.rows as f64 / d.as_secs_f64();
    let base = rate(baseline.wall);
    let cpu = |t: &Took| t.cpu.map_or_else(|| "-".to_string(), |c| format!("{c:.2}"));
    println!(
        "{:<44} {:>8.2} s {:>10.0} rows/s  cpu {:>6} s",
        "sqlite3 .import (baseline)",
        baseline.wall.as_secs_f64(),
        base,
        cpu(&baseline)
    );
    for (what, t) in [
        ("shanhai import --dry-run (check every row)", &dry),
        ("shanhai import (check and write)", &real),
        ("shanhai import again (all unchanged)", &again),
    ] {
        println!(
            "{what:<44} {:>8.2} s {:>10.0} rows/s  cpu {:>6} s  ratio {:.2}",
            t.wall.as_secs_f64(),
            rate(t.wall),
            cpu(t),
            rate(t.wall) / base
        );
    }
    println!(
        "ratios to sqlite3 .import: dry run {:.2}, import {:.2} (goal: import >= 0.30, {}); \
         CPU seconds, import / sqlite3: {}",
        rate(dry.wall) / base,
        rate(real.wall) / base,
        if rate(real.wall) / base >= 0.3 {
            "met"
        } else {
            "missed"
        },
        match (real.cpu, baseline.cpu) {
            (Some(r), Some(b)) if b > 0.0 => format!("{:.1}", r / b),
            _ => "-".to_string(),
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
