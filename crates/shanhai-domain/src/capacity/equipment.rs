//! Equipment donations, valued in integer fen.

use super::{TITLE_MAX, amount, count};
use crate::validate::{self, optional_reference, optional_text, reference, text};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EquipmentDonationInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The recipient institution.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub donor_institution_id: Option<String>,
    /// The donor's name when it is not an institution in the registry.
    #[serde(default)]
    pub donor_name: Option<String>,
    pub item: String,
    pub quantity: i64,
    /// Total value in integer fen. Give this or `value_yuan`.
    #[serde(default)]
    pub value_fen: Option<i64>,
    #[serde(default)]
    pub value_yuan: Option<String>,
    #[schema(format = Date)]
    pub donated_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEquipmentDonation {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub donor_institution_id: Option<String>,
    pub donor_name: Option<String>,
    pub item: String,
    pub quantity: i64,
    pub value_fen: i64,
    pub donated_on: NaiveDate,
}

impl EquipmentDonationInput {
    pub fn parse(&self) -> Result<NewEquipmentDonation, Problems> {
        crate::every! {
            donor_institution_id =
                optional_reference("donor_institution_id", self.donor_institution_id.as_deref()),
            donor_name = optional_text("donor_name", self.donor_name.as_deref(), TITLE_MAX),
            quantity = count("quantity", self.quantity, 1_000_000).and_then(|q| {
                if q == 0 {
                    Err(Invalid::new("quantity", "error.quantity_at_least_one"))
                } else {
                    Ok(q)
                }
            }),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            item = text("item", &self.item, TITLE_MAX),
            value_fen = amount(
                "value_fen",
                self.value_fen,
                self.value_yuan.as_deref(),
                "value_yuan",
            ),
            donated_on = validate::date("donated_on", &self.donated_on),
        }
        if donor_institution_id.is_none() && donor_name.is_none() {
            return Err(Invalid::new("donor_institution_id", "error.donor_or_name").into());
        }
        Ok(NewEquipmentDonation {
            program_id,
            institution_id,
            donor_institution_id,
            donor_name,
            item,
            quantity,
            value_fen,
            donated_on,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EquipmentDonation {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub donor_institution_id: Option<String>,
    pub donor_name: Option<String>,
    pub item: String,
    pub quantity: i64,
    pub value_fen: i64,
    pub value_yuan: String,
    #[schema(format = Date)]
    pub donated_on: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewEquipmentDonation, EquipmentDonation);
