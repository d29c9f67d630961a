-- Spreadsheet imports (C11), SQLite dialect: one row per import that wrote, naming the file by its SHA-256 and
-- what it did. The records themselves go to their own tables.

CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    created BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    actor_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX imports_file ON imports(file_sha256);
