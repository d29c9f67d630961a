//! Equipment donations (设备捐赠) and their totals.

use super::{CapacityFilter, Collection, Ref, money_totals};
use crate::query::{Arg, int, opt_text, text};
use crate::record::Table;
use crate::{Db, Result};
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    EquipmentDonations,
    EquipmentDonation,
    "equipment_donations",
    "equipment_donation",
    "t.*, i.name AS institution_name, d.name AS donor_institution_name",
    "equipment_donations t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN institutions d ON d.id = t.donor_institution_id",
    "error.conflict",
    decode_equipment
);

fn decode_equipment(row: &AnyRow) -> Result<EquipmentDonation> {
    let value_fen = int(row, "value_fen")?;
    Ok(EquipmentDonation {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        donor_institution_id: opt_text(row, "donor_institution_id")?,
        donor_name: opt_text(row, "donor_name")?.or(opt_text(row, "donor_institution_name")?),
        item: text(row, "item")?,
        quantity: int(row, "quantity")?,
        value_fen,
        value_yuan: yuan(value_fen),
        donated_on: text(row, "donated_on")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for EquipmentDonations {
    type New = NewEquipmentDonation;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "donor_institution_id",
        "donor_name",
        "item",
        "quantity",
        "value_fen",
        "donated_on",
    ];
    const SEARCH: &'static [&'static str] = &["t.item", "t.donor_name", "d.name"];
    const ORDER: &'static str = "t.donated_on DESC, t.id";
    const DATE: &'static str = "t.donated_on";

    fn args(n: &NewEquipmentDonation) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.donor_institution_id.clone().into(),
            n.donor_name.clone().into(),
            n.item.clone().into(),
            n.quantity.into(),
            n.value_fen.into(),
            n.donated_on.to_string().into(),
        ]
    }

    fn refs(n: &NewEquipmentDonation) -> Vec<Ref<'_>> {
        n.donor_institution_id
            .iter()
            .map(|d| Ref::Institution("donor_institution_id", d))
            .collect()
    }
}

pub async fn equipment_totals(db: &Db, f: &CapacityFilter, reach: &Reach) -> Result<MoneyTotals> {
    money_totals::<EquipmentDonations>(db, "t.value_fen", f, reach).await
}
