//! Generated planning instances for the benchmark and the tests: deterministic for a size and a
//! seed, and shaped like a program's batch — a skewed mix of specialties (many 心血管内科 and
//! 普通外科 experts, few of the rare ones, and needs that ask for the rare ones more often than
//! the donors can give), titles with ranks, priorities 1–5, mostly stationed needs with some
//! 候鸟 (weekly), clinic, one-off and remote ones, 组团式 teams (a leader and 2–4 members at one
//! hospital), experts with one or two availability windows, longest stints, blackout days and
//! existing assignments, and a few pinned stints. Every window, stay and busy period lies on the
//! horizon's week grid (blackouts may be a few days inside a week). Tight on purpose: not every
//! need can be covered, so the optimum is worth finding.

use crate::{Expert, Instance, Need, Period, Rules, Stint, TeamPart, TeamRole, Window};
use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use shanhai_domain::codes::Title;
use shanhai_domain::dispatch::AssignmentMode;

/// How big an instance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub experts: usize,
    /// All needs, team needs included.
    pub needs: usize,
    /// The horizon in weeks.
    pub weeks: u32,
    /// Recipient hospitals.
    pub hospitals: usize,
    /// 组团式 teams (each a leader and 2–4 members, counted in `needs`).
    pub teams: usize,
}

impl Size {
    pub const TINY: Size = Size {
        experts: 5,
        needs: 8,
        weeks: 8,
        hospitals: 2,
        teams: 0,
    };
    pub const SMALL: Size = Size {
        experts: 15,
        needs: 20,
        weeks: 16,
        hospitals: 4,
        teams: 1,
    };
    pub const MEDIUM: Size = Size {
        experts: 60,
        needs: 50,
        weeks: 26,
        hospitals: 8,
        teams: 2,
    };
    pub const LARGE: Size = Size {
        experts: 200,
        needs: 120,
        weeks: 52,
        hospitals: 15,
        teams: 5,
    };
    pub const NATIONAL: Size = Size {
        experts: 500,
        needs: 300,
        weeks: 52,
        hospitals: 30,
        teams: 12,
    };

    /// The presets by name, smallest first.
    pub const PRESETS: [(&'static str, Size); 5] = [
        ("tiny", Size::TINY),
        ("small", Size::SMALL),
        ("medium", Size::MEDIUM),
        ("large", Size::LARGE),
        ("national", Size::NATIONAL),
    ];

    pub fn preset(name: &str) -> Option<Size> {
        Size::PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
    }

    /// Pinned stints the instance carries (none on the two smallest sizes).
    fn pins(&self) -> usize {
        match self.needs {
            0..=20 => 0,
            21..=80 => 1,
            81..=200 => 2,
            _ => 3,
        }
    }

    /// How many specialties the instance draws from.
    fn specialties(&self) -> usize {
        (self.needs / 8).clamp(3, 32)
    }
}

/// The horizon's first day (a Monday): every generated instance starts there.
pub fn horizon_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 4).unwrap_or_default()
}

/// Specialties common in a program's batches, most asked for first.
const COMMON: [&str; 12] = [
    "03.04", "04.01", "05", "07", "26", "20", "03.03", "28", "04.02", "32", "03.02", "12",
];
/// Codes that are not clinical posts an expert is sent to.
const NOT_SENT: [&str; 6] = ["69", "25", "24", "23", "22", "01"];

struct Grid {
    start: NaiveDate,
    weeks: u32,
}

impl Grid {
    fn day(&self, week: u32, offset: u32) -> NaiveDate {
        self.start + Days::new(u64::from(week) * 7 + u64::from(offset))
    }
    /// Weeks `from` .. `from + len` (exclusive) as a period of days.
    fn weeks(&self, from: u32, len: u32) -> Period {
        Period {
            start: self.day(from, 0),
            end: self.day(from + len, 0) - Days::new(1),
        }
    }
}

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if pick < *w {
            return item;
        }
        pick -= w;
    }
    &items[items.len() - 1].0
}

