//! Reading: the scopes a dashboard asks for, the plan of whole months, years and partial edges,
//! totals, series and breakdowns.

use super::rules::{Column, MEASURES, Measure, RULES, Rule, measure};
use super::sql::{Level, province_of};
use crate::db::Backend;
use crate::query::{self, Arg, int, text};
use crate::{Db, Result, StoreError};
use chrono::{Datelike, NaiveDate};
use shanhai_domain::Invalid;
use sqlx::{AnyConnection, Executor};
use std::collections::{BTreeMap, HashMap};

/// What a dashboard asks for: any combination of program, pairing, institution, region
/// (GB/T 2260, the whole subtree), team and dispatch scheme, over `[from, until]`
/// (`YYYY-MM-DD`, inclusive; no `from`: since the beginning).
///
/// A team's or a scheme's scope is small (a team's members, a scheme's batches) and is not kept
/// by the roll-up levels: it is counted from the records (the `Scan` source) by the rules'
/// `person`/`team` and `scheme` expressions.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub program: Option<String>,
    pub pairing: Option<String>,
    pub institution: Option<String>,
    pub region: Option<String>,
    /// A team (teams.id): the records of its members while members, and its visits.
    pub team: Option<String>,
    /// A dispatch scheme (dispatch_schemes.id): the records reached through its batches.
    pub scheme: Option<String>,
    pub from: Option<String>,
    pub until: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Month,
    Quarter,
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Program,
    Pairing,
    Institution,
    /// The next level below the scope's region: provinces without one, then cities, then
    /// counties (a county's own code at county level).
    ChildRegion,
}

/// How rows are grouped in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    None,
    Month,
    Program,
    Pairing,
    Institution,
    /// The province of the institution (on the program and daily levels).
    Province,
}

/// Where values come from: the roll-ups (plus raw edge months), or a full scan of the raw
/// tables (the reference the roll-ups are checked and benchmarked against).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Rollups,
    Scan,
}

fn parse_date(field: &'static str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| StoreError::Invalid(Invalid::new(field, "error.date_format")))
}

fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    let first = first_of_month(d);
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(d)
}

/// Which whole months to read from `rollups` and which date ranges from the raw tables.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    /// Inclusive month bounds; `None` as the low bound: since the beginning.
    months: Option<(Option<String>, String)>,
    raw: Vec<(Option<NaiveDate>, NaiveDate)>,
}

fn plan(from: Option<NaiveDate>, until: NaiveDate, source: Source) -> Plan {
    if from.is_some_and(|f| f > until) {
        return Plan {
            months: None,
            raw: vec![],
        };
    }
    if source == Source::Scan {
        return Plan {
            months: None,
            raw: vec![(from, until)],
        };
    }
    let until_full = until == last_of_month(until);
    let from_full = from.is_none_or(|f| f.day() == 1);
    if let Some(f) = from
        && month_of(f) == month_of(until)
        && !(from_full && until_full)
    {
        return Plan {
            months: None,
            raw: vec![(Some(f), until)],
        };
    }
    let mut raw = Vec::new();
    let lo = match from {
        None => None,
        Some(f) if f.day() == 1 => Some(f),
        Some(f) => {
            raw.push((Some(f), last_of_month(f)));
            last_of_month(f).succ_opt()
        }
    };
    let hi = if until_full {
        Some(until)
    } else {
        raw.push((Some(first_of_month(until)), until));
        first_of_month(until).pred_opt()
    };
    let months = match (lo, hi) {
        (_, None) => None,
        (Some(lo), Some(hi)) if lo > hi => None,
        (lo, Some(hi)) => Some((lo.map(month_of), month_of(hi))),
    };
    Plan { months, raw }
}

/// A scope's dates and region, checked.
pub(crate) struct Parsed {
    pub(crate) from: Option<NaiveDate>,
    pub(crate) until: NaiveDate,
    region_like: Option<String>,
    region_len: usize,
    /// The region's two digits when it is a whole province.
    province: Option<String>,
}

