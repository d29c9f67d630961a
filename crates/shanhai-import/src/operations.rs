//! Operations (手术): one row each — the local institution, the date, the procedure (name,
//! optional ICD-9-CM-3 code), grade, the dispatched expert and their role, the local operators,
//! minimally invasive or not, the outcome. Never a patient identifier. Each row is written with
//! its local operators through the store, so the roll-up triggers count it as the API's writes
//! are counted.

use crate::context::Context;
use crate::{Column, ImportKind, Parsed, Problem, Row, code_of, on_column};
use shanhai_domain::operations::{ExpertRole, NewOperation, OperationInput, OperationOutcome};
use shanhai_store::StoreError;
use shanhai_store::audit::Actor;
use sqlx::AnyConnection;

pub struct Operations;

const PROGRAM: usize = 0;
const INSTITUTION: usize = 1;
const DEPARTMENT: usize = 2;
const DATE: usize = 3;
const PROCEDURE: usize = 4;
const CODE: usize = 5;
const GRADE: usize = 6;
const EXPERT: usize = 7;
const EXPERT_INSTITUTION: usize = 8;
const ROLE: usize = 9;
const OPERATORS: usize = 10;
const MINIMALLY_INVASIVE: usize = 11;
const OUTCOME: usize = 12;
const NOTE: usize = 13;

const COLUMNS: &[Column] = &[
    Column {
        zh: "项目",
        en: "Program",
        required: false,
        fields: &["program_id"],
        example: "",
    },
    Column {
        zh: "机构",
        en: "Institution",
        required: true,
        fields: &["institution_id"],
        example: "新疆生产建设兵团第十三师红星医院",
    },
    Column {
        zh: "科室",
        en: "Department",
        required: false,
        fields: &["department_id"],
        example: "",
    },
    Column {
        zh: "手术日期",
        en: "Date",
        required: true,
        fields: &["performed_on"],
        example: "2025-04-30",
    },
    Column {
        zh: "术式名称",
        en: "Procedure",
        required: true,
        fields: &["procedure_name"],
        example: "腹腔镜下胆囊切除术",
    },
    Column {
        zh: "手术编码",
        en: "Procedure code",
        required: false,
        fields: &["procedure_code"],
        example: "51.23",
    },
    Column {
        zh: "手术分级",
        en: "Grade",
        required: true,
        fields: &["grade"],
        example: "3",
    },
    Column {
        zh: "派出专家",
        en: "Expert",
        required: true,
        fields: &["expert_id"],
        example: "",
    },
    Column {
        zh: "专家单位",
        en: "Expert's institution",
        required: false,
        fields: &[],
        example: "河南省人民医院",
    },
    Column {
        zh: "专家角色",
        en: "Expert's role",
        required: true,
        fields: &["expert_role"],
        example: "示教",
    },
    Column {
        zh: "本院术者",
        en: "Local operators",
        required: false,
        fields: &["local_operator_ids"],
        example: "",
    },
    Column {
        zh: "微创",
        en: "Minimally invasive",
        required: false,
        fields: &["minimally_invasive"],
        example: "是",
    },
    Column {
        zh: "手术结果",
        en: "Outcome",
        required: true,
        fields: &["outcome"],
        example: "手术顺利",
    },
    Column {
        zh: "备注",
        en: "Note",
        required: false,
        fields: &["note"],
        example: "",
    },
];

/// A grade written `3`, `三级` or `3级`.
fn grade(cell: &str) -> i64 {
    let c = cell.trim().trim_end_matches('级');
    match c {
        "一" | "1" => 1,
        "二" | "2" => 2,
        "三" | "3" => 3,
        "四" | "4" => 4,
        _ => 0,
    }
}

impl ImportKind for Operations {
    const NAME: &'static str = "operations";
    const LABEL: &'static str = "ui.import_kind_operations";
    const COLUMNS: &'static [Column] = COLUMNS;
    type Record = NewOperation;
    type State = ();

