-- Roll-ups, second shape (issue 6): one row per source rule instead of one per indicator.
-- A rule (consultations, clinic sessions, techniques, teaching activities…) keeps its records'
-- kind (consultation type, visit type, gap level, teaching kind) as a key column and two value
-- columns (a count and a sum: sessions and bookings, activities and attendance, items and
-- amounts), so one upsert serves the total, every per-kind indicator and the summed one. A
-- second, coarse level per program and month (no institution or pairing) serves program and
-- national overviews from a few thousand rows. Both are kept by the triggers generated from
-- src/rollups.rs; emptying rollup_state makes the next migrate replace the triggers and rebuild
-- both tables from the records. PostgreSQL dialect.

DROP TABLE rollups;

CREATE TABLE rollups (
    rule TEXT NOT NULL,
    month TEXT NOT NULL,
    program_id TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    pairing_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    PRIMARY KEY (rule, month, program_id, institution_id, pairing_id, kind, member_id)
);
CREATE INDEX rollups_institution ON rollups(institution_id, rule, month);
CREATE INDEX rollups_pairing ON rollups(pairing_id, rule, month);

CREATE TABLE rollups_program (
    program_id TEXT NOT NULL,
    month TEXT NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    PRIMARY KEY (program_id, month, rule, kind, member_id)
);

DELETE FROM rollup_state;
