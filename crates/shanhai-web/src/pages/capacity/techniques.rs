//! New techniques (新技术新项目): the list and form, and a technique's page with its timeline
//! from introduction to independence, its case log and the forms that add a case or move the stage.

use super::*;

pub(super) struct TechniquesS;
impl Section for TechniquesS {
    type R = Technique;
    type T = Techniques;
    type I = TechniqueInput;
    const PATH: &'static str = "/techniques";
    const GROUP: &'static str = "techniques";
    const TITLE: &'static str = "ui.cap_techniques";
    const INTRO: &'static str = "ui.cap_techniques_intro";
    const NEW: &'static str = "ui.cap_new_technique";
    const EMPTY: &'static str = "ui.cap_no_techniques";
    const HEADERS: &'static [&'static str] = &[
        "ui.cap_technique",
        "field.institution_id",
        "field.gap_level",
        "field.expert_id",
        "field.introduced_on",
        "ui.cap_cases",
        "field.stage",
    ];
    const KIND: Option<&'static str> = Some("field.stage");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(TechniqueStage, lang)
    }
    fn row(c: &Chrome, r: &Technique) -> Vec<Cell> {
        vec![
            with_sub(
                link(r.name.clone(), format!("/techniques/{}", r.id)),
                Some(
                    [
                        c.specialty(&r.specialty_code),
                        r.surgical_grade
                            .map(|g| grade_label(c.lang, g))
                            .unwrap_or_default(),
                    ]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" · "),
                ),
            ),
            with_sub(opt(&r.institution_name), r.department_name.clone()),
            match r.gap_level {
                Some(g) => badge(g.label(c.lang), "gold"),
                None => cell(""),
            },
            opt(&r.expert_name),
            cell(r.introduced_on.clone()),
            Cell {
                sub: (r.case_count > 0)
                    .then(|| format!("{} {}", c.t("ui.cap_local"), r.local_case_count)),
                ..num(r.case_count)
            },
            badge(r.stage.label(c.lang), stage_class(r.stage)),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true).label("ui.cap_technique_name", c),
            select(c, "specialty_code", true, c.specialty_options()).default(
                c.departments
                    .first()
                    .map(|d| d.specialty_code.clone())
                    .unwrap_or_default(),
            ),
            pick(c, "department_id", false, c.department_picks(), ""),
            Field {
                json: Json::OptInt,
                ..select(c, "surgical_grade", false, Vec::new())
            }
            .options(
                (1..=4)
                    .map(|g| (g.to_string(), grade_label(c.lang, g)))
                    .collect(),
            ),
            select(c, "gap_level", false, options_of!(GapLevel, c.lang)).help("ui.cap_gap_help", c),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
            select(c, "pairing_id", false, c.pairing_options()),
            pick(
                c,
                "expert_id",
                false,
                c.expert_picks("doctor"),
                "specialty:department_id.specialty",
            )
            .label("ui.cap_introducing_expert", c),
            date(c, "introduced_on", true),
            area(c, "description"),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &TechniqueInput) -> ServiceResult<String> {
        let (t, earlier) = service::techniques::create(db, who, input).await?;
        let mut next = format!("/techniques/{}?created=1", t.id);
        if !earlier.is_empty() {
            let ids: Vec<&str> = earlier.iter().map(|e| e.technique_id.as_str()).collect();
            next.push_str(&format!("&earlier={}", ids.join(",")));
        }
        Ok(next)
    }
}

fn grade_label(lang: Lang, g: i64) -> String {
    let zh = ["一级手术", "二级手术", "三级手术", "四级手术"];
    match (lang, usize::try_from(g - 1).ok().and_then(|i| zh.get(i))) {
        (Lang::Zh, Some(s)) => (*s).to_string(),
        _ => format!("Grade {g}"),
    }
}

fn stage_class(s: TechniqueStage) -> &'static str {
    match s {
        TechniqueStage::Introduced => "soft",
        TechniqueStage::Demonstrated => "",
        TechniqueStage::Supervised => "gold",
        TechniqueStage::Independent => "ok",
    }
}

// ---- one technique ----

/// A stage of the timeline with when it was reached.
pub struct Step {
    pub label: String,
    pub reached: Option<String>,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "technique.html")]
pub(super) struct TechniquePage {
    c: Chrome,
    tabs: Vec<Tab>,
    d: TechniqueDetail,
    steps: Vec<Step>,
    can_write: bool,
    created: bool,
    warnings: Vec<Warning>,
    operators: Vec<(String, String)>,
    supervisors: Vec<(String, String)>,
    outcomes: Vec<(String, String)>,
    next_stages: Vec<(String, String)>,
    /// The form that failed ("case" or "stage") and why.
    failed: Option<(&'static str, FormErrors)>,
    values: FormData,
    /// The technique's earliest operation (its 首例 in the operations log): id, date, procedure.
    first_operation: Option<(String, String, String)>,
}

impl TechniquePage {
    fn t(&self) -> &Technique {
        &self.d.technique
    }

    fn err(&self, form: &str, field: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(f, _)| *f == form)
            .and_then(|(_, e)| e.at(field))
    }

    fn alert(&self, form: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, e)| e.summary())
    }

    fn value(&self, form: &str, field: &str, default: &str) -> String {
        if self.failed.as_ref().is_some_and(|(f, _)| *f == form) {
            self.values.get(field)
        } else {
            default.to_string()
        }
    }

    fn grade(&self) -> String {
        self.t()
            .surgical_grade
            .map(|g| grade_label(self.c.lang, g))
            .unwrap_or_default()
    }

    fn stage_class(&self) -> &'static str {
        stage_class(self.t().stage)
    }

    fn event_stage(&self, code: &str) -> String {
        TechniqueStage::parse(code)
            .map(|s| s.label(self.c.lang).to_string())
            .unwrap_or_default()
    }
}

