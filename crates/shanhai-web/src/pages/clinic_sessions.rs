//! Visiting-expert clinic pages (C3, staff side): the sessions list, one session with its
//! bookings (check-in, no-show, cancelling the session and calling its patients), and the form
//! that publishes a session.

use super::dispatch::{all, all_institutions, given, here, page_no, title_label, weekday_label};
use super::{
    Chrome, ErrorsAt, Form, FormData, FormErrors, Pager, Viewer, csrf_refused, error_page,
    form_failed, id_or_404, render,
};
use crate::AppState;
use crate::auth::AccessFacts;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::access::Reach;
use shanhai_domain::bookings::{Booking, BookingStatus};
use shanhai_domain::clinic_sessions::{
    ClinicSession, ClinicSessionInput, CopyWeekInput, SessionChangeInput, SessionStatus, VisitType,
    monday_of,
};
use shanhai_domain::registry::{Department, Institution};
use shanhai_service::clinic_sessions as service;
use shanhai_store::bookings::Contact;
use shanhai_store::clinic_sessions::{self, SessionFilter};
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::dispatch::{self, AssignmentFilter};
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::{Page, PageRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clinic-sessions", get(session_list).post(session_create))
        .route("/clinic-sessions/new", get(session_new))
        .route(
            "/clinic-sessions/copy-week",
            get(copy_week_form).post(copy_week),
        )
        .route("/clinic-sessions/{id}", get(session_page))
        .route(
            "/clinic-sessions/{id}/edit",
            get(edit_form).post(edit_session),
        )
        .route("/clinic-sessions/{id}/check-ins", post(check_in_many))
        .route(
            "/clinic-sessions/{id}/cancel",
            get(cancel_confirm).post(cancel_session),
        )
        .route(
            "/clinic-sessions/{id}/bookings/{booking}/{action}",
            post(booking_action),
        )
        // The pages' earlier address: links and bookmarks keep working (308 keeps a form's POST).
        .route("/clinics", any(old_address))
        .route("/clinics/{*rest}", any(old_address))
}

/// `/clinics…` answers with a permanent redirect to the same place under `/clinic-sessions`.
async fn old_address(uri: OriginalUri) -> Response {
    let old = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/clinics");
    let new = format!(
        "/clinic-sessions{}",
        old.strip_prefix("/clinics").unwrap_or("")
    );
    Redirect::permanent(&new).into_response()
}

/// A status badge class.
fn booking_class(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Confirmed => "ok",
        BookingStatus::CheckedIn => "",
        BookingStatus::Waitlisted => "gold",
        BookingStatus::Cancelled | BookingStatus::NoShow => "off",
    }
}

// ---- the list ----

#[derive(Deserialize, Default)]
struct ListQuery {
    institution: Option<String>,
    from: Option<String>,
    until: Option<String>,
    status: Option<String>,
    q: Option<String>,
    page: Option<String>,
    /// What was just done, said once at the top (`copied`, with `n` sessions).
    done: Option<String>,
    n: Option<String>,
}

/// The confirmation after a change, from the `done` (and `n`) of the address it led to.
fn done_notice(lang: Lang, done: Option<&str>, n: Option<&str>) -> Option<String> {
    let key = match done? {
        "check-in" => "ui.done_checked_in",
        "no-show" => "ui.done_no_show",
        "undo" => "ui.done_undone",
        "checked-in-many" => "ui.done_checked_in_many",
        "changed" => "ui.done_session_changed",
        "copied" => "ui.done_week_copied",
        _ => return None,
    };
    let n: i64 = n.and_then(|n| n.parse().ok()).unwrap_or(0);
    Some(crate::i18n::t(lang, key).replace("{n}", &n.to_string()))
}

#[derive(Template)]
#[template(path = "clinic_sessions.html")]
struct SessionsPage {
    c: Chrome,
    institution: String,
    from: String,
    until: String,
    status: String,
    q: String,
    institutions: Vec<Institution>,
    statuses: &'static [SessionStatus],
    sessions: Page<ClinicSession>,
    pager: Pager,
    can_create: bool,
    notice: Option<String>,
}

impl SessionsPage {
    fn title(&self, s: &ClinicSession) -> String {
        title_label(self.c.lang, s.expert_title.as_deref())
    }

