//! Equipment donations with their value in integer fen: list, read, create and change.

use super::*;

collection!(full equipment, EquipmentDonationInput, EquipmentDonation,
    "/api/v1/equipment-donations", "/api/v1/equipment-donations/{id}",
    "Equipment donations with their value in integer fen.");

/// Donated equipment's value summed exactly (integer fen) over the donations the filters select.
#[utoipa::path(get, path = "/api/v1/equipment-donations/totals", tag = "capacity", security(("bearer" = [])), params(CapacityQuery),
    responses((status = 200, body = MoneyTotals), (status = 401, body = ErrorBody)))]
pub async fn equipment_totals(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CapacityQuery>,
) -> ApiResult<Json<MoneyTotals>> {
    Ok(Json(
        service::equipment::totals(&state.db, &caller.acting(), &q.filter()).await?,
    ))
}
