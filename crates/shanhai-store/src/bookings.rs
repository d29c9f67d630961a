//! Public booking. One rule keeps a session from being overbooked, on both backends and across
//! processes: a place is taken by `UPDATE clinic_sessions SET booked = booked + 1 WHERE id = $1
//! AND booked < capacity`, in the same transaction as the booking row, its audit entry and the
//! encrypted identifiers; the answer goes out only after that transaction commits.
//!
//! On SQLite, whose single write lock makes a connection pool queue up, one writer task owns a
//! connection and commits queued bookings together (group commit), each in its own savepoint so
//! that one refused booking does not undo the others.

use crate::audit::{self, Action, Actor};
use crate::crypto::PatientCipher;
use crate::query::{self, Filter, Page, PageRequest, fetch_page, int, text};
use crate::row::{Decode, row};
use crate::{Backend, Db, Result, StoreError};
use rand::Rng;
use shanhai_domain::bookings::*;
use shanhai_domain::clinic_sessions::SessionStatus;
use sqlx::{AnyConnection, Connection};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

/// What a booking request came to.
#[derive(Debug, Clone)]
pub enum BookOutcome {
    Confirmed(PublicBooking),
    Waitlisted(PublicBooking),
}

const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

fn new_code() -> String {
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect()
}

row! {
    read Booking(row) {
        id: text,
        booking_code: text,
        session_id: text,
        status: code(BookingStatus::parse),
        waitlist_position: opt_int,
        name_masked: text,
        phone_masked: text,
        id_number_masked: text,
        created_at: text,
        updated_at: text,
    }
}

/// The patient's view, with the current place in the waitlist.
async fn public_view(conn: &mut AnyConnection, b: &Booking) -> Result<PublicBooking> {
    let position = match (b.status, b.waitlist_position) {
        (BookingStatus::Waitlisted, Some(ticket)) => Some(
            query::sql_with(
                "SELECT COUNT(*) AS n FROM bookings WHERE session_id = $1 AND status = 'waitlisted' AND waitlist_position <= $2"
                    .into(),
                vec![b.session_id.clone().into(), ticket.into()],
            )
            .fetch_one(&mut *conn)
            .await
            .map(|r| int(&r, "n"))??,
        ),
        _ => None,
    };
    Ok(PublicBooking {
        booking_code: b.booking_code.clone(),
        status: b.status,
        waitlist_position: position,
        session_id: b.session_id.clone(),
        name_masked: b.name_masked.clone(),
        phone_masked: b.phone_masked.clone(),
        id_number_masked: b.id_number_masked.clone(),
        created_at: b.created_at.clone(),
    })
}

