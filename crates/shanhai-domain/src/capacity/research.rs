//! Research outputs: grants, papers, patents and awards credited to local staff.

use super::{TITLE_MAX, money};
use crate::Problems;
use crate::validate::{self, code, optional_reference, optional_text, reference, text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    ResearchKind {
        Grant => "grant", "科研课题", "Research grant";
        Paper => "paper", "论文", "Paper";
        Patent => "patent", "专利", "Patent";
        Award => "award", "科技奖励", "Award";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ResearchOutputInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[schema(value_type = ResearchKind)]
    pub kind: String,
    pub title: String,
    /// The local staff member it is credited to.
    #[schema(format = Uuid)]
    pub person_id: String,
    /// Journal, funder or issuing body.
    #[serde(default)]
    pub venue: Option<String>,
    #[schema(format = Date)]
    pub dated_on: String,
    /// For grants: the amount awarded, in fen.
    #[serde(default)]
    pub amount_fen: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewResearchOutput {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub kind: ResearchKind,
    pub title: String,
    pub person_id: String,
    pub venue: Option<String>,
    pub dated_on: NaiveDate,
    pub amount_fen: Option<i64>,
}

impl ResearchOutputInput {
    pub fn parse(&self) -> Result<NewResearchOutput, Problems> {
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            kind = code("kind", &self.kind, ResearchKind::parse),
            title = text("title", &self.title, 300),
            person_id = reference("person_id", &self.person_id),
            venue = optional_text("venue", self.venue.as_deref(), TITLE_MAX),
            dated_on = validate::date("dated_on", &self.dated_on),
            amount_fen = self
                .amount_fen
                .map(|f| money("amount_fen", f))
                .transpose(),
        }
        Ok(NewResearchOutput {
            program_id,
            institution_id,
            kind,
            title,
            person_id,
            venue,
            dated_on,
            amount_fen,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResearchOutput {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub kind: ResearchKind,
    pub title: String,
    #[schema(format = Uuid)]
    pub person_id: String,
    pub person_name: Option<String>,
    pub venue: Option<String>,
    #[schema(format = Date)]
    pub dated_on: String,
    pub amount_fen: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewResearchOutput, ResearchOutput);
