//! Funding items (资金) and their totals.

use super::{CapacityFilter, Collection, Ref, money_totals};
use crate::record::Table;
use crate::row::row;
use crate::{Db, Result};
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;

capacity_table!(
    FundingItems,
    FundingItem,
    "funding_items",
    "funding_item",
    "t.*, i.name AS institution_name",
    "funding_items t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict"
);

row! {
    read FundingItem(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        amount_fen: int,
        amount_yuan: { yuan(amount_fen) },
        source: text,
        purpose: text,
        granted_on: text,
        created_at: text,
        updated_at: text,
    }
    write NewFundingItem(n) {
        program_id: clone,
        institution_id: clone,
        amount_fen: copy,
        source: clone,
        purpose: clone,
        granted_on: date,
    }
}

impl Collection for FundingItems {
    type New = NewFundingItem;
    const SEARCH: &'static [&'static str] = &["t.source", "t.purpose", "i.name"];
    const ORDER: &'static str = "t.granted_on DESC, t.id";
    const DATE: &'static str = "t.granted_on";

    fn refs(_: &NewFundingItem) -> Vec<Ref<'_>> {
        Vec::new()
    }
}

pub async fn funding_totals(db: &Db, f: &CapacityFilter, reach: &Reach) -> Result<MoneyTotals> {
    money_totals::<FundingItems>(db, "t.amount_fen", f, reach).await
}
