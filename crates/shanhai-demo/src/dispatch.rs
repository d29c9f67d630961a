//! Demo dispatch at the scale the seed articles report, with clinic sessions around today and
//! bookings on the coming ones, so the roster, the calendar and the public pages are full.
//!
//! Each program's article batches all begin by the article's date (its `as_of` in
//! `registry.json`), so that the experts dispatched counted up to that date are the article's
//! figure; the batches after it (running today) send the same people again, so the figure
//! stays what the article says while the roster and the calendar stay alive.
//!
//! | program | what the article says | what is generated |
//! |---|---|---|
//! | 豫哈 | 37 batches, 211 experts, four schemes | 37 batches 2010–2026-03, 211 stationed or visiting experts |
//! | 沪滇 | 74 stationed experts, 29 in 组团式 teams | 74 stationed + 29 team members by 2024-06-30 |
//! | 宁德 | 10 候鸟 experts, three fixed days a week | 10 weekly experts on three weekdays from 2023-09 |
//! | 京蒙 | 526 senior experts, 出诊5500多人次 by 2025-04-30 | 526 experts: stationed, monthly, quarterly, one-off; 5,563 clinic sessions by 2025-04-30 |
//! | 沪蒙 | 39 experts in the first year | 39 experts on monthly and one-off visits by 2025-10-23 |

use crate::people;
use chrono::{Datelike, Months, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shanhai_domain::bookings::{BookingLimits, BookingRequest, check_char};
use shanhai_domain::clinic_sessions::{ClinicSessionInput, clinic_dates};
use shanhai_domain::dispatch::*;
use shanhai_domain::registry::{Department, Institution, Person};
use shanhai_store::audit::Actor;
use shanhai_store::crypto::PatientCipher;
use shanhai_store::{Result, StoreError, bookings, clinic_sessions, dispatch};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// A donor→recipient pairing of the demo, by registry keys.
pub struct DemoPairing {
    pub program: String,
    pub donor: String,
    pub recipient: String,
    /// The pairing's mode code (a donor and a recipient may be paired in several modes).
    pub mode: String,
    pub id: String,
}

/// What the dispatch demo needs from the registry part.
pub struct Registry<'a> {
    pub programs: &'a HashMap<String, String>,
    pub institutions: &'a HashMap<String, Institution>,
    pub departments: &'a HashMap<String, Vec<(Department, String)>>,
    pub pairings: &'a [DemoPairing],
}

struct Plan {
    program: &'static str,
    /// The team a batch sends, for the batch's name ("2016年春季河南省人民医院援疆医疗队").
    team: &'static str,
    schemes: &'static [&'static str],
    batches: u32,
    experts: usize,
    first: &'static str,
    /// Length of each batch in months.
    months: u32,
    /// Modes with weights.
    modes: &'static [(&'static str, u32)],
    /// Only pairings from these donors (all when empty).
    donors: &'static [&'static str],
    /// Batches after the article's date (running today), sending the same people again.
    ongoing: u32,
    /// People in each of those batches.
    ongoing_size: usize,
    /// Clinic sessions (出诊) held by the article's date, when the article counts them.
    sessions_by_as_of: usize,
    /// Article batch `k`'s scheme (an index into `schemes`), pairing (an index into the
    /// program's pairings; none: the pairings in turn) and size, where the article says how
    /// many batches and experts each scheme or pairing sent (none: schemes in turn, experts
    /// spread evenly).
    layout: Option<Layout>,
}

/// Article batch `k`'s (scheme index, pairing index, size).
type Layout = fn(u32) -> (usize, Option<usize>, usize);

/// 豫哈's schemes as the article counts them: 柔性援疆专家20批108人、中组部援疆专家8批51人、
/// 名医行7批44人、公卫小组团专家2批次7人 (37 batches). Those add up to 210 experts while the
/// article's total is 211: the 柔性援疆 batches carry the one more (109), as every batch has a
/// scheme. The batches of the schemes take turns in time.
const YU_HA_SCHEMES: &[(u32, usize)] = &[(20, 109), (8, 51), (7, 44), (2, 7)];

