//! People and their assignments (人员及派驻名单): a roster row names a person and, optionally,
//! the batch that sends them and where to. A person is keyed by institution, name and title; an
//! assignment by person, batch and start date. A person on several rows (several assignments)
//! is created once. Both are written through the store as the API writes them, audited one by
//! one, so the rules only the database can check (an expert in two places on one day, a period
//! outside the batch) hold for imports too.

use crate::context::Context;
use crate::{Column, ImportKind, Parsed, Problem, Row, code_of};
use shanhai_domain::Invalid;
use shanhai_domain::codes::{Gender, Title};
use shanhai_domain::dispatch::{AssignmentInput, AssignmentMode, NewAssignment, Post};
use shanhai_domain::registry::{NewPerson, PersonInput};
use shanhai_store::audit::Actor;
use shanhai_store::query::sql_with;
use shanhai_store::{StoreError, dispatch, people};
use sqlx::{AnyConnection, Row as _};
use std::collections::HashMap;

pub struct People;

const NAME: usize = 0;
const GENDER: usize = 1;
const TITLE: usize = 2;
const INSTITUTION: usize = 3;
const DEPARTMENT: usize = 4;
const SPECIALTY: usize = 5;
const HONOURS: usize = 6;
const PROGRAM: usize = 7;
const BATCH: usize = 8;
const RECIPIENT: usize = 9;
const RECIPIENT_DEPARTMENT: usize = 10;
const MODE: usize = 11;
const POST: usize = 12;
const WEEKDAYS: usize = 13;
const START: usize = 14;
const END: usize = 15;

const COLUMNS: &[Column] = &[
    Column {
        zh: "姓名",
        en: "Name",
        required: true,
        fields: &["name"],
        example: "张伟",
    },
    Column {
        zh: "性别",
        en: "Gender",
        required: true,
        fields: &["gender"],
        example: "男",
    },
    Column {
        zh: "职称",
        en: "Title",
        required: true,
        fields: &["title"],
        example: "主任医师",
    },
    Column {
        zh: "所在机构",
        en: "Institution",
        required: true,
        fields: &["institution_id"],
        example: "河南省人民医院",
    },
    Column {
        zh: "科室",
        en: "Department",
        required: false,
        fields: &["department_id"],
        example: "",
    },
    Column {
        zh: "专科",
        en: "Specialty",
        required: false,
        fields: &["specialty_code"],
        example: "03.04",
    },
    Column {
        zh: "荣誉",
        en: "Honours",
        required: false,
        fields: &["honours"],
        example: "",
    },
    Column {
        zh: "项目",
        en: "Program",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "批次",
        en: "Batch",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "受援机构",
        en: "Recipient",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "受援科室",
        en: "Recipient department",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "派驻方式",
        en: "Mode",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "岗位",
        en: "Post",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "出诊星期",
        en: "Weekdays",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "开始日期",
        en: "Start date",
        required: false,
        fields: &[],
        example: "",
    },
    Column {
        zh: "结束日期",
        en: "End date",
        required: false,
        fields: &[],
        example: "",
    },
];

/// The columns an assignment's fields come from (the person's fields share names with them).
const ASSIGNMENT_FIELDS: &[(&str, usize)] = &[
    ("batch_id", BATCH),
    ("institution_id", RECIPIENT),
    ("department_id", RECIPIENT_DEPARTMENT),
    ("mode", MODE),
    ("post", POST),
    ("weekdays", WEEKDAYS),
    ("start_date", START),
    ("end_date", END),
];

fn on_assignment_column(e: impl Into<shanhai_domain::Problems>) -> Problem {
    // The assignment half of a row is checked once its person is: it names its first problem.
    let e: Invalid = e.into().into_first();
    let column = ASSIGNMENT_FIELDS
        .iter()
        .find(|(f, _)| *f == e.field)
        .map_or(&COLUMNS[BATCH], |(_, c)| &COLUMNS[*c]);
    Problem::at(column, e.key)
}

pub struct Record {
    person_key: String,
    /// The stored person the row names, if any.
    person_id: Option<String>,
    person: NewPerson,
    assignment: Option<NewAssignment>,
}

/// People created by this import, by key, so later rows reuse them.
#[derive(Default)]
pub struct Created(HashMap<String, String>);

fn person_key(institution_id: &str, name: &str, title: &str) -> String {
    format!("{institution_id}\u{1f}{name}\u{1f}{title}")
}

fn assignment_key(person_key: &str, batch_id: &str, start: &str) -> String {
    format!("{person_key}\u{1e}{batch_id}\u{1f}{start}")
}

/// ISO weekdays written `1,3,5`, `周一、周三` or `星期二`.
fn weekdays(cell: &str) -> Result<Vec<i64>, Problem> {
    let bad = || Problem::at(&COLUMNS[WEEKDAYS], "error.weekday_range");
    cell.split([',', '，', '、', ';', '；', ' ', '/'])
        .map(|t| t.trim().trim_start_matches("星期").trim_start_matches('周'))
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            "一" => Ok(1),
            "二" => Ok(2),
            "三" => Ok(3),
            "四" => Ok(4),
            "五" => Ok(5),
            "六" => Ok(6),
            "日" | "天" => Ok(7),
            n => n.parse().map_err(|_| bad()),
        })
        .collect()
}

