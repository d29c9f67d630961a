//! Workload reports (门诊、住院、手术 by an expert under an assignment, per period): filed,
//! corrected and removed by whoever records the assignment's days served.

use crate::dispatch::may_record_days;
use crate::{Acting, ServiceResult};
use shanhai_domain::Invalid;
use shanhai_domain::dispatch::Assignment;
use shanhai_domain::workload::{WorkloadReport, WorkloadReportInput};
use shanhai_store::{Db, StoreError, dispatch, workload};

/// The assignment an input names: a problem at `assignment_id` when there is none.
async fn assignment_of(db: &Db, id: &str) -> ServiceResult<Assignment> {
    match dispatch::get_assignment(db, id).await {
        Err(StoreError::NotFound) => {
            Err(Invalid::new("assignment_id", "error.unknown_assignment").into())
        }
        other => Ok(other?),
    }
}

/// Files an expert's workload for a period under their assignment.
pub async fn file(
    db: &Db,
    who: &Acting,
    input: &WorkloadReportInput,
) -> ServiceResult<WorkloadReport> {
    let new = input.parse()?;
    let a = assignment_of(db, &new.assignment_id).await?;
    may_record_days(db, who, &a).await?;
    Ok(workload::create(db, &who.actor, &new).await?)
}

/// Refuses unless the caller records the report's assignment (asked before the input is read).
pub async fn may_change(db: &Db, who: &Acting, id: &str) -> ServiceResult<WorkloadReport> {
    let before = workload::get(db, id).await?;
    let a = dispatch::get_assignment(db, &before.assignment_id).await?;
    may_record_days(db, who, &a).await?;
    Ok(before)
}

/// Corrects a report (the audit log keeps what it said before); moved to another assignment,
/// the caller must record that one too.
pub async fn correct(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &WorkloadReportInput,
) -> ServiceResult<WorkloadReport> {
    let before = may_change(db, who, id).await?;
    let new = input.parse()?;
    if new.assignment_id != before.assignment_id {
        let other = assignment_of(db, &new.assignment_id).await?;
        may_record_days(db, who, &other).await?;
    }
    Ok(workload::update(db, &who.actor, id, &new).await?)
}

/// Removes a report filed by mistake (the audit log keeps it).
pub async fn remove(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    may_change(db, who, id).await?;
    Ok(workload::delete(db, &who.actor, id).await?)
}
