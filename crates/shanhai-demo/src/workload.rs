//! Demo workload reports: each dispatched expert's monthly figures (outpatients seen, inpatients
//! admitted, operations) under their assignment, for every month of the assignment that had
//! ended by today. Where an article quotes the experts' cumulative workload, the months ended by
//! the article's date add up to a figure in the article's range: the generator picks the totals
//! once and spreads them over the reports (weighted by the days served and a per-expert
//! factor), so the briefing counts them from the reports.
//!
//! | program | what the article says | what is generated |
//! |---|---|---|
//! | 沪滇 | 帮扶专家累计接诊门诊患者23.6万余人次，接诊入院患者近6.3万余人次，开展手术2.1万余人次 | monthly reports of the 103 experts whose outpatients, admissions and operations by 2024-06-30 add up to 236,xxx, 62,xxx and 21,xxx |
//! | 豫哈 | 援疆专家累计参与诊疗患者近6万人次……抢救危重患者近2000人 | outpatients 55,xxx and admissions 2,xxx (together 57,xxx–58,xxx), rescues 1,9xx by 2026-03-04 |
//! | 京蒙 | 接诊疑难复杂病患10.5万人次 | outpatients 105,xxx by 2025-04-30 |
//! | 闽 | (宁德市医院) 救治360多位肿瘤急危重症患者 | rescues 36x at 宁德市医院, all in reports of 2024 |
//! | 沪蒙 | 院士团队……门诊接诊患者110余人次 | the reports of the 上海九院 experts at 国药一机医院 only: outpatients 11x |

