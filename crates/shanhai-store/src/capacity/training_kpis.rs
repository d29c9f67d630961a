//! Training KPIs: candidates and passes per indicator and year.

use super::{Collection, Ref};
use crate::Result;
use crate::query::{self, Arg, int, opt_text, text};
use crate::record::Table;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    TrainingKpis,
    TrainingKpi,
    "training_kpis",
    "training_kpi",
    "t.*, i.name AS institution_name",
    "training_kpis t JOIN institutions i ON i.id = t.institution_id",
    "error.training_kpi_exists",
    decode_kpi
);

fn decode_kpi(row: &AnyRow) -> Result<TrainingKpi> {
    let candidates = int(row, "candidates")?;
    let passed = int(row, "passed")?;
    Ok(TrainingKpi {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        indicator: query::code(row, "indicator", TrainingIndicator::parse)?,
        year: int(row, "year")?,
        candidates,
        passed,
        rate_percent: percent(passed, candidates),
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for TrainingKpis {
    type New = NewTrainingKpi;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "indicator",
        "year",
        "candidates",
        "passed",
    ];
    const SEARCH: &'static [&'static str] = &["i.name"];
    const ORDER: &'static str = "i.name, t.indicator, t.year, t.id";
    const KIND: Option<&'static str> = Some("t.indicator");
    const DATE: &'static str = "t.year";

    fn args(n: &NewTrainingKpi) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.indicator.code().into(),
            n.year.into(),
            n.candidates.into(),
            n.passed.into(),
        ]
    }

    fn refs(_: &NewTrainingKpi) -> Vec<Ref<'_>> {
        Vec::new()
    }
}
