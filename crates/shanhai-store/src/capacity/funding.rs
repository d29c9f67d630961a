//! Funding items (资金) and their totals.

use super::{CapacityFilter, Collection, Ref, money_totals};
use crate::query::{Arg, int, opt_text, text};
use crate::record::Table;
use crate::{Db, Result};
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    FundingItems,
    FundingItem,
    "funding_items",
    "funding_item",
    "t.*, i.name AS institution_name",
    "funding_items t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict",
    decode_funding
);

fn decode_funding(row: &AnyRow) -> Result<FundingItem> {
    let amount_fen = int(row, "amount_fen")?;
    Ok(FundingItem {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        amount_fen,
        amount_yuan: yuan(amount_fen),
        source: text(row, "source")?,
        purpose: text(row, "purpose")?,
        granted_on: text(row, "granted_on")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for FundingItems {
    type New = NewFundingItem;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "amount_fen",
        "source",
        "purpose",
        "granted_on",
    ];
    const SEARCH: &'static [&'static str] = &["t.source", "t.purpose", "i.name"];
    const ORDER: &'static str = "t.granted_on DESC, t.id";
    const DATE: &'static str = "t.granted_on";

    fn args(n: &NewFundingItem) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.amount_fen.into(),
            n.source.clone().into(),
            n.purpose.clone().into(),
            n.granted_on.to_string().into(),
        ]
    }

    fn refs(_: &NewFundingItem) -> Vec<Ref<'_>> {
        Vec::new()
    }
}

pub async fn funding_totals(db: &Db, f: &CapacityFilter, reach: &Reach) -> Result<MoneyTotals> {
    money_totals::<FundingItems>(db, "t.amount_fen", f, reach).await
}
