//! Funding items (协作资金), amounts in integer fen with the same in yuan for display: list,
//! read, create and change, and the exact totals.

use super::*;

collection!(full funding, FundingItemInput, FundingItem,
    "/api/v1/funding-items", "/api/v1/funding-items/{id}",
    "Funding items (协作资金): amounts in integer fen, with the same in yuan for display.");

/// Funding summed exactly (integer fen) over the items the filters select.
#[utoipa::path(get, path = "/api/v1/funding-items/totals", tag = "capacity", security(("bearer" = [])), params(CapacityQuery),
    responses((status = 200, body = MoneyTotals), (status = 401, body = ErrorBody)))]
pub async fn funding_totals(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CapacityQuery>,
) -> ApiResult<Json<MoneyTotals>> {
    Ok(Json(
        service::funding::totals(&state.db, &caller.acting(), &q.filter()).await?,
    ))
}
