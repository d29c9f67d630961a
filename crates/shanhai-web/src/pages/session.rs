//! Signing in and out, and choosing the language.

use super::{Chrome, FormData, Viewer, render};
use crate::AppState;
use crate::auth::{self, ClientIp, SESSION_COOKIE};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_store::audit::Actor;
use shanhai_store::users;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
}

const LOGIN_CSRF_COOKIE: &str = "shanhai_login";

/// Each role's home: experts their day (today), the platform admin the overview (dashboard),
/// everyone else (coordinators, clinicians, program offices) what waits for them (待办).
async fn home(viewer: Option<Viewer>) -> Redirect {
    Redirect::to(match viewer.as_ref().map(|v| v.user.role) {
        None => "/login",
        Some(role) => home_of(role),
    })
}

pub(super) fn home_of(role: shanhai_domain::codes::Role) -> &'static str {
    use shanhai_domain::codes::Role;
    match role {
        Role::Expert => "/today",
        Role::PlatformAdmin => "/dashboard",
        Role::Coordinator | Role::Clinician | Role::ProgramOffice => "/inbox",
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths are followed after sign-in or a language switch: one leading `/` not
/// followed by another `/` or `\\`, and nothing but visible ASCII. Browsers drop tabs and line
/// breaks from a URL, so `/\t/host` would become `//host`, another origin; control characters
/// would also make the `Location` header invalid.
fn safe_next(next: Option<&str>) -> String {
    let local = |n: &str| {
        let mut bytes = n.bytes();
        bytes.next() == Some(b'/')
            && !matches!(bytes.next(), Some(b'/' | b'\\'))
            && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
            && n.parse::<axum::http::uri::PathAndQuery>().is_ok()
    };
    match next {
        Some(n) if local(n) => n.to_string(),
        // Home: each role's own (see `home`).
        _ => "/".to_string(),
    }
}

fn cookie_header(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn login_form(
    State(state): State<AppState>,
    Query(q): Query<NextQuery>,
    headers: HeaderMap,
) -> Response {
    let token = auth::cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 64)
        .unwrap_or_else(random_hex);
    let mut c = Chrome::new(
        None,
        "",
        format!(
            "/login?next={}",
            super::urlencode(&safe_next(q.next.as_deref()))
        ),
    );
    c.csrf = token.clone();
    let page = LoginPage {
        c,
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: None,
    };
    let mut response = render(&page);
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(&state, LOGIN_CSRF_COOKIE, &token, 3600),
    );
    response
}

fn random_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    let next = safe_next(form.opt("next").as_deref());
    let username = form.get("username");
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let mut c = Chrome::new(None, "", format!("/login?next={}", super::urlencode(&next)));
    c.csrf = expected.clone();
    if expected.is_empty() || form.get("csrf") != expected {
        let page = LoginPage {
            error: Some(c.t("error.csrf")),
            c,
            next,
            username,
        };
        return (StatusCode::FORBIDDEN, render(&page)).into_response();
    }
    let user = match auth::sign_in(&state, ip.as_deref(), &username, &form.get("password")).await {
        Ok(user) => user,
        Err(e) => {
            let status = e.status;
            let page = LoginPage {
                error: Some(e.message()),
                c,
                next,
                username,
            };
            return (status, render(&page)).into_response();
        }
    };
    let actor = Actor {
        user_id: Some(user.id.clone()),
        name: user.username.clone(),
        ip,
    };
    match users::create_session(&state.db, &actor, &user).await {
        Ok(session) => {
            let mut response = Redirect::to(&next).into_response();
            let max_age = users::SESSION_HOURS * 3600;
            response.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(&state, SESSION_COOKIE, &session.cookie, max_age),
            );
            response.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(&state, LOGIN_CSRF_COOKIE, "", 0),
            );
            response
        }
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

async fn logout(State(state): State<AppState>, viewer: Viewer, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    if !viewer.csrf_ok(&form.get("csrf")) {
        return super::error_page(
            &viewer,
            "",
            "/".into(),
            crate::error::ApiError::forbidden().with_detail("CSRF"),
        );
    }
    if let Err(e) = users::end_session(&state.db, &viewer.actor(), &viewer.cookie).await {
        return crate::error::ApiError::from(e).into_response();
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(&state, SESSION_COOKIE, "", 0),
    );
    response
}

async fn set_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = shanhai_domain::Lang::from_tag(&code);
    let mut response = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    let value = format!(
        "lang={}; Path=/; SameSite=Lax; Max-Age=31536000{}",
        lang.code(),
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(super::safe_next(Some("/programs/x")), "/programs/x");
        assert_eq!(super::safe_next(Some("//evil.example")), "/");
        assert_eq!(super::safe_next(Some("https://evil.example")), "/");
        assert_eq!(super::safe_next(None), "/");
        for other_origin in [
            "/\t/127.0.0.1:18999/x",
            "/\n/evil",
            "/\\evil",
            "/%09/x\t",
            "/\u{1}",
        ] {
            assert_eq!(
                super::safe_next(Some(other_origin)),
                "/",
                "{other_origin:?}"
            );
        }
        assert_eq!(
            super::safe_next(Some("/clinics?q=%E5%84%BF")),
            "/clinics?q=%E5%84%BF"
        );
        assert_eq!(super::safe_next(Some("/clinics?q=儿")), "/");
    }
}
