//! Server-rendered pages (askama). Every page has the same chrome: navigation by role, the
//! language switch, the signed-in user; every form carries the session's CSRF token.

mod admin;
mod briefing;
mod calendar_feeds;
mod capacity;
mod clinic_sessions;
mod consultations;
mod dashboard;
mod dispatch;
mod figures;
mod form;
mod imports;
mod inbox;
mod kpis;
mod operations;
mod outreach;
pub mod pick;
mod planning;
mod public;
mod referrals;
mod registry;
mod search;
mod session;
mod teams;
mod webhooks;
mod workload;

pub use form::{
    ErrorsAt, Form, FormErrors, csrf_refused, error_page, form_failed, id_or_404, not_found,
};

use crate::AppState;
use crate::auth::{self, SESSION_COOKIE};
use crate::i18n;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use shanhai_domain::Lang;
use shanhai_domain::access::Principal;
use shanhai_domain::accounts::User;
use shanhai_domain::codes::Role;
use shanhai_domain::inbox::InboxCounts;
use shanhai_store::audit::Actor;
use shanhai_store::{Page, users};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(stylesheet))
        .route("/assets/app.js", get(script))
        .merge(session::router())
        .merge(registry::router())
        .merge(admin::router())
        .merge(dispatch::router())
        .merge(clinic_sessions::router())
        .merge(consultations::router())
        .merge(inbox::router())
        .merge(search::router())
        .merge(referrals::router())
        .merge(public::router())
        .merge(webhooks::router())
        .merge(calendar_feeds::router())
        .merge(capacity::router())
        .merge(outreach::router())
        .merge(kpis::router())
        .merge(operations::router())
        .merge(figures::router())
        .merge(dashboard::router())
        .merge(briefing::router())
        .merge(imports::router())
        .merge(pick::router())
        .merge(teams::router())
        .merge(workload::router())
        .merge(planning::router())
        .fallback(unknown_path)
        .layer(axum::middleware::from_fn(confirm_saves))
}

/// The query parameter that tells the page a user lands on that their form was saved.
pub const SAVED: &str = "saved";

/// A confirmation after every save: a signed-in form post that succeeds answers with a redirect
/// to the result, which gets `?saved=1`; the layout shows "已保存" there (see [`Chrome::flash`]).
/// Signing in and out and the language switch are not saves.
async fn confirm_saves(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path().to_string();
    let is_save = req.method() == axum::http::Method::POST
        && auth::cookie(req.headers(), SESSION_COOKIE).is_some()
        && !matches!(path.as_str(), "/login" | "/logout")
        && !path.starts_with("/lang/")
        && !path.starts_with("/api/");
    let mut res = next.run(req).await;
    if is_save && res.status().is_redirection() {
        let to = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // A page that says itself what was saved (`?saved=leave`, `?done=changed`) keeps its
        // own words; a second, general confirmation would only repeat it.
        let says_itself = |t: &str| {
            t.split_once('?').is_some_and(|(_, q)| {
                q.split('&')
                    .any(|p| p.starts_with("saved=") || p.starts_with("done="))
            })
        };
        if let Some(to) =
            to.filter(|t| t.starts_with('/') && !t.starts_with("/login") && !says_itself(t))
        {
            let (base, fragment) = match to.split_once('#') {
                Some((b, f)) => (b.to_string(), format!("#{f}")),
                None => (to.clone(), String::new()),
            };
            let sep = if base.contains('?') { '&' } else { '?' };
            let marked = format!("{base}{sep}{SAVED}=1{fragment}");
            if let Ok(v) = axum::http::HeaderValue::from_str(&marked) {
                res.headers_mut().insert(header::LOCATION, v);
            }
        }
    }
    res
}

/// `here` without the general saved-confirmation mark (`saved=1`), and whether it had one.
fn without_saved(here: &str) -> (String, bool) {
    let Some((path, query)) = here.split_once('?') else {
        return (here.to_string(), false);
    };
    let mut saved = false;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            // Only the general mark; a page's own `saved=<what>` stays its business.
            let hit = *p == "saved=1";
            saved |= hit;
            !hit && !p.is_empty()
        })
        .collect();
    if kept.is_empty() {
        (path.to_string(), saved)
    } else {
        (format!("{path}?{}", kept.join("&")), saved)
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.js"),
    )
        .into_response()
}

