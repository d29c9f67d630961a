-- Outreach events (义诊, 巡回诊疗, 健康讲座/科普, 筛查): where and when, the local institution
-- they count at, the place served (village, township, school, community or hospital, with its
-- GB/T 2260 region), the 两次下沉 chain (donor → regional centre → place), the team (dispatched
-- experts by name, local staff as a number), and what they produced (people served, screenings,
-- referrals). An outreach clinic session may name the event it belongs to.
CREATE TABLE outreach_events (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    kind TEXT NOT NULL,
    held_on TEXT NOT NULL,
    title TEXT,
    place_kind TEXT NOT NULL,
    place_name TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    donor_institution_id TEXT REFERENCES institutions(id),
    via_institution_id TEXT REFERENCES institutions(id),
    people_served INTEGER NOT NULL,
    screenings INTEGER NOT NULL DEFAULT 0,
    referrals INTEGER NOT NULL DEFAULT 0,
    local_staff INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX outreach_events_institution ON outreach_events(institution_id, held_on);
CREATE INDEX outreach_events_program ON outreach_events(program_id, held_on);

CREATE TABLE outreach_event_experts (
    event_id TEXT NOT NULL REFERENCES outreach_events(id) ON DELETE CASCADE,
    person_id TEXT NOT NULL REFERENCES people(id),
    PRIMARY KEY (event_id, person_id)
);
CREATE INDEX outreach_event_experts_person ON outreach_event_experts(person_id);

ALTER TABLE clinic_sessions ADD COLUMN outreach_event_id TEXT REFERENCES outreach_events(id);
CREATE INDEX clinic_sessions_outreach_event ON clinic_sessions(outreach_event_id);
