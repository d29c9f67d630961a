//! Remote consultation pages (C4): the queue (waiting for me, requested by us, everything I can
//! see), the request form with its attachments, and the consultation page with the DICOM
//! previews, the signed opinions, the timeline and the actions the viewer may take now.

use super::dispatch::{all, given, here, page_no};
use super::{
    Chrome, ErrorsAt, Form, FormData, FormErrors, Pager, Viewer, csrf_refused, error_page,
    form_failed, id_or_404, not_found, render,
};
use crate::AppState;
use crate::api::attachments;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Multipart, OriginalUri, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_domain::codes::Gender;
use shanhai_domain::consultations::{
    Consultation, ConsultationAction, ConsultationEvent, ConsultationInput, ConsultationState,
    ConsultationType, DicomSummary, Opinion, PatientInput, TransitionInput, Urgency,
};
use shanhai_domain::registry::{Institution, Person};
use shanhai_domain::specialty::Specialty;
use shanhai_service::consultations as service;
use shanhai_store::consultations::{self, ConsultationFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::pairings::{self, PairingFilter};
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::{Page, PageRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/consultations",
            // The attachment receiver enforces its own limit while streaming.
            get(queue).post(create).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/consultations/{id}/attachments",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/attachments/{id}/content", get(attachment_content))
        .route("/attachments/{id}/preview", get(attachment_preview))
        .route("/consultations/new", get(request_form))
        .route("/consultations/{id}", get(consultation_page))
        .route("/consultations/{id}/report", get(report_page))
        .route("/consultations/{id}/{action}", post(act))
}

/// Pages that show patient data are not kept in caches.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The badge class of a consultation state.
pub(super) fn state_class(s: ConsultationState) -> &'static str {
    match s {
        ConsultationState::Requested => "gold",
        ConsultationState::Accepted | ConsultationState::Scheduled | ConsultationState::Held => "",
        ConsultationState::Signed => "ok",
        ConsultationState::Closed => "soft",
        ConsultationState::Declined | ConsultationState::Cancelled => "off",
    }
}

/// Whether the viewer may request consultations (for their own institution).
/// Whether the viewer may request consultations (from their own institution, or for the
/// platform admin any).
fn may_request(viewer: &Viewer) -> bool {
    let p = &viewer.principal;
    shanhai_domain::consultations::may_request(p, None).is_ok()
        && (p.is_admin() || p.institution_id.is_some())
}

// ---- the queue ----

/// Which consultations the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    /// Waiting for the viewer or their department to act.
    Waiting,
    /// Requested by the viewer's institution.
    Requested,
    /// Everything the viewer takes part in.
    All,
}

impl Tab {
    fn parse(s: Option<&str>) -> Tab {
        match s {
            Some("requested") => Tab::Requested,
            Some("all") => Tab::All,
            _ => Tab::Waiting,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Tab::Waiting => "waiting",
            Tab::Requested => "requested",
            Tab::All => "all",
        }
    }
}

#[derive(Deserialize, Default)]
struct QueueQuery {
    tab: Option<String>,
    state: Option<String>,
    overdue: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "consultations.html")]
struct QueuePage {
    c: Chrome,
    tab: &'static str,
    state: String,
    overdue: bool,
    states: &'static [ConsultationState],
    items: Page<Consultation>,
    pager: Pager,
    can_request: bool,
    has_institution: bool,
}

impl QueuePage {
    fn class(&self, x: &Consultation) -> &'static str {
        state_class(x.state)
    }

    fn tab_href(&self, tab: &str) -> String {
        let mut q = vec![format!("tab={tab}")];
        if !self.state.is_empty() {
            q.push(format!("state={}", super::urlencode(&self.state)));
        }
        if self.overdue {
            q.push("overdue=1".into());
        }
        format!("/consultations?{}", q.join("&"))
    }
}

const QUEUE_PAGE_SIZE: i64 = 25;