use chrono::{Datelike, Months, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shanhai_domain::dispatch::{Assignment, AssignmentMode};
use shanhai_domain::workload::WorkloadReportInput;
use shanhai_store::audit::Actor;
use shanhai_store::query::{self, Arg};
use shanhai_store::{Result, StoreError, workload};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// What an article says the experts did, as ranges of the counts by its date.
struct Quoted {
    program: &'static str,
    outpatients: (i64, i64),
    admissions: (i64, i64),
    operations: (i64, i64),
    /// Critically ill patients rescued (抢救危重) and MDT meetings joined.
    rescues: (i64, i64),
    mdt: (i64, i64),
    /// Only the reports of assignments at this recipient (a registry key; none: all).
    at: Option<&'static str>,
    /// Only the reports of assignments from this donor (a registry key; none: all).
    from_donor: Option<&'static str>,
    /// Rescues only in reports whose period ends on or after this day (the article's year).
    rescues_since: Option<&'static str>,
}

const NONE: (i64, i64) = (0, 0);

const QUOTED: &[Quoted] = &[
    Quoted {
        program: "hu-dian",
        // 23.6万余人次; 近6.3万余人次 (just under 63,000); 2.1万余人次.
        outpatients: (236_100, 236_900),
        admissions: (62_500, 62_950),
        operations: (21_100, 21_900),
        rescues: NONE,
        mdt: NONE,
        at: None,
        from_donor: None,
        rescues_since: None,
    },
    Quoted {
        program: "yu-ha",
        // 参与诊疗患者近6万人次 (outpatients and admissions); 抢救危重患者近2000人.
        outpatients: (55_100, 55_900),
        admissions: (2_300, 2_900),
        operations: (1_600, 1_900),
        rescues: (1_910, 1_990),
        mdt: (300, 380),
        at: None,
        from_donor: None,
        rescues_since: None,
    },
    Quoted {
        program: "jing-meng",
        // 接诊疑难复杂病患10.5万人次.
        outpatients: (105_100, 105_900),
        admissions: (8_100, 8_900),
        operations: (2_100, 2_600),
        rescues: (400, 480),
        mdt: (600, 700),
        at: None,
        from_donor: None,
        rescues_since: None,
    },
    Quoted {
        program: "min-regional",
        // (宁德市医院) 救治360多位肿瘤急危重症患者 in 2024.
        outpatients: (3_100, 3_400),
        admissions: (420, 480),
        operations: (150, 190),
        rescues: (361, 368),
        mdt: (60, 80),
        at: Some("nd-hospital"),
        from_donor: None,
        rescues_since: Some("2024-01-01"),
    },
    Quoted {
        program: "hu-meng",
        // 院士团队……门诊接诊患者110余人次: the 上海九院 experts at 国药一机医院.
        outpatients: (111, 118),
        admissions: NONE,
        operations: NONE,
        rescues: NONE,
        mdt: NONE,
        at: Some("bt-yiji"),
        from_donor: Some("sh-ninth"),
        rescues_since: None,
    },
];

/// The recipient and the donor (registry keys) whose assignments report a program's workload.
pub fn reported_by(program: &str) -> (Option<&'static str>, Option<&'static str>) {
    QUOTED
        .iter()
        .find(|q| q.program == program)
        .map_or((None, None), |q| (q.at, q.from_donor))
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// The months of an assignment, each cut to the assignment's period.
fn months_of(a: &Assignment) -> Vec<(NaiveDate, NaiveDate)> {
    let (start, end) = (d(&a.start_date), d(&a.end_date));
    let mut out = Vec::new();
    let mut first = start.with_day(1).unwrap_or(start);
    while first <= end {
        let next = first
            .checked_add_months(Months::new(1))
            .unwrap_or(end + chrono::Duration::days(1));
        let last = next.pred_opt().unwrap_or(next);
        out.push((first.max(start), last.min(end)));
        first = next;
    }
    // A few days at either end go into the neighbouring month's report (an expert arriving on
    // the 28th reports them with the next month).
    let short = |p: &(NaiveDate, NaiveDate)| (p.1 - p.0).num_days() < 6;
    if out.len() > 1 && short(&out[0]) {
        let first = out.remove(0);
        out[0].0 = first.0;
    }
    if out.len() > 1
        && out.last().is_some_and(short)
        && let Some(last) = out.pop()
        && let Some(before) = out.last_mut()
    {
        before.1 = last.1;
    }
    out
}

/// `total` split over `weights` in whole numbers that add up to it exactly (the remainder goes
/// to the largest fractional parts).
fn spread(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<i64> = exact.iter().map(|x| x.floor() as i64).collect();
    let mut rest = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|&i, &j| {
        (exact[j] - exact[j].floor())
            .partial_cmp(&(exact[i] - exact[i].floor()))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for i in order.into_iter().cycle() {
        if rest <= 0 {
            break;
        }
        out[i] += 1;
        rest -= 1;
    }
    out
}

struct Month {
    assignment: usize,
    start: NaiveDate,
    end: NaiveDate,
    /// Days served in the month, times the expert's own pace.
    weight: [f64; 5],
}

/// Files the monthly workload reports of a program's assignments; returns how many. Programs
/// whose article quotes no workload get none.
pub async fn load(
    conn: &mut AnyConnection,
    actor: &Actor,
    program: &str,
    assignments: &[Assignment],
    as_of: NaiveDate,
    today: NaiveDate,
) -> Result<usize> {
    let Some(quoted) = QUOTED.iter().find(|q| q.program == program) else {
        return Ok(0);
    };
    let mut rng = StdRng::seed_from_u64(20_240_630);
    // Rescues and MDT meetings from a stream of their own (the first three counts stay as
    // they were drawn before these were reported).
    let mut more = StdRng::seed_from_u64(20_260_304);
    let rescues_since = quoted.rescues_since.map(d);
    let mut months = Vec::new();
    for (k, a) in assignments.iter().enumerate() {
        if a.mode == AssignmentMode::Remote {
            continue;
        }
        // An expert's pace: a busy clinic or a surgeon's list.
        let pace = [
            rng.gen_range(0.7..1.3),
            rng.gen_range(0.6..1.4),
            rng.gen_range(0.2..1.8),
        ];
        let more_pace = [more.gen_range(0.3..1.7), more.gen_range(0.5..1.5)];
        for (start, end) in months_of(a) {
            if end >= today {
                continue;
            }
            let days = (end - start).num_days() as f64 + 1.0;
            let first = pace.map(|p| p * days * rng.gen_range(0.85..1.15));
            let mut rest = more_pace.map(|p| p * days * more.gen_range(0.85..1.15));
            if rescues_since.is_some_and(|since| end < since) {
                rest[0] = 0.0;
            }
            months.push(Month {
                assignment: k,
                start,
                end,
                weight: [first[0], first[1], first[2], rest[0], rest[1]],
            });
        }
    }
    let (counted, later): (Vec<&Month>, Vec<&Month>) = months.iter().partition(|m| m.end <= as_of);
    let ranges = [quoted.outpatients, quoted.admissions, quoted.operations];
    let first = ranges.map(|(low, high)| rng.gen_range(low..=high));
    let rest = [quoted.rescues, quoted.mdt].map(|(low, high)| more.gen_range(low..=high));
    let totals = [first[0], first[1], first[2], rest[0], rest[1]];
    let mut figures: Vec<[i64; 5]> = vec![[0; 5]; counted.len()];
    for (c, total) in totals.iter().enumerate() {
        let weights: Vec<f64> = counted.iter().map(|m| m.weight[c]).collect();
        for (i, v) in spread(*total, &weights).into_iter().enumerate() {
            figures[i][c] = v;
        }
    }
    // After the article's date the experts keep the same pace per weighted day.
    let rates: [f64; 5] = std::array::from_fn(|c| {
        let w: f64 = counted.iter().map(|m| m.weight[c]).sum();
        if w > 0.0 { totals[c] as f64 / w } else { 0.0 }
    });
    let later_figures: Vec<[i64; 5]> = later
        .iter()
        .map(|m| std::array::from_fn(|c| (m.weight[c] * rates[c]).round() as i64))
        .collect();
    let mut n = 0;
    for (m, f) in counted
        .iter()
        .zip(&figures)
        .chain(later.iter().zip(&later_figures))
    {
        let new = WorkloadReportInput {
            assignment_id: assignments[m.assignment].id.clone(),
            period_start: m.start.to_string(),
            period_end: m.end.to_string(),
            outpatients: f[0],
            admissions: f[1],
            operations: f[2],
            rescues: f[3],
            mdt_participations: f[4],
            note: None,
        }
        .parse()
        .map_err(|e| StoreError::Other(format!("demo workload report: {e}")))?;
        workload::create_on(conn, actor, &new).await?;
        n += 1;
    }
    tracing::info!(program, reports = n, "demo workload reports");
    Ok(n)
}

/// The days each assignment's expert served up to yesterday, with some leave: a stationed expert
/// works Monday to Friday and some Saturdays; the other modes every day their pattern puts
/// them on site; one stationed expert in four takes 2–7 days of leave. Days before last week
/// are confirmed by the host's 医务科; last week's and this week's wait for confirmation. Written with
/// multi-row inserts (the roll-up triggers count them as `work-days`). Returns the days served
/// and the days of leave.
pub async fn days_served(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    assignments: &[Assignment],
    institutions: HashMap<&str, &str>,
    today: NaiveDate,
) -> Result<(usize, usize)> {
    let started = std::time::Instant::now();
    let monday = shanhai_domain::dispatch::week_start(today) - chrono::Duration::days(7);
    let now = shanhai_store::now();
    let mut served: Vec<Vec<Arg>> = Vec::new();
    let mut leave: Vec<Vec<Arg>> = Vec::new();
    for a in assignments {
        let Some(p) = a.presence() else { continue };
        if !p.on_site || p.start >= today {
            continue;
        }
        let last = p.end.min(today - chrono::Duration::days(1));
        let stationed = a.mode == AssignmentMode::Stationed;
        let span = (last - p.start).num_days();
        let away = if stationed && span > 30 && rng.gen_bool(0.25) {
            let from = p.start + chrono::Duration::days(rng.gen_range(7..span - 7));
            Some((from, from + chrono::Duration::days(rng.gen_range(1..7))))
        } else {
            None
        };
        let host = institutions
            .get(a.institution_id.as_str())
            .copied()
            .unwrap_or("");
        for day in p.start.iter_days().take_while(|d| *d <= last) {
            if !p.covers(day) {
                continue;
            }
            let weekday = day.weekday().number_from_monday();
            if stationed && (weekday == 7 || weekday == 6 && !rng.gen_bool(0.3)) {
                continue;
            }
            let id: Arg = shanhai_domain::ids::new_id().into();
            if away.is_some_and(|(from, until)| from <= day && day <= until) {
                leave.push(vec![
                    id,
                    a.id.clone().into(),
                    day.to_string().into(),
                    Some("年假".to_string()).into(),
                    now.clone().into(),
                    now.clone().into(),
                ]);
                continue;
            }
            let confirmed = (day < monday).then(|| {
                let on = (day + chrono::Duration::days(i64::from(8 - weekday))).min(today);
                format!("{on}T10:00:00Z")
            });
            served.push(vec![
                id,
                a.id.clone().into(),
                day.to_string().into(),
                Arg::OptText(None),
                confirmed.clone().into(),
                confirmed.map(|_| format!("{host}医务科")).into(),
                now.clone().into(),
                now.clone().into(),
            ]);
        }
    }
    let days = [
        "id",
        "assignment_id",
        "day",
        "note",
        "confirmed_at",
        "confirmed_by",
        "created_at",
        "updated_at",
    ];
    insert_rows(conn, "service_days", &days, &served).await?;
    let leave_columns = [
        "id",
        "assignment_id",
        "day",
        "note",
        "created_at",
        "updated_at",
    ];
    insert_rows(conn, "leave_days", &leave_columns, &leave).await?;
    tracing::info!(
        served = served.len(),
        leave = leave.len(),
        ms = started.elapsed().as_millis() as u64,
        "demo days served"
    );
    Ok((served.len(), leave.len()))
}

/// Inserts rows many at a time (a few thousand values per statement).
async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Arg>],
) -> Result<()> {
    for chunk in rows.chunks(400) {
        let mut n = 0;
        let values: Vec<String> = chunk
            .iter()
            .map(|row| {
                let marks: Vec<String> = row
                    .iter()
                    .map(|_| {
                        n += 1;
                        format!("${n}")
                    })
                    .collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            values.join(", ")
        );
        query::sql_with(sql, chunk.iter().flatten().cloned().collect())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assignment_reports_by_month_with_a_few_days_at_its_ends_folded_in() {
        let a = |start: &str, end: &str| Assignment {
            id: String::new(),
            batch_id: String::new(),
            batch_number: None,
            program_id: None,
            person_id: String::new(),
            person_name: None,
            person_title: None,
            home_institution_name: None,
            institution_id: String::new(),
            institution_name: None,
            department_id: None,
            department_name: None,
            mode: AssignmentMode::Stationed,
            post: shanhai_domain::dispatch::Post::TeamMember,
            weekdays: vec![],
            start_date: start.into(),
            end_date: end.into(),
            days_served: 0,
            days_confirmed: 0,
            leave_days: 0,
            planned_end_date: None,
            created_at: String::new(),
            updated_at: String::new(),
        };
        let months = months_of(&a("2024-05-31", "2024-11-03"));
        assert_eq!(months.first(), Some(&(d("2024-05-31"), d("2024-06-30"))));
        assert_eq!(months.last(), Some(&(d("2024-10-01"), d("2024-11-03"))));
        assert_eq!(months.len(), 5);
        assert_eq!(
            months_of(&a("2024-03-01", "2024-03-03")),
            vec![(d("2024-03-01"), d("2024-03-03"))]
        );
    }

    #[test]
    fn a_total_spreads_exactly_in_proportion() {
        let parts = spread(236_512, &[1.0, 2.0, 3.5, 0.25]);
        assert_eq!(parts.iter().sum::<i64>(), 236_512);
        assert!(parts[2] > parts[1] && parts[1] > parts[0] && parts[0] > parts[3]);
        assert_eq!(spread(10, &[]), Vec::<i64>::new());
    }
}
