//! Reported KPIs (上报指标): one row per institution, KPI and period with the value and an
//! optional note. The KPI is named by its code or its name (患者满意度); the period is a month
//! (`2025-03`), a quarter (`2025-Q1` or `2025Q1`) or a year (`2025`); the value is checked
//! against the definition's decimals, range and period types by the same parser the report form
//! uses.
//!
//! Values land in the institution's report for that period: an open one (draft or reopened) is
//! filled in, a missing one is created as a **draft** — the institution still reviews and submits
//! it, so an import never skips the program office's approval. A period whose report is submitted
//! or approved is locked: a row that would change it is an error of its period column, and
//! nothing is written. A row whose value is already stored is unchanged (importing the same file
//! again writes nothing); a row with a different value for an open report replaces the value.

use crate::context::Context;
use crate::{Column, ImportKind, Parsed, Problem, Row, on_column};
use shanhai_domain::Invalid;
use shanhai_domain::kpis::{
    KpiDefinition, KpiValueInput, NewKpiValue, Period, ReportState, editable, parse_values,
};
use shanhai_store::StoreError;
use shanhai_store::audit::{self, Action, Actor};
use shanhai_store::query::sql_with;
use shanhai_store::record::{Step, append_step};
use sqlx::{AnyConnection, Row as _};
use std::collections::{HashMap, HashSet};

pub struct Kpis;

const INSTITUTION: usize = 0;
const KPI: usize = 1;
const PERIOD: usize = 2;
const VALUE: usize = 3;
const NOTE: usize = 4;
const PROGRAM: usize = 5;

const COLUMNS: &[Column] = &[
    Column {
        zh: "机构",
        en: "Institution",
        required: true,
        fields: &["institution_id"],
        example: "喀什地区第一人民医院",
    },
    Column {
        zh: "指标",
        en: "KPI",
        required: true,
        fields: &["definition"],
        example: "患者满意度",
    },
    Column {
        zh: "报告期",
        en: "Period",
        required: true,
        fields: &["period"],
        example: "2025-Q1",
    },
    Column {
        zh: "数值",
        en: "Value",
        required: true,
        fields: &["value"],
        example: "92.50",
    },
    Column {
        zh: "备注",
        en: "Note",
        required: false,
        fields: &["note"],
        example: "",
    },
    Column {
        zh: "项目",
        en: "Program",
        required: false,
        fields: &["program_id"],
        example: "",
    },
];

/// The definitions, the reports and the stored values the rows are checked against.
pub struct KpiData {
    definitions: Vec<KpiDefinition>,
    /// Report id and state by (institution, period key).
    reports: HashMap<(String, String), (String, ReportState)>,
    /// Stored values by identity (institution, period, KPI).
    values: HashMap<String, i64>,
}

impl KpiData {
    fn definition(&self, cell: &str) -> Option<&KpiDefinition> {
        let cell = cell.trim();
        self.definitions
            .iter()
            .find(|d| d.code == cell || d.name_zh == cell || d.name_en.eq_ignore_ascii_case(cell))
    }
}

pub struct Record {
    institution_id: String,
    program_id: Option<String>,
    period: Period,
    value: NewKpiValue,
    /// The open report the value goes into; `None`: a new draft.
    report_id: Option<String>,
}

/// The reports written by one import: created, or claimed (still open) — and those found locked.
#[derive(Default)]
pub struct Written {
    created: HashMap<(String, String), String>,
    claimed: HashSet<String>,
    locked: HashSet<String>,
}

fn identity(institution_id: &str, period: &str, definition: &str) -> String {
    format!("{institution_id}\u{1f}{period}\u{1f}{definition}")
}

fn key(identity: &str, value: i64) -> String {
    format!("{identity}\u{1f}{value}")
}

/// `2025Q1`, `2025-q1` and `2025 Q1` read as `2025-Q1`; `2025/03` and `2025.3` as `2025-03`;
/// a date on the first of a month (a spreadsheet's reading of `2025-03`) as that month.
fn normalise_period(cell: &str) -> String {
    let s = cell.trim().to_uppercase().replace(['/', '.', ' '], "-");
    if let Some((year, q)) = s.split_once('Q') {
        return format!("{}-Q{q}", year.trim_end_matches('-'));
    }
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [y, m] if m.len() == 1 => format!("{y}-0{m}"),
        [y, m, "01" | "1"] => format!("{y}-{m:0>2}"),
        _ => s,
    }
}

fn renamed(invalid: Invalid) -> Invalid {
    let field = invalid
        .field
        .rsplit_once('.')
        .map_or(invalid.field.as_str(), |(_, f)| f)
        .to_string();
    Invalid::new(field, invalid.key)
}

