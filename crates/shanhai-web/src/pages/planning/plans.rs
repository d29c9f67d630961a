//! Plans in the browser (issue 19, C13): a program's plans, a new solve, and a plan's page —
//! progress while it solves; then the summary, the timeline (SVG, by hospital or by expert),
//! the needs not fully covered with their reasons, the proposals with pin, move, swap, remove
//! and "where would this expert fit best", and accept. Every action is one service call.

#[path = "timeline.rs"]
mod timeline;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n;
use crate::pages::dispatch::{all, given, here};
use crate::pages::form::{ErrorsAt, Form, FormErrors, error_page};
use crate::pages::{Chrome, FormData, Viewer, render};
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use shanhai_domain::Lang;
use shanhai_domain::dispatch::Scheme;
use shanhai_domain::planning::plans::{
    AcceptInput, Plan, PlanDetail, PlanFits, PlanInput, PlanItemChange, PlanStatus, PlanSwapInput,
    specialty_name,
};
use shanhai_domain::registry::Program;
use shanhai_service::planning::plans as service;
use shanhai_store::PageRequest;
use shanhai_store::pairings::{self, PairingFilter};
use shanhai_store::programs::{self, ProgramFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans", get(plan_list))
        .route("/plans/new", get(plan_new))
        .route("/plans/create", post(plan_create))
        .route("/plans/{id}", get(plan_page))
        .route("/plans/{id}/resolve", post(plan_resolve))
        .route("/plans/{id}/accept", post(plan_accept))
        .route("/plans/{id}/items/{item}/pin", post(item_pin))
        .route("/plans/{id}/items/{item}/move", post(item_move))
        .route("/plans/{id}/items/{item}/swap", post(item_swap))
        .route("/plans/{id}/items/{item}/remove", post(item_remove))
}

const NAV: &str = "plans";

// ---- words shared by the pages ----

/// A status's badge class.
fn badge(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Queued => "soft",
        PlanStatus::Running => "gold",
        PlanStatus::Done => "",
        PlanStatus::Accepted => "ok",
        PlanStatus::Failed => "off",
    }
}

/// `12345` → `12,345`.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A plan's name: its own, else "方案 2026-03-01 – 2026-08-31".
fn plan_name(lang: Lang, p: &Plan) -> String {
    p.name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| {
            i18n::t(lang, "ui.plan_default_name")
                .replace("{start}", &p.horizon_start)
                .replace("{end}", &p.horizon_end)
        })
}

/// "184 天", "184 days", "1 day".
fn days_words(lang: Lang, n: i64) -> String {
    i18n::t_count(lang, "ui.plan_days", n as f64).replace("{n}", &n.to_string())
}

/// Who started a plan, by name (the account's display name), never by login.
async fn who_started(state: &AppState, user_id: Option<&str>) -> String {
    let Some(id) = user_id else {
        return String::new();
    };
    match shanhai_store::users::get(&state.db, id).await {
        Ok(u) => u.display_name,
        Err(_) => String::new(),
    }
}

async fn all_programs(state: &AppState) -> Vec<Program> {
    programs::list(&state.db, &ProgramFilter::default(), all())
        .await
        .map(|p| p.items)
        .unwrap_or_default()
}

/// The program a viewer's plans open on: a program office's own; for a coordinator the program
/// of their hospital's pairings (the first, when several).
async fn own_program(state: &AppState, viewer: &Viewer) -> Option<String> {
    if let Some(p) = &viewer.principal.program_id {
        return Some(p.clone());
    }
    let own = viewer.principal.institution_id.clone()?;
    let filter = PairingFilter {
        institution: Some(own),
        ..Default::default()
    };
    pairings::list(&state.db, &filter, PageRequest::new(Some(1), Some(1)))
        .await
        .ok()?
        .items
        .into_iter()
        .next()
        .map(|p| p.program_id)
}

fn may_run(viewer: &Viewer, program: &str) -> bool {
    viewer.principal.may_run_plans(program).is_ok()
}

// ---- the list ----

#[derive(Deserialize, Default)]
struct ListQuery {
    program: Option<String>,
}

/// A plan as a card of the list.
struct PlanLine {
    id: String,
    name: String,
    badge: &'static str,
    status_label: String,
    horizon: String,
    objective: String,
    batch: Option<String>,
    created_by: String,
    created_at: String,
}