/// 沪蒙's "一对一" specialty pairings, one batch each: 上海市儿童医院 → 包头市第四医院 sends 14
/// ("10余名专家"), the other four 7, 6, 6 and 6 (39 in all).
const HU_MENG_BATCHES: &[usize] = &[14, 7, 6, 6, 6];

fn yu_ha_layout(k: u32) -> (usize, Option<usize>, usize) {
    // Each scheme's batches at evenly spread points of the 37; the batches in that order.
    let mut order: Vec<(f64, usize, u32)> = Vec::new();
    for (s, (n, _)) in YU_HA_SCHEMES.iter().enumerate() {
        for i in 0..*n {
            order.push(((f64::from(i) + 0.5) / f64::from(*n), s, i));
        }
    }
    order.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let (_, scheme, i) = order.get(k as usize).copied().unwrap_or((0.0, 0, 0));
    let (n, experts) = YU_HA_SCHEMES[scheme];
    // The scheme's experts over its batches: the first ones one more.
    let n_us = n as usize;
    let size = experts / n_us + usize::from((i as usize) < experts % n_us);
    (scheme, None, size)
}

/// 沪滇's two schemes as the article counts them: "74名上海医疗专家先后入驻昭通" under 东西部协作
/// (seven batches, the pairings in turn) and "上海6家医院'组团式'帮扶…3家县级综合医院，累计派出29名
/// 医疗专家" (three batches, one to each county hospital's team-based pairing): 103 in all.
const HU_DIAN_TEAM_BATCHES: &[(u32, usize, usize)] = &[(1, 0, 10), (4, 1, 10), (7, 2, 9)];

fn hu_dian_layout(k: u32) -> (usize, Option<usize>, usize) {
    if let Some((_, pairing, size)) = HU_DIAN_TEAM_BATCHES.iter().find(|(at, _, _)| *at == k) {
        return (1, Some(*pairing), *size);
    }
    // The 东西部协作 batches: 74 experts over seven, the first four one more.
    let i = HU_DIAN_TEAM_BATCHES
        .iter()
        .filter(|(at, _, _)| *at < k)
        .count();
    let nth = k as usize - i;
    (0, None, 74 / 7 + usize::from(nth < 74 % 7))
}

fn hu_meng_layout(k: u32) -> (usize, Option<usize>, usize) {
    let k = k as usize;
    (0, Some(k), HU_MENG_BATCHES.get(k).copied().unwrap_or(0))
}

const PLANS: &[Plan] = &[
    Plan {
        program: "yu-ha",
        team: "河南省人民医院援疆医疗队",
        schemes: &["柔性援疆", "中组部援疆", "名医行", "公卫小组团"],
        batches: 37,
        experts: 211,
        first: "2010-03-01",
        months: 6,
        modes: &[("stationed", 70), ("one-off", 20), ("monthly", 10)],
        donors: &[],
        ongoing: 2,
        ongoing_size: 6,
        sessions_by_as_of: 0,
        layout: Some(yu_ha_layout),
    },
    Plan {
        program: "hu-dian",
        team: "上海援滇医疗队",
        schemes: &["东西部协作派驻", "组团式帮扶"],
        batches: 10,
        experts: 103,
        first: "2021-03-01",
        months: 6,
        modes: &[("stationed", 100)],
        donors: &[],
        ongoing: 2,
        ongoing_size: 10,
        sessions_by_as_of: 0,
        layout: Some(hu_dian_layout),
    },
    Plan {
        program: "min-regional",
        team: "上海市第一人民医院候鸟专家组",
        schemes: &["候鸟专家"],
        batches: 1,
        experts: 10,
        first: "2023-09-01",
        months: 18,
        modes: &[("weekly", 100)],
        donors: &["sh-first"],
        ongoing: 1,
        ongoing_size: 10,
        sessions_by_as_of: 0,
        layout: None,
    },
    Plan {
        program: "jing-meng",
        team: "北京援蒙专家团",
        schemes: &["医疗倍增计划", "组团式帮扶", "两次下沉"],
        batches: 12,
        experts: 526,
        first: "2023-03-01",
        months: 6,
        modes: &[
            ("stationed", 35),
            ("monthly", 30),
            ("quarterly", 15),
            ("one-off", 20),
        ],
        donors: &[],
        ongoing: 2,
        ongoing_size: 40,
        sessions_by_as_of: 5_563,
        layout: None,
    },
    Plan {
        program: "hu-meng",
        team: "上海援蒙专科专家组",
        schemes: &["沪蒙专科协作"],
        batches: 5,
        experts: 39,
        first: "2024-10-01",
        months: 6,
        modes: &[("monthly", 60), ("one-off", 40)],
        donors: &[],
        ongoing: 1,
        ongoing_size: 8,
        sessions_by_as_of: 0,
        layout: Some(hu_meng_layout),
    },
];

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn weighted<'a>(rng: &mut StdRng, items: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if roll < *w {
            return item;
        }
        roll -= w;
    }
    items[0].0
}

