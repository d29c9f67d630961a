#![allow(clippy::expect_used, clippy::unwrap_used)] // a case that cannot set up stops with the reason

use super::*;
use crate::testgen::{Size, generate};
use proptest::prelude::*;
use shanhai_domain::codes::Title;
use shanhai_domain::dispatch::AssignmentMode;

fn opts(rounds: u64) -> Options {
    Options {
        time_limit: Duration::from_secs(5),
        seed: 7,
        max_rounds: Some(rounds),
    }
}

fn solve_quiet(instance: &Instance, rounds: u64) -> Solution {
    solve(instance, &opts(rounds), &mut |_| {}).expect("pinned stints are fine")
}

/// A small random instance: the crate's generator (off-grid windows, sub-specialties) or, for
/// odd seeds, the bench's (teams of up to five, pins, busy periods).
fn small(seed: u64) -> Instance {
    if seed % 2 == 1 {
        return generate::instance(generate::Size::SMALL, seed);
    }
    let mut size = Size::SMALL;
    size.experts = 8 + (seed % 7) as usize;
    size.needs = 10 + (seed % 11) as usize;
    size.weeks = 10 + (seed % 9) as i64;
    generate(size, seed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn greedy_and_solve_are_feasible_and_consistent(seed in 0u64..100_000) {
        let inst = small(seed);
        let g = greedy(&inst);
        prop_assert_eq!(check(&inst, &g.stints), vec![]);
        prop_assert_eq!(objective(&inst, &g.stints), g.objective);
        let s = solve_quiet(&inst, 200);
        prop_assert_eq!(check(&inst, &s.stints), vec![]);
        prop_assert_eq!(objective(&inst, &s.stints), s.objective);
        prop_assert!(s.objective <= s.bound, "{} > bound {}", s.objective, s.bound);
        prop_assert!(g.objective <= s.objective);
    }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn period(a: &str, b: &str) -> Period {
    Period {
        start: day(a),
        end: day(b),
    }
}

fn expert(id: &str, specialty: &str, title: Title, windows: Vec<Window>) -> Expert {
    Expert {
        id: id.into(),
        specialty: Some(specialty.into()),
        title,
        home_institution_id: "home".into(),
        windows,
        busy: Vec::new(),
    }
}

fn window(a: &str, b: &str) -> Window {
    Window {
        period: period(a, b),
        modes: vec![AssignmentMode::Stationed],
        longest_stint_days: None,
        blackouts: Vec::new(),
    }
}

fn need(id: &str, specialty: &str, a: &str, b: &str, min_stay_days: u32, priority: u32) -> Need {
    Need {
        id: id.into(),
        institution_id: "county".into(),
        specialty: specialty.into(),
        mode: AssignmentMode::Stationed,
        window: period(a, b),
        min_stay_days,
        min_title: None,
        priority,
        team: None,
    }
}

fn instance(experts: Vec<Expert>, needs: Vec<Need>) -> Instance {
    Instance {
        horizon: period("2027-01-04", "2027-12-31"),
        rules: Rules::default(),
        experts,
        needs,
        pinned: Vec::new(),
    }
}

fn stint(need: &str, expert: &str, a: &str, b: &str) -> Stint {
    Stint {
        need_id: need.into(),
        expert_id: expert.into(),
        period: period(a, b),
    }
}

fn rules_of(inst: &Instance, stints: &[Stint]) -> Vec<RuleBroken> {
    check(inst, stints).into_iter().map(|v| v.rule).collect()
}

#[test]
fn a_six_month_minimum_stay_cannot_fit_in_four_months() {
    let inst = instance(
        vec![expert(
            "card",
            "03",
            Title::ChiefPhysician,
            vec![window("2027-02-01", "2027-05-30")],
        )],
        vec![need("post", "03", "2027-01-04", "2027-12-31", 182, 5)],
    );
    let s = solve_quiet(&inst, 50);
    assert!(s.stints.is_empty());
    assert!(s.optimal, "nothing can be covered: the bound says so");
    let ex = explain(&inst, &s);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].covered_days, 0);
    assert_eq!(ex[0].window_days, 362);
    assert_eq!(
        ex[0].reasons,
        vec![Reason::MinimumStayCannotFit {
            longest_free_days: 119
        }]
    );
    let sug = ex[0].suggestion.clone().unwrap();
    assert_eq!(sug.specialty, "03");
    assert!(sug.period.days() >= 182);
}

