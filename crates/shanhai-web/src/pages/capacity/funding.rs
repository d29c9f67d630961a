//! Funding items (协作资金): the list with its exact totals, and the form.

use super::*;

pub(super) struct FundingS;
impl Section for FundingS {
    type R = FundingItem;
    type T = FundingItems;
    type I = FundingItemInput;
    const PATH: &'static str = "/funding-items";
    const GROUP: &'static str = "resources";
    const TITLE: &'static str = "ui.cap_funding";
    const INTRO: &'static str = "ui.cap_resources_intro";
    const NEW: &'static str = "ui.cap_new_funding";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.granted_on",
        "field.purpose",
        "field.source",
        "field.institution_id",
        "ui.cap_amount",
    ];
    fn row(_c: &Chrome, r: &FundingItem) -> Vec<Cell> {
        vec![
            cell(r.granted_on.clone()),
            cell(r.purpose.clone()),
            cell(r.source.clone()),
            opt(&r.institution_name),
            Cell {
                num: true,
                ..cell(money(r.amount_fen))
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            Field::new(c, "amount_yuan", "money", Json::Str),
            text(c, "source", true),
            text(c, "purpose", true),
            date(c, "granted_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &FundingItemInput) -> ServiceResult<String> {
        let created = service::funding::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
