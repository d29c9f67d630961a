//! Webhooks: a per-institution URL that receives a signed JSON event when a consultation or
//! referral touching the institution changes. Events are written to an outbox in the same
//! transaction as the change and delivered by a background worker with retries and backoff,
//! so none is lost when the receiver is down; several servers claim rows before sending.

use crate::audit::Actor;
use crate::query::{self, int, opt_text, text};
use crate::record::{self, Table};
use crate::row::row;
use crate::{Db, Result, institutions};
use serde::Serialize;
use shanhai_domain::webhooks::DeliveryError;
use sqlx::AnyConnection;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub url: String,
    pub active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
}

row! {
    read Webhook(row) {
        id: text,
        institution_id: text,
        url: text,
        active: bool,
        created_at: text,
        updated_at: text,
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
    let mut set = BTreeSet::new();
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
    pub webhook_id: String,
    pub institution_id: String,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
}

fn at(offset: chrono::Duration) -> String {
    (chrono::Utc::now() + offset).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// How long a claimed delivery is left to its worker before another may take it over; well
/// beyond the worker's request timeout.
pub const CLAIM_SECONDS: i64 = 30;

/// Due deliveries that may start now, oldest first: for each webhook only its oldest due event,
/// and none for a webhook with a delivery in flight (claimed) on any server, so a slow receiver
/// holds up only its own queue. Institutions in `busy` (at their quota) are left out so that
/// their backlog does not crowd the others out of `limit`. Nothing is claimed.
pub async fn due(db: &Db, limit: i64, busy: &BTreeSet<String>) -> Result<Vec<Delivery>> {
    let now = crate::now();
    let mut filter = query::Filter::default();
    let p_now = filter.next(now.into());
    filter.raw_each(
        &format!(
            "o.delivered_at IS NULL AND o.next_attempt_at <= {p_now} \
             AND (o.claimed_until IS NULL OR o.claimed_until < {p_now}) \
             AND o.id = (SELECT f.id FROM webhook_outbox f WHERE f.webhook_id = o.webhook_id \
                 AND f.delivered_at IS NULL AND f.next_attempt_at <= {p_now} \
                 ORDER BY f.next_attempt_at, f.id LIMIT 1) \
             AND NOT EXISTS (SELECT 1 FROM webhook_outbox c WHERE c.webhook_id = o.webhook_id \
                 AND c.delivered_at IS NULL AND c.claimed_until >= {p_now})"
        ),
        Vec::new(),
    );
    if !busy.is_empty() {
        let ps: Vec<String> = busy.iter().map(|i| filter.next(i.into())).collect();
        filter.raw_each(
            &format!("w.institution_id NOT IN ({})", ps.join(", ")),
            Vec::new(),
        );
    }
    let rows = query::sql_with(
        format!(
            "SELECT o.id, o.webhook_id, w.institution_id, o.event, o.payload, o.attempts, w.url, \
             w.secret FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id{} \
             ORDER BY o.next_attempt_at, o.id LIMIT {}",
            filter.sql(),
            limit.clamp(1, 1000)
        ),
        filter.args.clone(),
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Delivery {
                id: text(row, "id")?,
                webhook_id: text(row, "webhook_id")?,
                institution_id: text(row, "institution_id")?,
                url: text(row, "url")?,
                secret: text(row, "secret")?,
                event: text(row, "event")?,
                payload: text(row, "payload")?,
                attempts: int(row, "attempts")?,
            })
        })
        .collect()
}

/// Claims these deliveries for [`CLAIM_SECONDS`] and answers those this worker got: a row
/// another server claimed meanwhile, or whose webhook has another delivery in flight, is skipped.
pub async fn claim(db: &Db, picked: Vec<Delivery>) -> Result<Vec<Delivery>> {
    if picked.is_empty() {
        return Ok(picked);
    }
    let now = crate::now();
    let until = at(chrono::Duration::seconds(CLAIM_SECONDS));
    let mut tx = db.begin_write().await?;
    let mut out = Vec::with_capacity(picked.len());
    for d in picked {
        let claimed = query::sql_with(
            "UPDATE webhook_outbox SET claimed_until = $1 WHERE id = $2 AND delivered_at IS NULL \
             AND (claimed_until IS NULL OR claimed_until < $3) \
             AND NOT EXISTS (SELECT 1 FROM webhook_outbox c WHERE c.webhook_id = $4 \
                 AND c.delivered_at IS NULL AND c.claimed_until >= $3)"
                .into(),
            vec![
                until.clone().into(),
                d.id.clone().into(),
                now.clone().into(),
                d.webhook_id.clone().into(),
            ],
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 1 {
            out.push(d);
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// Records the outcome of an attempt: delivered, or due again after an exponential backoff
/// (1 s, 2 s, 4 s … at most an hour) with the reason as a code (see [`DeliveryError`]).
pub async fn finish(db: &Db, delivery: &Delivery, error: Option<DeliveryError>) -> Result<()> {
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
                    e.code().into(),
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
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub webhook_id: String,
    pub event: String,
    pub attempts: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the receiver accepted it; `None` while it is still being retried.
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
    #[schema(format = DateTime)]
    pub next_attempt_at: String,
    /// Why the last attempt failed: `failed` (no acceptable answer: the destination is not
    /// allowed, did not resolve, refused or timed out; deliberately not told apart),
    /// `http_3xx` (a redirect, never followed), `http_4xx` or `http_5xx`.
    pub last_error: Option<String>,
}

/// The most recent deliveries to these webhooks, newest first.
pub async fn recent_deliveries(
    db: &Db,
    webhook_ids: &BTreeSet<String>,
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
                last_error: opt_text(r, "last_error")?
                    .map(|e| DeliveryError::from_stored(&e).code().to_string()),
            })
        })
        .collect()
}
