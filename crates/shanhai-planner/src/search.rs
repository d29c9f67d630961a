//! The search state, the exact per-need recreation (dynamic programming over the need's week
//! segments with the rest of the plan fixed), the coordinator's greedy and the bound.

use crate::model::{BUSY, Model};

pub(crate) const NEG: i64 = i64::MIN / 4;

/// One stint in the state: expert, `[a, b)`, pinned.
pub(crate) type St = (u32, i32, i32, bool);

#[derive(Clone)]
pub(crate) struct State {
    /// Per need: its stints, sorted by start.
    pub st: Vec<Vec<St>>,
    /// Per expert: on-site occupancy `(a, b, need or BUSY)`.
    pub occ: Vec<Vec<(i32, i32, u32)>>,
    /// Covered days per need.
    pub cov: Vec<i64>,
    /// Priority-weighted covered days.
    pub obj: i64,
}

/// A placement found by the dynamic programme: value, candidate index, end position.
#[derive(Clone, Copy)]
struct Best {
    v: i64,
    k: u32,
    j: u32,
}

const NONE: Best = Best {
    v: NEG,
    k: u32::MAX,
    j: 0,
};

/// Buffers reused by every recreation (no allocation in the search's inner loops).
#[derive(Default)]
pub(crate) struct Scratch {
    f: Vec<i64>,
    h: Vec<i64>,
    p1: Vec<Best>,
    p2: Vec<Best>,
    lo: Vec<u32>,
    hi: Vec<i32>,
    jmin: Vec<u32>,
    rpos: Vec<u32>,
    pinned_at: Vec<Option<(u32, u32)>>,
    inside: Vec<bool>,
    pub out: Vec<(u32, i32, i32)>,
}

impl State {
    pub fn new(m: &Model) -> State {
        let mut s = State {
            st: vec![Vec::new(); m.needs.len()],
            occ: m
                .experts
                .iter()
                .map(|e| e.busy.iter().map(|&(a, b)| (a, b, BUSY)).collect())
                .collect(),
            cov: vec![0; m.needs.len()],
            obj: 0,
        };
        for (n, nd) in m.needs.iter().enumerate() {
            for &(e, a, b) in &nd.pinned {
                s.add(m, n, e, a, b, true);
            }
        }
        s
    }

    pub fn add(&mut self, m: &Model, n: usize, e: u32, a: i32, b: i32, pinned: bool) {
        let nd = &m.needs[n];
        let v = &mut self.st[n];
        let pos = v.partition_point(|x| x.1 < a);
        v.insert(pos, (e, a, b, pinned));
        if nd.on_site {
            self.occ[e as usize].push((a, b, n as u32));
        }
        let days = (b.min(nd.end) - a.max(nd.start)).max(0) as i64;
        self.cov[n] += days;
        self.obj += nd.prio * days;
    }

    /// Removes the need's stints that are not pinned (and, for a leader, its members').
    pub fn clear(&mut self, m: &Model, n: usize) {
        let nd = &m.needs[n];
        let mut i = 0;
        while i < self.st[n].len() {
            let (e, a, b, pinned) = self.st[n][i];
            if pinned {
                i += 1;
                continue;
            }
            self.st[n].remove(i);
            if nd.on_site {
                let occ = &mut self.occ[e as usize];
                if let Some(p) = occ
                    .iter()
                    .position(|&(x, y, w)| x == a && y == b && w == n as u32)
                {
                    occ.swap_remove(p);
                }
            }
            let days = (b.min(nd.end) - a.max(nd.start)).max(0) as i64;
            self.cov[n] -= days;
            self.obj -= nd.prio * days;
        }
        for k in 0..nd.members.len() {
            let mem = m.needs[n].members[k] as usize;
            self.clear(m, mem);
        }
    }

    /// The latest exclusive end of a stint of expert `e` for need `n` starting at `a` given the
    /// rest of the plan (`None`: it cannot start there).
    pub fn max_end(&self, m: &Model, n: usize, e: u32, a: i32, leader: bool) -> Option<i32> {
        let nd = &m.needs[n];
        let ex = &m.experts[e as usize];
        let mut lim = i32::MIN;
        for w in &ex.windows {
            if w.modes & nd.mode == 0 || a < w.start || a >= w.end {
                continue;
            }
            let mut l = w.end.min(a.saturating_add(w.longest));
            let mut ok = true;
            for &(x, y) in &w.blackouts {
                if x <= a && a < y {
                    ok = false;
                    break;
                }
                if x > a {
                    l = l.min(x);
                    break;
                }
            }
            if ok {
                lim = lim.max(l);
            }
        }
        if lim <= a {
            return None;
        }
        lim = lim.min(nd.end);
        if a < nd.start {
            return None;
        }
        for &(_, pa, pb) in &nd.pinned {
            if pa <= a && a < pb {
                return None;
            }
            if pa > a {
                lim = lim.min(pa);
            }
        }
        if nd.on_site {
            for &(x, y, w) in &self.occ[e as usize] {
                let r = if w == BUSY { 0 } else { m.rest };
                if x < a + 1 + r && a < y + r {
                    return None;
                }
                if x >= a + 1 + r {
                    lim = lim.min(x - r);
                }
            }
        }
        if leader && let Some(l) = nd.leader {
            match self.st[l as usize].first() {
                Some(&(_, la, lb, _)) if la <= a && a < lb => lim = lim.min(lb),
                _ => return None,
            }
        }
        (lim > a).then_some(lim)
    }