pub(crate) fn parse_scope(scope: &Scope) -> Result<Parsed> {
    let until = parse_date("until", &scope.until)?;
    let from = match scope
        .from
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(f) => Some(parse_date("from", f)?),
        None => None,
    };
    let (region_like, region_len) = match scope
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(r) => {
            let code = shanhai_domain::registry::RegionCode::parse("region", r)?;
            let prefix = code.prefix().to_string();
            let len = match prefix.len() {
                2 => 4,
                4 => 6,
                _ => 9,
            };
            (Some(format!("{prefix}%")), len)
        }
        None => (None, 2),
    };
    let province = region_like
        .as_deref()
        .and_then(|l| l.strip_suffix('%'))
        .filter(|p| p.len() == 2)
        .map(str::to_string);
    Ok(Parsed {
        from,
        until,
        region_like,
        region_len,
        province,
    })
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Whether a rule's records have a meaning in the scope: a pairing's scope needs records with
/// a pairing, an institution's or a region's records at an institution, a team's records of a
/// person or naming a team, a scheme's records reached through a batch. Indicators over a rule
/// without one are left out of the scope's figures (not zero).
pub fn in_scope(rule: &Rule, scope: &Scope) -> bool {
    let has = |e: &str| e != "NULL";
    (opt(&scope.pairing).is_none() || has(rule.pairing))
        && ((opt(&scope.institution).is_none() && opt(&scope.region).is_none())
            || has(rule.institution))
        && (opt(&scope.team).is_none() || has(rule.person) || has(rule.team))
        && (opt(&scope.scheme).is_none() || has(rule.scheme))
}

/// Whether an indicator of the catalogue has a meaning in the scope (see [`in_scope`]).
pub fn measured_in(indicator: &str, scope: &Scope) -> bool {
    measure(indicator).is_some_and(|m| in_scope(m.rule(), scope))
}

/// Teams and schemes are counted from the records (the levels keep neither).
fn source_for(scope: &Scope, source: Source) -> Source {
    if opt(&scope.team).is_some() || opt(&scope.scheme).is_some() {
        Source::Scan
    } else {
        source
    }
}

/// The team's and the scheme's conditions over a rule's records (`t` and its joins): a team's
/// members' records dated while they were members, or records naming the team; records whose
/// batch is of the scheme. A rule without the expression matches nothing.
pub(crate) fn rule_scope_conditions(
    scope: &Scope,
    rule: &Rule,
    args: &mut Vec<Arg>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(team) = opt(&scope.team) {
        args.push(team.into());
        let n = args.len();
        let day = format!("substr({}, 1, 10)", rule.date);
        let mut arms = Vec::new();
        if rule.person != "NULL" {
            arms.push(format!(
                "EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = ${n} \
                 AND tm.person_id = {} AND tm.joined_on <= {day} \
                 AND (tm.left_on IS NULL OR tm.left_on >= {day}))",
                rule.person
            ));
        }
        if rule.team != "NULL" {
            arms.push(format!("{} = ${n}", rule.team));
        }
        if arms.is_empty() {
            arms.push("1 = 0".into());
        }
        out.push(format!("({})", arms.join(" OR ")));
    }
    if let Some(scheme) = opt(&scope.scheme) {
        args.push(scheme.into());
        out.push(if rule.scheme == "NULL" {
            "1 = 0".into()
        } else {
            format!("{} = ${}", rule.scheme, args.len())
        });
    }
    out
}

/// Adds the scope's program, pairing, institution and region conditions over the given
/// expressions; a whole province over `province` when given (a level that keeps it), else
/// through the institution's region.
pub(crate) fn scope_conditions(
    scope: &Scope,
    parsed: &Parsed,
    exprs: [&str; 3],
    province: Option<&str>,
    args: &mut Vec<Arg>,
) -> Vec<String> {
    let mut out = Vec::new();
    let [program, pairing, institution] = exprs;
    for (expr, value) in [
        (program, opt(&scope.program)),
        (pairing, opt(&scope.pairing)),
        (institution, opt(&scope.institution)),
    ] {
        if let Some(v) = value {
            args.push(v.into());
            out.push(format!("{expr} = ${}", args.len()));
        }
    }
    if let (Some(expr), Some(p)) = (province, &parsed.province) {
        args.push(p.clone().into());
        out.push(format!("{expr} = ${}", args.len()));
    } else if let Some(like) = &parsed.region_like {
        args.push(like.clone().into());
        out.push(format!(
            "{institution} IN (SELECT ri.id FROM institutions ri WHERE ri.region_code LIKE ${})",
            args.len()
        ));
    }
    out
}

fn group_expr(
    group: Group,
    program: &str,
    pairing: &str,
    institution: &str,
    province: &str,
    month: &str,
) -> String {
    match group {
        Group::Province => province.into(),
        Group::None => "''".into(),
        Group::Month => month.into(),
        Group::Program => format!("COALESCE({program}, '')"),
        Group::Pairing => format!("COALESCE({pairing}, '')"),
        Group::Institution => format!("COALESCE({institution}, '')"),
    }
}

