//! Calendar feeds: secret, revocable URLs a phone's calendar subscribes to. The URL carries a
//! random token; only its SHA-256 is stored (as for API tokens), so the token is shown once, when
//! the feed is created. Creating and revoking are audited; the record in the audit log has no
//! token and no hash.

use crate::audit::Actor;
use crate::query::{self, opt_text, text};
use crate::record::{self, Table};
use crate::row::row;
use crate::users::{random_token, sha256_hex};
use crate::{Db, Result};
use serde::Serialize;
use shanhai_domain::calendar::{CalendarFeedKind, ScheduledConsultation};
use shanhai_domain::consultations::{ConsultationState, ConsultationType};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarFeed {
    #[schema(format = Uuid)]
    pub id: String,
    pub kind: CalendarFeedKind,
    /// The expert (a person) or the hospital (an institution) whose schedule the feed carries.
    #[schema(format = Uuid)]
    pub subject_id: String,
    /// The expert's or the hospital's name.
    pub subject_name: Option<String>,
    #[schema(format = Uuid)]
    pub owner_user_id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the feed was revoked; its URL answers 404 from then on.
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

pub struct CalendarFeeds;

impl Table for CalendarFeeds {
    type Record = CalendarFeed;
    const TABLE: &'static str = "calendar_feeds";
    const ENTITY: &'static str = "calendar_feed";
    const SELECT: &'static str = "f.id, f.kind, f.subject_id, f.owner_user_id, f.created_at, \
        f.revoked_at, COALESCE(p.name, i.name) AS subject_name";
    const FROM: &'static str = "calendar_feeds f \
        LEFT JOIN people p ON f.kind = 'expert' AND p.id = f.subject_id \
        LEFT JOIN institutions i ON f.kind = 'institution' AND i.id = f.subject_id";
    const ID: &'static str = "f.id";
    const CONFLICT: &'static str = "error.conflict";
}

row! {
    read CalendarFeed(row) {
        id: text,
        kind: code(CalendarFeedKind::parse),
        subject_id: text,
        subject_name: opt_text,
        owner_user_id: text,
        created_at: text,
        revoked_at: opt_text,
    }
}

/// A feed just created and the token of its URL, which is not kept and cannot be shown again.
#[derive(Debug, Clone)]
pub struct NewFeed {
    pub feed: CalendarFeed,
    pub token: String,
}

/// Creates a feed of `subject_id`'s schedule for `owner_user_id` (audited).
pub async fn create(
    db: &Db,
    actor: &Actor,
    kind: CalendarFeedKind,
    subject_id: &str,
    owner_user_id: &str,
) -> Result<NewFeed> {
    let token = random_token("shc_");
    let mut tx = db.begin_write().await?;
    let feed = record::insert::<CalendarFeeds>(
        &mut tx,
        actor,
        &["kind", "subject_id", "owner_user_id", "token_hash"],
        vec![
            kind.code().into(),
            subject_id.into(),
            owner_user_id.into(),
            sha256_hex(&token).into(),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(NewFeed { feed, token })
}

pub async fn get(db: &Db, id: &str) -> Result<CalendarFeed> {
    record::get::<CalendarFeeds>(db, id).await
}

/// A user's feeds, newest first, revoked ones included.
pub async fn list_for_owner(db: &Db, owner_user_id: &str) -> Result<Vec<CalendarFeed>> {
    let rows = query::sql_with(
        format!(
            "SELECT {} FROM {} WHERE f.owner_user_id = $1 ORDER BY f.created_at DESC, f.id",
            CalendarFeeds::SELECT,
            CalendarFeeds::FROM
        ),
        vec![owner_user_id.into()],
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(CalendarFeeds::decode).collect()
}

/// Revokes a feed (audited); a feed already revoked stays as it was.
pub async fn revoke(db: &Db, actor: &Actor, id: &str) -> Result<CalendarFeed> {
    let mut tx = db.begin_write().await?;
    let before = record::get_on::<CalendarFeeds>(&mut tx, id).await?;
    if before.revoked_at.is_some() {
        return Ok(before);
    }
    let after = record::update::<CalendarFeeds>(
        &mut tx,
        actor,
        id,
        &["revoked_at"],
        vec![crate::now().into()],
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The live feed whose URL carries `token`: not revoked, its owner's account still active.
pub async fn by_token(db: &Db, token: &str) -> Result<Option<CalendarFeed>> {
    let row = query::sql_with(
        format!(
            "SELECT {} FROM {} WHERE f.token_hash = $1 AND f.revoked_at IS NULL \
             AND EXISTS (SELECT 1 FROM users u WHERE u.id = f.owner_user_id AND u.active = 1)",
            CalendarFeeds::SELECT,
            CalendarFeeds::FROM
        ),
        vec![sha256_hex(token).into()],
    )
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| CalendarFeeds::decode(&r)).transpose()
}

/// The consultations an expert takes part in whose time is set within `[from, until]`
/// (`YYYY-MM-DD`), declined ones left out: type, state, time and the two hospitals only — no
/// patient column is read.
pub async fn scheduled_consultations(
    db: &Db,
    person_id: &str,
    from: &str,
    until: &str,
) -> Result<Vec<ScheduledConsultation>> {
    let rows = query::sql_with(
        "SELECT c.id, c.type, c.state, c.scheduled_at, \
         ri.name AS requesting_institution_name, ti.name AS target_institution_name \
         FROM consultations c \
         JOIN consultation_experts e ON e.consultation_id = c.id \
         LEFT JOIN institutions ri ON ri.id = c.requesting_institution_id \
         LEFT JOIN institutions ti ON ti.id = c.target_institution_id \
         WHERE e.person_id = $1 AND c.scheduled_at IS NOT NULL AND c.state <> $2 \
         AND c.scheduled_at >= $3 AND c.scheduled_at < $4 \
         ORDER BY c.scheduled_at, c.id"
            .into(),
        vec![
            person_id.into(),
            ConsultationState::Declined.code().into(),
            from.into(),
            // `until` is inclusive: every time on that day sorts before `until` + "U".
            format!("{until}U").into(),
        ],
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ScheduledConsultation {
                id: text(r, "id")?,
                kind: query::code(r, "type", ConsultationType::parse)?,
                state: query::code(r, "state", ConsultationState::parse)?,
                scheduled_at: text(r, "scheduled_at")?,
                requesting_institution_name: opt_text(r, "requesting_institution_name")?,
                target_institution_name: opt_text(r, "target_institution_name")?,
            })
        })
        .collect()
}
