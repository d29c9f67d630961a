-- Consultation attachments, per-program turnaround targets, and links that issue 4 adds.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    dicom TEXT,
    preview_key TEXT,
    preview_error TEXT,
    uploaded_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX attachments_consultation ON attachments(consultation_id, created_at);

-- Turnaround targets a program sets for its consultations, in minutes, by urgency.
CREATE TABLE consultation_targets (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs(id),
    urgency TEXT NOT NULL,
    accept_minutes INTEGER NOT NULL,
    report_minutes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (program_id, urgency)
);

ALTER TABLE consultations ADD COLUMN program_id TEXT REFERENCES programs(id);
ALTER TABLE consultations ADD COLUMN accept_due_at TEXT;
ALTER TABLE consultations ADD COLUMN report_due_at TEXT;
CREATE INDEX consultations_program ON consultations(program_id, requested_at);

ALTER TABLE referrals ADD COLUMN clinic_session_id TEXT REFERENCES clinic_sessions(id);
ALTER TABLE referrals ADD COLUMN program_id TEXT REFERENCES programs(id);
