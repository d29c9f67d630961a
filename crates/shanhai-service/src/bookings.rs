//! Public booking (C3, patient side): book a clinic session without an account, look a booking
//! up by its code and phone number, cancel it (the first waiting patient gets the place). The
//! booking desk holds the per-phone and per-address limits.

use crate::{ServiceError, ServiceResult};
use shanhai_domain::booking::{BookingLookup, BookingRequest, PublicBooking};
use shanhai_store::audit::Actor;
use shanhai_store::bookings::{self, BookOutcome, BookingDesk};
use shanhai_store::{Db, StoreError};

/// A wrong code and a wrong phone number look the same from outside.
fn unknown_booking(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFoundAs("error.booking_not_found"),
        other => other.into(),
    }
}

/// Books a place (or, when full and asked for, a place on the waitlist).
pub async fn book(
    desk: &BookingDesk,
    actor: &Actor,
    session_id: &str,
    request: &BookingRequest,
) -> ServiceResult<BookOutcome> {
    let new = request.parse()?;
    Ok(desk.book(actor, session_id, new).await?)
}

/// A booking found by its code and phone number (the read is audited).
pub async fn lookup(
    db: &Db,
    desk: &BookingDesk,
    actor: &Actor,
    request: &BookingLookup,
) -> ServiceResult<PublicBooking> {
    bookings::lookup(db, desk.cipher(), actor, request)
        .await
        .map_err(unknown_booking)
}

/// Cancels a booking found by its code and phone number.
pub async fn cancel(
    db: &Db,
    desk: &BookingDesk,
    actor: &Actor,
    request: &BookingLookup,
) -> ServiceResult<PublicBooking> {
    bookings::cancel(db, desk.cipher(), actor, request)
        .await
        .map_err(unknown_booking)
}