#[derive(Template)]
#[template(path = "planning/plans.html")]
struct PlansPage {
    c: Chrome,
    programs: Vec<Program>,
    program: Option<Program>,
    plans: Vec<PlanLine>,
    may_run: bool,
}

async fn plan_list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    let programs = all_programs(&state).await;
    let program_id = match &q.program {
        Some(_) => given(&q.program),
        None => own_program(&state, &viewer).await,
    };
    let program = program_id
        .as_ref()
        .and_then(|id| programs.iter().find(|p| p.id == *id).cloned());
    if program_id.is_some() && program.is_none() {
        return error_page(&viewer, NAV, here(&uri), ApiError::not_found());
    }
    let c = Chrome::new(Some(&viewer), NAV, here(&uri));
    let mut plans = Vec::new();
    if let Some(p) = &program {
        let page = match service::list_plans(
            &state.db,
            &viewer.acting(),
            Some(&p.id),
            PageRequest::new(Some(1), Some(100)),
        )
        .await
        {
            Ok(page) => page,
            Err(e) => return error_page(&viewer, NAV, here(&uri), e.into()),
        };
        for plan in page.items {
            plans.push(PlanLine {
                name: plan_name(c.lang, &plan),
                badge: badge(plan.status),
                status_label: plan.status.label(c.lang).to_string(),
                horizon: format!("{} – {}", plan.horizon_start, plan.horizon_end),
                objective: plan
                    .objective
                    .map(|o| match plan.bound {
                        Some(b) => format!("{} / {}", thousands(o), thousands(b)),
                        None => thousands(o),
                    })
                    .unwrap_or_default(),
                batch: plan
                    .batch_number
                    .map(|n| i18n::t(c.lang, "ui.batch_n").replace("{n}", &n.to_string())),
                created_by: who_started(&state, plan.created_by.as_deref()).await,
                created_at: c.time(&plan.created_at),
                id: plan.id,
            });
        }
    }
    let may_run = program.as_ref().is_some_and(|p| may_run(&viewer, &p.id));
    render(&PlansPage {
        c,
        programs,
        program,
        plans,
        may_run,
    })
}

// ---- a new solve ----

#[derive(Template)]
#[template(path = "planning/plan_form.html")]
struct PlanForm {
    c: Chrome,
    program: Program,
    schemes: Vec<Scheme>,
    values: FormData,
    error: Option<FormErrors>,
}

impl PlanForm {
    fn field_error(&self, field: &str) -> Option<String> {
        self.error.at(field)
    }
    fn invalid(&self, field: &str) -> &'static str {
        self.error.invalid(field)
    }
}

