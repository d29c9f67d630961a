//! Outreach events (义诊, 巡回诊疗, 健康讲座/科普, 筛查): one row each, keyed by the institution it
//! counts at, kind, date and place; the experts by name (separated by 、 or ；), found at the
//! donor hospital when one is given. Written one by one with their experts (the roll-up
//! triggers count them).

use crate::context::Context;
use crate::{Column, ImportKind, Parsed, Problem, Row, code_of, on_column};
use shanhai_domain::capacity::{NewOutreachEvent, OutreachEventInput, OutreachKind, PlaceKind};
use shanhai_store::StoreError;
use shanhai_store::audit::Actor;
use shanhai_store::capacity as store;
use sqlx::AnyConnection;

pub struct OutreachEvents;

const PROGRAM: usize = 0;
const INSTITUTION: usize = 1;
const KIND: usize = 2;
const DATE: usize = 3;
const TITLE: usize = 4;
const PLACE_KIND: usize = 5;
const PLACE: usize = 6;
const REGION: usize = 7;
const DONOR: usize = 8;
const VIA: usize = 9;
const SERVED: usize = 10;
const SCREENINGS: usize = 11;
const REFERRALS: usize = 12;
const LOCAL_STAFF: usize = 13;
const EXPERTS: usize = 14;
const NOTE: usize = 15;

const COLUMNS: &[Column] = &[
    Column {
        zh: "项目",
        en: "Program",
        required: false,
        fields: &["program_id"],
        example: "",
    },
    Column {
        zh: "计入机构",
        en: "Counts at",
        required: true,
        fields: &["institution_id"],
        example: "托克托县伍什家镇卫生院",
    },
    Column {
        zh: "类型",
        en: "Kind",
        required: true,
        fields: &["kind"],
        example: "义诊",
    },
    Column {
        zh: "日期",
        en: "Date",
        required: true,
        fields: &["held_on"],
        example: "2025-04-16",
    },
    Column {
        zh: "活动名称",
        en: "Event name",
        required: false,
        fields: &["title"],
        example: "“两次下沉”义诊",
    },
    Column {
        zh: "地点类型",
        en: "Kind of place",
        required: true,
        fields: &["place_kind"],
        example: "乡镇",
    },
    Column {
        zh: "地点名称",
        en: "Place",
        required: true,
        fields: &["place_name"],
        example: "伍什家乡镇卫生院",
    },
    Column {
        zh: "区划代码",
        en: "Region code",
        required: true,
        fields: &["region_code"],
        example: "150122",
    },
    Column {
        zh: "派出医院",
        en: "Donor hospital",
        required: false,
        fields: &["donor_institution_id"],
        example: "北京大学肿瘤医院",
    },
    Column {
        zh: "经由区域医疗中心",
        en: "Via regional centre",
        required: false,
        fields: &["via_institution_id"],
        example: "北京大学肿瘤医院内蒙古医院",
    },
    Column {
        zh: "服务人次",
        en: "People served",
        required: true,
        fields: &["people_served"],
        example: "326",
    },
    Column {
        zh: "筛查人次",
        en: "Screenings",
        required: false,
        fields: &["screenings"],
        example: "65",
    },
    Column {
        zh: "转诊人次",
        en: "Referrals",
        required: false,
        fields: &["referrals"],
        example: "3",
    },
    Column {
        zh: "当地参与人员数",
        en: "Local staff",
        required: false,
        fields: &["local_staff"],
        example: "8",
    },
    Column {
        zh: "派出专家",
        en: "Experts",
        required: false,
        fields: &["expert_ids"],
        example: "",
    },
    Column {
        zh: "备注",
        en: "Note",
        required: false,
        fields: &["note"],
        example: "",
    },
];

/// A stored event's natural key: the columns `stored_keys` joins, in its order.
fn key(institution_id: &str, kind: &str, held_on: &str, place: &str) -> String {
    [institution_id, kind, held_on, place].join("\u{1f}")
}

