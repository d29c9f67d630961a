-- Teams (issue 18): a named team of experts — an academician's team (院士团队), a hospital's
-- team-based (组团式) team, a specialty team — with its home institution, the institution it
-- serves (host), its leader and members (people, joined/left dates), and its visits to a host
-- (the 院士团队's 7 visits are 7 visits of one team). A team's figures count the records of its
-- members (their assignments, service days, sessions, workload) and its visits.
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    home_institution_id TEXT NOT NULL REFERENCES institutions(id),
    host_institution_id TEXT REFERENCES institutions(id),
    leader_id TEXT NOT NULL REFERENCES people(id),
    formed_on TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX teams_program ON teams(program_id);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    role TEXT NOT NULL,
    joined_on TEXT NOT NULL,
    left_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (team_id, person_id)
);
CREATE INDEX team_members_person ON team_members(person_id);

CREATE TABLE team_visits (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES teams(id),
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX team_visits_team ON team_visits(team_id);
CREATE INDEX team_visits_start ON team_visits(start_date);

-- The extended clinical workload: critical-care rescues (抢救危重) and MDT participations.
ALTER TABLE workload_reports ADD COLUMN rescues BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workload_reports ADD COLUMN mdt_participations BIGINT NOT NULL DEFAULT 0;
