//! The public side (家门口看名医), used on a phone without an account: find a visiting expert's
//! clinic near home, book it, look the booking up and cancel it. Rate-limited per address like
//! the public API. Phone and ID numbers travel only in POST bodies; every form carries a
//! double-submit CSRF token (a cookie and a hidden field that must match).

use super::dispatch::{
    RegionGroup, given, here, page_no, region_groups, title_label, weekday_label,
};
use super::form::capitalised;
use super::{Chrome, FormData, Pager, render};
use crate::AppState;
use crate::api::public::PublicSessionQuery;
use crate::auth::{self, PublicCaller};
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::bookings::{BookingLookup, BookingRequest, BookingStatus, PublicBooking};
use shanhai_domain::clinic_sessions::{ClinicSession, SessionStatus};
use shanhai_domain::specialty::{self, Specialty};
use shanhai_service::bookings as service;
use shanhai_store::bookings::BookOutcome;
use shanhai_store::clinic_sessions;
use shanhai_store::{Page, PageRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/public", get(search))
        .route("/public/sessions/{id}", get(session_page).post(book))
        .route("/public/booking", get(lookup_form).post(lookup))
        .route("/public/booking/cancel", post(cancel))
}

const CSRF_COOKIE: &str = "shanhai_public";

fn random_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The visitor's CSRF token: the one their cookie holds, or a new one.
fn csrf_token(headers: &HeaderMap) -> String {
    auth::cookie(headers, CSRF_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(random_hex)
}

/// Whether a posted form carries the token of the visitor's cookie.
fn csrf_ok(headers: &HeaderMap, form: &FormData) -> bool {
    let Some(expected) = auth::cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 64) else {
        return false;
    };
    let submitted = form.get("csrf");
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Sets the CSRF cookie and keeps pages that may show patient data out of caches.
fn finish(state: &AppState, mut response: Response, token: &str) -> Response {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let v = format!(
        "{CSRF_COOKIE}={token}; Path=/public; HttpOnly; SameSite=Lax; Max-Age=86400{secure}"
    );
    if let Ok(v) = HeaderValue::from_str(&v) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn chrome(nav: &'static str, here: String, token: &str) -> Chrome {
    let mut c = Chrome::new(None, nav, here);
    c.csrf = token.to_string();
    c
}

#[derive(Template)]
#[template(path = "public_message.html")]
struct MessagePage {
    c: Chrome,
    title: String,
    message: String,
}

fn message(c: Chrome, status: StatusCode, e: &ApiError) -> Response {
    let page = MessagePage {
        title: c.t(if status == StatusCode::TOO_MANY_REQUESTS {
            "ui.public_busy_title"
        } else if status == StatusCode::NOT_FOUND {
            "ui.not_found_title"
        } else {
            "ui.error_title"
        }),
        message: e.message(),
        c,
    };
    let mut response = (status, render(&page)).into_response();
    if let Some(wait) = e.retry_after
        && let Ok(v) = HeaderValue::from_str(&wait.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// The rate limit's answer as a page.
fn too_many(e: ApiError, here: String) -> Response {
    let c = Chrome::new(None, "", here);
    message(c, e.status, &e)
}

/// Helpers the public templates share.
fn session_title(lang: Lang, s: &ClinicSession) -> String {
    title_label(lang, s.expert_title.as_deref())
}

fn session_specialty(c: &Chrome, s: &ClinicSession) -> String {
    s.specialty_code
        .as_deref()
        .map(|code| c.specialty(code))
        .unwrap_or_default()
}

/// Whether a session still takes bookings (open or full, not ended, not cancelled).
fn bookable(s: &ClinicSession) -> bool {
    s.status.takes_bookings()
}

// ---- search ----

#[derive(Deserialize, Default)]
struct SearchQuery {
    region: Option<String>,
    specialty: Option<String>,
    q: Option<String>,
    date: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "public_search.html")]
struct SearchPage {
    c: Chrome,
    region: String,
    specialty: String,
    q: String,
    date: String,
    today: String,
    groups: Vec<RegionGroup>,
    specialties: Vec<&'static Specialty>,
    sessions: Page<ClinicSession>,
    pager: Pager,
}

impl SearchPage {
    fn title(&self, s: &ClinicSession) -> String {
        session_title(self.c.lang, s)
    }

    fn weekday(&self, date: &str) -> String {
        weekday_label(self.c.lang, date)
    }

    fn specialty_of(&self, s: &ClinicSession) -> String {
        session_specialty(&self.c, s)
    }
}

async fn search(
    State(state): State<AppState>,
    caller: Result<PublicCaller, ApiError>,
    uri: OriginalUri,
    Query(q): Query<SearchQuery>,
) -> Response {
    if let Err(e) = caller {
        return too_many(e, here(&uri));
    }
    let query = PublicSessionQuery {
        region: given(&q.region),
        specialty: given(&q.specialty),
        q: given(&q.q),
        date: given(&q.date),
        ..Default::default()
    };
    let c = Chrome::new(None, "public", here(&uri));
    let sessions = match clinic_sessions::list(
        &state.db,
        &query.filter(),
        PageRequest::new(page_no(&q.page), Some(12)),
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return message(c, StatusCode::INTERNAL_SERVER_ERROR, &e.into()),
    };
    let pager = Pager::new(
        &sessions,
        "/public",
        &[
            ("region", q.region.as_deref()),
            ("specialty", q.specialty.as_deref()),
            ("q", q.q.as_deref()),
            ("date", q.date.as_deref()),
        ],
    );
    let page = SearchPage {
        region: q.region.clone().unwrap_or_default(),
        specialty: q.specialty.clone().unwrap_or_default(),
        q: q.q.clone().unwrap_or_default(),
        date: q.date.clone().unwrap_or_default(),
        today: shanhai_store::today().to_string(),
        groups: region_groups(&state).await,
        specialties: specialty::all()
            .iter()
            .filter(|s| s.parent.is_none())
            .collect(),
        sessions,
        pager,
        c,
    };
    let mut response = render(&page);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

// ---- one session and its booking form ----

#[derive(Template)]
#[template(path = "public_session.html")]
struct SessionPage {
    c: Chrome,
    session: ClinicSession,
    values: FormData,
    /// A message about the whole form (full, already booked, expired token…).
    alert: Option<String>,
    /// The field at fault and what is wrong with it.
    field: Option<(String, String)>,
}

impl SessionPage {
    fn title(&self) -> String {
        session_title(self.c.lang, &self.session)
    }

    fn weekday(&self) -> String {
        weekday_label(self.c.lang, &self.session.date)
    }

    fn specialty(&self) -> String {
        session_specialty(&self.c, &self.session)
    }

    fn bookable(&self) -> bool {
        bookable(&self.session)
    }

    fn full(&self) -> bool {
        self.session.status == SessionStatus::Full
    }

    fn field_error(&self, name: &str) -> Option<String> {
        self.field
            .as_ref()
            .filter(|(f, _)| f == name)
            .map(|(_, m)| m.clone())
    }

    fn invalid(&self, name: &str) -> &'static str {
        if self.field_error(name).is_some() {
            "invalid"
        } else {
            ""
        }
    }

    fn waitlist_checked(&self) -> bool {
        !self.values.get("waitlist").is_empty()
    }
}

async fn load_session(state: &AppState, raw: &str) -> Result<ClinicSession, ApiError> {
    let id = shanhai_domain::ids::parse_id(raw).ok_or_else(ApiError::not_found)?;
    Ok(clinic_sessions::get(&state.db, &id).await?)
}

async fn session_page(
    State(state): State<AppState>,
    caller: Result<PublicCaller, ApiError>,
    uri: OriginalUri,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    if let Err(e) = caller {
        return too_many(e, here(&uri));
    }
    let token = csrf_token(&headers);
    let c = chrome("public", here(&uri), &token);
    let session = match load_session(&state, &raw).await {
        Ok(s) => s,
        Err(e) => return message(c, e.status, &e),
    };
    let page = SessionPage {
        c,
        session,
        values: FormData::parse(b""),
        alert: None,
        field: None,
    };
    finish(&state, render(&page), &token)
}

#[derive(Template)]
#[template(path = "public_booked.html")]
struct BookedPage {
    c: Chrome,
    session: ClinicSession,
    booking: PublicBooking,
}

impl BookedPage {
    fn title(&self) -> String {
        session_title(self.c.lang, &self.session)
    }

    fn weekday(&self) -> String {
        weekday_label(self.c.lang, &self.session.date)
    }

    fn waitlisted(&self) -> bool {
        self.booking.status == BookingStatus::Waitlisted
    }
}

async fn book(
    State(state): State<AppState>,
    caller: Result<PublicCaller, ApiError>,
    uri: OriginalUri,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return too_many(e, here(&uri)),
    };
    let form = FormData::parse(&body);
    let token = csrf_token(&headers);
    let lang = crate::i18n::current();
    let session = match load_session(&state, &raw).await {
        Ok(s) => s,
        Err(e) => return message(chrome("public", here(&uri), &token), e.status, &e),
    };
    // Re-shows the form with what the patient typed and what went wrong.
    let again = |session: ClinicSession,
                 status: StatusCode,
                 alert: Option<String>,
                 field: Option<(String, String)>,
                 form: FormData| {
        let page = SessionPage {
            c: chrome("public", format!("/public/sessions/{}", session.id), &token),
            session,
            values: form,
            alert,
            field,
        };
        finish(&state, (status, render(&page)).into_response(), &token)
    };
    if !csrf_ok(&headers, &form) {
        let alert = crate::i18n::t(lang, "error.csrf");
        return again(session, StatusCode::FORBIDDEN, Some(alert), None, form);
    }
    let request = BookingRequest {
        name: form.get("name"),
        phone: form.get("phone"),
        id_number: form.get("id_number"),
        waitlist: !form.get("waitlist").is_empty(),
    };
    let outcome = service::book(&state.desk, &caller.actor(), &session.id, &request)
        .await
        .map_err(ApiError::from);
    match outcome {
        Ok(BookOutcome::Confirmed(booking)) | Ok(BookOutcome::Waitlisted(booking)) => {
            let status = if booking.status == BookingStatus::Waitlisted {
                StatusCode::ACCEPTED
            } else {
                StatusCode::CREATED
            };
            // The counts after this booking.
            let session = clinic_sessions::get(&state.db, &session.id)
                .await
                .unwrap_or(session);
            let page = BookedPage {
                c: chrome("public", format!("/public/sessions/{}", session.id), &token),
                session,
                booking,
            };
            finish(&state, (status, render(&page)).into_response(), &token)
        }
        Err(e) => {
            let status = e.status;
            // Fresh counts: a session that just filled up offers the waitlist.
            let session = clinic_sessions::get(&state.db, &session.id)
                .await
                .unwrap_or(session);
            match e.field.clone() {
                Some(field) => {
                    let bare = capitalised(&crate::i18n::t(lang, e.key));
                    let alert = Some(crate::i18n::t(lang, "ui.check_the_marked_fields"));
                    again(session, status, alert, Some((field, bare)), form)
                }
                None => again(session, status, Some(e.message()), None, form),
            }
        }
    }
}

// ---- looking a booking up and cancelling it ----

#[derive(Deserialize, Default)]
struct CodeQuery {
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "public_booking.html")]
struct LookupPage {
    c: Chrome,
    code: String,
    phone: String,
    alert: Option<String>,
    notice: Option<String>,
    field: Option<(String, String)>,
    found: Option<PublicBooking>,
    session: Option<ClinicSession>,
}

impl LookupPage {
    fn field_error(&self, name: &str) -> Option<String> {
        self.field
            .as_ref()
            .filter(|(f, _)| f == name)
            .map(|(_, m)| m.clone())
    }

    fn invalid(&self, name: &str) -> &'static str {
        if self.field_error(name).is_some() {
            "invalid"
        } else {
            ""
        }
    }

    fn cancellable(&self, b: &PublicBooking) -> bool {
        matches!(
            b.status,
            BookingStatus::Confirmed | BookingStatus::Waitlisted
        )
    }

    fn status_class(&self, b: &PublicBooking) -> &'static str {
        match b.status {
            BookingStatus::Confirmed => "ok",
            BookingStatus::Waitlisted => "gold",
            BookingStatus::CheckedIn => "",
            BookingStatus::Cancelled | BookingStatus::NoShow => "off",
        }
    }

    fn weekday(&self, date: &str) -> String {
        weekday_label(self.c.lang, date)
    }

    fn title(&self, s: &ClinicSession) -> String {
        session_title(self.c.lang, s)
    }
}

