-- The operations log (手术): what a dispatched expert did in an operating room at a local
-- institution: operated (主刀), guided on site (指导), demonstrated for teaching (示教) or guided
-- remotely (远程指导), with the local operators. Never a patient identifier.
CREATE TABLE operations (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs(id),
    institution_id TEXT NOT NULL REFERENCES institutions(id),
    department_id TEXT REFERENCES departments(id),
    assignment_id TEXT REFERENCES assignments(id),
    expert_id TEXT NOT NULL REFERENCES people(id),
    performed_on TEXT NOT NULL,
    procedure_name TEXT NOT NULL,
    procedure_code TEXT,
    grade INTEGER NOT NULL,
    expert_role TEXT NOT NULL,
    minimally_invasive INTEGER NOT NULL DEFAULT 0,
    technique_id TEXT REFERENCES techniques(id),
    outcome TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX operations_institution ON operations(institution_id, performed_on);
CREATE INDEX operations_program ON operations(program_id, performed_on);
CREATE INDEX operations_expert ON operations(expert_id, performed_on);
CREATE INDEX operations_technique ON operations(technique_id, performed_on);
CREATE INDEX operations_assignment ON operations(assignment_id);

CREATE TABLE operation_local_operators (
    operation_id TEXT NOT NULL REFERENCES operations(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    PRIMARY KEY (operation_id, person_id)
);
CREATE INDEX operation_local_operators_person ON operation_local_operators(person_id);