#[test]
fn a_higher_priority_need_takes_the_only_cardiologist() {
    let mut low = need("low", "03", "2027-03-01", "2027-08-29", 28, 2);
    low.min_title = Some(Title::AssociateChiefPhysician);
    let mut high = need("high", "03", "2027-03-01", "2027-08-29", 28, 5);
    high.min_title = Some(Title::AssociateChiefPhysician);
    let inst = instance(
        vec![
            expert(
                "card",
                "03.04",
                Title::ChiefPhysician,
                vec![window("2027-01-04", "2027-12-31")],
            ),
            // Of the specialty but not the title, and of another specialty.
            expert(
                "young",
                "03",
                Title::AttendingPhysician,
                vec![window("2027-01-04", "2027-12-31")],
            ),
            expert(
                "other",
                "0304",
                Title::ChiefPhysician,
                vec![window("2027-01-04", "2027-12-31")],
            ),
        ],
        vec![high, low],
    );
    let s = solve_quiet(&inst, 100);
    assert!(check(&inst, &s.stints).is_empty());
    assert_eq!(s.stints.len(), 1);
    assert_eq!(s.stints[0].need_id, "high");
    assert_eq!(s.stints[0].expert_id, "card");
    assert_eq!(s.objective, 5 * 182);
    assert!(s.optimal);
    let ex = explain(&inst, &s);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].need_id, "low");
    assert_eq!(
        ex[0].reasons,
        vec![Reason::TakenBy {
            needs: vec!["high".into()],
            experts: vec!["card".into()],
        }]
    );
    assert_eq!(
        ex[0].suggestion,
        Some(Suggestion {
            specialty: "03".into(),
            min_title: Some(Title::AssociateChiefPhysician),
            period: period("2027-03-01", "2027-08-29"),
        })
    );
    // Where would the cardiologist fit? The high-priority post, already theirs: the low one
    // displaces it and loses.
    let f = fits(&inst, &s, "card", 5);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].need_id, "high");
    assert_eq!(f[0].gain, 0);
    assert_eq!(f[1].need_id, "low");
    assert!(f[1].gain < 0);
    assert_eq!(f[1].displaces.len(), 1);
}

#[test]
fn nobody_of_the_specialty_means_no_candidate() {
    let inst = instance(
        vec![expert(
            "card",
            "03",
            Title::ChiefPhysician,
            vec![window("2027-01-04", "2027-12-31")],
        )],
        vec![need("eye", "07", "2027-03-01", "2027-05-30", 28, 3)],
    );
    let s = solve_quiet(&inst, 10);
    let ex = explain(&inst, &s);
    assert_eq!(ex[0].reasons, vec![Reason::NoCandidate]);
}

