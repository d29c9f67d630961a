//! Workload reports (工作量: outpatients, admissions, operations, critical rescues, MDT of a dispatched expert per
//! period), one row each, keyed by the assignment and the period's first day. The row names the
//! expert and the hospital they served at; the assignment is the expert's one there whose dates
//! meet the period. Each report is written through the store as the API writes it (the same
//! checks: the period meets the assignment, no two reports cover one day), and counted in the
//! roll-ups by the triggers.

use crate::context::Context;
use crate::{Column, ImportKind, Parsed, Problem, Row, on_column};
use chrono::NaiveDate;
use shanhai_domain::workload::{NewWorkloadReport, WorkloadReportInput};
use shanhai_store::audit::Actor;
use shanhai_store::query::sql_with;
use shanhai_store::{StoreError, workload};
use sqlx::{AnyConnection, Row as _};
use std::collections::HashMap;

pub struct WorkloadReports;

const EXPERT: usize = 0;
const EXPERT_INSTITUTION: usize = 1;
const INSTITUTION: usize = 2;
const START: usize = 3;
const END: usize = 4;
const OUTPATIENTS: usize = 5;
const ADMISSIONS: usize = 6;
const OPERATIONS: usize = 7;
const RESCUES: usize = 8;
const MDT: usize = 9;
const NOTE: usize = 10;

const COLUMNS: &[Column] = &[
    Column {
        zh: "专家",
        en: "Expert",
        required: true,
        fields: &[],
        example: "李明",
    },
    Column {
        zh: "专家单位",
        en: "Expert's institution",
        required: false,
        fields: &[],
        example: "河南省人民医院",
    },
    Column {
        zh: "受援机构",
        en: "Institution served",
        required: true,
        fields: &["assignment_id"],
        example: "新疆生产建设兵团第十三师红星医院",
    },
    Column {
        zh: "期间开始",
        en: "Period start",
        required: true,
        fields: &["period_start"],
        example: "2025-03-01",
    },
    Column {
        zh: "期间结束",
        en: "Period end",
        required: true,
        fields: &["period_end"],
        example: "2025-03-31",
    },
    Column {
        zh: "门诊人次",
        en: "Outpatients",
        required: true,
        fields: &["outpatients"],
        example: "120",
    },
    Column {
        zh: "住院人次",
        en: "Admissions",
        required: true,
        fields: &["admissions"],
        example: "15",
    },
    Column {
        zh: "手术台次",
        en: "Operations",
        required: true,
        fields: &["operations"],
        example: "8",
    },
    Column {
        zh: "抢救危重人次",
        en: "Critical rescues",
        required: false,
        fields: &["rescues"],
        example: "2",
    },
    Column {
        zh: "MDT参与次数",
        en: "MDT participations",
        required: false,
        fields: &["mdt_participations"],
        example: "3",
    },
    Column {
        zh: "备注",
        en: "Note",
        required: false,
        fields: &["note"],
        example: "",
    },
];

/// An assignment as the rows are matched against it.
pub struct Served {
    id: String,
    institution_id: String,
    program_id: String,
    donor_id: Option<String>,
    start: NaiveDate,
    end: NaiveDate,
}

/// The assignments, by person (loaded only by this kind).
#[derive(Default)]
pub struct WorkloadData {
    by_person: HashMap<String, Vec<Served>>,
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// A whole number in a required cell.
fn count(row: &Row<'_>, index: usize) -> Result<i64, Problem> {
    crate::number(row, index, COLUMNS)?
        .ok_or_else(|| Problem::at(&COLUMNS[index], "error.required"))
}

impl ImportKind for WorkloadReports {
    const NAME: &'static str = "workload-reports";
    const LABEL: &'static str = "ui.import_kind_workload_reports";
    const COLUMNS: &'static [Column] = COLUMNS;
    /// Two reports of one assignment may not cover one day: the store checks on writing.
    const CHECKED_ON_WRITE: bool = true;
    type Record = NewWorkloadReport;
    type State = ();

    async fn prepare(
        _db: &shanhai_store::Db,
        conn: &mut AnyConnection,
        cx: &mut Context,
    ) -> Result<(), StoreError> {
        let mut data = WorkloadData::default();
        for r in sql_with(
            "SELECT a.id, a.person_id, a.institution_id, a.start_date, a.end_date, b.program_id, \
             p.donor_id FROM assignments a JOIN batches b ON b.id = a.batch_id \
             LEFT JOIN pairings p ON p.id = b.pairing_id"
                .into(),
            vec![],
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let start: String = r.try_get(3)?;
            let end: String = r.try_get(4)?;
            let (Some(start), Some(end)) = (date(&start), date(&end)) else {
                continue;
            };
            data.by_person
                .entry(r.try_get(1)?)
                .or_default()
                .push(Served {
                    id: r.try_get(0)?,
                    institution_id: r.try_get(2)?,
                    program_id: r.try_get(5)?,
                    donor_id: r.try_get(6)?,
                    start,
                    end,
                });
        }
        cx.workload = Some(data);
        Ok(())
    }

