//! Expert dispatch (C2): schemes, batches (批次) and assignments, the days an expert served,
//! and the clinic sessions an assignment's pattern produces. Who may plan is the domain's rule
//! (`Principal::can_manage_program`, `Principal::can_dispatch`).

use crate::{AccessFacts, Acting, ServiceError, ServiceResult};
use chrono::NaiveDate;
use shanhai_domain::Invalid;
use shanhai_domain::clinic_sessions::{
    ClinicSession, ClinicSessionInput, GenerateSessionsInput, clinic_dates,
};
use shanhai_domain::codes::Role;
use shanhai_domain::dispatch::{
    Assignment, AssignmentInput, Batch, BatchInput, CopyBatchInput, EndAssignmentInput, LeaveInput,
    Scheme, SchemeInput, WeekInput, Weekdays,
};
use shanhai_domain::validate;
pub use shanhai_store::dispatch::TodayDuty;
use shanhai_store::dispatch::{self, AssignmentFilter, LeaveDay, ServiceDay, WeekOutcome};
use shanhai_store::{Db, PageRequest, StoreError, clinic_sessions, pairings};

/// Starts a dispatch scheme under a program (its office, or the platform admin).
pub async fn create_scheme(db: &Db, who: &Acting, input: &SchemeInput) -> ServiceResult<Scheme> {
    let new = input.parse()?;
    if !who.principal.can_manage_program(&new.program_id) {
        return Err(ServiceError::forbidden());
    }
    Ok(dispatch::create_scheme(db, &who.actor, &new).await?)
}

/// Renames or redescribes a scheme (the offices of its old and its new program).
pub async fn update_scheme(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &SchemeInput,
) -> ServiceResult<Scheme> {
    let before = dispatch::get_scheme(db, id).await?;
    if !who.principal.can_manage_program(&before.program_id) {
        return Err(ServiceError::forbidden());
    }
    let new = input.parse()?;
    if !who.principal.can_manage_program(&new.program_id) {
        return Err(ServiceError::forbidden());
    }
    Ok(dispatch::update_scheme(db, &who.actor, id, &new).await?)
}