#[test]
fn a_team_member_lies_inside_its_leader() {
    let mut leader = need("lead", "01", "2027-01-04", "2027-12-31", 91, 5);
    leader.team = Some(TeamPart {
        team: "t".into(),
        role: TeamRole::Leader,
    });
    let mut member = need("mem", "02", "2027-01-04", "2027-12-31", 28, 5);
    member.team = Some(TeamPart {
        team: "t".into(),
        role: TeamRole::Member,
    });
    let inst = instance(
        vec![
            expert(
                "boss",
                "01",
                Title::ChiefPhysician,
                vec![window("2027-03-01", "2027-08-29")],
            ),
            expert(
                "doc",
                "02",
                Title::ChiefPhysician,
                vec![window("2027-01-04", "2027-12-31")],
            ),
        ],
        vec![leader, member],
    );
    // By hand: a member outside the leader, and one without a leader.
    let bad = vec![
        stint("lead", "boss", "2027-03-01", "2027-08-29"),
        stint("mem", "doc", "2027-02-01", "2027-04-30"),
    ];
    assert_eq!(rules_of(&inst, &bad), vec![RuleBroken::OutsideLeader]);
    assert_eq!(rules_of(&inst, &bad[1..]), vec![RuleBroken::OutsideLeader]);
    // The solver keeps the member inside, and says why the rest is not covered.
    let s = solve_quiet(&inst, 50);
    assert!(check(&inst, &s.stints).is_empty());
    assert_eq!(s.objective, 2 * 5 * 182);
    let ex = explain(&inst, &s);
    let mem = ex.iter().find(|e| e.need_id == "mem").unwrap();
    assert_eq!(mem.reasons, vec![Reason::NoLeader]);
    assert_eq!(mem.suggestion, None);
    // Without a leader nobody fills the member's post.
    let mut alone = inst.clone();
    alone.experts[0].windows.clear();
    let s = solve_quiet(&alone, 20);
    assert!(s.stints.is_empty());
}

#[test]
fn every_rule_by_hand() {
    let mut e = expert(
        "e",
        "03",
        Title::AttendingPhysician,
        vec![
            Window {
                period: period("2027-01-04", "2027-06-27"),
                modes: vec![AssignmentMode::Stationed],
                longest_stint_days: Some(56),
                blackouts: vec![period("2027-05-01", "2027-05-07")],
            },
            Window {
                period: period("2027-07-05", "2027-12-31"),
                modes: vec![AssignmentMode::Remote],
                longest_stint_days: None,
                blackouts: vec![],
            },
        ],
    );
    e.busy = vec![period("2027-03-01", "2027-03-07")];
    let mut titled = need("titled", "03", "2027-01-04", "2027-12-31", 14, 3);
    titled.min_title = Some(Title::ChiefPhysician);
    let mut remote = need("remote", "03", "2027-01-04", "2027-12-31", 14, 3);
    remote.mode = AssignmentMode::Remote;
    let inst = instance(
        vec![e],
        vec![
            need("a", "03", "2027-01-04", "2027-12-31", 14, 3),
            need("b", "03", "2027-01-04", "2027-12-31", 14, 3),
            titled,
            need("eye", "07", "2027-01-04", "2027-12-31", 14, 3),
            remote,
        ],
    );
    let one = |s: Stint| rules_of(&inst, &[s]);
    assert_eq!(one(stint("a", "e", "2027-01-04", "2027-01-31")), vec![]);
    assert_eq!(
        one(stint("x", "nobody", "2027-01-04", "2027-01-31")),
        vec![RuleBroken::UnknownNeed, RuleBroken::UnknownExpert]
    );
    assert_eq!(
        one(stint("titled", "e", "2027-01-04", "2027-01-31")),
        vec![RuleBroken::Title]
    );
    assert_eq!(
        one(stint("eye", "e", "2027-01-04", "2027-01-31")),
        vec![RuleBroken::Specialty]
    );
    assert_eq!(
        one(stint("a", "e", "2027-01-04", "2027-01-10")),
        vec![RuleBroken::BelowMinimumStay]
    );
    assert_eq!(
        one(stint("a", "e", "2027-01-04", "2027-03-31")),
        vec![
            RuleBroken::AboveLongestStint,
            RuleBroken::TwoPlaces {
                other_need_id: None
            }
        ]
    );
    assert_eq!(
        one(stint("a", "e", "2027-04-26", "2027-05-09")),
        vec![RuleBroken::Blackout]
    );
    assert_eq!(
        one(stint("a", "e", "2027-06-21", "2027-07-11")),
        vec![RuleBroken::OutsideAvailability]
    );
    assert_eq!(
        one(stint("a", "e", "2027-07-05", "2027-07-25")),
        vec![RuleBroken::ModeNotAccepted]
    );
    assert_eq!(
        one(stint("remote", "e", "2027-07-05", "2027-07-25")),
        vec![]
    );
    assert_eq!(
        one(stint("a", "e", "2026-12-28", "2027-01-31")),
        vec![
            RuleBroken::OutsideNeedWindow,
            RuleBroken::OutsideAvailability
        ]
    );
    // Two places, rest, a need overfilled.
    let two = [
        stint("a", "e", "2027-01-04", "2027-01-31"),
        stint("b", "e", "2027-01-25", "2027-02-21"),
    ];
    assert!(rules_of(&inst, &two).contains(&RuleBroken::TwoPlaces {
        other_need_id: Some("a".into())
    }));
    let rest = [
        stint("a", "e", "2027-01-04", "2027-01-31"),
        stint("b", "e", "2027-02-08", "2027-02-28"),
    ];
    assert_eq!(
        rules_of(&inst, &rest),
        vec![
            RuleBroken::Rest {
                other_need_id: "b".into()
            },
            RuleBroken::Rest {
                other_need_id: "a".into()
            }
        ]
    );
    let over = [
        stint("a", "e", "2027-01-04", "2027-01-31"),
        stint("a", "e", "2027-01-18", "2027-02-14"),
    ];
    assert!(rules_of(&inst, &over).contains(&RuleBroken::NeedOverfilled));
    // A remote stint occupies nobody.
    let both = [
        stint("remote", "e", "2027-07-05", "2027-07-25"),
        stint("remote", "e", "2027-07-05", "2027-07-25"),
    ];
    assert_eq!(rules_of(&inst, &both), vec![RuleBroken::NeedOverfilled]);
}