fn missing(what: &str, key: &str) -> StoreError {
    StoreError::Other(format!("demo dispatch: unknown {what} {key}"))
}

/// Article batch `k` of `n`: evenly spaced from the plan's first start to a month before the
/// article's date, so that every one has begun by then.
fn batch_period(plan: &Plan, k: u32, as_of: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = d(plan.first);
    let last_start = (as_of - chrono::Duration::days(30)).max(first);
    let span = (last_start - first).num_days().max(0);
    let offset = if plan.batches > 1 {
        span * i64::from(k) / i64::from(plan.batches - 1)
    } else {
        0
    };
    period_from(plan, first + chrono::Duration::days(offset))
}

/// Ongoing batch `k`: after the article's date, the last one running today.
fn ongoing_period(
    plan: &Plan,
    k: u32,
    as_of: NaiveDate,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let first = as_of + chrono::Duration::days(1);
    let last_start = today
        .checked_sub_months(Months::new(plan.months / 2))
        .unwrap_or(today)
        .max(first);
    let span = (last_start - first).num_days().max(0);
    let offset = if plan.ongoing > 1 {
        span * i64::from(k) / i64::from(plan.ongoing - 1)
    } else {
        span
    };
    period_from(plan, first + chrono::Duration::days(offset))
}

fn period_from(plan: &Plan, start: NaiveDate) -> (NaiveDate, NaiveDate) {
    let end = start
        .checked_add_months(Months::new(plan.months))
        .and_then(|e| e.pred_opt())
        .unwrap_or(start);
    (start, end)
}

pub struct Summary {
    /// An expert on duty today, by donor institution key (the demo `expert` account is one).
    pub on_duty: HashMap<String, String>,
    pub batches: usize,
    pub assignments: usize,
    pub sessions: usize,
    pub bookings: usize,
    /// Experts' monthly workload reports (outpatients, admissions, operations).
    pub workload_reports: usize,
    /// Days served recorded on the assignments up to yesterday, and days of leave.
    pub days_served: usize,
    pub leave_days: usize,
}

