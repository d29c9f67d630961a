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

/// The assignments the caller may file workload for, latest first (the form's choices): those
/// their lists open on (`dispatch::own_scope`) that have started and whose days they record.
pub async fn recordable(db: &Db, who: &Acting) -> ServiceResult<Vec<Assignment>> {
    let mut f = crate::dispatch::own_scope(db, who).await?;
    f.until = Some(shanhai_store::today().to_string());
    let page = dispatch::list_assignments(
        db,
        &f,
        shanhai_store::PageRequest::new(Some(1), Some(shanhai_store::PageRequest::MAX_PER_PAGE)),
    )
    .await?;
    // The decision rests on the expert, the recipient and the batch: asked once per pair.
    let mut decided: std::collections::HashMap<(String, String), bool> = Default::default();
    let mut out = Vec::new();
    for a in page.items {
        let ok = if who.person() == Some(a.person_id.as_str()) {
            true
        } else {
            let key = (a.institution_id.clone(), a.batch_id.clone());
            match decided.get(&key) {
                Some(ok) => *ok,
                None => {
                    let ok = may_record_days(db, who, &a).await.is_ok();
                    decided.insert(key, ok);
                    ok
                }
            }
        };
        if ok {
            out.push(a);
        }
    }
    Ok(out)
}
