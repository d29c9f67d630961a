//! Webhooks for other systems: registration and the delivery worker.

use super::{ApiQuery, JsonBody};
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
use shanhai_store::Db;
use shanhai_store::webhooks::{self, Delivery, Webhook};
use std::time::Duration;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(list_webhooks, create_webhook),
    components(schemas(Webhook, WebhookInput))
)]
pub struct WebhooksApi;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/webhooks", get(list_webhooks).post(create_webhook))
}

#[derive(Deserialize, ToSchema)]
pub struct WebhookInput {
    pub institution_id: String,
    /// `http://` or `https://` URL that receives `POST`ed JSON events.
    pub url: String,
    /// Shared secret (16–200 characters): each delivery carries
    /// `X-Shanhai-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    pub secret: String,
}

async fn may_manage(state: &AppState, caller: &Caller, institution_id: &str) -> ApiResult<()> {
    let facts = AccessFacts::load(state).await?;
    if caller
        .principal
        .can_run_clinics(facts.access(&caller.principal, institution_id))
    {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
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
    let url = input.url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.len() > 500
        || url.chars().any(char::is_whitespace)
    {
        return Err(Invalid::new("url", "error.webhook_url").into());
    }
    let secret = input.secret.trim();
    if !(16..=200).contains(&secret.chars().count()) {
        return Err(Invalid::new("secret", "error.webhook_secret").into());
    }
    Ok((
        StatusCode::CREATED,
        Json(webhooks::create(&state.db, &caller.actor(), &institution, url, secret).await?),
    ))
}

/// `sha256=` and the hex HMAC-SHA256 of the body under the webhook's secret.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("any key length works"));
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn deliver(client: &reqwest::Client, d: &Delivery) -> Option<String> {
    let sent = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("x-shanhai-event", &d.event)
        .header("x-shanhai-delivery", &d.id)
        .header("x-shanhai-signature", signature(&d.secret, &d.payload))
        .body(d.payload.clone())
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => None,
        Ok(r) => Some(format!("HTTP {}", r.status())),
        Err(e) => Some(e.to_string()),
    }
}

/// Delivers due outbox events every `interval`, forever.
pub async fn worker(db: Db, interval: Duration) {
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    else {
        return;
    };
    loop {
        match webhooks::claim_due(&db, 20).await {
            Ok(due) => {
                for d in due {
                    let error = deliver(&client, &d).await;
                    if let Err(e) = webhooks::finish(&db, &d, error).await {
                        tracing::warn!("webhook outbox: {e}");
                    }
                }
            }
            Err(e) => tracing::warn!("webhook outbox: {e}"),
        }
        tokio::time::sleep(interval).await;
    }
}