/// Unknown paths: the API's error shape under `/api/`, a page elsewhere.
async fn unknown_path(uri: Uri, viewer: Option<Viewer>) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::not_found().into_response();
    }
    let chrome = Chrome::new(viewer.as_ref(), "", uri.to_string());
    let page = MessagePage {
        title: chrome.t("ui.not_found_title"),
        message: chrome.t("error.not_found"),
        c: chrome,
    };
    (StatusCode::NOT_FOUND, render(&page)).into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub c: Chrome,
    pub title: String,
    pub message: String,
}

pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("template: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// A signed-in user of the pages.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub principal: Principal,
    pub csrf: String,
    pub cookie: String,
    pub ip: Option<String>,
    /// What waits for this user, by kind: the navigation's badges (from the same inbox as the
    /// 待办 page and `GET /api/v1/inbox`).
    pub counts: InboxCounts,
}

impl Viewer {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id.clone()),
            name: self.user.username.clone(),
            ip: self.ip.clone(),
        }
    }

    /// The viewer as the service layer sees them.
    pub fn acting(&self) -> shanhai_service::Acting {
        shanhai_service::Acting {
            principal: self.principal.clone(),
            actor: self.actor(),
            person_id: self.user.person_id.clone(),
            display_name: self.user.display_name.clone(),
        }
    }

    /// Whether a submitted form carries this session's CSRF token.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        let (a, b) = (self.csrf.as_bytes(), submitted.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Pages that need a signed-in user send everyone else to the sign-in page.
pub struct SignInFirst(Response);

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        self.0
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = SignInFirst;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let to_login = || {
            SignInFirst(Redirect::to(&format!("/login?next={}", urlencode(next))).into_response())
        };
        let cookie = auth::cookie(&parts.headers, SESSION_COOKIE).ok_or_else(to_login)?;
        let (user, csrf) = match users::session(&state.db, &cookie).await {
            Ok(Some(found)) => found,
            // The database away for a moment is no reason to sign anyone out.
            Err(e) if e.is_unavailable() => {
                return Err(SignInFirst(crate::error::ApiError::from(e).into_response()));
            }
            _ => return Err(to_login()),
        };
        let mut viewer = Viewer {
            principal: users::principal(&user),
            user,
            csrf,
            cookie,
            ip: auth::client_ip(parts),
            counts: InboxCounts::default(),
        };
        // The navigation's counts, for the pages that draw the navigation: not for a form's
        // POST (it redirects; a form shown again with its problems goes without badges) nor
        // for the pickers' lists. A page still shows (without badges) if they fail.
        let draws_navigation =
            parts.method == axum::http::Method::GET && !uri.path().starts_with("/pick/");
        if draws_navigation {
            match shanhai_service::inbox::inbox(&state.db, &viewer.acting()).await {
                Ok(inbox) => viewer.counts = inbox.counts,
                Err(e) => tracing::warn!("inbox counts: {e:?}"),
            }
        }
        Ok(viewer)
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Viewer as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What the layout needs: language, user, navigation, CSRF token.
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<User>,
    pub csrf: String,
    pub nav: &'static str,
    /// The current path and query, for the language switch to come back to.
    pub here: String,
    /// What waits for the signed-in user, by kind (the navigation's badges).
    pub counts: InboxCounts,
    /// The page is where a successful save landed (`?saved=1`).
    pub saved: bool,
}

impl Chrome {
    pub fn new(viewer: Option<&Viewer>, nav: &'static str, here: String) -> Chrome {
        let (here, saved) = without_saved(&here);
        Chrome {
            saved: saved && viewer.is_some(),
            lang: i18n::current(),
            user: viewer.map(|v| v.user.clone()),
            csrf: viewer.map(|v| v.csrf.clone()).unwrap_or_default(),
            nav,
            here,
            counts: viewer.map(|v| v.counts).unwrap_or_default(),
        }
    }

