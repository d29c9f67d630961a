-- Two-way referral (C5). PostgreSQL dialect.
CREATE TABLE referrals (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    urgency TEXT NOT NULL,
    state TEXT NOT NULL,
    from_institution_id TEXT NOT NULL REFERENCES institutions(id),
    sender_user_id TEXT NOT NULL REFERENCES users(id),
    sender_name TEXT NOT NULL,
    to_institution_id TEXT NOT NULL REFERENCES institutions(id),
    to_department_id TEXT REFERENCES departments(id),
    receiving_coordinator_id TEXT REFERENCES users(id),
    patient_name_enc TEXT NOT NULL,
    patient_id_number_enc TEXT,
    patient_name_masked TEXT NOT NULL,
    patient_id_number_masked TEXT,
    patient_sex TEXT NOT NULL,
    patient_age BIGINT NOT NULL,
    reason TEXT NOT NULL,
    consultation_id TEXT REFERENCES consultations(id),
    leaves_region BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX referrals_from ON referrals(from_institution_id, created_at);
CREATE INDEX referrals_to ON referrals(to_institution_id, state);

CREATE TABLE referral_events (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals(id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    note TEXT
);
CREATE INDEX referral_events_referral ON referral_events(referral_id, at);
