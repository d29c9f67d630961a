//! Random instances for the crate's tests and timing runs (the bench has its own generator).

use crate::{Expert, Instance, Need, Period, Rules, TeamPart, TeamRole, Window};
use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shanhai_domain::codes::Title;
use shanhai_domain::dispatch::AssignmentMode;

#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub experts: usize,
    pub needs: usize,
    pub weeks: i64,
    pub hospitals: usize,
    pub specialties: usize,
    pub teams: usize,
}

impl Size {
    pub const TINY: Size = Size {
        experts: 5,
        needs: 8,
        weeks: 8,
        hospitals: 3,
        specialties: 3,
        teams: 0,
    };
    pub const SMALL: Size = Size {
        experts: 20,
        needs: 30,
        weeks: 16,
        hospitals: 5,
        specialties: 5,
        teams: 1,
    };
    pub const NATIONAL: Size = Size {
        experts: 500,
        needs: 300,
        weeks: 52,
        hospitals: 30,
        specialties: 20,
        teams: 10,
    };
}

const TITLES: [Title; 4] = [
    Title::ChiefPhysician,
    Title::AssociateChiefPhysician,
    Title::AttendingPhysician,
    Title::ResidentPhysician,
];

pub fn generate(size: Size, seed: u64) -> Instance {
    let mut rng = StdRng::seed_from_u64(seed);
    let h0 = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap_or_default();
    let days = size.weeks * 7;
    let d = |x: i64| h0 + Duration::days(x);
    let spec = |rng: &mut StdRng| format!("{:02}", rng.gen_range(1..=size.specialties));
    let mut experts = Vec::new();
    for i in 0..size.experts {
        let mut specialty = spec(&mut rng);
        if rng.gen_bool(0.3) {
            specialty = format!("{specialty}.{:02}", rng.gen_range(1..4));
        }
        let mut windows = Vec::new();
        for _ in 0..rng.gen_range(1..=2) {
            let off_grid = if rng.gen_bool(0.1) {
                rng.gen_range(0..7)
            } else {
                0
            };
            let s = rng.gen_range(0..size.weeks) * 7 + off_grid;
            let len = rng.gen_range(4..=size.weeks.max(5)) * 7;
            let e = (s + len).min(days + 14) - 1;
            let mut modes = vec![AssignmentMode::Stationed];
            if rng.gen_bool(0.3) {
                modes.push(AssignmentMode::Remote);
            }
            if rng.gen_bool(0.2) {
                modes.retain(|m| *m != AssignmentMode::Stationed);
                modes.push(AssignmentMode::Weekly);
            }
            let mut blackouts = Vec::new();
            if rng.gen_bool(0.2) && e - s > 20 {
                let b = rng.gen_range(s..e - 7);
                blackouts.push(Period {
                    start: d(b),
                    end: d(b + rng.gen_range(0..10)),
                });
            }
            windows.push(Window {
                period: Period {
                    start: d(s),
                    end: d(e),
                },
                modes,
                longest_stint_days: if rng.gen_bool(0.5) {
                    Some(rng.gen_range(4..=26) * 7)
                } else {
                    None
                },
                blackouts,
            });
        }
        let mut busy = Vec::new();
        if rng.gen_bool(0.1) {
            let b = rng.gen_range(0..days);
            busy.push(Period {
                start: d(b),
                end: d(b + rng.gen_range(1..30)),
            });
        }
        experts.push(Expert {
            id: format!("e{i}"),
            specialty: Some(specialty),
            title: TITLES[rng.gen_range(0..TITLES.len())],
            home_institution_id: format!("home{}", i % 7),
            windows,
            busy,
        });
    }
    let mut needs = Vec::new();
    let mk_need = |rng: &mut StdRng, i: usize, hospital: usize, team: Option<TeamPart>| {
        let s = rng.gen_range(0..size.weeks.max(2) - 1) * 7;
        let len = rng.gen_range(2..=size.weeks.max(3)) * 7;
        let e = (s + len).min(days) - 1;
        let mode = if rng.gen_bool(0.1) {
            AssignmentMode::Remote
        } else if rng.gen_bool(0.1) {
            AssignmentMode::Weekly
        } else {
            AssignmentMode::Stationed
        };
        Need {
            id: format!("n{i}"),
            institution_id: format!("h{hospital}"),
            specialty: format!("{:02}", rng.gen_range(1..=size.specialties)),
            mode,
            window: Period {
                start: d(s),
                end: d(e),
            },
            min_stay_days: rng.gen_range(1..=(size.weeks / 3).max(1) as u32) * 7,
            min_title: if rng.gen_bool(0.4) {
                Some(TITLES[rng.gen_range(0..3)])
            } else {
                None
            },
            priority: rng.gen_range(1..=5),
            team,
        }
    };
    let mut i = 0;
    for t in 0..size.teams {
        let hospital = rng.gen_range(0..size.hospitals);
        let members = rng.gen_range(1..=3);
        for k in 0..=members {
            let role = if k == 0 {
                TeamRole::Leader
            } else {
                TeamRole::Member
            };
            let n = mk_need(
                &mut rng,
                i,
                hospital,
                Some(TeamPart {
                    team: format!("t{t}"),
                    role,
                }),
            );
            needs.push(n);
            i += 1;
        }
    }
    while needs.len() < size.needs {
        let hospital = rng.gen_range(0..size.hospitals);
        let n = mk_need(&mut rng, i, hospital, None);
        needs.push(n);
        i += 1;
    }
    Instance {
        horizon: Period {
            start: h0,
            end: d(days - 1),
        },
        rules: Rules::default(),
        experts,
        needs,
        pinned: Vec::new(),
    }
}