async fn plan_form(
    state: &AppState,
    viewer: &Viewer,
    program_id: &str,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<PlanForm, ApiError> {
    let program = programs::get(&state.db, program_id).await?;
    let schemes = shanhai_store::dispatch::list_schemes(&state.db, Some(&program.id), all())
        .await?
        .items;
    Ok(PlanForm {
        c: Chrome::new(
            Some(viewer),
            NAV,
            format!("/plans/new?program={}", program.id),
        ),
        program,
        schemes,
        values,
        error,
    })
}

async fn plan_new(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    let Some(program) = given(&q.program).or_else(|| viewer.principal.program_id.clone()) else {
        return Redirect::to("/plans").into_response();
    };
    if !may_run(&viewer, &program) {
        return error_page(&viewer, NAV, here(&uri), ApiError::forbidden());
    }
    // The next half year from the coming Monday.
    let today = shanhai_store::today();
    let start = today
        + chrono::Days::new(
            (7 - u64::from(chrono::Datelike::weekday(&today).num_days_from_monday())) % 7 + 7,
        );
    let end = start
        .checked_add_months(chrono::Months::new(6))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start);
    let defaults = format!(
        "horizon_start={start}&horizon_end={end}&time_limit_seconds={}",
        shanhai_domain::planning::plans::DEFAULT_TIME_LIMIT
    );
    match plan_form(
        &state,
        &viewer,
        &program,
        FormData::parse(defaults.as_bytes()),
        None,
    )
    .await
    {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

async fn plan_create(State(state): State<AppState>, uri: OriginalUri, form: Form) -> Response {
    let Form { viewer, data } = form;
    let input = PlanInput {
        program_id: data.get("program_id"),
        scheme_id: data.opt("scheme_id"),
        name: data.opt("name"),
        horizon_start: data.get("horizon_start"),
        horizon_end: data.get("horizon_end"),
        // Not a whole number: out of range, said beside the field with the other problems.
        time_limit_seconds: Some(data.get("time_limit_seconds").trim().parse().unwrap_or(0)),
    };
    match service::start_plan(&state.db, &viewer.acting(), &input).await {
        Ok(plan) => Redirect::to(&format!("/plans/{}", plan.id)).into_response(),
        Err(e) => {
            let e: ApiError = e.into();
            if matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
                return error_page(&viewer, NAV, here(&uri), e);
            }
            let status = e.status;
            let errors = FormErrors::from_api(&e);
            match plan_form(&state, &viewer, &input.program_id, data, Some(errors)).await {
                Ok(page) => (status, render(&page)).into_response(),
                Err(e) => error_page(&viewer, NAV, here(&uri), e),
            }
        }
    }
}

// ---- a plan ----

#[derive(Deserialize, Default)]
struct PlanQuery {
    view: Option<String>,
    fits: Option<String>,
}

/// The plan's head: what it is and where it stands.
struct PlanHead {
    id: String,
    name: String,
    status: &'static str,
    status_label: String,
    badge: &'static str,
    program_id: String,
    program_name: String,
    horizon: String,
    created_by: String,
    created_at: String,
    progress_pct: i64,
    objective: Option<String>,
    bound: Option<String>,
    error: Option<String>,
    stale: bool,
    running: bool,
    finished: bool,
    batch: Option<BatchLink>,
}

struct BatchLink {
    href: String,
    label: String,
    /// "12 项派驻"
    count: String,
}

struct Summary {
    objective: String,
    bound: String,
    of_bound: String,
    greedy: String,
    vs_greedy: String,
    full: i64,
    partial: i64,
    none: i64,
}

struct ItemCard {
    id: String,
    person_id: String,
    expert: String,
    title: String,
    home: String,
    hospital: String,
    department: String,
    specialty: String,
    start: String,
    end: String,
    days: String,
    pinned: bool,
}

struct GapCard {
    need_id: String,
    label: String,
    window: String,
    covered: String,
    reasons: Vec<String>,
    suggestion: Option<String>,
}

struct FitRow {
    text: String,
    gain: String,
}

struct FitsBlock {
    expert: String,
    rows: Vec<FitRow>,
}

struct LegendItem {
    colour: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "planning/plan.html")]
struct PlanPage {
    c: Chrome,
    plan: PlanHead,
    summary: Summary,
    may_edit: bool,
    view: &'static str,
    svg: String,
    legend: Vec<LegendItem>,
    items: Vec<ItemCard>,
    /// `(item id, "expert → hospital · dates")` for the swap select.
    swap_options: Vec<(String, String)>,
    gaps: Vec<GapCard>,
    fits: Option<FitsBlock>,
    /// What accepting creates, in words.
    accept_what: String,
    error: Option<FormErrors>,
    /// Where the error belongs: "plan", "accept" or an item's id.
    error_item: Option<String>,
}

