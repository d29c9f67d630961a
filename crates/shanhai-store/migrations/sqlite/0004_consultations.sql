-- Remote consultation (C4). SQLite dialect.
CREATE TABLE consultations (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    urgency TEXT NOT NULL,
    state TEXT NOT NULL,
    requesting_institution_id TEXT NOT NULL REFERENCES institutions(id),
    requester_user_id TEXT NOT NULL REFERENCES users(id),
    requester_name TEXT NOT NULL,
    target_institution_id TEXT NOT NULL REFERENCES institutions(id),
    target_specialty_code TEXT,
    patient_name_enc TEXT NOT NULL,
    patient_id_number_enc TEXT,
    patient_name_masked TEXT NOT NULL,
    patient_id_number_masked TEXT,
    patient_sex TEXT NOT NULL,
    patient_age INTEGER NOT NULL,
    case_summary TEXT NOT NULL,
    question TEXT NOT NULL,
    decline_reason TEXT,
    scheduled_at TEXT,
    decision TEXT,
    requested_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX consultations_requesting ON consultations(requesting_institution_id, state);
CREATE INDEX consultations_target ON consultations(target_institution_id, state);

CREATE TABLE consultation_experts (
    id TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    chair INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (consultation_id, person_id)
);
CREATE INDEX consultation_experts_person ON consultation_experts(person_id);

-- Signed opinions are never updated: an amendment is the next version.
CREATE TABLE consultation_opinions (
    id TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    version INTEGER NOT NULL,
    author_person_id TEXT REFERENCES people(id),
    author_name TEXT NOT NULL,
    text TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (consultation_id, version)
);

CREATE TABLE consultation_events (
    id TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX consultation_events_consultation ON consultation_events(consultation_id, at);

CREATE TRIGGER consultation_opinions_signed_no_update BEFORE UPDATE ON consultation_opinions
BEGIN SELECT RAISE(ABORT, 'a signed opinion cannot change'); END;
