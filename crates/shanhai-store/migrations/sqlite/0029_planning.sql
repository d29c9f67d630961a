-- The deployment planner (issue 19, C13): needs posted for a recipient institution or
-- department, availability posted for donor-side experts, the program's planning rules, and
-- plans (a solve's proposals, explanations, and once accepted the batch they became).

-- A need: one post to fill at a recipient (a team need is one of several needs sharing a
-- team name at one institution, exactly one of them the leader's).
CREATE TABLE needs (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs(id),
    scheme_id TEXT REFERENCES dispatch_schemes(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    specialty_code TEXT NOT NULL,
    mode TEXT NOT NULL,
    weekdays TEXT,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    min_stay_days INTEGER NOT NULL,
    post TEXT NOT NULL,
    min_title TEXT,
    priority INTEGER NOT NULL,
    team_name TEXT,
    team_role TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    note TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX needs_program ON needs(program_id, start_date);
CREATE INDEX needs_institution ON needs(institution_id);

-- A window in which an expert can go: the modes they accept, their longest stint, and the
-- dates inside it they cannot (blackouts).
CREATE TABLE availability (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    modes TEXT NOT NULL,
    longest_stint_days INTEGER,
    note TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX availability_person ON availability(person_id, start_date);

CREATE TABLE availability_blackouts (
    id TEXT PRIMARY KEY,
    availability_id TEXT NOT NULL REFERENCES availability(id),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX availability_blackouts_availability ON availability_blackouts(availability_id);

-- Where a program differs from the defaults: rest between stints, whether the title rule
-- holds, whether a team's members must stay inside their leader's stay, whether a need may be
-- covered by consecutive stints of different experts.
CREATE TABLE planning_rules (
    program_id TEXT PRIMARY KEY REFERENCES programs(id),
    rest_days INTEGER NOT NULL,
    check_title INTEGER NOT NULL DEFAULT 1,
    team_within_leader INTEGER NOT NULL DEFAULT 1,
    split_needs INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);

-- A solve and its outcome. `progress` in thousandths; objective, bound and the greedy
-- baseline in priority-weighted need-days; `explanations` the JSON of each need not fully
-- covered with its reasons and what would cover it.
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs(id),
    scheme_id TEXT REFERENCES dispatch_schemes(id),
    name TEXT,
    horizon_start TEXT NOT NULL,
    horizon_end TEXT NOT NULL,
    status TEXT NOT NULL,
    time_limit_seconds INTEGER NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0,
    objective INTEGER,
    bound INTEGER,
    greedy_objective INTEGER,
    explanations TEXT,
    error TEXT,
    stale INTEGER NOT NULL DEFAULT 0,
    batch_id TEXT REFERENCES batches(id),
    created_by TEXT,
    started_at TEXT,
    finished_at TEXT,
    accepted_at TEXT,
    accepted_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX plans_program ON plans(program_id, created_at);

-- A proposal of a plan: this expert fills this need from start to end; pinned ones survive a
-- re-solve; after acceptance, the assignment it became.
CREATE TABLE plan_items (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans(id),
    need_id TEXT NOT NULL REFERENCES needs(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    assignment_id TEXT REFERENCES assignments(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX plan_items_plan ON plan_items(plan_id);