/// Which level answers a query: the program level when nothing narrower than a program or a
/// whole province is asked, the fine level otherwise.
fn level_for(scope: &Scope, parsed: &Parsed, group: Group) -> Level {
    let narrow = opt(&scope.pairing).is_some()
        || opt(&scope.institution).is_some()
        || (parsed.region_like.is_some() && parsed.province.is_none())
        || matches!(group, Group::Pairing | Group::Institution);
    if narrow { Level::Fine } else { Level::Program }
}

/// One rule's contributions per (group key, kind): both sums, and for rules with members each
/// person's reference count.
#[derive(Debug, Default)]
struct Acc {
    sums: BTreeMap<(String, String), [i64; 2]>,
    people: BTreeMap<(String, String), BTreeMap<String, i64>>,
}

impl Acc {
    fn add(&mut self, key: String, kind: String, member: Option<String>, v: i64, x: i64) {
        let e = self
            .sums
            .entry((key.clone(), kind.clone()))
            .or_insert([0, 0]);
        e[0] += v;
        e[1] += x;
        if let Some(m) = member {
            *self
                .people
                .entry((key, kind))
                .or_default()
                .entry(m)
                .or_insert(0) += v;
        }
    }

    /// Folds group keys together (months into quarters, institutions into regions).
    fn fold(self, f: impl Fn(&str) -> Option<String>) -> Acc {
        let mut out = Acc::default();
        for ((k, kind), [v, x]) in self.sums {
            if let Some(k) = f(&k) {
                let e = out.sums.entry((k, kind)).or_insert([0, 0]);
                e[0] += v;
                e[1] += x;
            }
        }
        for ((k, kind), people) in self.people {
            if let Some(k) = f(&k) {
                let e = out.people.entry((k, kind)).or_default();
                for (m, v) in people {
                    *e.entry(m).or_insert(0) += v;
                }
            }
        }
        out
    }

    /// A measure's value per group key.
    fn values(&self, measure: &Measure) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        match measure.column {
            Column::People => {
                let mut per: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
                for ((k, kind), people) in &self.people {
                    if measure.counts(kind) {
                        let e = per.entry(k).or_default();
                        for (m, v) in people {
                            *e.entry(m).or_insert(0) += v;
                        }
                    }
                }
                for (k, people) in per {
                    let n = people.values().filter(|v| **v > 0).count();
                    out.insert(k.to_string(), i64::try_from(n).unwrap_or(i64::MAX));
                }
            }
            Column::Value | Column::Extra => {
                let i = usize::from(measure.column == Column::Extra);
                for ((k, kind), s) in &self.sums {
                    if measure.counts(kind) {
                        *out.entry(k.clone()).or_insert(0) += s[i];
                    }
                }
            }
        }
        out
    }

    async fn add_rows(
        &mut self,
        conn: &mut AnyConnection,
        sql: String,
        args: Vec<Arg>,
        people: bool,
    ) -> Result<()> {
        let rows = query::sql_with(sql, args).fetch_all(&mut *conn).await?;
        for row in rows {
            let member = if people { Some(text(&row, "m")?) } else { None };
            self.add(
                text(&row, "k")?,
                text(&row, "kind")?,
                member,
                int(&row, "v")?,
                int(&row, "x")?,
            );
        }
        Ok(())
    }
}

/// One consistent read of the roll-ups: a level and the pending deltas are read by two
/// statements, so both must see one snapshot — a fold between them could otherwise hide or
/// double a delta. SQLite's deferred transaction reads one snapshot of the WAL; PostgreSQL's
/// default (read committed) would not, hence repeatable read.
async fn read_tx(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    let mut tx = db.pool().begin().await?;
    if db.backend() == Backend::Postgres {
        tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
    }
    Ok(tx)
}

/// A stretch of a date range read from the roll-ups: whole months or whole years (inclusive
/// bounds, `YYYY-MM` or `YYYY`; no low bound: since the beginning), or days from the daily
/// level.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Span {
    Months(Option<String>, String),
    Years(Option<String>, String),
    Days(Option<NaiveDate>, NaiveDate),
}

impl Span {
    /// The level that answers it.
    fn level(&self, scope: &Scope, parsed: &Parsed, group: Group) -> Level {
        match self {
            Span::Months(..) => level_for(scope, parsed, group),
            Span::Years(..) => Level::Yearly,
            Span::Days(..) => Level::Daily,
        }
    }
}