async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<QueueQuery>,
) -> Response {
    let tab = Tab::parse(q.tab.as_deref());
    let state_filter = given(&q.state).filter(|s| ConsultationState::parse(s).is_some());
    let overdue = given(&q.overdue).is_some();
    let p = &viewer.principal;
    let request = PageRequest::new(page_no(&q.page), Some(QUEUE_PAGE_SIZE));
    let loaded: Result<Page<Consultation>, ApiError> = match tab {
        Tab::Waiting => service::waiting(
            &state.db,
            &viewer.acting(),
            state_filter.as_deref(),
            overdue,
            request,
        )
        .await
        .map_err(ApiError::from),
        Tab::Requested | Tab::All => {
            let requested_by = match tab {
                Tab::Requested => Some(p.institution_id.clone().unwrap_or_default()),
                _ => None,
            };
            let filter = ConsultationFilter {
                state: state_filter.clone(),
                requested_by,
                overdue_only: overdue,
                ..Default::default()
            };
            service::list(&state.db, &viewer.acting(), filter, request)
                .await
                .map_err(ApiError::from)
        }
    };
    let items = match loaded {
        Ok(items) => items,
        Err(e) => return error_page(&viewer, "consultations", here(&uri), e),
    };
    let pager = Pager::new(
        &items,
        "/consultations",
        &[
            ("tab", Some(tab.code())),
            ("state", state_filter.as_deref()),
            ("overdue", overdue.then_some("1")),
        ],
    );
    no_store(render(&QueuePage {
        c: Chrome::new(Some(&viewer), "consultations", here(&uri)),
        tab: tab.code(),
        state: state_filter.unwrap_or_default(),
        overdue,
        states: ConsultationState::ALL,
        items,
        pager,
        can_request: may_request(&viewer),
        has_institution: p.institution_id.is_some(),
    }))
}

// ---- one consultation ----

#[derive(Template)]
#[template(path = "consultation.html")]
struct ConsultationPage {
    c: Chrome,
    x: Consultation,
    /// The actions the viewer may take in the current state.
    actions: Vec<ConsultationAction>,
    can_upload: bool,
    can_refer: bool,
    /// The action whose form failed, with what went wrong.
    failed: Option<(String, FormErrors)>,
    /// What the failed form held.
    values: FormData,
    notice: Option<String>,
}

