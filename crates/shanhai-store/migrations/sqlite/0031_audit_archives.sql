-- Audit retention (等保2.0 三级): the audit log keeps every entry for at least 180 days. Older
-- entries may leave the table only after they have been written to an archive file whose
-- checksum is recorded here; nothing else may delete an entry, and nothing may change one.
CREATE TABLE audit_archives (
    id TEXT PRIMARY KEY,
    -- Every entry with at < before_date (YYYY-MM-DD, UTC) is in the file.
    before_date TEXT NOT NULL,
    file_name TEXT NOT NULL,
    entries BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    first_at TEXT,
    last_at TEXT,
    created_at TEXT NOT NULL
);

CREATE TRIGGER audit_archives_no_update BEFORE UPDATE ON audit_archives
BEGIN SELECT RAISE(ABORT, 'audit_archives is append-only'); END;
CREATE TRIGGER audit_archives_no_delete BEFORE DELETE ON audit_archives
BEGIN SELECT RAISE(ABORT, 'audit_archives is append-only'); END;

DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_archives a
                 WHERE OLD.at < a.before_date AND a.before_date <= date('now', '-180 days'))
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: only entries older than 180 days that are in a recorded archive may be removed'); END;