/// A range of whole months as the whole years inside it and the months around them.
fn with_years(lo: Option<&str>, hi: &str) -> Vec<Span> {
    let year = |m: &str| m.get(..4).and_then(|y| y.parse::<i32>().ok());
    fn month(m: &str) -> &str {
        m.get(5..7).unwrap_or("")
    }
    let months = || vec![Span::Months(lo.map(str::to_string), hi.to_string())];
    let Some(hy) = year(hi) else {
        return months();
    };
    let last = if month(hi) == "12" { hy } else { hy - 1 };
    let first = match lo {
        None => None,
        Some(l) => match year(l) {
            Some(ly) if month(l) == "01" => Some(ly),
            Some(ly) => Some(ly + 1),
            None => return months(),
        },
    };
    if first.is_some_and(|f| f > last) {
        return months();
    }
    let mut out = Vec::new();
    if let (Some(l), Some(f)) = (lo, first)
        && month(l) != "01"
    {
        out.push(Span::Months(Some(l.to_string()), format!("{}-12", f - 1)));
    }
    out.push(Span::Years(first.map(|f| f.to_string()), last.to_string()));
    if last < hy {
        out.push(Span::Months(Some(format!("{hy}-01")), hi.to_string()));
    }
    out
}

/// What a range is read from: spans of the roll-ups, and date ranges counted from the records.
/// Program and national scopes read whole months from the program level and the partial
/// months from the daily level; narrower ones read whole years from the yearly level (unless
/// grouped by month), the months around them from the fine level and the partial months from
/// the records. A scan reads everything from the records.
#[allow(clippy::type_complexity)]
fn spans(
    scope: &Scope,
    parsed: &Parsed,
    group: Group,
    source: Source,
) -> (Vec<Span>, Vec<(Option<NaiveDate>, NaiveDate)>) {
    let plan = plan(parsed.from, parsed.until, source);
    let program_level = level_for(scope, parsed, group) == Level::Program;
    let mut spans = Vec::new();
    if let Some((lo, hi)) = plan.months {
        if program_level || group == Group::Month {
            spans.push(Span::Months(lo, hi));
        } else {
            spans.extend(with_years(lo.as_deref(), &hi));
        }
    }
    let mut raw = Vec::new();
    for (from, until) in plan.raw {
        if program_level && source == Source::Rollups {
            spans.push(Span::Days(from, until));
        } else {
            raw.push((from, until));
        }
    }
    (spans, raw)
}

/// The span's and the scope's conditions over a roll-up level aliased `r`.
fn span_conditions(
    scope: &Scope,
    parsed: &Parsed,
    span: &Span,
    level: Level,
    args: &mut Vec<Arg>,
) -> Vec<String> {
    let (column, lo, hi) = match span {
        Span::Months(lo, hi) => ("r.month", lo.clone(), hi.clone()),
        Span::Years(lo, hi) => ("r.year", lo.clone(), hi.clone()),
        Span::Days(from, until) => ("r.day", from.map(|f| f.to_string()), until.to_string()),
    };
    args.push(hi.into());
    let mut conds = vec![format!("{column} <= ${}", args.len())];
    if let Some(lo) = lo {
        args.push(lo.into());
        conds.push(format!("{column} >= ${}", args.len()));
    }
    let province = level.provincial().then_some("r.province");
    conds.extend(scope_conditions(
        scope,
        parsed,
        ["r.program_id", "r.pairing_id", "r.institution_id"],
        province,
        args,
    ));
    conds
}

/// The month of a row of a level aliased `r`.
fn month_column(level: Level) -> &'static str {
    match level.period() {
        ("month", _) => "r.month",
        ("day", _) => "substr(r.day, 1, 7)",
        // Never grouped by month (`spans` reads months then).
        _ => "r.year",
    }
}

/// Adds one rule's span from the roll-ups.
#[allow(clippy::too_many_arguments)]
async fn level_into(
    acc: &mut Acc,
    conn: &mut AnyConnection,
    scope: &Scope,
    parsed: &Parsed,
    rule: &Rule,
    group: Group,
    span: &Span,
) -> Result<()> {
    let level = span.level(scope, parsed, group);
    let mut args: Vec<Arg> = vec![rule.name.into()];
    let mut conds = vec!["r.rule = $1".to_string()];
    conds.extend(span_conditions(scope, parsed, span, level, &mut args));
    let k = group_expr(
        group,
        "r.program_id",
        "r.pairing_id",
        "r.institution_id",
        "r.province",
        month_column(level),
    );
    let people = rule.member.is_some();
    let (m, by) = if people {
        (", r.member_id AS m", "1, 2, 3")
    } else {
        ("", "1, 2")
    };
    for source in level.sources() {
        let sql = format!(
            "SELECT {k} AS k, r.kind AS kind{m}, CAST(SUM(r.value) AS BIGINT) AS v, \
             CAST(SUM(r.extra) AS BIGINT) AS x FROM {source} r WHERE {} GROUP BY {by}",
            conds.join(" AND ")
        );
        acc.add_rows(conn, sql, args.clone(), people).await?;
    }
    Ok(())
}

