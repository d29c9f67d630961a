//! Funding items (协作资金), in integer fen, and their exact totals.

use super::{parse_into, plain_collection};
use crate::{AccessFacts, Acting, ServiceResult};
use shanhai_domain::capacity::MoneyTotals;
use shanhai_domain::capacity::{FundingItem, FundingItemInput, NewFundingItem};
use shanhai_store::Db;
use shanhai_store::capacity::FundingItems;
use shanhai_store::capacity::{self as store, CapacityFilter};

parse_into!(FundingItemInput => NewFundingItem);
plain_collection!(FundingItems, FundingItemInput, FundingItem);

/// Funding summed exactly (integer fen) over the items the filters select, within the acting
/// principal's reach.
pub async fn totals(db: &Db, who: &Acting, filter: &CapacityFilter) -> ServiceResult<MoneyTotals> {
    let reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(store::funding_totals(db, filter, &reach).await?)
}
