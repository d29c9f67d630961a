//! Equipment donations (设备捐赠) and their totals.

use super::{CapacityFilter, Collection, Ref, money_totals};
use crate::query::opt_text;
use crate::record::Table;
use crate::row::row;
use crate::{Db, Result};
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;

capacity_table!(
    EquipmentDonations,
    EquipmentDonation,
    "equipment_donations",
    "equipment_donation",
    "t.*, i.name AS institution_name, d.name AS donor_institution_name",
    "equipment_donations t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN institutions d ON d.id = t.donor_institution_id",
    "error.conflict"
);

row! {
    read EquipmentDonation(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        donor_institution_id: opt_text,
        donor_name: { opt_text(row, "donor_name")?.or(opt_text(row, "donor_institution_name")?) },
        item: text,
        quantity: int,
        value_fen: int,
        value_yuan: { yuan(value_fen) },
        donated_on: text,
        created_at: text,
        updated_at: text,
    }
    write NewEquipmentDonation(n) {
        program_id: clone,
        institution_id: clone,
        donor_institution_id: clone,
        donor_name: clone,
        item: clone,
        quantity: copy,
        value_fen: copy,
        donated_on: date,
    }
}

impl Collection for EquipmentDonations {
    type New = NewEquipmentDonation;
    const SEARCH: &'static [&'static str] = &["t.item", "t.donor_name", "d.name"];
    const ORDER: &'static str = "t.donated_on DESC, t.id";
    const DATE: &'static str = "t.donated_on";

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
