//! Regulations (制度) drafted with the donor's help.

use super::TITLE_MAX;
use crate::Problems;
use crate::validate::{self, optional_reference, reference, text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RegulationInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub title: String,
    /// e.g. 医疗质量, 护理管理, 院感防控, 行政管理.
    pub area: String,
    #[schema(format = Date)]
    pub adopted_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRegulation {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub title: String,
    pub area: String,
    pub adopted_on: NaiveDate,
}

impl RegulationInput {
    pub fn parse(&self) -> Result<NewRegulation, Problems> {
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            title = text("title", &self.title, TITLE_MAX),
            area = text("area", &self.area, 60),
            adopted_on = validate::date("adopted_on", &self.adopted_on),
        }
        Ok(NewRegulation {
            program_id,
            institution_id,
            title,
            area,
            adopted_on,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Regulation {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub title: String,
    pub area: String,
    #[schema(format = Date)]
    pub adopted_on: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewRegulation, Regulation);
