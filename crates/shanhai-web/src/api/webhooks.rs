//! Webhooks for other systems: registration and the delivery worker.

use super::{ApiQuery, IdPath, JsonBody, allow};
use crate::AppState;
use crate::auth::{AccessFacts, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use shanhai_domain::Invalid;
use shanhai_domain::access::Principal;
use shanhai_domain::webhooks::WebhookAllow;
use shanhai_store::webhooks::{self, DeliveryRecord, Webhook};
use utoipa::{IntoParams, OpenApi, ToSchema};

mod delivery;
pub use delivery::{DeliveryLimits, worker};

#[derive(OpenApi)]
#[openapi(
    paths(list_webhooks, create_webhook, list_deliveries),
    components(schemas(Webhook, WebhookInput, DeliveryRecord))
)]
pub struct WebhooksApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", get(list_webhooks).post(create_webhook))
        .route("/api/v1/webhooks/{id}/deliveries", get(list_deliveries))
}

#[derive(Deserialize, ToSchema)]
pub struct WebhookInput {
    pub institution_id: String,
    /// `http://` or `https://` URL that receives `POST`ed JSON events. Its host must not be
    /// `localhost` or a loopback, private, link-local, unique-local, carrier-grade NAT,
    /// unspecified, multicast or reserved address (in any spelling, e.g. `2130706433`), unless
    /// the operator allows it (`SHANHAI_WEBHOOK_ALLOW`); the addresses it resolves to are
    /// checked again before each delivery, and redirects are not followed.
    pub url: String,
    /// Shared secret (16–200 characters): each delivery carries
    /// `X-Shanhai-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    pub secret: String,
}

async fn may_manage(state: &AppState, caller: &Caller, institution_id: &str) -> ApiResult<()> {
    let facts = AccessFacts::load(&state.db).await?;
    allow(manages(&facts, &caller.principal, institution_id))
}

/// Whoever manages an institution's data manages its webhooks. The pages use it too.
pub fn manages(facts: &AccessFacts, principal: &Principal, institution_id: &str) -> bool {
    principal.can_run_clinics(facts.access(principal, institution_id))
}

/// The receiving URL and the shared secret, checked, for the API and the page alike: the URL by
/// [`shanhai_domain::webhooks::checked_url`] (http or https, no internal destination unless the
/// operator's allow-list admits it), normalized as it will be dialled; a secret of 16–200
/// characters.
pub fn checked_target(
    url: &str,
    secret: &str,
    allow: &WebhookAllow,
) -> ApiResult<(String, String)> {
    let url = shanhai_domain::webhooks::checked_url(url, allow)?;
    let secret = secret.trim();
    if !(16..=200).contains(&secret.chars().count()) {
        return Err(Invalid::new("secret", "error.webhook_secret").into());
    }
    Ok((url.to_string(), secret.to_string()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookQuery {
    institution: Option<String>,
}

/// An institution's webhooks (whoever manages the institution's data).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), params(WebhookQuery),
    responses((status = 200, body = Vec<Webhook>), (status = 403, body = ErrorBody)))]
async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<WebhookQuery>,
) -> ApiResult<Json<Vec<Webhook>>> {
    let institution = match q.institution {
        Some(i) => i,
        None if caller.principal.is_admin() => {
            return Ok(Json(webhooks::list(&state.db, None).await?));
        }
        None => caller
            .principal
            .institution_id
            .clone()
            .ok_or_else(ApiError::forbidden)?,
    };
    may_manage(&state, &caller, &institution).await?;
    Ok(Json(webhooks::list(&state.db, Some(&institution)).await?))
}

/// Registers a webhook: consultation and referral events touching the institution are sent to
/// it, signed, with retries until it answers 2xx.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = WebhookInput,
    responses((status = 201, body = Webhook), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Webhook>)> {
    let input: WebhookInput = body.parse()?;
    let institution = shanhai_domain::validate::reference("institution_id", &input.institution_id)?;
    may_manage(&state, &caller, &institution).await?;
    let (url, secret) = checked_target(&input.url, &input.secret, &state.config.webhook_allow)?;
    Ok((
        StatusCode::CREATED,
        Json(webhooks::create(&state.db, &caller.actor(), &institution, &url, &secret).await?),
    ))
}

/// The webhook's most recent deliveries (at most 50, newest first): event, attempts, when it
/// was delivered or why the last attempt failed. No payloads.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<DeliveryRecord>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<DeliveryRecord>>> {
    let hook = webhooks::get(&state.db, &id).await?;
    may_manage(&state, &caller, &hook.institution_id).await?;
    let ids = std::collections::BTreeSet::from([hook.id]);
    Ok(Json(
        webhooks::recent_deliveries(&state.db, &ids, 50).await?,
    ))
}

/// `sha256=` and the hex HMAC-SHA256 of the body under the webhook's secret.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("any key length works"));
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