#[test]
fn pinned_stints_that_break_a_rule_stop_the_solve() {
    let mut inst = instance(
        vec![expert(
            "card",
            "03",
            Title::ChiefPhysician,
            vec![window("2027-01-04", "2027-12-31")],
        )],
        vec![need("p", "03", "2027-03-01", "2027-08-29", 28, 5)],
    );
    inst.pinned = vec![stint("p", "card", "2027-03-01", "2027-03-07")];
    let err = solve(&inst, &opts(10), &mut |_| {}).unwrap_err();
    assert_eq!(err[0].rule, RuleBroken::BelowMinimumStay);
    inst.pinned = vec![stint("p", "card", "2027-04-07", "2027-05-09")];
    let s = solve_quiet(&inst, 10);
    assert_eq!(s.stints[0], inst.pinned[0]);
    assert!(check(&inst, &s.stints).is_empty());
}

/// Whether expert `e` could be at need `n` on `d` leaving other stints aside: a window that
/// accepts the mode (and a stint as long as the minimum stay), no blackout, no existing
/// assignment.
fn available(inst: &Instance, n: &Need, e: &Expert, d: NaiveDate) -> bool {
    let in_window = e.windows.iter().any(|w| {
        w.modes.contains(&n.mode)
            && w.period.start <= d
            && d <= w.period.end
            && w.longest_stint_days.is_none_or(|l| l >= n.min_stay_days)
            && !w.blackouts.iter().any(|b| b.start <= d && d <= b.end)
    });
    let busy = n.mode.on_site() && e.busy.iter().any(|b| b.start <= d && d <= b.end);
    let _ = inst;
    in_window && !busy
}

fn compatible(inst: &Instance, n: &Need, e: &Expert) -> bool {
    let spec = e
        .specialty
        .as_deref()
        .is_some_and(|s| s == n.specialty || s.starts_with(&format!("{}.", n.specialty)));
    let title = !inst.rules.check_title || n.min_title.is_none_or(|t| e.title.meets(t));
    spec && title
}