/// Refuses unless the caller plans dispatch in the program (and, for a donor's coordinator,
/// the pairing's donor side).
pub async fn may_plan(
    db: &Db,
    who: &Acting,
    program_id: &str,
    pairing_id: Option<&str>,
) -> ServiceResult<()> {
    let donor = match pairing_id {
        Some(p) => match pairings::get(db, p).await {
            Ok(p) => Some(p.donor_id),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    crate::allowed(who.principal.can_dispatch(program_id, donor.as_deref()))
}

pub async fn create_batch(db: &Db, who: &Acting, input: &BatchInput) -> ServiceResult<Batch> {
    let new = input.parse()?;
    may_plan(db, who, &new.program_id, new.pairing_id.as_deref()).await?;
    Ok(dispatch::create_batch(db, &who.actor, &new).await?)
}

/// Refuses unless the caller plans the batch (asked before the input is read).
pub async fn may_change_batch(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    let before = dispatch::get_batch(db, id).await?;
    may_plan(db, who, &before.program_id, before.pairing_id.as_deref()).await
}

pub async fn update_batch(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &BatchInput,
) -> ServiceResult<Batch> {
    may_change_batch(db, who, id).await?;
    let new = input.parse()?;
    may_plan(db, who, &new.program_id, new.pairing_id.as_deref()).await?;
    Ok(dispatch::update_batch(db, &who.actor, id, &new).await?)
}

/// Refuses unless the caller plans the batch an assignment is in (an unknown batch is a
/// problem of the input's `batch_id`).
pub async fn may_dispatch_in(db: &Db, who: &Acting, batch_id: &str) -> ServiceResult<()> {
    let batch = match dispatch::get_batch(db, batch_id).await {
        Err(StoreError::NotFound) => {
            return Err(Invalid::new("batch_id", "error.unknown_batch").into());
        }
        other => other?,
    };
    may_plan(db, who, &batch.program_id, batch.pairing_id.as_deref()).await
}

pub async fn create_assignment(
    db: &Db,
    who: &Acting,
    input: &AssignmentInput,
) -> ServiceResult<Assignment> {
    let new = input.parse()?;
    may_dispatch_in(db, who, &new.batch_id).await?;
    Ok(dispatch::create_assignment(db, &who.actor, &new).await?)
}

/// Refuses unless the caller plans the assignment's batch (asked before the input is read).
pub async fn may_change_assignment(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    let before = dispatch::get_assignment(db, id).await?;
    may_dispatch_in(db, who, &before.batch_id).await
}

pub async fn update_assignment(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &AssignmentInput,
) -> ServiceResult<Assignment> {
    may_change_assignment(db, who, id).await?;
    let new = input.parse()?;
    may_dispatch_in(db, who, &new.batch_id).await?;
    Ok(dispatch::update_assignment(db, &who.actor, id, &new).await?)
}

/// Who records an assignment's days served and its workload: the expert themself, whoever runs
/// the host's clinic_sessions, and whoever plans the batch.
pub async fn may_record_days(db: &Db, who: &Acting, a: &Assignment) -> ServiceResult<()> {
    if who.person() == Some(a.person_id.as_str()) {
        return Ok(());
    }
    let facts = AccessFacts::load(db).await?;
    if who
        .principal
        .may_run_clinics(facts.access(&who.principal, &a.institution_id))
        .is_ok()
    {
        return Ok(());
    }
    may_dispatch_in(db, who, &a.batch_id).await
}

/// Records a day an expert served on an assignment.
pub async fn record_day(
    db: &Db,
    who: &Acting,
    assignment_id: &str,
    day: &str,
    note: Option<&str>,
) -> ServiceResult<ServiceDay> {
    let a = dispatch::get_assignment(db, assignment_id).await?;
    may_record_days(db, who, &a).await?;
    let mut problems = shanhai_domain::Problems::new();
    let day = problems.take(validate::date("day", day));
    let note = problems.take(validate::optional_text("note", note, 200));
    let (Some(day), Some(note)) = (day, note) else {
        return Err(ServiceError::Invalid(problems));
    };
    Ok(dispatch::record_day(db, &who.actor, assignment_id, day, note).await?)
}

/// Removes a recorded day (an unknown date names nothing: 404).
pub async fn remove_day(
    db: &Db,
    who: &Acting,
    assignment_id: &str,
    day: &str,
) -> ServiceResult<()> {
    let a = dispatch::get_assignment(db, assignment_id).await?;
    may_record_days(db, who, &a).await?;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| ServiceError::NotFound)?;
    Ok(dispatch::remove_day(db, &who.actor, assignment_id, day).await?)
}

/// Publishes the clinic sessions an assignment's pattern gives between two dates (those not
/// already published), for whoever runs the host's clinics.
pub async fn generate_sessions(
    db: &Db,
    who: &Acting,
    assignment_id: &str,
    input: &GenerateSessionsInput,
) -> ServiceResult<Vec<ClinicSession>> {
    let a = dispatch::get_assignment(db, assignment_id).await?;
    crate::clinic_sessions::may_run(db, who, &a.institution_id).await?;
    let presence = a.presence().ok_or_else(|| {
        ServiceError::Store(StoreError::Other(format!(
            "assignment {assignment_id}: stored pattern unreadable"
        )))
    })?;
    let from = validate::optional_date("from", input.from.as_deref())?.unwrap_or(presence.start);
    let until = validate::optional_date("until", input.until.as_deref())?.unwrap_or(presence.end);
    let chosen = Weekdays::parse(&input.weekdays)?;
    let dates = clinic_dates(
        a.mode,
        presence.weekdays,
        chosen,
        presence.start,
        presence.end,
        from,
        until,
    )?;
    let existing = clinic_sessions::list(
        db,
        &clinic_sessions::SessionFilter {
            expert: Some(a.person_id.clone()),
            institution: Some(a.institution_id.clone()),
            from: Some(from.to_string()),
            until: Some(until.to_string()),
            ..Default::default()
        },
        PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
    )
    .await?;
    let taken: std::collections::HashSet<String> =
        existing.items.into_iter().map(|s| s.date).collect();
    let mut sessions = Vec::new();
    for date in dates
        .into_iter()
        .filter(|d| !taken.contains(&d.to_string()))
    {
        sessions.push(
            ClinicSessionInput {
                expert_id: a.person_id.clone(),
                institution_id: a.institution_id.clone(),
                department_id: a.department_id.clone(),
                assignment_id: Some(a.id.clone()),
                date: date.to_string(),
                start: input.start.clone(),
                end: input.end.clone(),
                capacity: input.capacity,
                slot_minutes: input.slot_minutes,
                visit_type: input.visit_type.clone(),
                note: None,
            }
            .parse()?,
        );
    }
    Ok(clinic_sessions::create_many(db, &who.actor, &sessions).await?)
}

// ---- planning: copies, early ends ----

/// Copies a batch with its assignments to a new start date (the planners of the batch); every
/// copied assignment keeps the one-place-a-day rule. Returns the new batch and how many
/// assignments it got.
pub async fn copy_batch(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &CopyBatchInput,
) -> ServiceResult<(Batch, usize)> {
    may_change_batch(db, who, id).await?;
    let copy = input.parse()?;
    Ok(dispatch::copy_batch(db, &who.actor, id, &copy).await?)
}

/// Ends an assignment before its planned end (the planners of its batch). Refused at the field
/// when the new end is not earlier, or days served come after it.
pub async fn end_early(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &EndAssignmentInput,
) -> ServiceResult<Assignment> {
    may_change_assignment(db, who, id).await?;
    let last = validate::date("end_date", &input.end_date)?;
    Ok(dispatch::end_early(db, &who.actor, id, last).await?)
}

// ---- days served: check-in, leave, confirmation ----

/// Who confirms or corrects an assignment's days: whoever runs the host's clinics and whoever
/// plans the batch (not the expert on their own).
pub async fn may_confirm_days(db: &Db, who: &Acting, a: &Assignment) -> ServiceResult<()> {
    let facts = AccessFacts::load(db).await?;
    if who
        .principal
        .may_run_clinics(facts.access(&who.principal, &a.institution_id))
        .is_ok()
    {
        return Ok(());
    }
    may_dispatch_in(db, who, &a.batch_id).await
}

/// Records days of leave on an assignment (the expert themself or a coordinator).
pub async fn record_leave(
    db: &Db,
    who: &Acting,
    assignment_id: &str,
    input: &LeaveInput,
) -> ServiceResult<Vec<LeaveDay>> {
    let a = dispatch::get_assignment(db, assignment_id).await?;
    may_record_days(db, who, &a).await?;
    let leave = input.parse()?;
    Ok(dispatch::record_leave(db, &who.actor, assignment_id, &leave).await?)
}

/// Removes a day of leave recorded by mistake (an unknown date names nothing: 404).
pub async fn remove_leave(
    db: &Db,
    who: &Acting,
    assignment_id: &str,
    day: &str,
) -> ServiceResult<()> {
    let a = dispatch::get_assignment(db, assignment_id).await?;
    may_record_days(db, who, &a).await?;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| ServiceError::NotFound)?;
    Ok(dispatch::remove_leave(db, &who.actor, assignment_id, day).await?)
}

