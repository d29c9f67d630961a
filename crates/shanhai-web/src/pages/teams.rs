//! Teams (院士团队, 组团式 teams, specialty teams): the list, the form that forms one, and a
//! team's page — its members (name · title · institution), its visits, the forms that add
//! them, and the team's figures with links to their records, its scoped dashboard and
//! briefing.

use super::dispatch::{all, given, here, title_label};
use super::pick::{Pick, institution_pick, person_pick};
use super::{
    Chrome, Form, FormData, FormErrors, Viewer, error_page, form_failed, id_or_404, render,
};
use crate::AppState;
use crate::api::indicators::{Narrow, scoped_values};
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::indicators::{IndicatorValue, Measure};
use shanhai_domain::registry::Program;
use shanhai_domain::teams::*;
use shanhai_service::teams as service;
use shanhai_store::teams::TeamFilter;

const NAV: &str = "teams";
const REFUSED: &[StatusCode] = &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list_page))
        .route("/teams/new", get(new_page).post(create))
        .route("/teams/{id}", get(team_page))
        .route("/teams/{id}/members", post(add_member))
        .route("/teams/{id}/visits", post(add_visit))
}

/// A team as a card shows it.
pub struct TeamCard {
    pub team: Team,
    pub kind: String,
    pub leader: String,
    /// "6名成员 · 到访7次".
    pub counts: String,
}

