//! Two-way referral pages (C5): the board by state, the referral form, and the referral page
//! with its steps (the arrival notice back to the sender) and the actions the viewer may take.

use super::consultations::{patient_of, person_label};
use super::dispatch::{all, given, here};
use super::{
    Chrome, Form, FormData, FormErrors, Pager, Viewer, error_page, form_failed, id_or_404,
    not_found, render,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_domain::codes::Gender;
use shanhai_domain::consultations::{Consultation, ConsultationScope, Urgency};
use shanhai_domain::referrals::{
    Direction, Referral, ReferralAction, ReferralEvent, ReferralInput, ReferralState,
    ReferralTransitionInput, may_cite_consultation,
};
use shanhai_domain::registry::{Department, Institution, Person};
use shanhai_service::referrals as service;
use shanhai_store::PageRequest;
use shanhai_store::consultations::{self, ConsultationFilter};
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::referrals::ReferralFilter;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/referrals", get(board).post(create))
        .route("/referrals/new", get(referral_form))
        .route("/referrals/closed", get(closed_list))
        .route("/referrals/{id}", get(referral_page))
        .route("/referrals/{id}/{action}", post(act))
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Clinicians and coordinators refer patients; the platform admin sees every referral.
fn uses_referrals(viewer: &Viewer) -> bool {
    shanhai_domain::referrals::visible_to(&viewer.principal).is_ok()
}

pub(super) fn state_class(s: ReferralState) -> &'static str {
    match s {
        ReferralState::Created => "gold",
        ReferralState::Accepted | ReferralState::Treated => "",
        ReferralState::Arrived => "ok",
        ReferralState::DownReferred | ReferralState::Closed => "soft",
        ReferralState::Declined | ReferralState::Cancelled => "off",
    }
}

// ---- the board ----

#[derive(Deserialize, Default)]
struct BoardQuery {
    direction: Option<String>,
}

struct Column {
    key: &'static str,
    title: String,
    items: Vec<Referral>,
    /// How many there are in all (the column shows the most recent).
    total: i64,
}

#[derive(Template)]
#[template(path = "referrals.html")]
struct BoardPage {
    c: Chrome,
    direction: String,
    columns: Vec<Column>,
    own_institution: Option<String>,
    can_create: bool,
}

impl BoardPage {
    fn class(&self, r: &Referral) -> &'static str {
        state_class(r.state)
    }

    fn empty(&self) -> bool {
        self.columns.iter().all(|c| c.total == 0)
    }

    fn truncated(&self, col: &Column) -> bool {
        i64::try_from(col.items.len()).unwrap_or(i64::MAX) < col.total
    }

    /// The other side, as the viewer sees it.
    fn counterparty(&self, r: &Referral) -> String {
        counterparty(self.own_institution.as_deref(), r)
    }

    /// The full list behind the finished column, in the board's direction.
    fn closed_href(&self) -> String {
        if self.direction.is_empty() {
            "/referrals/closed".into()
        } else {
            format!("/referrals/closed?direction={}", self.direction)
        }
    }

    fn direction_href(&self, d: &str) -> String {
        if d.is_empty() {
            "/referrals".into()
        } else {
            format!("/referrals?direction={d}")
        }
    }
}

/// The other side of a referral, as a viewer at `own` sees it ("→ receiver" or "← sender").
fn counterparty(own: Option<&str>, r: &Referral) -> String {
    let sent = own == Some(r.from_institution_id.as_str());
    let name = if sent {
        r.to_institution_name.clone()
    } else {
        r.from_institution_name.clone()
    };
    let arrow = if sent { "→ " } else { "← " };
    format!("{arrow}{}", name.unwrap_or_default())
}