/// Confirms or corrects days of assignments at once (a week grid): each cell is served, leave
/// or not on site; the caller must confirm every assignment named (an unknown one is a problem
/// at its entry). All cells are written or none.
pub async fn confirm_days(db: &Db, who: &Acting, input: &WeekInput) -> ServiceResult<WeekOutcome> {
    let entries = input.parse()?;
    let mut checked: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        if checked.contains(&e.assignment_id) {
            continue;
        }
        let a = match dispatch::get_assignment(db, &e.assignment_id).await {
            Err(StoreError::NotFound) => {
                return Err(Invalid::new(
                    format!("entries[{i}].assignment_id"),
                    "error.unknown_assignment",
                )
                .into());
            }
            other => other?,
        };
        may_confirm_days(db, who, &a).await?;
        checked.insert(a.id);
    }
    let numbered: Vec<(usize, shanhai_domain::dispatch::DayEntry)> =
        entries.into_iter().enumerate().collect();
    Ok(dispatch::set_days(db, &who.actor, &who.display_name, &numbered).await?)
}

/// Today's duty of the signed-in expert (none when their account names no person or they have
/// no assignment running today). The home page and the schedule show it.
pub async fn today_for(db: &Db, who: &Acting) -> ServiceResult<Option<TodayDuty>> {
    let Some(person) = who.person() else {
        return Ok(None);
    };
    let today = shanhai_store::today();
    let running = dispatch::all_assignments(
        db,
        &AssignmentFilter {
            person: Some(person.to_string()),
            active_on: Some(today.to_string()),
            ..Default::default()
        },
        20,
    )
    .await?;
    let planned = |a: &Assignment| a.presence().is_some_and(|p| p.covers(today));
    let Some(a) = running
        .iter()
        .find(|a| planned(a))
        .or_else(|| running.iter().find(|a| a.mode.on_site()))
        .or_else(|| running.first())
        .cloned()
    else {
        return Ok(None);
    };
    let (served, leave) =
        dispatch::days_between(db, std::slice::from_ref(&a.id), today, today).await?;
    Ok(Some(TodayDuty {
        date: today.to_string(),
        planned: planned(&a),
        checked_in: served.into_iter().next(),
        on_leave: !leave.is_empty(),
        assignment: a,
    }))
}

