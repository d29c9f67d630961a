//! Shanhai's domain: the registry's vocabulary, validation that turns raw input into values that
//! cannot be invalid, and the access policy. Nothing here does I/O.

pub mod access;
pub mod accounts;
#[macro_use]
pub mod codes;
pub mod bookings;
pub mod briefing;
pub mod calendar;
pub mod capacity;
pub mod clinic_sessions;
pub mod consultations;
pub mod dispatch;
pub mod error;
pub mod ids;
pub mod inbox;
pub mod indicators;
pub mod kpis;
pub mod operations;
pub mod planning;
pub mod referrals;
pub mod registry;
pub mod specialty;
pub mod teams;
pub mod validate;
pub mod webhooks;
pub mod words;
pub mod workload;

pub use error::{DomainError, Invalid, Problems};

/// The two languages every user-facing text exists in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks the language from a tag such as `en-US` or `zh-CN`; Chinese unless English is asked for.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}
