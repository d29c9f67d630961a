//! Times the planner on a generated national-size instance: `cargo run --release -p
//! shanhai-planner --example national -- [seconds] [seed]`.

#![allow(clippy::expect_used)]

use shanhai_planner::testgen::{Size, generate};
use shanhai_planner::{Options, check, greedy, solve};
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10.0);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let inst = generate(Size::NATIONAL, seed);
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
        if p.objective != last {
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
}