/// Builds the plan's page from the service's answer.
#[allow(clippy::too_many_arguments)]
async fn plan_view(
    state: &AppState,
    viewer: &Viewer,
    mut detail: PlanDetail,
    view: &str,
    fits: Option<PlanFits>,
    error: Option<FormErrors>,
    error_item: Option<String>,
) -> PlanPage {
    let c = Chrome::new(Some(viewer), NAV, format!("/plans/{}", detail.plan.id));
    let lang = c.lang;
    detail.word(&i18n::t, lang);
    let p = &detail.plan;
    let running = matches!(p.status, PlanStatus::Queued | PlanStatus::Running);
    let finished = matches!(p.status, PlanStatus::Done | PlanStatus::Accepted);
    let objective = p.objective.unwrap_or(0);
    let bound = p.bound.unwrap_or(0);
    let greedy = p.greedy_objective.unwrap_or(0);
    let pct = |a: i64, b: i64| {
        if b > 0 {
            format!("{:.1}%", a as f64 * 100.0 / b as f64)
        } else {
            "—".to_string()
        }
    };
    let vs_greedy = if greedy > 0 {
        let d = (objective - greedy) as f64 * 100.0 / greedy as f64;
        format!("{}{d:.1}%", if d >= 0.0 { "+" } else { "" })
    } else {
        String::new()
    };
    let partial = detail
        .explanations
        .iter()
        .filter(|e| e.covered_days > 0)
        .count() as i64;
    let none = detail
        .explanations
        .iter()
        .filter(|e| e.covered_days == 0)
        .count() as i64;
    let summary = Summary {
        objective: thousands(objective),
        bound: thousands(bound),
        of_bound: pct(objective, bound),
        greedy: thousands(greedy),
        vs_greedy,
        full: detail.needs_covered,
        partial,
        none,
    };
    let batch = p.batch_id.as_ref().map(|b| BatchLink {
        href: format!("/dispatch?program={}&batch={b}", p.program_id),
        label: p
            .batch_number
            .map(|n| i18n::t(lang, "ui.batch_n").replace("{n}", &n.to_string()))
            .unwrap_or_else(|| i18n::t(lang, "ui.batch")),
        count: i18n::t_count(lang, "ui.plan_n_assignments", detail.items.len() as f64)
            .replace("{n}", &detail.items.len().to_string()),
    });
    let plan = PlanHead {
        id: p.id.clone(),
        name: plan_name(lang, p),
        status: p.status.code(),
        status_label: p.status.label(lang).to_string(),
        badge: badge(p.status),
        program_id: p.program_id.clone(),
        program_name: p.program_name.clone().unwrap_or_default(),
        horizon: format!("{} – {}", p.horizon_start, p.horizon_end),
        created_by: who_started(state, p.created_by.as_deref()).await,
        created_at: c.time(&p.created_at),
        progress_pct: (p.progress / 10).clamp(0, 100),
        objective: p.objective.map(thousands),
        bound: p.bound.map(thousands),
        error: p.error.clone(),
        stale: p.stale,
        running,
        finished,
        batch,
    };
    let may_edit = p.status == PlanStatus::Done && may_run(viewer, &p.program_id);

    // The proposals, by hospital (then start) or by expert (then start).
    let view: &'static str = if view == "expert" {
        "expert"
    } else {
        "hospital"
    };
    let mut items = detail.items.clone();
    if view == "expert" {
        items.sort_by(|a, b| (&a.person_name, &a.start_date).cmp(&(&b.person_name, &b.start_date)));
    } else {
        items.sort_by(|a, b| {
            (&a.institution_name, &a.start_date).cmp(&(&b.institution_name, &b.start_date))
        });
    }
    let title_of = |t: Option<shanhai_domain::codes::Title>| {
        t.map(|t| t.label(lang).to_string()).unwrap_or_default()
    };
    let date = |s: &str| s.parse::<NaiveDate>().ok();
    let mut bars = Vec::new();
    let mut legend: Vec<(usize, String)> = Vec::new();
    for i in &items {
        let colour = timeline::colour_of(&i.specialty_code);
        let spec = specialty_name(&i.specialty_code, lang);
        // The legend names the colour's top-level specialty (内科, 外科…): its sub-specialties
        // share it.
        let top = i
            .specialty_code
            .split('.')
            .next()
            .unwrap_or(&i.specialty_code);
        let top_name = specialty_name(top, lang);
        match legend.iter_mut().find(|(c, _)| *c == colour) {
            Some((_, names)) => {
                if !names.split(c.list_sep()).any(|n| n == top_name) {
                    names.push_str(c.list_sep());
                    names.push_str(&top_name);
                }
            }
            None => legend.push((colour, top_name)),
        }
        let (Some(start), Some(end)) = (date(&i.start_date), date(&i.end_date)) else {
            continue;
        };
        let who = match i.person_title {
            Some(t) => format!("{} · {}", i.person_name, t.label(lang)),
            None => i.person_name.clone(),
        };
        let (row, text) = if view == "expert" {
            (who.clone(), i.institution_name.clone())
        } else {
            (i.institution_name.clone(), i.person_name.clone())
        };
        bars.push(timeline::Bar {
            row,
            start,
            end,
            colour,
            text,
            title: format!(
                "{who} → {} · {spec} · {} – {}{}",
                i.need_label,
                i.start_date,
                i.end_date,
                if i.pinned {
                    format!(" · {}", i18n::t(lang, "ui.plan_pinned"))
                } else {
                    String::new()
                }
            ),
            pinned: i.pinned,
            href: Some(format!("#item-{}", i.id)),
        });
    }
    // By hospital, the needs not fully covered show as their windows behind the proposals.
    if view == "hospital" {
        for e in &detail.explanations {
            let (Some(start), Some(end)) = (date(&e.need.start_date), date(&e.need.end_date))
            else {
                continue;
            };
            bars.push(timeline::Bar {
                row: e.need.institution_name.clone(),
                start,
                end,
                colour: timeline::NEED,
                text: format!(
                    "{} {}",
                    i18n::t(lang, "ui.plan_gap_short"),
                    specialty_name(&e.need.specialty_code, lang)
                ),
                title: format!("{} · {}", e.need.label, e.reason),
                pinned: false,
                href: Some(format!("#need-{}", e.need.id)),
            });
        }
    }
    let (h_start, h_end) = (
        date(&p.horizon_start).unwrap_or_else(shanhai_store::today),
        date(&p.horizon_end).unwrap_or_else(shanhai_store::today),
    );
    let caption = format!(
        "{} · {}",
        plan.name,
        i18n::t(
            lang,
            if view == "expert" {
                "ui.plan_by_expert"
            } else {
                "ui.plan_by_hospital"
            }
        )
    );
    let svg = timeline::svg(
        lang,
        &bars,
        h_start,
        h_end,
        shanhai_store::today(),
        &caption,
    );
    let legend = legend
        .into_iter()
        .map(|(colour, label)| LegendItem {
            colour: crate::charts::PALETTE[colour % 7],
            label,
        })
        .collect();

    let swap_options = items
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                format!(
                    "{} → {} · {} – {}",
                    i.person_name, i.need_label, i.start_date, i.end_date
                ),
            )
        })
        .collect();
    let cards = items
        .iter()
        .map(|i| ItemCard {
            id: i.id.clone(),
            person_id: i.person_id.clone(),
            expert: i.person_name.clone(),
            title: title_of(i.person_title),
            home: i.home_institution_name.clone().unwrap_or_default(),
            hospital: i.institution_name.clone(),
            department: i.department_name.clone().unwrap_or_default(),
            specialty: specialty_name(&i.specialty_code, lang),
            start: i.start_date.clone(),
            end: i.end_date.clone(),
            days: days_words(lang, i.days),
            pinned: i.pinned,
        })
        .collect();
    let gaps = detail
        .explanations
        .iter()
        .map(|e| GapCard {
            need_id: e.need.id.clone(),
            label: e.need.label.clone(),
            window: format!("{} – {}", e.need.start_date, e.need.end_date),
            covered: i18n::t(lang, "ui.plan_covered_of")
                .replace("{covered}", &e.covered_days.to_string())
                .replace("{days}", &days_words(lang, e.window_days)),
            reasons: if e.reasons.is_empty() {
                vec![e.reason.clone()]
            } else {
                e.reasons.iter().map(|r| r.text.clone()).collect()
            },
            suggestion: e.suggestion.clone(),
        })
        .collect();
    let fits = fits.map(|mut f| {
        f.word(&i18n::t, lang);
        f
    });
    let fits = fits.map(|f| FitsBlock {
        expert: f.expert.words(lang),
        rows: f
            .fits
            .iter()
            .map(|fit| FitRow {
                text: fit.text.clone(),
                gain: i18n::t(lang, "ui.plan_gain").replace(
                    "{gain}",
                    &format!(
                        "{}{}",
                        if fit.gain >= 0 { "+" } else { "" },
                        thousands(fit.gain)
                    ),
                ),
            })
            .collect(),
    });
    let accept_what = i18n::t_count(lang, "ui.plan_accept_what", detail.items.len() as f64)
        .replace("{n}", &detail.items.len().to_string());
    PlanPage {
        c,
        plan,
        summary,
        may_edit,
        view,
        svg,
        legend,
        items: cards,
        swap_options,
        gaps,
        fits,
        accept_what,
        error,
        error_item,
    }
}

