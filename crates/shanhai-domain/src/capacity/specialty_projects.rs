//! Key-specialty and new-specialty projects with milestones and acceptance.

use super::{TITLE_MAX, optional_code};
use crate::validate::{self, code, optional_reference, reference, text};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    SpecialtyLevel {
        National => "national", "国家级", "National";
        Provincial => "provincial", "省级", "Provincial";
        City => "city", "市级", "City";
        County => "county", "县级", "County";
        New => "new", "新建专科", "New specialty";
    }
}

code_enum! {
    AcceptanceResult {
        Pending => "pending", "待验收", "Pending";
        Passed => "passed", "通过验收", "Passed";
        Failed => "failed", "未通过", "Failed";
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Milestone {
    pub title: String,
    #[schema(format = Date)]
    pub due_on: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub done_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SpecialtyProjectInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub name: String,
    #[schema(value_type = SpecialtyLevel)]
    pub level: String,
    #[schema(format = Date)]
    pub started_on: String,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    #[serde(default)]
    #[schema(value_type = Option<AcceptanceResult>)]
    pub acceptance_result: Option<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub accepted_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSpecialtyProject {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub name: String,
    pub level: SpecialtyLevel,
    pub started_on: NaiveDate,
    pub milestones: Vec<Milestone>,
    pub acceptance_result: AcceptanceResult,
    pub accepted_on: Option<NaiveDate>,
}

impl SpecialtyProjectInput {
    pub fn parse(&self) -> Result<NewSpecialtyProject, Problems> {
        let milestones = || -> Result<Vec<Milestone>, Invalid> {
            let mut milestones = Vec::new();
            for m in self.milestones.iter().take(100) {
                milestones.push(Milestone {
                    title: text("milestones", &m.title, TITLE_MAX)?,
                    due_on: validate::date("milestones", &m.due_on)?.to_string(),
                    done_on: validate::optional_date("milestones", m.done_on.as_deref())?
                        .map(|d| d.to_string()),
                });
            }
            Ok(milestones)
        };
        crate::every! {
            milestones = milestones(),
            acceptance_result = optional_code(
                "acceptance_result",
                self.acceptance_result.as_deref(),
                AcceptanceResult::parse,
            ),
            accepted_on = validate::optional_date("accepted_on", self.accepted_on.as_deref()),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            name = text("name", &self.name, TITLE_MAX),
            level = code("level", &self.level, SpecialtyLevel::parse),
            started_on = validate::date("started_on", &self.started_on),
        }
        let acceptance_result = acceptance_result.unwrap_or(AcceptanceResult::Pending);
        if acceptance_result != AcceptanceResult::Pending && accepted_on.is_none() {
            return Err(Invalid::new("accepted_on", "error.accepted_on_with_result").into());
        }
        Ok(NewSpecialtyProject {
            program_id,
            institution_id,
            department_id,
            name,
            level,
            started_on,
            milestones,
            acceptance_result,
            accepted_on,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpecialtyProject {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub name: String,
    pub level: SpecialtyLevel,
    #[schema(format = Date)]
    pub started_on: String,
    pub milestones: Vec<Milestone>,
    pub acceptance_result: AcceptanceResult,
    #[schema(format = Date)]
    pub accepted_on: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewSpecialtyProject, SpecialtyProject);
