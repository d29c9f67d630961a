//! Accreditation goals (三甲, 千县工程, 提质达标) and their status.

use super::NOTE_MAX;
use crate::validate::{self, code, optional_reference, optional_text, reference};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    AccreditationGoalKind {
        Grade3A => "grade-3a", "创建三级甲等医院", "Grade 3A accreditation";
        Grade3B => "grade-3b", "创建三级乙等医院", "Grade 3B accreditation";
        ThousandCounties => "thousand-counties", "千县工程", "Thousand Counties Project";
        QualityUpgrade => "quality-upgrade", "提质达标", "Quality upgrade";
    }
}

code_enum! {
    GoalStatus {
        Planned => "planned", "计划中", "Planned";
        InProgress => "in-progress", "推进中", "In progress";
        Achieved => "achieved", "已达成", "Achieved";
        Missed => "missed", "未达成", "Missed";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AccreditationGoalInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub goal: String,
    #[schema(value_type = GoalStatus)]
    pub status: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub target_on: Option<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub achieved_on: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAccreditationGoal {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub goal: AccreditationGoalKind,
    pub status: GoalStatus,
    pub target_on: Option<NaiveDate>,
    pub achieved_on: Option<NaiveDate>,
    pub note: Option<String>,
}

impl AccreditationGoalInput {
    pub fn parse(&self) -> Result<NewAccreditationGoal, Problems> {
        crate::every! {
            status = code("status", &self.status, GoalStatus::parse),
            achieved_on = validate::optional_date("achieved_on", self.achieved_on.as_deref()),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            goal = code("goal", &self.goal, AccreditationGoalKind::parse),
            target_on = validate::optional_date("target_on", self.target_on.as_deref()),
            note = optional_text("note", self.note.as_deref(), NOTE_MAX),
        }
        if status == GoalStatus::Achieved && achieved_on.is_none() {
            return Err(Invalid::new("achieved_on", "error.achieved_on_when_achieved").into());
        }
        Ok(NewAccreditationGoal {
            program_id,
            institution_id,
            goal,
            status,
            target_on,
            achieved_on,
            note,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccreditationGoal {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub goal: AccreditationGoalKind,
    pub status: GoalStatus,
    #[schema(format = Date)]
    pub target_on: Option<String>,
    #[schema(format = Date)]
    pub achieved_on: Option<String>,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewAccreditationGoal, AccreditationGoal);