async fn plan_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Response {
    let acting = viewer.acting();
    let detail = match service::get_plan(&state.db, &acting, &id).await {
        Ok(d) => d,
        Err(e) => return error_page(&viewer, NAV, here(&uri), e.into()),
    };
    let fits = match given(&q.fits) {
        Some(person) if detail.plan.status != PlanStatus::Queued => {
            match service::fits(&state.db, &acting, &id, &person).await {
                Ok(f) => Some(f),
                Err(e) => return error_page(&viewer, NAV, here(&uri), e.into()),
            }
        }
        _ => None,
    };
    let running = matches!(detail.plan.status, PlanStatus::Queued | PlanStatus::Running);
    let page = plan_view(
        &state,
        &viewer,
        detail,
        q.view.as_deref().unwrap_or("hospital"),
        fits,
        None,
        None,
    )
    .await;
    let mut res = render(&page);
    // While it solves, the page asks again every two seconds (no script needed).
    if running {
        res.headers_mut()
            .insert(header::REFRESH, HeaderValue::from_static("2"));
    }
    res
}

/// After an action on a plan: its page on success; on failure the page again with the
/// problem at the action (`at`: "plan", "accept" or the item's id), or an error page when the
/// action is refused or the plan unknown.
async fn after(
    state: &AppState,
    viewer: &Viewer,
    uri: &OriginalUri,
    id: &str,
    at: &str,
    result: Result<(), ApiError>,
) -> Response {
    let e = match result {
        Ok(()) => {
            let anchor = if at == "plan" || at == "accept" {
                String::new()
            } else {
                format!("#item-{at}")
            };
            return Redirect::to(&format!("/plans/{id}{anchor}")).into_response();
        }
        Err(e) => e,
    };
    if matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
        return error_page(viewer, NAV, here(uri), e);
    }
    let detail = match service::get_plan(&state.db, &viewer.acting(), id).await {
        Ok(d) => d,
        Err(e2) => return error_page(viewer, NAV, here(uri), e2.into()),
    };
    let status = e.status;
    let errors = FormErrors::from_api(&e);
    let page = plan_view(
        state,
        viewer,
        detail,
        "hospital",
        None,
        Some(errors),
        Some(at.to_string()),
    )
    .await;
    (status, render(&page)).into_response()
}