fn card(lang: Lang, t: Team) -> TeamCard {
    let leader = format!(
        "{} · {}",
        t.leader_name.clone().unwrap_or_default(),
        title_label(lang, t.leader_title.as_deref())
    );
    let n = |key: &str, v: i64| {
        crate::i18n::t_count(lang, key, v as f64).replace("{n}", &v.to_string())
    };
    TeamCard {
        kind: t.kind.label(lang).to_string(),
        leader,
        counts: format!(
            "{} · {}",
            n("ui.team_member_count", t.member_count),
            n("ui.team_visit_count", t.visit_count)
        ),
        team: t,
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    program: Option<String>,
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct ListPage {
    c: Chrome,
    cards: Vec<TeamCard>,
    programs: Vec<Program>,
    program: String,
    q: String,
    may_create: bool,
}

async fn may_create(state: &AppState, viewer: &Viewer) -> Result<bool, ApiError> {
    Ok(
        !shanhai_service::capacity::scope(&state.db, &viewer.acting())
            .await?
            .writable
            .is_empty(),
    )
}

async fn list_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    let result = async {
        let c = Chrome::new(Some(&viewer), NAV, here(&uri));
        let filter = TeamFilter {
            program: given(&q.program),
            q: given(&q.q),
            ..Default::default()
        };
        let teams = service::list(&state.db, &viewer.acting(), &filter, all()).await?;
        let programs = shanhai_service::capacity::programs(&state.db).await?;
        Ok::<_, ApiError>(ListPage {
            cards: teams.items.into_iter().map(|t| card(c.lang, t)).collect(),
            programs,
            program: q.program.clone().unwrap_or_default(),
            q: q.q.clone().unwrap_or_default(),
            may_create: may_create(&state, &viewer).await?,
            c,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

// ---- the form ----

#[derive(Template)]
#[template(path = "team_form.html")]
struct FormPage {
    c: Chrome,
    programs: Vec<Program>,
    kinds: Vec<(&'static str, &'static str)>,
    homes: Vec<Pick>,
    hosts: Vec<Pick>,
    leaders: Vec<Pick>,
    error: Option<FormErrors>,
    values: FormData,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(field))
    }
}

/// The chosen institution of a picker, as its only option (the picker finds the others).
async fn institution_option(state: &AppState, lang: Lang, id: &str) -> Vec<Pick> {
    match shanhai_domain::ids::parse_id(id) {
        Some(id) => shanhai_store::institutions::get(&state.db, &id)
            .await
            .map(|i| vec![institution_pick(lang, &i)])
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

async fn person_option(state: &AppState, lang: Lang, id: &str) -> Vec<Pick> {
    match shanhai_domain::ids::parse_id(id) {
        Some(id) => shanhai_store::people::get(&state.db, &id)
            .await
            .map(|p| vec![person_pick(lang, &p)])
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

async fn form_data(
    state: &AppState,
    viewer: &Viewer,
    error: Option<FormErrors>,
    mut values: FormData,
) -> Result<FormPage, ApiError> {
    let c = Chrome::new(Some(viewer), NAV, "/teams/new".into());
    let programs = shanhai_service::capacity::programs(&state.db).await?;
    if values.get("program_id").is_empty()
        && let Some(p) = viewer.principal.program_id.clone()
    {
        values = FormData::parse(format!("program_id={p}").as_bytes());
    }
    Ok(FormPage {
        kinds: TeamKind::ALL
            .iter()
            .map(|k| (k.code(), k.label(c.lang)))
            .collect(),
        homes: institution_option(state, c.lang, &values.get("home_institution_id")).await,
        hosts: institution_option(state, c.lang, &values.get("host_institution_id")).await,
        leaders: person_option(state, c.lang, &values.get("leader_id")).await,
        programs,
        error,
        values,
        c,
    })
}

/// The form, for whoever may change some institution's capacity records (a team belongs to
/// the institution it serves).
async fn new_page(State(state): State<AppState>, viewer: Viewer, uri: OriginalUri) -> Response {
    let result = match may_create(&state, &viewer).await {
        Ok(true) => form_data(&state, &viewer, None, FormData::parse(b"")).await,
        Ok(false) => Err(ApiError::forbidden()),
        Err(e) => Err(e),
    };
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

fn opt_value(data: &FormData, key: &str) -> Option<String> {
    Some(data.get(key)).filter(|v| !v.trim().is_empty())
}

async fn create(State(state): State<AppState>, Form { viewer, data }: Form) -> Response {
    let input = TeamInput {
        program_id: opt_value(&data, "program_id"),
        name: data.get("name"),
        kind: data.get("kind"),
        home_institution_id: data.get("home_institution_id"),
        host_institution_id: opt_value(&data, "host_institution_id"),
        leader_id: data.get("leader_id"),
        formed_on: data.get("formed_on"),
        note: opt_value(&data, "note"),
    };
    match service::create(&state.db, &viewer.acting(), &input).await {
        Ok(t) => Redirect::to(&format!("/teams/{}", t.id)).into_response(),
        Err(e) => {
            form_failed(
                &viewer,
                NAV,
                "/teams/new".into(),
                e.into(),
                REFUSED,
                |error| form_data(&state, &viewer, Some(error), data),
            )
            .await
        }
    }
}

// ---- one team ----

/// A member as the page shows them.
pub struct MemberRow {
    pub m: TeamMember,
    pub title: String,
    pub role: String,
}

/// A figure of the team, linked to its records.
pub struct FigureRow {
    pub v: IndicatorValue,
    pub href: String,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    c: Chrome,
    card: TeamCard,
    members: Vec<MemberRow>,
    visits: Vec<TeamVisit>,
    figures: Vec<FigureRow>,
    /// The team's scoped dashboard and briefing (when it works under a program).
    dashboard: Option<String>,
    briefing: Option<String>,
    can_write: bool,
    people: Vec<Pick>,
    error: Option<FormErrors>,
    values: FormData,
    /// Which form the error belongs to (`member`, `visit`).
    form: &'static str,
}

impl TeamPage {
    fn err(&self, field: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(field))
    }
}

async fn team_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    error: Option<FormErrors>,
    values: FormData,
    form: &'static str,
) -> Result<TeamPage, ApiError> {
    let shown = service::shown(&state.db, &viewer.acting(), id).await?;
    let c = Chrome::new(Some(viewer), NAV, format!("/teams/{id}"));
    let lang = c.lang;
    let TeamDetail {
        team,
        members,
        visits,
    } = shown.detail;
    let today = shanhai_store::today().to_string();
    let (figures, dashboard, briefing) = match &team.program_id {
        Some(pid) => {
            let narrow = Narrow {
                team: Some((team.id.clone(), team.name.clone())),
                ..Default::default()
            };
            let values = scoped_values(&state.db, pid, &narrow, None, &today).await?;
            let figures = values
                .into_iter()
                .filter(|v| v.value != 0)
                .map(|v| {
                    let href = super::dashboard::records_href(
                        &v.records_url,
                        &format!("{} · {}", v.name, team.name),
                        (v.measure == Measure::Count).then_some(v.value),
                    );
                    FigureRow { v, href }
                })
                .collect();
            (
                figures,
                Some(format!("/dashboard?program={pid}&within=team:{}", team.id)),
                Some(format!("/programs/{pid}/briefing?team={}", team.id)),
            )
        }
        None => (Vec::new(), None, None),
    };
    let people = person_option(state, lang, &values.get("person_id")).await;
    Ok(TeamPage {
        members: members
            .into_iter()
            .map(|m| MemberRow {
                title: title_label(lang, m.person_title.as_deref()),
                role: m.role.label(lang).to_string(),
                m,
            })
            .collect(),
        visits,
        figures,
        dashboard,
        briefing,
        can_write: shown.may_write,
        card: card(lang, team),
        people,
        error,
        values,
        form,
        c,
    })
}

async fn team_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => team_data(&state, &viewer, &id, None, FormData::parse(b""), "").await,
        Err(e) => Err(e),
    };
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// Adds a member from the team's page.
async fn add_member(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Form { viewer, data }: Form,
) -> Response {
    let back = format!("/teams/{raw}");
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, back, e),
    };
    let input = TeamMemberInput {
        person_id: data.get("person_id"),
        role: opt_value(&data, "role"),
        joined_on: data.get("joined_on"),
        left_on: opt_value(&data, "left_on"),
    };
    let Err(e) = service::add_member(&state.db, &viewer.acting(), &id, &input).await else {
        return Redirect::to(&back).into_response();
    };
    form_failed(&viewer, NAV, back, e.into(), REFUSED, |error| {
        team_data(&state, &viewer, &id, Some(error), data, "member")
    })
    .await
}

/// Records a visit from the team's page.
async fn add_visit(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Form { viewer, data }: Form,
) -> Response {
    let back = format!("/teams/{raw}");
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, back, e),
    };
    let input = TeamVisitInput {
        institution_id: opt_value(&data, "institution_id"),
        start_date: data.get("start_date"),
        end_date: data.get("end_date"),
        note: opt_value(&data, "note"),
    };
    let Err(e) = service::add_visit(&state.db, &viewer.acting(), &id, &input).await else {
        return Redirect::to(&back).into_response();
    };
    form_failed(&viewer, NAV, back, e.into(), REFUSED, |error| {
        team_data(&state, &viewer, &id, Some(error), data, "visit")
    })
    .await
}
