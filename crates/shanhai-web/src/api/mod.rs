//! The JSON API under `/api/v1/`, its OpenAPI document at `/api/openapi.json` and interactive
//! docs at `/api/docs`.

mod accounts;
pub mod attachments;
pub mod briefing;
pub mod calendar_feeds;
pub mod capacity;
mod clinic_sessions;
pub mod consultations;
pub mod dispatch;
pub mod export;
pub mod imports;
pub mod inbox;
pub mod indicators;
pub mod kpis;
pub mod operations;
pub mod outreach;
pub mod planning;
pub mod public;
pub mod referrals;
pub mod registry;
pub mod rollups;
pub mod teams;
pub mod webhooks;
pub mod workload;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shanhai_store::PageRequest;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

/// A JSON body, read but not yet parsed, so that a handler can check the caller's permission
/// before it judges the body. Parsing errors come back in the API's error shape.
pub struct JsonBody(Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_content_type);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "error.json_content_type",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                crate::error::too_large()
            } else {
                ApiError::bad_request("error.bad_body")
            }
        })?;
        Ok(JsonBody(bytes))
    }
}

impl JsonBody {
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let Json(value) = Json::<T>::from_bytes(&self.0)?;
        Ok(value)
    }
}

/// `application/json` or any `application/…+json`, with or without parameters.
fn is_json_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Query parameters whose rejections come back in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}

/// A record id from the path; anything that is not a UUID names no record.
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await?;
        shanhai_domain::ids::parse_id(&raw)
            .map(IdPath)
            .ok_or_else(ApiError::not_found)
    }
}

/// Which figures a program's figures endpoint shows (no patient details in any of them).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    #[param(format = Uuid)]
    pub program: Option<String>,
    /// Institutions in this region (GB/T 2260) or below.
    pub region: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    #[param(format = Date)]
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    #[param(format = Date)]
    pub until: Option<String>,
}

/// The institution a request is made from: the one named in `field`, else the caller's own;
/// with neither, `field` is required.
pub fn named_or_own(
    named: &Option<String>,
    p: &shanhai_domain::access::Principal,
    field: &'static str,
) -> Result<String, ApiError> {
    named
        .clone()
        .or_else(|| p.institution_id.clone())
        .ok_or_else(|| ApiError::from(shanhai_domain::Invalid::new(field, "error.required")))
}

/// `?page=&per_page=` on every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

impl PageParams {
    pub fn request(&self) -> PageRequest {
        if let Some(per_page) = export::page_size() {
            return PageRequest {
                page: self.page.unwrap_or(1).max(1),
                per_page,
            };
        }
        PageRequest::new(self.page, self.per_page)
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Shanhai 山海 API", description = "Cross-regional medical assistance programs: registry, accounts and audit. \
        Authenticate with `POST /api/v1/auth/token` and send `Authorization: Bearer <token>`. \
        Errors have the shape `{\"error\": {\"code\", \"message\", \"field\"}}`, messages in the request's language \
        (`Accept-Language` or `?lang=en`)."),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

/// The whole API's OpenAPI document, assembled from each capability's part.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(accounts::AccountsApi::openapi());
    doc.merge(registry::RegistryApi::openapi());
    doc.merge(dispatch::DispatchApi::openapi());
    doc.merge(clinic_sessions::ClinicsApi::openapi());
    doc.merge(public::PublicApi::openapi());
    doc.merge(consultations::ConsultationsApi::openapi());
    doc.merge(attachments::AttachmentsApi::openapi());
    doc.merge(indicators::IndicatorsApi::openapi());
    doc.merge(briefing::BriefingApi::openapi());
    doc.merge(referrals::ReferralsApi::openapi());
    doc.merge(webhooks::WebhooksApi::openapi());
    doc.merge(calendar_feeds::CalendarFeedsApi::openapi());
    doc.merge(inbox::InboxApi::openapi());
    doc.merge(imports::ImportsApi::openapi());
    doc.merge(capacity::CapacityApi::openapi());
    doc.merge(kpis::KpisApi::openapi());
    doc.merge(rollups::RollupsApi::openapi());
    doc.merge(workload::WorkloadApi::openapi());
    doc.merge(outreach::OutreachApi::openapi());
    doc.merge(operations::OperationsApi::openapi());
    doc.merge(teams::TeamsApi::openapi());
    doc.merge(planning::openapi());
    export::document(doc)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(accounts::router())
        .merge(registry::router())
        .merge(dispatch::router())
        .merge(clinic_sessions::router())
        .merge(public::router())
        .merge(consultations::router())
        .merge(attachments::router())
        .merge(indicators::router())
        .merge(briefing::router())
        .merge(referrals::router())
        .merge(webhooks::router())
        .merge(calendar_feeds::router())
        .merge(inbox::router())
        .merge(imports::router())
        .merge(capacity::router())
        .merge(kpis::router())
        .merge(rollups::router())
        .merge(workload::router())
        .merge(outreach::router())
        .merge(operations::router())
        .merge(teams::router())
        .merge(planning::router())
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi()))
}

/// 200 when the database answers.
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, ApiError> {
    state.db.ping().await?;
    Ok("ok")
}