fn plan_id(raw: &str) -> Result<String, ApiError> {
    crate::pages::id_or_404(raw)
}

async fn plan_resolve(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(id): Path<String>,
    form: Form,
) -> Response {
    let viewer = form.viewer;
    let result = match plan_id(&id) {
        Ok(id) => service::resolve_plan(&state.db, &viewer.acting(), &id)
            .await
            .map(|_| ())
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    after(&state, &viewer, &uri, &id, "plan", result).await
}

async fn plan_accept(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(id): Path<String>,
    form: Form,
) -> Response {
    let viewer = form.viewer;
    let input = AcceptInput {
        batch_number: None,
        batch_name: form.data.opt("batch_name"),
    };
    let result = match plan_id(&id) {
        Ok(id) => service::accept_plan(&state.db, &viewer.acting(), &id, &input)
            .await
            .map(|_| ())
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    after(&state, &viewer, &uri, &id, "accept", result).await
}

async fn item_pin(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path((id, item)): Path<(String, String)>,
    form: Form,
) -> Response {
    let change = PlanItemChange {
        start_date: None,
        end_date: None,
        pinned: Some(form.data.get("pinned") != "false"),
    };
    let viewer = form.viewer;
    let result = service::change_item(&state.db, &viewer.acting(), &id, &item, &change)
        .await
        .map(|_| ())
        .map_err(ApiError::from);
    after(&state, &viewer, &uri, &id, &item, result).await
}

async fn item_move(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path((id, item)): Path<(String, String)>,
    form: Form,
) -> Response {
    let change = PlanItemChange {
        start_date: Some(form.data.get("start_date")),
        end_date: Some(form.data.get("end_date")),
        pinned: None,
    };
    let viewer = form.viewer;
    let result = service::change_item(&state.db, &viewer.acting(), &id, &item, &change)
        .await
        .map(|_| ())
        .map_err(ApiError::from);
    after(&state, &viewer, &uri, &id, &item, result).await
}

async fn item_swap(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path((id, item)): Path<(String, String)>,
    form: Form,
) -> Response {
    let input = PlanSwapInput {
        other_item_id: form.data.get("other_item_id"),
    };
    let viewer = form.viewer;
    let result = service::swap_items(&state.db, &viewer.acting(), &id, &item, &input)
        .await
        .map(|_| ())
        .map_err(ApiError::from);
    after(&state, &viewer, &uri, &id, &item, result).await
}

async fn item_remove(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path((id, item)): Path<(String, String)>,
    form: Form,
) -> Response {
    let viewer = form.viewer;
    let result = service::remove_item(&state.db, &viewer.acting(), &id, &item)
        .await
        .map(|_| ())
        .map_err(ApiError::from);
    after(&state, &viewer, &uri, &id, &item, result).await
}
