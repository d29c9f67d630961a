//! Calendar feeds: an expert subscribes to their own schedule, a hospital's clinic managers to
//! its visiting-expert sessions; each lists and revokes their own feeds (the platform admin may
//! revoke any). The feed itself is read without an account, by the secret token in its URL.

use crate::{Acting, ServiceError, ServiceResult};
use shanhai_domain::Invalid;
use shanhai_domain::calendar::{
    self, Calendar, CalendarFeedInput, CalendarFeedKind, Event, SessionView,
};
use shanhai_domain::clinic_sessions::ClinicSession;
use shanhai_store::calendar_feeds::{self, CalendarFeed, NewFeed};
use shanhai_store::clinic_sessions::SessionFilter;
use shanhai_store::dispatch::{self, AssignmentFilter};
use shanhai_store::{Db, clinic_sessions};

/// Creates a feed for the caller: of their own schedule (`expert`), or of the visiting-expert
/// sessions of a hospital whose clinics they run (`institution`; default their own hospital).
/// The token in the answer is shown this once.
pub async fn create(db: &Db, who: &Acting, input: &CalendarFeedInput) -> ServiceResult<NewFeed> {
    let new = input.parse()?;
    let subject = match new.kind {
        CalendarFeedKind::Expert => {
            let person = who.person().unwrap_or_default();
            who.principal.may_subscribe_schedule(person, who.person())?;
            person.to_string()
        }
        CalendarFeedKind::Institution => {
            let institution = new
                .institution_id
                .or_else(|| who.principal.institution_id.clone())
                .ok_or_else(|| Invalid::new("institution_id", "error.required"))?;
            crate::clinic_sessions::may_run(db, who, &institution).await?;
            institution
        }
    };
    Ok(calendar_feeds::create(db, &who.actor, new.kind, &subject, &who.principal.user_id).await?)
}

/// The caller's own feeds, newest first, revoked ones included.
pub async fn list(db: &Db, who: &Acting) -> ServiceResult<Vec<CalendarFeed>> {
    Ok(calendar_feeds::list_for_owner(db, &who.principal.user_id).await?)
}

/// Revokes a feed: its URL answers 404 from now on. The owner's, or any for the platform admin.
pub async fn revoke(db: &Db, who: &Acting, id: &str) -> ServiceResult<CalendarFeed> {
    let feed = calendar_feeds::get(db, id).await?;
    who.principal
        .may_revoke_calendar_feed(&feed.owner_user_id)?;
    Ok(calendar_feeds::revoke(db, &who.actor, id).await?)
}

/// The iCalendar document behind a feed URL's token: from 90 days ago to 365 days ahead.
/// Unknown and revoked tokens are both "not found".
pub async fn document(db: &Db, token: &str) -> ServiceResult<String> {
    let feed = calendar_feeds::by_token(db, token)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (from, until) = calendar::window(shanhai_store::today());
    let (from, until) = (from.to_string(), until.to_string());
    let in_window = |f: SessionFilter| SessionFilter {
        from: Some(from.clone()),
        until: Some(until.clone()),
        ..f
    };
    let subject_name = feed.subject_name.clone().unwrap_or_default();
    let (name, events) = match feed.kind {
        CalendarFeedKind::Expert => {
            let assignments = dispatch::all_assignments(
                db,
                &AssignmentFilter {
                    person: Some(feed.subject_id.clone()),
                    from: Some(from.clone()),
                    until: Some(until.clone()),
                    ..Default::default()
                },
                1000,
            )
            .await?;
            let sessions = all_sessions(
                db,
                &in_window(SessionFilter {
                    expert: Some(feed.subject_id.clone()),
                    ..Default::default()
                }),
            )
            .await?;
            let consultations =
                calendar_feeds::scheduled_consultations(db, &feed.subject_id, &from, &until)
                    .await?;
            let mut events: Vec<Event> = assignments
                .iter()
                .filter_map(calendar::assignment_event)
                .collect();
            events.extend(
                sessions
                    .iter()
                    .filter_map(|s| calendar::session_event(s, SessionView::Expert)),
            );
            events.extend(
                consultations
                    .iter()
                    .filter_map(calendar::consultation_event),
            );
            (format!("{subject_name} 出诊日程 · 山海"), events)
        }
        CalendarFeedKind::Institution => {
            let sessions = all_sessions(
                db,
                &in_window(SessionFilter {
                    institution: Some(feed.subject_id.clone()),
                    ..Default::default()
                }),
            )
            .await?;
            let events = sessions
                .iter()
                .filter_map(|s| calendar::session_event(s, SessionView::Host))
                .collect();
            (format!("{subject_name} 外来专家出诊 · 山海"), events)
        }
    };
    Ok(Calendar { name, events }.to_ics(chrono::Utc::now()))
}

/// Every session a filter finds.
async fn all_sessions(db: &Db, filter: &SessionFilter) -> ServiceResult<Vec<ClinicSession>> {
    crate::all_pages(|page| clinic_sessions::list(db, filter, page)).await
}
