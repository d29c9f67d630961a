//! Reported KPI pages: the reports the viewer reaches with their states, a new report for an
//! institution and period, and a report's value entry form (unit, direction, baseline, target,
//! value) with submit for the institution and approve, return and reopen (with a reason) for the
//! program office. An approved report is shown read-only with a lock.

use super::dispatch::{all, here, page_no};
use super::{Form, FormData, FormErrors, Pager, Viewer, error_page, id_or_404, not_found, render};
use crate::AppState;
use crate::auth::AccessFacts;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_domain::kpis::*;
use shanhai_domain::registry::{Institution, Program};
use shanhai_service::kpis as service;
use shanhai_store::PageRequest;
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::kpis::{self, KpiReportFilter};
use shanhai_store::programs::{self, ProgramFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kpis", get(list_page).post(create))
        .route("/kpis/{id}", get(report_page).post(save))
        .route("/kpis/{id}/{action}", post(act))
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    program: Option<String>,
    institution: Option<String>,
    period: Option<String>,
    state: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "kpis.html")]
struct ListPage {
    c: super::Chrome,
    reports: Vec<KpiReport>,
    pager: Pager,
    programs: Vec<Program>,
    institutions: Vec<Institution>,
    /// Institutions the viewer enters figures for.
    enterable: Vec<Institution>,
    states: &'static [ReportState],
    program: String,
    institution: String,
    period: String,
    state: String,
    values: FormData,
    error: Option<FormErrors>,
    /// The latest change of each KPI the viewer reaches (from approved reports).
    changes: Vec<ChangeRow>,
}

/// One KPI's latest change, as the list page's cards show it.
struct ChangeRow {
    name: String,
    institution: String,
    latest: String,
    /// "同比 −0.31天（−3.48%）", "较2021年 +11个百分点（+13.58%）".
    change: String,
    /// `up`/`down` for the better/worse colour: `better`, `worse` or `same`.
    tone: &'static str,
}

/// Hundredths of a percent as `6.11`, `360`.
fn trim_pct(bp: i64) -> String {
    crate::api::briefing::trim_decimals(&format_scaled(bp.abs(), 2))
}

/// A standing's change in words for the list page: from the period before when it was
/// approved too, else from the baseline or first figure.
fn change_row(s: &KpiStanding, lang: shanhai_domain::Lang) -> Option<ChangeRow> {
    use crate::i18n::t;
    let (c, label) = match (&s.previous, &s.since_first) {
        (Some(c), _) => (
            c,
            t(
                lang,
                if s.period_type == PeriodType::Year {
                    "ui.kpi_change_yoy"
                } else {
                    "ui.kpi_change_pop"
                },
            ),
        ),
        (None, Some(c)) if c.delta_scaled != 0 => {
            let since = Period::parse("p", &c.from_period)
                .map(|p| p.label(lang))
                .unwrap_or_else(|_| t(lang, "ui.kpi_baseline"));
            (
                c,
                t(lang, "ui.kpi_change_since").replace("{period}", &since),
            )
        }
        _ => return None,
    };
    let scale_unit = 10f64.powi(s.scale as i32);
    let unit = |v: i64| shanhai_domain::words::unit_after(&s.unit, v as f64 / scale_unit, lang);
    let sign = if c.delta_scaled > 0 { "+" } else { "−" };
    let shown = |v: i64| crate::api::briefing::trim_decimals(&format_scaled(v, s.scale));
    let delta = shown(c.delta_scaled.abs());
    let delta = if s.unit == "%" {
        t(lang, "ui.briefing.kpi_points").replace("{n}", &delta)
    } else {
        format!("{delta}{}", unit(c.delta_scaled.abs()))
    };
    let relative = c
        .relative_bp
        .map(|r| match lang {
            shanhai_domain::Lang::Zh => format!("（{sign}{}%）", trim_pct(r)),
            shanhai_domain::Lang::En => format!(" ({sign}{}%)", trim_pct(r)),
        })
        .unwrap_or_default();
    let period = Period::parse("p", &s.latest_period)
        .map(|p| p.label(lang))
        .unwrap_or_default();
    Some(ChangeRow {
        name: s.name(lang).to_string(),
        institution: s.institution_name.clone().unwrap_or_default(),
        latest: format!(
            "{period} {}{}",
            shown(s.latest_value_scaled),
            unit(s.latest_value_scaled)
        ),
        change: format!("{label} {sign}{delta}{relative}"),
        tone: match c.improved {
            Some(true) => "better",
            Some(false) => "worse",
            None => "same",
        },
    })
}