/// Books inside the caller's transaction: every check, the place, the encrypted row and the
/// audit entry, or nothing. Four statements on the way to a confirmation, since every one is a
/// round trip on the hot path.
pub async fn book_on(
    conn: &mut AnyConnection,
    cipher: &PatientCipher,
    actor: &Actor,
    session_id: &str,
    new: &NewBooking,
    limits: &BookingLimits,
) -> Result<BookOutcome> {
    let person_hash = cipher.digest(new.id_number.as_str());
    let phone_hash = cipher.digest(new.phone.as_str());
    // The address counts only where a limit applies to it; NULL matches no row.
    let address_hash = actor
        .ip
        .as_deref()
        .filter(|_| limits.address_per_session > 0 || limits.address_per_day > 0)
        .map(|ip| cipher.digest(ip));
    let day_ago = (chrono::Utc::now() - chrono::Duration::hours(24))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let session = query::sql_with(
        "SELECT c.capacity, c.booked, c.status, c.date, c.end_time, \
         (SELECT COUNT(*) FROM bookings b WHERE b.session_id = c.id AND b.person_hash = $2 \
          AND b.status IN ('confirmed', 'waitlisted', 'checked-in')) AS already, \
         (SELECT COUNT(*) FROM bookings b WHERE b.phone_hash = $3 AND b.session_id = c.id \
          AND b.status IN ('confirmed', 'waitlisted', 'checked-in')) AS phone_in_session, \
         (SELECT COUNT(*) FROM bookings b WHERE b.phone_hash = $3 AND b.created_at > $5) \
          AS phone_today, \
         (SELECT COUNT(*) FROM bookings b WHERE b.address_hash = $4 AND b.session_id = c.id \
          AND b.status IN ('confirmed', 'waitlisted', 'checked-in')) AS address_in_session, \
         (SELECT COUNT(*) FROM bookings b WHERE b.address_hash = $4 AND b.created_at > $5) \
          AS address_today \
         FROM clinic_sessions c WHERE c.id = $1"
            .into(),
        vec![
            session_id.into(),
            person_hash.clone().into(),
            phone_hash.clone().into(),
            address_hash.clone().into(),
            day_ago.into(),
        ],
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let counts = BookingCounts {
        phone_in_session: int(&session, "phone_in_session")?,
        phone_today: int(&session, "phone_today")?,
        address_in_session: int(&session, "address_in_session")?,
        address_today: int(&session, "address_today")?,
    };
    let state = SessionStatus::of_stored(
        &text(&session, "status")?,
        &text(&session, "date")?,
        &text(&session, "end_time")?,
        int(&session, "capacity")?,
        int(&session, "booked")?,
        crate::local_now(),
    );
    let open = state.takes_bookings();
    match decide(
        int(&session, "capacity")?,
        int(&session, "booked")?,
        open,
        int(&session, "already")? > 0,
        new.waitlist,
    ) {
        Decision::Closed => {
            return Err(StoreError::Conflict(
                state.refusal().unwrap_or("error.session_closed"),
            ));
        }
        Decision::AlreadyBooked => return Err(StoreError::Conflict("error.already_booked")),
        Decision::Full => return Err(StoreError::Conflict("error.session_full")),
        Decision::Confirm | Decision::Waitlist => {}
    }
    if let Some(key) = limits.reached(&counts) {
        return Err(StoreError::Conflict(key));
    }
    // The decision above read a snapshot; the guarded UPDATE is what holds under concurrency.
    let took_place = query::sql_with(
        "UPDATE clinic_sessions SET booked = booked + 1, updated_at = $2 WHERE id = $1 AND booked < capacity AND status = 'open'".into(),
        vec![session_id.into(), crate::now().into()],
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    let (status, ticket, position) = if took_place {
        (BookingStatus::Confirmed, None, None)
    } else if new.waitlist {
        let row = query::sql_with(
            "UPDATE clinic_sessions SET waitlisted = waitlisted + 1, waitlist_seq = waitlist_seq + 1, \
             updated_at = $2 WHERE id = $1 RETURNING waitlist_seq, waitlisted"
                .into(),
            vec![session_id.into(), crate::now().into()],
        )
        .fetch_one(&mut *conn)
        .await?;
        (
            BookingStatus::Waitlisted,
            Some(int(&row, "waitlist_seq")?),
            Some(int(&row, "waitlisted")?),
        )
    } else {
        return Err(StoreError::Conflict("error.session_full"));
    };
    let now = crate::now();
    let booking = Booking {
        id: shanhai_domain::ids::new_id(),
        booking_code: new_code(),
        session_id: session_id.to_string(),
        status,
        waitlist_position: ticket,
        name_masked: mask_name(&new.name),
        phone_masked: new.phone.masked(),
        id_number_masked: new.id_number.masked(),
        created_at: now.clone(),
        updated_at: now,
    };
    query::sql_with(
        query::insert_sql(
            "bookings",
            &[
                "id",
                "session_id",
                "booking_code",
                "status",
                "waitlist_position",
                "name_enc",
                "phone_enc",
                "id_number_enc",
                "person_hash",
                "phone_hash",
                "address_hash",
                "name_masked",
                "phone_masked",
                "id_number_masked",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            booking.id.clone().into(),
            booking.session_id.clone().into(),
            booking.booking_code.clone().into(),
            status.code().into(),
            ticket.into(),
            cipher.encrypt(&new.name).into(),
            cipher.encrypt(new.phone.as_str()).into(),
            cipher.encrypt(new.id_number.as_str()).into(),
            person_hash.into(),
            phone_hash.into(),
            address_hash.into(),
            booking.name_masked.clone().into(),
            booking.phone_masked.clone().into(),
            booking.id_number_masked.clone().into(),
            booking.created_at.clone().into(),
            booking.updated_at.clone().into(),
        ],
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::on_unique(e, "error.already_booked"))?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        "booking",
        &booking.id,
        None,
        Some(&booking),
    )
    .await?;
    let view = PublicBooking {
        booking_code: booking.booking_code,
        status,
        waitlist_position: position,
        session_id: booking.session_id,
        name_masked: booking.name_masked,
        phone_masked: booking.phone_masked,
        id_number_masked: booking.id_number_masked,
        created_at: booking.created_at,
    };
    Ok(match status {
        BookingStatus::Waitlisted => BookOutcome::Waitlisted(view),
        _ => BookOutcome::Confirmed(view),
    })
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Booking> {
    let row = query::sql_with(
        "SELECT * FROM bookings WHERE id = $1".into(),
        vec![id.into()],
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Booking::decode(&row)
}

pub async fn get(db: &Db, id: &str) -> Result<Booking> {
    get_on(&mut *db.pool().acquire().await?, id).await
}

struct Job {
    session_id: String,
    booking: NewBooking,
    actor: Actor,
    limits: BookingLimits,
    reply: oneshot::Sender<Result<BookOutcome>>,
}

/// Where bookings are taken: a group-committing writer on SQLite, pooled transactions on
/// PostgreSQL.
#[derive(Clone)]
pub struct BookingDesk {
    db: Db,
    cipher: Arc<PatientCipher>,
    limits: BookingLimits,
    queue: Option<mpsc::Sender<Job>>,
    stats: Arc<DeskStats>,
    /// Tells the writer to take no more bookings, commit what it holds and stop.
    stop: Arc<tokio::sync::Notify>,
    /// The writer task, awaited by [`BookingDesk::close`].
    writer: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

/// Most bookings committed together.
const MAX_GROUP: usize = 512;

/// Upper bounds of the group-size histogram's buckets (bookings per group commit).
pub const GROUP_SIZE_BUCKETS: [usize; 7] = [1, 4, 16, 64, 128, 256, MAX_GROUP];

/// What the desk has done since it started, for the metrics endpoint.
#[derive(Debug, Default)]
pub struct DeskStats {
    /// Bookings made (confirmed or waitlisted), on either backend.
    pub booked: AtomicU64,
    /// Group commits (SQLite), counted per bucket of [`GROUP_SIZE_BUCKETS`] (not cumulative).
    pub group_buckets: [AtomicU64; GROUP_SIZE_BUCKETS.len()],
    /// Bookings in all group commits together (the histogram's sum).
    pub grouped: AtomicU64,
}

impl DeskStats {
    fn record_group(&self, size: usize) {
        let bucket = GROUP_SIZE_BUCKETS
            .iter()
            .position(|&le| size <= le)
            .unwrap_or(GROUP_SIZE_BUCKETS.len() - 1);
        self.group_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.grouped.fetch_add(size as u64, Ordering::Relaxed);
    }
}

impl BookingDesk {
    pub async fn start(
        db: Db,
        cipher: Arc<PatientCipher>,
        limits: BookingLimits,
    ) -> Result<BookingDesk> {
        let stats = Arc::new(DeskStats::default());
        let stop = Arc::new(tokio::sync::Notify::new());
        let (queue, task) = match db.backend() {
            Backend::Sqlite => {
                let (sender, receiver) = mpsc::channel(MAX_GROUP * 8);
                let conn = db.pool().acquire().await?.detach();
                let task = tokio::spawn(writer(
                    conn,
                    cipher.clone(),
                    receiver,
                    stats.clone(),
                    stop.clone(),
                ));
                (Some(sender), Some(task))
            }
            Backend::Postgres => (None, None),
        };
        Ok(BookingDesk {
            db,
            cipher,
            limits,
            queue,
            stats,
            stop,
            writer: Arc::new(std::sync::Mutex::new(task)),
        })
    }

    /// What the desk has done since it started.
    pub fn stats(&self) -> &DeskStats {
        &self.stats
    }

    /// Bookings waiting for the writer (SQLite); 0 on PostgreSQL, where each request commits
    /// its own.
    pub fn queue_depth(&self) -> usize {
        self.queue
            .as_ref()
            .map_or(0, |q| q.max_capacity() - q.capacity())
    }

    /// Stops taking bookings, commits those already queued (each requester gets its answer)
    /// and waits for the writer to finish. Bookings asked for afterwards are refused.
    pub async fn close(&self) {
        self.stop.notify_one();
        let task = self.writer.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    pub fn cipher(&self) -> &PatientCipher {
        &self.cipher
    }

    pub async fn book(
        &self,
        actor: &Actor,
        session_id: &str,
        booking: NewBooking,
    ) -> Result<BookOutcome> {
        self.take(actor, session_id, booking, self.limits).await
    }

    /// Books for a patient on the patient's behalf, by a signed-in member of staff (a
    /// hospital's own system): the same path and rules, except the per-address limits, which
    /// stop one anonymous client and would stop a hospital that books for all its patients
    /// from one address. The per-phone limits hold; the audit names the member of staff.
    pub async fn book_on_behalf(
        &self,
        actor: &Actor,
        session_id: &str,
        booking: NewBooking,
    ) -> Result<BookOutcome> {
        let limits = self.limits.without_address_limits();
        self.take(actor, session_id, booking, limits).await
    }

    /// Every booking, counted for the metrics when it is taken (confirmed or waitlisted).
    async fn take(
        &self,
        actor: &Actor,
        session_id: &str,
        booking: NewBooking,
        limits: BookingLimits,
    ) -> Result<BookOutcome> {
        let outcome = self.take_now(actor, session_id, booking, limits).await;
        if outcome.is_ok() {
            self.stats.booked.fetch_add(1, Ordering::Relaxed);
        }
        outcome
    }

    async fn take_now(
        &self,
        actor: &Actor,
        session_id: &str,
        booking: NewBooking,
        limits: BookingLimits,
    ) -> Result<BookOutcome> {
        match &self.queue {
            Some(queue) => {
                let (reply, answer) = oneshot::channel();
                let job = Job {
                    session_id: session_id.to_string(),
                    booking,
                    actor: actor.clone(),
                    limits,
                    reply,
                };
                queue
                    .send(job)
                    .await
                    .map_err(|_| StoreError::Other("booking writer stopped".into()))?;
                answer
                    .await
                    .map_err(|_| StoreError::Other("booking writer stopped".into()))?
            }
            None => {
                let mut tx = self.db.begin_write().await?;
                let outcome =
                    book_on(&mut tx, &self.cipher, actor, session_id, &booking, &limits).await?;
                tx.commit().await?;
                Ok(outcome)
            }
        }
    }
}

async fn writer(
    mut conn: AnyConnection,
    cipher: Arc<PatientCipher>,
    mut queue: mpsc::Receiver<Job>,
    stats: Arc<DeskStats>,
    stop: Arc<tokio::sync::Notify>,
) {
    let mut jobs = Vec::with_capacity(MAX_GROUP);
    let stopping = stop.notified();
    tokio::pin!(stopping);
    let mut stopped = false;
    loop {
        let first = tokio::select! {
            biased;
            () = &mut stopping, if !stopped => {
                // No new bookings; those already queued are still received below, then
                // `recv` answers `None`.
                queue.close();
                stopped = true;
                continue;
            }
            job = queue.recv() => job,
        };
        let Some(first) = first else { break };
        jobs.push(first);
        while jobs.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        stats.record_group(jobs.len());
        match commit_group(&mut conn, &cipher, &jobs).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.drain(..).zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!("booking group commit failed: {e}");
                for job in jobs.drain(..) {
                    let _ = job
                        .reply
                        .send(Err(StoreError::Other(format!("booking not saved: {e}"))));
                }
            }
        }
    }
}

async fn commit_group(
    conn: &mut AnyConnection,
    cipher: &PatientCipher,
    jobs: &[Job],
) -> Result<Vec<Result<BookOutcome>>> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let mut savepoint = tx.begin().await?;
        match book_on(
            &mut savepoint,
            cipher,
            &job.actor,
            &job.session_id,
            &job.booking,
            &job.limits,
        )
        .await
        {
            Ok(outcome) => {
                savepoint.commit().await?;
                outcomes.push(Ok(outcome));
            }
            Err(refused) => {
                savepoint.rollback().await?;
                outcomes.push(Err(refused));
            }
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Finds a booking by its code, for the patient who holds the matching phone number.
async fn by_code_on(
    conn: &mut AnyConnection,
    cipher: &PatientCipher,
    lookup: &BookingLookup,
) -> Result<Booking> {
    let row = query::sql_with(
        "SELECT * FROM bookings WHERE booking_code = $1".into(),
        vec![lookup.booking_code.trim().to_ascii_uppercase().into()],
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    // A malformed phone number answers as a wrong one does: a different answer would tell
    // that the code exists.
    let phone = Phone::parse("phone", &lookup.phone).map_err(|_| StoreError::NotFound)?;
    if text(&row, "phone_hash")? != cipher.digest(phone.as_str()) {
        return Err(StoreError::NotFound);
    }
    Booking::decode(&row)
}

pub async fn lookup(
    db: &Db,
    cipher: &PatientCipher,
    actor: &Actor,
    lookup: &BookingLookup,
) -> Result<PublicBooking> {
    let mut tx = db.begin_write().await?;
    let booking = by_code_on(&mut tx, cipher, lookup).await?;
    audit::record::<(), ()>(
        &mut tx,
        actor,
        Action::Read,
        "booking",
        &booking.id,
        None,
        None,
    )
    .await?;
    let view = public_view(&mut tx, &booking).await?;
    tx.commit().await?;
    Ok(view)
}

/// Frees the booking's place (or its waitlist ticket); the first waiting booking, if any, takes
/// the freed place.
async fn release_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    booking: &Booking,
    to: BookingStatus,
) -> Result<Booking> {
    let set = |status: BookingStatus, id: &str| {
        query::sql_with(
            "UPDATE bookings SET status = $1, updated_at = $2 WHERE id = $3".into(),
            vec![status.code().into(), crate::now().into(), id.into()],
        )
    };
    set(to, &booking.id).execute(&mut *conn).await?;
    if booking.status == BookingStatus::Waitlisted {
        query::sql_with(
            "UPDATE clinic_sessions SET waitlisted = waitlisted - 1, updated_at = $2 WHERE id = $1"
                .into(),
            vec![booking.session_id.clone().into(), crate::now().into()],
        )
        .execute(&mut *conn)
        .await?;
    } else {
        let next = query::sql_with(
            "SELECT id FROM bookings WHERE session_id = $1 AND status = 'waitlisted' ORDER BY waitlist_position LIMIT 1".into(),
            vec![booking.session_id.clone().into()],
        )
        .fetch_optional(&mut *conn)
        .await?;
        match next {
            Some(row) => {
                let promoted = get_on(conn, &text(&row, "id")?).await?;
                set(BookingStatus::Confirmed, &promoted.id)
                    .execute(&mut *conn)
                    .await?;
                query::sql_with(
                    "UPDATE clinic_sessions SET waitlisted = waitlisted - 1, updated_at = $2 WHERE id = $1"
                        .into(),
                    vec![booking.session_id.clone().into(), crate::now().into()],
                )
                .execute(&mut *conn)
                .await?;
                let after = get_on(conn, &promoted.id).await?;
                audit::record(
                    conn,
                    actor,
                    Action::Update,
                    "booking",
                    &promoted.id,
                    Some(&promoted),
                    Some(&after),
                )
                .await?;
            }
            None => {
                query::sql_with(
                    "UPDATE clinic_sessions SET booked = booked - 1, updated_at = $2 WHERE id = $1"
                        .into(),
                    vec![booking.session_id.clone().into(), crate::now().into()],
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    let after = get_on(conn, &booking.id).await?;
    audit::record(
        conn,
        actor,
        Action::Update,
        "booking",
        &booking.id,
        Some(booking),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// The patient cancels with their code and phone number.
pub async fn cancel(
    db: &Db,
    cipher: &PatientCipher,
    actor: &Actor,
    lookup: &BookingLookup,
) -> Result<PublicBooking> {
    let mut tx = db.begin_write().await?;
    let booking = by_code_on(&mut tx, cipher, lookup).await?;
    if !matches!(
        booking.status,
        BookingStatus::Confirmed | BookingStatus::Waitlisted
    ) {
        return Err(StoreError::Conflict("error.booking_not_cancellable"));
    }
    let after = release_on(&mut tx, actor, &booking, BookingStatus::Cancelled).await?;
    let view = public_view(&mut tx, &after).await?;
    tx.commit().await?;
    Ok(view)
}

/// Cancels a booking on the patient's behalf, by its id (the staff who run the session's
/// clinic): the same rule and release as the patient's own cancellation.
pub async fn cancel_by_id(db: &Db, actor: &Actor, booking_id: &str) -> Result<Booking> {
    let mut tx = db.begin_write().await?;
    let booking = get_on(&mut tx, booking_id).await?;
    if !matches!(
        booking.status,
        BookingStatus::Confirmed | BookingStatus::Waitlisted
    ) {
        return Err(StoreError::Conflict("error.booking_not_cancellable"));
    }
    let after = release_on(&mut tx, actor, &booking, BookingStatus::Cancelled).await?;
    tx.commit().await?;
    Ok(after)
}

/// A booking found by its code (staff side, no phone number asked).
pub async fn by_code(db: &Db, booking_code: &str) -> Result<Booking> {
    let row = query::sql_with(
        "SELECT * FROM bookings WHERE booking_code = $1".into(),
        vec![booking_code.into()],
    )
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound)?;
    Booking::decode(&row)
}

/// Which bookings a search selects: those of the sessions the session filter selects, of
/// these ids and statuses, changed within every range.
#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub sessions: crate::clinic_sessions::SessionFilter,
    pub ids: Option<Vec<String>>,
    pub statuses: Option<Vec<BookingStatus>>,
    /// Ranges over `updated_at` (RFC 3339 UTC), all of which must hold.
    pub updated: Vec<crate::clinic_sessions::TextRange>,
}

/// Bookings as staff see them (identifiers masked), by their session's start. Reading them is
/// audited by the caller, who knows which of them it shows.
pub async fn search(db: &Db, f: &BookingFilter, page: PageRequest) -> Result<Page<Booking>> {
    let sessions = crate::clinic_sessions::session_filter(&f.sessions);
    let mut filter = Filter::default();
    let session_where = sessions.sql();
    if !session_where.is_empty() {
        filter.args = sessions.args.clone();
        // The session filter's placeholders are the first arguments, in order.
        filter.raw_each(
            &format!(
                "b.session_id IN (SELECT c.id FROM {}{session_where})",
                crate::clinic_sessions::FROM
            ),
            vec![],
        );
    }
    let placeholders = |n: usize| vec!["{}"; n].join(", ");
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            filter.raw_each("1 = 0", vec![]);
        } else {
            filter.raw_each(
                &format!("b.id IN ({})", placeholders(ids.len())),
                ids.iter().map(|i| i.clone().into()).collect(),
            );
        }
    }
    if let Some(statuses) = &f.statuses {
        if statuses.is_empty() {
            filter.raw_each("1 = 0", vec![]);
        } else {
            filter.raw_each(
                &format!("b.status IN ({})", placeholders(statuses.len())),
                statuses.iter().map(|s| s.code().into()).collect(),
            );
        }
    }
    for range in &f.updated {
        let (clause, args) = range.clause("b.updated_at");
        filter.raw_each(&clause, args);
    }
    fetch_page(
        db.pool(),
        "b.*",
        "bookings b JOIN clinic_sessions s ON s.id = b.session_id",
        &filter,
        "s.date, s.start_time, b.created_at, b.id",
        page,
        Booking::decode,
    )
    .await
}

/// Records that `actor` read masked patient data: one entry per record with the number of
/// bookings shown (`clinic_session_bookings` per session, as a session's booking list records
/// it; `booking` for one booking).
pub async fn record_reads(
    db: &Db,
    actor: &Actor,
    entity: &str,
    shown: &[(String, usize)],
) -> Result<()> {
    if shown.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    for (id, count) in shown {
        audit::record::<(), _>(
            &mut tx,
            actor,
            Action::Read,
            entity,
            id,
            None,
            Some(&serde_json::json!({"count": count})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Check-in or no-show, on or after the session's day, or undoing either (back to confirmed).
pub async fn mark(db: &Db, actor: &Actor, booking_id: &str, to: BookingStatus) -> Result<Booking> {
    let mut tx = db.begin_write().await?;
    let after = mark_on(&mut tx, actor, booking_id, None, to).await?;
    tx.commit().await?;
    Ok(after)
}

/// Marks several bookings of one session in one transaction: all of them or none.
pub async fn mark_many(
    db: &Db,
    actor: &Actor,
    session_id: &str,
    booking_ids: &[String],
    to: BookingStatus,
) -> Result<Vec<Booking>> {
    let mut tx = db.begin_write().await?;
    let mut out = Vec::with_capacity(booking_ids.len());
    for id in booking_ids {
        out.push(mark_on(&mut tx, actor, id, Some(session_id), to).await?);
    }
    tx.commit().await?;
    Ok(out)
}

async fn mark_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    booking_id: &str,
    in_session: Option<&str>,
    to: BookingStatus,
) -> Result<Booking> {
    let before = get_on(conn, booking_id).await?;
    if in_session.is_some_and(|s| s != before.session_id) {
        return Err(StoreError::NotFound);
    }
    let session = crate::clinic_sessions::get_on(conn, &before.session_id).await?;
    if session.date > crate::today().to_string() {
        return Err(StoreError::Conflict("error.session_not_yet"));
    }
    before.status.may_mark(to).map_err(StoreError::Conflict)?;
    query::sql_with(
        "UPDATE bookings SET status = $1, updated_at = $2 WHERE id = $3".into(),
        vec![to.code().into(), crate::now().into(), booking_id.into()],
    )
    .execute(&mut *conn)
    .await?;
    let after = get_on(conn, booking_id).await?;
    audit::record(
        conn,
        actor,
        Action::Update,
        "booking",
        booking_id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// A session's bookings as staff see them (masked); the read is audited.
pub async fn list_for_session(
    db: &Db,
    actor: &Actor,
    session_id: &str,
    status: Option<&str>,
    page: PageRequest,
) -> Result<Page<Booking>> {
    let mut filter = Filter::default();
    filter
        .eq("session_id", Some(session_id))
        .eq("status", status);
    let result = fetch_page(
        db.pool(),
        "*",
        "bookings",
        &filter,
        "status, waitlist_position, created_at, id",
        page,
        Booking::decode,
    )
    .await?;
    let mut tx = db.begin_write().await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Read,
        "clinic_session_bookings",
        session_id,
        None,
        Some(&serde_json::json!({"count": result.items.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(result)
}

/// The unmasked name and phone of a booking, for the coordinator who must call the patient
/// (e.g. when a session is cancelled). Audited as a read of patient data.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

pub async fn contact(
    db: &Db,
    cipher: &PatientCipher,
    actor: &Actor,
    booking_id: &str,
) -> Result<Contact> {
    let mut tx = db.begin_write().await?;
    let row = query::sql_with(
        "SELECT name_enc, phone_enc FROM bookings WHERE id = $1".into(),
        vec![booking_id.into()],
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let undecryptable =
        || StoreError::Other("patient data cannot be decrypted with this key".into());
    let contact = Contact {
        name: cipher
            .decrypt(&text(&row, "name_enc")?)
            .ok_or_else(undecryptable)?,
        phone: cipher
            .decrypt(&text(&row, "phone_enc")?)
            .ok_or_else(undecryptable)?,
    };
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Read,
        "booking_contact",
        booking_id,
        None,
        Some(&serde_json::json!({"fields": ["name", "phone"]})),
    )
    .await?;
    tx.commit().await?;
    Ok(contact)
}

/// Counts by status, for checking invariants in tests and `shanhai verify`.
pub async fn confirmed_count(db: &Db, session_id: &str) -> Result<i64> {
    let row = query::sql_with(
        "SELECT COUNT(*) AS n FROM bookings WHERE session_id = $1 AND status IN ('confirmed', 'checked-in', 'no-show')".into(),
        vec![session_id.into()],
    )
    .fetch_one(db.pool())
    .await?;
    int(&row, "n")
}
