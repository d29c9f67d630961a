-- Roll-ups (issue 6): every derived indicator summed per program, institution, pairing and month
-- (and per person for indicators counting distinct people). The triggers that keep it current
-- are generated from the rules in src/rollups.rs and installed, with a rebuild, at migrate time
-- whenever the rules change (rollup_state holds the fingerprint of the installed set).
-- SQLite dialect.

CREATE TABLE rollups (
    indicator TEXT NOT NULL,
    month TEXT NOT NULL,
    program_id TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    pairing_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (indicator, month, program_id, institution_id, pairing_id, member_id)
) WITHOUT ROWID;
CREATE INDEX rollups_program ON rollups(program_id, indicator, month);
CREATE INDEX rollups_institution ON rollups(institution_id, indicator, month);

CREATE TABLE rollup_state (
    id BIGINT PRIMARY KEY,
    spec_hash TEXT NOT NULL,
    built_at TEXT NOT NULL
);

-- The partial months at the edges of a date range are counted from the records: by program
-- and date, by institution and date, or by date alone.
CREATE INDEX consultations_requested ON consultations(requested_at);
CREATE INDEX consultations_requesting_date ON consultations(requesting_institution_id, requested_at);
CREATE INDEX referrals_program ON referrals(program_id, created_at);
CREATE INDEX referrals_created ON referrals(created_at);
CREATE INDEX referrals_to_date ON referrals(to_institution_id, created_at);
CREATE INDEX teaching_activities_program ON teaching_activities(program_id, held_on);
CREATE INDEX teaching_activities_held ON teaching_activities(held_on);
CREATE INDEX service_days_day ON service_days(day);
CREATE INDEX clinic_sessions_assignment ON clinic_sessions(assignment_id, date);
CREATE INDEX placements_program ON placements(program_id, start_date);
CREATE INDEX mentorships_program ON mentorships(program_id, term_start);
CREATE INDEX team_pairings_program ON team_pairings(program_id, start_date);
CREATE INDEX techniques_program ON techniques(program_id, introduced_on);
CREATE INDEX workstations_program ON workstations(program_id, opened_on);
CREATE INDEX alliances_program ON alliances(program_id, founded_on);
CREATE INDEX specialty_projects_program ON specialty_projects(program_id, started_on);
CREATE INDEX regulations_program ON regulations(program_id, adopted_on);
CREATE INDEX research_outputs_program ON research_outputs(program_id, dated_on);
CREATE INDEX funding_items_program_date ON funding_items(program_id, granted_on);
CREATE INDEX equipment_donations_program ON equipment_donations(program_id, donated_on);
