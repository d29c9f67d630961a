//! Teaching activities (教学查房, 学术讲座, 手术示教…): one row each, keyed by host institution, kind,
//! date and topic. Written with multi-row inserts, as they come by the thousand.

use crate::context::Context;
use crate::{
    Column, Contribution, ImportKind, Parsed, Problem, Row, code_of, insert_many, on_column,
};
use shanhai_domain::capacity::{TeachingActivityInput, TeachingKind};
use shanhai_store::StoreError;
use shanhai_store::audit::Actor;
use shanhai_store::capacity::{Collection, TeachingActivities as Stored};
use sqlx::AnyConnection;

pub struct TeachingActivities;

const PROGRAM: usize = 0;
const INSTITUTION: usize = 1;
const DEPARTMENT: usize = 2;
const KIND: usize = 3;
const DATE: usize = 4;
const TOPIC: usize = 5;
const HOST: usize = 6;
const HOST_INSTITUTION: usize = 7;
const PLACE: usize = 8;
const ONLINE: usize = 9;
const MINUTES: usize = 10;
const ATTENDANCE: usize = 11;

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
        zh: "类型",
        en: "Kind",
        required: true,
        fields: &["kind"],
        example: "教学查房",
    },
    Column {
        zh: "日期",
        en: "Date",
        required: true,
        fields: &["held_on"],
        example: "2025-04-30",
    },
    Column {
        zh: "主题",
        en: "Topic",
        required: true,
        fields: &["topic"],
        example: "急性胸痛的鉴别诊断",
    },
    Column {
        zh: "主讲人",
        en: "Host",
        required: false,
        fields: &["host_id"],
        example: "",
    },
    Column {
        zh: "主讲人单位",
        en: "Host institution",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "地点",
        en: "Place",
        required: false,
        fields: &["place"],
        example: "心内科示教室",
    },
    Column {
        zh: "线上",
        en: "Online",
        required: false,
        fields: &["online"],
        example: "否",
    },
    Column {
        zh: "时长（分钟）",
        en: "Minutes",
        required: true,
        fields: &["duration_minutes"],
        example: "90",
    },
    Column {
        zh: "参加人次",
        en: "Attendance",
        required: false,
        fields: &["attendance", "attendee_ids"],
        example: "25",
    },
];

/// A stored activity's natural key: the columns `stored_keys` joins, in its order.
fn key(institution_id: &str, kind: &str, held_on: &str, topic: &str) -> String {
    let parts = [institution_id, kind, held_on, topic];
    let mut key = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        key.push_str(part);
    }
    key
}

impl ImportKind for TeachingActivities {
    const NAME: &'static str = "teaching-activities";
    const LABEL: &'static str = "ui.import_kind_teaching_activities";
    const COLUMNS: &'static [Column] = COLUMNS;
    const ROLLUP_TABLE: Option<&'static str> = Some("teaching_activities");
    type Record = shanhai_domain::capacity::NewTeachingActivity;
    type State = ();

    async fn stored_keys(conn: &mut AnyConnection) -> Result<crate::Keys, StoreError> {
        crate::stored_keys_joined(
            conn,
            "teaching_activities",
            &["institution_id", "kind", "held_on", "topic"],
        )
        .await
    }

    /// The `teaching-activities` rule: counted on its date, by program, institution and kind,
    /// `extra` the attendance.
    fn contribution(new: &Self::Record) -> Option<Contribution<'_>> {
        Some(Contribution {
            rule: "teaching-activities",
            day: new.held_on,
            program_id: new.program_id.as_deref(),
            institution_id: &new.institution_id,
            kind: new.kind.code(),
            value: 1,
            extra: new.attendance,
        })
    }

    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<Self::Record>, Vec<Problem>> {
        let program_id = crate::program(row, PROGRAM, COLUMNS, cx)?;
        let institution_id = crate::institution(row, INSTITUTION, COLUMNS, cx)?;
        let department_id = crate::department(row, DEPARTMENT, COLUMNS, cx, institution_id)?;
        let host_id = match row.optional(HOST) {
            None => None,
            Some(name) => {
                let at = match row.optional(HOST_INSTITUTION) {
                    None => None,
                    Some(_) => Some(crate::institution(row, HOST_INSTITUTION, COLUMNS, cx)?),
                };
                Some(crate::person(cx, name, at, &COLUMNS[HOST])?)
            }
        };
        let input = TeachingActivityInput {
            program_id,
            institution_id: institution_id.to_string(),
            department_id,
            kind: code_of(
                row.cell(KIND),
                TeachingKind::ALL,
                TeachingKind::code,
                |k, l| k.label(l),
            ),
            held_on: row.cell(DATE).to_string(),
            host_id,
            place: row.optional(PLACE).map(str::to_string),
            online: crate::yes_no(row, ONLINE, COLUMNS)?,
            topic: row.cell(TOPIC).to_string(),
            duration_minutes: crate::number(row, MINUTES, COLUMNS)?
                .ok_or_else(|| Problem::at(&COLUMNS[MINUTES], "error.required"))?,
            attendance: crate::number(row, ATTENDANCE, COLUMNS)?,
            attendee_ids: vec![],
            series_id: None,
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
            key: key(
                &new.institution_id,
                new.kind.code(),
                &shanhai_domain::validate::iso_date(new.held_on),
                &new.topic,
            ),
            record: new,
        })
    }

    async fn write(
        conn: &mut AnyConnection,
        _actor: &Actor,
        _state: &mut (),
        batch: Vec<(usize, Self::Record)>,
    ) -> Result<Vec<Problem>, StoreError> {
        let rows = batch.iter().map(|(_, new)| Stored::args(new)).collect();
        insert_many(conn, "teaching_activities", Stored::COLUMNS, rows).await?;
        Ok(vec![])
    }
}
