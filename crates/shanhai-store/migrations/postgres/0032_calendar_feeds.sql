-- Calendar feeds (iCalendar, RFC 5545) at secret URLs: an expert's own schedule or a
-- hospital's visiting-expert sessions. Only the SHA-256 of the URL's token is kept, as for API
-- tokens; the token is shown once, when the feed is created. A revoked feed answers 404.
CREATE TABLE calendar_feeds (
    id TEXT PRIMARY KEY,
    -- `expert` (subject_id: a person) or `institution` (subject_id: an institution).
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    owner_user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX calendar_feeds_owner ON calendar_feeds(owner_user_id, created_at);