/// The signed-in expert checks in for today, in one tap: today is recorded as served on the
/// assignment running today. Refused when they have none (422) or already checked in (409).
pub async fn check_in(db: &Db, who: &Acting) -> ServiceResult<ServiceDay> {
    if who.person().is_none() {
        return Err(Invalid::new("day", "error.account_has_no_person").into());
    }
    let Some(duty) = today_for(db, who).await? else {
        return Err(Invalid::new("day", "error.no_assignment_today").into());
    };
    if duty.checked_in.is_some() {
        return Err(ServiceError::Conflict("error.day_already_recorded"));
    }
    record_day(db, who, &duty.assignment.id, &duty.date, None).await
}

/// The assignments a user's lists open on: a program office's program, a recipient
/// coordinator's hospital, a donor coordinator's own experts, an expert's own assignments; the
/// platform admin's lists open on everything.
pub async fn own_scope(db: &Db, who: &Acting) -> ServiceResult<AssignmentFilter> {
    let p = &who.principal;
    let mut f = AssignmentFilter::default();
    match p.role {
        Role::PlatformAdmin => {}
        Role::ProgramOffice => f.program = p.program_id.clone(),
        Role::Expert if who.person().is_some() => f.person = who.person_id.clone(),
        _ => {
            let Some(own) = p.institution_id.clone() else {
                f.program = p.program_id.clone();
                return Ok(f);
            };
            let facts = AccessFacts::load(db).await?;
            if facts.links.iter().any(|l| l.recipient_id == own) {
                f.institution = Some(own);
            } else {
                f.home = Some(own);
            }
        }
    }
    Ok(f)
}

/// How many days experts checked in that the user has still to confirm (for the 待办 inbox):
/// days served without a confirmation, up to today, in the assignments the user's lists open on
/// and the user confirms. Zero for experts and clinicians.
pub async fn days_to_confirm(db: &Db, who: &Acting) -> ServiceResult<u64> {
    if matches!(who.principal.role, Role::Expert | Role::Clinician) {
        return Ok(0);
    }
    let f = own_scope(db, who).await?;
    let n = dispatch::unconfirmed_days(db, &f).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}