async fn lookup_form(
    State(state): State<AppState>,
    caller: Result<PublicCaller, ApiError>,
    uri: OriginalUri,
    headers: HeaderMap,
    Query(q): Query<CodeQuery>,
) -> Response {
    if let Err(e) = caller {
        return too_many(e, here(&uri));
    }
    let token = csrf_token(&headers);
    let page = LookupPage {
        c: chrome("booking", here(&uri), &token),
        code: q.code.unwrap_or_default().trim().to_ascii_uppercase(),
        phone: String::new(),
        alert: None,
        notice: None,
        field: None,
        found: None,
        session: None,
    };
    finish(&state, render(&page), &token)
}

/// Looks up (`cancel == false`) or cancels a booking from the posted code and phone number.
async fn lookup_or_cancel(
    state: AppState,
    caller: Result<PublicCaller, ApiError>,
    headers: HeaderMap,
    body: Bytes,
    cancel: bool,
) -> Response {
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return too_many(e, "/public/booking".into()),
    };
    let form = FormData::parse(&body);
    let token = csrf_token(&headers);
    let lang = crate::i18n::current();
    let code = form.get("booking_code").trim().to_ascii_uppercase();
    let phone = form.get("phone").trim().to_string();
    let mut page = LookupPage {
        c: chrome("booking", "/public/booking".into(), &token),
        code: code.clone(),
        phone: phone.clone(),
        alert: None,
        notice: None,
        field: None,
        found: None,
        session: None,
    };
    if !csrf_ok(&headers, &form) {
        page.alert = Some(crate::i18n::t(lang, "error.csrf"));
        return finish(
            &state,
            (StatusCode::FORBIDDEN, render(&page)).into_response(),
            &token,
        );
    }
    let status = if code.is_empty() {
        page.field = Some((
            "booking_code".into(),
            crate::i18n::t(lang, "ui.booking_code_required"),
        ));
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let req = BookingLookup {
            booking_code: code,
            phone,
        };
        let (db, desk, actor) = (&state.db, &state.desk, caller.actor());
        let result = if cancel {
            service::cancel(db, desk, &actor, &req).await
        } else {
            service::lookup(db, desk, &actor, &req).await
        }
        .map_err(ApiError::from);
        match result {
            Ok(b) => {
                page.session = clinic_sessions::get(&state.db, &b.session_id).await.ok();
                if cancel {
                    page.notice = Some(crate::i18n::t(lang, "ui.booking_cancelled_notice"));
                }
                page.found = Some(b);
                StatusCode::OK
            }
            Err(e) => {
                match e.field.clone() {
                    Some(f) => page.field = Some((f, capitalised(&crate::i18n::t(lang, e.key)))),
                    None => page.alert = Some(e.message()),
                }
                e.status
            }
        }
    };
    finish(&state, (status, render(&page)).into_response(), &token)
}

async fn lookup(
    State(state): State<AppState>,
    caller: Result<PublicCaller, ApiError>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    lookup_or_cancel(state, caller, headers, body, false).await
}

async fn cancel(
    State(state): State<AppState>,
    caller: Result<PublicCaller, ApiError>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    lookup_or_cancel(state, caller, headers, body, true).await
}