    fn weekday(&self, date: &str) -> String {
        weekday_label(self.c.lang, date)
    }
}

async fn session_list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    // Upcoming sessions unless the viewer chose another range (an emptied field means "any").
    let from = q
        .from
        .clone()
        .unwrap_or_else(|| shanhai_store::today().to_string());
    let hosts = service::hosts(&state.db, &viewer.acting())
        .await
        .unwrap_or_default();
    // A coordinator who runs one hospital's clinics sees that hospital's unless they chose
    // otherwise (an emptied choice means every institution).
    let mut q = q;
    if q.institution.is_none() && hosts.len() == 1 {
        q.institution = Some(hosts[0].id.clone());
    }
    let filter = SessionFilter {
        institution: given(&q.institution),
        from: Some(from.clone()),
        until: given(&q.until),
        status: given(&q.status),
        q: given(&q.q),
        ..Default::default()
    };
    let page = match clinic_sessions::list(
        &state.db,
        &filter,
        PageRequest::new(page_no(&q.page), Some(25)),
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&viewer, "clinics", here(&uri), e.into()),
    };
    let mut pager = Pager::new(
        &page,
        "/clinic-sessions",
        &[
            ("institution", q.institution.as_deref()),
            ("from", Some(from.as_str())),
            ("until", q.until.as_deref()),
            ("status", q.status.as_deref()),
            ("q", q.q.as_deref()),
        ],
    );
    // An emptied "from" means any date: keep it empty on the other pages too.
    if from.is_empty() {
        for href in [&mut pager.prev, &mut pager.next].into_iter().flatten() {
            href.push_str("&from=");
        }
    }
    let can_create = !hosts.is_empty();
    render(&SessionsPage {
        c: Chrome::new(Some(&viewer), "clinics", here(&uri)),
        institution: q.institution.clone().unwrap_or_default(),
        from,
        until: q.until.clone().unwrap_or_default(),
        status: q.status.clone().unwrap_or_default(),
        q: q.q.clone().unwrap_or_default(),
        institutions: all_institutions(&state).await,
        statuses: SessionStatus::ALL,
        sessions: page,
        pager,
        can_create,
        notice: done_notice(crate::i18n::current(), q.done.as_deref(), q.n.as_deref()),
    })
}

// ---- one session ----

#[derive(Deserialize, Default)]
struct SessionQuery {
    page: Option<String>,
    done: Option<String>,
    n: Option<String>,
}

#[derive(Template)]
#[template(path = "clinic_session.html")]
struct SessionPage {
    c: Chrome,
    session: ClinicSession,
    can_run: bool,
    /// `None` when the viewer does not run the host's clinics.
    bookings: Option<Page<Booking>>,
    pager: Option<Pager>,
    /// Bookings whose patients must be told about a cancelled session.
    to_contact: Vec<Booking>,
    /// Whether the viewer may reveal their contact details (the same rule as the API).
    can_reveal: bool,
    revealed: Option<(String, Contact)>,
    error: Option<String>,
    notice: Option<String>,
    day_reached: bool,
}

impl SessionPage {
    fn title(&self) -> String {
        title_label(self.c.lang, self.session.expert_title.as_deref())
    }

    fn weekday(&self) -> String {
        weekday_label(self.c.lang, &self.session.date)
    }

    fn cancelled(&self) -> bool {
        self.session.status == SessionStatus::Cancelled
    }

    fn class(&self, b: &Booking) -> &'static str {
        booking_class(b.status)
    }

    fn can_mark(&self, b: &Booking) -> bool {
        self.can_run
            && !self.cancelled()
            && self.day_reached
            && b.status == BookingStatus::Confirmed
    }

    /// A check-in or a no-show the coordinator can take back.
    fn can_undo(&self, b: &Booking) -> bool {
        self.can_run
            && !self.cancelled()
            && matches!(b.status, BookingStatus::CheckedIn | BookingStatus::NoShow)
    }

    /// Whether any booking on this page can be checked in (the bulk check-in form).
    fn any_markable(&self) -> bool {
        self.bookings
            .as_ref()
            .is_some_and(|p| p.items.iter().any(|b| self.can_mark(b)))
    }

    /// A published session that has not ended can still be changed.
    fn can_edit(&self) -> bool {
        self.can_run && self.session.status.takes_bookings()
    }

    fn contact_of(&self, b: &Booking) -> Option<&Contact> {
        self.revealed
            .as_ref()
            .filter(|(id, _)| *id == b.id)
            .map(|(_, c)| c)
    }

    fn specialty(&self) -> String {
        self.session
            .specialty_code
            .as_deref()
            .map(|s| self.c.specialty(s))
            .unwrap_or_default()
    }
}