/// The board's columns: one per state a referral moves through, then the finished ones.
const BOARD_COLUMNS: [(&str, &str, &[ReferralState]); 5] = [
    ("created", "ui.board_created", &[ReferralState::Created]),
    ("accepted", "ui.board_accepted", &[ReferralState::Accepted]),
    ("arrived", "ui.board_arrived", &[ReferralState::Arrived]),
    ("treated", "ui.board_treated", &[ReferralState::Treated]),
    (
        "ended",
        "ui.board_ended",
        &[
            ReferralState::DownReferred,
            ReferralState::Closed,
            ReferralState::Declined,
            ReferralState::Cancelled,
        ],
    ),
];

/// Cards per column: enough for the day's work; the oldest are behind the count.
const CARDS_PER_COLUMN: i64 = 30;
/// Finished referrals are history: the most recent few.
const FINISHED_CARDS: usize = 10;

async fn board(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<BoardQuery>,
) -> Response {
    if !uses_referrals(&viewer) {
        return error_page(&viewer, "referrals", here(&uri), ApiError::forbidden());
    }
    let direction = given(&q.direction).filter(|d| Direction::parse(d).is_some());
    let acting = viewer.acting();
    let lang = crate::i18n::current();
    let mut columns = Vec::new();
    for (key, title, states) in BOARD_COLUMNS {
        let mut column = Column {
            key,
            title: crate::i18n::t(lang, title),
            items: Vec::new(),
            total: 0,
        };
        for s in states {
            let filter = ReferralFilter {
                state: Some(s.code().to_string()),
                direction: direction.clone(),
                ..Default::default()
            };
            match service::list(
                &state.db,
                &acting,
                filter,
                PageRequest::new(Some(1), Some(CARDS_PER_COLUMN)),
            )
            .await
            {
                Ok(page) => {
                    column.total += page.total;
                    column.items.extend(page.items);
                }
                Err(e) => return error_page(&viewer, "referrals", here(&uri), e.into()),
            }
        }
        if states.len() > 1 {
            column.items.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
            column.items.truncate(FINISHED_CARDS);
        }
        columns.push(column);
    }
    no_store(render(&BoardPage {
        c: Chrome::new(Some(&viewer), "referrals", here(&uri)),
        direction: direction.unwrap_or_default(),
        columns,
        own_institution: viewer.principal.institution_id.clone(),
        can_create: uses_referrals(&viewer),
    }))
}

// ---- the finished ones ----

#[derive(Deserialize, Default)]
struct ClosedQuery {
    direction: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "referrals_closed.html")]
struct ClosedPage {
    c: Chrome,
    direction: String,
    q: String,
    referrals: shanhai_store::Page<Referral>,
    pager: Pager,
    own_institution: Option<String>,
}

impl ClosedPage {
    fn class(&self, r: &Referral) -> &'static str {
        state_class(r.state)
    }

    /// The other side, as the viewer sees it.
    fn counterparty(&self, r: &Referral) -> String {
        counterparty(self.own_institution.as_deref(), r)
    }
}

/// The board's last column in full: every finished referral, searchable, a page at a time.
async fn closed_list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ClosedQuery>,
) -> Response {
    if !uses_referrals(&viewer) {
        return error_page(&viewer, "referrals", here(&uri), ApiError::forbidden());
    }
    let direction = given(&q.direction).filter(|d| Direction::parse(d).is_some());
    let words = given(&q.q);
    let filter = ReferralFilter {
        direction: direction.clone(),
        finished: true,
        q: words.clone(),
        ..Default::default()
    };
    let page = match service::list(
        &state.db,
        &viewer.acting(),
        filter,
        PageRequest::new(q.page, Some(20)),
    )
    .await
    {
        Ok(page) => page,
        Err(e) => return error_page(&viewer, "referrals", here(&uri), e.into()),
    };
    let pager = Pager::new(
        &page,
        "/referrals/closed",
        &[("direction", direction.as_deref()), ("q", words.as_deref())],
    );
    no_store(render(&ClosedPage {
        c: Chrome::new(Some(&viewer), "referrals", here(&uri)),
        direction: direction.unwrap_or_default(),
        q: words.unwrap_or_default(),
        referrals: page,
        pager,
        own_institution: viewer.principal.institution_id.clone(),
    }))
}

