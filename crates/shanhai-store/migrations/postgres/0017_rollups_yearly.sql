-- Roll-ups by year (issue 6). Region, institution and pairing scopes read the fine level, one
-- row per month, institution, pairing and kind; a national drill-down over five years read a
-- few hundred thousand of them. A fourth level with the same keys per year answers the whole
-- years of such a range (the months around them still come from rollups), a twelfth of the
-- rows. Keyed rule, institution and kind first: a drill-down groups by institution and kind,
-- and in this order the rows arrive grouped (the few years of a group are filtered as read).
-- Filled by the same fold; emptying rollup_state makes the next migrate rebuild every level
-- from the records. PostgreSQL dialect.

CREATE TABLE rollups_yearly (
    rule TEXT NOT NULL,
    year TEXT NOT NULL,
    program_id TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    pairing_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    value BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    PRIMARY KEY (rule, institution_id, kind, year, program_id, pairing_id, member_id)
);
CREATE INDEX rollups_yearly_institution ON rollups_yearly(institution_id, rule, year);
CREATE INDEX rollups_yearly_pairing ON rollups_yearly(pairing_id, rule, year);

DELETE FROM rollup_state;
