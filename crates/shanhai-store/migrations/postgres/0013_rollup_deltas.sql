-- Roll-up deltas (issue 6): the roll-up triggers append each record's contribution here — an
-- append to an unindexed table costs a writer far less than an upsert into a B-tree keyed by
-- program, institution and month — and a fold (every few seconds in the server, and before
-- reading when many are pending) moves them into rollups and rollups_program in one
-- transaction. Readers read the two levels together with the pending deltas in one statement,
-- so every figure stays exact whether or not the fold has run. Emptying rollup_state makes the
-- next migrate install the new triggers and rebuild. PostgreSQL dialect.

CREATE TABLE rollup_deltas (
    rule TEXT NOT NULL,
    month TEXT NOT NULL,
    program_id TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    pairing_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL
);

DELETE FROM rollup_state;
