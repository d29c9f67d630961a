//! The inbox: what needs the caller's action now.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use shanhai_domain::codes::Role;
use shanhai_domain::consultations::Consultation;
use shanhai_domain::referrals::Referral;
use shanhai_store::{consultations, referrals};
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(paths(inbox), components(schemas(Inbox)))]
pub struct InboxApi;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/inbox", get(inbox))
}

#[derive(Serialize, ToSchema)]
pub struct Inbox {
    /// Consultations whose next step is the caller's (or their institution's).
    pub consultations: Vec<Consultation>,
    /// Referrals the caller's institution is to receive, treat or close.
    pub referrals: Vec<Referral>,
    pub count: usize,
}

/// What the caller and their institution have to act on now (patient details masked).
pub async fn load(
    state: &AppState,
    caller_institution: Option<&str>,
    person: Option<&str>,
    role: Role,
) -> ApiResult<Inbox> {
    let staff = matches!(role, Role::Coordinator | Role::Clinician);
    let institution = caller_institution.filter(|_| staff);
    let consultations = consultations::awaiting(&state.db, institution, person).await?;
    let referrals = match institution {
        Some(i) => referrals::awaiting(&state.db, i).await?,
        None => Vec::new(),
    };
    Ok(Inbox {
        count: consultations.len() + referrals.len(),
        consultations,
        referrals,
    })
}

#[utoipa::path(get, path = "/api/v1/inbox", tag = "consultations", security(("bearer" = [])),
    responses((status = 200, body = Inbox), (status = 401, body = ErrorBody)))]
async fn inbox(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Inbox>> {
    let p = &caller.principal;
    Ok(Json(
        load(
            &state,
            p.institution_id.as_deref(),
            caller.user.person_id.as_deref(),
            p.role,
        )
        .await?,
    ))
}
