//! A proven upper bound of the objective: per week, on-site needs matched to experts who could
//! cover them that week (an expert serves at most one on-site need a week when the rest between
//! stints is at least six days), each need weighted by its priority times its coverable days
//! that week; remote needs count their coverable days.

use crate::model::Model;
use crate::search::{SCALE, Scratch, State};
use std::collections::BTreeMap;

struct Item {
    weight: i64,
    experts: Vec<u32>,
}

pub(crate) fn bound(m: &Model) -> i64 {
    let s0 = State::relaxed(m);
    let per_week = m.rest >= 6;
    let mut weeks: BTreeMap<i32, Vec<Item>> = BTreeMap::new();
    let mut total = 0i64;
    for (n, nd) in m.needs.iter().enumerate() {
        let seg = &nd.seg;
        let np = seg.len() - 1;
        if np == 0 {
            continue;
        }
        // Which candidates could cover each segment (in isolation).
        let mut by: Vec<Vec<u32>> = vec![Vec::new(); np];
        let need_len = nd.min.max(1);
        for &e in &nd.cands {
            let mut covered_to = 0usize;
            for i in 0..np {
                if let Some(lim) = s0.max_end(m, n, e, seg[i], false) {
                    let hi = seg.partition_point(|&x| x <= lim) - 1;
                    if hi > i && seg[hi] - seg[i] >= need_len {
                        for (p, b) in by.iter_mut().enumerate().take(hi).skip(i.max(covered_to)) {
                            let _ = p;
                            b.push(e);
                        }
                        covered_to = covered_to.max(hi);
                    }
                }
            }
        }
        for &(e, a, b) in &nd.pinned {
            for i in 0..np {
                if a <= seg[i] && seg[i + 1] <= b && !by[i].contains(&e) {
                    by[i].push(e);
                }
            }
        }
        let mut i = 0;
        while i < np {
            let week = seg[i].div_euclid(7);
            let mut days = 0i64;
            let mut experts: Vec<u32> = Vec::new();
            while i < np && seg[i].div_euclid(7) == week {
                if !by[i].is_empty() {
                    days += (seg[i + 1] - seg[i]) as i64;
                    for &e in &by[i] {
                        if !experts.contains(&e) {
                            experts.push(e);
                        }
                    }
                }
                i += 1;
            }
            if days == 0 {
                continue;
            }
            if per_week && nd.on_site {
                weeks.entry(week).or_default().push(Item {
                    weight: days * nd.prio,
                    experts,
                });
            } else {
                total += days * nd.prio;
            }
        }
    }
    let mut owner: Vec<u32> = vec![u32::MAX; m.experts.len()];
    let mut seen: Vec<u32> = vec![0; m.experts.len()];
    let mut stamp = 0u32;
    for (_, mut items) in weeks {
        items.sort_by_key(|it| std::cmp::Reverse(it.weight));
        let mut touched: Vec<u32> = Vec::new();
        for it in 0..items.len() {
            stamp += 1;
            if augment(it, &items, &mut owner, &mut seen, stamp, &mut touched) {
                total += items[it].weight;
            }
        }
        for e in touched {
            owner[e as usize] = u32::MAX;
        }
    }
    total
}

fn augment(
    it: usize,
    items: &[Item],
    owner: &mut [u32],
    seen: &mut [u32],
    stamp: u32,
    touched: &mut Vec<u32>,
) -> bool {
    for &e in &items[it].experts {
        if seen[e as usize] == stamp {
            continue;
        }
        seen[e as usize] = stamp;
        let o = owner[e as usize];
        if o == u32::MAX || augment(o as usize, items, owner, seen, stamp, touched) {
            if o == u32::MAX {
                touched.push(e);
            }
            owner[e as usize] = it as u32;
            return true;
        }
    }
    false
}

/// The Lagrangian relaxation of "an expert serves at most one on-site need a week" (valid when
/// the rest is at least six days): each need alone, exactly (the recreation's programme), with
/// a price per expert and week; subgradient steps on the prices. Every value is a bound.
pub(crate) struct Lagrange {
    s0: State,
    sc: Scratch,
    w0: i32,
    weeks: usize,
    /// Prices per expert and week, in `SCALE`ths of a priority-day.
    price: Vec<f64>,
    usage: Vec<i32>,
    prefix: Vec<i64>,
    theta: f64,
    stall: u32,
    pub best: i64,
    pub iterations: u32,
}

