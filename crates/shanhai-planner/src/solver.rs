//! The coordinator's greedy and the large neighbourhood search built on the exact per-need
//! recreation.

use crate::bound::bound;
use crate::model::{BUSY, Model};
use crate::search::{Scratch, State};
use crate::{Instance, Options, Progress, Solution, Stint};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
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
    /// The most needs a round ruins.
    pub qmax: usize,
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
            qmax: 10,
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

    /// Recreates every need not fully covered, one at a time, keeping what does not lose: no
    /// single need can then cover more by itself.
    pub fn polish(&mut self) {
        let m = self.m;
        for n in 0..m.needs.len() {
            let nd = &m.needs[n];
            if self.s.cov[n] >= (nd.end - nd.start) as i64 || nd.cands.is_empty() {
                continue;
            }
            let before = self.s.obj;
            self.saved.clear();
            self.save(n);
            self.s.clear(m, n);
            self.recreate(n);
            if self.s.obj < before {
                self.s.clear(m, n);
                let saved = std::mem::take(&mut self.saved);
                for (k, v) in &saved {
                    for &(e, a, b) in v {
                        self.s.add(m, *k, e, a, b, false);
                    }
                }
                self.saved = saved;
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
    pub fn round(&mut self, floor: i64) -> bool {
        let m = self.m;
        let nn = m.needs.len();
        if nn == 0 {
            return false;
        }
        let before = self.s.obj;
        // Ties between plans covering the same days go to experts drawn at random this round.
        if self.sc.pen.len() != m.experts.len() {
            self.sc.pen.resize(m.experts.len(), 0);
        }
        for p in self.sc.pen.iter_mut() {
            *p = self.rng.gen_range(0..=2);
        }
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
        let q = self.rng.gen_range(2..=self.qmax);
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
        let ok = self.s.obj >= before.min(floor);
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

/// Instances with at most this many needs get the exhaustive search.
const EXACT_NEEDS: usize = 40;
/// ... after this many rounds of the neighbourhood search.
const EXACT_AFTER_ROUNDS: u64 = 300;
/// ... with at most this many nodes.
const EXACT_NODES: u64 = 4_000_000;

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
    // On two cores and without a round limit, a second search with larger neighbourhoods runs
    // alongside; the better plan wins.
    let stop = AtomicBool::new(false);
    let shared = AtomicI64::new(best.obj);
    let parallel = options.max_rounds.is_none()
        && m.needs.len() > EXACT_NEEDS
        && std::thread::available_parallelism().is_ok_and(|p| p.get() >= 2);
    let (best, ub, complete) = std::thread::scope(|scope| {
        let helper = parallel.then(|| {
            let start = s.clone();
            let (stop, shared) = (&stop, &shared);
            scope.spawn(move || {
                let mut h = Search::new(
                    m,
                    start,
                    options.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 1,
                );
                h.qmax = 40;
                let mut hb = h.s.clone();
                while !stop.load(Ordering::Relaxed) && t0.elapsed() < options.time_limit {
                    h.round(hb.obj);
                    if h.s.obj > hb.obj {
                        hb = h.s.clone();
                        shared.fetch_max(hb.obj, Ordering::Relaxed);
                    }
                }
                hb
            })
        });
        let mut search = Search::new(m, s, options.seed);
        let mut round = 0u64;
        let mut last_report = Instant::now();
        let mut complete = false;
        // Small instances: a short search for a good incumbent, then the exhaustive one.
        let small = m.needs.len() <= EXACT_NEEDS;
        let mut tried_exact = !small;
        let top = |best: &State| best.obj.max(shared.load(Ordering::Relaxed));
        while !complete && top(&best) < ub {
            if options.max_rounds.is_some_and(|r| round >= r) || t0.elapsed() >= options.time_limit
            {
                break;
            }
            if !tried_exact && round >= EXACT_AFTER_ROUNDS {
                tried_exact = true;
                if let Some(opt) = crate::exact::exact(m, &best, t0, options, EXACT_NODES) {
                    complete = true;
                    if opt.obj > best.obj {
                        best = opt;
                    }
                    break;
                }
            }
            search.round(best.obj);
            round += 1;
            if search.s.obj > best.obj {
                best = search.s.clone();
                last_report = Instant::now();
                progress(Progress {
                    fraction: fraction(t0.elapsed(), round),
                    objective: top(&best) as u64,
                    bound: ub as u64,
                    elapsed: t0.elapsed(),
                });
            } else if last_report.elapsed() >= Duration::from_millis(500) {
                last_report = Instant::now();
                progress(Progress {
                    fraction: fraction(t0.elapsed(), round),
                    objective: top(&best) as u64,
                    bound: ub as u64,
                    elapsed: t0.elapsed(),
                });
            }
        }
        stop.store(true, Ordering::Relaxed);
        if let Some(h) = helper
            && let Ok(hb) = h.join()
            && hb.obj > best.obj
        {
            best = hb;
        }
        if !complete {
            search.s = best.clone();
            search.polish();
            if search.s.obj >= best.obj {
                best = search.s.clone();
            }
        }
        (best, ub, complete)
    });
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
