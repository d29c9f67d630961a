//! Outreach event pages (义诊, 巡回诊疗, 健康讲座/科普, 筛查): the list as cards (filters by program,
//! institution, kind, region and dates), the form (team chosen with the people picker, the place's
//! region from the regions table), and an event's page with its 两次下沉 chain, its team and the
//! clinic sessions held at it. Every read and write asks `shanhai_service::capacity::outreach`,
//! which applies the domain's access policy exactly as for the JSON API.

use super::dispatch::{given, here, page_no};
use super::pick::{Pick, institution_pick, person_label};
use super::{
    Chrome, FormData, FormErrors, Pager, Viewer, error_page, form_failed, id_or_404, render,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_domain::capacity::{OutreachEvent, OutreachEventInput, OutreachKind, PlaceKind};
use shanhai_domain::clinic_sessions::{ClinicSession, VisitType};
use shanhai_domain::registry::{Institution, Program};
use shanhai_domain::{Invalid, Lang, Problems};
use shanhai_service::capacity::{self as capacity, CapacityFilter, outreach as service};
use shanhai_store::{Page, PageRequest};

const NAV: &str = "capacity";
const PATH: &str = "/outreach-events";
const PER_PAGE: i64 = 20;
/// How many expert pickers the form offers.
const EXPERT_SLOTS: usize = 6;
const REFUSED: &[StatusCode] = &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list_page).post(create_page))
        .route("/outreach-events/new", get(form_page))
        .route("/outreach-events/{id}", get(event_page))
        .route("/outreach-events/{id}/sessions", post(link_page))
}

/// An event as a card or page shows it: labels, never codes.
pub struct Shown {
    pub e: OutreachEvent,
    pub kind: String,
    pub place_kind: String,
    pub chain: Vec<String>,
    /// name · title · institution of each expert.
    pub experts: Vec<String>,
}

fn shown(lang: Lang, e: OutreachEvent) -> Shown {
    let experts = e
        .experts
        .iter()
        .map(|x| {
            let title = shanhai_domain::codes::label_of("Title", &x.title, lang)
                .unwrap_or_default()
                .to_string();
            let mut s = x.name.clone();
            if !title.is_empty() {
                s.push_str(" · ");
                s.push_str(&title);
            }
            if let Some(i) = &x.institution_name {
                s.push_str(" · ");
                s.push_str(i);
            }
            s
        })
        .collect();
    Shown {
        kind: e.kind.label(lang).to_string(),
        place_kind: e.place_kind.label(lang).to_string(),
        chain: e.chain(),
        experts,
        e,
    }
}

fn group(n: i64) -> String {
    shanhai_domain::indicators::group_thousands(n)
}

// ---- the list ----

#[derive(Deserialize, Default)]
struct ListQuery {
    program: Option<String>,
    institution: Option<String>,
    kind: Option<String>,
    region: Option<String>,
    from: Option<String>,
    until: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "outreach_events.html")]
struct ListPage {
    c: Chrome,
    tabs: Vec<super::capacity::Tab>,
    can_create: bool,
    programs: Vec<Program>,
    institutions: Vec<Institution>,
    kinds: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    program: String,
    institution: String,
    kind: String,
    region: String,
    from: String,
    until: String,
    items: Vec<Shown>,
    total: i64,
    pager: Pager,
}

impl ListPage {
    fn num(&self, n: &i64) -> String {
        group(*n)
    }
}

fn kinds(lang: Lang) -> Vec<(String, String)> {
    OutreachKind::ALL
        .iter()
        .map(|k| (k.code().to_string(), k.label(lang).to_string()))
        .collect()
}

