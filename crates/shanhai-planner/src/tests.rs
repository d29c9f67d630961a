#![allow(clippy::expect_used, clippy::unwrap_used)] // a case that cannot set up stops with the reason

use super::*;
use crate::testgen::{Size, generate};
use proptest::prelude::*;

fn opts(rounds: u64) -> Options {
    Options {
        time_limit: Duration::from_secs(5),
        seed: 7,
        max_rounds: Some(rounds),
    }
}

fn solve_quiet(instance: &Instance, rounds: u64) -> Solution {
    solve(instance, &opts(rounds), &mut |_| {}).expect("pinned stints are fine")
}

fn small(seed: u64) -> Instance {
    let mut size = Size::SMALL;
    size.experts = 8 + (seed % 7) as usize;
    size.needs = 10 + (seed % 11) as usize;
    size.weeks = 10 + (seed % 9) as i64;
    generate(size, seed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn greedy_and_solve_are_feasible_and_consistent(seed in 0u64..100_000) {
        let inst = small(seed);
        let g = greedy(&inst);
        prop_assert_eq!(check(&inst, &g.stints), vec![]);
        prop_assert_eq!(objective(&inst, &g.stints), g.objective);
        let s = solve_quiet(&inst, 200);
        prop_assert_eq!(check(&inst, &s.stints), vec![]);
        prop_assert_eq!(objective(&inst, &s.stints), s.objective);
        prop_assert!(s.objective <= s.bound, "{} > bound {}", s.objective, s.bound);
        prop_assert!(g.objective <= s.objective);
    }
}
