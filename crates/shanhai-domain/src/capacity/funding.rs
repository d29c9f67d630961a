//! Funding items (协作资金), in integer fen.

use super::{TITLE_MAX, amount};
use crate::Problems;
use crate::validate::{self, optional_reference, reference, text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FundingItemInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The recipient institution.
    #[schema(format = Uuid)]
    pub institution_id: String,
    /// Integer fen (1 yuan = 100 fen). Give this or `amount_yuan`.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// Yuan as a decimal string with at most two decimals, e.g. `"1250000.50"`.
    #[serde(default)]
    pub amount_yuan: Option<String>,
    /// Who pays, e.g. 上海市东西部协作资金.
    pub source: String,
    pub purpose: String,
    #[schema(format = Date)]
    pub granted_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewFundingItem {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub amount_fen: i64,
    pub source: String,
    pub purpose: String,
    pub granted_on: NaiveDate,
}

impl FundingItemInput {
    pub fn parse(&self) -> Result<NewFundingItem, Problems> {
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            amount_fen = amount(
                "amount_fen",
                self.amount_fen,
                self.amount_yuan.as_deref(),
                "amount_yuan",
            ),
            source = text("source", &self.source, TITLE_MAX),
            purpose = text("purpose", &self.purpose, TITLE_MAX),
            granted_on = validate::date("granted_on", &self.granted_on),
        }
        Ok(NewFundingItem {
            program_id,
            institution_id,
            amount_fen,
            source,
            purpose,
            granted_on,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FundingItem {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub amount_fen: i64,
    /// `amount_fen` as yuan with two decimals.
    pub amount_yuan: String,
    pub source: String,
    pub purpose: String,
    #[schema(format = Date)]
    pub granted_on: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewFundingItem, FundingItem);