/// A Zipf-like pick of an index below `n`: index `i` weighs `1 / (i + 1)^skew`.
fn skewed(rng: &mut StdRng, n: usize, skew: f64) -> usize {
    let weights: Vec<f64> = (0..n).map(|i| 1.0 / ((i + 1) as f64).powf(skew)).collect();
    let total: f64 = weights.iter().sum();
    let mut pick = rng.gen_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if pick < *w {
            return i;
        }
        pick -= w;
    }
    n - 1
}

fn specialty_pool(rng: &mut StdRng, n: usize) -> Vec<String> {
    let mut rest: Vec<String> = shanhai_domain::specialty::all()
        .iter()
        .map(|s| s.code.clone())
        .filter(|c| !COMMON.contains(&c.as_str()) && !NOT_SENT.contains(&c.as_str()))
        .collect();
    rest.shuffle(rng);
    COMMON
        .iter()
        .map(|c| c.to_string())
        .chain(rest)
        .take(n)
        .collect()
}

fn parent_of(code: &str) -> Option<String> {
    shanhai_domain::specialty::find(code).and_then(|s| s.parent.clone())
}

fn physician_title(rng: &mut StdRng) -> Title {
    *weighted(
        rng,
        &[
            (Title::ChiefPhysician, 25),
            (Title::AssociateChiefPhysician, 40),
            (Title::AttendingPhysician, 30),
            (Title::ResidentPhysician, 5),
        ],
    )
}

fn nurse_title(rng: &mut StdRng) -> Title {
    *weighted(
        rng,
        &[
            (Title::ChiefNurse, 10),
            (Title::AssociateChiefNurse, 30),
            (Title::SupervisorNurse, 45),
            (Title::Nurse, 15),
        ],
    )
}

/// A need's minimum stay in weeks for its mode, at most `cap` and at least 2 weeks.
fn min_stay_weeks(rng: &mut StdRng, mode: AssignmentMode, cap: u32) -> u32 {
    let weeks = match mode {
        AssignmentMode::Stationed => *weighted(rng, &[(4, 20), (8, 25), (13, 35), (26, 20)]),
        AssignmentMode::Weekly | AssignmentMode::Monthly | AssignmentMode::Quarterly => {
            rng.gen_range(4..=13)
        }
        AssignmentMode::OneOff => 2,
        AssignmentMode::Remote => rng.gen_range(2..=8),
    };
    weeks.min(cap).max(2)
}

