//! A proven upper bound of the objective: per week, on-site needs matched to experts who could
//! cover them that week (an expert serves at most one on-site need a week when the rest between
//! stints is at least six days), each need weighted by its priority times its coverable days
//! that week; remote needs count their coverable days.

use crate::model::Model;
use crate::search::State;
use std::collections::BTreeMap;

struct Item {
    weight: i64,
    experts: Vec<u32>,
}

pub(crate) fn bound(m: &Model) -> i64 {
    let s0 = State::new(m);
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