fn parse_assignment(
    row: &Row<'_>,
    cx: &Context,
    person_id: &str,
) -> Result<Option<NewAssignment>, Problem> {
    if (PROGRAM..=END).all(|c| row.cell(c).is_empty()) {
        return Ok(None);
    }
    for c in [PROGRAM, BATCH, RECIPIENT, MODE, POST, START, END] {
        if row.cell(c).is_empty() {
            return Err(Problem::at(&COLUMNS[c], "error.required"));
        }
    }
    let program_id = crate::program(row, PROGRAM, COLUMNS, cx)?.unwrap_or_default();
    let number = crate::number(row, BATCH, COLUMNS)?.unwrap_or_default();
    let batch = cx
        .batch(&program_id, number)
        .ok_or_else(|| Problem::at(&COLUMNS[BATCH], "error.unknown_batch"))?;
    let recipient = crate::institution(row, RECIPIENT, COLUMNS, cx)?;
    let input = AssignmentInput {
        batch_id: batch.id.clone(),
        person_id: person_id.to_string(),
        institution_id: recipient.to_string(),
        department_id: crate::department(row, RECIPIENT_DEPARTMENT, COLUMNS, cx, recipient)?,
        mode: code_of(
            row.cell(MODE),
            AssignmentMode::ALL,
            AssignmentMode::code,
            |m, l| m.label(l),
        ),
        post: code_of(row.cell(POST), Post::ALL, Post::code, |p, l| p.label(l)),
        weekdays: weekdays(row.cell(WEEKDAYS))?,
        start_date: row.cell(START).to_string(),
        end_date: row.cell(END).to_string(),
    };
    let new = input.parse().map_err(on_assignment_column)?;
    if !cx.may_dispatch(batch) {
        return Err(Problem::at(&COLUMNS[BATCH], "error.import_out_of_scope"));
    }
    Ok(Some(new))
}

impl ImportKind for People {
    const NAME: &'static str = "people";
    const LABEL: &'static str = "ui.import_kind_people";
    const COLUMNS: &'static [Column] = COLUMNS;
    const CHECKED_ON_WRITE: bool = true;
    type Record = Record;
    type State = Created;

    async fn stored_keys(conn: &mut AnyConnection) -> Result<crate::Keys, StoreError> {
        let mut keys = crate::Keys::default();
        for r in sql_with(
            "SELECT institution_id, name, title FROM people".into(),
            vec![],
        )
        .fetch_all(&mut *conn)
        .await?
        {
            keys.insert(person_key(
                &r.try_get::<String, _>(0)?,
                &r.try_get::<String, _>(1)?,
                &r.try_get::<String, _>(2)?,
            ));
        }
        for r in sql_with(
            "SELECT p.institution_id, p.name, p.title, a.batch_id, a.start_date \
             FROM assignments a JOIN people p ON p.id = a.person_id"
                .into(),
            vec![],
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let person = person_key(
                &r.try_get::<String, _>(0)?,
                &r.try_get::<String, _>(1)?,
                &r.try_get::<String, _>(2)?,
            );
            keys.insert(assignment_key(
                &person,
                &r.try_get::<String, _>(3)?,
                &r.try_get::<String, _>(4)?,
            ));
        }
        Ok(keys)
    }

    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<Record>, Vec<Problem>> {
        let institution_id = crate::institution(row, INSTITUTION, COLUMNS, cx)?;
        let input = PersonInput {
            name: row.cell(NAME).to_string(),
            gender: code_of(row.cell(GENDER), Gender::ALL, Gender::code, |g, l| {
                g.label(l)
            }),
            title: code_of(row.cell(TITLE), Title::ALL, Title::code, |t, l| t.label(l)),
            honours: row
                .cell(HONOURS)
                .split([';', '；', '、'])
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_string)
                .collect(),
            institution_id: institution_id.to_string(),
            department_id: crate::department(row, DEPARTMENT, COLUMNS, cx, institution_id)?,
            specialty_code: row.optional(SPECIALTY).map(crate::techniques::specialty),
        };
        let person = input.parse().map_err(|e| crate::on_column(COLUMNS, e))?;
        let key = person_key(&person.institution_id, &person.name, person.title.code());
        let person_id = cx
            .people_named(&person.name, Some(&person.institution_id))
            .find(|p| p.title == person.title.code())
            .map(|p| p.id.clone());
        if person_id.is_none() && !cx.may_write_institution(&person.institution_id) {
            return Err(vec![Problem::at(
                &COLUMNS[INSTITUTION],
                "error.import_out_of_scope",
            )]);
        }
        // A person not stored yet gets an id when written; the assignment is checked with a
        // stand-in until then.
        let stand_in = shanhai_domain::ids::new_id();
        let assignment = parse_assignment(row, cx, person_id.as_deref().unwrap_or(&stand_in))?;
        Ok(Parsed {
            identity: None,
            key: match &assignment {
                Some(a) => assignment_key(&key, &a.batch_id, &a.start_date.to_string()),
                None => key.clone(),
            },
            record: Record {
                person_key: key,
                person_id,
                person,
                assignment,
            },
        })
    }

    async fn write(
        conn: &mut AnyConnection,
        actor: &Actor,
        created: &mut Created,
        batch: Vec<(usize, Record)>,
    ) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        for (number, record) in batch {
            let person_id = match (record.person_id, created.0.get(&record.person_key)) {
                (Some(id), _) => id,
                (None, Some(id)) => id.clone(),
                (None, None) => {
                    let person = people::create_on(conn, actor, &record.person).await?;
                    created.0.insert(record.person_key, person.id.clone());
                    person.id
                }
            };
            let Some(mut assignment) = record.assignment else {
                continue;
            };
            assignment.person_id = person_id;
            let problem = match dispatch::create_assignment_on(conn, actor, &assignment).await {
                Ok(_) => continue,
                Err(StoreError::Invalid(e)) => on_assignment_column(e),
                Err(StoreError::Conflict(key)) => Problem::whole_row(key),
                Err(e) => return Err(e),
            };
            problems.push(Problem {
                row: number,
                ..problem
            });
        }
        Ok(problems)
    }
}