/// Generates the instance of `size` for `seed` (the same size and seed: the same instance).
pub fn instance(size: Size, seed: u64) -> Instance {
    let mut rng = StdRng::seed_from_u64(seed);
    let weeks = size.weeks.max(4);
    let grid = Grid {
        start: horizon_start(),
        weeks,
    };
    let pool = specialty_pool(&mut rng, size.specialties());
    let hospital = |i: usize| format!("h{:02}", i + 1);
    let donors = (size.hospitals / 3).max(2);
    // The longest minimum stay: half the horizon, and never more than 26 weeks.
    let stay_cap = (weeks / 2).clamp(2, 26);

    let mut needs: Vec<Need> = Vec::with_capacity(size.needs);
    let need_id = |i: usize| format!("n{:03}", i + 1);

    // 组团式 teams first: a leader and 2–4 members at one hospital, members inside the
    // leader's window.
    for t in 0..size.teams {
        if needs.len() + 3 > size.needs {
            break;
        }
        let institution = hospital(rng.gen_range(0..size.hospitals.max(1)));
        let team = format!("team-{}", t + 1);
        let leader_stay = stay_cap.min(if weeks >= 52 { 26 } else { 13 });
        let len = rng.gen_range(leader_stay..=(leader_stay + weeks / 4).min(weeks));
        let from = rng.gen_range(0..=weeks - len);
        let window = grid.weeks(from, len);
        needs.push(Need {
            id: need_id(needs.len()),
            institution_id: institution.clone(),
            specialty: pool[skewed(&mut rng, pool.len(), 0.8)].clone(),
            mode: AssignmentMode::Stationed,
            window,
            min_stay_days: leader_stay * 7,
            min_title: Some(if rng.gen_bool(0.6) {
                Title::ChiefPhysician
            } else {
                Title::AssociateChiefPhysician
            }),
            priority: 5,
            team: Some(TeamPart {
                team: team.clone(),
                role: TeamRole::Leader,
            }),
        });
        let members = rng.gen_range(2..=4).min(size.needs - needs.len());
        for _ in 0..members {
            let stay = rng.gen_range(4..=13).min(leader_stay);
            let member_len = rng.gen_range(stay..=len);
            let member_from = from + rng.gen_range(0..=len - member_len);
            needs.push(Need {
                id: need_id(needs.len()),
                institution_id: institution.clone(),
                specialty: pool[skewed(&mut rng, pool.len(), 0.6)].clone(),
                mode: AssignmentMode::Stationed,
                window: grid.weeks(member_from, member_len),
                min_stay_days: stay * 7,
                min_title: Some(if rng.gen_bool(0.5) {
                    Title::AssociateChiefPhysician
                } else {
                    Title::AttendingPhysician
                }),
                priority: rng.gen_range(4..=5),
                team: Some(TeamPart {
                    team: team.clone(),
                    role: TeamRole::Member,
                }),
            });
        }
    }

    // Single needs: the rare specialties are asked for relatively more often than the donors
    // have them (a flatter skew than the experts').
    while needs.len() < size.needs {
        let mode = *weighted(
            &mut rng,
            &[
                (AssignmentMode::Stationed, 62),
                (AssignmentMode::Weekly, 10),
                (AssignmentMode::Monthly, 5),
                (AssignmentMode::Quarterly, 3),
                (AssignmentMode::OneOff, 8),
                (AssignmentMode::Remote, 12),
            ],
        );
        let stay = min_stay_weeks(&mut rng, mode, stay_cap);
        let len = (stay + rng.gen_range(0..=stay * 2)).min(weeks);
        let from = rng.gen_range(0..=weeks - len);
        let mut specialty = pool[skewed(&mut rng, pool.len(), 0.5)].clone();
        if rng.gen_bool(0.15)
            && let Some(parent) = parent_of(&specialty)
        {
            // "any 内科 specialist": a sub-specialty fills it.
            specialty = parent;
        }
        let nursing = rng.gen_bool(0.06);
        let min_title = if nursing {
            Some(if rng.gen_bool(0.5) {
                Title::SupervisorNurse
            } else {
                Title::AssociateChiefNurse
            })
        } else {
            *weighted(
                &mut rng,
                &[
                    (None, 15),
                    (Some(Title::AttendingPhysician), 30),
                    (Some(Title::AssociateChiefPhysician), 40),
                    (Some(Title::ChiefPhysician), 15),
                ],
            )
        };
        needs.push(Need {
            id: need_id(needs.len()),
            institution_id: hospital(rng.gen_range(0..size.hospitals.max(1))),
            specialty,
            mode,
            window: grid.weeks(from, len),
            min_stay_days: stay * 7,
            min_title,
            priority: *weighted(&mut rng, &[(1, 10), (2, 20), (3, 35), (4, 20), (5, 15)]),
            team: None,
        });
    }

    let mut experts: Vec<Expert> = Vec::with_capacity(size.experts);
    for i in 0..size.experts {
        let nurse = rng.gen_bool(0.08);
        let title = if nurse {
            nurse_title(&mut rng)
        } else {
            physician_title(&mut rng)
        };
        let specialty = pool[skewed(&mut rng, pool.len(), 1.0)].clone();
        let two = rng.gen_bool(0.3) && weeks >= 12;
        let spans: Vec<(u32, u32)> = if two {
            let half = weeks / 2;
            let a = rng.gen_range(3..half);
            let b = rng.gen_range(3..half);
            vec![
                (rng.gen_range(0..=half - a), a),
                (half + rng.gen_range(0..=half - b), b),
            ]
        } else {
            let len = rng.gen_range((weeks / 4).max(4).min(weeks)..=weeks);
            vec![(rng.gen_range(0..=weeks - len), len)]
        };
        let windows = spans
            .into_iter()
            .map(|(from, len)| {
                let mut modes = Vec::new();
                for (mode, p) in [
                    (AssignmentMode::Stationed, 0.85),
                    (AssignmentMode::Weekly, 0.25),
                    (AssignmentMode::Monthly, 0.2),
                    (AssignmentMode::Quarterly, 0.15),
                    (AssignmentMode::OneOff, 0.3),
                    (AssignmentMode::Remote, 0.4),
                ] {
                    if rng.gen_bool(p) {
                        modes.push(mode);
                    }
                }
                if modes.is_empty() {
                    modes.push(AssignmentMode::Stationed);
                }
                let longest_stint_days = if rng.gen_bool(0.5) {
                    None
                } else {
                    Some(*weighted(&mut rng, &[(8u32, 30), (13, 45), (26, 25)]) * 7)
                };
                let mut blackouts = Vec::new();
                if len >= 4 && rng.gen_bool(0.25) {
                    let week = from + rng.gen_range(1..len - 1);
                    blackouts.push(if rng.gen_bool(0.5) {
                        grid.weeks(week, 1)
                    } else {
                        // A few days inside a week (a conference, a holiday).
                        let first = rng.gen_range(0..5);
                        Period {
                            start: grid.day(week, first),
                            end: grid.day(week, first + rng.gen_range(1..=2)),
                        }
                    });
                }
                Window {
                    period: grid.weeks(from, len),
                    modes,
                    longest_stint_days,
                    blackouts,
                }
            })
            .collect();
        let busy = if rng.gen_bool(0.12) {
            let len = rng.gen_range(2..=8).min(weeks);
            vec![grid.weeks(rng.gen_range(0..=weeks - len), len)]
        } else {
            Vec::new()
        };
        experts.push(Expert {
            id: format!("e{:03}", i + 1),
            specialty: Some(specialty),
            title,
            home_institution_id: format!("d{:02}", rng.gen_range(1..=donors)),
            windows,
            busy,
        });
    }

    let mut instance = Instance {
        horizon: grid.weeks(0, grid.weeks),
        rules: Rules::default(),
        experts,
        needs,
        pinned: Vec::new(),
    };
    instance.pinned = pins(&instance, size.pins(), &mut rng);
    instance
}

