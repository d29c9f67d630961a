//! Equipment donations with their value in integer fen, and the value's exact totals.

use super::{parse_into, plain_collection};
use crate::{AccessFacts, Acting, ServiceResult};
use shanhai_domain::capacity::MoneyTotals;
use shanhai_domain::capacity::{EquipmentDonation, EquipmentDonationInput, NewEquipmentDonation};
use shanhai_store::Db;
use shanhai_store::capacity::EquipmentDonations;
use shanhai_store::capacity::{self as store, CapacityFilter};

parse_into!(EquipmentDonationInput => NewEquipmentDonation);
plain_collection!(
    EquipmentDonations,
    EquipmentDonationInput,
    EquipmentDonation
);

/// Donated equipment's value summed exactly (integer fen) over the donations the filters
/// select, within the acting principal's reach.
pub async fn totals(db: &Db, who: &Acting, filter: &CapacityFilter) -> ServiceResult<MoneyTotals> {
    let reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(store::equipment_totals(db, filter, &reach).await?)
}
