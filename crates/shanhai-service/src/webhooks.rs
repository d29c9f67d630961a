//! Webhooks: an institution's managers register where its consultation and referral events are
//! sent, and read the recent deliveries.

use crate::{AccessFacts, Acting, ServiceError, ServiceResult};
use shanhai_domain::webhooks::WebhookAllow;
use shanhai_domain::{Invalid, validate};
use shanhai_store::Db;
use shanhai_store::webhooks::{self, DeliveryRecord, Webhook};
use std::collections::BTreeSet;

/// Refuses unless the caller manages the institution's data (and so its webhooks).
pub async fn may_manage(db: &Db, who: &Acting, institution_id: &str) -> ServiceResult<()> {
    let facts = AccessFacts::load(db).await?;
    Ok(who
        .principal
        .may_run_clinics(facts.access(&who.principal, institution_id))?)
}

/// The webhooks of one institution, or without one of every institution the caller manages
/// (every webhook, for the platform admin); 403 for a caller who manages none.
pub async fn list(db: &Db, who: &Acting, institution: Option<&str>) -> ServiceResult<Vec<Webhook>> {
    if let Some(i) = institution {
        may_manage(db, who, i).await?;
        return Ok(webhooks::list(db, Some(i)).await?);
    }
    if who.principal.is_admin() {
        return Ok(webhooks::list(db, None).await?);
    }
    let managed = crate::clinics::hosts(db, who).await?;
    if managed.is_empty() {
        return Err(ServiceError::forbidden());
    }
    let ids: BTreeSet<&str> = managed.iter().map(|i| i.id.as_str()).collect();
    Ok(webhooks::list(db, None)
        .await?
        .into_iter()
        .filter(|h| ids.contains(h.institution_id.as_str()))
        .collect())
}

/// Registers a webhook for an institution the caller manages: the URL checked by
/// [`shanhai_domain::webhooks::checked_url`] (http or https, no internal destination unless the
/// operator's allow-list admits it) and normalized as it will be dialled, a secret of 16–200
/// characters.
pub async fn register(
    db: &Db,
    who: &Acting,
    allow: &WebhookAllow,
    institution_id: &str,
    url: &str,
    secret: &str,
) -> ServiceResult<Webhook> {
    let institution = validate::reference("institution_id", institution_id)?;
    may_manage(db, who, &institution).await?;
    let url = shanhai_domain::webhooks::checked_url(url, allow)?;
    let secret = secret.trim();
    if !(16..=200).contains(&secret.chars().count()) {
        return Err(Invalid::new("secret", "error.webhook_secret").into());
    }
    Ok(webhooks::create(db, &who.actor, &institution, url.as_str(), secret).await?)
}

/// A webhook's most recent deliveries (newest first), for its institution's managers.
pub async fn deliveries(
    db: &Db,
    who: &Acting,
    id: &str,
    limit: i64,
) -> ServiceResult<Vec<DeliveryRecord>> {
    let hook = webhooks::get(db, id).await?;
    may_manage(db, who, &hook.institution_id).await?;
    let ids = BTreeSet::from([hook.id]);
    Ok(webhooks::recent_deliveries(db, &ids, limit).await?)
}
