//! Every rule each stint breaks, and the objective of a set of stints.

use crate::model::{Model, leader_of, mode_bit, specialty_fits, title_fits};
use crate::{Instance, RuleBroken, Stint, TeamRole, Violation};

pub(crate) fn check(instance: &Instance, stints: &[Stint]) -> Vec<Violation> {
    let m = Model::new(instance);
    let rest = instance.rules.rest_days as i32;
    let leaders = leader_of(instance);
    let mut out = Vec::new();
    let mut push = |s: &Stint, rule: RuleBroken| {
        out.push(Violation {
            stint: s.clone(),
            rule,
        })
    };
    // Resolved stints: index, need, expert, [a, b).
    let mut known: Vec<(usize, usize, usize, i32, i32)> = Vec::new();
    for (si, s) in stints.iter().enumerate() {
        let need = m.need_ix.get(&s.need_id).map(|&i| i as usize);
        let expert = m.expert_ix.get(&s.expert_id).map(|&i| i as usize);
        if need.is_none() {
            push(s, RuleBroken::UnknownNeed);
        }
        if expert.is_none() {
            push(s, RuleBroken::UnknownExpert);
        }
        let (Some(ni), Some(ei)) = (need, expert) else {
            continue;
        };
        let n = &instance.needs[ni];
        let e = &instance.experts[ei];
        let (a, b) = m.span(&s.period);
        known.push((si, ni, ei, a, b));
        if !specialty_fits(e.specialty.as_deref(), &n.specialty) {
            push(s, RuleBroken::Specialty);
        }
        if !title_fits(instance, e, n) {
            push(s, RuleBroken::Title);
        }
        let nd = &m.needs[ni];
        if a < nd.start || b > nd.end {
            push(s, RuleBroken::OutsideNeedWindow);
        }
        if b - a < (n.min_stay_days as i32).max(1) {
            push(s, RuleBroken::BelowMinimumStay);
        }
        // The availability window: one that contains the stint, accepts the mode, has no
        // blackout in it and allows its length; otherwise the closest miss.
        let ex = &m.experts[ei];
        let containing: Vec<_> = ex
            .windows
            .iter()
            .filter(|w| w.start <= a && b <= w.end)
            .collect();
        if containing.is_empty() {
            push(s, RuleBroken::OutsideAvailability);
        } else {
            let accepting: Vec<_> = containing
                .iter()
                .filter(|w| w.modes & mode_bit(n.mode) != 0)
                .collect();
            if accepting.is_empty() {
                push(s, RuleBroken::ModeNotAccepted);
            } else {
                let best = accepting
                    .iter()
                    .map(|w| {
                        let black = w.blackouts.iter().any(|&(x, y)| x < b && a < y);
                        let long = b - a > w.longest;
                        (black as u8 + long as u8, black, long)
                    })
                    .min()
                    .unwrap_or((0, false, false));
                if best.1 {
                    push(s, RuleBroken::Blackout);
                }
                if best.2 {
                    push(s, RuleBroken::AboveLongestStint);
                }
            }
        }
    }
    // One expert: two places, rest between on-site stints, existing assignments.
    for (k, &(si, ni, ei, a, b)) in known.iter().enumerate() {
        if !instance.needs[ni].mode.on_site() {
            continue;
        }
        let s = &stints[si];
        for &(x, y) in &m.experts[ei].busy {
            if x < b && a < y {
                push(
                    s,
                    RuleBroken::TwoPlaces {
                        other_need_id: None,
                    },
                );
            }
        }
        for (k2, &(_, nj, ej, c, d)) in known.iter().enumerate() {
            if k2 == k || ej != ei || !instance.needs[nj].mode.on_site() {
                continue;
            }
            let other = instance.needs[nj].id.clone();
            if c < b && a < d {
                push(
                    s,
                    RuleBroken::TwoPlaces {
                        other_need_id: Some(other),
                    },
                );
            } else if c < b + rest && a < d + rest {
                push(
                    s,
                    RuleBroken::Rest {
                        other_need_id: other,
                    },
                );
            }
        }
    }
    // One need: no overlap, one stint unless split; team members inside their leader.
    for (k, &(si, ni, _, a, b)) in known.iter().enumerate() {
        let s = &stints[si];
        let n = &instance.needs[ni];
        let one_stint = !instance.rules.split_needs
            || n.team.as_ref().is_some_and(|t| t.role == TeamRole::Leader);
        let overfilled = known[..k]
            .iter()
            .any(|&(_, nj, _, c, d)| nj == ni && (one_stint || (c < b && a < d)));
        if overfilled {
            push(s, RuleBroken::NeedOverfilled);
        }
        if instance.rules.team_within_leader
            && let Some(l) = leaders[ni]
        {
            let inside = known
                .iter()
                .any(|&(_, nj, _, c, d)| nj == l && c <= a && b <= d);
            if !inside {
                push(s, RuleBroken::OutsideLeader);
            }
        }
    }
    out
}

pub(crate) fn objective(instance: &Instance, stints: &[Stint]) -> u64 {
    let m = Model::new(instance);
    let mut per_need: Vec<Vec<(i32, i32)>> = vec![Vec::new(); m.needs.len()];
    for s in stints {
        if let Some(&ni) = m.need_ix.get(&s.need_id) {
            let nd = &m.needs[ni as usize];
            let (a, b) = m.span(&s.period);
            let (a, b) = (a.max(nd.start), b.min(nd.end));
            if a < b {
                per_need[ni as usize].push((a, b));
            }
        }
    }
    let mut total = 0u64;
    for (ni, mut iv) in per_need.into_iter().enumerate() {
        total += instance.needs[ni].priority as u64 * union_days(&mut iv) as u64;
    }
    total
}

/// Days in the union of intervals `[a, b)`.
pub(crate) fn union_days(iv: &mut [(i32, i32)]) -> i64 {
    iv.sort();
    let mut days = 0i64;
    let mut cur: Option<(i32, i32)> = None;
    for &(a, b) in iv.iter() {
        match cur {
            Some((x, y)) if a <= y => cur = Some((x, y.max(b))),
            Some((x, y)) => {
                days += (y - x) as i64;
                cur = Some((a, b));
            }
            None => cur = Some((a, b)),
        }
    }
    if let Some((x, y)) = cur {
        days += (y - x) as i64;
    }
    days
}