impl ConsultationPage {
    fn can(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a.code() == action)
    }

    fn class(&self) -> &'static str {
        state_class(self.x.state)
    }

    fn is_mdt(&self) -> bool {
        self.x.r#type == ConsultationType::Mdt
    }

    fn urgent(&self) -> bool {
        self.x.urgency == Urgency::Urgent
    }

    fn specialty(&self) -> String {
        self.x
            .target_specialty_code
            .as_deref()
            .map(|s| self.c.specialty(s))
            .unwrap_or_default()
    }

    /// Opinions, the current (latest) version first.
    fn opinions(&self) -> Vec<&Opinion> {
        let mut v: Vec<&Opinion> = self.x.opinions.iter().collect();
        v.sort_by_key(|o| std::cmp::Reverse(o.version));
        v
    }

    fn latest_version(&self) -> i64 {
        self.x.opinions.iter().map(|o| o.version).max().unwrap_or(0)
    }

    fn amended(&self, o: &Opinion) -> bool {
        o.version < self.latest_version()
    }

    /// What the opinion editor starts with: what was typed, or the current version to amend.
    fn opinion_draft(&self) -> String {
        if self.failed_action() == "sign" {
            return self.values.get("opinion");
        }
        self.opinions()
            .first()
            .map(|o| o.text.clone())
            .unwrap_or_default()
    }

    fn failed_action(&self) -> &str {
        self.failed.as_ref().map(|(a, _)| a.as_str()).unwrap_or("")
    }

    /// The error beside `field` of the `action` form.
    fn field_error(&self, action: &str, field: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(a, _)| *a == action)
            .and_then(|(_, e)| e.at(field))
    }

    fn value(&self, action: &str, field: &str) -> String {
        if self.failed_action() == action {
            self.values.get(field)
        } else {
            String::new()
        }
    }

    fn event_label(&self, e: &ConsultationEvent) -> String {
        ConsultationAction::parse(&e.action)
            .map(|a| a.label(self.c.lang).to_string())
            .unwrap_or_else(|| self.c.t("ui.consultation_requested_event"))
    }

    fn state_label(&self, code: &str) -> String {
        ConsultationState::parse(code)
            .map(|s| s.label(self.c.lang).to_string())
            .unwrap_or_else(|| code.to_string())
    }

    /// `2025-03-01T14:30` (Shanghai time) as shown.
    fn scheduled(&self) -> String {
        self.x
            .scheduled_at
            .as_deref()
            .map(|s| s.replace('T', " "))
            .unwrap_or_default()
    }

    /// An attachment URL of the API, served to the pages under the session.
    fn page_url(&self, api_url: &str) -> String {
        api_url.replacen("/api/v1/attachments/", "/attachments/", 1)
    }

    fn size(&self, bytes: &i64) -> String {
        let b = *bytes as f64;
        if b >= 1024.0 * 1024.0 {
            format!("{:.1} MB", b / 1024.0 / 1024.0)
        } else if b >= 1024.0 {
            format!("{:.0} KB", b / 1024.0)
        } else {
            format!("{bytes} B")
        }
    }

    fn dimensions(&self, d: &DicomSummary) -> String {
        let mut s = match (d.columns, d.rows) {
            (Some(c), Some(r)) => format!("{c} × {r}"),
            _ => "—".to_string(),
        };
        if let Some(f) = d.frames.filter(|f| *f > 1) {
            s.push_str(&format!(" · {f} {}", self.c.t("ui.frames")));
        }
        s
    }

    fn window(&self, d: &DicomSummary) -> String {
        d.window
            .map(|(centre, width)| format!("C {centre:.0} / W {width:.0}"))
            .unwrap_or_default()
    }

    fn default_schedule(&self) -> String {
        let v = self.value("schedule", "scheduled_at");
        if !v.is_empty() {
            return v;
        }
        if let Some(s) = &self.x.scheduled_at {
            return s.clone();
        }
        (chrono::Utc::now() + chrono::Duration::hours(8 + 24))
            .format("%Y-%m-%dT09:00")
            .to_string()
    }
}

struct Extras {
    failed: Option<(String, FormErrors)>,
    values: FormData,
    notice: Option<String>,
}

impl Extras {
    fn none() -> Extras {
        Extras {
            failed: None,
            values: FormData::parse(b""),
            notice: None,
        }
    }
}

/// The consultation as the viewer may see it (403 for anyone not taking part; the read is
/// audited).
async fn consultation_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    extras: Extras,
) -> Result<ConsultationPage, ApiError> {
    let (x, parties, actions) = service::read(&state.db, &viewer.acting(), id).await?;
    let can_refer = shanhai_domain::referrals::is_staff_of(
        &viewer.principal,
        &parties.requesting_institution_id,
    );
    Ok(ConsultationPage {
        c: Chrome::new(
            Some(viewer),
            "consultations",
            format!("/consultations/{id}"),
        ),
        can_upload: !x.state.is_final(),
        can_refer,
        x,
        actions,
        failed: extras.failed,
        values: extras.values,
        notice: extras.notice,
    })
}

async fn consultation_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => consultation_data(&state, &viewer, &id, Extras::none()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(mut page) => {
            page.c.here = here(&uri);
            no_store(render(&page))
        }
        Err(e) => error_page(&viewer, "consultations", here(&uri), e),
    }
}

// ---- the printable report (会诊报告单) ----

#[derive(Template)]
#[template(path = "consultation_report.html")]
struct ReportPage {
    c: Chrome,
    x: Consultation,
}

impl ReportPage {
    fn specialty(&self) -> String {
        self.x
            .target_specialty_code
            .as_deref()
            .map(|s| self.c.specialty(s))
            .unwrap_or_default()
    }

