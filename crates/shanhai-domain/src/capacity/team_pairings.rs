//! 团队带团队: a donor team paired with a local team.

use super::TITLE_MAX;
use crate::Problems;
use crate::validate::{self, optional_reference, reference, text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TeamPairingInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The local institution whose team is coached.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub local_team: String,
    #[schema(format = Uuid)]
    pub donor_institution_id: String,
    pub donor_team: String,
    #[schema(format = Date)]
    pub start_date: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub end_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTeamPairing {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub local_team: String,
    pub donor_institution_id: String,
    pub donor_team: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

impl TeamPairingInput {
    pub fn parse(&self) -> Result<NewTeamPairing, Problems> {
        crate::every! {
            start_date = validate::date("start_date", &self.start_date),
            end_date = validate::optional_date("end_date", self.end_date.as_deref()),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            local_team = text("local_team", &self.local_team, TITLE_MAX),
            donor_institution_id = reference("donor_institution_id", &self.donor_institution_id),
            donor_team = text("donor_team", &self.donor_team, TITLE_MAX),
        }
        validate::period(start_date, end_date)?;
        Ok(NewTeamPairing {
            program_id,
            institution_id,
            department_id,
            local_team,
            donor_institution_id,
            donor_team,
            start_date,
            end_date,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamPairing {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub local_team: String,
    #[schema(format = Uuid)]
    pub donor_institution_id: String,
    pub donor_institution_name: Option<String>,
    pub donor_team: String,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewTeamPairing, TeamPairing);