fn optional_institution(
    row: &Row<'_>,
    index: usize,
    cx: &Context,
) -> Result<Option<String>, Vec<Problem>> {
    match row.optional(index) {
        None => Ok(None),
        Some(_) => Ok(Some(
            crate::institution(row, index, COLUMNS, cx)?.to_string(),
        )),
    }
}

impl ImportKind for OutreachEvents {
    const NAME: &'static str = "outreach-events";
    const LABEL: &'static str = "ui.import_kind_outreach_events";
    const COLUMNS: &'static [Column] = COLUMNS;
    /// The place's region is checked against the regions table as the row is written.
    const CHECKED_ON_WRITE: bool = true;
    type Record = NewOutreachEvent;
    type State = ();

    async fn stored_keys(conn: &mut AnyConnection) -> Result<crate::Keys, StoreError> {
        crate::stored_keys_joined(
            conn,
            "outreach_events",
            &["institution_id", "kind", "held_on", "place_name"],
        )
        .await
    }

    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<Self::Record>, Vec<Problem>> {
        let program_id = crate::program(row, PROGRAM, COLUMNS, cx)?;
        let institution_id = crate::institution(row, INSTITUTION, COLUMNS, cx)?;
        let donor = optional_institution(row, DONOR, cx)?;
        let via = optional_institution(row, VIA, cx)?;
        let mut problems = Vec::new();
        let mut expert_ids = Vec::new();
        for name in row
            .cell(EXPERTS)
            .split(['、', '；', ';', ',', '，'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match crate::person(cx, name, donor.as_deref(), &COLUMNS[EXPERTS]) {
                Ok(id) => expert_ids.push(id),
                Err(p) => problems.push(p),
            }
        }
        let mut number = |index: usize| match crate::number(row, index, COLUMNS) {
            Ok(n) => n,
            Err(p) => {
                problems.push(p);
                Some(0)
            }
        };
        let served = number(SERVED);
        let screenings = number(SCREENINGS).unwrap_or(0);
        let referrals = number(REFERRALS).unwrap_or(0);
        let local_staff = number(LOCAL_STAFF).unwrap_or(0);
        if served.is_none() {
            problems.push(Problem::at(&COLUMNS[SERVED], "error.required"));
        }
        let input = OutreachEventInput {
            program_id,
            institution_id: institution_id.to_string(),
            kind: code_of(
                row.cell(KIND),
                OutreachKind::ALL,
                OutreachKind::code,
                |k, l| k.label(l),
            ),
            held_on: row.cell(DATE).to_string(),
            title: row.optional(TITLE).map(str::to_string),
            place_kind: code_of(
                row.cell(PLACE_KIND),
                PlaceKind::ALL,
                PlaceKind::code,
                |k, l| k.label(l),
            ),
            place_name: row.cell(PLACE).to_string(),
            region_code: row.cell(REGION).to_string(),
            donor_institution_id: donor,
            via_institution_id: via,
            people_served: served.unwrap_or(0),
            screenings,
            referrals,
            local_staff,
            expert_ids,
            note: row.optional(NOTE).map(str::to_string),
        };
        let new = match input.parse() {
            Ok(new) => new,
            Err(e) => {
                for p in on_column(COLUMNS, e) {
                    if !problems
                        .iter()
                        .any(|x| x.column.map(|c| c.zh) == p.column.map(|c| c.zh))
                    {
                        problems.push(p);
                    }
                }
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
        Ok(Parsed {
            identity: None,
            key: key(
                &new.institution_id,
                new.kind.code(),
                &shanhai_domain::validate::iso_date(new.held_on),
                &new.place_name,
            ),
            record: new,
        })
    }

    /// Each event with its experts; a region the regions table lacks is a problem of its row.
    async fn write(
        conn: &mut AnyConnection,
        actor: &Actor,
        _state: &mut (),
        batch: Vec<(usize, Self::Record)>,
    ) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        for (number, new) in batch {
            match store::create_outreach_event_on(conn, actor, &new).await {
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