pub async fn load(
    conn: &mut AnyConnection,
    actor: &Actor,
    cipher: &PatientCipher,
    reg: &Registry<'_>,
) -> Result<Summary> {
    let started = std::time::Instant::now();
    let today = shanhai_store::today();
    let mut rng = StdRng::seed_from_u64(20_250_430);
    let mut used: HashSet<String> = HashSet::new();
    let mut pools: HashMap<String, Vec<Person>> = HashMap::new();
    let mut summary = Summary {
        on_duty: HashMap::new(),
        batches: 0,
        assignments: 0,
        sessions: 0,
        bookings: 0,
        workload_reports: 0,
        days_served: 0,
        leave_days: 0,
    };
    let mut active: Vec<Assignment> = Vec::new();

    for plan in PLANS {
        let program_id = reg
            .programs
            .get(plan.program)
            .ok_or_else(|| missing("program", plan.program))?;
        let pairings: Vec<&DemoPairing> = reg
            .pairings
            .iter()
            .filter(|p| {
                p.program == plan.program
                    && (plan.donors.is_empty() || plan.donors.contains(&p.donor.as_str()))
            })
            .collect();
        let mut schemes = Vec::new();
        for name in plan.schemes {
            let new = SchemeInput {
                program_id: program_id.clone(),
                name: (*name).into(),
                description: None,
            }
            .parse()
            .map_err(|e| StoreError::Other(format!("demo scheme: {e}")))?;
            schemes.push(dispatch::create_scheme_on(conn, actor, &new).await?);
        }
        let per_batch = plan.experts / plan.batches as usize;
        let mut remainder = plan.experts % plan.batches as usize;
        let mut next_pairing = 0usize;
        let as_of = crate::as_of(plan.program);
        // People this program has sent, by donor, with the last day they were away.
        let mut sent: HashMap<String, Vec<(Person, NaiveDate)>> = HashMap::new();
        let mut historical: Vec<Assignment> = Vec::new();
        let mut of_plan: Vec<Assignment> = Vec::new();
        for k in 0..plan.batches + plan.ongoing {
            let article = k < plan.batches;
            let (start, end) = if article {
                batch_period(plan, k, as_of)
            } else {
                ongoing_period(plan, k - plan.batches, as_of, today)
            };
            let laid = plan.layout.filter(|_| article).map(|f| f(k));
            let scheme = laid.map_or(k as usize % schemes.len(), |l| l.0);
            let fixed = laid
                .and_then(|l| l.1)
                .and_then(|i| pairings.get(i).copied());
            let single = match fixed {
                Some(p) => Some(p.id.clone()),
                None => (pairings.len() == 1).then(|| pairings[0].id.clone()),
            };
            let batch = dispatch::create_batch_on(
                conn,
                actor,
                &BatchInput {
                    program_id: program_id.clone(),
                    scheme_id: Some(schemes[scheme % schemes.len()].id.clone()),
                    pairing_id: single,
                    number: i64::from(k) + 1,
                    name: Some(batch_name(plan, start)),
                    start_date: start.to_string(),
                    end_date: end.to_string(),
                }
                .parse()
                .map_err(|e| StoreError::Other(format!("demo batch: {e}")))?,
            )
            .await?;
            summary.batches += 1;
            let size = if let Some(l) = laid {
                l.2
            } else if article {
                let size = per_batch + usize::from(remainder > 0);
                remainder = remainder.saturating_sub(1);
                size
            } else {
                plan.ongoing_size
            };
            for slot in 0..size {
                let pairing = match fixed {
                    Some(p) => p,
                    None => {
                        next_pairing += 1;
                        pairings[(next_pairing - 1) % pairings.len().max(1)]
                    }
                };
                let donor = reg
                    .institutions
                    .get(&pairing.donor)
                    .ok_or_else(|| missing("institution", &pairing.donor))?;
                let recipient = reg
                    .institutions
                    .get(&pairing.recipient)
                    .ok_or_else(|| missing("institution", &pairing.recipient))?;
                let mode = AssignmentMode::parse(weighted(&mut rng, plan.modes))
                    .unwrap_or(AssignmentMode::Stationed);
                // An article batch's one-off visits happen by the article's date.
                let window_end = if article { end.min(as_of) } else { end };
                let (a_start, a_end) = match mode {
                    AssignmentMode::OneOff => {
                        let days = (window_end - start).num_days().max(3);
                        let s = start + chrono::Duration::days(rng.gen_range(0..days - 2));
                        (s, s + chrono::Duration::days(2))
                    }
                    _ => (start, end),
                };
                let person = if article {
                    let p = next_expert(
                        conn,
                        actor,
                        reg,
                        &mut pools,
                        &mut used,
                        &pairing.donor,
                        donor,
                    )
                    .await?;
                    sent.entry(pairing.donor.clone())
                        .or_default()
                        .push((p.clone(), a_end));
                    p
                } else {
                    // The same people again: someone of this donor back home by then.
                    let Some(back) = sent
                        .get_mut(&pairing.donor)
                        .and_then(|list| list.iter_mut().find(|(_, last)| *last < start))
                    else {
                        continue;
                    };
                    back.1 = a_end;
                    back.0.clone()
                };
                let weekdays = match mode {
                    AssignmentMode::Weekly => {
                        let first = rng.gen_range(1..=3);
                        vec![first, first + 1, first + 2]
                    }
                    _ => vec![],
                };
                let post = match slot {
                    0 => "team-leader",
                    1 if pairing_is_team(reg, pairing) => "executive-director",
                    2 | 3 => "dual-head-donor",
                    _ => "team-member",
                };
                let department =
                    matching_department(reg, &pairing.recipient, person.specialty_code.as_deref());
                let new = AssignmentInput {
                    batch_id: batch.id.clone(),
                    person_id: person.id.clone(),
                    institution_id: recipient.id.clone(),
                    department_id: department,
                    mode: mode.code().into(),
                    post: post.into(),
                    weekdays,
                    start_date: a_start.to_string(),
                    end_date: a_end.to_string(),
                }
                .parse()
                .map_err(|e| StoreError::Other(format!("demo assignment: {e}")))?;
                let a = dispatch::create_assignment_on(conn, actor, &new).await?;
                summary.assignments += 1;
                of_plan.push(a.clone());
                if a_start <= today && today <= a_end {
                    summary
                        .on_duty
                        .entry(pairing.donor.clone())
                        .or_insert_with(|| a.person_id.clone());
                    active.push(a);
                } else if article && a_start <= as_of {
                    historical.push(a);
                }
            }
        }
        if plan.sessions_by_as_of > 0 {
            let t0 = std::time::Instant::now();
            summary.sessions += sessions_by(
                conn,
                actor,
                &mut rng,
                &historical,
                as_of,
                plan.sessions_by_as_of,
            )
            .await?;
            tracing::info!(
                program = plan.program,
                sessions = plan.sessions_by_as_of,
                ms = t0.elapsed().as_millis() as u64,
                "demo clinic sessions by the article's date"
            );
        }
        // Where an article quotes the workload of one hospital's experts at another, only their
        // assignments report it.
        let (at, from_donor) = crate::workload::reported_by(plan.program);
        let id_of = |key: Option<&str>| {
            key.and_then(|k| reg.institutions.get(k))
                .map(|i| i.id.clone())
        };
        let (at, from_donor) = (id_of(at), id_of(from_donor));
        let mut donor_of: HashMap<String, String> = HashMap::new();
        if from_donor.is_some() {
            for a in &of_plan {
                let p = shanhai_store::people::get_on(conn, &a.person_id).await?;
                donor_of.insert(a.person_id.clone(), p.institution_id);
            }
        }
        let reporting: Vec<Assignment> = of_plan
            .iter()
            .filter(|a| at.as_ref().is_none_or(|i| *i == a.institution_id))
            .filter(|a| {
                from_donor
                    .as_ref()
                    .is_none_or(|i| donor_of.get(&a.person_id) == Some(i))
            })
            .cloned()
            .collect();
        summary.workload_reports +=
            crate::workload::load(conn, actor, plan.program, &reporting, as_of, today).await?;
        let (served, leave) =
            crate::workload::days_served(conn, &mut rng, &of_plan, reg_names(reg), today).await?;
        summary.days_served += served;
        summary.leave_days += leave;
    }
    let (sessions, booked) =
        clinics_around_today(conn, actor, cipher, &mut rng, &active, today).await?;
    summary.sessions += sessions;
    summary.bookings = booked;
    tracing::info!(
        batches = summary.batches,
        assignments = summary.assignments,
        sessions = summary.sessions,
        bookings = summary.bookings,
        workload_reports = summary.workload_reports,
        days_served = summary.days_served,
        leave_days = summary.leave_days,
        total_ms = started.elapsed().as_millis() as u64,
        "demo dispatch loaded"
    );
    Ok(summary)
}

