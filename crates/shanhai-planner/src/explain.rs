//! Why a need is not fully covered, what would cover it, and where an expert would fit best.

use crate::model::{Model, specialty_fits, title_fits};
use crate::search::State;
use crate::{Explanation, Fit, Instance, Reason, Solution, Stint, Suggestion};

/// The solution's stints resolved: need, expert, `[a, b)`, index in the solution.
fn resolve(m: &Model, stints: &[Stint]) -> Vec<(usize, usize, i32, i32, usize)> {
    stints
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let n = *m.need_ix.get(&s.need_id)? as usize;
            let e = *m.expert_ix.get(&s.expert_id)? as usize;
            let (a, b) = m.span(&s.period);
            Some((n, e, a, b, i))
        })
        .collect()
}

/// Experts of the need's specialty and title.
fn compatible(instance: &Instance, n: usize) -> Vec<usize> {
    let need = &instance.needs[n];
    instance
        .experts
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            specialty_fits(e.specialty.as_deref(), &need.specialty) && title_fits(instance, e, need)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Days of `[a, b)` on which expert `e` could serve need `n` leaving the rest of the plan
/// aside: inside a window that accepts the mode (and allows the minimum stay), no blackout,
/// no existing assignment (on-site needs).
fn free_alone(m: &Model, n: usize, e: usize, a: i32, b: i32) -> Vec<bool> {
    let nd = &m.needs[n];
    let ex = &m.experts[e];
    let mut free = vec![false; (b - a).max(0) as usize];
    for w in &ex.windows {
        if w.modes & nd.mode == 0 || w.longest < nd.min {
            continue;
        }
        for d in w.start.max(a)..w.end.min(b) {
            if !w.blackouts.iter().any(|&(x, y)| x <= d && d < y) {
                free[(d - a) as usize] = true;
            }
        }
    }
    if nd.on_site {
        for &(x, y) in &ex.busy {
            for d in x.max(a)..y.min(b) {
                free[(d - a) as usize] = false;
            }
        }
    }
    free
}

fn longest_run(free: &[bool], mask: &[bool]) -> (i32, usize) {
    let (mut best, mut at, mut cur) = (0i32, 0usize, 0i32);
    for (i, (&f, &g)) in free.iter().zip(mask).enumerate() {
        if f && g {
            cur += 1;
            if cur > best {
                best = cur;
                at = i + 1 - cur as usize;
            }
        } else {
            cur = 0;
        }
    }
    (best, at)
}

pub(crate) fn explain(instance: &Instance, solution: &Solution) -> Vec<Explanation> {
    let m = Model::new(instance);
    let stints = resolve(&m, &solution.stints);
    let mut out = Vec::new();
    for (n, need) in instance.needs.iter().enumerate() {
        let nd = &m.needs[n];
        let (ws, we) = (nd.start, nd.end);
        let len = (we - ws).max(0) as usize;
        // Uncovered days of the window.
        let mut gap = vec![true; len];
        for &(sn, _, a, b, _) in &stints {
            if sn == n {
                for d in a.max(ws)..b.min(we) {
                    gap[(d - ws) as usize] = false;
                }
            }
        }
        let uncovered = gap.iter().filter(|&&g| g).count();
        if uncovered == 0 {
            continue;
        }
        let min = nd.min.max(1);
        let mut reasons = Vec::new();
        // A team member lies inside its leader's stint.
        let mut only_no_leader = false;
        if let Some(l) = nd.leader {
            let mut inside = vec![false; len];
            for &(sn, _, a, b, _) in &stints {
                if sn == l as usize {
                    for d in a.max(ws)..b.min(we) {
                        inside[(d - ws) as usize] = true;
                    }
                }
            }
            if gap.iter().zip(&inside).any(|(&g, &i)| g && !i) {
                reasons.push(Reason::NoLeader);
            }
            for (g, i) in gap.iter_mut().zip(&inside) {
                *g = *g && *i;
            }
            only_no_leader = !gap.iter().any(|&g| g);
        }
        if !only_no_leader {
            let cands = compatible(instance, n);
            let mut any_free = false;
            let mut longest_alone = 0i32;
            let mut blocked_needs: Vec<usize> = Vec::new();
            let mut blocked_experts: Vec<usize> = Vec::new();
            for &e in &cands {
                let alone = free_alone(&m, n, e, ws, we);
                let (l_alone, at) = longest_run(&alone, &gap);
                any_free |= l_alone > 0;
                longest_alone = longest_alone.max(l_alone);
                if l_alone < min {
                    continue;
                }
                // Free given the plan: the expert's other on-site stints with the rest around.
                let mut now = alone.clone();
                let mut holders = Vec::new();
                if nd.on_site {
                    for &(sn, se, a, b, _) in &stints {
                        if se != e || !m.needs[sn].on_site {
                            continue;
                        }
                        for d in (a - m.rest).max(ws)..(b + m.rest).min(we) {
                            now[(d - ws) as usize] = false;
                        }
                        // It holds the expert in the free run (with the rest around it).
                        let (ra, rb) = (ws + at as i32, ws + at as i32 + l_alone);
                        if sn != n && a < rb + m.rest && ra < b + m.rest {
                            holders.push(sn);
                        }
                    }
                }
                let (l_now, _) = longest_run(&now, &gap);
                if l_now < min && !holders.is_empty() {
                    if !blocked_experts.contains(&e) {
                        blocked_experts.push(e);
                    }
                    for h in holders {
                        if !blocked_needs.contains(&h) {
                            blocked_needs.push(h);
                        }
                    }
                }
            }
            if !any_free {
                reasons.push(Reason::NoCandidate);
            } else if longest_alone < min {
                reasons.push(Reason::MinimumStayCannotFit {
                    longest_free_days: longest_alone as u32,
                });
            } else if !blocked_needs.is_empty() {
                blocked_needs.sort_by_key(|&h| (std::cmp::Reverse(instance.needs[h].priority), h));
                reasons.push(Reason::TakenBy {
                    needs: blocked_needs
                        .iter()
                        .map(|&h| instance.needs[h].id.clone())
                        .collect(),
                    experts: blocked_experts
                        .iter()
                        .map(|&e| instance.experts[e].id.clone())
                        .collect(),
                });
            }
        }
        // What would cover it: one more expert free over the largest gap.
        let suggestion = if only_no_leader || (we - ws) < min {
            None
        } else {
            let all = vec![true; len];
            let (glen, gat) = longest_run(&all, &gap);
            let mut a = ws + gat as i32;
            let mut b = a + glen;
            if b - a < min {
                b = a + min;
                if b > we {
                    a -= b - we;
                    b = we;
                }
            }
            (glen > 0).then(|| Suggestion {
                specialty: need.specialty.clone(),
                min_title: need.min_title,
                period: m.period(a, b),
            })
        };
        out.push(Explanation {
            need_id: need.id.clone(),
            window_days: len as u32,
            covered_days: (len - uncovered) as u32,
            reasons,
            suggestion,
        });
    }
    out
}

pub(crate) fn fits(
    instance: &Instance,
    solution: &Solution,
    expert_id: &str,
    limit: usize,
) -> Vec<Fit> {
    let m = Model::new(instance);
    let Some(&e) = m.expert_ix.get(expert_id) else {
        return Vec::new();
    };
    let stints = resolve(&m, &solution.stints);
    let pinned: Vec<bool> = solution
        .stints
        .iter()
        .map(|s| instance.pinned.contains(s))
        .collect();
    // Busy and pinned only: what the expert could take displacing anything else.
    let alone = State::new(&m);
    let mut out = Vec::new();
    for (n, nd) in m.needs.iter().enumerate() {
        if !nd.cands.contains(&e) {
            continue;
        }
        let leader_stint = nd.leader.map(|l| {
            stints
                .iter()
                .find(|s| s.0 == l as usize)
                .map(|s| (s.2, s.3))
        });
        if let Some(None) = leader_stint {
            continue;
        }
        let seg = &nd.seg;
        let np = seg.len() - 1;
        let mut best: Option<(i64, usize, i32, i32, Vec<usize>)> = None;
        for i in 0..np {
            let Some(mut lim) = alone.max_end(&m, n, e, seg[i], false) else {
                continue;
            };
            if let Some(Some((la, lb))) = leader_stint {
                if seg[i] < la {
                    continue;
                }
                lim = lim.min(lb);
            }
            for j in i + 1..=np {
                let (a, b) = (seg[i], seg[j]);
                if b > lim {
                    break;
                }
                if b - a < nd.min.max(1) {
                    continue;
                }
                // Displaced: the expert's on-site stints too close, the need's overlapping
                // ones, members of a displaced leader.
                let mut gone: Vec<usize> = Vec::new();
                for (k, &(sn, se, x, y, _)) in stints.iter().enumerate() {
                    let clash_expert = se == e as usize
                        && nd.on_site
                        && m.needs[sn].on_site
                        && x < b + m.rest
                        && a < y + m.rest;
                    let clash_need = sn == n && x < b && a < y;
                    if clash_expert || clash_need {
                        gone.push(k);
                    }
                }
                if gone.iter().any(|&k| pinned[stints[k].4]) {
                    continue;
                }
                let mut k = 0;
                while k < gone.len() {
                    let sn = stints[gone[k]].0;
                    for &mem in &m.needs[sn].members {
                        for (k2, s2) in stints.iter().enumerate() {
                            if s2.0 == mem as usize && !gone.contains(&k2) {
                                gone.push(k2);
                            }
                        }
                    }
                    k += 1;
                }
                let gain = gain(&m, &stints, &gone, n, a, b);
                let better = best
                    .as_ref()
                    .is_none_or(|bst| gain > bst.0 || (gain == bst.0 && gone.len() < bst.4.len()));
                if better {
                    best = Some((gain, n, a, b, gone));
                }
            }
        }
        if let Some((gain, n, a, b, gone)) = best {
            out.push(Fit {
                need_id: instance.needs[n].id.clone(),
                period: m.period(a, b),
                gain,
                displaces: gone
                    .iter()
                    .map(|&k| solution.stints[stints[k].4].clone())
                    .collect(),
            });
        }
    }
    out.sort_by(|x, y| {
        y.gain
            .cmp(&x.gain)
            .then(x.displaces.len().cmp(&y.displaces.len()))
            .then(x.period.start.cmp(&y.period.start))
    });
    out.truncate(limit);
    out
}

/// The objective's change when the stints `gone` leave and need `n` gets `[a, b)`.
fn gain(
    m: &Model,
    stints: &[(usize, usize, i32, i32, usize)],
    gone: &[usize],
    n: usize,
    a: i32,
    b: i32,
) -> i64 {
    let mut touched: Vec<usize> = gone.iter().map(|&k| stints[k].0).collect();
    touched.push(n);
    touched.sort();
    touched.dedup();
    let mut delta = 0i64;
    for t in touched {
        let nd = &m.needs[t];
        let mut before: Vec<(i32, i32)> = Vec::new();
        let mut after: Vec<(i32, i32)> = Vec::new();
        for (k, s) in stints.iter().enumerate() {
            if s.0 == t {
                let iv = (s.2.max(nd.start), s.3.min(nd.end));
                if iv.0 < iv.1 {
                    before.push(iv);
                    if !gone.contains(&k) {
                        after.push(iv);
                    }
                }
            }
        }
        if t == n {
            after.push((a, b));
        }
        delta += nd.prio
            * (crate::check::union_days(&mut after) - crate::check::union_days(&mut before));
    }
    delta
}