fn uncovered_days(n: &Need, stints: &[Stint]) -> Vec<NaiveDate> {
    n.window
        .start
        .iter_days()
        .take_while(|d| *d <= n.window.end)
        .filter(|d| {
            !stints
                .iter()
                .any(|s| s.need_id == n.id && s.period.start <= *d && *d <= s.period.end)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    /// Each reason is true: no candidate means nobody compatible is available on an uncovered
    /// day; taken-by means that without the blocking stints one of the named experts could take
    /// a stint of the minimum stay in the gap; minimum-stay means no compatible expert is
    /// available for that long in one piece.
    #[test]
    fn explanations_are_true(seed in 0u64..100_000) {
        let inst = small(seed);
        let s = solve_quiet(&inst, 100);
        let ex = explain(&inst, &s);
        for n in &inst.needs {
            let gap = uncovered_days(n, &s.stints);
            let e = ex.iter().find(|e| e.need_id == n.id);
            prop_assert_eq!(gap.is_empty(), e.is_none(), "{}", n.id);
            let Some(e) = e else { continue };
            prop_assert_eq!(e.window_days as i64, n.window.days());
            prop_assert_eq!(e.covered_days as usize, n.window.days() as usize - gap.len());
            for r in &e.reasons {
                match r {
                    Reason::NoCandidate => {
                        // A member's days outside its leader are the no-leader reason's.
                        let leader = inst.needs.iter().find(|l| {
                            n.team.as_ref().is_some_and(|t| t.role == TeamRole::Member)
                                && l.institution_id == n.institution_id
                                && l.team.as_ref().is_some_and(|t| {
                                    Some(&t.team) == n.team.as_ref().map(|x| &x.team)
                                        && t.role == TeamRole::Leader
                                })
                        });
                        let gap: Vec<NaiveDate> = gap
                            .iter()
                            .copied()
                            .filter(|d| {
                                leader.is_none_or(|l| {
                                    s.stints.iter().any(|x| {
                                        x.need_id == l.id && x.period.start <= *d && *d <= x.period.end
                                    })
                                })
                            })
                            .collect();
                        for x in inst.experts.iter().filter(|x| compatible(&inst, n, x)) {
                            prop_assert!(!gap.iter().any(|d| available(&inst, n, x, *d)));
                        }
                    }
                    Reason::MinimumStayCannotFit { longest_free_days } => {
                        prop_assert!((*longest_free_days) < n.min_stay_days.max(1));
                    }
                    Reason::TakenBy { needs, experts } => {
                        let one_stint = !inst.rules.split_needs
                            || n.team.as_ref().is_some_and(|t| t.role == TeamRole::Leader);
                        prop_assert!(!needs.is_empty() && !experts.is_empty());
                        let rest: Vec<Stint> = s
                            .stints
                            .iter()
                            .filter(|x| !(needs.contains(&x.need_id) && experts.contains(&x.expert_id)))
                            // A one-stint need (a leader's) would take the longer stint instead.
                            .filter(|x| !(x.need_id == n.id && one_stint))
                            .cloned()
                            .collect();
                        let min = n.min_stay_days.max(1) as u64;
                        let fits = experts.iter().any(|x| {
                            gap.iter().any(|d| {
                                let st = Stint {
                                    need_id: n.id.clone(),
                                    expert_id: x.clone(),
                                    period: Period { start: *d, end: *d + chrono::Days::new(min - 1) },
                                };
                                let mut with = rest.clone();
                                with.push(st.clone());
                                gap.contains(&st.period.end)
                                    && check(&inst, &with).iter().all(|v| v.stint != st
                                        || matches!(v.rule, RuleBroken::AboveLongestStint | RuleBroken::OutsideLeader))
                            })
                        });
                        prop_assert!(fits, "{}: {:?}", n.id, r);
                    }
                    Reason::NoLeader => prop_assert!(n.team.is_some()),
                }
            }
        }
    }

    /// Pinned stints stay as they are through a re-solve; the plan stays feasible.
    #[test]
    fn pinned_stints_survive_a_solve(seed in 0u64..100_000, pick in 0usize..1000) {
        let mut inst = small(seed);
        let first = solve_quiet(&inst, 50);
        prop_assume!(!first.stints.is_empty());
        let pinned = first.stints[pick % first.stints.len()].clone();
        inst.pinned = vec![pinned.clone()];
        // A member's stint is pinned with its leader's.
        let need = inst.needs.iter().find(|n| n.id == pinned.need_id).unwrap();
        if let Some(t) = need.team.as_ref().filter(|t| t.role == TeamRole::Member) {
            let leader = inst.needs.iter().find(|n| n.team.as_ref().is_some_and(|l| l.team == t.team && l.role == TeamRole::Leader) && n.institution_id == need.institution_id).unwrap();
            inst.pinned.extend(first.stints.iter().filter(|s| s.need_id == leader.id).cloned());
        }
        let again = solve(&inst, &Options { seed: 99, ..opts(100) }, &mut |_| {}).unwrap();
        prop_assert_eq!(&again.stints[0], &pinned);
        prop_assert_eq!(check(&inst, &again.stints), vec![]);
        prop_assert!(again.objective <= again.bound);
    }

    /// Without an expert's availability the plan has none of their stints, and every need not
    /// fully covered is explained.
    #[test]
    fn removing_availability_replans(seed in 0u64..100_000) {
        let mut inst = small(seed);
        let first = solve_quiet(&inst, 50);
        prop_assume!(!first.stints.is_empty());
        let gone = first.stints[0].expert_id.clone();
        for x in inst.experts.iter_mut().filter(|x| x.id == gone) {
            x.windows.clear();
        }
        let again = solve_quiet(&inst, 100);
        prop_assert!(again.stints.iter().all(|s| s.expert_id != gone));
        prop_assert_eq!(check(&inst, &again.stints), vec![]);
        let ex = explain(&inst, &again);
        for n in &inst.needs {
            let gap = uncovered_days(n, &again.stints);
            prop_assert_eq!(!gap.is_empty(), ex.iter().any(|e| e.need_id == n.id));
        }
    }

    /// The same seed and rounds give the same plan.
    #[test]
    fn solves_are_deterministic(seed in 0u64..100_000) {
        let inst = small(seed);
        let a = solve_quiet(&inst, 60);
        let b = solve_quiet(&inst, 60);
        prop_assert_eq!(a.stints, b.stints);
        prop_assert_eq!(a.objective, b.objective);
        prop_assert_eq!(a.bound, b.bound);
        prop_assert_eq!(a.optimal, b.optimal);
    }

    /// On tiny instances the solve reaches the optimum a brute force finds.
    #[test]
    fn tiny_solves_are_optimal(seed in 0u64..100_000) {
        let size = testgen::Size { experts: 3, needs: 3, weeks: 5, hospitals: 2, specialties: 2, teams: (seed % 3 == 0) as usize };
        let mut inst = testgen::generate(size, seed);
        inst.needs.truncate(4);
        let s = solve_quiet(&inst, 500);
        let best = brute_force(&inst);
        prop_assert_eq!(s.objective, best);
        prop_assert!(s.optimal);
    }
}

/// Every set of grid stints, checked with `check`: the optimum.
fn brute_force(inst: &Instance) -> u64 {
    let h0 = inst.horizon.start;
    let mut cands: Vec<Stint> = Vec::new();
    // Leaders' stints first: a member's stint is feasible once the leader's are decided.
    let mut needs: Vec<&Need> = inst.needs.iter().collect();
    needs.sort_by_key(|n| {
        n.team
            .as_ref()
            .map_or(1, |t| (t.role == TeamRole::Member) as u8 * 2)
    });
    for n in needs {
        let mut points = vec![n.window.start];
        let mut g = h0;
        while g <= n.window.end {
            if g > n.window.start {
                points.push(g);
            }
            g += chrono::Duration::days(7);
        }
        points.push(n.window.end + chrono::Days::new(1));
        for (i, a) in points.iter().enumerate() {
            for b in &points[i + 1..] {
                for e in &inst.experts {
                    let s = Stint {
                        need_id: n.id.clone(),
                        expert_id: e.id.clone(),
                        period: Period {
                            start: *a,
                            end: *b - chrono::Days::new(1),
                        },
                    };
                    let alone = check(inst, std::slice::from_ref(&s));
                    if alone.iter().all(|v| v.rule == RuleBroken::OutsideLeader) {
                        cands.push(s);
                    }
                }
            }
        }
    }
    fn go(inst: &Instance, cands: &[Stint], chosen: &mut Vec<Stint>, best: &mut u64) {
        let Some((first, rest)) = cands.split_first() else {
            if check(inst, chosen).is_empty() {
                *best = (*best).max(objective(inst, chosen));
            }
            return;
        };
        chosen.push(first.clone());
        if check(inst, chosen).is_empty() {
            go(inst, rest, chosen, best);
        }
        chosen.pop();
        go(inst, rest, chosen, best);
    }
    let mut best = 0;
    go(inst, &cands, &mut Vec::new(), &mut best);
    best
}

/// The bench's instances (teams, pins, busy periods): feasible plans that keep the pins, at
/// least the greedy's, at most the bound.
#[test]
fn the_bench_instances_solve_feasibly() {
    for (size, seed) in [
        (generate::Size::MEDIUM, 1),
        (generate::Size::MEDIUM, 2),
        (generate::Size::LARGE, 3),
    ] {
        let inst = generate::instance(size, seed);
        let g = greedy(&inst);
        assert!(check(&inst, &g.stints).is_empty());
        let s = solve_quiet(&inst, 150);
        assert!(check(&inst, &s.stints).is_empty());
        assert_eq!(objective(&inst, &s.stints), s.objective);
        assert!(g.objective <= s.objective && s.objective <= s.bound);
        for p in &inst.pinned {
            assert!(s.stints.contains(p));
        }
        let ex = explain(&inst, &s);
        assert!(ex.iter().all(|e| e.covered_days < e.window_days));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    /// A fit is true: without the stints it displaces and with its stint, the plan passes the
    /// rules and its objective moves by the gain.
    #[test]
    fn fits_are_true(seed in 0u64..100_000, pick in 0usize..1000) {
        let inst = small(seed);
        let s = solve_quiet(&inst, 60);
        let expert = &inst.experts[pick % inst.experts.len()];
        let places = fits(&inst, &s, &expert.id, 5);
        prop_assert!(places.len() <= 5);
        for w in places.windows(2) {
            prop_assert!(w[0].gain >= w[1].gain);
        }
        for f in places {
            let mut plan: Vec<Stint> = s
                .stints
                .iter()
                .filter(|x| !f.displaces.contains(x))
                .cloned()
                .collect();
            plan.push(Stint {
                need_id: f.need_id.clone(),
                expert_id: expert.id.clone(),
                period: f.period,
            });
            prop_assert_eq!(check(&inst, &plan), vec![], "{:?}", f);
            prop_assert_eq!(objective(&inst, &plan) as i64, s.objective as i64 + f.gain);
        }
    }
}

#[test]
fn an_empty_instance_is_solved_at_once() {
    let inst = instance(Vec::new(), Vec::new());
    let s = solve_quiet(&inst, 10);
    assert!(s.stints.is_empty() && s.optimal && s.objective == 0 && s.bound == 0);
    assert!(explain(&inst, &s).is_empty());
    assert!(fits(&inst, &s, "nobody", 5).is_empty());
    // Needs nobody can fill: nothing to do, proven.
    let inst = instance(
        Vec::new(),
        vec![need("a", "03", "2027-03-01", "2027-03-28", 7, 5)],
    );
    let s = solve_quiet(&inst, 10);
    assert!(s.optimal && s.objective == 0);
    assert_eq!(explain(&inst, &s)[0].reasons, vec![Reason::NoCandidate]);
}
