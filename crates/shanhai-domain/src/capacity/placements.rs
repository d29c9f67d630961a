//! 进修 placements: local staff trained at a donor hospital.

use super::{NOTE_MAX, TITLE_MAX, optional_code};
use crate::Problems;
use crate::validate::{self, optional_reference, optional_text, reference, text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    PlacementStatus {
        Ongoing => "ongoing", "进修中", "Ongoing";
        Completed => "completed", "已结业", "Completed";
        Withdrawn => "withdrawn", "中止", "Withdrawn";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlacementInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The trainee's own (local) institution.
    #[schema(format = Uuid)]
    pub institution_id: String,
    /// The trainee, a person of `institution_id`.
    #[schema(format = Uuid)]
    pub person_id: String,
    /// The donor hospital that hosts the placement.
    #[schema(format = Uuid)]
    pub host_institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub host_department_id: Option<String>,
    pub subject: String,
    #[schema(format = Date)]
    pub start_date: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub end_date: Option<String>,
    /// `ongoing` (default), `completed`, `withdrawn`.
    #[serde(default)]
    #[schema(value_type = Option<PlacementStatus>)]
    pub status: Option<String>,
    /// Skills learned or certificate obtained.
    #[serde(default)]
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPlacement {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub person_id: String,
    pub host_institution_id: String,
    pub host_department_id: Option<String>,
    pub subject: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub status: PlacementStatus,
    pub outcome: Option<String>,
}

impl PlacementInput {
    pub fn parse(&self) -> Result<NewPlacement, Problems> {
        crate::every! {
            start_date = validate::date("start_date", &self.start_date),
            end_date = validate::optional_date("end_date", self.end_date.as_deref()),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            person_id = reference("person_id", &self.person_id),
            host_institution_id = reference("host_institution_id", &self.host_institution_id),
            host_department_id = optional_reference(
                "host_department_id",
                self.host_department_id.as_deref(),
            ),
            subject = text("subject", &self.subject, TITLE_MAX),
            status = optional_code("status", self.status.as_deref(), PlacementStatus::parse),
            outcome = optional_text("outcome", self.outcome.as_deref(), NOTE_MAX),
        }
        validate::period(start_date, end_date)?;
        Ok(NewPlacement {
            program_id,
            institution_id,
            person_id,
            host_institution_id,
            host_department_id,
            subject,
            start_date,
            end_date,
            status: status.unwrap_or(PlacementStatus::Ongoing),
            outcome,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Placement {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub person_id: String,
    pub person_name: Option<String>,
    #[schema(format = Uuid)]
    pub host_institution_id: String,
    pub host_institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub host_department_id: Option<String>,
    pub subject: String,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: Option<String>,
    pub status: PlacementStatus,
    pub outcome: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewPlacement, Placement);

#[cfg(test)]
mod every_problem {
    use super::*;

    #[test]
    fn a_placement_with_three_mistakes_names_all_three() {
        let input = PlacementInput {
            program_id: None,
            institution_id: "01a2507d-c2b0-71ed-94cb-e5d7773b8625".into(),
            person_id: String::new(),
            host_institution_id: String::new(),
            host_department_id: None,
            subject: "  ".into(),
            start_date: "2025-03-01".into(),
            end_date: None,
            status: None,
            outcome: None,
        };
        let fields: Vec<String> = match input.parse() {
            Ok(_) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| p.field).collect(),
        };
        assert_eq!(fields, ["person_id", "host_institution_id", "subject"]);
    }
}
