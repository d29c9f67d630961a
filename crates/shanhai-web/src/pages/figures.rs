//! The program office's view of remote consultation and referral: de-identified figures for a
//! program and period, and the program's turnaround targets (which the office sets).

use super::FormErrors;
use super::dispatch::{all, here};
use super::{Chrome, Form, FormData, Viewer, error_page, form_failed, render};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shanhai_domain::consultations::{
    ConsultationFigures, ConsultationState, ConsultationType, TargetHours, TargetsInput, Urgency,
};
use shanhai_domain::referrals::ReferralFigures;
use shanhai_domain::registry::Program;
use shanhai_store::consultations;
use shanhai_store::programs::{self, ProgramFilter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/figures", get(figures_page))
        .route("/figures/targets", post(set_targets))
}

#[derive(Deserialize, Default)]
struct FiguresQuery {
    program: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    c: Chrome,
    programs: Vec<Program>,
    program: Option<Program>,
    from: String,
    until: String,
    consultations: ConsultationFigures,
    referrals: ReferralFigures,
    targets: TargetsInput,
    can_set_targets: bool,
    error: Option<FormErrors>,
}

impl FiguresPage {
    fn type_rows(&self) -> Vec<(String, i64)> {
        ConsultationType::ALL
            .iter()
            .map(|t| {
                (
                    t.label(self.c.lang).to_string(),
                    self.consultations
                        .by_type
                        .get(t.code())
                        .copied()
                        .unwrap_or(0),
                )
            })
            .collect()
    }