// ---- one referral ----

#[derive(Template)]
#[template(path = "referral.html")]
struct ReferralPage {
    c: Chrome,
    r: Referral,
    department: Option<String>,
    coordinator: Option<Person>,
    actions: Vec<ReferralAction>,
    /// The viewer is on the sending side (the arrival notice is for them).
    sender_side: bool,
    failed: Option<(String, FormErrors)>,
    values: FormData,
}

impl ReferralPage {
    fn can(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a.code() == action)
    }

    fn class(&self) -> &'static str {
        state_class(self.r.state)
    }

    fn urgent(&self) -> bool {
        self.r.urgency == Urgency::Urgent
    }

    /// When the receiving side confirmed the patient's arrival.
    fn arrival(&self) -> Option<&ReferralEvent> {
        self.r.events.iter().find(|e| e.action == "arrive")
    }

    fn event_label(&self, e: &ReferralEvent) -> String {
        ReferralAction::parse(&e.action)
            .map(|a| a.label(self.c.lang).to_string())
            .unwrap_or_else(|| self.c.t("ui.referral_created_event"))
    }

    fn state_label(&self, code: &str) -> String {
        ReferralState::parse(code)
            .map(|s| s.label(self.c.lang).to_string())
            .unwrap_or_else(|| code.to_string())
    }

    fn failed_action(&self) -> &str {
        self.failed.as_ref().map(|(a, _)| a.as_str()).unwrap_or("")
    }

    fn field_error(&self, action: &str, field: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(a, _)| *a == action)
            .and_then(|(_, e)| e.at(field))
    }

    fn value(&self, action: &str) -> String {
        if self.failed_action() == action {
            self.values.get("note")
        } else {
            String::new()
        }
    }

    /// The actions with a note (the reason, the outcome), the others are one button.
    fn note_actions(&self) -> Vec<ReferralAction> {
        self.actions
            .iter()
            .copied()
            .filter(|a| {
                matches!(
                    a,
                    ReferralAction::Decline | ReferralAction::DownRefer | ReferralAction::Close
                )
            })
            .collect()
    }

    fn button_actions(&self) -> Vec<ReferralAction> {
        self.actions
            .iter()
            .copied()
            .filter(|a| matches!(a, ReferralAction::Arrive | ReferralAction::Treat))
            .collect()
    }

    /// The acceptance's fields: name, input type and label.
    fn accept_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        [
            ("appointment_at", "datetime-local"),
            ("ward", "text"),
            ("contact_name", "text"),
            ("contact_phone", "tel"),
        ]
        .into_iter()
        .map(|(f, kind)| (f, kind, self.c.t(format!("field.{f}"))))
        .collect()
    }

    fn accept_value(&self, field: &str) -> String {
        if self.failed_action() == "accept" {
            self.values.get(field)
        } else {
            String::new()
        }
    }

    fn note_label(&self, a: &ReferralAction) -> String {
        self.c.t(match a {
            ReferralAction::Decline => "ui.decline_reason",
            ReferralAction::DownRefer => "ui.down_refer_note",
            _ => "ui.outcome",
        })
    }
}

async fn referral_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    failed: Option<(String, FormErrors)>,
    values: FormData,
) -> Result<ReferralPage, ApiError> {
    let (r, from, actions) = service::read(&state.db, &viewer.acting(), id).await?;
    let p = &viewer.principal;
    let department = match &r.to_department_id {
        Some(d) => departments::get(&state.db, d).await.ok().map(|d| d.name),
        None => None,
    };
    let coordinator = match &r.receiving_coordinator_id {
        Some(c) => people::get(&state.db, c).await.ok(),
        None => None,
    };
    Ok(ReferralPage {
        c: Chrome::new(Some(viewer), "referrals", format!("/referrals/{id}")),
        sender_side: p.institution_id.as_deref() == Some(from.as_str()),
        r,
        department,
        coordinator,
        actions,
        failed,
        values,
    })
}

