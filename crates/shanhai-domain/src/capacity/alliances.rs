//! Specialty alliances (专科联盟) and their member institutions.

use super::{TITLE_MAX, optional_specialty};
use crate::Problems;
use crate::validate::{self, optional_reference, reference, text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AllianceInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The lead institution.
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub name: String,
    #[serde(default)]
    pub specialty_code: Option<String>,
    #[schema(format = Date)]
    pub founded_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAlliance {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub name: String,
    pub specialty_code: Option<String>,
    pub founded_on: NaiveDate,
}

impl AllianceInput {
    pub fn parse(&self) -> Result<NewAlliance, Problems> {
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            name = text("name", &self.name, TITLE_MAX),
            specialty_code = optional_specialty("specialty_code", self.specialty_code.as_deref()),
            founded_on = validate::date("founded_on", &self.founded_on),
        }
        Ok(NewAlliance {
            program_id,
            institution_id,
            name,
            specialty_code,
            founded_on,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alliance {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub name: String,
    pub specialty_code: Option<String>,
    #[schema(format = Date)]
    pub founded_on: String,
    pub member_count: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AllianceMemberInput {
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[schema(format = Date)]
    pub joined_on: String,
}

impl AllianceMemberInput {
    pub fn parse(&self) -> Result<(String, NaiveDate), Problems> {
        crate::every! {
            institution_id = reference("institution_id", &self.institution_id),
            joined_on = validate::date("joined_on", &self.joined_on),
        }
        Ok((institution_id, joined_on))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllianceMember {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub alliance_id: String,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Date)]
    pub joined_on: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllianceDetail {
    #[serde(flatten)]
    pub alliance: Alliance,
    pub members: Vec<AllianceMember>,
}

scoped!(NewAlliance, Alliance);