/// "2016年春季河南省人民医院援疆医疗队": the year and season the batch leaves, and its team.
fn batch_name(plan: &Plan, start: NaiveDate) -> String {
    let season = match start.month() {
        3..=5 => "春季",
        6..=8 => "夏季",
        9..=11 => "秋季",
        _ => "冬季",
    };
    format!("{}年{season}{}", start.year(), plan.team)
}

/// Institution names by id (who confirms a hospital's days: its 医务科).
fn reg_names<'a>(reg: &'a Registry<'_>) -> HashMap<&'a str, &'a str> {
    reg.institutions
        .values()
        .map(|i| (i.id.as_str(), i.name.as_str()))
        .collect()
}

fn pairing_is_team(reg: &Registry<'_>, pairing: &DemoPairing) -> bool {
    reg.programs.contains_key(&pairing.program)
        && matches!(pairing.program.as_str(), "hu-dian" | "yu-ha")
}

fn matching_department(
    reg: &Registry<'_>,
    institution_key: &str,
    specialty: Option<&str>,
) -> Option<String> {
    let departments = reg.departments.get(institution_key)?;
    let specialty = specialty?;
    departments
        .iter()
        .find(|(_, code)| {
            code == specialty
                || specialty.starts_with(&format!("{code}."))
                || code.starts_with(&format!("{specialty}."))
        })
        .map(|(dep, _)| dep.id.clone())
}