async fn referral_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => referral_data(&state, &viewer, &id, None, FormData::parse(b"")).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(mut page) => {
            page.c.here = here(&uri);
            no_store(render(&page))
        }
        Err(e) => error_page(&viewer, "referrals", here(&uri), e),
    }
}

async fn act(
    State(state): State<AppState>,
    Path((raw, raw_action)): Path<(String, String)>,
    Form { viewer, data: form }: Form,
) -> Response {
    let back = format!("/referrals/{raw}");
    let (id, action) = match (id_or_404(&raw), ReferralAction::parse(&raw_action)) {
        (Ok(id), Some(action)) => (id, action),
        _ => return not_found(&viewer, "referrals", back),
    };
    let input = ReferralTransitionInput {
        note: form.opt("note"),
        appointment_at: form.opt("appointment_at"),
        ward: form.opt("ward"),
        contact_name: form.opt("contact_name"),
        contact_phone: form.opt("contact_phone"),
    };
    let result = service::act(&state.db, &viewer.acting(), &id, action, &input)
        .await
        .map_err(ApiError::from);
    match result {
        Ok(_) => Redirect::to(&format!("/referrals/{id}")).into_response(),
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => {
            error_page(&viewer, "referrals", back, e)
        }
        Err(e) => {
            let status = e.status;
            let failed = Some((action.code().to_string(), FormErrors::from_api(&e)));
            match referral_data(&state, &viewer, &id, failed, form).await {
                Ok(page) => (status, no_store(render(&page))).into_response(),
                Err(e) => error_page(&viewer, "referrals", back, e),
            }
        }
    }
}

// ---- the form ----

#[derive(Deserialize, Default)]
struct NewQuery {
    to: Option<String>,
    consultation: Option<String>,
}

#[derive(Template)]
#[template(path = "referral_form.html")]
struct ReferralFormPage {
    c: Chrome,
    sender: Option<Institution>,
    sender_choices: Vec<Institution>,
    receivers: Vec<Institution>,
    receiver: Option<Institution>,
    departments: Vec<Department>,
    coordinators: Vec<Person>,
    consultations: Vec<Consultation>,
    directions: &'static [Direction],
    urgencies: &'static [Urgency],
    sexes: &'static [Gender],
    values: FormData,
    error: Option<FormErrors>,
}

impl ReferralFormPage {
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

    fn is_receiver(&self, id: &str) -> bool {
        self.receiver.as_ref().is_some_and(|r| r.id == id)
    }

    fn person_label(&self, p: &Person) -> String {
        person_label(p, self.c.lang)
    }

    fn consultation_label(&self, x: &Consultation) -> String {
        format!(
            "{} · {} · {} · {}",
            x.r#type.label(self.c.lang),
            x.patient_name_masked,
            x.target_institution_name.clone().unwrap_or_default(),
            self.c.time(&x.requested_at)
        )
    }
}