    /// The opinion in force: the latest signed version.
    fn opinion(&self) -> Option<&Opinion> {
        self.x.opinions.iter().max_by_key(|o| o.version)
    }

    fn scheduled(&self) -> String {
        self.x
            .scheduled_at
            .as_deref()
            .map(|s| s.replace('T', " "))
            .unwrap_or_default()
    }
}

/// The consultation report to print: the case as the viewer may see it on the consultation page
/// (the same access rule and the same masked patient details; the read is audited), the
/// question, the opinion in force and who signed it, with title, hospital and time.
async fn report_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => service::read(&state.db, &viewer.acting(), &id)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok((x, _, _)) => no_store(render(&ReportPage {
            c: Chrome::new(Some(&viewer), "consultations", here(&uri)),
            x,
        })),
        Err(e) => error_page(&viewer, "consultations", here(&uri), e),
    }
}

/// The action forms: accept, decline, schedule, hold, sign, close, cancel. The same rules as the
/// API; a refusal (409 when someone else moved first, 422 for a missing reason) comes back on
/// the page beside the form.
async fn act(
    State(state): State<AppState>,
    Path((raw, raw_action)): Path<(String, String)>,
    Form { viewer, data: form }: Form,
) -> Response {
    let back = format!("/consultations/{raw}");
    let (id, action) = match (id_or_404(&raw), ConsultationAction::parse(&raw_action)) {
        (Ok(id), Some(action)) => (id, action),
        _ => return not_found(&viewer, "consultations", back),
    };
    let input = TransitionInput {
        reason: form.opt("reason"),
        scheduled_at: form.opt("scheduled_at"),
        opinion: form.opt("opinion"),
        decision: form.opt("decision"),
    };
    let result = service::transition(&state.db, &viewer.acting(), &id, action, &input)
        .await
        .map_err(ApiError::from);
    match result {
        Ok(_) => Redirect::to(&format!("/consultations/{id}#state")).into_response(),
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => {
            error_page(&viewer, "consultations", back, e)
        }
        Err(e) => {
            let status = e.status;
            let extras = Extras {
                failed: Some((action.code().to_string(), FormErrors::from_api(&e))),
                values: form,
                notice: None,
            };
            match consultation_data(&state, &viewer, &id, extras).await {
                Ok(page) => (status, no_store(render(&page))).into_response(),
                Err(e) => error_page(&viewer, "consultations", back, e),
            }
        }
    }
}

// ---- the request form ----

#[derive(Deserialize, Default)]
struct NewQuery {
    target: Option<String>,
}

/// An institution in the target select.
struct TargetGroup {
    label: String,
    institutions: Vec<Institution>,
}

#[derive(Template)]
#[template(path = "consultation_form.html")]
struct RequestFormPage {
    c: Chrome,
    /// The requesting institution (the viewer's own), or the choice for the platform admin.
    requesting: Option<Institution>,
    requesting_choices: Vec<Institution>,
    targets: Vec<TargetGroup>,
    target: Option<Institution>,
    experts: Vec<Person>,
    types: &'static [ConsultationType],
    urgencies: &'static [Urgency],
    sexes: &'static [Gender],
    specialties: &'static [Specialty],
    values: FormData,
    error: Option<FormErrors>,
}

impl RequestFormPage {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }

    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }

    fn is_target(&self, id: &str) -> bool {
        self.target.as_ref().is_some_and(|t| t.id == id)
    }

    fn expert_label(&self, p: &Person) -> String {
        person_label(p, self.c.lang)
    }

    fn chosen_expert(&self, id: &str) -> bool {
        self.values.all("expert_ids").iter().any(|e| e == id)
    }

    fn specialty_label(&self, s: &Specialty) -> String {
        match self.c.lang {
            shanhai_domain::Lang::Zh => format!("{} {}", s.code, s.zh),
            shanhai_domain::Lang::En => format!("{} {}", s.code, s.en),
        }
    }
}

async fn institution(state: &AppState, id: &str) -> Option<Institution> {
    institutions::get(&state.db, id).await.ok()
}