/// The next expert of a donor not yet dispatched anywhere; new senior experts are added when the
/// hospital runs out.
async fn next_expert(
    conn: &mut AnyConnection,
    actor: &Actor,
    reg: &Registry<'_>,
    pools: &mut HashMap<String, Vec<Person>>,
    used: &mut HashSet<String>,
    donor_key: &str,
    donor: &Institution,
) -> Result<Person> {
    loop {
        if let Some(pool) = pools.get_mut(donor_key) {
            while let Some(p) = pool.pop() {
                if used.insert(p.id.clone()) {
                    return Ok(p);
                }
            }
        }
        let departments = reg
            .departments
            .get(donor_key)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let fresh = people::generate_experts(
            conn,
            actor,
            &format!("{donor_key}-{}", used.len()),
            donor,
            departments,
            40,
        )
        .await?;
        pools.insert(donor_key.to_string(), fresh);
    }
}

/// Exactly `n` clinic sessions of the article's assignments held by `as_of` (the article's
/// 出诊…人次), on the days each assignment's pattern puts the expert at the hospital.
async fn sessions_by(
    conn: &mut AnyConnection,
    actor: &Actor,
    rng: &mut StdRng,
    assignments: &[Assignment],
    as_of: NaiveDate,
    n: usize,
) -> Result<usize> {
    let tue_thu = Weekdays::parse(&[2, 4]).unwrap_or_default();
    let mut candidates: Vec<(usize, NaiveDate)> = Vec::new();
    for (i, a) in assignments.iter().enumerate() {
        if !matches!(
            a.mode,
            AssignmentMode::Weekly
                | AssignmentMode::Stationed
                | AssignmentMode::Monthly
                | AssignmentMode::Quarterly
        ) {
            continue;
        }
        let Some(p) = a.presence() else { continue };
        let dates = clinic_dates(a.mode, p.weekdays, tue_thu, p.start, p.end, p.start, as_of)
            .map_err(|e| StoreError::Other(format!("demo clinics: {e}")))?;
        candidates.extend(dates.into_iter().map(|d| (i, d)));
    }
    if candidates.len() < n {
        return Err(StoreError::Other(format!(
            "demo clinics: {} possible sessions by {as_of}, {n} wanted",
            candidates.len()
        )));
    }
    // A seeded choice of exactly n, written in date order.
    for i in 0..n {
        let j = rng.gen_range(i..candidates.len());
        candidates.swap(i, j);
    }
    candidates.truncate(n);
    candidates.sort_by_key(|(i, d)| (*d, *i));
    for (i, date) in &candidates {
        let a = &assignments[*i];
        let morning = rng.gen_bool(0.7);
        let new = ClinicSessionInput {
            expert_id: a.person_id.clone(),
            institution_id: a.institution_id.clone(),
            department_id: a.department_id.clone(),
            assignment_id: Some(a.id.clone()),
            date: date.to_string(),
            start: if morning { "08:30" } else { "14:30" }.into(),
            end: if morning { "11:30" } else { "17:00" }.into(),
            capacity: [15i64, 20, 25, 30][rng.gen_range(0..4)],
            slot_minutes: None,
            visit_type: None,
            note: None,
        }
        .parse()
        .map_err(|e| StoreError::Other(format!("demo session: {e}")))?;
        clinic_sessions::create_on(conn, actor, &new).await?;
    }
    Ok(n)
}

/// A valid synthetic resident ID number for someone from `region` (6 digits).
fn id_number(rng: &mut StdRng, region: &str) -> String {
    let birth = NaiveDate::from_ymd_opt(
        rng.gen_range(1940..2015),
        rng.gen_range(1..=12),
        rng.gen_range(1..=28),
    )
    .unwrap_or_default();
    let body = format!(
        "{region}{}{:03}",
        birth.format("%Y%m%d"),
        rng.gen_range(0..1000)
    );
    let check = check_char(&body).unwrap_or('0');
    format!("{body}{check}")
}

