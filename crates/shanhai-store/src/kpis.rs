//! Reported KPIs: definitions, reports per institution and period with their values (integers
//! scaled by the definition's decimals), and each report's steps. A report's values change only
//! while it is a draft or reopened; the check and the write happen in one transaction guarded by
//! the state, so a concurrent approval cannot slip between them.

use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, Page, PageRequest, fetch_page, int, opt_int, opt_text, text};
use crate::row::{Decode, row};
use crate::{Db, Result, StoreError, institutions, programs};
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::kpis::*;
use sqlx::AnyConnection;

// ---- definitions ----

row! {
    read KpiDefinition(row) {
        code: text,
        name_zh: text,
        name_en: text,
        unit: text,
        direction: code(KpiDirection::parse),
        value_kind: code(ValueKind::parse),
        scale: int,
        period_types: {
            query::json_list(row, "period_types")?
                .iter()
                .filter_map(|p| PeriodType::parse(p))
                .collect()
        },
        description: opt_text,
        builtin: bool,
    }
}

async fn definitions_on(conn: &mut AnyConnection) -> Result<Vec<KpiDefinition>> {
    query::sql_with(
        "SELECT * FROM kpi_definitions ORDER BY builtin DESC, code".into(),
        vec![],
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(KpiDefinition::decode)
    .collect::<Result<Vec<_>>>()
    .map(|mut defs| {
        defs.sort_by_cached_key(|d| catalogue_rank(&d.code));
        defs
    })
}

/// Every definition: the built-in catalogue in its order, then those added, by code.
pub async fn definitions(db: &Db) -> Result<Vec<KpiDefinition>> {
    definitions_on(&mut *db.pool().acquire().await?).await
}

pub async fn definition(db: &Db, code: &str) -> Result<KpiDefinition> {
    query::sql_with(
        "SELECT * FROM kpi_definitions WHERE code = $1".into(),
        vec![code.into()],
    )
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(KpiDefinition::decode)
    .unwrap_or(Err(StoreError::NotFound))
}

/// Adds a definition (its code must be new); audited.
pub async fn create_definition(
    db: &Db,
    actor: &Actor,
    new: &KpiDefinition,
) -> Result<KpiDefinition> {
    let mut tx = db.begin_write().await?;
    let created = create_definition_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

/// Adds a definition inside the caller's transaction (the demo loader defines its programs'
/// own KPIs this way); audited.
pub async fn create_definition_on(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    new: &KpiDefinition,
) -> Result<KpiDefinition> {
    let now = crate::now();
    let periods: Vec<&str> = new.period_types.iter().map(|p| p.code()).collect();
    query::sql_with(
        query::insert_sql(
            "kpi_definitions",
            &[
                "code",
                "name_zh",
                "name_en",
                "unit",
                "direction",
                "value_kind",
                "scale",
                "period_types",
                "description",
                "builtin",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            new.code.clone().into(),
            new.name_zh.clone().into(),
            new.name_en.clone().into(),
            new.unit.clone().into(),
            new.direction.code().into(),
            new.value_kind.code().into(),
            new.scale.into(),
            serde_json::to_string(&periods).unwrap_or_default().into(),
            new.description.clone().into(),
            0i64.into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::on_unique(e, "error.kpi_definition_exists"))?;
    let created = KpiDefinition {
        builtin: false,
        ..new.clone()
    };
    audit::record::<(), _>(
        &mut *conn,
        actor,
        Action::Create,
        "kpi_definition",
        &new.code,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

// ---- reports ----

const SELECT: &str = "r.*, i.name AS institution_name, p.name AS program_name";
const FROM: &str = "kpi_reports r JOIN institutions i ON i.id = r.institution_id \
    LEFT JOIN programs p ON p.id = r.program_id";

row! {
    read KpiReport(row) {
        id: text,
        institution_id: text,
        institution_name: opt_text,
        program_id: opt_text,
        program_name: opt_text,
        period_type: code(PeriodType::parse),
        period: text("period_key"),
        period_start: text,
        period_end: text,
        state: code(ReportState::parse),
        submitted_by: opt_text,
        submitted_at: opt_text,
        approved_by: opt_text,
        approved_at: opt_text,
        created_at: text,
        updated_at: text,
        values: { Vec::new() },
        events: { Vec::new() },
    }
}

fn scaled(v: Option<i64>, scale: i64) -> Option<String> {
    v.map(|v| format_scaled(v, scale))
}

/// A report with its values (in catalogue order) and steps.
pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<KpiReport> {
    let row = query::sql_with(
        format!("SELECT {SELECT} FROM {FROM} WHERE r.id = $1"),
        vec![id.into()],
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut report = KpiReport::decode(&row)?;
    let rows = query::sql_with(
        "SELECT v.*, d.name_zh, d.name_en, d.unit, d.direction, d.scale FROM kpi_values v \
         JOIN kpi_definitions d ON d.code = v.definition_code \
         WHERE v.report_id = $1 ORDER BY d.builtin DESC, d.code"
            .into(),
        vec![id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    report.values = rows
        .iter()
        .map(|v| {
            let scale = int(v, "scale")?;
            let (value, baseline, target) = (
                opt_int(v, "value_scaled")?,
                opt_int(v, "baseline_scaled")?,
                opt_int(v, "target_scaled")?,
            );
            Ok(KpiValue {
                definition: text(v, "definition_code")?,
                name_zh: text(v, "name_zh")?,
                name_en: text(v, "name_en")?,
                unit: text(v, "unit")?,
                direction: query::code(v, "direction", KpiDirection::parse)?,
                scale,
                value_scaled: value,
                baseline_scaled: baseline,
                target_scaled: target,
                value: scaled(value, scale),
                baseline: scaled(baseline, scale),
                target: scaled(target, scale),
                note: opt_text(v, "note")?,
            })
        })
        .collect::<Result<_>>()?;
    report
        .values
        .sort_by_cached_key(|v| catalogue_rank(&v.definition));
    let events = query::sql_with(
        "SELECT * FROM kpi_report_events WHERE report_id = $1 ORDER BY at, id".into(),
        vec![id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    let actors = crate::actors::of_steps_on(conn, &events).await?;
    report.events = events
        .iter()
        .zip(actors)
        .map(|(e, actor)| {
            Ok(KpiReportEvent {
                action: text(e, "action")?,
                from_state: text(e, "from_state")?,
                to_state: text(e, "to_state")?,
                at: text(e, "at")?,
                actor_name: text(e, "actor_name")?,
                actor,
                reason: opt_text(e, "reason")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(report)
}

pub async fn get(db: &Db, id: &str) -> Result<KpiReport> {
    get_on(&mut *db.pool().acquire().await?, id).await
}

/// Replaces a report's values inside the caller's transaction (the caller has checked the state).
async fn write_values(conn: &mut AnyConnection, id: &str, values: &[NewKpiValue]) -> Result<()> {
    query::sql_with(
        "DELETE FROM kpi_values WHERE report_id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *conn)
    .await?;
    for v in values {
        query::sql_with(
            query::insert_sql(
                "kpi_values",
                &[
                    "id",
                    "report_id",
                    "definition_code",
                    "value_scaled",
                    "baseline_scaled",
                    "target_scaled",
                    "note",
                ],
            ),
            vec![
                shanhai_domain::ids::new_id().into(),
                id.into(),
                v.definition.clone().into(),
                v.value.into(),
                v.baseline.into(),
                v.target.into(),
                v.note.clone().into(),
            ],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn parse_values_on(
    conn: &mut AnyConnection,
    values: &[KpiValueInput],
    period: PeriodType,
) -> Result<Vec<NewKpiValue>> {
    let catalogue = definitions_on(conn).await?;
    Ok(parse_values(values, period, |code| {
        catalogue.iter().find(|d| d.code == code).cloned()
    })?)
}

async fn step(
    conn: &mut AnyConnection,
    id: &str,
    action: &str,
    from: &str,
    to: &str,
    actor: &Actor,
    reason: Option<String>,
) -> Result<()> {
    crate::record::append_step(
        conn,
        "kpi_report_events",
        "report_id",
        "reason",
        id,
        actor,
        crate::record::Step {
            action,
            from,
            to,
            note: reason,
        },
    )
    .await
}

/// The report row of a new draft (no values, steps or audit): what the report form and the
/// import share when they open a report.
pub async fn insert_draft(
    conn: &mut AnyConnection,
    id: &str,
    institution_id: &str,
    program_id: Option<&str>,
    period: &Period,
) -> std::result::Result<(), sqlx::Error> {
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "kpi_reports",
            &[
                "id",
                "institution_id",
                "program_id",
                "period_type",
                "period_key",
                "period_start",
                "period_end",
                "state",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.into(),
            institution_id.into(),
            program_id.map(str::to_string).into(),
            period.kind().code().into(),
            period.key().into(),
            period.start().to_string().into(),
            period.end().to_string().into(),
            ReportState::Draft.code().into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Opens a draft report for an institution and period (one per institution and period), with
/// any values given; audited.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: &NewKpiReport,
    values: &[KpiValueInput],
) -> Result<KpiReport> {
    let mut tx = db.begin_write().await?;
    institutions::require(&mut tx, "institution_id", &new.institution_id).await?;
    if let Some(p) = &new.program_id {
        programs::require(&mut tx, "program_id", p).await?;
    }
    let values = parse_values_on(&mut tx, values, new.period.kind()).await?;
    let id = shanhai_domain::ids::new_id();
    insert_draft(
        &mut tx,
        &id,
        &new.institution_id,
        new.program_id.as_deref(),
        &new.period,
    )
    .await
    .map_err(|e| StoreError::on_unique(e, "error.kpi_report_exists"))?;
    write_values(&mut tx, &id, &values).await?;
    step(
        &mut tx,
        &id,
        "create",
        "",
        ReportState::Draft.code(),
        actor,
        None,
    )
    .await?;
    let created = get_on(&mut tx, &id).await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Create,
        "kpi_report",
        &id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Claims the right to change a report in the current transaction: succeeds only while its state
/// is one of `states` (and, on PostgreSQL, locks the row until commit).
async fn claim(conn: &mut AnyConnection, id: &str, states: &[ReportState]) -> Result<bool> {
    let mut filter = Filter::default();
    let now = filter.next(crate::now().into());
    filter.eq("id", Some(id));
    let set: std::collections::BTreeSet<String> =
        states.iter().map(|s| s.code().to_string()).collect();
    filter.within("state", &set);
    let changed = query::sql_with(
        format!("UPDATE kpi_reports SET updated_at = {now}{}", filter.sql()),
        filter.args.clone(),
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Replaces a report's values. A submitted or approved report refuses (409) and keeps every
/// value; audited with the values before and after.
pub async fn set_values(
    db: &Db,
    actor: &Actor,
    id: &str,
    values: &[KpiValueInput],
) -> Result<KpiReport> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    ensure_editable(before.state).map_err(|_| StoreError::Conflict("error.kpi_report_locked"))?;
    let values = parse_values_on(&mut tx, values, before.period_type).await?;
    if !claim(&mut tx, id, &[ReportState::Draft, ReportState::Reopened]).await? {
        return Err(StoreError::Conflict("error.kpi_report_locked"));
    }
    write_values(&mut tx, id, &values).await?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "kpi_report",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Moves a report along (submit, approve, return, reopen), records the step with its reason and
/// audits before and after. A step the state does not allow answers 409; submitting a report
/// without a single value answers 422.
pub async fn transition(
    db: &Db,
    actor: &Actor,
    id: &str,
    action: ReportAction,
    reason: Option<String>,
) -> Result<KpiReport> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    let next = shanhai_domain::kpis::transition(before.state, action)
        .ok_or(StoreError::Conflict("error.illegal_transition"))?;
    if action == ReportAction::Submit && !before.values.iter().any(|v| v.value_scaled.is_some()) {
        return Err(Invalid::new("values", "error.kpi_report_empty").into());
    }
    if !claim(&mut tx, id, &[before.state]).await? {
        return Err(StoreError::Conflict("error.illegal_transition"));
    }
    let now = crate::now();
    let (columns, args): (Vec<&str>, Vec<query::Arg>) = match action {
        ReportAction::Submit => (
            vec!["state", "submitted_by", "submitted_at"],
            vec![next.code().into(), actor.name.clone().into(), now.into()],
        ),
        ReportAction::Approve => (
            vec!["state", "approved_by", "approved_at"],
            vec![next.code().into(), actor.name.clone().into(), now.into()],
        ),
        ReportAction::Return | ReportAction::Reopen => (
            vec!["state", "approved_by", "approved_at"],
            vec![
                next.code().into(),
                Option::<String>::None.into(),
                Option::<String>::None.into(),
            ],
        ),
    };
    let mut args = args;
    args.push(id.into());
    query::sql_with(query::update_sql("kpi_reports", &columns, "id"), args)
        .execute(&mut *tx)
        .await?;
    step(
        &mut tx,
        id,
        action.code(),
        before.state.code(),
        next.code(),
        actor,
        reason,
    )
    .await?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "kpi_report",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[derive(Debug, Default, Clone)]
pub struct KpiReportFilter {
    pub institution: Option<String>,
    pub program: Option<String>,
    /// A period key: that exact period.
    pub period: Option<String>,
    pub state: Option<String>,
    /// Institutions in this GB/T 2260 region or below.
    pub region: Option<String>,
}

/// Reports the caller reaches, most recent period first.
pub async fn list(
    db: &Db,
    f: &KpiReportFilter,
    reach: &Reach,
    page: PageRequest,
) -> Result<Page<KpiReport>> {
    let mut filter = Filter::default();
    filter
        .eq("r.institution_id", f.institution.as_deref())
        .eq("r.program_id", f.program.as_deref())
        .eq("r.period_key", f.period.as_deref())
        .eq("r.state", f.state.as_deref())
        .in_region("i.region_code", f.region.as_deref());
    institutions::reach_filter(&mut filter, "r.institution_id", reach);
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter,
        "r.period_start DESC, i.name, r.period_key",
        page,
        KpiReport::decode,
    )
    .await
}

/// Which points a series holds.
#[derive(Debug, Default, Clone)]
pub struct SeriesFilter {
    /// The definition's code.
    pub definition: String,
    pub institution: Option<String>,
    pub program: Option<String>,
    /// Periods starting on or after this day.
    pub from: Option<chrono::NaiveDate>,
    /// Periods ending on or before this day.
    pub until: Option<chrono::NaiveDate>,
    /// Only approved (locked) figures unless this is set.
    pub include_unapproved: bool,
}

/// One KPI over time for dashboards ("before/after against baseline and target"): one point per
/// report that carries the KPI, oldest period first, institution by institution.
pub async fn series(db: &Db, f: &SeriesFilter, reach: &Reach) -> Result<Vec<KpiSeriesPoint>> {
    let def = definition(db, &f.definition).await?;
    let mut filter = Filter::default();
    filter
        .eq("v.definition_code", Some(&f.definition))
        .eq("r.institution_id", f.institution.as_deref())
        .eq("r.program_id", f.program.as_deref());
    if let Some(from) = f.from {
        filter.raw("r.period_start >= {}", from.to_string().into());
    }
    if let Some(until) = f.until {
        filter.raw("r.period_end <= {}", until.to_string().into());
    }
    if !f.include_unapproved {
        filter.eq("r.state", Some(ReportState::Approved.code()));
    }
    institutions::reach_filter(&mut filter, "r.institution_id", reach);
    let rows = query::sql_with(
        format!(
            "SELECT r.id, r.institution_id, i.name AS institution_name, r.period_type, \
             r.period_key, r.period_start, r.state, v.value_scaled, v.baseline_scaled, \
             v.target_scaled FROM kpi_values v JOIN kpi_reports r ON r.id = v.report_id \
             JOIN institutions i ON i.id = r.institution_id{} \
             ORDER BY r.period_start, r.period_end DESC, i.name, r.id",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let (value, baseline, target) = (
                opt_int(row, "value_scaled")?,
                opt_int(row, "baseline_scaled")?,
                opt_int(row, "target_scaled")?,
            );
            Ok(KpiSeriesPoint {
                period: text(row, "period_key")?,
                period_type: query::code(row, "period_type", PeriodType::parse)?,
                period_start: text(row, "period_start")?,
                institution_id: text(row, "institution_id")?,
                institution_name: opt_text(row, "institution_name")?,
                report_id: text(row, "id")?,
                state: query::code(row, "state", ReportState::parse)?,
                definition: def.code.clone(),
                unit: def.unit.clone(),
                direction: def.direction,
                scale: def.scale,
                value_scaled: value,
                baseline_scaled: baseline,
                target_scaled: target,
                value: scaled(value, def.scale),
                baseline: scaled(baseline, def.scale),
                target: scaled(target, def.scale),
                target_met: value
                    .zip(target)
                    .map(|(v, t)| meets_target(def.direction, v, t)),
            })
        })
        .collect()
}

/// Which standings to compute.
#[derive(Debug, Default, Clone)]
pub struct StandingsFilter {
    pub program: Option<String>,
    pub institution: Option<String>,
    /// Only this KPI (its code).
    pub definition: Option<String>,
    /// Only periods ending on or before this day.
    pub until: Option<chrono::NaiveDate>,
}

/// Every KPI's before and after per institution, from approved reports only: the first and the
/// latest figure of each period type, with the latest report's baseline and target. Sorted by
/// institution, then catalogue order.
pub async fn standings(db: &Db, f: &StandingsFilter, reach: &Reach) -> Result<Vec<KpiStanding>> {
    let mut filter = Filter::default();
    filter
        .eq("r.state", Some(ReportState::Approved.code()))
        .eq("r.program_id", f.program.as_deref())
        .eq("r.institution_id", f.institution.as_deref())
        .eq("v.definition_code", f.definition.as_deref())
        .raw_each("v.value_scaled IS NOT NULL", Vec::new());
    if let Some(until) = f.until {
        filter.raw("r.period_end <= {}", until.to_string().into());
    }
    institutions::reach_filter(&mut filter, "r.institution_id", reach);
    let rows = query::sql_with(
        format!(
            "SELECT r.institution_id, i.name AS institution_name, r.period_type, r.period_key, \
             v.definition_code, v.value_scaled, v.baseline_scaled, v.target_scaled \
             FROM kpi_values v JOIN kpi_reports r ON r.id = v.report_id \
             JOIN institutions i ON i.id = r.institution_id{} \
             ORDER BY i.name, r.institution_id, v.definition_code, r.period_type, r.period_start",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_all(db.pool())
    .await?;
    let defs = definitions(db).await?;
    let mut out: Vec<KpiStanding> = Vec::new();
    // Per standing (by index): the period and value before its latest.
    let mut previous: std::collections::HashMap<usize, (String, i64)> = Default::default();
    for row in &rows {
        let institution_id = text(row, "institution_id")?;
        let code = text(row, "definition_code")?;
        let period_type = query::code(row, "period_type", PeriodType::parse)?;
        let period = text(row, "period_key")?;
        let value = int(row, "value_scaled")?;
        let (baseline, target) = (
            opt_int(row, "baseline_scaled")?,
            opt_int(row, "target_scaled")?,
        );
        let Some(def) = defs.iter().find(|d| d.code == code) else {
            continue;
        };
        let last = out.len().saturating_sub(1);
        let same = out.last_mut().filter(|s| {
            s.institution_id == institution_id
                && s.definition == code
                && s.period_type == period_type
        });
        match same {
            Some(s) => {
                previous.insert(last, (s.latest_period.clone(), s.latest_value_scaled));
                s.latest_period = period;
                s.latest_value_scaled = value;
                s.baseline_scaled = baseline.or(s.baseline_scaled);
                s.target_scaled = target.or(s.target_scaled);
                s.periods += 1;
            }
            None => out.push(KpiStanding {
                institution_id,
                institution_name: opt_text(row, "institution_name")?,
                definition: def.code.clone(),
                name_zh: def.name_zh.clone(),
                name_en: def.name_en.clone(),
                unit: def.unit.clone(),
                direction: def.direction,
                scale: def.scale,
                period_type,
                first_period: period.clone(),
                first_value_scaled: value,
                first_value: String::new(),
                latest_period: period,
                latest_value_scaled: value,
                latest_value: String::new(),
                baseline_scaled: baseline,
                baseline: None,
                target_scaled: target,
                target: None,
                change_scaled: 0,
                change: String::new(),
                improved: None,
                target_met: None,
                periods: 1,
                previous: None,
                since_first: None,
            }),
        }
    }
    for (i, s) in out.iter_mut().enumerate() {
        // The change from the period just before the latest, when that one is approved too.
        let consecutive = |earlier: &str| {
            Period::parse("period", &s.latest_period)
                .is_ok_and(|latest| latest.previous().key() == earlier)
        };
        s.previous = previous
            .get(&i)
            .filter(|(p, _)| consecutive(p))
            .map(|(p, v)| {
                KpiChange::between(
                    s.direction,
                    s.scale,
                    (p, *v),
                    (&s.latest_period, s.latest_value_scaled),
                )
            });
        let from = s.baseline_scaled.unwrap_or(s.first_value_scaled);
        s.change_scaled = s.latest_value_scaled - from;
        s.change = format_scaled(s.change_scaled, s.scale);
        s.first_value = format_scaled(s.first_value_scaled, s.scale);
        s.latest_value = format_scaled(s.latest_value_scaled, s.scale);
        s.baseline = scaled(s.baseline_scaled, s.scale);
        s.target = scaled(s.target_scaled, s.scale);
        s.improved = improves(s.direction, s.change_scaled);
        // From the baseline when the reports give one (its period unknown: empty), else from
        // the first period.
        let first_period = if s.baseline_scaled.is_some_and(|b| b != s.first_value_scaled) {
            ""
        } else {
            &s.first_period
        };
        s.since_first = (s.periods > 1 || s.change_scaled != 0).then(|| {
            KpiChange::between(
                s.direction,
                s.scale,
                (first_period, from),
                (&s.latest_period, s.latest_value_scaled),
            )
        });
        s.target_met = s
            .target_scaled
            .map(|t| meets_target(s.direction, s.latest_value_scaled, t));
    }
    out.sort_by_cached_key(|s| {
        (
            s.institution_name.clone(),
            s.institution_id.clone(),
            catalogue_rank(&s.definition),
            s.period_type.code(),
        )
    });
    Ok(out)
}