/// The form, with the targets to choose from: the donor institutions paired with the requesting
/// hospital first, then every other institution.
async fn request_form_data(
    state: &AppState,
    viewer: &Viewer,
    target_id: Option<String>,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<RequestFormPage, ApiError> {
    if !may_request(viewer) {
        return Err(ApiError::forbidden());
    }
    let lang = crate::i18n::current();
    let everyone = institutions::list(&state.db, &InstitutionFilter::default(), all())
        .await?
        .items;
    let requesting = match &viewer.principal.institution_id {
        Some(id) => institution(state, id).await,
        None => given(&Some(values.get("requesting_institution_id")))
            .and_then(|id| everyone.iter().find(|i| i.id == id).cloned()),
    };
    let requesting_choices = if viewer.principal.institution_id.is_none() {
        everyone.clone()
    } else {
        Vec::new()
    };
    let mut paired: Vec<Institution> = Vec::new();
    if let Some(r) = &requesting {
        let links = pairings::list(
            &state.db,
            &PairingFilter {
                recipient: Some(r.id.clone()),
                ..Default::default()
            },
            all(),
        )
        .await?
        .items;
        for l in links {
            if !paired.iter().any(|i| i.id == l.donor_id)
                && let Some(i) = everyone.iter().find(|i| i.id == l.donor_id)
            {
                paired.push(i.clone());
            }
        }
    }
    let own = requesting
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or_default();
    let others: Vec<Institution> = everyone
        .iter()
        .filter(|i| i.id != own && !paired.iter().any(|p| p.id == i.id))
        .cloned()
        .collect();
    let target_id = target_id.or_else(|| (paired.len() == 1).then(|| paired[0].id.clone()));
    let target = target_id.and_then(|id| everyone.iter().find(|i| i.id == id).cloned());
    let experts = match &target {
        Some(t) => {
            people::list(
                &state.db,
                &PersonFilter {
                    institution: Some(t.id.clone()),
                    ..Default::default()
                },
                &shanhai_domain::access::Reach::All,
                all(),
            )
            .await?
            .items
        }
        None => Vec::new(),
    };
    let mut targets = Vec::new();
    if !paired.is_empty() {
        targets.push(TargetGroup {
            label: crate::i18n::t(lang, "ui.paired_donors"),
            institutions: paired,
        });
    }
    targets.push(TargetGroup {
        label: crate::i18n::t(lang, "ui.other_institutions"),
        institutions: others,
    });
    Ok(RequestFormPage {
        c: Chrome::new(Some(viewer), "consultations", "/consultations/new".into()),
        requesting,
        requesting_choices,
        targets,
        target,
        experts,
        types: ConsultationType::ALL,
        urgencies: Urgency::ALL,
        sexes: Gender::ALL,
        specialties: shanhai_domain::specialty::all(),
        values,
        error,
    })
}

async fn request_form(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewQuery>,
) -> Response {
    let defaults = FormData::parse(b"type=general&urgency=routine");
    match request_form_data(&state, &viewer, given(&q.target), defaults, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "consultations", here(&uri), e),
    }
}

/// The patient fields (`patient.*`) of the consultation and referral forms.
pub(super) fn patient_of(form: &FormData) -> Result<PatientInput, ApiError> {
    Ok(PatientInput {
        name: form.get("patient.name"),
        id_number: form.opt("patient.id_number"),
        sex: form.get("patient.sex"),
        // Not a whole number: out of range, said beside the field with the other problems.
        age: form.get("patient.age").trim().parse().unwrap_or(-1),
    })
}

/// A person in the expert and coordinator selects: name, title and department.
pub(super) fn person_label(p: &Person, lang: shanhai_domain::Lang) -> String {
    let mut s = format!("{} · {}", p.name, p.title.label(lang));
    if let Some(d) = &p.department_name {
        s.push_str(" · ");
        s.push_str(d);
    }
    s
}