impl ListPage {
    fn state_class(&self, state: &ReportState) -> &'static str {
        state_class(state)
    }

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
}

/// The badge class of a state.
fn state_class(state: &ReportState) -> &'static str {
    match state {
        ReportState::Draft => "soft",
        ReportState::Submitted => "gold",
        ReportState::Approved => "ok",
        ReportState::Reopened => "off",
    }
}

async fn list_data(
    state: &AppState,
    viewer: &Viewer,
    uri: &OriginalUri,
    q: ListQuery,
    values: FormData,
    error: Option<FormErrors>,
) -> Result<ListPage, ApiError> {
    let facts = AccessFacts::load(&state.db).await?;
    let reach = facts.reach(&viewer.principal);
    let period = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(Period::parse("period", p)?.key()),
        None => None,
    };
    let filter = KpiReportFilter {
        institution: q.institution.clone().filter(|v| !v.is_empty()),
        program: q.program.clone().filter(|v| !v.is_empty()),
        period,
        state: q.state.clone().filter(|v| !v.is_empty()),
        region: None,
    };
    let acting = viewer.acting();
    let request = PageRequest::new(page_no(&q.page), Some(30));
    let page = service::list(&state.db, &acting, &filter, request).await?;
    let pager = Pager::new(
        &page,
        "/kpis",
        &[
            ("program", q.program.as_deref()),
            ("institution", q.institution.as_deref()),
            ("period", q.period.as_deref()),
            ("state", q.state.as_deref()),
        ],
    );
    let institutions: Vec<Institution> =
        institutions::list(&state.db, &InstitutionFilter::default(), all())
            .await?
            .items
            .into_iter()
            .filter(|i| reach.contains(&i.id))
            .collect();
    let enterable = institutions
        .iter()
        .filter(|i| may_enter(&viewer.principal, facts.access(&viewer.principal, &i.id)))
        .cloned()
        .collect();
    let programs = programs::list(&state.db, &ProgramFilter::default(), all())
        .await?
        .items
        .into_iter()
        .filter(|p| {
            viewer.principal.is_admin()
                || viewer.principal.can_manage_program(&p.id)
                || facts.links.iter().any(|l| {
                    l.program_id == p.id
                        && (reach.contains(&l.donor_id) || reach.contains(&l.recipient_id))
                })
        })
        .collect();
    let lang = crate::i18n::current();
    let standings = service::standings(
        &state.db,
        &acting,
        &kpis::StandingsFilter {
            program: filter.program.clone(),
            institution: filter.institution.clone(),
            ..Default::default()
        },
    )
    .await?;
    let changes = standings
        .iter()
        .filter_map(|s| change_row(s, lang))
        .take(12)
        .collect();
    Ok(ListPage {
        changes,
        c: super::Chrome::new(Some(viewer), "kpis", here(uri)),
        reports: page.items,
        pager,
        programs,
        institutions,
        enterable,
        states: ReportState::ALL,
        program: q.program.unwrap_or_default(),
        institution: q.institution.unwrap_or_default(),
        period: q.period.unwrap_or_default(),
        state: q.state.unwrap_or_default(),
        values,
        error,
    })
}

async fn list_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    let defaults = FormData::parse(
        format!(
            "institution_id={}&program_id={}",
            viewer.principal.institution_id.clone().unwrap_or_default(),
            viewer.principal.program_id.clone().unwrap_or_default()
        )
        .as_bytes(),
    );
    match list_data(&state, &viewer, &uri, q, defaults, None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "kpis", here(&uri), e),
    }
}

