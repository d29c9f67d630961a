//! Times the planner on a generated instance: `cargo run --release -p shanhai-planner
//! --example national -- [seconds] [seed] [size]` (the bench's generator; size tiny … national).

#![allow(clippy::expect_used)]

use shanhai_planner::generate::{Size, instance};
use shanhai_planner::{Options, Reason, check, explain, fits, greedy, solve};
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10.0);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let size = args
        .get(3)
        .and_then(|s| Size::preset(s))
        .unwrap_or(Size::NATIONAL);
    let inst = instance(size, seed);
    let quiet = args.get(4).is_some();
    if let Ok(path) = std::env::var("DUMP") {
        std::fs::write(&path, serde_json::to_string(&inst).expect("json")).expect("write");
    }
    let g = greedy(&inst);
    println!(
        "greedy: objective {} bound {} in {:?}",
        g.objective, g.bound, g.elapsed
    );
    let options = Options {
        time_limit: Duration::from_secs_f64(secs),
        seed,
        max_rounds: None,
    };
    let mut last = 0;
    let s = solve(&inst, &options, &mut |p| {
        if p.objective != last && !quiet {
            last = p.objective;
            println!(
                "{:>8.3}s objective {} bound {}",
                p.elapsed.as_secs_f64(),
                p.objective,
                p.bound
            );
        }
    })
    .expect("no pinned stints");
    println!(
        "solve: objective {} bound {} gap {:.2}% first feasible {:?} elapsed {:?} violations {}",
        s.objective,
        s.bound,
        100.0 * (s.bound - s.objective) as f64 / s.bound.max(1) as f64,
        s.first_feasible,
        s.elapsed,
        check(&inst, &s.stints).len()
    );
    let t = std::time::Instant::now();
    let explanations = explain(&inst, &s);
    println!("explain: {} needs in {:?}", explanations.len(), t.elapsed());
    let t = std::time::Instant::now();
    let f = fits(&inst, &s, &inst.experts[0].id, 5);
    println!("fits: {} places in {:?}", f.len(), t.elapsed());
    let mut kinds = std::collections::BTreeMap::new();
    for e in explanations {
        let need = inst.needs.iter().find(|n| n.id == e.need_id).expect("need");
        let lost = (e.window_days - e.covered_days) as u64 * need.priority as u64;
        for r in &e.reasons {
            let k = match r {
                Reason::NoCandidate => "no candidate",
                Reason::TakenBy { .. } => "taken by",
                Reason::MinimumStayCannotFit { .. } => "minimum stay",
                Reason::NoLeader => "no leader",
            };
            *kinds.entry(k).or_insert(0u64) += lost;
        }
        if e.reasons.is_empty() {
            *kinds.entry("none").or_insert(0u64) += lost;
        }
    }
    println!("uncovered priority-days by reason: {kinds:?}");
}
