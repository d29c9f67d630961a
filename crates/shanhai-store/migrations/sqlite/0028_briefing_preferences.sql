-- The briefing (成果简报): how a program's briefing states each figure — the exact number or
-- the press's rounding words ("5500余", "近200"); no row means exact. And two reported KPIs the
-- regional medical centres' articles quote (the built-in catalogue keeps the same rows).
CREATE TABLE briefing_preferences (
    program_id TEXT NOT NULL REFERENCES programs(id),
    code TEXT NOT NULL,
    wording TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (program_id, code)
);

INSERT INTO kpi_definitions (code, name_zh, name_en, unit, direction, value_kind, scale, period_types,
    description, builtin, created_at, updated_at) VALUES
    ('minimally-invasive-surgeries', '微创手术例数', 'Minimally invasive operations', '例', 'higher', 'count', 0, '["month", "quarter", "year"]', NULL, 1, '2026-12-07T00:00:00.000Z', '2026-12-07T00:00:00.000Z'),
    ('breast-cancer-preop-biopsy', '乳腺癌术前穿刺活检率', 'Breast cancer preoperative core biopsy rate', '%', 'higher', 'percent', 2, '["month", "quarter", "year"]', NULL, 1, '2026-12-07T00:00:00.000Z', '2026-12-07T00:00:00.000Z');