struct Extras {
    page: Option<i64>,
    error: Option<String>,
    notice: Option<String>,
    revealed: Option<(String, Contact)>,
}

async fn session_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    extras: Extras,
) -> Result<SessionPage, ApiError> {
    let session = clinic_sessions::get(&state.db, id).await?;
    let acting = viewer.acting();
    let can_run = service::may_run(&state.db, &acting, &session.institution_id)
        .await
        .is_ok();
    let (bookings, pager, to_contact) = if can_run {
        let page = service::bookings(
            &state.db,
            &acting,
            id,
            None,
            PageRequest::new(extras.page, Some(100)),
        )
        .await?;
        let pager = Pager::new(&page, &format!("/clinic-sessions/{id}"), &[]);
        let to_contact = if session.status == SessionStatus::Cancelled {
            page.items
                .iter()
                .filter(|b| {
                    matches!(
                        b.status,
                        BookingStatus::Confirmed | BookingStatus::Waitlisted
                    )
                })
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        (Some(page), Some(pager), to_contact)
    } else {
        (None, None, Vec::new())
    };
    let day_reached = session.date <= shanhai_store::today().to_string();
    let can_reveal = reveals_contact(viewer, &session).is_ok();
    Ok(SessionPage {
        c: Chrome::new(Some(viewer), "clinics", format!("/clinic-sessions/{id}")),
        session,
        can_run,
        bookings,
        pager,
        to_contact,
        can_reveal,
        revealed: extras.revealed,
        error: extras.error,
        notice: extras.notice,
        day_reached,
    })
}

async fn session_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Query(q): Query<SessionQuery>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => {
            session_data(
                &state,
                &viewer,
                &id,
                Extras {
                    page: page_no(&q.page),
                    error: None,
                    notice: done_notice(crate::i18n::current(), q.done.as_deref(), q.n.as_deref()),
                    revealed: None,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(mut page) => {
            page.c.here = here(&uri);
            no_store(render(&page))
        }
        Err(e) => error_page(&viewer, "clinics", here(&uri), e),
    }
}

/// Pages that show patient data are not kept in caches.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The access policy's answer to revealing this session's patients' contact details.
fn reveals_contact(
    viewer: &Viewer,
    session: &ClinicSession,
) -> Result<(), shanhai_domain::access::Refusal> {
    viewer.principal.may_reveal_booking_contact(
        &session.institution_id,
        session.status == SessionStatus::Cancelled,
    )
}

/// Check-in, no-show and revealing a patient's contact details.
async fn booking_action(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((raw, raw_booking, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    let back = format!("/clinic-sessions/{raw}");
    let (id, booking_id) = match (id_or_404(&raw), id_or_404(&raw_booking)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return error_page(&viewer, "clinics", back, ApiError::not_found()),
    };
    if !viewer.csrf_ok(&form.get("csrf")) {
        return csrf_refused(&viewer, "clinics", back);
    }
    let acting = viewer.acting();
    let outcome: Result<Option<Contact>, ApiError> = match action.as_str() {
        "check-in" | "no-show" | "undo" => {
            let status = match action.as_str() {
                "check-in" => BookingStatus::CheckedIn,
                "no-show" => BookingStatus::NoShow,
                _ => BookingStatus::Confirmed,
            };
            service::mark(&state.db, &acting, &booking_id, Some(&id), status)
                .await
                .map(|_| None)
                .map_err(ApiError::from)
        }
        "contact" => {
            let cipher = state.desk.cipher();
            service::reveal_contact(&state.db, cipher, &acting, &booking_id, Some(&id))
                .await
                .map(Some)
                .map_err(ApiError::from)
        }
        _ => return error_page(&viewer, "clinics", back, ApiError::not_found()),
    };
    // Refused outright (no such booking here, not the viewer's clinic): an error page; a
    // refused reveal or a booking not in a markable state: the session page says why.
    let outcome = match outcome {
        Err(e)
            if e.status == StatusCode::NOT_FOUND
                || (e.status == StatusCode::FORBIDDEN && action != "contact") =>
        {
            return error_page(&viewer, "clinics", back, e);
        }
        other => other,
    };
    match outcome {
        // After a change, back to the session (so that reloading does not post again).
        Ok(None) => Redirect::to(&format!(
            "/clinic-sessions/{id}?done={action}#b-{booking_id}"
        ))
        .into_response(),
        // The contact details are shown once, in this answer, never in a URL.
        Ok(Some(contact)) => {
            let extras = Extras {
                page: None,
                error: None,
                notice: None,
                revealed: Some((booking_id.clone(), contact)),
            };
            match session_data(&state, &viewer, &id, extras).await {
                Ok(page) => no_store(render(&page)),
                Err(e) => error_page(&viewer, "clinics", back, e),
            }
        }
        Err(e) => {
            let status = e.status;
            let extras = Extras {
                page: None,
                error: Some(e.message()),
                notice: None,
                revealed: None,
            };
            match session_data(&state, &viewer, &id, extras).await {
                Ok(page) => (status, no_store(render(&page))).into_response(),
                Err(e) => error_page(&viewer, "clinics", back, e),
            }
        }
    }
}

/// Checks in the bookings ticked in the session page's list, all at once.
async fn check_in_many(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    let back = format!("/clinic-sessions/{raw}");
    let Ok(id) = id_or_404(&raw) else {
        return error_page(&viewer, "clinics", back, ApiError::not_found());
    };
    if !viewer.csrf_ok(&form.get("csrf")) {
        return csrf_refused(&viewer, "clinics", back);
    }
    let ids: Vec<String> = form
        .all("booking")
        .iter()
        .filter_map(|b| id_or_404(b).ok())
        .collect();
    match service::check_in_many(&state.db, &viewer.acting(), &id, &ids).await {
        Ok(done) => Redirect::to(&format!(
            "/clinic-sessions/{id}?done=checked-in-many&n={}",
            done.len()
        ))
        .into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            if e.status == StatusCode::FORBIDDEN {
                return error_page(&viewer, "clinics", back, e);
            }
            let status = e.status;
            let extras = Extras {
                page: None,
                error: Some(e.message()),
                notice: None,
                revealed: None,
            };
            match session_data(&state, &viewer, &id, extras).await {
                Ok(page) => (status, no_store(render(&page))).into_response(),
                Err(e) => error_page(&viewer, "clinics", back, e),
            }
        }
    }
}

// ---- changing a published session ----

#[derive(Template)]
#[template(path = "clinic_session_edit.html")]
struct EditPage {
    c: Chrome,
    session: ClinicSession,
    departments: Vec<Department>,
    values: FormData,
    error: Option<FormErrors>,
}

impl EditPage {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }

    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }

    fn title(&self) -> String {
        title_label(self.c.lang, self.session.expert_title.as_deref())
    }

    fn weekday(&self) -> String {
        weekday_label(self.c.lang, &self.session.date)
    }
}

async fn edit_data(
    state: &AppState,
    viewer: &Viewer,
    raw: &str,
    values: Option<FormData>,
    error: Option<FormErrors>,
) -> Result<EditPage, ApiError> {
    let id = id_or_404(raw)?;
    let session = service::hosted(&state.db, &viewer.acting(), &id).await?;
    if !session.status.takes_bookings() {
        return Err(ApiError::from(shanhai_service::ServiceError::Conflict(
            match session.status {
                SessionStatus::Cancelled => "error.session_already_cancelled",
                _ => "error.session_ended_no_change",
            },
        )));
    }
    let departments = departments::list(
        &state.db,
        &DepartmentFilter {
            institution: Some(session.institution_id.clone()),
            ..Default::default()
        },
        all(),
    )
    .await?
    .items;
    let values = values.unwrap_or_else(|| {
        let mut v = form_urlencoded::Serializer::new(String::new());
        v.append_pair("date", &session.date)
            .append_pair("start", &session.start)
            .append_pair("end", &session.end)
            .append_pair("capacity", &session.capacity.to_string())
            .append_pair(
                "department_id",
                session.department_id.as_deref().unwrap_or(""),
            )
            .append_pair("note", session.note.as_deref().unwrap_or(""));
        FormData::parse(v.finish().as_bytes())
    });
    Ok(EditPage {
        c: Chrome::new(
            Some(viewer),
            "clinics",
            format!("/clinic-sessions/{id}/edit"),
        ),
        session,
        departments,
        values,
        error,
    })
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    match edit_data(&state, &viewer, &raw, None, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "clinics", here(&uri), e),
    }
}

