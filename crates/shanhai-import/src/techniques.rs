//! New techniques and projects (新技术新项目), keyed by institution and the technique's name as
//! a "first in the region" claim compares it. Each is created through the store as the API
//! creates it: audited, with its timeline started.

use crate::context::Context;
use crate::{Column, ImportKind, Parsed, Problem, Row, code_of, on_column};
use shanhai_domain::capacity::{GapLevel, NewTechnique, TechniqueInput, technique_key};
use shanhai_store::audit::Actor;
use shanhai_store::{StoreError, capacity};
use sqlx::AnyConnection;

pub struct Techniques;

const PROGRAM: usize = 0;
const INSTITUTION: usize = 1;
const DEPARTMENT: usize = 2;
const NAME: usize = 3;
const SPECIALTY: usize = 4;
const GRADE: usize = 5;
const GAP: usize = 6;
const EXPERT: usize = 7;
const EXPERT_INSTITUTION: usize = 8;
const INTRODUCED: usize = 9;
const DESCRIPTION: usize = 10;

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
        example: "喀什地区第一人民医院",
    },
    Column {
        zh: "科室",
        en: "Department",
        required: false,
        fields: &["department_id"],
        example: "",
    },
    Column {
        zh: "技术名称",
        en: "Name",
        required: true,
        fields: &["name"],
        example: "经皮冠状动脉介入治疗",
    },
    Column {
        zh: "专科",
        en: "Specialty",
        required: true,
        fields: &["specialty_code"],
        example: "03.04",
    },
    Column {
        zh: "手术级别",
        en: "Surgical grade",
        required: false,
        fields: &["surgical_grade"],
        example: "4",
    },
    Column {
        zh: "填补空白",
        en: "Gap filled",
        required: false,
        fields: &["gap_level"],
        example: "县域空白",
    },
    Column {
        zh: "引进专家",
        en: "Expert",
        required: false,
        fields: &["expert_id"],
        example: "",
    },
    Column {
        zh: "专家单位",
        en: "Expert institution",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "引进日期",
        en: "Introduced on",
        required: true,
        fields: &["introduced_on"],
        example: "2025-03-18",
    },
    Column {
        zh: "说明",
        en: "Description",
        required: false,
        fields: &["description"],
        example: "",
    },
];

fn key(institution_id: &str, name_key: &str) -> String {
    format!("{institution_id}\u{1f}{name_key}")
}

/// A specialty by code (`03.04`) or by its Chinese or English name (心血管内科专业).
pub(crate) fn specialty(value: &str) -> String {
    let value = value.trim();
    shanhai_domain::specialty::all()
        .iter()
        .find(|s| s.code == value || s.zh == value || s.en.eq_ignore_ascii_case(value))
        .map_or_else(|| value.to_string(), |s| s.code.clone())
}

/// 1–4, or 一级…四级.
fn grade(row: &Row<'_>) -> Result<Option<i64>, Problem> {
    let value = row
        .cell(GRADE)
        .trim_end_matches("级手术")
        .trim_end_matches('级');
    Ok(match value {
        "" => None,
        "一" => Some(1),
        "二" => Some(2),
        "三" => Some(3),
        "四" => Some(4),
        v => Some(
            v.parse()
                .map_err(|_| Problem::at(&COLUMNS[GRADE], "error.surgical_grade_range"))?,
        ),
    })
}

impl ImportKind for Techniques {
    const NAME: &'static str = "techniques";
    const LABEL: &'static str = "ui.import_kind_techniques";
    const COLUMNS: &'static [Column] = COLUMNS;
    type Record = NewTechnique;
    type State = ();

    async fn stored_keys(conn: &mut AnyConnection) -> Result<crate::Keys, StoreError> {
        crate::stored_keys_joined(conn, "techniques", &["institution_id", "name_key"]).await
    }

    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<NewTechnique>, Vec<Problem>> {
        let institution_id = crate::institution(row, INSTITUTION, COLUMNS, cx)?;
        let expert_id = match row.optional(EXPERT) {
            None => None,
            Some(name) => {
                let at = match row.optional(EXPERT_INSTITUTION) {
                    None => None,
                    Some(_) => Some(crate::institution(row, EXPERT_INSTITUTION, COLUMNS, cx)?),
                };
                Some(crate::person(cx, name, at, &COLUMNS[EXPERT])?)
            }
        };
        let input = TechniqueInput {
            program_id: crate::program(row, PROGRAM, COLUMNS, cx)?,
            institution_id: institution_id.to_string(),
            department_id: crate::department(row, DEPARTMENT, COLUMNS, cx, institution_id)?,
            name: row.cell(NAME).to_string(),
            specialty_code: specialty(row.cell(SPECIALTY)),
            surgical_grade: grade(row)?,
            gap_level: row
                .optional(GAP)
                .map(|g| code_of(g, GapLevel::ALL, GapLevel::code, |l, lang| l.label(lang))),
            pairing_id: None,
            expert_id,
            introduced_on: row.cell(INTRODUCED).to_string(),
            description: row.optional(DESCRIPTION).map(str::to_string),
        };
        let new = input.parse().map_err(|e| on_column(COLUMNS, e))?;
        if !cx.may_write_capacity(&new.institution_id, new.program_id.as_deref()) {
            return Err(vec![Problem::at(
                &COLUMNS[INSTITUTION],
                "error.import_out_of_scope",
            )]);
        }
        Ok(Parsed {
            identity: None,
            key: key(&new.institution_id, &technique_key(&new.name)),
            record: new,
        })
    }

    async fn write(
        conn: &mut AnyConnection,
        actor: &Actor,
        _state: &mut (),
        batch: Vec<(usize, NewTechnique)>,
    ) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        for (number, new) in batch {
            match capacity::create_technique_on(conn, actor, &new).await {
                Ok(_) => {}
                Err(StoreError::Invalid(e)) => {
                    for mut p in on_column(COLUMNS, e) {
                        p.row = number;
                        problems.push(p);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(problems)
    }
}
