//! Clinic sessions (出诊) and their bookings, staff side: publish, change and cancel a session,
//! list its bookings, check a patient in or mark a no-show, reveal a patient's contact details
//! after a cancellation.

use crate::{AccessFacts, Acting, ServiceError, ServiceResult};
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::bookings::{Booking, BookingStatus};
use shanhai_domain::clinic_sessions::{
    ClinicSession, ClinicSessionInput, CopyWeekInput, CopyWeekOutcome, NewClinicSession,
    SessionChangeInput, SessionStatus,
};
use shanhai_domain::registry::Institution;
use shanhai_store::bookings::{self, Contact};
use shanhai_store::clinic_sessions::SessionFilter;
use shanhai_store::crypto::PatientCipher;
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::{Db, Page, PageRequest, StoreError, clinic_sessions, people};

/// Only physicians (医师) hold clinics as experts; an unknown person is the store's to report.
async fn check_expert(db: &Db, expert_id: &str) -> ServiceResult<()> {
    match people::get(db, expert_id).await {
        Ok(p) if !p.title.is_physician() => {
            Err(Invalid::new("expert_id", "error.expert_not_physician").into())
        }
        Ok(_) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Refuses unless the acting principal runs `institution_id`'s clinics.
pub async fn may_run(db: &Db, who: &Acting, institution_id: &str) -> ServiceResult<()> {
    let facts = AccessFacts::load(db).await?;
    Ok(who
        .principal
        .may_run_clinics(facts.access(&who.principal, institution_id))?)
}

/// The institutions whose clinics the acting principal runs, by name.
pub async fn hosts(db: &Db, who: &Acting) -> ServiceResult<Vec<Institution>> {
    let facts = AccessFacts::load(db).await?;
    let mut out: Vec<Institution> = match facts.reach(&who.principal) {
        Reach::All => all_institutions(db).await?,
        Reach::Some(set) => {
            let mut v = Vec::new();
            for id in set {
                match institutions::get(db, &id).await {
                    Ok(i) => v.push(i),
                    Err(shanhai_store::StoreError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            v
        }
    };
    out.retain(|i| {
        who.principal
            .may_run_clinics(facts.access(&who.principal, &i.id))
            .is_ok()
    });
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Publishes a session for today or later at an institution whose clinics the caller runs.
pub async fn publish(
    db: &Db,
    who: &Acting,
    input: &ClinicSessionInput,
) -> ServiceResult<ClinicSession> {
    let new = input.parse()?;
    may_run(db, who, &new.institution_id).await?;
    new.check_publishable(shanhai_store::today())?;
    check_expert(db, &new.expert_id).await?;
    Ok(clinic_sessions::create(db, &who.actor, &new).await?)
}

/// Changes a session; the caller must run the host before and after.
pub async fn update(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &ClinicSessionInput,
) -> ServiceResult<ClinicSession> {
    let before = clinic_sessions::get(db, id).await?;
    may_run(db, who, &before.institution_id).await?;
    let new = input.parse()?;
    may_run(db, who, &new.institution_id).await?;
    if before.status == SessionStatus::Cancelled {
        return Err(ServiceError::Conflict("error.session_already_cancelled"));
    }
    new.check_publishable(shanhai_store::today())?;
    if new.expert_id != before.expert_id {
        check_expert(db, &new.expert_id).await?;
    }
    Ok(clinic_sessions::update(db, &who.actor, id, &new).await?)
}

/// Changes a published session's time, department, capacity or note (the rest as it was);
/// its bookings stay. Not a cancelled or ended one; the capacity not below the places booked.
pub async fn change(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &SessionChangeInput,
) -> ServiceResult<ClinicSession> {
    let before = hosted(db, who, id).await?;
    if before.status == SessionStatus::Ended {
        return Err(ServiceError::Conflict("error.session_ended_no_change"));
    }
    update(db, who, id, &input.apply(&before)).await
}

/// Copies a week's sessions at a host to another week, each on the same weekday: cancelled
/// sessions are left out; a session whose day is past, or whose expert already holds one at
/// that day and start, is skipped. All created in one transaction.
pub async fn copy_week(
    db: &Db,
    who: &Acting,
    input: &CopyWeekInput,
) -> ServiceResult<CopyWeekOutcome> {
    let today = shanhai_store::today();
    let week = input.parse(today)?;
    may_run(db, who, &week.institution_id).await?;
    let in_week = |monday: chrono::NaiveDate| SessionFilter {
        institution: Some(week.institution_id.clone()),
        from: Some(monday.to_string()),
        until: Some((monday + chrono::Duration::days(6)).to_string()),
        ..Default::default()
    };
    let all = PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE));
    let source = clinic_sessions::list(db, &in_week(week.from_monday), all).await?;
    let target = clinic_sessions::list(db, &in_week(week.to_monday), all).await?;
    let taken: std::collections::HashSet<(String, String, String)> = target
        .items
        .iter()
        .filter(|s| s.status != SessionStatus::Cancelled)
        .map(|s| (s.expert_id.clone(), s.date.clone(), s.start.clone()))
        .collect();
    let shift = (week.to_monday - week.from_monday).num_days();
    let mut copies = Vec::new();
    let mut skipped = 0;
    for s in source
        .items
        .iter()
        .filter(|s| s.status != SessionStatus::Cancelled)
    {
        match NewClinicSession::copied(s, shift) {
            Some(new)
                if new.date >= today
                    && !taken.contains(&(
                        new.expert_id.clone(),
                        new.date.to_string(),
                        s.start.clone(),
                    )) =>
            {
                copies.push(new)
            }
            _ => skipped += 1,
        }
    }
    let created = clinic_sessions::create_many(db, &who.actor, &copies).await?;
    Ok(CopyWeekOutcome { created, skipped })
}

/// A session, for whoever runs its host's clinics (to cancel it, to see its bookings).
pub async fn hosted(db: &Db, who: &Acting, id: &str) -> ServiceResult<ClinicSession> {
    let session = clinic_sessions::get(db, id).await?;
    may_run(db, who, &session.institution_id).await?;
    Ok(session)
}

/// Cancels a session (停诊). Its bookings stay listed so every patient can be contacted.
pub async fn cancel(db: &Db, who: &Acting, id: &str) -> ServiceResult<ClinicSession> {
    hosted(db, who, id).await?;
    Ok(clinic_sessions::cancel(db, &who.actor, id).await?)
}

/// A session's bookings, identifiers masked (the read is audited).
pub async fn bookings(
    db: &Db,
    who: &Acting,
    session_id: &str,
    status: Option<&str>,
    page: PageRequest,
) -> ServiceResult<Page<Booking>> {
    hosted(db, who, session_id).await?;
    Ok(bookings::list_for_session(db, &who.actor, session_id, status, page).await?)
}

/// A booking and its session; with `in_session`, the booking must belong to that session.
async fn booking_at(
    db: &Db,
    booking_id: &str,
    in_session: Option<&str>,
) -> ServiceResult<(Booking, ClinicSession)> {
    let booking = bookings::get(db, booking_id).await?;
    if in_session.is_some_and(|s| s != booking.session_id) {
        return Err(ServiceError::NotFound);
    }
    let session = clinic_sessions::get(db, &booking.session_id).await?;
    Ok((booking, session))
}

/// Checks a patient in (`CheckedIn`) or marks a no-show (`NoShow`), on or after the session's day.
pub async fn mark(
    db: &Db,
    who: &Acting,
    booking_id: &str,
    in_session: Option<&str>,
    status: BookingStatus,
) -> ServiceResult<Booking> {
    let (booking, session) = booking_at(db, booking_id, in_session).await?;
    may_run(db, who, &session.institution_id).await?;
    Ok(bookings::mark(db, &who.actor, &booking.id, status).await?)
}

/// Checks in several bookings of a session at once: all of them or none (each audited).
pub async fn check_in_many(
    db: &Db,
    who: &Acting,
    session_id: &str,
    booking_ids: &[String],
) -> ServiceResult<Vec<Booking>> {
    hosted(db, who, session_id).await?;
    if booking_ids.is_empty() || booking_ids.len() > 500 {
        return Err(Invalid::new("booking_ids", "error.choose_bookings").into());
    }
    Ok(bookings::mark_many(
        db,
        &who.actor,
        session_id,
        booking_ids,
        BookingStatus::CheckedIn,
    )
    .await?)
}

/// The patient's name and phone number, to call them about a cancelled session: for the host
/// institution's coordinators, once the session is cancelled. Each reveal is an audited read.
pub async fn reveal_contact(
    db: &Db,
    cipher: &PatientCipher,
    who: &Acting,
    booking_id: &str,
    in_session: Option<&str>,
) -> ServiceResult<Contact> {
    let (booking, session) = booking_at(db, booking_id, in_session).await?;
    who.principal.may_reveal_booking_contact(
        &session.institution_id,
        session.status == SessionStatus::Cancelled,
    )?;
    Ok(bookings::contact(db, cipher, &who.actor, &booking.id).await?)
}

/// Every institution (the platform admin's hosts).
async fn all_institutions(db: &Db) -> ServiceResult<Vec<Institution>> {
    let filter = InstitutionFilter::default();
    crate::all_pages(|page| institutions::list(db, &filter, page)).await
}