/// Every region of the table, labelled with its province and city: 内蒙古自治区 · 呼和浩特市 · 托克托县.
async fn region_options(state: &AppState) -> Result<Vec<(String, String)>, ApiError> {
    let mut all = Vec::new();
    for n in 1..=20 {
        let page = shanhai_store::regions::list(
            &state.db,
            &Default::default(),
            PageRequest::new(Some(n), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let last = n >= page.pages();
        all.extend(page.items);
        if last {
            break;
        }
    }
    let names: std::collections::HashMap<String, String> = all
        .iter()
        .map(|r| (r.code.clone(), r.name.clone()))
        .collect();
    let mut out: Vec<(String, String)> = all
        .iter()
        .map(|r| {
            let code = r.code.as_str();
            let mut parts = Vec::new();
            if code.len() >= 6 {
                for p in [
                    format!("{}0000", &code[..2]),
                    format!("{}00", &code[..4]),
                    code[..6].to_string(),
                ] {
                    if let Some(n) = names.get(&p)
                        && !parts.contains(n)
                        && p != code
                    {
                        parts.push(n.clone());
                    }
                }
            }
            parts.push(r.name.clone());
            parts.dedup();
            (r.code.clone(), parts.join(" · "))
        })
        .collect();
    out.sort();
    Ok(out)
}

async fn list_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    match list_data(&state, &viewer, &uri, q).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn list_data(
    state: &AppState,
    viewer: &Viewer,
    uri: &OriginalUri,
    q: ListQuery,
) -> Result<ListPage, ApiError> {
    let db = &state.db;
    let who = viewer.acting();
    let scope = capacity::scope(db, &who).await?;
    let filter = CapacityFilter {
        program: given(&q.program),
        institution: given(&q.institution),
        kind: given(&q.kind),
        region: given(&q.region),
        from: given(&q.from),
        until: given(&q.until),
        ..Default::default()
    };
    for (field, d) in [("from", &filter.from), ("until", &filter.until)] {
        crate::api::indicators::date_param(field, d.as_deref())?;
    }
    let page = PageRequest::new(page_no(&q.page), Some(PER_PAGE));
    let items: Page<OutreachEvent> = service::list(db, &who, &filter, page).await?;
    let c = Chrome::new(Some(viewer), NAV, here(uri));
    let pager = Pager::new(
        &items,
        PATH,
        &[
            ("program", filter.program.as_deref()),
            ("institution", filter.institution.as_deref()),
            ("kind", filter.kind.as_deref()),
            ("region", filter.region.as_deref()),
            ("from", filter.from.as_deref()),
            ("until", filter.until.as_deref()),
        ],
    );
    Ok(ListPage {
        tabs: super::capacity::tabs_for(&c, "outreach"),
        can_create: !scope.writable.is_empty(),
        programs: capacity::programs(db).await?,
        institutions: scope.readable,
        kinds: kinds(c.lang),
        regions: region_options(state).await?,
        program: filter.program.unwrap_or_default(),
        institution: filter.institution.unwrap_or_default(),
        kind: filter.kind.unwrap_or_default(),
        region: filter.region.unwrap_or_default(),
        from: filter.from.unwrap_or_default(),
        until: filter.until.unwrap_or_default(),
        total: items.total,
        items: items.items.into_iter().map(|e| shown(c.lang, e)).collect(),
        pager,
        c,
    })
}

// ---- the form ----

#[derive(Template)]
#[template(path = "outreach_event_form.html")]
struct FormPage {
    c: Chrome,
    tabs: Vec<super::capacity::Tab>,
    /// Chosen: the form; not yet: the institution picker.
    institution: Option<Institution>,
    choices: Vec<Institution>,
    programs: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    place_kinds: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    hospitals: Vec<Pick>,
    experts: Vec<Pick>,
    values: FormData,
    error: Option<FormErrors>,
}

impl FormPage {
    fn v(&self, name: &str) -> String {
        self.values.get(name)
    }
    fn err(&self, name: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(name))
    }
    fn expert(&self, i: &usize) -> String {
        chosen_experts(&self.values)
            .get(*i)
            .cloned()
            .unwrap_or_default()
    }
    fn slots(&self) -> Vec<usize> {
        (0..EXPERT_SLOTS.max(chosen_experts(&self.values).len())).collect()
    }
    /// The experts around the local institution (its donors' staff and its own).
    fn expert_source(&self) -> String {
        let id = self
            .institution
            .as_ref()
            .map(|i| i.id.as_str())
            .unwrap_or_default();
        format!("/pick/people?around={id}&role=clinical")
    }
    fn slot_name(&self, i: &usize) -> String {
        format!("expert_{}", i + 1)
    }
}

/// The experts chosen: one picker per slot (`expert_1`, `expert_2`…), or `expert_ids` as the
/// API names them.
fn chosen_experts(data: &FormData) -> Vec<String> {
    let mut out: Vec<String> = data.all("expert_ids");
    for n in 1..=50 {
        out.extend(data.all(&format!("expert_{n}")));
    }
    out.retain(|e| !e.trim().is_empty());
    out.dedup();
    out
}

#[derive(Deserialize, Default)]
struct NewQuery {
    institution: Option<String>,
}

async fn form_data(
    state: &AppState,
    viewer: &Viewer,
    chosen: Option<String>,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<FormPage, ApiError> {
    let db = &state.db;
    let scope = capacity::scope(db, &viewer.acting()).await?;
    let writable = scope.writable;
    if writable.is_empty() {
        return Err(ApiError::forbidden());
    }
    let c = Chrome::new(Some(viewer), NAV, "/outreach-events/new".into());
    let institution = match chosen {
        Some(id) => Some(
            writable
                .iter()
                .find(|i| i.id == id)
                .cloned()
                .ok_or_else(ApiError::forbidden)?,
        ),
        None if writable.len() == 1 => writable.first().cloned(),
        None => None,
    };
    let (mut programs, mut experts, mut regions) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(inst) = &institution {
        let choices = capacity::choices(db, &inst.id).await?;
        programs = choices
            .programs
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect();
        experts = choices
            .experts
            .iter()
            .map(|p| Pick {
                id: p.id.clone(),
                label: person_label(c.lang, p),
                specialty: None,
            })
            .collect();
        // An expert chosen from elsewhere (the picker searches everyone) stays shown.
        for id in chosen_experts(&values) {
            if !id.is_empty()
                && !experts.iter().any(|p| p.id == id)
                && let Ok(p) = shanhai_store::people::get(db, &id).await
            {
                experts.push(Pick {
                    id: p.id.clone(),
                    label: person_label(c.lang, &p),
                    specialty: None,
                });
            }
        }
        regions = region_options(state).await?;
    }
    let hospitals = scope
        .all
        .iter()
        .filter(|i| Some(&i.id) != institution.as_ref().map(|x| &x.id))
        .map(|i| institution_pick(c.lang, i))
        .collect();
    Ok(FormPage {
        tabs: super::capacity::tabs_for(&c, "outreach"),
        institution,
        choices: writable,
        programs,
        kinds: kinds(c.lang),
        place_kinds: PlaceKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), k.label(c.lang).to_string()))
            .collect(),
        regions,
        hospitals,
        experts,
        values,
        error,
        c,
    })
}