async fn edit_session(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let input = SessionChangeInput {
        date: form.get("date"),
        start: form.get("start"),
        end: form.get("end"),
        // Not a whole number: out of range, said beside the field with the other problems.
        capacity: form.get("capacity").trim().parse().unwrap_or(0),
        department_id: form.opt("department_id"),
        note: form.opt("note"),
    };
    let e = match id_or_404(&raw) {
        Ok(id) => match service::change(&state.db, &viewer.acting(), &id, &input).await {
            Ok(s) => {
                return Redirect::to(&format!("/clinic-sessions/{}?done=changed", s.id))
                    .into_response();
            }
            Err(e) => ApiError::from(e),
        },
        Err(e) => e,
    };
    form_failed(
        &viewer,
        "clinics",
        here(&uri),
        e,
        &[
            StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND,
            StatusCode::CONFLICT,
        ],
        |error| edit_data(&state, &viewer, &raw, Some(form), Some(error)),
    )
    .await
}

// ---- copying a week ----

#[derive(Template)]
#[template(path = "clinic_session_copy.html")]
struct CopyWeekPage {
    c: Chrome,
    hosts: Vec<Institution>,
    values: FormData,
    error: Option<FormErrors>,
}

impl CopyWeekPage {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }

    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }
}

async fn copy_data(
    state: &AppState,
    viewer: &Viewer,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<CopyWeekPage, ApiError> {
    let hosts = service::hosts(&state.db, &viewer.acting()).await?;
    if hosts.is_empty() {
        return Err(ApiError::forbidden());
    }
    Ok(CopyWeekPage {
        c: Chrome::new(Some(viewer), "clinics", "/clinic-sessions/copy-week".into()),
        hosts,
        values,
        error,
    })
}

#[derive(Deserialize, Default)]
struct CopyQuery {
    institution: Option<String>,
    from_week: Option<String>,
}

async fn copy_week_form(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<CopyQuery>,
) -> Response {
    let this_monday = monday_of(shanhai_store::today());
    let from = given(&q.from_week).unwrap_or_else(|| this_monday.to_string());
    let values = {
        let mut v = form_urlencoded::Serializer::new(String::new());
        v.append_pair("institution_id", &given(&q.institution).unwrap_or_default())
            .append_pair("from_week", &from)
            .append_pair(
                "to_week",
                &(this_monday + chrono::Duration::days(7)).to_string(),
            );
        FormData::parse(v.finish().as_bytes())
    };
    match copy_data(&state, &viewer, values, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "clinics", here(&uri), e),
    }
}