    async fn stored_keys(conn: &mut AnyConnection) -> Result<crate::Keys, StoreError> {
        crate::stored_keys_joined(conn, "workload_reports", &["assignment_id", "period_start"])
            .await
    }

    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<Self::Record>, Vec<Problem>> {
        let mut problems = Vec::new();
        // Every problem of the row at once: the expert, the hospital, the counts.
        let at = match row.optional(EXPERT_INSTITUTION) {
            None => Ok(None),
            Some(_) => crate::institution(row, EXPERT_INSTITUTION, COLUMNS, cx).map(Some),
        };
        let expert = match (row.optional(EXPERT), &at) {
            (None, _) => Err(Problem::at(&COLUMNS[EXPERT], "error.required")),
            (Some(name), Ok(at)) => crate::person(cx, name, *at, &COLUMNS[EXPERT]).map(Some),
            (Some(_), Err(_)) => Ok(None),
        };
        let institution = crate::institution(row, INSTITUTION, COLUMNS, cx);
        let counts = [OUTPATIENTS, ADMISSIONS, OPERATIONS].map(|i| count(row, i));
        let optional = [RESCUES, MDT].map(|i| crate::number(row, i, COLUMNS));
        if let Err(p) = &at {
            problems.push(p.clone());
        }
        if let Err(p) = &expert {
            problems.push(p.clone());
        }
        if let Err(p) = &institution {
            problems.push(p.clone());
        }
        for c in &counts {
            if let Err(p) = c {
                problems.push(p.clone());
            }
        }
        for c in &optional {
            if let Err(p) = c {
                problems.push(p.clone());
            }
        }
        let (start, end) = (date(row.cell(START)), date(row.cell(END)));
        // The expert's assignment at the hospital whose dates meet the period (the one the
        // period starts in, when several do).
        let served = match (&expert, &institution, start, end) {
            (Ok(Some(person)), Ok(institution), Some(start), Some(end)) => {
                let mine = cx
                    .workload
                    .as_ref()
                    .and_then(|w| w.by_person.get(person))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let meeting: Vec<&Served> = mine
                    .iter()
                    .filter(|a| {
                        a.institution_id == *institution && a.start <= end && a.end >= start
                    })
                    .collect();
                let found = meeting
                    .iter()
                    .find(|a| a.start <= start && start <= a.end)
                    .or(meeting.first())
                    .copied();
                if found.is_none() {
                    problems.push(Problem::at(
                        &COLUMNS[INSTITUTION],
                        "error.import_no_assignment",
                    ));
                }
                found
            }
            _ => None,
        };
        if let Some(a) = served {
            let batch = crate::context::Batch {
                id: String::new(),
                program_id: a.program_id.clone(),
                donor_id: a.donor_id.clone(),
            };
            if !cx.may_run_clinics(&a.institution_id) && !cx.may_dispatch(&batch) {
                problems.push(Problem::at(
                    &COLUMNS[INSTITUTION],
                    "error.import_out_of_scope",
                ));
            }
        }
        let [outpatients, admissions, operations] = counts.map(|c| c.unwrap_or(0));
        let [rescues, mdt_participations] = optional.map(|c| c.ok().flatten().unwrap_or(0));
        let input = WorkloadReportInput {
            // Without an assignment the input's own checks still run (dates, counts); the
            // missing assignment is already a problem of its column.
            assignment_id: served.map_or_else(|| "-".to_string(), |a| a.id.clone()),
            period_start: row.cell(START).to_string(),
            period_end: row.cell(END).to_string(),
            outpatients,
            admissions,
            operations,
            rescues,
            mdt_participations,
            note: row.optional(NOTE).map(str::to_string),
        };
        match input.parse() {
            Ok(new) if problems.is_empty() => {
                let key = format!(
                    "{}\u{1f}{}",
                    new.assignment_id,
                    shanhai_domain::validate::iso_date(new.period_start)
                );
                Ok(Parsed {
                    identity: None,
                    key,
                    record: new,
                })
            }
            Ok(_) => Err(problems),
            Err(e) => {
                // The assignment's own problem is already stated at its column.
                let mut all = problems;
                all.extend(
                    on_column(COLUMNS, e)
                        .into_iter()
                        .filter(|p| p.column.is_none_or(|c| c.zh != COLUMNS[INSTITUTION].zh)),
                );
                Err(all)
            }
        }
    }

    async fn write(
        conn: &mut AnyConnection,
        actor: &Actor,
        _state: &mut (),
        batch: Vec<(usize, NewWorkloadReport)>,
    ) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        for (number, new) in batch {
            let found = match workload::create_on(conn, actor, &new).await {
                Ok(_) => continue,
                Err(StoreError::Invalid(e)) => on_column(COLUMNS, e),
                Err(StoreError::Conflict(key)) => vec![Problem::at(&COLUMNS[START], key)],
                Err(e) => return Err(e),
            };
            problems.extend(found.into_iter().map(|p| Problem { row: number, ..p }));
        }
        Ok(problems)
    }
}
