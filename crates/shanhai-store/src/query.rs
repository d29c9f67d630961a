//! Building the portable SQL every module shares: `$n` placeholders (which both SQLite and
//! PostgreSQL accept), filters, pagination and row decoding.

use crate::Result;
use serde::Serialize;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe, Row};
use std::collections::BTreeSet;

/// A value to bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Text(s.clone())
    }
}
impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Arg {
        Arg::OptText(s)
    }
}
impl From<i64> for Arg {
    fn from(i: i64) -> Arg {
        Arg::Int(i)
    }
}
impl From<Option<i64>> for Arg {
    fn from(i: Option<i64>) -> Arg {
        Arg::OptInt(i)
    }
}

/// A statement with its arguments, built at run time.
pub fn sql_with(sql: String, args: Vec<Arg>) -> Query<'static, Any, AnyArguments> {
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for arg in args {
        q = match arg {
            Arg::Text(s) => q.bind(without_nul(s)),
            Arg::OptText(s) => q.bind(s.map(without_nul)),
            Arg::Int(i) => q.bind(i),
            Arg::OptInt(i) => q.bind(i),
        };
    }
    q
}

/// PostgreSQL refuses a NUL character in text (an error, which would answer 500), SQLite takes
/// it. No stored text holds one (text with control characters is refused on the way in), so a
/// value with one — a filter such as `?q=a%00b` — matches nothing: U+FFFD in its place keeps it
/// so on both backends.
fn without_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}")
    } else {
        s
    }
}

/// `(col1, col2, …) VALUES ($1, $2, …)` for an INSERT.
pub fn insert_sql(table: &str, columns: &[&str]) -> String {
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        placeholders.join(", ")
    )
}

/// `UPDATE table SET a = $1, b = $2 … WHERE key = $n`, the key bound last.
pub fn update_sql(table: &str, columns: &[&str], key: &str) -> String {
    let sets: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    format!(
        "UPDATE {table} SET {} WHERE {key} = ${}",
        sets.join(", "),
        columns.len() + 1
    )
}

/// A range of instants `[not_before, before)` as stored timestamps (RFC 3339 UTC with
/// milliseconds), or everything outside it when `negate`; a bound left out is no bound.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InstantRange {
    pub not_before: Option<String>,
    pub before: Option<String>,
    pub negate: bool,
}

/// WHERE clauses with their arguments.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    clauses: Vec<String>,
    pub args: Vec<Arg>,
}

impl Filter {
    /// Adds an argument and returns its placeholder (for conditions outside the WHERE clause).
    pub fn next(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub fn eq(&mut self, column: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            let p = self.next(v.into());
            self.clauses.push(format!("{column} = {p}"));
        }
        self
    }

