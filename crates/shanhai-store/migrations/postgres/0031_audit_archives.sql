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

CREATE FUNCTION audit_archives_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_archives is append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_archives_no_change BEFORE UPDATE OR DELETE ON audit_archives
FOR EACH ROW EXECUTE FUNCTION audit_archives_append_only();

DROP TRIGGER audit_log_no_change ON audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE FUNCTION audit_log_archived_only() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_archives a
               WHERE OLD.at < a.before_date
                 AND a.before_date <= to_char((now() AT TIME ZONE 'UTC') - interval '180 days', 'YYYY-MM-DD')) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: only entries older than 180 days that are in a recorded archive may be removed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_archived_only();