/// Adds one rule's records dated in `[from, until]` (`None`: since the beginning), counted
/// from the raw table.
#[allow(clippy::too_many_arguments)]
async fn raw_into(
    acc: &mut Acc,
    conn: &mut AnyConnection,
    scope: &Scope,
    parsed: &Parsed,
    rule: &Rule,
    group: Group,
    from: Option<NaiveDate>,
    until: NaiveDate,
) -> Result<()> {
    let mut args: Vec<Arg> = vec![format!("{until}~").into()];
    let mut conds = vec![format!("({})", rule.filter), format!("{} < $1", rule.date)];
    if let Some(from) = from {
        args.push(from.to_string().into());
        conds.push(format!("{} >= ${}", rule.date, args.len()));
    }
    conds.extend(scope_conditions(
        scope,
        parsed,
        [rule.program, rule.pairing, rule.institution],
        None,
        &mut args,
    ));
    conds.extend(rule_scope_conditions(scope, rule, &mut args));
    let month = format!("substr({}, 1, 7)", rule.date);
    let k = group_expr(
        group,
        rule.program,
        rule.pairing,
        rule.institution,
        &province_of(rule.institution),
        &month,
    );
    let people = rule.member.is_some();
    let (m, by) = match rule.member {
        Some(m) => (format!(", COALESCE({m}, '') AS m"), "1, 2, 3"),
        None => (String::new(), "1, 2"),
    };
    let sql = format!(
        "SELECT {k} AS k, COALESCE({}, '') AS kind{m}, CAST(SUM({}) AS BIGINT) AS v, \
         CAST(SUM({}) AS BIGINT) AS x FROM {} t {} WHERE {} GROUP BY {by}",
        rule.split,
        rule.value,
        rule.extra,
        rule.table,
        rule.joins,
        conds.join(" AND ")
    );
    acc.add_rows(conn, sql, args, people).await
}

/// One rule's contributions per group over the scope.
async fn grouped(
    db: &Db,
    scope: &Scope,
    parsed: &Parsed,
    rule: &Rule,
    group: Group,
    source: Source,
) -> Result<Acc> {
    let (spans, raw) = spans(scope, parsed, group, source_for(scope, source));
    let mut tx = read_tx(db).await?;
    let mut acc = Acc::default();
    for span in &spans {
        level_into(&mut acc, &mut tx, scope, parsed, rule, group, span).await?;
    }
    for (from, until) in raw {
        raw_into(&mut acc, &mut tx, scope, parsed, rule, group, from, until).await?;
    }
    tx.commit().await?;
    Ok(acc)
}

fn measure_or_invalid(indicator: &str) -> Result<&'static Measure> {
    measure(indicator)
        .ok_or_else(|| StoreError::Invalid(Invalid::new("indicator", "error.unknown_code")))
}

