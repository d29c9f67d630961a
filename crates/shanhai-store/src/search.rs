//! Look-ups for the one search box that no list filter covers: a booking by its code.

use crate::audit::{self, Action, Actor};
use crate::query;
use crate::row::Decode;
use crate::{Db, Result};
use shanhai_domain::bookings::Booking;

/// The booking with this code (codes are upper case; the input is trimmed and upper-cased), if
/// any. Not audited: the caller records the read once it has decided the reader may see it.
pub async fn booking_by_code(db: &Db, code: &str) -> Result<Option<Booking>> {
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Ok(None);
    }
    let row = query::sql_with(
        "SELECT * FROM bookings WHERE booking_code = $1".into(),
        vec![code.into()],
    )
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(Booking::decode).transpose()
}

/// Records that `actor` found a booking through the search box (a read of masked patient data).
pub async fn record_booking_read(db: &Db, actor: &Actor, booking: &Booking) -> Result<()> {
    let mut tx = db.begin_write().await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Read,
        "booking",
        &booking.id,
        None,
        Some(&serde_json::json!({"via": "search", "booking_code": booking.booking_code})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
