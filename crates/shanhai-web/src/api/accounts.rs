//! Sign-in tokens, user administration and the audit log.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::{self, Caller, ClientIp};
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shanhai_domain::accounts::{ActorLabel, User, UserInput, UserUpdate};
use shanhai_store::Page;
use shanhai_store::audit::{self, Actor, AuditEntry, AuditFilter};
use shanhai_store::users::{self, UserFilter};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(
        issue_token,
        revoke_token,
        me,
        list_users,
        create_user,
        get_user,
        update_user,
        list_audit
    ),
    components(schemas(
        TokenRequest,
        TokenResponse,
        User,
        UserInput,
        UserUpdate,
        AuditEntry,
        ActorLabel
    ))
)]
pub struct AccountsApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/token", post(issue_token).delete(revoke_token))
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).put(update_user))
        .route("/api/v1/audit", get(list_audit))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`. Revoke with `DELETE /api/v1/auth/token`.
    pub token: String,
    /// When the token stops working (RFC 3339, UTC); sign in again for a new one.
    #[schema(format = DateTime)]
    pub expires_at: String,
    pub user: User,
}

/// Exchanges a username and password for an API token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "accounts", request_body = TokenRequest,
    responses((status = 201, body = TokenResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn issue_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let req: TokenRequest = body.parse()?;
    let user = auth::sign_in(&state, ip.as_deref(), &req.username, &req.password).await?;
    let actor = Actor {
        user_id: Some(user.id.clone()),
        name: user.username.clone(),
        ip,
    };
    let expires_at = users::token_expiry(chrono::Utc::now(), state.config.token_lifetime_hours);
    let token = users::issue_token(&state.db, &actor, &user).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse {
            token,
            expires_at,
            user,
        }),
    ))
}

/// Revokes the token this request carries.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn revoke_token(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    users::revoke_token(&state.db, &caller.actor(), &caller.token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own account.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
async fn me(caller: Caller) -> Json<User> {
    Json(caller.user)
}

fn require_admin(caller: &Caller) -> ApiResult<()> {
    Ok(shanhai_service::accounts::may_administer(&caller.acting())?)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Search in username and display name.
    q: Option<String>,
    #[param(value_type = Option<shanhai_domain::codes::Role>)]
    role: Option<String>,
    #[param(format = Uuid)]
    institution: Option<String>,
    #[param(format = Uuid)]
    program: Option<String>,
}

/// Lists accounts (platform admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", security(("bearer" = [])), params(PageParams, UserQuery),
    responses((status = 200, body = Page<User>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<Page<User>>> {
    let filter = UserFilter {
        q: q.q,
        role: q.role,
        institution: q.institution,
        program: q.program,
    };
    let acting = caller.acting();
    Ok(Json(
        shanhai_service::accounts::list(&state.db, &acting, &filter, page.request()).await?,
    ))
}

/// Creates an account (platform admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", security(("bearer" = [])), request_body = UserInput,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<User>)> {
    let acting = caller.acting();
    shanhai_service::accounts::may_administer(&acting)?;
    let input = body.parse::<UserInput>()?;
    Ok((
        StatusCode::CREATED,
        Json(shanhai_service::accounts::create(&state.db, &acting, &input).await?),
    ))
}

/// One account (platform admin, or the account's owner).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<User>> {
    if id != caller.user.id {
        require_admin(&caller)?;
    }
    Ok(Json(users::get(&state.db, &id).await?))
}

/// Changes an account: name, password, role and scope, or deactivates it (platform admin).
/// Deactivating revokes the account's tokens and sessions.
#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = UserUpdate,
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<User>> {
    require_admin(&caller)?;
    let change: UserUpdate = body.parse()?;
    Ok(Json(
        users::update(&state.db, &caller.actor(), &id, &change).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Username of the actor.
    actor: Option<String>,
    /// `program`, `pairing`, `institution`, `person`, `user`…
    entity: Option<String>,
    /// The record's id (a region's code for a region).
    entity_id: Option<String>,
    #[param(schema_with = shanhai_store::audit::action_schema)]
    action: Option<String>,
    /// From this date (`YYYY-MM-DD`), inclusive.
    #[param(format = Date)]
    from: Option<String>,
    /// Until this date (`YYYY-MM-DD`), inclusive.
    #[param(format = Date)]
    until: Option<String>,
}

impl From<AuditQuery> for AuditFilter {
    fn from(q: AuditQuery) -> AuditFilter {
        AuditFilter {
            actor: q.actor,
            entity: q.entity,
            entity_id: q.entity_id,
            action: q.action,
            from: q.from,
            until: q.until,
        }
    }
}

/// The audit trail, newest first (platform admin).
#[utoipa::path(get, path = "/api/v1/audit", tag = "accounts", security(("bearer" = [])), params(PageParams, AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    require_admin(&caller)?;
    Ok(Json(
        audit::list(state.db.pool(), &q.into(), page.request()).await?,
    ))
}