    async fn stored_keys(conn: &mut AnyConnection) -> Result<crate::Keys, StoreError> {
        crate::stored_keys_joined(
            conn,
            "operations",
            &[
                "institution_id",
                "performed_on",
                "expert_id",
                "procedure_name",
            ],
        )
        .await
    }

    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<Self::Record>, Vec<Problem>> {
        let program_id = crate::program(row, PROGRAM, COLUMNS, cx)?;
        let institution_id = crate::institution(row, INSTITUTION, COLUMNS, cx)?;
        let department_id = crate::department(row, DEPARTMENT, COLUMNS, cx, institution_id)?;
        let mut problems = Vec::new();
        let expert_at = match row.optional(EXPERT_INSTITUTION) {
            None => None,
            Some(_) => match crate::institution(row, EXPERT_INSTITUTION, COLUMNS, cx) {
                Ok(i) => Some(i),
                Err(p) => {
                    problems.push(p);
                    None
                }
            },
        };
        let expert_id = match row.optional(EXPERT) {
            None => {
                problems.push(Problem::at(&COLUMNS[EXPERT], "error.required"));
                String::new()
            }
            Some(name) => match crate::person(cx, name, expert_at, &COLUMNS[EXPERT]) {
                Ok(id) => id,
                Err(p) => {
                    problems.push(p);
                    String::new()
                }
            },
        };
        let mut local_operator_ids = Vec::new();
        for name in row
            .optional(OPERATORS)
            .unwrap_or("")
            .split(['、', ',', '，', ';', '；'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match crate::person(cx, name, Some(institution_id), &COLUMNS[OPERATORS]) {
                Ok(id) => local_operator_ids.push(id),
                Err(p) => problems.push(p),
            }
        }
        let minimally_invasive = match crate::yes_no(row, MINIMALLY_INVASIVE, COLUMNS) {
            Ok(b) => b,
            Err(p) => {
                problems.push(p);
                false
            }
        };
        let input = OperationInput {
            program_id,
            institution_id: institution_id.to_string(),
            department_id,
            assignment_id: None,
            expert_id,
            performed_on: row.cell(DATE).to_string(),
            procedure_name: row.cell(PROCEDURE).to_string(),
            procedure_code: row.optional(CODE).map(str::to_string),
            grade: grade(row.cell(GRADE)),
            expert_role: code_of(row.cell(ROLE), ExpertRole::ALL, ExpertRole::code, |k, l| {
                k.label(l)
            }),
            minimally_invasive,
            technique_id: None,
            outcome: code_of(
                row.cell(OUTCOME),
                OperationOutcome::ALL,
                OperationOutcome::code,
                |k, l| k.label(l),
            ),
            local_operator_ids,
            note: row.optional(NOTE).map(str::to_string),
        };
        let new = match input.parse(shanhai_store::today()) {
            Ok(n) => n,
            Err(e) => {
                // Every problem of the row, each at its column (an empty expert is said once).
                let mut all = on_column(COLUMNS, e);
                all.retain(|p| {
                    !(p.column.is_some_and(|c| c.zh == COLUMNS[EXPERT].zh)
                        && problems.iter().any(|q: &Problem| {
                            q.column.is_some_and(|c| c.zh == COLUMNS[EXPERT].zh)
                        }))
                });
                problems.extend(all);
                return Err(problems);
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        if !cx.may_write_capacity(&new.institution_id, new.program_id.as_deref()) {
            return Err(vec![Problem::at(
                &COLUMNS[INSTITUTION],
                "error.import_out_of_scope",
            )]);
        }
        let key = [
            new.institution_id.as_str(),
            &shanhai_domain::validate::iso_date(new.performed_on),
            new.expert_id.as_str(),
            new.procedure_name.as_str(),
        ]
        .join("\u{1f}");
        Ok(Parsed {
            identity: None,
            key,
            record: new,
        })
    }

    async fn write(
        conn: &mut AnyConnection,
        actor: &Actor,
        _state: &mut (),
        batch: Vec<(usize, Self::Record)>,
    ) -> Result<Vec<Problem>, StoreError> {
        for (_, new) in &batch {
            shanhai_store::operations::create_on(conn, actor, new).await?;
        }
        Ok(vec![])
    }
}
