//! `cargo run --release -p shanhai-bench --bin planner -- [--sizes tiny,small,medium,large,national]
//! [--seconds 30] [--reference-seconds N] [--no-reference] [--seed 1]`: the deployment planner
//! (C13) on generated instances (`shanhai_planner::generate`), from tiny (5 experts, 8 needs,
//! 8 weeks) to national (500 experts, 300 needs, 52 weeks, 30 hospitals, teams). For each size,
//! in one run:
//!
//! - a coordinator's greedy (`shanhai_planner::greedy`): its objective and time;
//! - our solver (`shanhai_planner::solve`, one run with the time limit): the objective reached
//!   at 5 s and at the limit (read from the progress callback), the time to the first feasible
//!   plan, and its proven bound;
//! - every plan validated with `check` (must be empty) and its objective recomputed;
//! - a reference: the instance written as JSON and solved by bench/planner/reference.py, an
//!   independent CP-SAT model (OR-Tools from PyPI, in a venv this command creates in
//!   target/planner-venv when missing) built from the model documented in the planner crate;
//!   its plan is checked with our `check` and its objective recomputed by ours — any
//!   difference means the two models differ, and is reported loudly (exit status 1).
//!
//! Ours and the reference run one after the other, never at the same time. See bench/README.md.

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::Value;
use shanhai_planner::generate::{self, Size};
use shanhai_planner::{Instance, Options, Progress, Solution, Stint};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(
    name = "planner",
    about = "The deployment planner against a greedy and an independent CP-SAT reference"
)]
struct Args {
    /// Instance sizes, comma-separated: tiny, small, medium, large, national.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "tiny,small,medium,large,national"
    )]
    sizes: Vec<String>,
    /// Our solver's time limit in seconds (the objective is also read at 5 s).
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    /// The reference's time limit in seconds (default: 10 tiny and small, 20 medium, 40
    /// large, 60 national).
    #[arg(long)]
    reference_seconds: Option<f64>,
    /// Skip the reference (no Python, no network).
    #[arg(long)]
    no_reference: bool,
    /// The generator's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// CP-SAT workers for the reference (the aim is stated for 2 cores).
    #[arg(long, default_value_t = 2)]
    reference_workers: u32,
    /// Print each of the reference's improvements.
    #[arg(long)]
    verbose: bool,
    /// Keep each instance's JSON and the reference's answer in this directory.
    #[arg(long)]
    keep: Option<PathBuf>,
}

/// What the reference printed.
struct Reference {
    status: String,
    objective: Option<u64>,
    bound: Option<u64>,
    seconds: f64,
    first_solution: Option<f64>,
    candidates: u64,
    stints: Vec<Stint>,
}