/// The consultation a filled-in request form asks for.
fn input_of(form: &FormData) -> Result<ConsultationInput, ApiError> {
    let patient = patient_of(form)?;
    // The chair first (for an MDT), then the other experts in the order listed.
    let mut expert_ids: Vec<String> = form.opt("chair_id").into_iter().collect();
    for e in form.all("expert_ids") {
        if !e.trim().is_empty() && !expert_ids.contains(&e) {
            expert_ids.push(e);
        }
    }
    Ok(ConsultationInput {
        r#type: form.get("type"),
        urgency: form.get("urgency"),
        requesting_institution_id: form.opt("requesting_institution_id"),
        target_institution_id: form.get("target_institution_id"),
        target_specialty_code: form.opt("target_specialty_code"),
        expert_ids,
        patient,
        case_summary: form.get("case_summary"),
        question: form.get("question"),
    })
}

/// Creates the consultation the form describes, with the API's rules.
async fn create_from(
    state: &AppState,
    viewer: &Viewer,
    form: &FormData,
) -> Result<Consultation, ApiError> {
    let input = input_of(form)?;
    let cipher = state.desk.cipher();
    Ok(service::request(&state.db, cipher, &viewer.acting(), &input).await?)
}

/// The form again, with what was typed and the error beside its field.
async fn form_again(state: &AppState, viewer: &Viewer, form: FormData, e: ApiError) -> Response {
    let back = "/consultations/new".to_string();
    let target = form.opt("target_institution_id");
    form_failed(
        viewer,
        "consultations",
        back,
        e,
        &[StatusCode::FORBIDDEN],
        |error| request_form_data(state, viewer, target, form, Some(error)),
    )
    .await
}

/// The request form is multipart (it carries files). Its fields come in document order: the
/// CSRF token first, then the request, then the files, so the token is checked and the
/// consultation created before any file is streamed to storage.
async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Response {
    let back = || "/consultations/new".to_string();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut created: Option<Consultation> = None;
    let mut rejected: Vec<String> = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return error_page(&viewer, "consultations", back(), e.into()),
        };
        let name = field.name().unwrap_or_default().to_string();
        if pairs.is_empty() && name != "csrf" {
            return csrf_refused(&viewer, "consultations", back());
        }
        if name != "files" {
            match field.text().await {
                Ok(text) => {
                    if name == "csrf" && !viewer.csrf_ok(&text) {
                        return csrf_refused(&viewer, "consultations", back());
                    }
                    pairs.push((name, text));
                    continue;
                }
                Err(e) => return error_page(&viewer, "consultations", back(), e.into()),
            }
        }
        // A file input left empty still sends a part without a name.
        if field.file_name().is_none_or(|n| n.trim().is_empty()) {
            continue;
        }
        let consultation = match &created {
            Some(c) => c.clone(),
            None => match create_from(&state, &viewer, &FormData(pairs.clone())).await {
                Ok(c) => {
                    created = Some(c.clone());
                    c
                }
                Err(e) => return form_again(&state, &viewer, FormData(pairs), e).await,
            },
        };
        let file_name = field.file_name().unwrap_or_default().to_string();
        if let Err(e) = attach(&state, &viewer, &consultation.id, field).await {
            rejected.push(format!("{file_name}: {}", e.message()));
        }
    }
    let consultation = match created {
        Some(c) => c,
        None => match create_from(&state, &viewer, &FormData(pairs.clone())).await {
            Ok(c) => c,
            Err(e) => return form_again(&state, &viewer, FormData(pairs), e).await,
        },
    };
    if rejected.is_empty() {
        return Redirect::to(&format!("/consultations/{}", consultation.id)).into_response();
    }
    // The request stands; the page says which files were refused and why.
    let lang = crate::i18n::current();
    let extras = Extras {
        failed: Some((
            "upload".into(),
            FormErrors::one(
                "file",
                format!(
                    "{} {}",
                    crate::i18n::t(lang, "ui.requested_but_files_refused"),
                    rejected.join("；")
                ),
                rejected.join("；"),
            ),
        )),
        values: FormData::parse(b""),
        notice: None,
    };
    match consultation_data(&state, &viewer, &consultation.id, extras).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, no_store(render(&page))).into_response(),
        Err(e) => error_page(&viewer, "consultations", back(), e),
    }
}

