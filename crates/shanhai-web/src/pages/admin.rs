//! Administration pages: accounts and the audit log (platform admin).

use super::pick::{self, Pick};
use super::{Chrome, ErrorsAt, Form, FormData, FormErrors, Pager, Viewer, error_page, render};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use shanhai_domain::accounts::{User, UserInput};
use shanhai_domain::codes::Role;
use shanhai_domain::registry::Program;
use shanhai_store::audit::{self, AuditEntry, AuditFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::programs::{self, ProgramFilter};
use shanhai_store::users::{self, UserFilter};
use shanhai_store::{Page, PageRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(user_list).post(user_create))
        .route("/users/new", get(user_new))
        .route("/audit", get(audit_list))
}

fn here(uri: &OriginalUri) -> String {
    uri.0
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into())
}

#[derive(Deserialize)]
struct UserQuery {
    q: Option<String>,
    role: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    q: String,
    role: String,
    roles: &'static [Role],
    users: Page<User>,
    pager: Pager,
}

async fn user_list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<UserQuery>,
) -> Response {
    if let Err(e) = shanhai_service::accounts::may_administer(&viewer.acting()) {
        return error_page(&viewer, "users", here(&uri), e.into());
    }
    let filter = UserFilter {
        q: q.q.clone(),
        role: q.role.clone(),
        ..Default::default()
    };
    match users::list(&state.db, &filter, PageRequest::new(q.page, Some(20))).await {
        Ok(page) => {
            let pager = Pager::new(
                &page,
                "/users",
                &[("q", q.q.as_deref()), ("role", q.role.as_deref())],
            );
            render(&UsersPage {
                c: Chrome::new(Some(&viewer), "users", here(&uri)),
                q: q.q.unwrap_or_default(),
                role: q.role.unwrap_or_default(),
                roles: Role::ALL,
                users: page,
                pager,
            })
        }
        Err(e) => error_page(&viewer, "users", here(&uri), e.into()),
    }
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct UserFormPage {
    c: Chrome,
    roles: &'static [Role],
    programs: Vec<Program>,
    institutions: Vec<Pick>,
    /// Without scripts: the people of the chosen institution, and the chosen person.
    people: Vec<Pick>,
    values: FormData,
    error: Option<FormErrors>,
}

async fn user_form(
    state: &AppState,
    viewer: &Viewer,
    values: FormData,
    error: Option<FormErrors>,
) -> UserFormPage {
    let all = PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE));
    let lang = crate::i18n::current();
    let institution = values.opt("institution_id");
    let people = match &institution {
        Some(i) => {
            let q = pick::PickQuery {
                institution: Some(i.clone()),
                ..Default::default()
            };
            pick::find_people(state, viewer, &q, PageRequest::MAX_PER_PAGE)
                .await
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    UserFormPage {
        c: Chrome::new(Some(viewer), "users", "/users/new".into()),
        roles: Role::ALL,
        programs: programs::list(&state.db, &ProgramFilter::default(), all)
            .await
            .map(|p| p.items)
            .unwrap_or_default(),
        institutions: institutions::list(&state.db, &InstitutionFilter::default(), all)
            .await
            .map(|p| p.items)
            .unwrap_or_default()
            .iter()
            .map(|i| pick::institution_pick(lang, i))
            .collect(),
        people,
        values,
        error,
    }
}

async fn user_new(State(state): State<AppState>, viewer: Viewer, uri: OriginalUri) -> Response {
    if let Err(e) = shanhai_service::accounts::may_administer(&viewer.acting()) {
        return error_page(&viewer, "users", here(&uri), e.into());
    }
    render(&user_form(&state, &viewer, FormData::parse(b"role=coordinator"), None).await)
}

async fn user_create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let acting = viewer.acting();
    if let Err(e) = shanhai_service::accounts::may_administer(&acting) {
        return error_page(&viewer, "users", here(&uri), e.into());
    }
    let input = UserInput {
        username: form.get("username"),
        display_name: form.opt("display_name"),
        password: form.get("password"),
        role: form.get("role"),
        program_id: form.opt("program_id"),
        institution_id: form.opt("institution_id"),
        person_id: form.opt("person_id"),
    };
    let result = shanhai_service::accounts::create(&state.db, &acting, &input).await;
    match result.map_err(ApiError::from) {
        Ok(_) => Redirect::to("/users").into_response(),
        Err(e) => {
            let page = user_form(&state, &viewer, form, Some(FormErrors::from_api(&e))).await;
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    entity: Option<String>,
    action: Option<String>,
    from: Option<String>,
    until: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    actor: String,
    entity: String,
    action: String,
    from: String,
    until: String,
    entries: Page<AuditEntry>,
    /// Who acted, by account id: name, title and institution.
    actors: std::collections::HashMap<String, shanhai_domain::accounts::ActorLabel>,
    pager: Pager,
}

impl AuditPage {
    fn is(&self, current: &str, value: &str) -> bool {
        current == value
    }

    /// The person behind an entry made by a signed-in account (the command line and the demo
    /// loader have none: their recorded name is shown).
    fn actor(&self, e: &AuditEntry) -> Option<&shanhai_domain::accounts::ActorLabel> {
        e.actor_id.as_ref().and_then(|id| self.actors.get(id))
    }

    fn action_key(&self, action: &str) -> String {
        format!("code.audit_action.{action}")
    }

    fn entity_key(&self, entity: &str) -> String {
        format!("code.entity.{entity}")
    }

    /// What changed, readably: each changed field with its label and new value; ids and
    /// timestamps are left out, long values shortened.
    fn changes(&self, e: &AuditEntry) -> String {
        let Some(serde_json::Value::Object(after)) = &e.after else {
            return String::new();
        };
        let before = match &e.before {
            Some(serde_json::Value::Object(b)) => Some(b),
            _ => None,
        };
        let lang = self.c.lang;
        after
            .iter()
            .filter(|(k, _)| {
                !matches!(k.as_str(), "updated_at" | "created_at" | "id") && !k.ends_with("_id")
            })
            .filter(|(k, v)| before.is_none_or(|b| b.get(*k) != Some(*v)))
            .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
            .map(|(k, v)| {
                let label = crate::i18n::t(lang, &format!("field.{k}"));
                let label = if label.starts_with("field.") {
                    k.clone()
                } else {
                    label
                };
                let value = match v {
                    serde_json::Value::String(s) => {
                        shanhai_domain::codes::label_for_field(k, s, lang)
                            .map(str::to_string)
                            .unwrap_or_else(|| s.clone())
                    }
                    serde_json::Value::Array(items) if k == "departments" => items
                        .iter()
                        .filter_map(|i| i.as_str())
                        .map(|code| self.c.specialty(code))
                        .collect::<Vec<_>>()
                        .join(self.c.list_sep()),
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|i| {
                            i.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| i.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(self.c.list_sep()),
                    other => other.to_string(),
                };
                let short: String = value.chars().take(60).collect();
                let value = if short.len() < value.len() {
                    format!("{short}…")
                } else {
                    short
                };
                format!("{label}: {value}")
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

async fn audit_list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Err(e) = shanhai_service::accounts::may_administer(&viewer.acting()) {
        return error_page(&viewer, "audit", here(&uri), e.into());
    }
    let filter = AuditFilter {
        actor: q.actor.clone(),
        entity: q.entity.clone(),
        entity_id: None,
        action: q.action.clone(),
        from: q.from.clone(),
        until: q.until.clone(),
    };
    match audit::list(state.db.pool(), &filter, PageRequest::new(q.page, Some(50))).await {
        Ok(page) => {
            let ids: Vec<String> = page
                .items
                .iter()
                .filter_map(|e| e.actor_id.clone())
                .collect();
            let actors = match shanhai_store::actors::users(&state.db, &ids).await {
                Ok(actors) => actors,
                Err(e) => return error_page(&viewer, "audit", here(&uri), e.into()),
            };
            let pager = Pager::new(
                &page,
                "/audit",
                &[
                    ("actor", q.actor.as_deref()),
                    ("entity", q.entity.as_deref()),
                    ("action", q.action.as_deref()),
                    ("from", q.from.as_deref()),
                    ("until", q.until.as_deref()),
                ],
            );
            render(&AuditPage {
                c: Chrome::new(Some(&viewer), "audit", here(&uri)),
                actor: q.actor.unwrap_or_default(),
                entity: q.entity.unwrap_or_default(),
                action: q.action.unwrap_or_default(),
                from: q.from.unwrap_or_default(),
                until: q.until.unwrap_or_default(),
                entries: page,
                actors,
                pager,
            })
        }
        Err(e) => error_page(&viewer, "audit", here(&uri), e.into()),
    }
}
