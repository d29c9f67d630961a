//! Webhooks for other systems: registration and the delivery worker.

use super::{ApiQuery, IdPath, JsonBody};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use shanhai_service::webhooks as service;
use shanhai_store::webhooks::{DeliveryRecord, Webhook};
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
    #[schema(format = Uuid)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookQuery {
    #[param(format = Uuid)]
    institution: Option<String>,
}

/// An institution's webhooks (whoever manages the institution's data); without `institution`,
/// those of every institution the caller manages.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), params(WebhookQuery),
    responses((status = 200, body = Vec<Webhook>), (status = 403, body = ErrorBody)))]
async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<WebhookQuery>,
) -> ApiResult<Json<Vec<Webhook>>> {
    let acting = caller.acting();
    Ok(Json(
        service::list(&state.db, &acting, q.institution.as_deref()).await?,
    ))
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
    let hook = service::register(
        &state.db,
        &caller.acting(),
        &state.config.webhook_allow,
        &input.institution_id,
        &input.url,
        &input.secret,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(hook)))
}

/// The webhook's most recent deliveries (at most 50, newest first): event, attempts, when it
/// was delivered or why the last attempt failed. No payloads.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Vec<DeliveryRecord>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<DeliveryRecord>>> {
    Ok(Json(
        service::deliveries(&state.db, &caller.acting(), &id, 50).await?,
    ))
}

/// `sha256=` and the hex HMAC-SHA256 of the body under the webhook's secret.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("any key length works"));
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
