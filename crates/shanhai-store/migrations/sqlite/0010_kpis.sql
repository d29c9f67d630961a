-- Reported KPIs (C10): definitions (a built-in catalogue, and those program offices add),
-- reports per institution and period with submission and approval, and their values as integers
-- scaled by the definition's decimals. SQLite dialect.

CREATE TABLE kpi_definitions (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    unit TEXT NOT NULL,
    direction TEXT NOT NULL,
    value_kind TEXT NOT NULL,
    scale INTEGER NOT NULL,
    period_types TEXT NOT NULL,
    description TEXT,
    builtin INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE kpi_reports (
    id TEXT PRIMARY KEY,
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    program_id TEXT REFERENCES programs(id),
    period_type TEXT NOT NULL,
    period_key TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_by TEXT,
    submitted_at TEXT,
    approved_by TEXT,
    approved_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (institution_id, period_key)
);
CREATE INDEX kpi_reports_program ON kpi_reports(program_id, period_start);
CREATE INDEX kpi_reports_state ON kpi_reports(state, period_start);

CREATE TABLE kpi_values (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES kpi_reports(id),
    definition_code TEXT NOT NULL REFERENCES kpi_definitions(code),
    value_scaled INTEGER,
    baseline_scaled INTEGER,
    target_scaled INTEGER,
    note TEXT,
    UNIQUE (report_id, definition_code)
);
CREATE INDEX kpi_values_definition ON kpi_values(definition_code);

CREATE TABLE kpi_report_events (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES kpi_reports(id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX kpi_report_events_report ON kpi_report_events(report_id, at);

-- The built-in catalogue (shanhai_domain::kpis::builtin_catalogue; a test keeps the two equal).
INSERT INTO kpi_definitions (code, name_zh, name_en, unit, direction, value_kind, scale, period_types,
    description, builtin, created_at, updated_at) VALUES
    ('patient-satisfaction', '患者满意度', 'Patient satisfaction', '%', 'higher', 'percent', 2, '["quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('average-length-of-stay', '平均住院日', 'Average length of stay', '天', 'lower', 'decimal', 2, '["month", "quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('grade4-surgery-share', '四级手术占比', 'Grade-4 surgery share', '%', 'higher', 'percent', 2, '["month", "quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('grade34-surgeries', '三四级手术例数', 'Grade-3 and grade-4 surgeries', '例', 'higher', 'count', 0, '["month", "quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('inpatient-surgery-share', '出院患者手术占比', 'Share of discharged patients operated on', '%', 'higher', 'percent', 2, '["month", "quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('outpatient-visits', '门急诊人次', 'Outpatient and emergency visits', '人次', 'higher', 'count', 0, '["month", "quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('licensing-first-pass', '执业医师资格考试首次通过率', 'Medical licensing exam first-attempt pass rate', '%', 'higher', 'percent', 2, '["year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('residency-completion-pass', '住院医师规范化培训结业考核通过率', 'Residency training completion exam pass rate', '%', 'higher', 'percent', 2, '["year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('chronic-disease-management', '慢病规范管理率', 'Chronic disease standardised management rate', '%', 'higher', 'percent', 2, '["quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('hypertension-management', '高血压患者规范管理率', 'Hypertension standardised management rate', '%', 'higher', 'percent', 2, '["quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('diabetes-management', '糖尿病患者规范管理率', 'Diabetes standardised management rate', '%', 'higher', 'percent', 2, '["quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('health-literacy', '居民健康素养水平', 'Residents'' health literacy', '%', 'higher', 'percent', 2, '["year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('cmi', '病例组合指数（CMI）', 'Case mix index (CMI)', '', 'higher', 'decimal', 4, '["month", "quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('drug-consumable-share', '药耗占比', 'Share of drugs and consumables in revenue', '%', 'lower', 'percent', 2, '["month", "quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'),
    ('outpatient-cost-per-visit', '门诊次均费用', 'Average outpatient cost per visit', '元', 'lower', 'decimal', 2, '["month", "quarter", "year"]', NULL, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');
