-- Days served: a day an expert checked in is confirmed (or corrected) by a coordinator a week
-- at a time; days of leave are kept apart from the days served (they never count as served);
-- an assignment ended early keeps the end it was planned with.
ALTER TABLE service_days ADD COLUMN confirmed_at TEXT;
ALTER TABLE service_days ADD COLUMN confirmed_by TEXT;
CREATE INDEX service_days_unconfirmed ON service_days(assignment_id, confirmed_at);

CREATE TABLE leave_days (
    id TEXT PRIMARY KEY,
    assignment_id TEXT NOT NULL REFERENCES assignments(id),
    day TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (assignment_id, day)
);

ALTER TABLE assignments ADD COLUMN planned_end_date TEXT;
