-- The deployment planner (issue 19): a digest of what a plan was solved from (the needs, the
-- experts' availability and existing assignments, the rules), so that a plan whose inputs have
-- changed since is known to be stale and is not accepted before a re-solve.
ALTER TABLE plans ADD COLUMN instance_digest TEXT;
