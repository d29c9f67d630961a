//! Shanhai storage: one SQL code path for SQLite (embedded, default) and PostgreSQL, through
//! sqlx's `Any` driver. Values cross the driver as text and integers only: ids are UUIDv7 text,
//! timestamps RFC 3339 UTC text, dates `YYYY-MM-DD`, lists JSON text.

pub mod actors;
pub mod agreements;
pub mod attachments;
pub mod audit;
pub mod audit_archive;
pub mod bookings;
pub mod briefing;
pub mod calendar_feeds;
pub mod capacity;
pub mod clinic_sessions;
pub mod composition;
pub mod consultations;
pub mod crypto;
pub mod db;
pub mod departments;
pub mod dispatch;
pub mod institutions;
pub mod kpis;
pub mod maintenance;
pub mod operations;
pub mod outage;
pub mod pairings;
pub mod people;
pub mod planning;
pub mod programs;
pub mod query;
pub mod record;
pub mod referrals;
pub mod regions;
pub mod rollups;
pub mod row;
pub mod search;
pub mod teams;
pub mod users;
pub mod webhooks;
pub mod workload;

pub use db::{Backend, Db};
pub use query::{Page, PageRequest};

use shanhai_domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the key names it for the message catalogue.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    /// Maps a unique violation to `Conflict(key)`, leaving other errors as they are.
    pub fn on_unique(err: sqlx::Error, key: &'static str) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(key),
            _ => StoreError::Database(err),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The current instant as stored: RFC 3339, UTC, milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Today's date in the display time zone (Asia/Shanghai, UTC+8, no daylight saving).
pub fn today() -> chrono::NaiveDate {
    local_now().date()
}

/// The current date and time in the display time zone (Asia/Shanghai, UTC+8): what a clinic
/// session's date and times are written in.
pub fn local_now() -> chrono::NaiveDateTime {
    (chrono::Utc::now() + chrono::Duration::hours(8)).naive_utc()
}
