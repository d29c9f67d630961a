//! Webhooks: a per-institution URL that receives a signed JSON event when a consultation or
//! referral touching the institution changes. Events are written to an outbox in the same
//! transaction as the change and delivered by a background worker with retries and backoff,
//! so none is lost when the receiver is down; several servers claim rows before sending.

use crate::audit::Actor;
use crate::query::{self, int, opt_text, text};
use crate::record::{self, Table};
use crate::{Db, Result, institutions};
use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: String,
    pub institution_id: String,
    pub url: String,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

pub struct Webhooks;

impl Table for Webhooks {
    type Record = Webhook;
    const TABLE: &'static str = "webhooks";
    const ENTITY: &'static str = "webhook";
    const SELECT: &'static str = "*";
    const FROM: &'static str = "webhooks";
    const ID: &'static str = "id";
    const CONFLICT: &'static str = "error.webhook_exists";

    fn decode(row: &AnyRow) -> Result<Webhook> {
        Ok(Webhook {
            id: text(row, "id")?,
            institution_id: text(row, "institution_id")?,
            url: text(row, "url")?,
            active: int(row, "active")? != 0,
            created_at: text(row, "created_at")?,
            updated_at: text(row, "updated_at")?,
        })
    }
}

pub async fn create(
    db: &Db,
    actor: &Actor,
    institution_id: &str,
    url: &str,
    secret: &str,
) -> Result<Webhook> {
    let mut tx = db.begin_write().await?;
    institutions::require(&mut tx, "institution_id", institution_id).await?;
    let created = record::insert::<Webhooks>(
        &mut tx,
        actor,
        &["institution_id", "url", "secret", "active"],
        vec![
            institution_id.into(),
            url.into(),
            secret.into(),
            1i64.into(),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn get(db: &Db, id: &str) -> Result<Webhook> {
    record::get::<Webhooks>(db, id).await
}

pub async fn list(db: &Db, institution_id: Option<&str>) -> Result<Vec<Webhook>> {
    let mut filter = query::Filter::default();
    filter.eq("institution_id", institution_id);
    let rows = query::sql_with(
        format!("SELECT * FROM webhooks{} ORDER BY created_at", filter.sql()),
        filter.args.clone(),
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(Webhooks::decode).collect()
}

/// Queues `event` for every active webhook of these institutions, inside the caller's
/// transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    institutions: &[&str],
    event: &str,
    payload: &serde_json::Value,
) -> Result<()> {
    let mut set = std::collections::BTreeSet::new();
    for i in institutions {
        set.insert(i.to_string());
    }
    let mut filter = query::Filter::default();
    filter
        .within("institution_id", &set)
        .raw("active = {}", 1i64.into());
    let hooks = query::sql_with(
        format!("SELECT id FROM webhooks{}", filter.sql()),
        filter.args.clone(),
    )
    .fetch_all(&mut *conn)
    .await?;
    let body = payload.to_string();
    for hook in hooks {
        let now = crate::now();
        query::sql_with(
            query::insert_sql(
                "webhook_outbox",
                &[
                    "id",
                    "webhook_id",
                    "event",
                    "payload",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                ],
            ),
            vec![
                shanhai_domain::ids::new_id().into(),
                text(&hook, "id")?.into(),
                event.into(),
                body.clone().into(),
                0i64.into(),
                now.clone().into(),
                now.into(),
            ],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A delivery to make: claimed by this worker until `claimed_until`.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
}

fn at(offset: chrono::Duration) -> String {
    (chrono::Utc::now() + offset).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Claims up to `limit` due deliveries for 30 seconds.
pub async fn claim_due(db: &Db, limit: i64) -> Result<Vec<Delivery>> {
    let now = crate::now();
    // A plain read first: the claim takes the write lock, which an idle outbox should not.
    let due = query::sql_with(
        "SELECT COUNT(*) AS n FROM webhook_outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1".into(),
        vec![now.clone().into()],
    )
    .fetch_one(db.pool())
    .await?;
    if int(&due, "n")? == 0 {
        return Ok(Vec::new());
    }
    let mut tx = db.begin_write().await?;
    let rows = query::sql_with(
        "SELECT o.id, o.event, o.payload, o.attempts, w.url, w.secret FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id \
         WHERE o.delivered_at IS NULL AND o.next_attempt_at <= $1 AND (o.claimed_until IS NULL OR o.claimed_until < $1) \
         ORDER BY o.next_attempt_at LIMIT $2"
            .into(),
        vec![now.clone().into(), limit.into()],
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = text(row, "id")?;
        let claimed = query::sql_with(
            "UPDATE webhook_outbox SET claimed_until = $1 WHERE id = $2 AND (claimed_until IS NULL OR claimed_until < $3)".into(),
            vec![at(chrono::Duration::seconds(30)).into(), id.clone().into(), now.clone().into()],
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 1 {
            out.push(Delivery {
                id,
                url: text(row, "url")?,
                secret: text(row, "secret")?,
                event: text(row, "event")?,
                payload: text(row, "payload")?,
                attempts: int(row, "attempts")?,
            });
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// Records the outcome of an attempt: delivered, or due again after an exponential backoff
/// (1 s, 2 s, 4 s … at most an hour).
pub async fn finish(db: &Db, delivery: &Delivery, error: Option<String>) -> Result<()> {
    let attempts = delivery.attempts + 1;
    let mut tx = db.begin_write().await?;
    match error {
        None => {
            query::sql_with(
                "UPDATE webhook_outbox SET delivered_at = $1, attempts = $2, claimed_until = NULL, last_error = NULL WHERE id = $3".into(),
                vec![crate::now().into(), attempts.into(), delivery.id.clone().into()],
            )
            .execute(&mut *tx)
            .await?;
        }
        Some(e) => {
            let backoff = 1i64 << (attempts - 1).clamp(0, 12);
            query::sql_with(
                "UPDATE webhook_outbox SET attempts = $1, next_attempt_at = $2, claimed_until = NULL, last_error = $3 WHERE id = $4".into(),
                vec![
                    attempts.into(),
                    at(chrono::Duration::seconds(backoff.min(3600))).into(),
                    e.chars().take(500).collect::<String>().into(),
                    delivery.id.clone().into(),
                ],
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Outbox rows, for tests and the admin: (event, attempts, delivered_at, last_error).
pub async fn outbox(db: &Db) -> Result<Vec<(String, i64, Option<String>, Option<String>)>> {
    let rows = sqlx::query(
        "SELECT event, attempts, delivered_at, last_error FROM webhook_outbox ORDER BY created_at",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                text(r, "event")?,
                int(r, "attempts")?,
                opt_text(r, "delivered_at")?,
                opt_text(r, "last_error")?,
            ))
        })
        .collect()
}

/// One event queued for a webhook, as its owner sees it (no payload, no secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryRecord {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub attempts: i64,
    pub created_at: String,
    /// When the receiver accepted it; `None` while it is still being retried.
    pub delivered_at: Option<String>,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
}

/// The most recent deliveries to these webhooks, newest first.
pub async fn recent_deliveries(
    db: &Db,
    webhook_ids: &std::collections::BTreeSet<String>,
    limit: i64,
) -> Result<Vec<DeliveryRecord>> {
    let mut filter = query::Filter::default();
    filter.within("webhook_id", webhook_ids);
    let rows = query::sql_with(
        format!(
            "SELECT id, webhook_id, event, attempts, created_at, delivered_at, next_attempt_at, \
             last_error FROM webhook_outbox{} ORDER BY created_at DESC, id LIMIT {}",
            filter.sql(),
            limit.clamp(1, 500)
        ),
        filter.args.clone(),
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryRecord {
                id: text(r, "id")?,
                webhook_id: text(r, "webhook_id")?,
                event: text(r, "event")?,
                attempts: int(r, "attempts")?,
                created_at: text(r, "created_at")?,
                delivered_at: opt_text(r, "delivered_at")?,
                next_attempt_at: text(r, "next_attempt_at")?,
                last_error: opt_text(r, "last_error")?,
            })
        })
        .collect()
}
