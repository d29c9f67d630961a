-- Foundation: registry (C1), accounts and audit (C12). SQLite dialect.
-- Ids are UUIDv7 text, timestamps RFC 3339 UTC text, dates YYYY-MM-DD text, integers INTEGER.

CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT REFERENCES regions(code),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE institutions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    grade TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    parent_id TEXT REFERENCES institutions(id),
    address TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX institutions_region ON institutions(region_code);

CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    specialty_code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (institution_id, name)
);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    title TEXT NOT NULL,
    honours TEXT NOT NULL,
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    specialty_code TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX people_institution ON people(institution_id);

CREATE TABLE programs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    description TEXT,
    start_date TEXT NOT NULL,
    end_date TEXT,
    office_institution_id TEXT REFERENCES institutions(id),
    donor_access TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE pairings (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs(id),
    donor_id TEXT NOT NULL REFERENCES institutions(id),
    recipient_id TEXT NOT NULL REFERENCES institutions(id),
    level TEXT NOT NULL,
    mode TEXT NOT NULL,
    departments TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (program_id, donor_id, recipient_id, level, departments)
);
CREATE INDEX pairings_program ON pairings(program_id);

CREATE TABLE agreements (
    id TEXT PRIMARY KEY,
    pairing_id TEXT NOT NULL REFERENCES pairings(id),
    signed_on TEXT NOT NULL,
    term_years INTEGER NOT NULL,
    scope TEXT NOT NULL,
    document_name TEXT,
    document_content_type TEXT,
    document_size INTEGER,
    document_sha256 TEXT,
    document_path TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX agreements_pairing ON agreements(pairing_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT REFERENCES institutions(id),
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    ip TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_at ON audit_log(at);

-- The audit log is append-only.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
