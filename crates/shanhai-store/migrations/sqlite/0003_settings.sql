-- Facts about this installation that every server sharing the database must agree on, such as
-- the fingerprint of the patient-data key.
CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