async fn form_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<NewQuery>,
) -> Response {
    let chosen = given(&q.institution);
    let mut values = FormData::default();
    values.set("held_on", &shanhai_store::today().to_string());
    values.set("people_served", "");
    match form_data(&state, &viewer, chosen, values, None).await {
        Ok(mut page) => {
            if page.programs.len() == 1 {
                let only = page.programs[0].0.clone();
                page.values.set("program_id", &only);
            }
            render(&page)
        }
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// The form read into the API's input; numbers that are not whole numbers are problems of
/// their own, stated with every other problem of the form.
fn read_input(data: &FormData) -> Result<OutreachEventInput, Problems> {
    let mut problems = Problems::new();
    // A choice left empty is missing, not a wrong choice.
    for field in ["kind", "place_kind", "region_code"] {
        if data.get(field).trim().is_empty() {
            problems.push(Invalid::new(field, "error.required"));
        }
    }
    let mut number = |name: &str, required: bool| -> i64 {
        let raw = data.get(name);
        let raw = raw.trim();
        if raw.is_empty() {
            if required {
                problems.push(Invalid::new(name, "error.required"));
            }
            return 0;
        }
        raw.parse::<i64>().unwrap_or_else(|_| {
            problems.push(Invalid::new(name, "error.out_of_range"));
            0
        })
    };
    let people_served = number("people_served", true);
    let screenings = number("screenings", false);
    let referrals = number("referrals", false);
    let local_staff = number("local_staff", false);
    let opt = |name: &str| data.opt(name).filter(|v| !v.trim().is_empty());
    let input = OutreachEventInput {
        program_id: opt("program_id"),
        institution_id: data.get("institution_id"),
        kind: data.get("kind"),
        held_on: data.get("held_on"),
        title: opt("title"),
        place_kind: data.get("place_kind"),
        place_name: data.get("place_name"),
        region_code: data.get("region_code"),
        donor_institution_id: opt("donor_institution_id"),
        via_institution_id: opt("via_institution_id"),
        people_served,
        screenings,
        referrals,
        local_staff,
        expert_ids: chosen_experts(data),
        note: opt("note"),
    };
    if let Err(more) = input.parse() {
        for p in more.iter() {
            if !problems.iter().any(|x| x.field == p.field) {
                problems.push(p.clone());
            }
        }
    }
    if problems.is_empty() {
        Ok(input)
    } else {
        Err(problems)
    }
}

async fn create_page(
    State(state): State<AppState>,
    uri: OriginalUri,
    super::Form { viewer, data }: super::Form,
) -> Response {
    let institution = data.get("institution_id");
    let result: Result<String, ApiError> = async {
        form_data(
            &state,
            &viewer,
            Some(institution.clone()),
            FormData::default(),
            None,
        )
        .await?;
        let input = read_input(&data)?;
        let created = service::create(&state.db, &viewer.acting(), &input).await?;
        Ok(format!("{PATH}/{}", created.id))
    }
    .await;
    let e = match result {
        Ok(next) => return Redirect::to(&next).into_response(),
        Err(e) => e,
    };
    form_failed(&viewer, NAV, here(&uri), e, REFUSED, |error| {
        form_data(
            &state,
            &viewer,
            Some(institution),
            data.clone(),
            Some(error),
        )
    })
    .await
}

// ---- an event's page ----

#[derive(Template)]
#[template(path = "outreach_event.html")]
struct EventPage {
    c: Chrome,
    tabs: Vec<super::capacity::Tab>,
    s: Shown,
    may_write: bool,
    sessions: Vec<(ClinicSession, String)>,
    /// Outreach sessions at the institution not yet linked, to link.
    candidates: Vec<(String, String)>,
    error: Option<FormErrors>,
}

impl EventPage {
    fn num(&self, n: &i64) -> String {
        group(*n)
    }
    fn err(&self, name: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(name))
    }
}

async fn event_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    error: Option<FormErrors>,
) -> Result<EventPage, ApiError> {
    let db = &state.db;
    let who = viewer.acting();
    let shown_event = service::shown(db, &who, id).await?;
    let c = Chrome::new(Some(viewer), NAV, format!("{PATH}/{id}"));
    let lang = c.lang;
    let session_label = |s: &ClinicSession| {
        format!(
            "{} {}–{} · {} · {}",
            s.date,
            s.start,
            s.end,
            s.visit_type.label(lang),
            s.expert_name.clone().unwrap_or_default()
        )
    };
    let mut candidates = Vec::new();
    if shown_event.may_write {
        let e = &shown_event.event;
        let filter = shanhai_store::clinic_sessions::SessionFilter {
            institution: Some(e.institution_id.clone()),
            outreach: Some(true),
            ..Default::default()
        };
        let sessions = shanhai_store::clinic_sessions::list(
            db,
            &filter,
            PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        candidates = sessions
            .items
            .iter()
            .filter(|s| s.outreach_event_id.is_none())
            .filter(|s| matches!(s.visit_type, VisitType::FreeClinic | VisitType::Circuit))
            .map(|s| (s.id.clone(), session_label(s)))
            .collect();
    }
    let sessions = shown_event
        .sessions
        .iter()
        .map(|s| (s.clone(), session_label(s)))
        .collect();
    Ok(EventPage {
        tabs: super::capacity::tabs_for(&c, "outreach"),
        s: shown(lang, shown_event.event),
        may_write: shown_event.may_write,
        sessions,
        candidates,
        error,
        c,
    })
}

async fn event_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = async {
        let id = id_or_404(&raw)?;
        event_data(&state, &viewer, &id, None).await
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// Links a clinic session to the event (from the event's page).
async fn link_page(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    super::Form { viewer, data }: super::Form,
) -> Response {
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e),
    };
    let session = data.get("session_id");
    let result: Result<(), ApiError> = async {
        if session.trim().is_empty() {
            return Err(Invalid::new("session_id", "error.required").into());
        }
        service::link_session(&state.db, &viewer.acting(), session.trim(), Some(&id)).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("{PATH}/{id}")).into_response(),
        Err(e) => {
            form_failed(&viewer, NAV, here(&uri), e, REFUSED, |error| {
                event_data(&state, &viewer, &id, Some(error))
            })
            .await
        }
    }
}