async fn copy_week(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let input = CopyWeekInput {
        institution_id: form.get("institution_id"),
        from_week: form.get("from_week"),
        to_week: form.get("to_week"),
    };
    let e = match service::copy_week(&state.db, &viewer.acting(), &input).await {
        Ok(outcome) => {
            let monday = chrono::NaiveDate::parse_from_str(input.to_week.trim(), "%Y-%m-%d")
                .map(monday_of)
                .unwrap_or_else(|_| shanhai_store::today());
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("institution", input.institution_id.trim())
                .append_pair("from", &monday.to_string())
                .append_pair("until", &(monday + chrono::Duration::days(6)).to_string())
                .append_pair("done", "copied")
                .append_pair("n", &outcome.created.len().to_string());
            return Redirect::to(&format!("/clinic-sessions?{}", q.finish())).into_response();
        }
        Err(e) => ApiError::from(e),
    };
    form_failed(
        &viewer,
        "clinics",
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN],
        |error| copy_data(&state, &viewer, form, Some(error)),
    )
    .await
}

// ---- cancelling a session ----

#[derive(Template)]
#[template(path = "clinic_session_cancel.html")]
struct CancelPage {
    c: Chrome,
    session: ClinicSession,
    affected: i64,
}

impl CancelPage {
    fn weekday(&self) -> String {
        weekday_label(self.c.lang, &self.session.date)
    }
}

