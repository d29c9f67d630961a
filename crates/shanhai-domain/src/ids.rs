//! Identifiers are UUIDv7: sortable by creation time, and they do not reveal how many records exist.

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Accepts only a canonical hyphenated UUID, so malformed ids never reach the database.
pub fn parse_id(s: &str) -> Option<String> {
    uuid::Uuid::try_parse(s).ok().map(|u| u.to_string())
}
