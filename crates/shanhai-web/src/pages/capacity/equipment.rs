//! Equipment donations: the list with the exact total value, and the form.

use super::*;

pub(super) struct EquipmentS;
impl Section for EquipmentS {
    type R = EquipmentDonation;
    type T = EquipmentDonations;
    type I = EquipmentDonationInput;
    const PATH: &'static str = "/equipment-donations";
    const GROUP: &'static str = "resources";
    const TITLE: &'static str = "ui.cap_equipment";
    const INTRO: &'static str = "ui.cap_resources_intro";
    const NEW: &'static str = "ui.cap_new_equipment";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.donated_on",
        "field.item",
        "field.quantity",
        "field.donor_institution_id",
        "field.institution_id",
        "ui.cap_value",
    ];
    fn row(_c: &Chrome, r: &EquipmentDonation) -> Vec<Cell> {
        vec![
            cell(r.donated_on.clone()),
            cell(r.item.clone()),
            num(r.quantity),
            opt(&r.donor_name),
            opt(&r.institution_name),
            Cell {
                num: true,
                ..cell(money(r.value_fen))
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "item", true),
            number(c, "quantity", true).default("1"),
            Field::new(c, "value_yuan", "money", Json::Str),
            pick(c, "donor_institution_id", false, c.hospital_picks(), ""),
            text(c, "donor_name", false),
            date(c, "donated_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(
        db: &Db,
        who: &Acting,
        input: &EquipmentDonationInput,
    ) -> ServiceResult<String> {
        let created = service::equipment::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
