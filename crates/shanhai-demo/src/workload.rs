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
}

const QUOTED: &[Quoted] = &[Quoted {
    program: "hu-dian",
    // 23.6万余人次; 近6.3万余人次 (just under 63,000); 2.1万余人次.
    outpatients: (236_100, 236_900),
    admissions: (62_500, 62_950),
    operations: (21_100, 21_900),
}];

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
    weight: [f64; 3],
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
        for (start, end) in months_of(a) {
            if end >= today {
                continue;
            }
            let days = (end - start).num_days() as f64 + 1.0;
            months.push(Month {
                assignment: k,
                start,
                end,
                weight: pace.map(|p| p * days * rng.gen_range(0.85..1.15)),
            });
        }
    }
    let (counted, later): (Vec<&Month>, Vec<&Month>) = months.iter().partition(|m| m.end <= as_of);
    let ranges = [quoted.outpatients, quoted.admissions, quoted.operations];
    let totals = ranges.map(|(low, high)| rng.gen_range(low..=high));
    let mut figures: Vec<[i64; 3]> = vec![[0; 3]; counted.len()];
    for (c, total) in totals.iter().enumerate() {
        let weights: Vec<f64> = counted.iter().map(|m| m.weight[c]).collect();
        for (i, v) in spread(*total, &weights).into_iter().enumerate() {
            figures[i][c] = v;
        }
    }
    // After the article's date the experts keep the same pace per weighted day.
    let rates: [f64; 3] = std::array::from_fn(|c| {
        let w: f64 = counted.iter().map(|m| m.weight[c]).sum();
        if w > 0.0 { totals[c] as f64 / w } else { 0.0 }
    });
    let later_figures: Vec<[i64; 3]> = later
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