async fn may_cancel(
    state: &AppState,
    viewer: &Viewer,
    raw: &str,
) -> Result<ClinicSession, ApiError> {
    let id = id_or_404(raw)?;
    Ok(service::hosted(&state.db, &viewer.acting(), &id).await?)
}

async fn cancel_confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    match may_cancel(&state, &viewer, &raw).await {
        Ok(session) if session.status == SessionStatus::Cancelled => {
            Redirect::to(&format!("/clinic-sessions/{}", session.id)).into_response()
        }
        Ok(session) => render(&CancelPage {
            c: Chrome::new(Some(&viewer), "clinics", here(&uri)),
            affected: session.booked + session.waitlisted,
            session,
        }),
        Err(e) => error_page(&viewer, "clinics", here(&uri), e),
    }
}

async fn cancel_session(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let form = FormData::parse(&body);
    if !viewer.csrf_ok(&form.get("csrf")) {
        return csrf_refused(&viewer, "clinics", here(&uri));
    }
    let result = match may_cancel(&state, &viewer, &raw).await {
        Ok(session) => service::cancel(&state.db, &viewer.acting(), &session.id)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(session) => Redirect::to(&format!("/clinic-sessions/{}", session.id)).into_response(),
        Err(e) => error_page(&viewer, "clinics", here(&uri), e),
    }
}

// ---- publishing a session ----

#[derive(Deserialize, Default)]
struct NewQuery {
    institution: Option<String>,
}

/// A person offered in the expert select.
struct ExpertOption {
    id: String,
    label: String,
    /// The top-level 诊疗科目 of the person's specialty, when known: the form shows only the
    /// experts of the chosen department's specialty (and those whose specialty is not known).
    specialty: String,
}

/// The top-level 诊疗科目 code of a specialty code (`03.06` → `03`).
fn top_specialty(code: Option<&str>) -> String {
    code.map(|c| c.split('.').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

struct ExpertGroup {
    label: String,
    experts: Vec<ExpertOption>,
}

#[derive(Template)]
#[template(path = "clinic_session_form.html")]
struct SessionFormPage {
    c: Chrome,
    hosts: Vec<Institution>,
    host: Option<Institution>,
    departments: Vec<Department>,
    experts: Vec<ExpertGroup>,
    visit_types: &'static [VisitType],
    values: FormData,
    error: Option<FormErrors>,
}

impl SessionFormPage {
    fn top(&self, code: &str) -> String {
        top_specialty(Some(code))
    }

    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }

    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }
}

