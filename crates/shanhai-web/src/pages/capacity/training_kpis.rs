//! Training KPIs (exam pass rates per institution and year): the list and the form.

use super::*;

pub(super) struct KpisS;
impl Section for KpisS {
    type R = TrainingKpi;
    type T = TrainingKpis;
    type I = TrainingKpiInput;
    const PATH: &'static str = "/training-kpis";
    const GROUP: &'static str = "teaching";
    const TITLE: &'static str = "ui.cap_kpis";
    const INTRO: &'static str = "ui.cap_kpis_intro";
    const NEW: &'static str = "ui.cap_new_kpi";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.year",
        "field.indicator",
        "field.institution_id",
        "field.candidates",
        "field.passed",
        "ui.cap_rate",
    ];
    const KIND: Option<&'static str> = Some("field.indicator");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(TrainingIndicator, lang)
    }
    fn row(c: &Chrome, r: &TrainingKpi) -> Vec<Cell> {
        vec![
            cell(r.year.to_string()),
            cell(r.indicator.label(c.lang)),
            opt(&r.institution_name),
            num(r.candidates),
            num(r.passed),
            Cell {
                num: true,
                ..cell(
                    r.rate_percent
                        .clone()
                        .map(|p| format!("{p}%"))
                        .unwrap_or_default(),
                )
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "indicator", true, options_of!(TrainingIndicator, c.lang)),
            number(c, "year", true).default(c.today.get(..4).unwrap_or_default()),
            number(c, "candidates", true),
            number(c, "passed", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &TrainingKpiInput) -> ServiceResult<String> {
        let created = service::training_kpis::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