    fn state_rows(&self) -> Vec<(String, i64)> {
        ConsultationState::ALL
            .iter()
            .map(|s| {
                (
                    s.label(self.c.lang).to_string(),
                    self.consultations
                        .by_state
                        .get(s.code())
                        .copied()
                        .unwrap_or(0),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// `part` of `whole` as a percentage with one decimal, or "—".
    fn percent(&self, part: &i64, whole: &i64) -> String {
        if *whole <= 0 {
            "—".into()
        } else {
            format!("{:.1}%", *part as f64 * 100.0 / *whole as f64)
        }
    }

    /// The bar width (percent of the largest row) for a count.
    fn bar(&self, n: &i64, rows: &[(String, i64)]) -> i64 {
        let max = rows.iter().map(|r| r.1).max().unwrap_or(0);
        if max <= 0 { 0 } else { n * 100 / max }
    }

    fn hours(&self, h: &f64) -> String {
        let h = *h;
        if h.fract() == 0.0 {
            format!("{h:.0}")
        } else {
            format!("{h:.2}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        }
    }

    fn urgency_label(&self, urgent: bool) -> &'static str {
        let u = if urgent {
            Urgency::Urgent
        } else {
            Urgency::Routine
        };
        u.label(self.c.lang)
    }

    /// The records page of a consultation figure over the page's period (de-identified), or
    /// none without a program: `code` is `consultations` or `consultations-<type>`, titled
    /// `label` (empty: the indicator's name).
    fn records_link(&self, code: &str, label: &str, n: &i64) -> Option<String> {
        let program = self.program.as_ref()?;
        let label = if label.is_empty() {
            shanhai_domain::indicators::CATALOGUE
                .iter()
                .find(|i| i.code == code)
                .map_or(code, |i| i.name(self.c.lang))
        } else {
            label
        };
        let until = if self.until.is_empty() {
            shanhai_store::today().to_string()
        } else {
            self.until.clone()
        };
        let within = crate::api::indicators::Within {
            program: &program.id,
            from: (!self.from.is_empty()).then_some(self.from.as_str()),
            until: &until,
            ..Default::default()
        };
        let src = crate::api::indicators::records_url(code, &within)?;
        Some(format!(
            "/records?src={}&title={}&expect={n}",
            super::urlencode(&src),
            super::urlencode(label)
        ))
    }

    /// The consultation types as (code, label, count).
    fn type_codes(&self) -> Vec<(String, String, i64)> {
        ConsultationType::ALL
            .iter()
            .map(|t| {
                (
                    format!("consultations-{}", t.code()),
                    t.label(self.c.lang).to_string(),
                    self.consultations
                        .by_type
                        .get(t.code())
                        .copied()
                        .unwrap_or(0),
                )
            })
            .collect()
    }

    fn field_error(&self, field: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(field))
    }
}

/// The program the viewer's figures are about: the office's own (another is refused, as by the
/// API); any for the admin (the first when none is asked for). Others are refused.
fn chosen_program(
    viewer: &Viewer,
    asked: Option<&str>,
    programs: &[Program],
) -> Result<Option<Program>, ApiError> {
    let asked = asked.filter(|a| !a.is_empty()).map(str::to_string);
    let id = viewer
        .principal
        .figures_program(asked)?
        .or_else(|| programs.first().map(|p| p.id.clone()));
    Ok(id.and_then(|id| programs.iter().find(|p| p.id == id).cloned()))
}

async fn page_data(
    state: &AppState,
    viewer: &Viewer,
    q: FiguresQuery,
    here_path: String,
    error: Option<FormErrors>,
) -> Result<FiguresPage, ApiError> {
    let programs = programs::list(&state.db, &ProgramFilter::default(), all())
        .await?
        .items;
    let program = chosen_program(viewer, q.program.as_deref(), &programs)?;
    let program_id = program.as_ref().map(|p| p.id.clone());
    let date = |d: Option<String>| {
        d.filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
            .unwrap_or_default()
    };
    let (from, until) = (date(q.from), date(q.until));
    let opt = |s: &String| (!s.is_empty()).then(|| s.clone());
    let acting = viewer.acting();
    let (db, period) = (&state.db, (opt(&from), opt(&until)));
    let consultations = shanhai_service::consultations::figures(
        db,
        &acting,
        program_id.clone(),
        None,
        period.0.clone(),
        period.1.clone(),
    )
    .await?;
    let referrals = shanhai_service::referrals::figures(
        db,
        &acting,
        program_id.clone(),
        None,
        period.0,
        period.1,
    )
    .await?;
    let targets = match &program_id {
        Some(id) => consultations::targets(&state.db, id).await?.into(),
        None => shanhai_domain::consultations::Targets::default().into(),
    };
    let can_set_targets = program_id
        .as_deref()
        .is_some_and(|id| viewer.principal.can_manage_program(id));
    Ok(FiguresPage {
        c: Chrome::new(Some(viewer), "figures", here_path),
        programs: if viewer.principal.is_admin() {
            programs
        } else {
            Vec::new()
        },
        program,
        from,
        until,
        consultations,
        referrals,
        targets,
        can_set_targets,
        error,
    })
}

async fn figures_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<FiguresQuery>,
) -> Response {
    match page_data(&state, &viewer, q, here(&uri), None).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "figures", here(&uri), e),
    }
}

fn hours_field(form: &FormData, name: &'static str) -> Result<f64, ApiError> {
    form.get(name)
        .trim()
        .parse::<f64>()
        .map_err(|_| shanhai_domain::Invalid::new(name, "error.target_range").into())
}

async fn set_targets(State(state): State<AppState>, Form { viewer, data: form }: Form) -> Response {
    let program = form.get("program");
    let back = format!("/figures?program={}", super::urlencode(&program));
    let result: Result<(), ApiError> = async {
        let input = TargetsInput {
            urgent: TargetHours {
                accept_hours: hours_field(&form, "urgent_accept")?,
                report_hours: hours_field(&form, "urgent_report")?,
            },
            routine: TargetHours {
                accept_hours: hours_field(&form, "routine_accept")?,
                report_hours: hours_field(&form, "routine_report")?,
            },
        };
        let acting = viewer.acting();
        shanhai_service::consultations::set_targets(&state.db, &acting, &program, &input).await?;
        Ok(())
    }
    .await;
    let Err(e) = result else {
        return Redirect::to(&back).into_response();
    };
    let q = FiguresQuery {
        program: Some(program),
        ..Default::default()
    };
    form_failed(
        &viewer,
        "figures",
        back.clone(),
        e,
        &[StatusCode::FORBIDDEN],
        |error| page_data(&state, &viewer, q, back.clone(), Some(error)),
    )
    .await
}