async fn create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let input = KpiReportInput {
        institution_id: form.get("institution_id"),
        program_id: form.opt("program_id"),
        period: form.get("period"),
        values: Vec::new(),
    };
    let result = service::open(&state.db, &viewer.acting(), &input)
        .await
        .map_err(ApiError::from);
    match result {
        Ok(r) => Redirect::to(&format!("/kpis/{}", r.id)).into_response(),
        Err(e) if e.status == axum::http::StatusCode::FORBIDDEN => {
            error_page(&viewer, "kpis", here(&uri), e)
        }
        Err(e) => {
            let status = e.status;
            let error = FormErrors::from_api(&e);
            match list_data(
                &state,
                &viewer,
                &uri,
                ListQuery::default(),
                form,
                Some(error),
            )
            .await
            {
                Ok(page) => (status, render(&page)).into_response(),
                Err(e) => error_page(&viewer, "kpis", here(&uri), e),
            }
        }
    }
}

/// One line of the entry form: a definition and what is entered for it.
struct Row {
    def: KpiDefinition,
    value: String,
    baseline: String,
    target: String,
    note: String,
}

#[derive(Template)]
#[template(path = "kpi_report.html")]
struct ReportPage {
    c: super::Chrome,
    r: KpiReport,
    rows: Vec<Row>,
    can_edit: bool,
    can_submit: bool,
    can_approve: bool,
    can_return: bool,
    can_reopen: bool,
    error: Option<FormErrors>,
    /// The form the error belongs to: `values`, `return` or `reopen`.
    failed: String,
    notice: Option<String>,
}

impl ReportPage {
    fn row_error(&self, i: &usize, name: &str) -> Option<String> {
        let field = format!("values[{i}].{name}");
        self.error
            .as_ref()
            .filter(|_| self.failed == "values")
            .and_then(|e| e.at(&field))
    }

    fn reason_error(&self, form: &str) -> Option<String> {
        self.error
            .as_ref()
            .filter(|_| self.failed == form)
            .map(FormErrors::beside)
    }

    fn state_class(&self) -> &'static str {
        state_class(&self.r.state)
    }

    fn arrow(&self, d: &KpiDirection) -> &'static str {
        match d {
            KpiDirection::Higher => "↑",
            KpiDirection::Lower => "↓",
        }
    }

    fn reported(&self) -> usize {
        self.rows.iter().filter(|r| !r.value.is_empty()).count()
    }

    fn action_label(&self, action: &str) -> String {
        ReportAction::parse(action)
            .map(|a| a.label(self.c.lang).to_string())
            .unwrap_or_else(|| self.c.t("ui.kpi_created"))
    }

    fn state_label(&self, state: &str) -> String {
        ReportState::parse(state)
            .map(|s| s.label(self.c.lang).to_string())
            .unwrap_or_default()
    }

    /// Whether the row's value reaches its target.
    fn met(&self, row: &Row) -> Option<bool> {
        let v = row.def.value("v", &row.value).ok()?;
        let t = row.def.value("t", &row.target).ok()?;
        Some(meets_target(row.def.direction, v, t))
    }
}

/// The rows shown: every definition reported for this kind of period, filled from the report
/// (or from a form sent back with an error).
fn rows(defs: Vec<KpiDefinition>, r: &KpiReport, form: Option<&FormData>) -> Vec<Row> {
    defs.into_iter()
        .filter(|d| d.allows(r.period_type) || r.values.iter().any(|v| v.definition == d.code))
        .map(|def| {
            let stored = r.values.iter().find(|v| v.definition == def.code);
            let pick = |name: &str, stored: Option<&Option<String>>| match form {
                Some(f) => f.get(&format!("{name}:{}", def.code)),
                None => stored.cloned().flatten().unwrap_or_default(),
            };
            Row {
                value: pick("value", stored.map(|v| &v.value)),
                baseline: pick("baseline", stored.map(|v| &v.baseline)),
                target: pick("target", stored.map(|v| &v.target)),
                note: pick("note", stored.map(|v| &v.note)),
                def,
            }
        })
        .collect()
}

