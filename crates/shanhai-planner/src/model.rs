//! The instance in integer days (days since the horizon's start, ends exclusive), indexed for
//! the search: compatible experts per need, each need's segments on the week grid, teams.

use crate::{Instance, Need, Period, TeamRole};
use chrono::NaiveDate;
use shanhai_domain::dispatch::AssignmentMode;
use std::collections::HashMap;

/// Marks an occupancy entry that is an existing assignment (`busy`), not a stint.
pub(crate) const BUSY: u32 = u32::MAX;

pub(crate) struct Win {
    pub start: i32,
    /// Exclusive.
    pub end: i32,
    pub modes: u8,
    pub longest: i32,
    /// Sorted, ends exclusive.
    pub blackouts: Vec<(i32, i32)>,
}

pub(crate) struct Ex {
    pub windows: Vec<Win>,
    pub busy: Vec<(i32, i32)>,
}

pub(crate) struct Nd {
    pub start: i32,
    /// Exclusive.
    pub end: i32,
    pub prio: i64,
    pub min: i32,
    pub on_site: bool,
    pub mode: u8,
    /// Whether the need may be filled by more than one stint.
    pub split: bool,
    /// Compatible experts (specialty, title, some window accepting the mode that meets the
    /// need's window), in instance order.
    pub cands: Vec<u32>,
    pub leader: Option<u32>,
    pub members: Vec<u32>,
    /// Boundaries of the need's segments: its start, the grid points inside its window, the
    /// ends of its pinned stints, its end.
    pub seg: Vec<i32>,
    /// Pinned stints of this need: expert, start, end (exclusive).
    pub pinned: Vec<(u32, i32, i32)>,
}

pub(crate) struct Model {
    pub h0: NaiveDate,
    pub rest: i32,
    pub needs: Vec<Nd>,
    pub experts: Vec<Ex>,
    pub need_ix: HashMap<String, u32>,
    pub expert_ix: HashMap<String, u32>,
}

pub(crate) fn mode_bit(mode: AssignmentMode) -> u8 {
    let i = AssignmentMode::ALL
        .iter()
        .position(|m| *m == mode)
        .unwrap_or(0);
    1u8 << i
}

pub(crate) fn specialty_fits(expert: Option<&str>, need: &str) -> bool {
    match expert {
        Some(s) => {
            s == need
                || (s.len() > need.len() && s.starts_with(need) && s.as_bytes()[need.len()] == b'.')
        }
        None => false,
    }
}

pub(crate) fn title_fits(instance: &Instance, expert: &crate::Expert, need: &Need) -> bool {
    !instance.rules.check_title || need.min_title.is_none_or(|t| expert.title.meets(t))
}

/// The leader need of each team need's team (the first need of role leader with the same team
/// key at the same institution).
pub(crate) fn leader_of(instance: &Instance) -> Vec<Option<usize>> {
    let mut leaders: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, n) in instance.needs.iter().enumerate() {
        if let Some(t) = &n.team
            && t.role == TeamRole::Leader
        {
            leaders
                .entry((n.institution_id.as_str(), t.team.as_str()))
                .or_insert(i);
        }
    }
    instance
        .needs
        .iter()
        .map(|n| match &n.team {
            Some(t) if t.role == TeamRole::Member => leaders
                .get(&(n.institution_id.as_str(), t.team.as_str()))
                .copied(),
            _ => None,
        })
        .collect()
}

impl Model {
    pub fn day(&self, d: NaiveDate) -> i32 {
        (d - self.h0).num_days() as i32
    }

    pub fn date(&self, d: i32) -> NaiveDate {
        self.h0 + chrono::Duration::days(d as i64)
    }

    /// A period as `[start, end)` in days.
    pub fn span(&self, p: &Period) -> (i32, i32) {
        (self.day(p.start), self.day(p.end) + 1)
    }

    pub fn period(&self, a: i32, b: i32) -> Period {
        Period {
            start: self.date(a),
            end: self.date(b - 1),
        }
    }

    pub fn new(instance: &Instance) -> Model {
        let h0 = instance.horizon.start;
        let mut m = Model {
            h0,
            rest: instance.rules.rest_days as i32,
            needs: Vec::new(),
            experts: Vec::new(),
            need_ix: HashMap::new(),
            expert_ix: HashMap::new(),
        };
        for (i, e) in instance.experts.iter().enumerate() {
            m.expert_ix.entry(e.id.clone()).or_insert(i as u32);
        }
        for (i, n) in instance.needs.iter().enumerate() {
            m.need_ix.entry(n.id.clone()).or_insert(i as u32);
        }
        for e in &instance.experts {
            let windows = e
                .windows
                .iter()
                .map(|w| {
                    let (start, end) = m.span(&w.period);
                    let mut blackouts: Vec<(i32, i32)> =
                        w.blackouts.iter().map(|b| m.span(b)).collect();
                    blackouts.sort();
                    Win {
                        start,
                        end,
                        modes: w.modes.iter().fold(0, |acc, md| acc | mode_bit(*md)),
                        longest: w.longest_stint_days.map_or(i32::MAX / 4, |d| d as i32),
                        blackouts,
                    }
                })
                .collect();
            let busy = e.busy.iter().map(|b| m.span(b)).collect();
            m.experts.push(Ex { windows, busy });
        }
        let leaders = leader_of(instance);
        let team_within = instance.rules.team_within_leader;
        for (i, n) in instance.needs.iter().enumerate() {
            let (start, end) = m.span(&n.window);
            let mode = mode_bit(n.mode);
            let cands = instance
                .experts
                .iter()
                .enumerate()
                .filter(|(ei, e)| {
                    specialty_fits(e.specialty.as_deref(), &n.specialty)
                        && title_fits(instance, e, n)
                        && m.experts[*ei]
                            .windows
                            .iter()
                            .any(|w| w.modes & mode != 0 && w.start < end && start < w.end)
                })
                .map(|(ei, _)| ei as u32)
                .collect();
            let is_leader = n.team.as_ref().is_some_and(|t| t.role == TeamRole::Leader);
            let leader = if team_within {
                leaders[i].map(|l| l as u32)
            } else {
                None
            };
            let mut pinned = Vec::new();
            for p in &instance.pinned {
                if p.need_id == n.id
                    && let Some(&e) = m.expert_ix.get(&p.expert_id)
                {
                    let (a, b) = m.span(&p.period);
                    pinned.push((e, a, b));
                }
            }
            pinned.sort_by_key(|p| p.1);
            let mut seg = vec![start];
            let mut g = (start.div_euclid(7) + 1) * 7;
            while g < end {
                seg.push(g);
                g += 7;
            }
            seg.push(end.max(start));
            for &(_, a, b) in &pinned {
                if a > start && a < end {
                    seg.push(a);
                }
                if b > start && b < end {
                    seg.push(b);
                }
            }
            seg.sort();
            seg.dedup();
            m.needs.push(Nd {
                start,
                end,
                prio: n.priority as i64,
                min: n.min_stay_days as i32,
                on_site: n.mode.on_site(),
                mode,
                split: instance.rules.split_needs && !is_leader,
                cands,
                leader,
                members: Vec::new(),
                seg,
                pinned,
            });
        }
        for i in 0..m.needs.len() {
            if let Some(l) = m.needs[i].leader {
                m.needs[l as usize].members.push(i as u32);
            }
        }
        m
    }
}
