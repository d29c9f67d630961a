-- Roll-ups by day (issue 6). A dashboard's date range is whole months (read from rollups and
-- rollups_program) and at most two partial months at its ends, which were counted from the
-- records — for a program's overview nineteen queries over the raw tables, most of its time at
-- national scale. A third level, per program and day, answers those edges from a few hundred
-- rows. The deltas now carry the day (the months are derived from it when they are folded), so
-- one fold fills all three levels. Emptying rollup_state makes the next migrate install the new
-- triggers and rebuild every level from the records. PostgreSQL dialect.

DROP TABLE rollup_deltas;

CREATE TABLE rollup_deltas (
    rule TEXT NOT NULL,
    day TEXT NOT NULL,
    program_id TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    pairing_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL
);

-- Day first: an edge is a range of days, for one program or for all of them.
CREATE TABLE rollups_daily (
    day TEXT NOT NULL,
    program_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    PRIMARY KEY (day, program_id, rule, kind, member_id)
);

DELETE FROM rollup_state;
