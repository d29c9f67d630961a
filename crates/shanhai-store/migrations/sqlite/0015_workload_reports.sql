-- Workload reports (issue 6): what a dispatched expert did at the recipient in a period
-- (usually a month), reported under their assignment by the expert, the team leader or a
-- coordinator — outpatients seen, inpatients admitted, operations performed. The figures the
-- articles quote ("帮扶专家累计接诊门诊患者23.6万余人次，接诊入院患者近6.3万余人次，开展手术
-- 2.1万余人次") are their sums, rolled up at each report's period end. An assignment's periods
-- do not overlap (checked on write); one report per assignment and period start.
CREATE TABLE workload_reports (
    id TEXT PRIMARY KEY,
    assignment_id TEXT NOT NULL REFERENCES assignments(id),
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    outpatients INTEGER NOT NULL,
    admissions INTEGER NOT NULL,
    operations INTEGER NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (assignment_id, period_start)
);
CREATE INDEX workload_reports_period_end ON workload_reports(period_end);