/// A few stints a coordinator has already fixed: single needs given a compatible expert for
/// the minimum stay from the earliest day both can, never clashing with the expert's busy
/// periods, blackouts or other pins (rest days included).
fn pins(instance: &Instance, count: usize, rng: &mut StdRng) -> Vec<Stint> {
    let rules = instance.rules;
    let mut order: Vec<usize> = (0..instance.needs.len()).collect();
    order.shuffle(rng);
    let mut pinned: Vec<Stint> = Vec::new();
    let rest = chrono::Duration::days(i64::from(rules.rest_days));
    let apart = |a: &Period, b: &Period| a.end + rest < b.start || b.end + rest < a.start;
    for n in order {
        if pinned.len() >= count {
            break;
        }
        let need = &instance.needs[n];
        if need.team.is_some() || !need.mode.on_site() {
            continue;
        }
        'experts: for expert in &instance.experts {
            let specialty_ok = expert.specialty.as_deref().is_some_and(|s| {
                s == need.specialty || s.starts_with(&format!("{}.", need.specialty))
            });
            let title_ok = need.min_title.is_none_or(|t| expert.title.meets(t));
            if !specialty_ok || !title_ok {
                continue;
            }
            for window in &expert.windows {
                if !window.modes.contains(&need.mode) {
                    continue;
                }
                let start = need.window.start.max(window.period.start);
                let end = start + Days::new(u64::from(need.min_stay_days)) - Days::new(1);
                let period = Period { start, end };
                let fits = end <= need.window.end
                    && end <= window.period.end
                    && window
                        .longest_stint_days
                        .is_none_or(|d| d >= need.min_stay_days)
                    && window
                        .blackouts
                        .iter()
                        .all(|b| b.end < start || b.start > end)
                    && expert.busy.iter().all(|b| apart(b, &period))
                    && pinned
                        .iter()
                        .filter(|p| p.expert_id == expert.id)
                        .all(|p| apart(&p.period, &period));
                if fits {
                    pinned.push(Stint {
                        need_id: need.id.clone(),
                        expert_id: expert.id.clone(),
                        period,
                    });
                    break 'experts;
                }
            }
        }
    }
    pinned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_deterministic_and_sized() {
        for (name, size) in Size::PRESETS {
            let a = instance(size, 7);
            let b = instance(size, 7);
            assert_eq!(a, b, "{name}");
            assert_eq!(a.needs.len(), size.needs, "{name}");
            assert_eq!(a.experts.len(), size.experts, "{name}");
            assert_eq!(a.horizon.days(), i64::from(size.weeks) * 7, "{name}");
            assert_ne!(a, instance(size, 8), "{name}");
        }
    }

    #[test]
    fn everything_lies_on_the_week_grid_inside_the_horizon() {
        let on_grid = |d: NaiveDate| (d - horizon_start()).num_days() % 7 == 0;
        for (_, size) in Size::PRESETS {
            let inst = instance(size, 1);
            let inside = |p: &Period| p.start >= inst.horizon.start && p.end <= inst.horizon.end;
            for need in &inst.needs {
                assert!(on_grid(need.window.start) && on_grid(need.window.end + Days::new(1)));
                assert!(inside(&need.window));
                assert!(need.min_stay_days % 7 == 0 && need.min_stay_days >= 14);
                assert!(i64::from(need.min_stay_days) <= need.window.days());
                assert!((1..=5).contains(&need.priority));
            }
            for expert in &inst.experts {
                assert!((1..=2).contains(&expert.windows.len()));
                for w in &expert.windows {
                    assert!(on_grid(w.period.start) && inside(&w.period));
                    assert!(!w.modes.is_empty());
                    assert!(
                        w.blackouts
                            .iter()
                            .all(|b| b.start >= w.period.start && b.end <= w.period.end)
                    );
                }
                assert!(expert.busy.iter().all(inside));
            }
        }
    }

    #[test]
    fn teams_have_one_leader_and_members_at_one_hospital() {
        let inst = instance(Size::NATIONAL, 3);
        let mut teams = std::collections::BTreeMap::<String, Vec<&Need>>::new();
        for need in &inst.needs {
            if let Some(part) = &need.team {
                teams.entry(part.team.clone()).or_default().push(need);
            }
        }
        assert_eq!(teams.len(), Size::NATIONAL.teams);
        for needs in teams.values() {
            let leaders: Vec<_> = needs
                .iter()
                .filter(|n| n.team.as_ref().is_some_and(|t| t.role == TeamRole::Leader))
                .collect();
            assert_eq!(leaders.len(), 1);
            assert!((3..=5).contains(&needs.len()));
            let leader = leaders[0];
            for n in needs {
                assert_eq!(n.institution_id, leader.institution_id);
                assert!(n.window.start >= leader.window.start && n.window.end <= leader.window.end);
            }
        }
        assert_eq!(inst.pinned.len(), 3);
    }
}
