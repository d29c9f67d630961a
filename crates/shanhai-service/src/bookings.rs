//! Public booking (C3, patient side): book a clinic session without an account, look a booking
//! up by its code and phone number, cancel it (the first waiting patient gets the place). The
//! booking desk holds the per-phone and per-address limits.
//!
//! Staff on a patient's behalf (a hospital's own system, through FHIR): whoever runs a
//! session's clinic books and cancels for a patient through the same desk and the same rules,
//! and sees bookings with the patient masked; anyone else sees bookings without the patient.

use crate::{AccessFacts, Acting, ServiceError, ServiceResult};
use shanhai_domain::bookings::{
    Booking, BookingLookup, BookingRequest, BookingStatus, PublicBooking,
};
use shanhai_domain::clinic_sessions::ClinicSession;
use shanhai_store::audit::Actor;
use shanhai_store::bookings::{self, BookOutcome, BookingDesk, BookingFilter};
use shanhai_store::clinic_sessions::{self, SessionCondition, SessionFilter};
use shanhai_store::{Db, Page, PageRequest, StoreError};
use std::collections::{BTreeMap, BTreeSet};

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

/// A booking's patient as staff see it: every identifier masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedPatient {
    pub name: String,
    pub phone: String,
    pub id_number: String,
}

/// A booking as the caller may see it, with its session.
#[derive(Debug, Clone)]
pub struct SeenBooking {
    pub id: String,
    pub session: ClinicSession,
    pub status: BookingStatus,
    /// The place on the waiting list, while the booking waits.
    pub waitlist_position: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// The booking code, for those who run the session's clinic (with the patient's phone
    /// number it is what the patient cancels with).
    pub booking_code: Option<String>,
    /// The patient, masked, for those who run the session's clinic; `None` for anyone else.
    pub patient: Option<MaskedPatient>,
}

impl SeenBooking {
    fn of(booking: Booking, session: ClinicSession, runs_clinic: bool) -> SeenBooking {
        let patient = runs_clinic.then(|| MaskedPatient {
            name: booking.name_masked.clone(),
            phone: booking.phone_masked.clone(),
            id_number: booking.id_number_masked.clone(),
        });
        SeenBooking {
            id: booking.id,
            session,
            status: booking.status,
            waitlist_position: booking.waitlist_position,
            created_at: booking.created_at,
            updated_at: booking.updated_at,
            booking_code: runs_clinic.then_some(booking.booking_code),
            patient,
        }
    }
}

impl SeenBooking {
    /// The booking as the JSON API shows it to those who run the session's clinic (`None` for
    /// anyone else: they see neither the code nor the patient).
    pub fn into_booking(self) -> Option<Booking> {
        let patient = self.patient?;
        Some(Booking {
            id: self.id,
            booking_code: self.booking_code?,
            session_id: self.session.id,
            status: self.status,
            waitlist_position: self.waitlist_position,
            name_masked: patient.name,
            phone_masked: patient.phone,
            id_number_masked: patient.id_number,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Whether the caller runs the clinics of each of these hosts.
async fn runs_clinics(
    db: &Db,
    who: &Acting,
    hosts: impl IntoIterator<Item = String>,
) -> ServiceResult<BTreeSet<String>> {
    let facts = AccessFacts::load(db).await?;
    Ok(hosts
        .into_iter()
        .filter(|host| {
            who.principal
                .can_run_clinics(facts.access(&who.principal, host))
        })
        .collect())
}

/// Bookings any signed-in caller may list; the patient (masked) only where the caller runs the
/// session's clinic, and each such read audited (one entry per session, as its booking list
/// records it).
pub async fn search_seen(
    db: &Db,
    who: &Acting,
    filter: &BookingFilter,
    page: PageRequest,
) -> ServiceResult<Page<SeenBooking>> {
    let found = bookings::search(db, filter, page).await?;
    let session_ids: BTreeSet<String> = found.items.iter().map(|b| b.session_id.clone()).collect();
    let sessions: BTreeMap<String, ClinicSession> = if session_ids.is_empty() {
        BTreeMap::new()
    } else {
        let of_page = SessionFilter {
            conditions: vec![SessionCondition::Ids(session_ids.into_iter().collect())],
            ..Default::default()
        };
        let all = PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE));
        clinic_sessions::list(db, &of_page, all)
            .await?
            .items
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect()
    };
    let run = runs_clinics(db, who, sessions.values().map(|s| s.institution_id.clone())).await?;
    let mut shown: BTreeMap<String, usize> = BTreeMap::new();
    let mut items = Vec::with_capacity(found.items.len());
    for booking in found.items {
        let Some(session) = sessions.get(&booking.session_id).cloned() else {
            continue;
        };
        let runs = run.contains(&session.institution_id);
        if runs {
            *shown.entry(session.id.clone()).or_default() += 1;
        }
        items.push(SeenBooking::of(booking, session, runs));
    }
    let shown: Vec<(String, usize)> = shown.into_iter().collect();
    bookings::record_reads(db, &who.actor, "clinic_session_bookings", &shown).await?;
    Ok(Page {
        items,
        total: found.total,
        page: found.page,
        per_page: found.per_page,
    })
}

/// One booking as the caller may see it (the read of its patient audited).
pub async fn seen(db: &Db, who: &Acting, booking_id: &str) -> ServiceResult<SeenBooking> {
    let booking = bookings::get(db, booking_id).await?;
    let session = clinic_sessions::get(db, &booking.session_id).await?;
    let runs = !runs_clinics(db, who, [session.institution_id.clone()])
        .await?
        .is_empty();
    if runs {
        bookings::record_reads(db, &who.actor, "booking", &[(booking.id.clone(), 1)]).await?;
    }
    Ok(SeenBooking::of(booking, session, runs))
}

/// Books a place for a patient on the patient's behalf: for whoever runs the session's clinic
/// (a hospital's own system signed in as its coordinator), through the public booking's desk
/// and rules (the per-address limits aside, see [`BookingDesk::book_on_behalf`]).
pub async fn book_on_behalf(
    db: &Db,
    desk: &BookingDesk,
    who: &Acting,
    session_id: &str,
    request: &BookingRequest,
) -> ServiceResult<SeenBooking> {
    let session = crate::clinic_sessions::hosted(db, who, session_id).await?;
    let new = request.parse()?;
    let made = match desk.book_on_behalf(&who.actor, &session.id, new).await? {
        BookOutcome::Confirmed(b) | BookOutcome::Waitlisted(b) => b,
    };
    let booking = bookings::by_code(db, &made.booking_code).await?;
    let session = clinic_sessions::get(db, &session.id).await?;
    Ok(SeenBooking::of(booking, session, true))
}

/// Cancels a booking on the patient's behalf: for whoever runs the session's clinic; the same
/// rule as the patient's own cancellation (only a confirmed or waitlisted booking), and the
/// first waiting patient gets the place.
pub async fn cancel_on_behalf(
    db: &Db,
    who: &Acting,
    booking_id: &str,
) -> ServiceResult<SeenBooking> {
    let booking = bookings::get(db, booking_id).await?;
    crate::clinic_sessions::hosted(db, who, &booking.session_id).await?;
    let after = bookings::cancel_by_id(db, &who.actor, &booking.id).await?;
    let session = clinic_sessions::get(db, &after.session_id).await?;
    Ok(SeenBooking::of(after, session, true))
}