    /// Either column equals the value (e.g. an institution on either side of a pairing).
    pub fn eq_any(&mut self, columns: &[&str], value: Option<&str>) -> &mut Self {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            let parts: Vec<String> = columns
                .iter()
                .map(|c| {
                    let p = self.next(v.into());
                    format!("{c} = {p}")
                })
                .collect();
            self.clauses.push(format!("({})", parts.join(" OR ")));
        }
        self
    }

    /// Case-insensitive substring search over some columns; `%` and `_` in the input match
    /// literally.
    pub fn search(&mut self, columns: &[&str], q: Option<&str>) -> &mut Self {
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let escaped = q
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            let parts: Vec<String> = columns
                .iter()
                .map(|c| {
                    let p = self.next(pattern.clone().into());
                    format!("LOWER({c}) LIKE {p} ESCAPE '\\'")
                })
                .collect();
            self.clauses.push(format!("({})", parts.join(" OR ")));
        }
        self
    }

    /// A region code column inside the GB/T 2260 subtree of `region` (the region and everything
    /// below it).
    pub fn in_region(&mut self, column: &str, region: Option<&str>) -> &mut Self {
        if let Some(region) = region.map(str::trim).filter(|r| !r.is_empty()) {
            let prefix = shanhai_domain::registry::RegionCode::parse("region", region)
                .map(|c| c.prefix().to_string())
                .unwrap_or_else(|_| region.to_string());
            self.raw(&format!("{column} LIKE {{}}"), format!("{prefix}%").into());
        }
        self
    }

    /// Column value is in the set; an empty set matches nothing.
    pub fn within(&mut self, column: &str, set: &BTreeSet<String>) -> &mut Self {
        if set.is_empty() {
            self.clauses.push("1 = 0".into());
        } else {
            let ps: Vec<String> = set.iter().map(|v| self.next(v.into())).collect();
            self.clauses
                .push(format!("{column} IN ({})", ps.join(", ")));
        }
        self
    }

    /// A date or timestamp column (`YYYY-MM-DD…`) within `[from, until]`, both days included;
    /// a bound left empty is no bound.
    pub fn dated(&mut self, column: &str, from: Option<&str>, until: Option<&str>) -> &mut Self {
        if let Some(from) = from.map(str::trim).filter(|d| !d.is_empty()) {
            self.raw(&format!("{column} >= {{}}"), from.into());
        }
        if let Some(until) = until.map(str::trim).filter(|d| !d.is_empty()) {
            // `~` sorts after every character of a timestamp: the whole of that day.
            self.raw(&format!("{column} < {{}}"), format!("{until}~").into());
        }
        self
    }

    /// A column whose value is in the set, when a set is given (`None`: no condition; an empty
    /// set matches nothing).
    pub fn within_opt(&mut self, column: &str, set: Option<&BTreeSet<String>>) -> &mut Self {
        if let Some(set) = set {
            self.within(column, set);
        }
        self
    }

    /// An RFC 3339 UTC timestamp column (stored as `crate::now()` writes it) within each range.
    pub fn instants(&mut self, column: &str, ranges: &[InstantRange]) -> &mut Self {
        for r in ranges {
            let mut parts = Vec::new();
            if let Some(lo) = &r.not_before {
                let p = self.next(lo.clone().into());
                parts.push(format!("{column} >= {p}"));
            }
            if let Some(hi) = &r.before {
                let p = self.next(hi.clone().into());
                parts.push(format!("{column} < {p}"));
            }
            if parts.is_empty() {
                continue;
            }
            let inside = format!("({})", parts.join(" AND "));
            self.clauses.push(if r.negate {
                format!("NOT {inside}")
            } else {
                inside
            });
        }
        self
    }

    pub fn raw(&mut self, clause: &str, value: Arg) -> &mut Self {
        let p = self.next(value);
        self.clauses.push(clause.replace("{}", &p));
        self
    }

    /// A clause whose `{}` placeholders take the values in order.
    pub fn raw_each(&mut self, clause: &str, values: Vec<Arg>) -> &mut Self {
        let mut out = String::new();
        let mut values = values.into_iter();
        for (i, part) in clause.split("{}").enumerate() {
            if i > 0 {
                let p = values
                    .next()
                    .map(|v| self.next(v))
                    .unwrap_or_else(|| "NULL".into());
                out.push_str(&p);
            }
            out.push_str(part);
        }
        self.clauses.push(out);
        self
    }

    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// Which page of a list; pages count from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    pub const MAX_PER_PAGE: i64 = 200;

    pub fn new(page: Option<i64>, per_page: Option<i64>) -> PageRequest {
        PageRequest {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(20).clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page.saturating_sub(1)).saturating_mul(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::new(None, None)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// Runs `SELECT {select} FROM {from}{filter} ORDER BY {order}` one page at a time, with the total.
pub async fn fetch_page<T>(
    pool: &sqlx::AnyPool,
    select: &str,
    from: &str,
    filter: &Filter,
    order: &str,
    page: PageRequest,
    decode: fn(&AnyRow) -> Result<T>,
) -> Result<Page<T>> {
    let where_sql = filter.sql();
    let total: i64 = sql_with(
        format!("SELECT COUNT(*) AS n FROM {from}{where_sql}"),
        filter.args.clone(),
    )
    .fetch_one(pool)
    .await?
    .try_get("n")?;
    let n = filter.args.len();
    let mut args = filter.args.clone();
    args.push(page.per_page.into());
    args.push(page.offset().into());
    let rows = sql_with(
        format!(
            "SELECT {select} FROM {from}{where_sql} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ),
        args,
    )
    .fetch_all(pool)
    .await?;
    let items = rows.iter().map(decode).collect::<Result<Vec<T>>>()?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Decoding helpers.
pub fn text(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub fn int(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

/// A vocabulary code read back from the database.
pub fn code<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let raw = text(row, col)?;
    parse(&raw)
        .ok_or_else(|| crate::StoreError::Other(format!("unknown code {raw:?} in column {col}")))
}

/// An optional vocabulary code; a code no longer known reads as `None`.
pub fn opt_code<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
    Ok(opt_text(row, col)?.and_then(|c| parse(&c)))
}

pub fn json_list(row: &AnyRow, col: &str) -> Result<Vec<String>> {
    Ok(serde_json::from_str(&text(row, col)?).unwrap_or_default())
}

/// Optional JSON text; unreadable JSON reads as `None`.
pub fn opt_json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<Option<T>> {
    Ok(opt_text(row, col)?.and_then(|s| serde_json::from_str(&s).ok()))
}

/// A value written as JSON text (`[]` should it fail to serialise).
pub fn json_arg<T: Serialize + ?Sized>(value: &T) -> Arg {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "[]".into())
        .into()
}

/// `name` by `key` for the given keys of a table, in chunks of 500 (bind limits).
pub(crate) async fn names(
    db: &crate::Db,
    table: &str,
    key: &str,
    keys: &[String],
) -> crate::Result<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        let mut filter = Filter::default();
        let set: BTreeSet<String> = chunk.iter().cloned().collect();
        filter.within(key, &set);
        let rows = sql_with(
            format!("SELECT {key} AS k, name FROM {table}{}", filter.sql()),
            filter.args.clone(),
        )
        .fetch_all(db.pool())
        .await?;
        for row in rows {
            out.insert(text(&row, "k")?, text(&row, "name")?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_number_their_placeholders_in_order() {
        let mut f = Filter::default();
        f.eq("a", Some("1"))
            .eq("b", None)
            .search(&["c", "d"], Some("x%"))
            .within("e", &BTreeSet::new());
        assert_eq!(
            f.sql(),
            " WHERE a = $1 AND (LOWER(c) LIKE $2 ESCAPE '\\' OR LOWER(d) LIKE $3 ESCAPE '\\') AND 1 = 0"
        );
        assert_eq!(f.args.len(), 3);
    }

    #[test]
    fn pages_are_clamped() {
        assert_eq!(
            PageRequest::new(Some(0), Some(10_000)),
            PageRequest {
                page: 1,
                per_page: 200
            }
        );
        assert_eq!(PageRequest::new(Some(3), Some(20)).offset(), 40);
        assert_eq!(
            update_sql("t", &["a", "b"], "id"),
            "UPDATE t SET a = $1, b = $2 WHERE id = $3"
        );
    }
}
