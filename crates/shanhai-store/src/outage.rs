//! Telling "the database is away for a moment" (PostgreSQL restarting, the network gone, the
//! pool unable to hand out a connection in time, SQLite's write lock held too long) from a real
//! fault: the first is answered 503 with `Retry-After`, and the pool reconnects by itself.

use crate::StoreError;

impl StoreError {
    /// Whether this error means the database cannot be reached right now, so that the same
    /// request may succeed in a few seconds.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => unavailable(e),
            _ => false,
        }
    }
}

/// Whether a driver error means the database is (for now) out of reach.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        // The connection broke mid-conversation (the server went away while answering).
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs of a server going or gone away (class 08: connection exception;
/// 57P01-57P03: shut down by the administrator, crashed, cannot connect now; 53300: too many
/// connections) and SQLite's busy and locked codes (5, 6, and their extended forms).
fn unavailable_code(code: &str) -> bool {
    code.starts_with("08")
        || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
        || code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_unavailable_and_rule_breaks_are_not() {
        assert!(unavailable(&sqlx::Error::PoolTimedOut));
        assert!(unavailable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!unavailable(&sqlx::Error::RowNotFound));
        for code in ["08006", "08001", "57P01", "57P03", "5", "517", "6"] {
            assert!(unavailable_code(code), "{code}");
        }
        for code in ["23505", "42P01", "19", "2067"] {
            assert!(!unavailable_code(code), "{code}");
        }
    }
}