/// Stores one uploaded file as an attachment of the consultation (the viewer must see it).
async fn attach(
    state: &AppState,
    viewer: &Viewer,
    consultation_id: &str,
    field: Field<'_>,
) -> Result<(), ApiError> {
    service::parties(&state.db, &viewer.acting(), consultation_id).await?;
    attachments::receive(
        state,
        &viewer.actor(),
        &viewer.user.display_name,
        consultation_id,
        field,
    )
    .await
    .map(|_| ())
}

/// More files for a consultation: the CSRF token first, then the files, each stored as it
/// streams in; a refused file is named on the page with the reason.
async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let back = format!("/consultations/{raw}");
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, "consultations", back, e),
    };
    let mut csrf_checked = false;
    let mut refused: Vec<String> = Vec::new();
    let mut stored = 0;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                refused.push(ApiError::from(e).message());
                break;
            }
        };
        if !csrf_checked {
            let ok = field.name() == Some("csrf")
                && field.text().await.is_ok_and(|t| viewer.csrf_ok(&t));
            if !ok {
                return csrf_refused(&viewer, "consultations", back);
            }
            csrf_checked = true;
            continue;
        }
        if field.name() != Some("files") || field.file_name().is_none_or(|n| n.trim().is_empty()) {
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_string();
        let finished = consultations::get(&state.db, &id)
            .await
            .map(|c| c.state.is_final())
            .unwrap_or(false);
        if finished {
            refused.push(crate::i18n::t(
                crate::i18n::current(),
                "error.consultation_finished",
            ));
            break;
        }
        match attach(&state, &viewer, &id, field).await {
            Ok(()) => stored += 1,
            Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => {
                return error_page(&viewer, "consultations", back, e);
            }
            Err(e) => refused.push(format!("{file_name}: {}", e.message())),
        }
    }
    if !csrf_checked {
        return csrf_refused(&viewer, "consultations", back);
    }
    if refused.is_empty() && stored > 0 {
        return Redirect::to(&format!("/consultations/{id}#attachments")).into_response();
    }
    let lang = crate::i18n::current();
    if refused.is_empty() {
        refused.push(crate::i18n::t(lang, "error.file_missing"));
    }
    let extras = Extras {
        failed: Some((
            "upload".into(),
            FormErrors::one("file", refused.join("；"), refused.join("；")),
        )),
        values: FormData::parse(b""),
        notice: None,
    };
    match consultation_data(&state, &viewer, &id, extras).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, no_store(render(&page))).into_response(),
        Err(e) => error_page(&viewer, "consultations", back, e),
    }
}

#[derive(Deserialize, Default)]
struct ContentQuery {
    inline: Option<String>,
}

/// An attachment's bytes (or its preview) for the pages, under the session: the same access
/// rule as the consultation, the read audited by the stream.
async fn attachment_file(
    state: &AppState,
    viewer: &Viewer,
    raw: &str,
    preview: bool,
    inline: bool,
) -> Result<Response, ApiError> {
    let id = id_or_404(raw)?;
    let keys = shanhai_store::attachments::keys(&state.db, &id).await?;
    service::parties(&state.db, &viewer.acting(), &keys.consultation_id).await?;
    attachments::stream(state, &viewer.actor(), &id, &keys, preview, inline).await
}

async fn attachment_content(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Query(q): Query<ContentQuery>,
) -> Response {
    let inline = q.inline.as_deref() == Some("true");
    match attachment_file(&state, &viewer, &raw, false, inline).await {
        Ok(r) => r,
        Err(e) => error_page(&viewer, "consultations", here(&uri), e),
    }
}

async fn attachment_preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Response {
    match attachment_file(&state, &viewer, &raw, true, true).await {
        Ok(r) => r,
        // An image element has no use for an error page.
        Err(e) => e.status.into_response(),
    }
}