impl ImportKind for Kpis {
    const NAME: &'static str = "kpis";
    const LABEL: &'static str = "ui.import_kind_kpis";
    const COLUMNS: &'static [Column] = COLUMNS;
    type Record = Record;
    type State = Written;

    async fn prepare(
        db: &shanhai_store::Db,
        conn: &mut AnyConnection,
        cx: &mut Context,
    ) -> Result<(), StoreError> {
        let definitions = shanhai_store::kpis::definitions(db).await?;
        let mut reports = HashMap::new();
        for r in sql_with(
            "SELECT id, institution_id, period_key, state FROM kpi_reports".into(),
            vec![],
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let state: String = r.try_get(3)?;
            let state = ReportState::parse(&state)
                .ok_or_else(|| StoreError::Other(format!("kpi report state {state}")))?;
            reports.insert((r.try_get(1)?, r.try_get(2)?), (r.try_get(0)?, state));
        }
        let mut values = HashMap::new();
        for r in sql_with(
            "SELECT r.institution_id, r.period_key, v.definition_code, v.value_scaled \
             FROM kpi_values v JOIN kpi_reports r ON r.id = v.report_id \
             WHERE v.value_scaled IS NOT NULL"
                .into(),
            vec![],
        )
        .fetch_all(&mut *conn)
        .await?
        {
            values.insert(
                identity(
                    &r.try_get::<String, _>(0)?,
                    &r.try_get::<String, _>(1)?,
                    &r.try_get::<String, _>(2)?,
                ),
                r.try_get::<i64, _>(3)?,
            );
        }
        cx.kpis = Some(KpiData {
            definitions,
            reports,
            values,
        });
        Ok(())
    }