    /// The best stints for need `n` (its non-pinned ones cleared) with the rest of the plan
    /// fixed: exact over the need's segments. Returns the stints in `sc.out`.
    pub fn best_for_need(&self, m: &Model, n: usize, sc: &mut Scratch) {
        sc.out.clear();
        let nd = &m.needs[n];
        let seg = &nd.seg;
        let np = seg.len() - 1;
        if np == 0 || nd.cands.is_empty() && nd.pinned.is_empty() {
            return;
        }
        let kk = nd.cands.len();
        // Pinned positions.
        sc.pinned_at.clear();
        sc.pinned_at.resize(np + 1, None);
        sc.inside.clear();
        sc.inside.resize(np + 1, false);
        for &(e, a, b) in &nd.pinned {
            let i = seg.partition_point(|&x| x < a);
            let j = seg.partition_point(|&x| x < b);
            if i < np && seg[i] == a {
                let k = nd.cands.iter().position(|&c| c == e).unwrap_or(kk) as u32;
                sc.pinned_at[i] = Some((k, j as u32));
                for p in i + 1..j.min(np + 1) {
                    sc.inside[p] = true;
                }
            }
        }
        if !nd.split {
            self.best_single(m, n, sc);
            return;
        }
        let need_len = nd.min.max(1);
        sc.jmin.clear();
        let mut j = 0usize;
        for i in 0..np {
            j = j.max(i + 1);
            while j <= np && seg[j] - seg[i] < need_len {
                j += 1;
            }
            sc.jmin.push(j as u32);
        }
        sc.rpos.clear();
        let rest = if nd.on_site { m.rest } else { 0 };
        let mut r = 0usize;
        for i in 0..=np {
            r = r.max(i);
            while r < np && seg[r] < seg[i] + rest {
                r += 1;
            }
            sc.rpos.push(r as u32);
        }
        // lo/hi per (i, k).
        sc.lo.clear();
        sc.hi.clear();
        for i in 0..np {
            for &e in &nd.cands {
                let (lo, hi) = if sc.inside[i] || sc.pinned_at[i].is_some() {
                    (1, 0)
                } else {
                    match self.max_end(m, n, e, seg[i], true) {
                        Some(lim) => {
                            let hi = seg.partition_point(|&x| x <= lim) as i32 - 1;
                            (sc.jmin[i], hi)
                        }
                        None => (1, 0),
                    }
                };
                sc.lo.push(lo);
                sc.hi.push(hi);
            }
        }
        let w = kk + 1;
        sc.f.clear();
        sc.f.resize(np + 1, NEG);
        sc.h.clear();
        sc.h.resize((np + 1) * w, NEG);
        sc.p1.clear();
        sc.p1.resize(np + 1, NONE);
        sc.p2.clear();
        sc.p2.resize(np + 1, NONE);
        sc.f[np] = 0;
        for k in 0..w {
            sc.h[np * w + k] = 0;
        }
        for i in (0..np).rev() {
            if sc.inside[i] {
                continue;
            }
            if let Some((kp, j)) = sc.pinned_at[i] {
                let j = j as usize;
                let val = (seg[j] - seg[i]) as i64 + sc.h[j * w + kp as usize];
                sc.f[i] = val;
                for k in 0..w {
                    sc.h[i * w + k] = val;
                }
                continue;
            }
            let mut b1 = NONE;
            let mut b2 = NONE;
            for k in 0..kk {
                let lo = sc.lo[i * kk + k] as i32;
                let hi = sc.hi[i * kk + k];
                let mut bk = NONE;
                let mut j = hi;
                while j >= lo {
                    let ju = j as usize;
                    let v = (seg[ju] - seg[i]) as i64 + sc.h[ju * w + k];
                    if v > bk.v {
                        bk = Best {
                            v,
                            k: k as u32,
                            j: ju as u32,
                        };
                    }
                    j -= 1;
                }
                if bk.v > b1.v {
                    b2 = b1;
                    b1 = bk;
                } else if bk.v > b2.v {
                    b2 = bk;
                }
            }
            sc.p1[i] = b1;
            sc.p2[i] = b2;
            sc.f[i] = sc.f[i + 1].max(b1.v);
            sc.h[i * w + kk] = sc.f[i];
            let r = sc.rpos[i] as usize;
            for k in 0..kk {
                sc.h[i * w + k] = h_value(sc, i, r, k as u32).0;
            }
        }
        // Reconstruct.
        let mut pos = 0usize;
        let mut blocked = kk as u32;
        while pos < np {
            if blocked as usize == kk {
                if let Some((kp, j)) = sc.pinned_at[pos] {
                    pos = j as usize;
                    blocked = kp;
                    continue;
                }
                let b1 = sc.p1[pos];
                if b1.v > NEG && b1.v >= sc.f[pos + 1] {
                    let e = nd.cands[b1.k as usize];
                    sc.out.push((e, seg[pos], seg[b1.j as usize]));
                    pos = b1.j as usize;
                    blocked = b1.k;
                } else {
                    pos += 1;
                }
            } else {
                let r = sc.rpos[pos] as usize;
                let (_, how) = h_value(sc, pos, r, blocked);
                match how {
                    Step::Free(p) => {
                        pos = p;
                        blocked = kk as u32;
                    }
                    Step::Place(p, b) => {
                        let e = nd.cands[b.k as usize];
                        sc.out.push((e, seg[p], seg[b.j as usize]));
                        pos = b.j as usize;
                        blocked = b.k;
                    }
                }
            }
        }
        // The programme tracks one resting expert: when a stint shorter than the rest lies
        // between two of another expert's, drop the later one.
        if nd.on_site {
            let mut i = 1;
            while i < sc.out.len() {
                let (e, a, _) = sc.out[i];
                if sc.out[..i]
                    .iter()
                    .any(|&(x, _, y)| x == e && a < y + m.rest)
                {
                    sc.out.remove(i);
                } else {
                    i += 1;
                }
            }
        }
    }

