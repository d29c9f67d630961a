-- Roll-ups by province (issue 6). A national dashboard's drill-down into provinces read the
-- fine level, a row per institution, month or year and kind (21,000 rows for one indicator at
-- national scale), carried them out of the database and folded the institutions into provinces
-- there; the partial month at the range's end was counted from the records. The program and
-- daily levels now keep the province of the record's institution (the first two digits of its
-- GB/T 2260 code, '' without one), so national and provincial scopes — totals, trends and the
-- drill-down into provinces — are read from them: a few thousand rows, already per province.
-- A delta's province is looked up when it is folded (NULL until then), off the writer's path;
-- a change of an institution's region first pins its pending deltas to the old province, then
-- moves its records' contributions like any parent's change. Emptying rollup_state makes the next
-- migrate install the new triggers and rebuild every level from the records. PostgreSQL dialect.

DROP TABLE rollup_deltas;

CREATE TABLE rollup_deltas (
    rule TEXT NOT NULL,
    day TEXT NOT NULL,
    program_id TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    pairing_id TEXT NOT NULL,
    province TEXT,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL
);

DROP TABLE rollups_program;

-- A program's rows arrive grouped by rule, kind and person (the order a program overview
-- groups and counts them in); the provinces and months of a group are filtered as read.
CREATE TABLE rollups_program (
    program_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    province TEXT NOT NULL,
    month TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    PRIMARY KEY (program_id, rule, kind, member_id, province, month)
);
-- National and provincial reads of one rule, grouped by province and kind, without a lookup.
CREATE INDEX rollups_program_rule ON rollups_program(rule, province, kind, month, value, extra);

DROP TABLE rollups_daily;

CREATE TABLE rollups_daily (
    day TEXT NOT NULL,
    program_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    province TEXT NOT NULL,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    PRIMARY KEY (day, program_id, rule, province, kind, member_id)
);

DELETE FROM rollup_state;