async fn report_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: Option<&FormData>,
    error: Option<(String, FormErrors)>,
    notice: Option<String>,
) -> Result<ReportPage, ApiError> {
    let (r, rights) = service::read(&state.db, &viewer.acting(), id).await?;
    let defs = kpis::definitions(&state.db).await?;
    let (failed, error) = match error {
        Some((f, e)) => (f, Some(e)),
        None => (String::new(), None),
    };
    Ok(ReportPage {
        c: super::Chrome::new(Some(viewer), "kpis", format!("/kpis/{id}")),
        rows: rows(defs, &r, form),
        can_edit: rights.edit,
        can_submit: rights.submit,
        can_approve: rights.approve,
        can_return: rights.give_back,
        can_reopen: rights.reopen,
        r,
        error,
        failed,
        notice,
    })
}

#[derive(Debug, Default, Deserialize)]
struct ReportQuery {
    done: Option<String>,
}

async fn report_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let Some(id) = shanhai_domain::ids::parse_id(&raw) else {
        return error_page(&viewer, "kpis", here(&uri), ApiError::not_found());
    };
    let notice = q
        .done
        .as_deref()
        .filter(|d| matches!(*d, "saved" | "submit" | "approve" | "return" | "reopen"))
        .map(|d| crate::i18n::t(crate::i18n::current(), &format!("ui.kpi_done_{d}")));
    match report_data(&state, &viewer, &id, None, None, notice).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "kpis", here(&uri), e),
    }
}

/// Saves the entry form (every definition shown, one line each) and, when asked, submits.
async fn save(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let Ok(id) = id_or_404(&raw) else {
        return not_found(&viewer, "kpis", here(&uri));
    };
    let then_submit = form.get("then") == "submit";
    let values: Vec<KpiValueInput> = form
        .all("definition")
        .into_iter()
        .map(|code| KpiValueInput {
            value: form.opt(&format!("value:{code}")),
            baseline: form.opt(&format!("baseline:{code}")),
            target: form.opt(&format!("target:{code}")),
            note: form.opt(&format!("note:{code}")),
            definition: code,
        })
        .collect();
    let result = service::save(&state.db, &viewer.acting(), &id, &values, then_submit)
        .await
        .map(|_| ())
        .map_err(ApiError::from);
    let done = if then_submit { "submit" } else { "saved" };
    finish(
        &state,
        &viewer,
        &uri,
        &id,
        result,
        "values",
        Some(&form),
        done,
    )
    .await
}

/// Answers a form post: back to the report with a notice, or the report with the error beside
/// the form that failed.
#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    viewer: &Viewer,
    uri: &OriginalUri,
    id: &str,
    result: Result<(), ApiError>,
    form_name: &str,
    form: Option<&FormData>,
    done: &str,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/kpis/{id}?done={done}")).into_response(),
        Err(e) if e.status == axum::http::StatusCode::FORBIDDEN => {
            error_page(viewer, "kpis", here(uri), e)
        }
        Err(e) => {
            let status = e.status;
            let error = FormErrors::from_api(&e);
            let values_form = form.filter(|_| form_name == "values");
            match report_data(
                state,
                viewer,
                id,
                values_form,
                Some((form_name.to_string(), error)),
                None,
            )
            .await
            {
                Ok(page) => (status, render(&page)).into_response(),
                Err(e) => error_page(viewer, "kpis", here(uri), e),
            }
        }
    }
}

async fn act(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path((raw, raw_action)): Path<(String, String)>,
    Form { viewer, data: form }: Form,
) -> Response {
    let (Ok(id), Some(action)) = (id_or_404(&raw), ReportAction::parse(&raw_action)) else {
        return not_found(&viewer, "kpis", here(&uri));
    };
    let input = KpiTransitionInput {
        reason: form.opt("reason"),
    };
    let result = service::act(&state.db, &viewer.acting(), &id, action, &input)
        .await
        .map(|_| ())
        .map_err(ApiError::from);
    finish(
        &state,
        &viewer,
        &uri,
        &id,
        result,
        action.code(),
        None,
        action.code(),
    )
    .await
}