struct Row {
    name: String,
    needs: usize,
    experts: usize,
    weeks: i64,
    greedy: u64,
    greedy_time: Duration,
    at5: u64,
    at_limit: u64,
    first_feasible: Duration,
    elapsed: Duration,
    bound: u64,
    optimal: bool,
    reference: Option<Reference>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn default_reference_seconds(name: &str) -> f64 {
    match name {
        "tiny" | "small" => 10.0,
        "medium" => 20.0,
        "large" => 40.0,
        _ => 60.0,
    }
}

/// The Python of a venv with OR-Tools, created (and OR-Tools installed from PyPI) when missing.
fn python() -> Result<PathBuf> {
    let venv = workspace_root().join("target").join("planner-venv");
    let python = venv.join("bin").join("python");
    let has_ortools = |python: &Path| {
        Command::new(python)
            .args(["-c", "import ortools.sat.python.cp_model"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if python.exists() && has_ortools(&python) {
        return Ok(python);
    }
    if !python.exists() {
        eprintln!(
            "planner: creating the reference's Python venv in {}",
            venv.display()
        );
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("python3 -m venv (is python3 with venv installed?)")?;
        if !status.success() {
            bail!("python3 -m venv {} failed: {status}", venv.display());
        }
    }
    eprintln!("planner: installing OR-Tools from PyPI into the venv (pip install ortools)");
    let status = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--disable-pip-version-check", "ortools"])
        .status()
        .context("pip install ortools")?;
    if !status.success() || !has_ortools(&python) {
        bail!("pip install ortools failed: {status}");
    }
    Ok(python)
}

fn reference(
    python: &Path,
    instance: &Instance,
    name: &str,
    seconds: f64,
    args: &Args,
) -> Result<Reference> {
    let dir = match &args.keep {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir(),
    };
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!(
        "planner-{name}-{}-{}.json",
        args.seed,
        std::process::id()
    ));
    std::fs::write(&file, serde_json::to_vec(instance)?)?;
    let script = workspace_root().join("bench/planner/reference.py");
    let mut command = Command::new(python);
    command
        .arg(&script)
        .arg(&file)
        .args(["--time-limit", &seconds.to_string()])
        .args(["--workers", &args.reference_workers.to_string()])
        .args(["--seed", &args.seed.to_string()])
        .stderr(Stdio::inherit());
    if args.verbose {
        command.arg("--verbose");
    }
    let output = command.output().context("running the reference")?;
    if args.keep.is_none() {
        let _ = std::fs::remove_file(&file);
    } else {
        std::fs::write(
            dir.join(format!("planner-{name}-{}-reference.json", args.seed)),
            &output.stdout,
        )?;
    }
    if !output.status.success() {
        bail!("the reference failed: {}", output.status);
    }
    let answer: Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "the reference's answer: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })?;
    Ok(Reference {
        status: answer["status"].as_str().unwrap_or("?").to_string(),
        objective: answer["objective"].as_u64(),
        bound: answer["bound"].as_u64(),
        seconds: answer["wall_seconds"].as_f64().unwrap_or(f64::NAN),
        first_solution: answer["first_solution_seconds"].as_f64(),
        candidates: answer["candidates"].as_u64().unwrap_or(0),
        stints: serde_json::from_value(answer["stints"].clone())
            .context("the reference's stints")?,
    })
}

/// Checks a plan with our `check` and our `objective`; each problem goes to `problems`.
fn validate(
    instance: &Instance,
    who: &str,
    stints: &[Stint],
    claimed: u64,
    problems: &mut Vec<String>,
) -> u64 {
    let violations = shanhai_planner::check(instance, stints);
    for v in &violations {
        problems.push(format!(
            "{who}: stint {} × {} {}–{} breaks {:?}",
            v.stint.need_id, v.stint.expert_id, v.stint.period.start, v.stint.period.end, v.rule
        ));
    }
    let recomputed = shanhai_planner::objective(instance, stints);
    if recomputed != claimed {
        problems.push(format!(
            "{who}: objective claimed {claimed}, recomputed by ours {recomputed}"
        ));
    }
    for pin in &instance.pinned {
        if !stints.contains(pin) {
            problems.push(format!(
                "{who}: pinned stint {} × {} {}–{} missing",
                pin.need_id, pin.expert_id, pin.period.start, pin.period.end
            ));
        }
    }
    recomputed
}

fn run_size(
    name: &str,
    size: Size,
    args: &Args,
    python: Option<&Path>,
    problems: &mut Vec<String>,
) -> Result<Row> {
    let instance = generate::instance(size, args.seed);
    let upper: u64 = instance
        .needs
        .iter()
        .map(|n| u64::from(n.priority) * n.window.days() as u64)
        .sum();
    eprintln!(
        "planner: {name}: {} needs ({} in teams), {} experts, {} weeks, {} pinned; every need \
         fully covered would score {upper}",
        instance.needs.len(),
        instance.needs.iter().filter(|n| n.team.is_some()).count(),
        instance.experts.len(),
        instance.horizon.days() / 7,
        instance.pinned.len(),
    );

    let started = Instant::now();
    let greedy = shanhai_planner::greedy(&instance);
    let greedy_time = started.elapsed();
    let greedy_objective = validate(
        &instance,
        &format!("{name} greedy"),
        &greedy.stints,
        greedy.objective,
        problems,
    );
    eprintln!(
        "planner: {name}: greedy {greedy_objective} in {:.1} ms",
        greedy_time.as_secs_f64() * 1e3
    );

    let options = Options {
        time_limit: Duration::from_secs_f64(args.seconds),
        seed: args.seed,
        max_rounds: None,
    };
    let mut trace: Vec<(Duration, u64)> = Vec::new();
    let mut last_print = Instant::now();
    let solution: Solution =
        match shanhai_planner::solve(&instance, &options, &mut |p: Progress| {
            trace.push((p.elapsed, p.objective));
            if last_print.elapsed() >= Duration::from_secs(5) {
                last_print = Instant::now();
                eprintln!(
                    "planner: {name}: ours {:5.1} s objective {} bound {}",
                    p.elapsed.as_secs_f64(),
                    p.objective,
                    p.bound
                );
            }
        }) {
            Ok(s) => s,
            Err(violations) => {
                bail!("{name}: our solver refused the instance's pinned stints: {violations:?}")
            }
        };
    let reached = |t: Duration| -> u64 {
        if solution.elapsed <= t {
            return solution.objective;
        }
        trace
            .iter()
            .filter(|(at, _)| *at <= t)
            .map(|(_, o)| *o)
            .max()
            .unwrap_or(0)
    };
    let at5 = reached(Duration::from_secs(5));
    let at_limit = solution.objective;
    validate(
        &instance,
        &format!("{name} ours"),
        &solution.stints,
        solution.objective,
        problems,
    );
    if solution.bound < solution.objective {
        problems.push(format!(
            "{name} ours: bound {} below its own objective {}",
            solution.bound, solution.objective
        ));
    }
    eprintln!(
        "planner: {name}: ours {at_limit} (5 s: {at5}), bound {}{}, first feasible {:.1} ms, \
         {:.2} s",
        solution.bound,
        if solution.optimal { " (optimal)" } else { "" },
        solution.first_feasible.as_secs_f64() * 1e3,
        solution.elapsed.as_secs_f64()
    );

    let reference = match python {
        None => None,
        Some(python) => {
            let seconds = args
                .reference_seconds
                .unwrap_or_else(|| default_reference_seconds(name));
            eprintln!("planner: {name}: reference (CP-SAT, {seconds} s limit) …");
            let r = reference(python, &instance, name, seconds, args)?;
            let who = format!("{name} reference");
            if let Some(objective) = r.objective {
                validate(&instance, &who, &r.stints, objective, problems);
                if solution.bound < objective {
                    problems.push(format!(
                        "{name}: our bound {} is below the reference's plan's objective \
                         {objective}: our bound is not a bound, or the models differ",
                        solution.bound
                    ));
                }
            }
            if let Some(bound) = r.bound
                && at_limit > bound
            {
                problems.push(format!(
                    "{name}: ours {at_limit} exceeds the reference's proven bound {bound}: the \
                     models differ (our plan breaks a rule the reference knows)"
                ));
            }
            eprintln!(
                "planner: {name}: reference {} objective {} bound {} in {:.1} s ({} candidate \
                 intervals, first solution {})",
                r.status,
                r.objective.map_or("-".into(), |o| o.to_string()),
                r.bound.map_or("-".into(), |o| o.to_string()),
                r.seconds,
                r.candidates,
                r.first_solution
                    .map_or("-".into(), |s| format!("{:.2} s", s))
            );
            Some(r)
        }
    };

    Ok(Row {
        name: name.to_string(),
        needs: instance.needs.len(),
        experts: instance.experts.len(),
        weeks: instance.horizon.days() / 7,
        greedy: greedy_objective,
        greedy_time,
        at5,
        at_limit,
        first_feasible: solution.first_feasible,
        elapsed: solution.elapsed,
        bound: solution.bound,
        optimal: solution.optimal,
        reference,
    })
}

fn percent(part: f64, whole: f64) -> String {
    if whole == 0.0 {
        "-".into()
    } else {
        format!("{:.2} %", 100.0 * part / whole)
    }
}

fn print_table(rows: &[Row], seconds: f64) {
    let limit = format!("{seconds:.0} s");
    println!();
    println!(
        "| size | needs/experts/weeks | greedy | ours@5s | ours@{limit} | first feasible | ours \
         solved in | our bound | reference | gap to reference | proven gap | ours/greedy |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|");
    for r in rows {
        let reference = match &r.reference {
            None => "-".to_string(),
            Some(x) => match (x.objective, x.bound) {
                (Some(o), _) if x.status == "OPTIMAL" => {
                    format!("{o} (optimal, {:.1} s)", x.seconds)
                }
                (Some(o), Some(b)) => format!("{o} ≤ {b} ({:.0} s)", x.seconds),
                _ => x.status.clone(),
            },
        };
        let gap = r
            .reference
            .as_ref()
            .and_then(|x| x.objective)
            .map_or("-".into(), |o| {
                percent(o as f64 - r.at_limit as f64, o as f64)
            });
        let best_bound = r
            .reference
            .as_ref()
            .and_then(|x| x.bound)
            .map_or(r.bound, |b| b.min(r.bound));
        println!(
            "| {} | {}/{}/{} | {} ({:.1} ms) | {} | {} | {:.1} ms | {:.2} s{} | {} | {} | {} | {} | {} |",
            r.name,
            r.needs,
            r.experts,
            r.weeks,
            r.greedy,
            r.greedy_time.as_secs_f64() * 1e3,
            r.at5,
            r.at_limit,
            r.first_feasible.as_secs_f64() * 1e3,
            r.elapsed.as_secs_f64(),
            if r.optimal { " (optimal)" } else { "" },
            r.bound,
            reference,
            gap,
            percent(best_bound as f64 - r.at_limit as f64, best_bound as f64),
            if r.greedy == 0 {
                "-".into()
            } else {
                format!("{:.3}", r.at_limit as f64 / r.greedy as f64)
            },
        );
    }
    println!();
    println!(
        "gap to reference: (reference's objective − ours@{limit}) / reference's objective \
         (negative: ours is better); proven gap: (the lower of the two bounds − ours@{limit}) / \
         that bound."
    );
}

fn main() -> Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let mut sizes = Vec::new();
    for name in &args.sizes {
        match Size::preset(name) {
            Some(size) => sizes.push((name.clone(), size)),
            None => bail!("unknown size {name:?} (tiny, small, medium, large, national)"),
        }
    }
    let python = if args.no_reference {
        None
    } else {
        Some(python()?)
    };
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    for (name, size) in &sizes {
        rows.push(run_size(
            name,
            *size,
            &args,
            python.as_deref(),
            &mut problems,
        )?);
    }
    print_table(&rows, args.seconds);
    println!(
        "seed {}, total {:.0} s",
        args.seed,
        started.elapsed().as_secs_f64()
    );
    if !problems.is_empty() {
        println!();
        println!(
            "!!!!!!!! THE MODELS DIFFER OR A PLAN BREAKS A RULE ({} problems) !!!!!!!!",
            problems.len()
        );
        for p in problems.iter().take(50) {
            println!("!! {p}");
        }
        if problems.len() > 50 {
            println!("!! … and {} more", problems.len() - 50);
        }
        std::process::exit(1);
    }
    Ok(())
}
