//! Webhook management: an institution's webhooks, adding one, and the recent deliveries with
//! their attempts and errors. For whoever manages the institution's data.

use super::dispatch::here;
use super::{Chrome, Form, FormData, FormErrors, Viewer, error_page, form_failed, render};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use shanhai_domain::registry::Institution;
use shanhai_service::webhooks as service;
use shanhai_store::webhooks::{self, DeliveryRecord, Webhook};
use std::collections::BTreeSet;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks", get(webhooks_page).post(create))
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    institutions: Vec<Institution>,
    hooks: Vec<Webhook>,
    deliveries: Vec<DeliveryRecord>,
    values: FormData,
    error: Option<FormErrors>,
}

impl WebhooksPage {
    fn institution_name(&self, id: &str) -> String {
        self.institutions
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.name.clone())
            .unwrap_or_default()
    }

    fn hook_url(&self, id: &str) -> String {
        self.hooks
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.url.clone())
            .unwrap_or_default()
    }

    /// Why a delivery failed, in the viewer's language: a generic reason or the status class.
    fn delivery_error(&self, code: &str) -> String {
        self.c.t(format!("code.delivery_error.{code}"))
    }

    fn field_error(&self, field: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(field))
    }

    fn invalid(&self, field: &str) -> &'static str {
        if self.field_error(field).is_some() {
            "invalid"
        } else {
            ""
        }
    }
}

async fn page_data(
    state: &AppState,
    viewer: &Viewer,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<WebhooksPage, ApiError> {
    let acting = viewer.acting();
    let hooks = service::list(&state.db, &acting, None).await?;
    let institutions = shanhai_service::clinics::hosts(&state.db, &acting).await?;
    let hook_ids: BTreeSet<String> = hooks.iter().map(|h| h.id.clone()).collect();
    let deliveries = webhooks::recent_deliveries(&state.db, &hook_ids, 30).await?;
    Ok(WebhooksPage {
        c: Chrome::new(Some(viewer), "webhooks", "/webhooks".into()),
        institutions,
        hooks,
        deliveries,
        values,
        error,
    })
}

async fn webhooks_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
) -> Response {
    let defaults = FormData::parse(
        format!(
            "institution_id={}",
            viewer.principal.institution_id.clone().unwrap_or_default()
        )
        .as_bytes(),
    );
    match page_data(&state, &viewer, defaults, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "webhooks", here(&uri), e),
    }
}

async fn create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let result = service::register(
        &state.db,
        &viewer.acting(),
        &state.config.webhook_allow,
        &form.get("institution_id"),
        &form.get("url"),
        &form.get("secret"),
    )
    .await
    .map_err(ApiError::from);
    let Err(e) = result else {
        return Redirect::to("/webhooks").into_response();
    };
    // The secret is not sent back to the browser.
    let values = FormData::parse(
        format!(
            "institution_id={}&url={}",
            super::urlencode(&form.get("institution_id")),
            super::urlencode(&form.get("url"))
        )
        .as_bytes(),
    );
    form_failed(
        &viewer,
        "webhooks",
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN],
        |error| page_data(&state, &viewer, values, Some(error)),
    )
    .await
}
