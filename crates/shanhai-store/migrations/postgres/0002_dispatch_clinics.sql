-- Expert dispatch (C2), visiting-expert clinics and public booking (C3). PostgreSQL dialect.

CREATE TABLE dispatch_schemes (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs(id),
    name TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (program_id, name)
);

CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs(id),
    scheme_id TEXT REFERENCES dispatch_schemes(id),
    pairing_id TEXT REFERENCES pairings(id),
    number BIGINT NOT NULL,
    name TEXT,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (program_id, number)
);

CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES batches(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    mode TEXT NOT NULL,
    post TEXT NOT NULL,
    weekdays TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX assignments_person ON assignments(person_id, start_date);
CREATE INDEX assignments_batch ON assignments(batch_id);
CREATE INDEX assignments_institution ON assignments(institution_id, start_date);

CREATE TABLE service_days (
    id TEXT PRIMARY KEY,
    assignment_id TEXT NOT NULL REFERENCES assignments(id),
    day TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (assignment_id, day)
);

CREATE TABLE clinic_sessions (
    id TEXT PRIMARY KEY,
    expert_id TEXT NOT NULL REFERENCES people(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    assignment_id TEXT REFERENCES assignments(id),
    date TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    booked BIGINT NOT NULL,
    waitlisted BIGINT NOT NULL,
    waitlist_seq BIGINT NOT NULL,
    slot_minutes BIGINT NOT NULL,
    visit_type TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (booked >= 0 AND booked <= capacity)
);
CREATE INDEX clinic_sessions_date ON clinic_sessions(date, institution_id);
CREATE INDEX clinic_sessions_expert ON clinic_sessions(expert_id, date);

-- Patient identifiers are encrypted (AES-256-GCM, key outside the database); the *_hash columns
-- are keyed HMACs for matching, the *_masked columns what staff see.
CREATE TABLE bookings (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES clinic_sessions(id),
    booking_code TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    waitlist_position BIGINT,
    name_enc TEXT NOT NULL,
    phone_enc TEXT NOT NULL,
    id_number_enc TEXT NOT NULL,
    person_hash TEXT NOT NULL,
    phone_hash TEXT NOT NULL,
    name_masked TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    id_number_masked TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX bookings_session ON bookings(session_id, status);
CREATE UNIQUE INDEX bookings_one_per_person ON bookings(session_id, person_hash)
    WHERE status IN ('confirmed', 'waitlisted', 'checked-in');

-- An account may be a person of the registry (an expert sees their own schedule).
ALTER TABLE users ADD COLUMN person_id TEXT REFERENCES people(id);
