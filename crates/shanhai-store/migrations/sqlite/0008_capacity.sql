-- Capacity building (C6), technology transfer (C7), specialty and management building (C8) and
-- resources (C9). Every record names the local institution it belongs to. Money is integer fen.
-- SQLite dialect.

CREATE TABLE capacity_settings (
    program_id TEXT PRIMARY KEY REFERENCES programs(id),
    max_apprentices INTEGER NOT NULL,
    term_months INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE placements (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    host_institution_id TEXT NOT NULL REFERENCES institutions(id),
    host_department_id TEXT REFERENCES departments(id),
    subject TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    status TEXT NOT NULL,
    outcome TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX placements_institution ON placements(institution_id, start_date);
CREATE INDEX placements_person ON placements(person_id);

CREATE TABLE mentorships (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    mentor_id TEXT NOT NULL REFERENCES people(id),
    term_start TEXT NOT NULL,
    term_end TEXT NOT NULL,
    subject TEXT,
    evaluation TEXT,
    evaluation_note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX mentorships_institution ON mentorships(institution_id, term_start);
CREATE INDEX mentorships_mentor ON mentorships(mentor_id, term_start);

CREATE TABLE mentorship_apprentices (
    id TEXT PRIMARY KEY,
    mentorship_id TEXT NOT NULL REFERENCES mentorships(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    joined_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (mentorship_id, person_id)
);
CREATE INDEX mentorship_apprentices_person ON mentorship_apprentices(person_id);

CREATE TABLE mentorship_notes (
    id TEXT PRIMARY KEY,
    mentorship_id TEXT NOT NULL REFERENCES mentorships(id),
    written_on TEXT NOT NULL,
    note TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX mentorship_notes_mentorship ON mentorship_notes(mentorship_id, written_on);

CREATE TABLE team_pairings (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    local_team TEXT NOT NULL,
    donor_institution_id TEXT NOT NULL REFERENCES institutions(id),
    donor_team TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX team_pairings_institution ON team_pairings(institution_id);

CREATE TABLE teaching_activities (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    kind TEXT NOT NULL,
    held_on TEXT NOT NULL,
    host_id TEXT REFERENCES people(id),
    place TEXT,
    online INTEGER NOT NULL,
    topic TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    attendance INTEGER NOT NULL,
    attendee_ids TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX teaching_activities_institution ON teaching_activities(institution_id, held_on);

CREATE TABLE training_kpis (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    indicator TEXT NOT NULL,
    year INTEGER NOT NULL,
    candidates INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (institution_id, indicator, year)
);

CREATE TABLE techniques (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    specialty_code TEXT NOT NULL,
    surgical_grade INTEGER,
    gap_level TEXT,
    pairing_id TEXT REFERENCES pairings(id),
    expert_id TEXT REFERENCES people(id),
    stage TEXT NOT NULL,
    introduced_on TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX techniques_institution ON techniques(institution_id, introduced_on);
CREATE INDEX techniques_name ON techniques(name_key, specialty_code);

CREATE TABLE technique_cases (
    id TEXT PRIMARY KEY,
    technique_id TEXT NOT NULL REFERENCES techniques(id),
    performed_on TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES people(id),
    by_local_staff INTEGER NOT NULL,
    supervisor_id TEXT REFERENCES people(id),
    outcome TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX technique_cases_technique ON technique_cases(technique_id, performed_on);

CREATE TABLE technique_events (
    id TEXT PRIMARY KEY,
    technique_id TEXT NOT NULL REFERENCES techniques(id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    note TEXT
);
CREATE INDEX technique_events_technique ON technique_events(technique_id, at);

CREATE TABLE workstations (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    lead_expert_id TEXT REFERENCES people(id),
    opened_on TEXT NOT NULL,
    visits INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX workstations_institution ON workstations(institution_id);

CREATE TABLE alliances (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    name TEXT NOT NULL,
    specialty_code TEXT,
    founded_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX alliances_institution ON alliances(institution_id);

CREATE TABLE alliance_members (
    id TEXT PRIMARY KEY,
    alliance_id TEXT NOT NULL REFERENCES alliances(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    joined_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (alliance_id, institution_id)
);
CREATE INDEX alliance_members_institution ON alliance_members(institution_id);

CREATE TABLE specialty_projects (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    started_on TEXT NOT NULL,
    milestones TEXT NOT NULL,
    acceptance_result TEXT NOT NULL,
    accepted_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX specialty_projects_institution ON specialty_projects(institution_id);

CREATE TABLE regulations (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    title TEXT NOT NULL,
    area TEXT NOT NULL,
    adopted_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX regulations_institution ON regulations(institution_id, adopted_on);

CREATE TABLE research_outputs (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    venue TEXT,
    dated_on TEXT NOT NULL,
    amount_fen INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX research_outputs_institution ON research_outputs(institution_id);
CREATE INDEX research_outputs_person ON research_outputs(person_id);

CREATE TABLE accreditation_goals (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    goal TEXT NOT NULL,
    status TEXT NOT NULL,
    target_on TEXT,
    achieved_on TEXT,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX accreditation_goals_institution ON accreditation_goals(institution_id);

CREATE TABLE funding_items (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    amount_fen INTEGER NOT NULL,
    source TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX funding_items_program ON funding_items(program_id);
CREATE INDEX funding_items_institution ON funding_items(institution_id, granted_on);

CREATE TABLE equipment_donations (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    donor_institution_id TEXT REFERENCES institutions(id),
    donor_name TEXT,
    item TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    value_fen INTEGER NOT NULL,
    donated_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX equipment_donations_institution ON equipment_donations(institution_id, donated_on);
