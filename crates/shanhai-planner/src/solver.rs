//! The coordinator's greedy and the large neighbourhood search built on the exact per-need
//! recreation.

use crate::bound::bound;
use crate::model::{BUSY, Model};
use crate::search::{Scratch, State};
use crate::{Instance, Options, Progress, Solution, Stint};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

/// Positions of the need's segments where a pinned stint starts, with its end position.
fn pinned_jump(m: &Model, n: usize, pos: usize) -> Option<usize> {
    let nd = &m.needs[n];
    let a = nd.seg[pos];
    nd.pinned
        .iter()
        .find(|p| p.1 <= a && a < p.2)
        .map(|p| nd.seg.partition_point(|&x| x < p.2))
}

/// Fills need `n` the coordinator's way: from the window's start, the earliest position where
/// an expert (first in the instance's order) can start, for the longest stint; with splits,
/// on to the rest of the window.
fn greedy_fill(m: &Model, s: &mut State, n: usize) {
    let nd = &m.needs[n];
    if !nd.split && !nd.pinned.is_empty() {
        return;
    }
    let np = nd.seg.len() - 1;
    let need_len = nd.min.max(1);
    let mut pos = 0usize;
    while pos < np {
        if let Some(j) = pinned_jump(m, n, pos) {
            pos = j.max(pos + 1);
            continue;
        }
        let a = nd.seg[pos];
        let mut placed = None;
        for &e in &nd.cands {
            if let Some(lim) = s.max_end(m, n, e, a, true) {
                let hi = nd.seg.partition_point(|&x| x <= lim) - 1;
                if hi > pos && nd.seg[hi] - a >= need_len {
                    placed = Some((e, hi));
                    break;
                }
            }
        }
        match placed {
            Some((e, hi)) => {
                s.add(m, n, e, a, nd.seg[hi], false);
                if !nd.split {
                    return;
                }
                pos = hi;
            }
            None => pos += 1,
        }
    }
}

pub(crate) fn greedy_state(m: &Model) -> State {
    let mut s = State::new(m);
    let mut order: Vec<usize> = (0..m.needs.len()).collect();
    order.sort_by_key(|&n| (-m.needs[n].prio, m.needs[n].start, n));
    let mut done = vec![false; m.needs.len()];
    for &n in &order {
        if done[n] {
            continue;
        }
        if let Some(l) = m.needs[n].leader
            && !done[l as usize]
        {
            continue;
        }
        greedy_fill(m, &mut s, n);
        done[n] = true;
        for &mem in &order {
            if m.needs[mem].leader == Some(n as u32) && !done[mem] {
                greedy_fill(m, &mut s, mem);
                done[mem] = true;
            }
        }
    }
    s
}

pub(crate) fn to_solution(instance: &Instance, m: &Model, s: &State) -> Vec<Stint> {
    let mut out: Vec<Stint> = instance.pinned.clone();
    for (n, v) in s.st.iter().enumerate() {
        for &(e, a, b, pinned) in v {
            if !pinned {
                out.push(Stint {
                    need_id: instance.needs[n].id.clone(),
                    expert_id: instance.experts[e as usize].id.clone(),
                    period: m.period(a, b),
                });
            }
        }
    }
    out
}

/// A need and its stints before a round, to undo it.
type Saved = (usize, Vec<(u32, i32, i32)>);

pub(crate) struct Search<'a> {
    pub m: &'a Model,
    pub s: State,
    sc: Scratch,
    rng: StdRng,
    /// Needs sharing a candidate expert with each need and overlapping its window.
    related: Vec<Vec<u32>>,
    saved: Vec<Saved>,
    ruined: Vec<usize>,
}