impl Lagrange {
    pub fn new(m: &Model) -> Option<Lagrange> {
        if m.rest < 6 || m.needs.is_empty() {
            return None;
        }
        let w0 = m.needs.iter().map(|n| n.start.div_euclid(7)).min()?;
        let w1 = m.needs.iter().map(|n| n.end.div_euclid(7)).max()?;
        let weeks = (w1 - w0 + 2 + m.rest / 7 + 1) as usize;
        let mut sc = Scratch::default();
        sc.relax = true;
        Some(Lagrange {
            s0: State::relaxed(m),
            sc,
            w0,
            weeks,
            price: vec![0.0; m.experts.len() * weeks],
            usage: vec![0; m.experts.len() * weeks],
            prefix: vec![0; m.experts.len() * (weeks + 1)],
            theta: 2.0,
            stall: 0,
            best: i64::MAX,
            iterations: 0,
        })
    }

    /// One subgradient step given the best objective known; returns the bound so far.
    /// The index of the first week whose first day is at or after `d` (clamped).
    fn week_at(&self, d: i32) -> usize {
        let w = (d + 6).div_euclid(7) - self.w0;
        w.clamp(0, self.weeks as i32) as usize
    }

    pub fn step(&mut self, m: &Model, lower: i64) -> i64 {
        self.iterations += 1;
        // Prefix sums of the (floored) prices per expert.
        let wk = self.weeks;
        for e in 0..m.experts.len() {
            let mut acc = 0i64;
            for w in 0..wk {
                self.prefix[e * (wk + 1) + w] = acc;
                acc += self.price[e * wk + w].floor() as i64;
            }
            self.prefix[e * (wk + 1) + wk] = acc;
        }
        let mut total: f64 = self.price.iter().map(|p| p.floor()).sum();
        self.usage.iter_mut().for_each(|u| *u = 0);
        for (n, nd) in m.needs.iter().enumerate() {
            let seg = &nd.seg;
            let np = seg.len() - 1;
            let kk = nd.cands.len();
            self.sc.cost.clear();
            self.sc.cost.resize(kk * (np + 1), 0);
            self.sc.cost_end.clear();
            self.sc.cost_end.resize(kk * (np + 1), 0);
            // A stint [a, b) of expert e holds e (with the rest after it) on the first day of
            // every week in [a, b + rest): it pays those weeks' prices.
            if nd.on_site {
                for (k, &e) in nd.cands.iter().enumerate() {
                    let base = k * (np + 1);
                    let row = &self.prefix[e as usize * (self.weeks + 1)..][..self.weeks + 1];
                    for i in 0..=np {
                        self.sc.cost[base + i] = row[self.week_at(seg[i])];
                        self.sc.cost_end[base + i] = row[self.week_at(seg[i] + m.rest)];
                    }
                }
            }
            self.s0.best_for_need(m, n, &mut self.sc);
            total += self.sc.value as f64;
            if nd.on_site {
                for &(e, a, b) in &self.sc.out {
                    for w in self.week_at(a)..self.week_at(b + m.rest) {
                        self.usage[e as usize * self.weeks + w] += 1;
                    }
                }
            }
        }
        // Prices are floored in the costs: the value is a bound with the prices as charged.
        let value = (total / SCALE as f64).floor() as i64;
        if value < self.best {
            self.best = value;
            self.stall = 0;
        } else {
            self.stall += 1;
            if self.stall >= 15 {
                self.theta = (self.theta / 2.0).max(1e-4);
                self.stall = 0;
            }
        }
        let mut norm = 0.0;
        for (p, &u) in self.price.iter().zip(&self.usage) {
            let g = (u - 1) as f64;
            if *p > 0.0 || g > 0.0 {
                norm += g * g;
            }
        }
        if norm > 0.0 {
            let gap = ((value - lower).max(1) as f64) * SCALE as f64;
            let step = self.theta * gap / norm;
            for (p, &u) in self.price.iter_mut().zip(&self.usage) {
                let g = (u - 1) as f64;
                if *p > 0.0 || g > 0.0 {
                    *p = (*p + step * g).max(0.0);
                }
            }
        }
        self.best
    }
}
