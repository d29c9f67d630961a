-- Roll-ups (issue 6): the program level keyed by (program, rule, kind, person, month) instead
-- of (program, month, rule, kind, person). A program overview groups a program's rows by rule
-- and kind, and counts distinct people by person: in this order the rows arrive grouped and
-- SQLite aggregates them as they come instead of sorting them first (the months of a group are
-- a few dozen rows, filtered as read). Emptying rollup_state makes the next migrate rebuild
-- every level from the records. SQLite dialect.

DROP TABLE rollups_program;

CREATE TABLE rollups_program (
    program_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    month TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    PRIMARY KEY (program_id, rule, kind, member_id, month)
) WITHOUT ROWID;

DELETE FROM rollup_state;