    /// The user's role code (`expert`, `coordinator`…), empty for a visitor.
    pub fn role(&self) -> &'static str {
        self.user.as_ref().map(|u| u.role.code()).unwrap_or("")
    }

    /// The confirmation shown after a save, if this page is where one landed.
    pub fn flash(&self) -> Option<String> {
        self.saved.then(|| self.t("ui.saved_flash"))
    }

    pub fn t(&self, key: impl AsRef<str>) -> String {
        i18n::t(self.lang, key.as_ref())
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn switch_href(&self) -> String {
        let other = match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        };
        format!("/lang/{other}?next={}", urlencode(&self.here))
    }

    pub fn is_admin(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == Role::PlatformAdmin)
    }

    pub fn role_label(&self) -> &'static str {
        self.user
            .as_ref()
            .map(|u| u.role.label(self.lang))
            .unwrap_or("")
    }

    /// An instant shown in Asia/Shanghai time, to the minute.
    /// Who acted, as "name · title · institution" (the recorded name when the account is not
    /// known, as for steps recorded before accounts were linked to people).
    pub fn who(
        &self,
        label: &Option<shanhai_domain::accounts::ActorLabel>,
        recorded: &str,
    ) -> String {
        label
            .as_ref()
            .map_or_else(|| recorded.to_string(), |l| l.line(self.lang))
    }

    pub fn time(&self, rfc3339: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .map(|t| {
                (t.with_timezone(&chrono::Utc) + chrono::Duration::hours(8))
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|_| rfc3339.to_string())
    }

    /// Today in the display time zone, `YYYY-MM-DD`.
    pub fn today(&self) -> String {
        shanhai_store::today().to_string()
    }

    /// The separator between items of an inline list.
    pub fn list_sep(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "、",
            Lang::En => ", ",
        }
    }

    /// The first characters of a hash or id, enough to tell records apart.
    pub fn short_hash(&self, s: &str) -> String {
        let short: String = s.chars().take(12).collect();
        if short.len() < s.len() {
            format!("{short}…")
        } else {
            short
        }
    }

    /// A unit written after a number ("8.92天", "8.92 days", "1 case", "92%").
    pub fn unit(&self, unit: &str, value: f64) -> String {
        shanhai_domain::words::unit_after(unit, value, self.lang)
    }

    /// A unit named on its own, as in a caption ("（人次）" reads "(visits)").
    pub fn unit_name(&self, unit: &str) -> String {
        shanhai_domain::words::unit_name(unit, self.lang)
    }

    /// An honour in the page's language.
    pub fn honour(&self, h: &str) -> String {
        shanhai_domain::words::honour(h, self.lang)
    }

    /// A note in brackets after a label: full-width in Chinese, spaced ASCII in English.
    pub fn paren(&self, s: impl std::fmt::Display) -> String {
        match self.lang {
            Lang::Zh => format!("（{s}）"),
            Lang::En => format!(" ({s})"),
        }
    }

    /// A label and its value in brackets: "（其中本院 3）", " (by local staff 3)".
    pub fn paren_pair(
        &self,
        label: impl std::fmt::Display,
        value: impl std::fmt::Display,
    ) -> String {
        self.paren(format!("{label} {value}"))
    }

    /// The colon after a label.
    pub fn colon(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "：",
            Lang::En => ": ",
        }
    }

    pub fn specialty(&self, code: &str) -> String {
        shanhai_domain::specialty::find(code)
            .map(|s| match self.lang {
                Lang::Zh => s.zh.clone(),
                Lang::En => s.en.clone(),
            })
            .unwrap_or_else(|| code.to_string())
    }
}

/// Links to the previous and next page of a list, keeping the other query parameters.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn new<T>(page: &Page<T>, path: &str, params: &[(&str, Option<&str>)]) -> Pager {
        let href = |n: i64| {
            let mut q: Vec<String> = params
                .iter()
                .filter_map(|(k, v)| {
                    v.filter(|v| !v.is_empty())
                        .map(|v| format!("{k}={}", urlencode(v)))
                })
                .collect();
            q.push(format!("page={n}"));
            format!("{path}?{}", q.join("&"))
        };
        let pages = page.pages();
        Pager {
            page: page.page,
            pages,
            total: page.total,
            prev: (page.page > 1).then(|| href(page.page - 1)),
            next: (page.page < pages).then(|| href(page.page + 1)),
        }
    }
}

/// A submitted form, parsed by hand so that repeated fields (checkboxes) keep every value.
#[derive(Default, Clone)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn opt(&self, key: &str) -> Option<String> {
        Some(self.get(key)).filter(|v| !v.trim().is_empty())
    }

    /// Every field in the order posted.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Sets a field (a form's default before it is first shown).
    pub fn set(&mut self, key: &str, value: &str) {
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_string(), value.to_string()));
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Whether the browser says the request comes from another site (a link or a form elsewhere):
/// `Sec-Fetch-Site` is `cross-site` or `same-site`. A typed address, a bookmark or a link in a
/// downloaded briefing says `none`; clients that send no such header are let through.
pub fn cross_site(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches!(v, "cross-site" | "same-site"))
}