    async fn stored_keys(conn: &mut AnyConnection) -> Result<crate::Keys, StoreError> {
        let rows = sql_with(
            "SELECT r.institution_id, r.period_key, v.definition_code, v.value_scaled \
             FROM kpi_values v JOIN kpi_reports r ON r.id = v.report_id \
             WHERE v.value_scaled IS NOT NULL"
                .into(),
            vec![],
        )
        .fetch_all(conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(key(
                    &identity(
                        &r.try_get::<String, _>(0)?,
                        &r.try_get::<String, _>(1)?,
                        &r.try_get::<String, _>(2)?,
                    ),
                    r.try_get::<i64, _>(3)?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<Record>, Vec<Problem>> {
        let data = cx
            .kpis
            .as_ref()
            .ok_or_else(|| Problem::whole_row("error.import_unreadable"))?;
        let institution_id = crate::institution(row, INSTITUTION, COLUMNS, cx)?.to_string();
        let program_id = crate::program(row, PROGRAM, COLUMNS, cx)?;
        if row.cell(KPI).is_empty() {
            return Err(vec![Problem::at(&COLUMNS[KPI], "error.required")]);
        }
        let definition = data
            .definition(row.cell(KPI))
            .ok_or_else(|| Problem::at(&COLUMNS[KPI], "error.kpi_unknown_definition"))?;
        if row.cell(PERIOD).is_empty() {
            return Err(vec![Problem::at(&COLUMNS[PERIOD], "error.required")]);
        }
        let period = Period::parse("period", &normalise_period(row.cell(PERIOD)))
            .map_err(|e| on_column(COLUMNS, e))?;
        if !definition.allows(period.kind()) {
            return Err(vec![Problem::at(
                &COLUMNS[PERIOD],
                "error.kpi_period_not_allowed",
            )]);
        }
        if row.cell(VALUE).is_empty() {
            return Err(vec![Problem::at(&COLUMNS[VALUE], "error.required")]);
        }
        let input = KpiValueInput {
            definition: definition.code.clone(),
            value: Some(row.cell(VALUE).to_string()),
            note: row.optional(NOTE).map(str::to_string),
            ..Default::default()
        };
        let value = parse_values(&[input], period.kind(), |code| {
            (code == definition.code).then(|| definition.clone())
        })
        .map_err(|e| on_column(COLUMNS, renamed(e)))?
        .pop()
        .ok_or_else(|| Problem::at(&COLUMNS[VALUE], "error.required"))?;
        let scaled = value
            .value
            .ok_or_else(|| Problem::at(&COLUMNS[VALUE], "error.required"))?;
        if !cx.may_enter_kpis(&institution_id) {
            return Err(vec![Problem::at(
                &COLUMNS[INSTITUTION],
                "error.import_out_of_scope",
            )]);
        }
        let ident = identity(&institution_id, &period.key(), &definition.code);
        let unchanged = data.values.get(&ident) == Some(&scaled);
        let report = data.reports.get(&(institution_id.clone(), period.key()));
        let report_id = match report {
            Some((_, state)) if !unchanged && !editable(*state) => {
                return Err(vec![Problem::at(
                    &COLUMNS[PERIOD],
                    "error.import_kpi_period_locked",
                )]);
            }
            Some((id, _)) => Some(id.clone()),
            None => None,
        };
        Ok(Parsed {
            key: key(&ident, scaled),
            identity: Some(ident),
            record: Record {
                institution_id,
                program_id,
                period,
                value,
                report_id,
            },
        })
    }

    async fn write(
        conn: &mut AnyConnection,
        actor: &Actor,
        state: &mut Written,
        batch: Vec<(usize, Record)>,
    ) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        let mut touched: HashMap<String, Vec<String>> = HashMap::new();
        for (number, rec) in batch {
            let report_id = match &rec.report_id {
                Some(id) => {
                    if !state.claimed.contains(id) && !state.locked.contains(id) {
                        // Still open now, and held open until the import commits.
                        if claim(conn, id).await? {
                            state.claimed.insert(id.clone());
                        } else {
                            state.locked.insert(id.clone());
                        }
                    }
                    if state.locked.contains(id) {
                        problems.push(Problem {
                            row: number,
                            ..Problem::at(&COLUMNS[PERIOD], "error.import_kpi_period_locked")
                        });
                        continue;
                    }
                    id.clone()
                }
                None => {
                    let slot = (rec.institution_id.clone(), rec.period.key());
                    match state.created.get(&slot) {
                        Some(id) => id.clone(),
                        None => {
                            let id = create_report(conn, actor, &rec).await?;
                            state.created.insert(slot, id.clone());
                            id
                        }
                    }
                }
            };
            upsert_value(conn, &report_id, &rec.value).await?;
            touched
                .entry(report_id)
                .or_default()
                .push(rec.value.definition.clone());
        }
        for (report_id, definitions) in touched {
            audit::record::<(), _>(
                conn,
                actor,
                Action::Update,
                "kpi_report",
                &report_id,
                None,
                Some(&serde_json::json!({"imported_values": definitions})),
            )
            .await?;
        }
        Ok(problems)
    }
}

/// Claims an open report for this import's transaction (as the report form does).
async fn claim(conn: &mut AnyConnection, id: &str) -> Result<bool, StoreError> {
    let changed = sql_with(
        "UPDATE kpi_reports SET updated_at = $1 WHERE id = $2 AND state IN ($3, $4)".into(),
        vec![
            shanhai_store::now().into(),
            id.into(),
            ReportState::Draft.code().into(),
            ReportState::Reopened.code().into(),
        ],
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

async fn create_report(
    conn: &mut AnyConnection,
    actor: &Actor,
    rec: &Record,
) -> Result<String, StoreError> {
    let id = shanhai_domain::ids::new_id();
    shanhai_store::kpis::insert_draft(
        conn,
        &id,
        &rec.institution_id,
        rec.program_id.as_deref(),
        &rec.period,
    )
    .await?;
    append_step(
        conn,
        "kpi_report_events",
        "report_id",
        "reason",
        &id,
        actor,
        Step {
            action: "create",
            from: "",
            to: ReportState::Draft.code(),
            note: Some("import".into()),
        },
    )
    .await?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        "kpi_report",
        &id,
        None,
        Some(&serde_json::json!({
            "institution_id": rec.institution_id,
            "program_id": rec.program_id,
            "period": rec.period.key(),
            "state": ReportState::Draft.code(),
            "source": "import",
        })),
    )
    .await?;
    Ok(id)
}

async fn upsert_value(
    conn: &mut AnyConnection,
    report_id: &str,
    v: &NewKpiValue,
) -> Result<(), StoreError> {
    sql_with(
        "INSERT INTO kpi_values (id, report_id, definition_code, value_scaled, note) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (report_id, definition_code) DO UPDATE \
         SET value_scaled = excluded.value_scaled, note = COALESCE(excluded.note, kpi_values.note)"
            .into(),
        vec![
            shanhai_domain::ids::new_id().into(),
            report_id.into(),
            v.definition.clone().into(),
            v.value.into(),
            v.note.clone().into(),
        ],
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_read_in_their_usual_spellings() {
        for (cell, key) in [
            ("2025Q1", "2025-Q1"),
            ("2025-q2", "2025-Q2"),
            ("2025 Q3", "2025-Q3"),
            ("2025-03", "2025-03"),
            ("2025/3", "2025-03"),
            ("2025-03-01", "2025-03"),
            ("2025", "2025"),
        ] {
            assert_eq!(
                Period::parse("period", &normalise_period(cell))
                    .ok()
                    .map(|p| p.key()),
                Some(key.to_string()),
                "{cell}"
            );
        }
        assert!(Period::parse("period", &normalise_period("2025-03-15")).is_err());
        assert!(Period::parse("period", &normalise_period("2025Q5")).is_err());
    }
}
