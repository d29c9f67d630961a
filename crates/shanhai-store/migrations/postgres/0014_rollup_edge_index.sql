-- Roll-ups (issue 6): the partial month at the end of a program's date range counts the
-- program's assignments from the records, reached through their batches; without this index
-- every assignment of the program's batches was read (0.11 s of a 10 M-record overview), with
-- it only those starting in the range.
CREATE INDEX assignments_batch_start ON assignments(batch_id, start_date);
