//! Workload reports: outpatients, admissions and operations of a dispatched expert per period
//! (usually a month), under their assignment. The roll-ups sum each count at the report's
//! period end (`rollups::RULES`, `workload-*`); the list below is what those figures link to.

use crate::audit::Actor;
use crate::dispatch;
use crate::query::{self, Filter, Page, PageRequest, fetch_page, int};
use crate::record::{self, Table};
use crate::row::{Columns, row};
use crate::{Db, Result, StoreError};
use shanhai_domain::workload::{NewWorkloadReport, WorkloadReport};
use sqlx::AnyConnection;

pub struct WorkloadReports;

const SELECT: &str = "t.*, b.program_id AS program_id, b.number AS batch_number, \
    a.person_id AS person_id, p.name AS person_name, p.title AS person_title, a.institution_id AS institution_id, \
    i.name AS institution_name, d.name AS department_name";
const FROM: &str = "workload_reports t JOIN assignments a ON a.id = t.assignment_id \
    JOIN batches b ON b.id = a.batch_id JOIN people p ON p.id = a.person_id \
    JOIN institutions i ON i.id = a.institution_id LEFT JOIN departments d ON d.id = a.department_id";

impl Table for WorkloadReports {
    type Record = WorkloadReport;
    const TABLE: &'static str = "workload_reports";
    const ENTITY: &'static str = "workload_report";
    const SELECT: &'static str = SELECT;
    const FROM: &'static str = FROM;
    const ID: &'static str = "t.id";
    const CONFLICT: &'static str = "error.workload_period_taken";
}

row! {
    read WorkloadReport(row) {
        id: text,
        assignment_id: text,
        program_id: opt_text,
        batch_number: opt_int,
        person_id: text,
        person_name: opt_text,
        person_title: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_name: opt_text,
        period_start: text,
        period_end: text,
        outpatients: int,
        admissions: int,
        operations: int,
        rescues: int,
        mdt_participations: int,
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewWorkloadReport(new) {
        assignment_id: clone,
        period_start: date,
        period_end: date,
        outpatients: copy,
        admissions: copy,
        operations: copy,
        rescues: copy,
        mdt_participations: copy,
        note: clone,
    }
}

/// The assignment exists, the period overlaps it, and no other report of the assignment
/// covers any day of the period (409: the work would be counted twice).
async fn check(conn: &mut AnyConnection, new: &NewWorkloadReport, id: Option<&str>) -> Result<()> {
    let a = record::require::<dispatch::Assignments>(
        conn,
        "assignment_id",
        &new.assignment_id,
        "error.unknown_assignment",
    )
    .await?;
    new.check_within(dispatch::date(&a.start_date), dispatch::date(&a.end_date))?;
    let overlapping = query::sql_with(
        "SELECT COUNT(*) AS n FROM workload_reports WHERE assignment_id = $1 \
         AND period_start <= $2 AND period_end >= $3 AND id <> $4"
            .into(),
        vec![
            new.assignment_id.clone().into(),
            new.period_end.to_string().into(),
            new.period_start.to_string().into(),
            id.unwrap_or("").into(),
        ],
    )
    .fetch_one(&mut *conn)
    .await?;
    if int(&overlapping, "n")? > 0 {
        return Err(StoreError::Conflict("error.workload_period_taken"));
    }
    Ok(())
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<WorkloadReport> {
    record::get_on::<WorkloadReports>(conn, id).await
}

pub async fn get(db: &Db, id: &str) -> Result<WorkloadReport> {
    record::get::<WorkloadReports>(db, id).await
}

/// Creates a report inside the caller's transaction (the demo loader writes many this way).
pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewWorkloadReport,
) -> Result<WorkloadReport> {
    check(conn, new, None).await?;
    record::insert::<WorkloadReports>(conn, actor, NewWorkloadReport::COLUMNS, new.args()).await
}

pub async fn create(db: &Db, actor: &Actor, new: &NewWorkloadReport) -> Result<WorkloadReport> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: &str,
    new: &NewWorkloadReport,
) -> Result<WorkloadReport> {
    let mut tx = db.begin_write().await?;
    get_on(&mut tx, id).await?;
    check(&mut tx, new, Some(id)).await?;
    let after = record::update::<WorkloadReports>(
        &mut tx,
        actor,
        id,
        NewWorkloadReport::COLUMNS,
        new.args(),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes a report filed by mistake; the audit log keeps what it was.
pub async fn delete(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    record::delete::<WorkloadReports>(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct WorkloadFilter {
    pub program: Option<String>,
    pub assignment: Option<String>,
    pub batch: Option<String>,
    /// The recipient institution of the assignment.
    pub institution: Option<String>,
    pub person: Option<String>,
    /// Recipient institutions in this GB/T 2260 region or below.
    pub region: Option<String>,
    pub q: Option<String>,
    /// Periods ending on or after this date.
    pub from: Option<String>,
    /// Periods ending on or before this date (what the indicators count up to).
    pub until: Option<String>,
}

fn filter_of(f: &WorkloadFilter) -> Filter {
    let mut filter = Filter::default();
    filter
        .eq("b.program_id", f.program.as_deref())
        .eq("t.assignment_id", f.assignment.as_deref())
        .eq("a.batch_id", f.batch.as_deref())
        .eq("a.institution_id", f.institution.as_deref())
        .eq("a.person_id", f.person.as_deref())
        .in_region("i.region_code", f.region.as_deref())
        .search(&["p.name", "t.note"], f.q.as_deref());
    filter.dated("t.period_end", f.from.as_deref(), f.until.as_deref());
    filter
}

pub async fn list(db: &Db, f: &WorkloadFilter, page: PageRequest) -> Result<Page<WorkloadReport>> {
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter_of(f),
        "t.period_end DESC, p.name, t.id",
        page,
        WorkloadReports::decode,
    )
    .await
}

/// The five counts summed over every report the filter selects (the list page's totals).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WorkloadTotals {
    pub reports: i64,
    pub outpatients: i64,
    pub admissions: i64,
    pub operations: i64,
    pub rescues: i64,
    pub mdt_participations: i64,
}

pub async fn totals(db: &Db, f: &WorkloadFilter) -> Result<WorkloadTotals> {
    let filter = filter_of(f);
    let row = query::sql_with(
        format!(
            "SELECT COUNT(*) AS n, \
             CAST(COALESCE(SUM(t.outpatients), 0) AS BIGINT) AS outpatients, \
             CAST(COALESCE(SUM(t.admissions), 0) AS BIGINT) AS admissions, \
             CAST(COALESCE(SUM(t.operations), 0) AS BIGINT) AS operations, \
             CAST(COALESCE(SUM(t.rescues), 0) AS BIGINT) AS rescues, \
             CAST(COALESCE(SUM(t.mdt_participations), 0) AS BIGINT) AS mdt \
             FROM {FROM}{}",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_one(db.pool())
    .await?;
    Ok(WorkloadTotals {
        reports: int(&row, "n")?,
        outpatients: int(&row, "outpatients")?,
        admissions: int(&row, "admissions")?,
        operations: int(&row, "operations")?,
        rescues: int(&row, "rescues")?,
        mdt_participations: int(&row, "mdt")?,
    })
}