async fn referral_form_data(
    state: &AppState,
    viewer: &Viewer,
    receiver_id: Option<String>,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<ReferralFormPage, ApiError> {
    if !uses_referrals(viewer) {
        return Err(ApiError::forbidden());
    }
    // Patients go from and to places that treat them, never to a health commission's office.
    let everyone: Vec<Institution> =
        institutions::list(&state.db, &InstitutionFilter::default(), all())
            .await?
            .items
            .into_iter()
            .filter(|i| i.kind.treats_patients())
            .collect();
    let p = &viewer.principal;
    let sender = match &p.institution_id {
        Some(id) => everyone.iter().find(|i| &i.id == id).cloned(),
        None => given(&Some(values.get("from_institution_id")))
            .and_then(|id| everyone.iter().find(|i| i.id == id).cloned()),
    };
    let sender_choices = if p.institution_id.is_none() {
        everyone.clone()
    } else {
        Vec::new()
    };
    let own = sender.as_ref().map(|s| s.id.clone()).unwrap_or_default();
    let receivers: Vec<Institution> = everyone.iter().filter(|i| i.id != own).cloned().collect();
    let receiver = receiver_id.and_then(|id| receivers.iter().find(|i| i.id == id).cloned());
    let (departments, coordinators) = match &receiver {
        Some(r) => (
            departments::list(
                &state.db,
                &DepartmentFilter {
                    institution: Some(r.id.clone()),
                    ..Default::default()
                },
                all(),
            )
            .await?
            .items,
            people::list(
                &state.db,
                &PersonFilter {
                    institution: Some(r.id.clone()),
                    ..Default::default()
                },
                &shanhai_domain::access::Reach::All,
                all(),
            )
            .await?
            .items,
        ),
        None => (Vec::new(), Vec::new()),
    };
    // Consultations this hospital requested, for the link to the one that led to the referral.
    let consultations = if own.is_empty() {
        Vec::new()
    } else {
        consultations::list(
            &state.db,
            &ConsultationFilter {
                requested_by: Some(own.clone()),
                scope: ConsultationScope::of(p, viewer.user.person_id.as_deref()),
                ..Default::default()
            },
            PageRequest::new(Some(1), Some(50)),
        )
        .await?
        .items
    };
    Ok(ReferralFormPage {
        c: Chrome::new(Some(viewer), "referrals", "/referrals/new".into()),
        sender,
        sender_choices,
        receivers,
        receiver,
        departments,
        coordinators,
        consultations,
        directions: Direction::ALL,
        urgencies: Urgency::ALL,
        sexes: Gender::ALL,
        values,
        error,
    })
}

async fn referral_form(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewQuery>,
) -> Response {
    let mut defaults = "direction=up&urgency=routine".to_string();
    if let Some(c) = given(&q.consultation).and_then(|c| shanhai_domain::ids::parse_id(&c)) {
        defaults.push_str(&format!("&consultation_id={c}"));
    }
    let mut to = given(&q.to);
    // Referring from a consultation: the consulted hospital is the natural receiver.
    if to.is_none()
        && let Some(c) = given(&q.consultation).and_then(|c| shanhai_domain::ids::parse_id(&c))
        && let Ok(parties) = consultations::parties(&state.db, &c).await
        && may_cite_consultation(
            &viewer.principal,
            viewer.user.person_id.as_deref(),
            &parties,
        )
    {
        to = Some(parties.target_institution_id);
    }
    let values = FormData::parse(defaults.as_bytes());
    match referral_form_data(&state, &viewer, to, values, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "referrals", here(&uri), e),
    }
}

fn input_of(form: &FormData) -> Result<ReferralInput, ApiError> {
    let patient = patient_of(form)?;
    Ok(ReferralInput {
        direction: form.get("direction"),
        urgency: form.get("urgency"),
        from_institution_id: form.opt("from_institution_id"),
        to_institution_id: form.get("to_institution_id"),
        to_department_id: form.opt("to_department_id"),
        receiving_coordinator_id: form.opt("receiving_coordinator_id"),
        patient,
        reason: form.get("reason"),
        consultation_id: form.opt("consultation_id"),
        clinic_session_id: form.opt("clinic_session_id"),
    })
}

async fn create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let result: Result<Referral, ApiError> = async {
        let input = input_of(&form)?;
        let cipher = state.desk.cipher();
        Ok(service::refer(&state.db, cipher, &viewer.acting(), &input).await?)
    }
    .await;
    let e = match result {
        Ok(r) => return Redirect::to(&format!("/referrals/{}", r.id)).into_response(),
        Err(e) => e,
    };
    let to = form.opt("to_institution_id");
    form_failed(
        &viewer,
        "referrals",
        here(&uri),
        e,
        &[StatusCode::FORBIDDEN],
        |error| referral_form_data(&state, &viewer, to, form, Some(error)),
    )
    .await
}