/// Adds every rule's span from the roll-ups: the sums of every rule in one pass over the
/// scope's rows, and with `people` each person of the rules with people in one more per rule
/// (without: their distinct people are counted by [`people_counts`]).
async fn span_into(
    accs: &mut HashMap<&'static str, Acc>,
    conn: &mut AnyConnection,
    scope: &Scope,
    parsed: &Parsed,
    span: &Span,
    people: bool,
) -> Result<()> {
    let level = span.level(scope, parsed, Group::None);
    let mut args: Vec<Arg> = Vec::new();
    let conds = span_conditions(scope, parsed, span, level, &mut args);
    let mut rows = Vec::new();
    for source in level.sources() {
        let sql = format!(
            "SELECT r.rule AS k, r.kind AS kind, CAST(SUM(r.value) AS BIGINT) AS v, \
             CAST(SUM(r.extra) AS BIGINT) AS x FROM {source} r WHERE {} GROUP BY 1, 2",
            conds.join(" AND ")
        );
        rows.extend(
            query::sql_with(sql, args.clone())
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    for row in rows {
        let name = text(&row, "k")?;
        if let Some(r) = RULES
            .iter()
            .find(|r| r.name == name && !(people && r.member.is_some()))
            && let Some(acc) = accs.get_mut(r.name)
        {
            acc.add(
                String::new(),
                text(&row, "kind")?,
                None,
                int(&row, "v")?,
                int(&row, "x")?,
            );
        }
    }
    if people {
        for r in RULES.iter().filter(|r| r.member.is_some()) {
            if let Some(acc) = accs.get_mut(r.name) {
                level_into(acc, conn, scope, parsed, r, Group::None, span).await?;
            }
        }
    }
    Ok(())
}

/// Each people measure's distinct people over spans of the roll-ups, counted in one statement
/// per measure (a person with rows in several spans, levels or deltas counts once; only the
/// count leaves the database, not a row per person).
async fn people_counts(
    conn: &mut AnyConnection,
    scope: &Scope,
    parsed: &Parsed,
    spans: &[Span],
) -> Result<HashMap<&'static str, i64>> {
    let mut out = HashMap::new();
    for m in MEASURES.iter().filter(|m| m.distinct()) {
        let mut args: Vec<Arg> = vec![m.rule.into()];
        let mut arms = Vec::new();
        for span in spans {
            let level = span.level(scope, parsed, Group::None);
            let conds = span_conditions(scope, parsed, span, level, &mut args).join(" AND ");
            for source in level.sources() {
                arms.push(format!(
                    "SELECT r.kind AS kind, r.member_id AS m, r.value AS v FROM {source} r \
                     WHERE r.rule = $1 AND {conds}"
                ));
            }
        }
        if arms.is_empty() {
            out.insert(m.indicator, 0);
            continue;
        }
        let kinds = if m.kinds.is_empty() {
            "1 = 1".to_string()
        } else {
            let ps: Vec<String> = m
                .kinds
                .iter()
                .map(|k| {
                    args.push((*k).into());
                    format!("${}", args.len())
                })
                .collect();
            format!("x.kind IN ({})", ps.join(", "))
        };
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT x.m FROM ({}) x WHERE {kinds} \
             GROUP BY x.m HAVING SUM(x.v) > 0) y",
            arms.join(" UNION ALL ")
        );
        let row = query::sql_with(sql, args).fetch_one(&mut *conn).await?;
        out.insert(m.indicator, int(&row, "n")?);
    }
    Ok(out)
}