impl<'a> Search<'a> {
    pub fn new(m: &'a Model, s: State, seed: u64) -> Search<'a> {
        let mut by_expert: Vec<Vec<u32>> = vec![Vec::new(); m.experts.len()];
        for (n, nd) in m.needs.iter().enumerate() {
            for &e in &nd.cands {
                by_expert[e as usize].push(n as u32);
            }
        }
        let mut related = Vec::with_capacity(m.needs.len());
        let mut mark = vec![false; m.needs.len()];
        for (n, nd) in m.needs.iter().enumerate() {
            let mut r = Vec::new();
            for &e in &nd.cands {
                for &o in &by_expert[e as usize] {
                    let od = &m.needs[o as usize];
                    if o as usize != n
                        && !mark[o as usize]
                        && od.start < nd.end + m.rest
                        && nd.start < od.end + m.rest
                    {
                        mark[o as usize] = true;
                        r.push(o);
                    }
                }
            }
            for &o in &r {
                mark[o as usize] = false;
            }
            related.push(r);
        }
        Search {
            m,
            s,
            sc: Scratch::default(),
            rng: StdRng::seed_from_u64(seed),
            related,
            saved: Vec::new(),
            ruined: Vec::new(),
        }
    }

    /// Recreates need `n` (already cleared) exactly given the rest; a leader with members
    /// tries its best few stints and keeps the one that covers the most with its members.
    pub fn recreate(&mut self, n: usize) {
        let m = self.m;
        let nd = &m.needs[n];
        if nd.members.is_empty() || !nd.pinned.is_empty() {
            self.s.best_for_need(m, n, &mut self.sc);
            for &(e, a, b) in &self.sc.out {
                self.s.add(m, n, e, a, b, false);
            }
            for k in 0..nd.members.len() {
                let mem = nd.members[k] as usize;
                self.recreate(mem);
            }
            return;
        }
        let cands = self.s.single_candidates(m, n, 6);
        let mut best: Option<(i64, usize)> = None;
        for (ci, &(e, a, b)) in cands.iter().enumerate() {
            let before = self.s.obj;
            self.s.add(m, n, e, a, b, false);
            for k in 0..nd.members.len() {
                let mem = nd.members[k] as usize;
                self.recreate(mem);
            }
            let gain = self.s.obj - before;
            self.s.clear(m, n);
            if best.is_none_or(|(g, _)| gain > g) {
                best = Some((gain, ci));
            }
        }
        if let Some((_, ci)) = best {
            let (e, a, b) = cands[ci];
            self.s.add(m, n, e, a, b, false);
            for k in 0..nd.members.len() {
                let mem = nd.members[k] as usize;
                self.recreate(mem);
            }
        }
    }

    fn save(&mut self, n: usize) {
        if self.saved.iter().any(|x| x.0 == n) {
            return;
        }
        let v = self.s.st[n]
            .iter()
            .filter(|x| !x.3)
            .map(|&(e, a, b, _)| (e, a, b))
            .collect();
        self.saved.push((n, v));
        for k in 0..self.m.needs[n].members.len() {
            self.save(self.m.needs[n].members[k] as usize);
        }
    }

    /// One ruin-and-recreate round; returns whether the objective is at least what it was
    /// (otherwise the round is undone).
    pub fn round(&mut self) -> bool {
        let m = self.m;
        let nn = m.needs.len();
        if nn == 0 {
            return false;
        }
        let before = self.s.obj;
        // Seed: often a need not fully covered.
        let n0 = if self.rng.gen_bool(0.6) {
            let mut pick = None;
            for _ in 0..8 {
                let n = self.rng.gen_range(0..nn);
                let nd = &m.needs[n];
                if !nd.cands.is_empty() && self.s.cov[n] < (nd.end - nd.start) as i64 {
                    pick = Some(n);
                    break;
                }
            }
            pick.unwrap_or_else(|| self.rng.gen_range(0..nn))
        } else {
            self.rng.gen_range(0..nn)
        };
        self.ruined.clear();
        self.ruined.push(n0);
        let q = self.rng.gen_range(2..=10usize);
        // The needs holding n0's candidates around its window.
        let nd0 = &m.needs[n0];
        let mut blockers: Vec<usize> = Vec::new();
        for &e in &nd0.cands {
            for &(a, b, w) in &self.s.occ[e as usize] {
                if w != BUSY
                    && a < nd0.end + m.rest
                    && nd0.start < b + m.rest
                    && !blockers.contains(&(w as usize))
                    && w as usize != n0
                {
                    blockers.push(w as usize);
                }
            }
        }
        blockers.shuffle(&mut self.rng);
        for b in blockers {
            if self.ruined.len() >= q {
                break;
            }
            self.ruined.push(b);
        }
        let rel = &self.related[n0];
        let mut tries = 0;
        while self.ruined.len() < q && !rel.is_empty() && tries < 3 * q {
            let o = rel[self.rng.gen_range(0..rel.len())] as usize;
            if !self.ruined.contains(&o) {
                self.ruined.push(o);
            }
            tries += 1;
        }
        // A member whose leader is ruined is recreated with the leader.
        let ruined = std::mem::take(&mut self.ruined);
        let mut order: Vec<usize> = ruined
            .iter()
            .copied()
            .filter(|&n| {
                !m.needs[n]
                    .leader
                    .is_some_and(|l| ruined.contains(&(l as usize)))
            })
            .collect();
        self.saved.clear();
        for &n in &order {
            self.save(n);
        }
        for &n in &order {
            self.s.clear(m, n);
        }
        // Recreate: by priority with noise, or at random.
        if self.rng.gen_bool(0.7) {
            let mut keyed: Vec<(i64, usize)> = order
                .iter()
                .map(|&n| (-(m.needs[n].prio * 1000) - self.rng.gen_range(0..1500), n))
                .collect();
            keyed.sort();
            order = keyed.into_iter().map(|x| x.1).collect();
        } else {
            order.shuffle(&mut self.rng);
        }
        for &n in &order {
            self.recreate(n);
        }
        let ok = self.s.obj >= before;
        if !ok {
            for &n in &order {
                self.s.clear(m, n);
            }
            let saved = std::mem::take(&mut self.saved);
            for (n, v) in &saved {
                for &(e, a, b) in v {
                    self.s.add(m, *n, e, a, b, false);
                }
            }
            self.saved = saved;
        }
        self.ruined = ruined;
        ok
    }
}

pub(crate) fn run(
    instance: &Instance,
    m: &Model,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Solution {
    let t0 = Instant::now();
    let s = greedy_state(m);
    let first_feasible = t0.elapsed();
    let ub = bound(m);
    let mut best = s.clone();
    let fraction = |elapsed: Duration, round: u64| -> f64 {
        let by_time = elapsed.as_secs_f64() / options.time_limit.as_secs_f64().max(1e-9);
        let by_rounds = options
            .max_rounds
            .map_or(0.0, |r| round as f64 / (r.max(1)) as f64);
        by_time.max(by_rounds).min(1.0)
    };
    progress(Progress {
        fraction: 0.0,
        objective: best.obj as u64,
        bound: ub as u64,
        elapsed: t0.elapsed(),
    });
    let mut search = Search::new(m, s, options.seed);
    let mut round = 0u64;
    let mut last_report = Instant::now();
    let mut complete = false;
    if best.obj < ub
        && let Some(opt) = crate::exact::exact(m, &best, t0, options)
    {
        complete = true;
        if opt.obj > best.obj {
            best = opt;
        }
    }
    while !complete && best.obj < ub {
        if options.max_rounds.is_some_and(|r| round >= r) || t0.elapsed() >= options.time_limit {
            break;
        }
        search.round();
        round += 1;
        if search.s.obj > best.obj {
            best = search.s.clone();
            last_report = Instant::now();
            progress(Progress {
                fraction: fraction(t0.elapsed(), round),
                objective: best.obj as u64,
                bound: ub as u64,
                elapsed: t0.elapsed(),
            });
        } else if last_report.elapsed() >= Duration::from_millis(500) {
            last_report = Instant::now();
            progress(Progress {
                fraction: fraction(t0.elapsed(), round),
                objective: best.obj as u64,
                bound: ub as u64,
                elapsed: t0.elapsed(),
            });
        }
    }
    let stints = to_solution(instance, m, &best);
    let optimal = complete || best.obj >= ub;
    let bound = if complete { best.obj } else { ub };
    progress(Progress {
        fraction: 1.0,
        objective: best.obj as u64,
        bound: bound as u64,
        elapsed: t0.elapsed(),
    });
    Solution {
        stints,
        objective: best.obj as u64,
        bound: bound as u64,
        optimal,
        first_feasible,
        elapsed: t0.elapsed(),
    }
}