/// When a stage was reached: the date given with the change (the note starts with it), else
/// the day it was recorded.
fn stage_date(c: &Chrome, e: &TechniqueEvent) -> String {
    let given = e
        .note
        .as_deref()
        .and_then(|n| n.get(..10))
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok());
    match given {
        Some(d) => d.to_string(),
        None => {
            let at = c.time(&e.at);
            at.get(..10).unwrap_or(&at).to_string()
        }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct TechniqueQuery {
    created: Option<String>,
    earlier: Option<String>,
}

async fn technique_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    q: &TechniqueQuery,
    failed: Option<(&'static str, FormErrors)>,
    values: FormData,
) -> Result<TechniquePage, ApiError> {
    // The earlier records a "first in the region" claim ran into, named on the page.
    let earlier: Vec<String> = given(&q.earlier)
        .unwrap_or_default()
        .split(',')
        .filter_map(shanhai_domain::ids::parse_id)
        .collect();
    let shown = service::techniques::shown(&state.db, &viewer.acting(), id, &earlier).await?;
    let mut d = shown.detail;
    let c = Chrome::new(Some(viewer), NAV, format!("/techniques/{id}"));
    let t = &d.technique;
    let steps = TechniqueStage::ALL
        .iter()
        .map(|s| Step {
            label: s.label(c.lang).to_string(),
            reached: if *s == TechniqueStage::Introduced {
                Some(t.introduced_on.clone())
            } else {
                d.timeline
                    .iter()
                    .find(|e| e.to_state == s.code() && e.from_state != e.to_state)
                    .map(|e| stage_date(&c, e))
            },
            current: *s == t.stage,
        })
        .collect();
    // The record's creation is the introduction, shown from `introduced_on`; the timeline
    // lists the stage changes.
    d.timeline.retain(|e| e.from_state != e.to_state);
    let (mut operators, mut supervisors) = (Vec::new(), Vec::new());
    if let Some(choices) = shown.choices {
        let ctx = FormCtx::new(choices, &d.technique.institution_id, Vec::new());
        operators = ctx.local_options();
        operators.extend(ctx.expert_options());
        supervisors = ctx.expert_options();
        supervisors.extend(ctx.local_options());
    }
    let next_stages = TechniqueStage::ALL
        .iter()
        .filter(|s| d.technique.stage.may_move_to(**s, i64::MAX).is_ok())
        .map(|s| (s.code().to_string(), s.label(c.lang).to_string()))
        .collect();
    let first_operation =
        shanhai_service::operations::first_of_technique(&state.db, &d.technique.id)
            .await?
            .map(|o| (o.id, o.performed_on, o.procedure_name));
    Ok(TechniquePage {
        first_operation,
        tabs: tabs(&c, "techniques"),
        steps,
        can_write: shown.may_write,
        created: given(&q.created).is_some(),
        warnings: gap_warnings(&shown.earlier),
        operators,
        supervisors,
        outcomes: options_of!(CaseOutcome, c.lang),
        next_stages,
        failed,
        values,
        d,
        c,
    })
}

pub(super) async fn technique_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Query(q): Query<TechniqueQuery>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => technique_data(&state, &viewer, &id, &q, None, FormData::parse(b"")).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(mut page) => {
            page.c.here = here(&uri);
            render(&page)
        }
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// Logs a case from the technique's page.
pub(super) async fn technique_case(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    form: Form,
) -> Response {
    let input = TechniqueCaseInput {
        performed_on: form.data.get("performed_on"),
        operator_id: form.data.get("operator_id"),
        supervisor_id: form.data.opt("supervisor_id"),
        outcome: form.data.get("outcome"),
        note: form.data.opt("note"),
    };
    on_technique(&state, form, &raw, "case", |db, who, id| async move {
        service::techniques::record_case(db, &who, &id, &input)
            .await
            .map(drop)
    })
    .await
}

/// Moves the technique to a later stage from its page.
pub(super) async fn technique_stage(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    form: Form,
) -> Response {
    let input = StageInput {
        stage: form.data.get("stage"),
        on: form.data.opt("on"),
        note: form.data.opt("note"),
    };
    on_technique(&state, form, &raw, "stage", |db, who, id| async move {
        service::techniques::change_stage(db, &who, &id, &input)
            .await
            .map(drop)
    })
    .await
}

/// A form posted on a technique's page: runs `act` and goes back to the form on the page, or
/// shows the page again with every problem beside its field.
async fn on_technique<'a, Fut>(
    state: &'a AppState,
    Form { viewer, data }: Form,
    raw: &str,
    form_name: &'static str,
    act: impl FnOnce(&'a Db, Acting, String) -> Fut,
) -> Response
where
    Fut: Future<Output = ServiceResult<()>>,
{
    let back = format!("/techniques/{raw}");
    let id = match id_or_404(raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, back, e),
    };
    let Err(e) = act(&state.db, viewer.acting(), id.clone()).await else {
        return Redirect::to(&format!("{back}#{form_name}")).into_response();
    };
    let query = TechniqueQuery::default();
    form_failed(&viewer, NAV, back, e.into(), REFUSED, |error| {
        technique_data(state, &viewer, &id, &query, Some((form_name, error)), data)
    })
    .await
}
