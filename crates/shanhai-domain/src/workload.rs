//! Workload reports: what a dispatched expert did at the recipient hospital in a period —
//! usually a calendar month — reported under their assignment by the expert, the team leader or
//! a coordinator: outpatients seen (门诊接诊人次), inpatients admitted (收治住院人次),
//! operations performed (手术台次), critically ill patients rescued (抢救危重) and MDT
//! meetings joined (MDT 参与). The program's cumulative figures ("帮扶专家累计接诊门诊患者
//! 23.6万余人次…") are their sums, counted at each report's period end.

use crate::validate::{self, reference};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most any one count of a report may be (a month of a busy clinic is a few thousand).
pub const MAX_COUNT: i64 = 1_000_000;

/// The longest period one report covers, in days (a year).
pub const MAX_PERIOD_DAYS: i64 = 366;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WorkloadReportInput {
    /// The assignment the work was done under.
    #[schema(format = Uuid)]
    pub assignment_id: String,
    /// First day of the period (`YYYY-MM-DD`), usually the first of a month.
    #[schema(format = Date)]
    pub period_start: String,
    /// Last day of the period; the report counts on this date.
    #[schema(format = Date)]
    pub period_end: String,
    /// Outpatient visits seen (人次).
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub outpatients: i64,
    /// Inpatients admitted under the expert (人次).
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub admissions: i64,
    /// Operations performed or led (台次).
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub operations: i64,
    /// Critically ill patients rescued (抢救危重, 人次); default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub rescues: i64,
    /// Multidisciplinary (MDT) meetings joined (次); default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub mdt_participations: i64,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewWorkloadReport {
    pub assignment_id: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub outpatients: i64,
    pub admissions: i64,
    pub operations: i64,
    pub rescues: i64,
    pub mdt_participations: i64,
    pub note: Option<String>,
}

fn count(field: &str, n: i64) -> Result<i64, Invalid> {
    if (0..=MAX_COUNT).contains(&n) {
        Ok(n)
    } else {
        Err(Invalid::new(field, "error.workload_count_range"))
    }
}

impl WorkloadReportInput {
    /// The report described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewWorkloadReport, Problems> {
        crate::every! {
            period_start = validate::date("period_start", &self.period_start),
            period_end = validate::date("period_end", &self.period_end),
            assignment_id = reference("assignment_id", &self.assignment_id),
            outpatients = count("outpatients", self.outpatients),
            admissions = count("admissions", self.admissions),
            operations = count("operations", self.operations),
            rescues = count("rescues", self.rescues),
            mdt_participations = count("mdt_participations", self.mdt_participations),
            note = validate::optional_text("note", self.note.as_deref(), 500),
        }
        if period_end < period_start {
            return Err(Invalid::new("period_end", "error.end_before_start").into());
        }
        if (period_end - period_start).num_days() >= MAX_PERIOD_DAYS {
            return Err(Invalid::new("period_end", "error.workload_period_too_long").into());
        }
        Ok(NewWorkloadReport {
            assignment_id,
            period_start,
            period_end,
            outpatients,
            admissions,
            operations,
            rescues,
            mdt_participations,
            note,
        })
    }
}

impl NewWorkloadReport {
    /// The period must overlap the assignment's (an expert reports for the time they served).
    pub fn check_within(&self, start: NaiveDate, end: NaiveDate) -> Result<(), Invalid> {
        if self.period_end < start || self.period_start > end {
            return Err(Invalid::new(
                "period_start",
                "error.workload_outside_assignment",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkloadReport {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub assignment_id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    pub batch_number: Option<i64>,
    #[schema(format = Uuid)]
    pub person_id: String,
    pub person_name: Option<String>,
    /// The expert's title code (`chief-physician`, …).
    pub person_title: Option<String>,
    /// The recipient institution of the assignment.
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub department_name: Option<String>,
    #[schema(format = Date)]
    pub period_start: String,
    #[schema(format = Date)]
    pub period_end: String,
    pub outpatients: i64,
    pub admissions: i64,
    pub operations: i64,
    pub rescues: i64,
    pub mdt_participations: i64,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(start: &str, end: &str, outpatients: i64) -> WorkloadReportInput {
        WorkloadReportInput {
            assignment_id: "0190b6a8-5d3c-7a1e-9f00-000000000001".into(),
            period_start: start.into(),
            period_end: end.into(),
            outpatients,
            admissions: 12,
            operations: 3,
            rescues: 1,
            mdt_participations: 0,
            note: None,
        }
    }

    #[test]
    fn a_month_parses_and_bad_periods_and_counts_are_refused() {
        let r = input("2024-03-01", "2024-03-31", 380).parse();
        assert_eq!(r.map(|r| r.outpatients), Ok(380));
        let key = |i: WorkloadReportInput| {
            i.parse()
                .map_err(|p| p.into_first())
                .map_err(|e| (e.field, e.key))
        };
        assert_eq!(
            key(input("2024-03-31", "2024-03-01", 1)),
            Err(("period_end".into(), "error.end_before_start"))
        );
        assert_eq!(
            key(input("2024-01-01", "2025-01-31", 1)),
            Err(("period_end".into(), "error.workload_period_too_long"))
        );
        assert_eq!(
            key(input("2024-03-01", "2024-03-31", -1)),
            Err(("outpatients".into(), "error.workload_count_range"))
        );
        assert_eq!(
            key(input("2024-03-01", "2024-03-31", MAX_COUNT + 1)),
            Err(("outpatients".into(), "error.workload_count_range"))
        );
    }

    #[test]
    fn the_period_must_overlap_the_assignment() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let r = input("2024-03-01", "2024-03-31", 1)
            .parse()
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(r.check_within(d("2024-03-15"), d("2024-09-14")).is_ok());
        assert!(r.check_within(d("2024-04-01"), d("2024-09-30")).is_err());
        assert!(r.check_within(d("2023-09-01"), d("2024-02-29")).is_err());
    }
}