async fn totals_from(db: &Db, scope: &Scope, source: Source) -> Result<Vec<(String, i64)>> {
    let parsed = parse_scope(scope)?;
    let (spans, raw) = spans(scope, &parsed, Group::None, source_for(scope, source));
    let mut tx = read_tx(db).await?;
    let mut accs: HashMap<&'static str, Acc> =
        RULES.iter().map(|r| (r.name, Acc::default())).collect();
    // Read from the roll-ups alone, the distinct people are counted in the database; with
    // records counted too, person by person here.
    let counted = if raw.is_empty() {
        Some(people_counts(&mut tx, scope, &parsed, &spans).await?)
    } else {
        None
    };
    for span in &spans {
        span_into(&mut accs, &mut tx, scope, &parsed, span, counted.is_none()).await?;
    }
    for (from, until) in raw {
        for r in RULES.iter().filter(|r| in_scope(r, scope)) {
            if let Some(acc) = accs.get_mut(r.name) {
                raw_into(acc, &mut tx, scope, &parsed, r, Group::None, from, until).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(MEASURES
        .iter()
        .filter(|m| in_scope(m.rule(), scope))
        .map(|m| {
            let value = match (&counted, m.distinct()) {
                (Some(counted), true) => counted.get(m.indicator).copied().unwrap_or(0),
                _ => accs
                    .get(m.rule)
                    .and_then(|acc| acc.values(m).get("").copied())
                    .unwrap_or(0),
            };
            (m.indicator.to_string(), value)
        })
        .collect())
}

/// Every indicator with a measure and a meaning in the scope ([`in_scope`]), summed over the
/// scope, in [`MEASURES`] order.
pub async fn totals(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    totals_from(db, scope, Source::Rollups).await
}

/// The same as [`totals`], counted by scanning the raw tables (the reference).
pub async fn scan_totals(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    totals_from(db, scope, Source::Scan).await
}

async fn total_from(db: &Db, scope: &Scope, indicator: &str, source: Source) -> Result<i64> {
    let m = measure_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    Ok(grouped(db, scope, &parsed, m.rule(), Group::None, source)
        .await?
        .values(m)
        .values()
        .sum())
}

/// One indicator over the scope.
pub async fn total(db: &Db, scope: &Scope, indicator: &str) -> Result<i64> {
    total_from(db, scope, indicator, Source::Rollups).await
}

/// One indicator over the scope, by scanning the raw tables.
pub async fn recount(db: &Db, scope: &Scope, indicator: &str) -> Result<i64> {
    total_from(db, scope, indicator, Source::Scan).await
}

fn period_of(month: &str, grain: Grain) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let m: u32 = m.parse().ok()?;
    Some(match grain {
        Grain::Month => month.to_string(),
        Grain::Quarter => format!("{y}Q{}", m.div_ceil(3)),
        Grain::Year => y.to_string(),
    })
}

fn next_period(p: &str, grain: Grain) -> Option<String> {
    match grain {
        Grain::Month => {
            let d = NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d").ok()?;
            Some(month_of(d.checked_add_months(chrono::Months::new(1))?))
        }
        Grain::Quarter => {
            let (y, q) = p.split_once('Q')?;
            let (y, q): (i32, u32) = (y.parse().ok()?, q.parse().ok()?);
            Some(if q == 4 {
                format!("{}Q1", y + 1)
            } else {
                format!("{y}Q{}", q + 1)
            })
        }
        Grain::Year => Some((p.parse::<i32>().ok()? + 1).to_string()),
    }
}

async fn series_from(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    grain: Grain,
    source: Source,
) -> Result<Vec<(String, i64)>> {
    let m = measure_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    let values = grouped(db, scope, &parsed, m.rule(), Group::Month, source)
        .await?
        .fold(|m| period_of(m, grain))
        .values(m);
    // Continuous: every period from the first with a value (or `from`) to `until`'s, zeros
    // included.
    let last = period_of(&month_of(parsed.until), grain).unwrap_or_default();
    let first = match parsed.from {
        Some(f) => period_of(&month_of(f), grain),
        None => values
            .iter()
            .find(|(_, v)| **v != 0)
            .map(|(k, _)| k.clone()),
    };
    let mut out = Vec::new();
    let mut p = first;
    while let Some(cur) = p {
        if cur > last || out.len() > 12 * 200 {
            break;
        }
        out.push((cur.clone(), values.get(&cur).copied().unwrap_or(0)));
        p = next_period(&cur, grain);
    }
    Ok(out)
}

/// One indicator over the scope per month (`2024-03`), quarter (`2024Q1`) or year (`2024`),
/// every period from the first with a value (or from `scope.from`) to `scope.until`'s.
pub async fn series(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    grain: Grain,
) -> Result<Vec<(String, i64)>> {
    series_from(db, scope, indicator, grain, Source::Rollups).await
}

/// The same as [`series`], counted by scanning the raw tables.
pub async fn scan_series(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    grain: Grain,
) -> Result<Vec<(String, i64)>> {
    series_from(db, scope, indicator, grain, Source::Scan).await
}

async fn breakdown_from(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    by: By,
    source: Source,
) -> Result<Vec<(String, i64)>> {
    let m = measure_or_invalid(indicator)?;
    let parsed = parse_scope(scope)?;
    let source = source_for(scope, source);
    // Provinces of the whole country come from the levels that keep them; smaller regions
    // (and a scan) group institutions, folded into their regions below.
    let provinces = by == By::ChildRegion
        && parsed.region_like.is_none()
        && source == Source::Rollups
        && level_for(scope, &parsed, Group::Province) == Level::Program;
    let group = match by {
        By::Program => Group::Program,
        By::Pairing => Group::Pairing,
        By::ChildRegion if provinces => Group::Province,
        By::Institution | By::ChildRegion => Group::Institution,
    };
    let mut acc = grouped(db, scope, &parsed, m.rule(), group, source).await?;
    if provinces {
        acc = acc.fold(|p| (!p.is_empty()).then(|| format!("{p}0000")));
    } else if by == By::ChildRegion {
        let rows = match &parsed.region_like {
            Some(like) => {
                query::sql_with(
                    "SELECT id, region_code FROM institutions WHERE region_code LIKE $1".into(),
                    vec![like.clone().into()],
                )
                .fetch_all(db.pool())
                .await?
            }
            None => {
                sqlx::query("SELECT id, region_code FROM institutions")
                    .fetch_all(db.pool())
                    .await?
            }
        };
        let mut regions: HashMap<String, String> = HashMap::with_capacity(rows.len());
        for row in rows {
            regions.insert(text(&row, "id")?, text(&row, "region_code")?);
        }
        let len = parsed.region_len;
        acc = acc.fold(|inst| {
            let code = regions.get(inst)?;
            let mut child: String = code.chars().take(len).collect();
            while child.len() < 6 {
                child.push('0');
            }
            Some(child)
        });
    }
    let mut out: Vec<(String, i64)> = acc.values(m).into_iter().filter(|(_, v)| *v != 0).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// One indicator over the scope per program, pairing, institution (ids; `""` for records
/// without one) or child region (GB/T 2260 codes), largest first, zeros left out.
pub async fn breakdown(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    by: By,
) -> Result<Vec<(String, i64)>> {
    breakdown_from(db, scope, indicator, by, Source::Rollups).await
}

/// The same as [`breakdown`], counted by scanning the raw tables.
pub async fn scan_breakdown(
    db: &Db,
    scope: &Scope,
    indicator: &str,
    by: By,
) -> Result<Vec<(String, i64)>> {
    breakdown_from(db, scope, indicator, by, Source::Scan).await
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_range_is_whole_months_from_rollups_and_partial_edges_from_records() {
        let p = plan(None, d("2025-04-30"), Source::Rollups);
        assert_eq!(p.months, Some((None, "2025-04".into())));
        assert!(p.raw.is_empty());
        let p = plan(None, d("2025-04-15"), Source::Rollups);
        assert_eq!(p.months, Some((None, "2025-03".into())));
        assert_eq!(p.raw, vec![(Some(d("2025-04-01")), d("2025-04-15"))]);
        let p = plan(Some(d("2024-02-10")), d("2025-04-15"), Source::Rollups);
        assert_eq!(p.months, Some((Some("2024-03".into()), "2025-03".into())));
        assert_eq!(
            p.raw,
            vec![
                (Some(d("2024-02-10")), d("2024-02-29")),
                (Some(d("2025-04-01")), d("2025-04-15"))
            ]
        );
        let p = plan(Some(d("2025-04-02")), d("2025-04-20"), Source::Rollups);
        assert_eq!(p.months, None);
        assert_eq!(p.raw, vec![(Some(d("2025-04-02")), d("2025-04-20"))]);
        let p = plan(Some(d("2025-04-01")), d("2025-04-30"), Source::Rollups);
        assert_eq!(p.months, Some((Some("2025-04".into()), "2025-04".into())));
        assert!(p.raw.is_empty());
        let p = plan(Some(d("2025-03-31")), d("2025-04-01"), Source::Rollups);
        assert_eq!(p.months, None);
        assert_eq!(p.raw.len(), 2);
        assert_eq!(
            plan(Some(d("2025-05-01")), d("2025-04-01"), Source::Rollups),
            Plan {
                months: None,
                raw: vec![]
            }
        );
    }

    #[test]
    fn whole_years_are_read_from_the_yearly_level_and_the_months_around_them_from_the_fine() {
        let m = |lo: Option<&str>, hi: &str| Span::Months(lo.map(str::to_string), hi.to_string());
        let y = |lo: Option<&str>, hi: &str| Span::Years(lo.map(str::to_string), hi.to_string());
        assert_eq!(
            with_years(None, "2025-05"),
            vec![y(None, "2024"), m(Some("2025-01"), "2025-05")]
        );
        assert_eq!(with_years(None, "2025-12"), vec![y(None, "2025")]);
        assert_eq!(
            with_years(Some("2022-03"), "2025-05"),
            vec![
                m(Some("2022-03"), "2022-12"),
                y(Some("2023"), "2024"),
                m(Some("2025-01"), "2025-05")
            ]
        );
        assert_eq!(
            with_years(Some("2024-01"), "2024-12"),
            vec![y(Some("2024"), "2024")]
        );
        // No whole year inside: months only.
        assert_eq!(
            with_years(Some("2024-03"), "2025-05"),
            vec![m(Some("2024-03"), "2025-05")]
        );
        assert_eq!(
            with_years(Some("2024-03"), "2024-12"),
            vec![m(Some("2024-03"), "2024-12")]
        );
        assert_eq!(
            with_years(Some("2025-01"), "2025-05"),
            vec![m(Some("2025-01"), "2025-05")]
        );
    }

    #[test]
    fn periods_are_labelled_and_followed() {
        assert_eq!(
            period_of("2024-03", Grain::Quarter).as_deref(),
            Some("2024Q1")
        );
        assert_eq!(
            period_of("2024-12", Grain::Quarter).as_deref(),
            Some("2024Q4")
        );
        assert_eq!(period_of("2024-12", Grain::Year).as_deref(), Some("2024"));
        assert_eq!(
            next_period("2024-12", Grain::Month).as_deref(),
            Some("2025-01")
        );
        assert_eq!(
            next_period("2024Q4", Grain::Quarter).as_deref(),
            Some("2025Q1")
        );
    }
}
