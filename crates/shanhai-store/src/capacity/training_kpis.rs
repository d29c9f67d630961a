//! Training KPIs: candidates and passes per indicator and year.

use super::{Collection, Ref};
use crate::record::Table;
use crate::row::row;
use shanhai_domain::capacity::*;

capacity_table!(
    TrainingKpis,
    TrainingKpi,
    "training_kpis",
    "training_kpi",
    "t.*, i.name AS institution_name",
    "training_kpis t JOIN institutions i ON i.id = t.institution_id",
    "error.training_kpi_exists"
);

row! {
    read TrainingKpi(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        indicator: code(TrainingIndicator::parse),
        year: int,
        candidates: int,
        passed: int,
        rate_percent: { percent(passed, candidates) },
        created_at: text,
        updated_at: text,
    }
    write NewTrainingKpi(n) {
        program_id: clone,
        institution_id: clone,
        indicator: code,
        year: copy,
        candidates: copy,
        passed: copy,
    }
}

impl Collection for TrainingKpis {
    type New = NewTrainingKpi;
    const SEARCH: &'static [&'static str] = &["i.name"];
    const ORDER: &'static str = "i.name, t.indicator, t.year, t.id";
    const KIND: Option<&'static str> = Some("t.indicator");
    const DATE: &'static str = "t.year";
    const DATE_IS_YEAR: bool = true;

    fn refs(_: &NewTrainingKpi) -> Vec<Ref<'_>> {
        Vec::new()
    }
}
