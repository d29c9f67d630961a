//! An exhaustive branch and bound for small instances: needs in order (leaders before their
//! members), each need's stints enumerated along its segments (leave a segment uncovered, or
//! start a stint there with a candidate, any feasible length), pruned by the covered days still
//! possible. Gives up (None) past a node budget or the time limit.

use crate::Options;
use crate::model::Model;
use crate::search::State;
use std::time::{Duration, Instant};

struct Bb<'a> {
    m: &'a Model,
    s: State,
    order: Vec<usize>,
    /// Each need's place in the order.
    rank: Vec<usize>,
    /// Per need and segment: coverable alone (some candidate's feasible stint covers it).
    coverable: Vec<Vec<bool>>,
    /// Weighted coverable days of the needs from position t of the order on.
    suffix: Vec<i64>,
    best: State,
    nodes: u64,
    budget: u64,
    deadline: Instant,
    aborted: bool,
}

/// The proven optimum when the search finishes within its budget.
pub(crate) fn exact(
    m: &Model,
    incumbent: &State,
    t0: Instant,
    options: &Options,
    budget: u64,
) -> Option<State> {
    let s0 = State::relaxed(m);
    let mut coverable = Vec::with_capacity(m.needs.len());
    let mut pot = Vec::with_capacity(m.needs.len());
    for (n, nd) in m.needs.iter().enumerate() {
        let seg = &nd.seg;
        let np = seg.len() - 1;
        let mut cov = vec![false; np];
        let need_len = nd.min.max(1);
        for &e in &nd.cands {
            for i in 0..np {
                if let Some(lim) = s0.max_end(m, n, e, seg[i], false) {
                    let hi = seg.partition_point(|&x| x <= lim) - 1;
                    if hi > i && seg[hi] - seg[i] >= need_len {
                        for c in cov.iter_mut().take(hi).skip(i) {
                            *c = true;
                        }
                    }
                }
            }
        }
        for &(_, a, b) in &nd.pinned {
            for i in 0..np {
                if a <= seg[i] && seg[i + 1] <= b {
                    cov[i] = true;
                }
            }
        }
        let days: i64 = (0..np)
            .filter(|&i| cov[i])
            .map(|i| (seg[i + 1] - seg[i]) as i64)
            .sum();
        pot.push(days * nd.prio);
        coverable.push(cov);
    }
    // Leaders first, then members, then the rest by priority.
    let mut order: Vec<usize> = (0..m.needs.len()).collect();
    order.sort_by_key(|&n| {
        let nd = &m.needs[n];
        let rank = if !nd.members.is_empty() {
            0
        } else if nd.leader.is_some() {
            1
        } else {
            2
        };
        (rank, -nd.prio, nd.start, n)
    });
    let mut suffix = vec![0i64; order.len() + 1];
    for t in (0..order.len()).rev() {
        suffix[t] = suffix[t + 1] + pot[order[t]];
    }
    let remaining = options.time_limit.saturating_sub(t0.elapsed());
    let mut rank = vec![0; order.len()];
    for (t, &n) in order.iter().enumerate() {
        rank[n] = t;
    }
    let mut bb = Bb {
        m,
        s: State::new(m),
        order,
        rank,
        coverable,
        suffix,
        best: incumbent.clone(),
        nodes: 0,
        budget,
        // Short: the search reports no progress meanwhile (deterministic runs, with a round
        // limit, stop at the node budget only, so that every machine gives the same plan).
        deadline: Instant::now()
            + if options.max_rounds.is_some() {
                remaining
            } else {
                remaining.min(Duration::from_millis(1500))
            },
        aborted: false,
    };
    bb.need(0);
    (!bb.aborted).then_some(bb.best)
}

