//! Outreach events (义诊, 巡回诊疗, 健康讲座/科普, 筛查): list, read, record, change, delete, and
//! the clinic sessions held at them. Access as every capacity record: whoever reaches the local
//! institution reads, whoever may change its data writes.

use super::{check_read, may_write, parse_into, reads, writes};
use crate::{AccessFacts, Acting, ServiceResult};
use shanhai_domain::capacity::{NewOutreachEvent, OutreachEvent, OutreachEventInput};
use shanhai_domain::clinic_sessions::ClinicSession;
use shanhai_store::capacity::{self as store, CapacityFilter};
use shanhai_store::{Db, Page, PageRequest};

parse_into!(OutreachEventInput => NewOutreachEvent);

/// The events the filters select, within the acting principal's reach.
pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &CapacityFilter,
    page: PageRequest,
) -> ServiceResult<Page<OutreachEvent>> {
    let reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(store::list_outreach_events(db, filter, &reach, page).await?)
}

/// One event with its experts, for whoever reaches its institution.
pub async fn get(db: &Db, who: &Acting, id: &str) -> ServiceResult<OutreachEvent> {
    let event = store::get_outreach_event(db, id).await?;
    reads(&AccessFacts::load(db).await?, who, &event)?;
    Ok(event)
}

/// Records an event, for whoever may change its institution's data.
pub async fn create(
    db: &Db,
    who: &Acting,
    input: &OutreachEventInput,
) -> ServiceResult<OutreachEvent> {
    let new = input.parse()?;
    may_write(db, who, &new).await?;
    Ok(store::create_outreach_event(db, &who.actor, &new).await?)
}

/// Changes an event; the caller must be allowed to write it before and after.
pub async fn update(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &OutreachEventInput,
) -> ServiceResult<OutreachEvent> {
    let before = store::get_outreach_event(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    writes(&facts, who, &before)?;
    let new = input.parse()?;
    writes(&facts, who, &new)?;
    Ok(store::update_outreach_event(db, &who.actor, id, &new).await?)
}

/// Deletes an event (its sessions stay, unlinked).
pub async fn delete(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    let before = store::get_outreach_event(db, id).await?;
    may_write(db, who, &before).await?;
    Ok(store::delete_outreach_event(db, &who.actor, id).await?)
}

/// An event's page: the event, whether the viewer may change it, and its clinic sessions.
#[derive(Debug, Clone)]
pub struct EventShown {
    pub event: OutreachEvent,
    pub may_write: bool,
    pub sessions: Vec<ClinicSession>,
}

pub async fn shown(db: &Db, who: &Acting, id: &str) -> ServiceResult<EventShown> {
    let event = store::get_outreach_event(db, id).await?;
    let may_write = check_read(db, who, &event).await?;
    let sessions = store::sessions_of(db, id).await?;
    Ok(EventShown {
        event,
        may_write,
        sessions,
    })
}

/// The clinic sessions held at an event, for whoever reads it.
pub async fn sessions(db: &Db, who: &Acting, id: &str) -> ServiceResult<Vec<ClinicSession>> {
    get(db, who, id).await?;
    Ok(store::sessions_of(db, id).await?)
}

/// Links a clinic session to an event, or unlinks it (`event_id` none): the caller must be
/// allowed to write the event (and, unlinking, the event the session was linked to), and the
/// session must be held at the event's institution.
pub async fn link_session(
    db: &Db,
    who: &Acting,
    session_id: &str,
    event_id: Option<&str>,
) -> ServiceResult<()> {
    let session = shanhai_store::clinic_sessions::get(db, session_id)
        .await
        .map_err(|e| match e {
            shanhai_store::StoreError::NotFound => shanhai_store::StoreError::from(
                shanhai_domain::Invalid::new("session_id", "error.unknown_session"),
            ),
            other => other,
        })?;
    let facts = AccessFacts::load(db).await?;
    if let Some(old) = &session.outreach_event_id {
        let before = store::get_outreach_event(db, old).await?;
        writes(&facts, who, &before)?;
    }
    if let Some(e) = event_id {
        let event = store::get_outreach_event(db, e)
            .await
            .map_err(|err| match err {
                shanhai_store::StoreError::NotFound => {
                    shanhai_store::StoreError::from(shanhai_domain::Invalid::new(
                        "outreach_event_id",
                        "error.unknown_outreach_event",
                    ))
                }
                other => other,
            })?;
        writes(&facts, who, &event)?;
        if event.institution_id != session.institution_id {
            return Err(
                shanhai_store::StoreError::from(shanhai_domain::Invalid::new(
                    "session_id",
                    "error.outreach_session_elsewhere",
                ))
                .into(),
            );
        }
    } else if session.outreach_event_id.is_none() {
        return Ok(());
    }
    Ok(store::link_session(db, &who.actor, session_id, event_id).await?)
}
