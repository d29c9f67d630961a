//! 名医工作室, 专家工作站, 院士工作站 and co-built centres.

use super::{TITLE_MAX, count};
use crate::Problems;
use crate::validate::{self, code, optional_reference, reference, text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    WorkstationKind {
        Studio => "studio", "名医工作室", "Renowned doctor studio";
        ExpertWorkstation => "expert-workstation", "专家工作站", "Expert workstation";
        AcademicianWorkstation => "academician-workstation", "院士工作站", "Academician workstation";
        CoBuiltCenter => "co-built-center", "共建中心", "Co-built centre";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WorkstationInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    #[schema(value_type = WorkstationKind)]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub lead_expert_id: Option<String>,
    #[schema(format = Date)]
    pub opened_on: String,
    /// Visits by the lead expert's team so far.
    #[serde(default)]
    pub visits: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewWorkstation {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub kind: WorkstationKind,
    pub name: String,
    pub lead_expert_id: Option<String>,
    pub opened_on: NaiveDate,
    pub visits: i64,
}

impl WorkstationInput {
    pub fn parse(&self) -> Result<NewWorkstation, Problems> {
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            kind = code("kind", &self.kind, WorkstationKind::parse),
            name = text("name", &self.name, TITLE_MAX),
            lead_expert_id = optional_reference("lead_expert_id", self.lead_expert_id.as_deref()),
            opened_on = validate::date("opened_on", &self.opened_on),
            visits = count("visits", self.visits, 100_000),
        }
        Ok(NewWorkstation {
            program_id,
            institution_id,
            department_id,
            kind,
            name,
            lead_expert_id,
            opened_on,
            visits,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Workstation {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub kind: WorkstationKind,
    pub name: String,
    #[schema(format = Uuid)]
    pub lead_expert_id: Option<String>,
    pub lead_expert_name: Option<String>,
    #[schema(format = Date)]
    pub opened_on: String,
    pub visits: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewWorkstation, Workstation);