impl Bb<'_> {
    fn potential(&self, n: usize, pos: usize) -> i64 {
        let nd = &self.m.needs[n];
        let cov = &self.coverable[n];
        let days: i64 = (pos..cov.len())
            .filter(|&i| cov[i])
            .map(|i| (nd.seg[i + 1] - nd.seg[i]) as i64)
            .sum();
        days * nd.prio
    }

    /// The weighted days of need `n` (no stint yet) some candidate could still cover given the
    /// stints chosen so far (its leader's included).
    fn potential_now(&self, n: usize, t: usize) -> i64 {
        let m = self.m;
        let nd = &m.needs[n];
        // A member lies in its leader's stint once the leader's is chosen.
        let leader_known = nd.leader.is_some_and(|l| self.rank[l as usize] < t);
        let seg = &nd.seg;
        let np = seg.len() - 1;
        let need_len = nd.min.max(1);
        let mut covered_to = 0usize;
        let mut days = 0i64;
        for i in 0..np {
            if let Some(p) = nd.pinned.iter().find(|p| p.1 <= seg[i] && seg[i] < p.2) {
                let j = seg.partition_point(|&x| x < p.2);
                if j > covered_to {
                    days += (seg[j] - seg[i.max(covered_to)]) as i64;
                    covered_to = j;
                }
                continue;
            }
            for &e in &nd.cands {
                if let Some(lim) = self.s.max_end(m, n, e, seg[i], leader_known) {
                    let hi = seg.partition_point(|&x| x <= lim) - 1;
                    if hi > i && seg[hi] - seg[i] >= need_len && hi > covered_to {
                        days += (seg[hi] - seg[i.max(covered_to)]) as i64;
                        covered_to = hi;
                    }
                }
            }
        }
        days * nd.prio
    }

    fn tick(&mut self) -> bool {
        self.nodes += 1;
        if self.nodes > self.budget || (self.nodes & 1023 == 0 && Instant::now() > self.deadline) {
            self.aborted = true;
        }
        self.aborted
    }

    fn need(&mut self, t: usize) {
        if self.aborted {
            return;
        }
        if t == self.order.len() {
            if self.s.obj > self.best.obj {
                self.best = self.s.clone();
            }
            return;
        }
        if self.s.obj + self.suffix[t] <= self.best.obj {
            return;
        }
        // What the needs left could still cover given the stints chosen so far.
        let mut left = 0i64;
        for &n in &self.order[t..] {
            left += self.potential_now(n, t);
            if self.s.obj + left > self.best.obj {
                break;
            }
        }
        if self.s.obj + left <= self.best.obj {
            return;
        }
        let n = self.order[t];
        if !self.m.needs[n].split && !self.m.needs[n].pinned.is_empty() {
            self.need(t + 1);
            return;
        }
        self.at(t, n, 0);
    }

    /// Need `n` (at `t` in the order) from segment `pos` on.
    fn at(&mut self, t: usize, n: usize, pos: usize) {
        if self.tick() {
            return;
        }
        let m = self.m;
        let nd = &m.needs[n];
        let seg = &nd.seg;
        let np = seg.len() - 1;
        if pos >= np {
            self.need(t + 1);
            return;
        }
        if self.s.obj + self.potential(n, pos) + self.suffix[t + 1] <= self.best.obj {
            return;
        }
        if let Some(p) = nd.pinned.iter().find(|p| p.1 <= seg[pos] && seg[pos] < p.2) {
            let j = seg.partition_point(|&x| x < p.2);
            self.at(t, n, j.max(pos + 1));
            return;
        }
        let need_len = nd.min.max(1);
        for ci in 0..nd.cands.len() {
            let e = nd.cands[ci];
            let Some(lim) = self.s.max_end(m, n, e, seg[pos], true) else {
                continue;
            };
            let hi = seg.partition_point(|&x| x <= lim) - 1;
            let mut j = hi;
            while j > pos && seg[j] - seg[pos] >= need_len {
                self.s.add(m, n, e, seg[pos], seg[j], false);
                if nd.split {
                    self.at(t, n, j);
                } else {
                    self.need(t + 1);
                }
                self.remove_last(n, e, seg[pos], seg[j]);
                if self.aborted {
                    return;
                }
                j -= 1;
            }
        }
        // Leave the segment uncovered.
        self.at(t, n, pos + 1);
    }

    fn remove_last(&mut self, n: usize, e: u32, a: i32, b: i32) {
        let m = self.m;
        let nd = &m.needs[n];
        if let Some(p) = self.s.st[n]
            .iter()
            .position(|x| x.0 == e && x.1 == a && x.2 == b && !x.3)
        {
            self.s.st[n].remove(p);
        }
        if nd.on_site {
            let occ = &mut self.s.occ[e as usize];
            if let Some(p) = occ
                .iter()
                .rposition(|&(x, y, w)| x == a && y == b && w == n as u32)
            {
                occ.remove(p);
            }
        }
        let days = (b.min(nd.end) - a.max(nd.start)).max(0) as i64;
        self.s.cov[n] -= days;
        self.s.obj -= nd.prio * days;
    }
}