const PATIENT_SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "马", "哈", "木", "巴", "乌",
];
const PATIENT_GIVEN: &[&str] = &[
    "建国", "秀英", "桂兰", "志强", "海燕", "玉梅", "德明", "丽娟", "晓东", "春花", "卫东", "金花",
];

/// Clinic sessions of the experts on duty, two weeks back and two weeks ahead, with bookings
/// on the coming ones (a few full, with people waiting).
async fn clinics_around_today(
    conn: &mut AnyConnection,
    actor: &Actor,
    cipher: &PatientCipher,
    rng: &mut StdRng,
    active: &[Assignment],
    today: NaiveDate,
) -> Result<(usize, usize)> {
    let from = today - chrono::Duration::days(14);
    let until = today + chrono::Duration::days(13);
    let tue_thu = Weekdays::parse(&[2, 4]).unwrap_or_default();
    let mut sessions = 0;
    let mut booked = 0;
    let public = Actor {
        user_id: None,
        name: "public".into(),
        ip: None,
    };
    for a in active
        .iter()
        .filter(|a| {
            matches!(
                a.mode,
                AssignmentMode::Weekly | AssignmentMode::Stationed | AssignmentMode::Monthly
            )
        })
        .take(80)
    {
        let Some(p) = a.presence() else { continue };
        let dates = clinic_dates(a.mode, p.weekdays, tue_thu, p.start, p.end, from, until)
            .map_err(|e| StoreError::Other(format!("demo clinics: {e}")))?;
        for date in dates {
            let capacity = [15i64, 20, 25, 30][rng.gen_range(0..4)];
            let morning = rng.gen_bool(0.7);
            let new = ClinicSessionInput {
                expert_id: a.person_id.clone(),
                institution_id: a.institution_id.clone(),
                department_id: a.department_id.clone(),
                assignment_id: Some(a.id.clone()),
                date: date.to_string(),
                start: if morning { "08:30" } else { "14:30" }.into(),
                end: if morning { "11:30" } else { "17:00" }.into(),
                capacity,
                slot_minutes: None,
                visit_type: None,
                note: None,
            }
            .parse()
            .map_err(|e| StoreError::Other(format!("demo session: {e}")))?;
            let session = clinic_sessions::create_on(conn, actor, &new).await?;
            sessions += 1;
            let region: String = session
                .region_code
                .as_deref()
                .unwrap_or("650502")
                .chars()
                .take(6)
                .collect();
            if date < today || date.weekday().number_from_monday() > 5 && rng.gen_bool(0.5) {
                continue;
            }
            let full = rng.gen_bool(0.15);
            let wanted = if full {
                capacity + 2
            } else {
                (capacity as f64 * rng.gen_range(0.2..0.9)) as i64
            };
            for _ in 0..wanted {
                let name = format!(
                    "{}{}",
                    PATIENT_SURNAMES[rng.gen_range(0..PATIENT_SURNAMES.len())],
                    PATIENT_GIVEN[rng.gen_range(0..PATIENT_GIVEN.len())]
                );
                let request = BookingRequest {
                    name,
                    phone: format!(
                        "1{}{:09}",
                        rng.gen_range(3..=9),
                        rng.gen_range(0..1_000_000_000u64)
                    ),
                    id_number: id_number(rng, &region),
                    waitlist: true,
                };
                let new = request
                    .parse()
                    .map_err(|e| StoreError::Other(format!("demo booking: {e}")))?;
                let mut savepoint = sqlx::Connection::begin(&mut *conn).await?;
                match bookings::book_on(
                    &mut savepoint,
                    cipher,
                    &public,
                    &session.id,
                    &new,
                    &BookingLimits::DEFAULT,
                )
                .await
                {
                    Ok(_) => {
                        savepoint.commit().await?;
                        booked += 1;
                    }
                    Err(StoreError::Conflict(_)) => savepoint.rollback().await?,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok((sessions, booked))
}
