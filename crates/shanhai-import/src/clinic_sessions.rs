//! Clinic sessions (出诊排班) of visiting experts, keyed by expert, host institution, date and
//! start time. Each is created through the store as the API creates it, audited one by one.

use crate::context::Context;
use crate::{Column, ImportKind, Parsed, Problem, Row, code_of, on_column};
use shanhai_domain::clinic_sessions::{ClinicSessionInput, NewClinicSession, VisitType};
use shanhai_store::audit::Actor;
use shanhai_store::{StoreError, clinic_sessions};
use sqlx::AnyConnection;

pub struct ClinicSessions;

const EXPERT: usize = 0;
const EXPERT_INSTITUTION: usize = 1;
const INSTITUTION: usize = 2;
const DEPARTMENT: usize = 3;
const DATE: usize = 4;
const START: usize = 5;
const END: usize = 6;
const CAPACITY: usize = 7;
const SLOT: usize = 8;
const VISIT: usize = 9;
const NOTE: usize = 10;

const COLUMNS: &[Column] = &[
    Column {
        zh: "专家",
        en: "Expert",
        required: true,
        fields: &["expert_id"],
        example: "张伟",
    },
    Column {
        zh: "专家单位",
        en: "Expert institution",
        required: false,
        fields: &[],
        example: "首都医科大学附属北京朝阳医院",
    },
    Column {
        zh: "出诊机构",
        en: "Institution",
        required: true,
        fields: &["institution_id"],
        example: "赤峰市医院",
    },
    Column {
        zh: "科室",
        en: "Department",
        required: false,
        fields: &["department_id"],
        example: "",
    },
    Column {
        zh: "日期",
        en: "Date",
        required: true,
        fields: &["date"],
        example: "2025-05-06",
    },
    Column {
        zh: "开始时间",
        en: "Start",
        required: true,
        fields: &["start", "window"],
        example: "08:30",
    },
    Column {
        zh: "结束时间",
        en: "End",
        required: true,
        fields: &["end"],
        example: "11:30",
    },
    Column {
        zh: "号源数",
        en: "Capacity",
        required: true,
        fields: &["capacity"],
        example: "20",
    },
    Column {
        zh: "每号分钟",
        en: "Slot minutes",
        required: false,
        fields: &["slot_minutes"],
        example: "",
    },
    Column {
        zh: "号别",
        en: "Visit type",
        required: false,
        fields: &["visit_type"],
        example: "专家号",
    },
    Column {
        zh: "备注",
        en: "Note",
        required: false,
        fields: &["note"],
        example: "",
    },
];

fn key(expert_id: &str, institution_id: &str, date: &str, start: &str) -> String {
    format!("{expert_id}\u{1f}{institution_id}\u{1f}{date}\u{1f}{start}")
}

fn key_of(new: &NewClinicSession) -> String {
    key(
        &new.expert_id,
        &new.institution_id,
        &new.date.to_string(),
        &new.window.start.format("%H:%M").to_string(),
    )
}

impl ImportKind for ClinicSessions {
    const NAME: &'static str = "clinic-sessions";
    const LABEL: &'static str = "ui.import_kind_clinic_sessions";
    const COLUMNS: &'static [Column] = COLUMNS;
    type Record = NewClinicSession;
    type State = ();

    async fn stored_keys(conn: &mut AnyConnection) -> Result<crate::Keys, StoreError> {
        crate::stored_keys_joined(
            conn,
            "clinic_sessions",
            &["expert_id", "institution_id", "date", "start_time"],
        )
        .await
    }

    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<NewClinicSession>, Vec<Problem>> {
        let expert_at = match row.optional(EXPERT_INSTITUTION) {
            None => None,
            Some(_) => Some(crate::institution(row, EXPERT_INSTITUTION, COLUMNS, cx)?),
        };
        let expert_name = row.cell(EXPERT);
        if expert_name.is_empty() {
            return Err(vec![Problem::at(&COLUMNS[EXPERT], "error.required")]);
        }
        let expert_id = crate::person(cx, expert_name, expert_at, &COLUMNS[EXPERT])?;
        let institution_id = crate::institution(row, INSTITUTION, COLUMNS, cx)?;
        let input = ClinicSessionInput {
            expert_id,
            institution_id: institution_id.to_string(),
            department_id: crate::department(row, DEPARTMENT, COLUMNS, cx, institution_id)?,
            assignment_id: None,
            date: row.cell(DATE).to_string(),
            start: row.cell(START).to_string(),
            end: row.cell(END).to_string(),
            capacity: crate::number(row, CAPACITY, COLUMNS)?
                .ok_or_else(|| Problem::at(&COLUMNS[CAPACITY], "error.required"))?,
            slot_minutes: crate::number(row, SLOT, COLUMNS)?,
            visit_type: row
                .optional(VISIT)
                .map(|v| code_of(v, VisitType::ALL, VisitType::code, |t, l| t.label(l))),
            note: row.optional(NOTE).map(str::to_string),
        };
        let new = input.parse().map_err(|p| on_column(COLUMNS, p))?;
        if !cx.may_run_clinics(&new.institution_id) {
            return Err(vec![Problem::at(
                &COLUMNS[INSTITUTION],
                "error.import_out_of_scope",
            )]);
        }
        Ok(Parsed {
            identity: None,
            key: key_of(&new),
            record: new,
        })
    }

    async fn write(
        conn: &mut AnyConnection,
        actor: &Actor,
        _state: &mut (),
        batch: Vec<(usize, NewClinicSession)>,
    ) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        for (number, new) in batch {
            match clinic_sessions::create_on(conn, actor, &new).await {
                Ok(_) => {}
                Err(StoreError::Invalid(e)) => {
                    for mut p in on_column(COLUMNS, e) {
                        p.row = number;
                        problems.push(p);
                    }
                }
                Err(StoreError::Conflict(key)) => {
                    let mut p = Problem::whole_row(key);
                    p.row = number;
                    problems.push(p);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(problems)
    }
}