    /// A need filled by one stint: the longest, earliest, first expert.
    fn best_single(&self, m: &Model, n: usize, sc: &mut Scratch) {
        let nd = &m.needs[n];
        if !nd.pinned.is_empty() {
            return;
        }
        if let Some((e, a, b)) = self.single_candidates(m, n, 1).first() {
            sc.out.push((*e, *a, *b));
        }
    }

    /// Up to `limit` maximal single stints for need `n`, longest first.
    pub fn single_candidates(&self, m: &Model, n: usize, limit: usize) -> Vec<(u32, i32, i32)> {
        let nd = &m.needs[n];
        let seg = &nd.seg;
        let np = seg.len() - 1;
        let need_len = nd.min.max(1);
        let mut all: Vec<(i32, u32, i32, i32)> = Vec::new();
        for i in 0..np {
            for &e in &nd.cands {
                if let Some(lim) = self.max_end(m, n, e, seg[i], true) {
                    let hi = seg.partition_point(|&x| x <= lim) - 1;
                    if hi > i && seg[hi] - seg[i] >= need_len {
                        all.push((seg[hi] - seg[i], e, seg[i], seg[hi]));
                    }
                }
            }
        }
        // Longest first, then earliest, then the first expert.
        all.sort_by(|x, y| y.0.cmp(&x.0).then(x.2.cmp(&y.2)).then(x.1.cmp(&y.1)));
        let mut out: Vec<(u32, i32, i32)> = Vec::new();
        for (_, e, a, b) in all {
            if out.len() >= limit {
                break;
            }
            // Distinct periods only (another expert on the same period helps no member).
            if limit > 1 && out.iter().any(|&(_, x, y)| x == a && y == b) {
                continue;
            }
            out.push((e, a, b));
        }
        out
    }
}

enum Step {
    /// Skip to this position with nobody blocked (or a pinned stint starts there).
    Free(usize),
    Place(usize, Best),
}

/// The value at position `i` when candidate `k`'s stint ended there (it cannot start again
/// before position `r`): place another candidate in `[i, r)`, or reach `r` free.
fn h_value(sc: &Scratch, i: usize, r: usize, k: u32) -> (i64, Step) {
    let mut best = (NEG, Step::Free(r));
    for p in i..r {
        if sc.pinned_at[p].is_some() {
            if sc.f[p] > best.0 {
                best = (sc.f[p], Step::Free(p));
            }
            return best;
        }
        let b = if sc.p1[p].k != k { sc.p1[p] } else { sc.p2[p] };
        if b.v > best.0 {
            best = (b.v, Step::Place(p, b));
        }
    }
    if sc.f[r] >= best.0 {
        best = (sc.f[r], Step::Free(r));
    }
    best
}
