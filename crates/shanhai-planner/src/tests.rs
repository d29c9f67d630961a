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

fn small(seed: u64) -> Instance {
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
