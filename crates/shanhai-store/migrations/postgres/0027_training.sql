-- Issue 18, training and management figures the articles quote: training schemes and their
-- members (雏鹰行动, 跟岗), lecture series whose sessions are teaching activities (云中课堂,
-- 科研门诊), remote CME enrolments, department restructurings and patients who came back for
-- treatment (de-identified: no name, no ID number). PostgreSQL dialect.

CREATE TABLE training_schemes (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    host_institution_id TEXT REFERENCES institutions(id),
    started_on TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX training_schemes_program ON training_schemes(program_id, started_on);
CREATE INDEX training_schemes_institution ON training_schemes(institution_id, started_on);

CREATE TABLE training_scheme_members (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    scheme_id TEXT NOT NULL REFERENCES training_schemes(id),
    person_id TEXT REFERENCES people(id),
    placement_id TEXT REFERENCES placements(id),
    joined_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX training_scheme_members_person ON training_scheme_members(scheme_id, person_id);
CREATE UNIQUE INDEX training_scheme_members_placement ON training_scheme_members(scheme_id, placement_id);
CREATE INDEX training_scheme_members_program ON training_scheme_members(program_id, joined_on);
CREATE INDEX training_scheme_members_institution ON training_scheme_members(institution_id, joined_on);

CREATE TABLE lecture_series (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    started_on TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX lecture_series_program ON lecture_series(program_id, started_on);
CREATE INDEX lecture_series_institution ON lecture_series(institution_id, started_on);

ALTER TABLE teaching_activities ADD COLUMN series_id TEXT REFERENCES lecture_series(id);
CREATE INDEX teaching_activities_series ON teaching_activities(series_id, held_on);

CREATE TABLE cme_enrolments (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    learner_id TEXT REFERENCES people(id),
    learner_name TEXT,
    course TEXT NOT NULL,
    specialty_code TEXT,
    enrolled_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX cme_enrolments_program ON cme_enrolments(program_id, enrolled_on);
CREATE INDEX cme_enrolments_institution ON cme_enrolments(institution_id, enrolled_on);

CREATE TABLE department_changes (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    previous_name TEXT,
    changed_on TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX department_changes_program ON department_changes(program_id, changed_on);
CREATE INDEX department_changes_institution ON department_changes(institution_id, changed_on);

CREATE TABLE patient_returns (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    specialty_code TEXT,
    returned_on TEXT NOT NULL,
    treated_region_code TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX patient_returns_program ON patient_returns(program_id, returned_on);
CREATE INDEX patient_returns_institution ON patient_returns(institution_id, returned_on);

CREATE INDEX accreditation_goals_achieved ON accreditation_goals(program_id, achieved_on);
