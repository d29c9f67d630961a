//! Training KPIs: exam pass rates per institution and year.

use super::count;
use crate::validate::{code, optional_reference, reference};
use crate::{Invalid, Problems};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    TrainingIndicator {
        LicensingFirstPass => "licensing-first-pass", "执业医师首考通过率", "Licensing exam first-attempt pass rate";
        ResidencyCompletionPass => "residency-completion-pass", "住培结业考核通过率", "Residency completion exam pass rate";
    }
}

/// A rate `passed / candidates` as a percentage with two decimals, rounded half up, computed in
/// integers (`23 / 25` → `"92.00"`).
pub fn percent(passed: i64, candidates: i64) -> Option<String> {
    if candidates <= 0 {
        return None;
    }
    let hundredths = (passed * 10_000 * 2 + candidates) / (2 * candidates);
    Some(format!("{}.{:02}", hundredths / 100, hundredths % 100))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TrainingKpiInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[schema(value_type = TrainingIndicator)]
    pub indicator: String,
    pub year: i64,
    pub candidates: i64,
    pub passed: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTrainingKpi {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub indicator: TrainingIndicator,
    pub year: i64,
    pub candidates: i64,
    pub passed: i64,
}

impl TrainingKpiInput {
    pub fn parse(&self) -> Result<NewTrainingKpi, Problems> {
        crate::every! {
            year = if (1990..=2100).contains(&self.year) {
                Ok(self.year)
            } else {
                Err(Invalid::new("year", "error.year_range"))
            },
            candidates = count("candidates", self.candidates, 1_000_000),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            indicator = code("indicator", &self.indicator, TrainingIndicator::parse),
        }
        let passed = count("passed", self.passed, candidates)
            .map_err(|_| Invalid::new("passed", "error.passed_above_candidates"))?;
        Ok(NewTrainingKpi {
            program_id,
            institution_id,
            indicator,
            year,
            candidates,
            passed,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingKpi {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub indicator: TrainingIndicator,
    pub year: i64,
    pub candidates: i64,
    pub passed: i64,
    /// `passed / candidates` in percent with two decimals.
    pub rate_percent: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewTrainingKpi, TrainingKpi);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_rates_are_exact_percentages() {
        assert_eq!(percent(23, 25).as_deref(), Some("92.00"));
        assert_eq!(percent(1, 5).as_deref(), Some("20.00"));
        assert_eq!(percent(2, 3).as_deref(), Some("66.67"));
        assert_eq!(percent(0, 0), None);
    }
}