async fn session_form(
    state: &AppState,
    viewer: &Viewer,
    host_id: Option<String>,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<SessionFormPage, ApiError> {
    let hosts = service::hosts(&state.db, &viewer.acting()).await?;
    if hosts.is_empty() {
        return Err(ApiError::forbidden());
    }
    let host_id = host_id.or_else(|| (hosts.len() == 1).then(|| hosts[0].id.clone()));
    let host = host_id.and_then(|id| hosts.iter().find(|h| h.id == id).cloned());
    let lang = crate::i18n::current();
    let (departments, experts) = match &host {
        Some(h) => (
            departments::list(
                &state.db,
                &DepartmentFilter {
                    institution: Some(h.id.clone()),
                    ..Default::default()
                },
                all(),
            )
            .await?
            .items,
            expert_groups(state, viewer, h, lang).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    Ok(SessionFormPage {
        c: Chrome::new(Some(viewer), "clinics", "/clinic-sessions/new".into()),
        hosts,
        host,
        departments,
        experts,
        visit_types: VisitType::ALL,
        values,
        error,
    })
}

/// The experts a session at `host` may be published for: the experts dispatched there (running
/// or upcoming assignments), the host's own staff, and the people of the other institutions the
/// viewer reaches.
async fn expert_groups(
    state: &AppState,
    viewer: &Viewer,
    host: &Institution,
    lang: Lang,
) -> Result<Vec<ExpertGroup>, ApiError> {
    let mut seen = std::collections::HashSet::new();
    let mut groups = Vec::new();
    let assigned = dispatch::all_assignments(
        &state.db,
        &AssignmentFilter {
            institution: Some(host.id.clone()),
            from: Some(shanhai_store::today().to_string()),
            ..Default::default()
        },
        500,
    )
    .await?;
    let mut dispatched = Vec::new();
    // Only physicians hold clinics: not nurses, technicians, researchers or administrators.
    let physician = |code: Option<&str>| {
        code.and_then(shanhai_domain::codes::Title::parse)
            .is_some_and(|t| t.is_physician())
    };
    for a in assigned {
        if physician(a.person_title.as_deref()) && seen.insert(a.person_id.clone()) {
            dispatched.push(ExpertOption {
                label: format!(
                    "{} · {} · {}",
                    a.person_name.clone().unwrap_or_default(),
                    title_label(lang, a.person_title.as_deref()),
                    a.home_institution_name.clone().unwrap_or_default()
                ),
                id: a.person_id,
                specialty: String::new(),
            });
        }
    }
    if !dispatched.is_empty() {
        groups.push(ExpertGroup {
            label: crate::i18n::t(lang, "ui.dispatched_experts"),
            experts: dispatched,
        });
    }
    let facts = AccessFacts::load(&state.db).await?;
    let reach = facts.reach(&viewer.principal);
    let person_option = |p: shanhai_domain::registry::Person| ExpertOption {
        label: format!(
            "{} · {}{}",
            p.name,
            p.title.label(lang),
            p.institution_name
                .as_deref()
                .map(|n| format!(" · {n}"))
                .unwrap_or_default()
        ),
        specialty: top_specialty(p.specialty_code.as_deref()),
        id: p.id,
    };
    let staff = people::list(
        &state.db,
        &PersonFilter {
            institution: Some(host.id.clone()),
            ..Default::default()
        },
        &Reach::All,
        all(),
    )
    .await?;
    let staff: Vec<ExpertOption> = staff
        .items
        .into_iter()
        .filter(|p| p.title.is_physician() && seen.insert(p.id.clone()))
        .map(person_option)
        .collect();
    if !staff.is_empty() {
        groups.push(ExpertGroup {
            label: format!("{} · {}", crate::i18n::t(lang, "ui.host_staff"), host.name),
            experts: staff,
        });
    }
    // Other institutions the viewer reaches (everyone's, for the platform admin, is too many
    // to list: the dispatched experts and the host's staff cover the usual case).
    if let Reach::Some(set) = &reach {
        let others: std::collections::BTreeSet<String> =
            set.iter().filter(|i| **i != host.id).cloned().collect();
        if !others.is_empty() {
            let list = people::list(
                &state.db,
                &PersonFilter::default(),
                &Reach::Some(others),
                all(),
            )
            .await?;
            let more: Vec<ExpertOption> = list
                .items
                .into_iter()
                .filter(|p| p.title.is_physician() && seen.insert(p.id.clone()))
                .map(person_option)
                .collect();
            if !more.is_empty() {
                groups.push(ExpertGroup {
                    label: crate::i18n::t(lang, "ui.other_reachable_people"),
                    experts: more,
                });
            }
        }
    }
    Ok(groups)
}

async fn session_new(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewQuery>,
) -> Response {
    let tomorrow = shanhai_store::today() + chrono::Duration::days(1);
    let defaults = format!("date={tomorrow}&start=08:30&end=11:30&capacity=20&visit_type=expert");
    match session_form(
        &state,
        &viewer,
        given(&q.institution),
        FormData::parse(defaults.as_bytes()),
        None,
    )
    .await
    {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "clinics", here(&uri), e),
    }
}

async fn session_create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let host = form.get("institution_id");
    let input = ClinicSessionInput {
        expert_id: form.get("expert_id"),
        institution_id: host.clone(),
        department_id: form.opt("department_id"),
        assignment_id: None,
        date: form.get("date"),
        start: form.get("start"),
        end: form.get("end"),
        // Not a whole number: out of range, said beside the field with the other problems.
        capacity: form.get("capacity").trim().parse().unwrap_or(0),
        slot_minutes: None,
        visit_type: form.opt("visit_type"),
        note: form.opt("note"),
    };
    let e = match service::publish(&state.db, &viewer.acting(), &input).await {
        Ok(session) => {
            return Redirect::to(&format!("/clinic-sessions/{}", session.id)).into_response();
        }
        Err(e) => ApiError::from(e),
    };
    let host = Some(host).filter(|h| !h.is_empty());
    form_failed(
        &viewer,
        "clinics",
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN],
        |error| session_form(&state, &viewer, host, form, Some(error)),
    )
    .await
}
