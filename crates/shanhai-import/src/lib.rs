//! Import (C11): rosters and activity logs kept in spreadsheets, read from XLSX or CSV (UTF-8 or
//! GB18030), every row checked with the same domain parsers the API uses, then written in one
//! transaction — all rows or none.
//!
//! A kind of import is one module implementing [`ImportKind`] and one line in [`registry!`]. An
//! import runs in two passes over the file: the first checks every row (nothing held but the
//! natural keys seen), the second — only when no row is bad — parses again and writes. A row
//! whose natural key is already stored is left as it is and counted as unchanged, so importing
//! the same file twice creates nothing the second time.

mod clinics;
pub mod context;
mod kpis;
mod people;
pub mod read;
mod rollup;
mod teaching;
mod techniques;
pub mod template;

use context::Context;
pub use context::Who;
use csv::StringRecord;
use read::{Sheet, Unreadable};
use serde::Serialize;
use sha2::{Digest, Sha256};
use shanhai_domain::{Invalid, Lang};
use shanhai_store::audit::{self, Action, Actor};
use shanhai_store::query::{Arg, insert_sql, sql_with};
use shanhai_store::{Db, StoreError};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use utoipa::ToSchema;

/// A column of a kind's spreadsheet.
#[derive(Debug)]
pub struct Column {
    /// The header in the template (Chinese); the English header is accepted too.
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
    /// The fields of the domain input this column feeds, so a field error lands on it.
    pub fields: &'static [&'static str],
    pub example: &'static str,
}

impl Column {
    pub fn header(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

/// One thing wrong with a file, by row and column.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The spreadsheet row (the header is row 1); 0 for the file as a whole.
    pub row: usize,
    pub column: Option<&'static Column>,
    /// A header the file has that the kind does not know.
    pub header: Option<String>,
    /// The message key (`error.*`).
    pub key: &'static str,
    /// The earlier row a duplicate repeats.
    pub other_row: Option<usize>,
}

impl Problem {
    pub fn at(column: &'static Column, key: &'static str) -> Problem {
        Problem {
            row: 0,
            column: Some(column),
            header: None,
            key,
            other_row: None,
        }
    }

    pub fn whole_row(key: &'static str) -> Problem {
        Problem {
            row: 0,
            column: None,
            header: None,
            key,
            other_row: None,
        }
    }

    fn in_row(mut self, row: usize) -> Problem {
        self.row = row;
        self
    }
}

/// Maps a domain field error to the column that feeds the field.
pub fn on_column(columns: &'static [Column], invalid: Invalid) -> Problem {
    let column = columns
        .iter()
        .find(|c| c.fields.contains(&invalid.field.as_str()));
    Problem {
        row: 0,
        column,
        header: None,
        key: invalid.key,
        other_row: None,
    }
}

/// One data row, its cells found by the kind's columns.
pub struct Row<'a> {
    pub number: usize,
    record: &'a StringRecord,
    positions: &'a [Option<usize>],
}

impl Row<'_> {
    /// The trimmed cell under `columns[index]` ("" when the file lacks the column).
    pub fn cell(&self, index: usize) -> &str {
        self.positions
            .get(index)
            .copied()
            .flatten()
            .and_then(|p| self.record.get(p))
            .map_or("", str::trim)
    }

    pub fn optional(&self, index: usize) -> Option<&str> {
        Some(self.cell(index)).filter(|c| !c.is_empty())
    }
}

/// A record read from a row, with the natural key that says whether it is already stored.
pub struct Parsed<R> {
    pub key: String,
    /// What makes two rows of one file the same row, when that is less than `key` (reported
    /// KPIs: the institution, KPI and period, while `key` adds the value, so that a stored value
    /// that differs is written again rather than left as it is).
    pub identity: Option<String>,
    pub record: R,
}

/// One kind of import.
pub trait ImportKind: Send + Sync + 'static {
    /// The name in URLs and on the command line.
    const NAME: &'static str;
    /// The message key of the kind's label.
    const LABEL: &'static str;
    const COLUMNS: &'static [Column];
    /// Whether writing can find problems the first pass cannot (rules the store checks against
    /// stored records); a dry run of such a kind writes in a transaction it rolls back.
    const CHECKED_ON_WRITE: bool = false;
    /// The table the kind bulk-inserts into, whose roll-up insert trigger the import replaces
    /// with one grouped update on SQLite (see [`rollup`]); `None` leaves the triggers firing.
    const ROLLUP_TABLE: Option<&'static str> = None;
    type Record: Send + Sync;
    /// What the writes of one import share (e.g. people created by earlier rows).
    type State: Default + Send;

    /// Loads what this kind's rows are checked against beyond the shared context.
    fn prepare(
        _db: &Db,
        _conn: &mut AnyConnection,
        _cx: &mut Context,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

    /// The natural keys of the records of this kind already stored.
    fn stored_keys(
        conn: &mut AnyConnection,
    ) -> impl Future<Output = Result<HashSet<String>, StoreError>> + Send;

    /// Reads one row into a record and its natural key, or says what is wrong with it (the
    /// caller's scope included).
    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<Self::Record>, Problem>;

    /// Writes new records inside the import's transaction. What only the database can tell
    /// (e.g. an expert in two places on one day) comes back as problems by row.
    fn write(
        conn: &mut AnyConnection,
        actor: &Actor,
        state: &mut Self::State,
        batch: Vec<(usize, Self::Record)>,
    ) -> impl Future<Output = Result<Vec<Problem>, StoreError>> + Send;
}

/// What an import did, or would do.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub kind: &'static str,
    pub rows: usize,
    pub created: usize,
    pub unchanged: usize,
    pub dry_run: bool,
    pub problems: Vec<Problem>,
    /// Problems beyond the first [`MAX_PROBLEMS`], counted but not listed.
    pub more_problems: usize,
}

/// A report lists at most this many problems; a file with more is wrong throughout and the
/// first thousand say how.
pub const MAX_PROBLEMS: usize = 1000;

/// The report as the API returns it and the page and the command line show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub kind: String,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows that wrote a new record (or would, in a dry run).
    pub created: usize,
    /// Rows whose record is already stored: left as they are.
    pub unchanged: usize,
    pub dry_run: bool,
    /// Whether the rows were written.
    pub imported: bool,
    pub errors: Vec<ReportError>,
    /// Errors beyond those listed.
    pub more_errors: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportError {
    /// Spreadsheet row (the header is row 1); 0 for the file as a whole.
    pub row: usize,
    /// The column header, or "" for the whole row.
    pub column: String,
    pub message: String,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report in a language, messages looked up with `t` (the web layer's catalogue).
    pub fn report(&self, lang: Lang, t: impl Fn(Lang, &str) -> String) -> Report {
        Report {
            kind: self.kind.to_string(),
            rows: self.rows,
            created: self.created,
            unchanged: self.unchanged,
            dry_run: self.dry_run,
            imported: self.ok() && !self.dry_run,
            errors: self
                .problems
                .iter()
                .map(|p| ReportError {
                    row: p.row,
                    column: match (p.column, &p.header) {
                        (Some(c), _) => c.header(lang).to_string(),
                        (None, Some(h)) => h.clone(),
                        (None, None) => String::new(),
                    },
                    message: t(lang, p.key).replace("{row}", &p.other_row.unwrap_or(0).to_string()),
                })
                .collect(),
            more_errors: self.more_problems,
        }
    }

    fn push(&mut self, p: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.more_problems += 1;
        }
    }
}

/// Told how far an import has come: the phase, and units done out of a total.
pub trait Progress: Send + Sync {
    fn update(&self, phase: Phase, done: u64, total: u64);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Checking,
    Writing,
}

pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _: Phase, _: u64, _: u64) {}
}

/// The file as imported: its name and bytes.
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// Rows written per call of [`ImportKind::write`].
const WRITE_BATCH: usize = 2000;

/// Imports a file of a known kind: see [`import`].
pub async fn run<K: ImportKind>(
    db: &Db,
    actor: &Actor,
    who: Who,
    upload: Upload<'_>,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<Outcome, StoreError> {
    let mut outcome = Outcome {
        kind: K::NAME,
        rows: 0,
        created: 0,
        unchanged: 0,
        dry_run,
        problems: vec![],
        more_problems: 0,
    };
    let sheet = match Sheet::open(upload.bytes) {
        Ok(sheet) => sheet,
        Err(e) => {
            outcome.push(Problem::whole_row(match e {
                Unreadable::Workbook => "error.import_unreadable",
                Unreadable::Empty => "error.import_empty",
            }));
            return Ok(outcome);
        }
    };
    let positions = match header_positions::<K>(&sheet.header) {
        Ok(p) => p,
        Err(problems) => {
            problems.into_iter().for_each(|p| outcome.push(p));
            return Ok(outcome);
        }
    };
    let (cx, stored) = {
        let mut conn = db.pool().acquire().await?;
        let mut cx = Context::load(&mut conn, db, who).await?;
        K::prepare(db, &mut conn, &mut cx).await?;
        (cx, K::stored_keys(&mut conn).await?)
    };

    // First pass: check every row; remember only the keys.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rows = sheet.rows();
    while let Some((number, record)) = rows.next() {
        outcome.rows += 1;
        if outcome.rows.is_multiple_of(4096) {
            let (done, total) = rows.progress();
            progress.update(Phase::Checking, done, total);
        }
        let row = Row {
            number,
            record: &record,
            positions: &positions,
        };
        if record.iter().any(|c| c.contains('\u{fffd}')) {
            outcome.push(Problem::whole_row("error.import_bad_encoding").in_row(number));
            continue;
        }
        match K::parse(&row, &cx) {
            Err(p) => outcome.push(p.in_row(number)),
            Ok(parsed) => {
                let identity = parsed.identity.unwrap_or_else(|| parsed.key.clone());
                if let Some(first) = seen.get(&identity) {
                    let mut p = Problem::whole_row("error.import_duplicate_row").in_row(number);
                    p.other_row = Some(*first);
                    outcome.push(p);
                } else if stored.contains(&parsed.key) {
                    outcome.unchanged += 1;
                    seen.insert(identity, number);
                } else {
                    outcome.created += 1;
                    seen.insert(identity, number);
                }
            }
        }
    }
    drop(seen);
    if outcome.rows == 0 {
        outcome.push(Problem::whole_row("error.import_empty"));
    }
    if !outcome.ok() || outcome.created == 0 || (dry_run && !K::CHECKED_ON_WRITE) {
        return Ok(outcome);
    }

    // Second pass: parse again and write, all in one transaction.
    let mut tx = db.begin_write().await?;
    let cache = grow_cache(&mut tx, db.backend(), upload.bytes.len()).await?;
    let deferred = match K::ROLLUP_TABLE {
        Some(table) => rollup::defer(&mut tx, db.backend(), table, outcome.created).await?,
        None => None,
    };
    let mut state = K::State::default();
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    let mut rows = sheet.rows();
    let mut written = 0u64;
    let mut problems = Vec::new();
    while let Some((number, record)) = rows.next() {
        let row = Row {
            number,
            record: &record,
            positions: &positions,
        };
        let parsed = K::parse(&row, &cx).map_err(|p| {
            StoreError::Other(format!("row {number} changed between passes: {}", p.key))
        })?;
        if !stored.contains(&parsed.key) {
            batch.push((number, parsed.record));
        }
        if batch.len() == WRITE_BATCH {
            written += batch.len() as u64;
            problems
                .extend(K::write(&mut tx, actor, &mut state, std::mem::take(&mut batch)).await?);
            let (done, total) = rows.progress();
            progress.update(Phase::Writing, done, total);
        }
    }
    if !batch.is_empty() {
        written += batch.len() as u64;
        problems.extend(K::write(&mut tx, actor, &mut state, batch).await?);
    }
    if !problems.is_empty() || dry_run {
        restore_cache(&mut tx, cache).await?;
        tx.rollback().await?;
        problems.into_iter().for_each(|p| outcome.push(p));
        return Ok(outcome);
    }
    if let Some(deferred) = deferred {
        deferred.finish(&mut tx).await?;
    }
    record_import(&mut tx, actor, &upload, &outcome).await?;
    restore_cache(&mut tx, cache).await?;
    tx.commit().await?;
    debug_assert_eq!(written as usize, outcome.created);
    Ok(outcome)
}

/// SQLite page cache while an import writes: two bytes per byte of the file, at least 64 MiB and
/// at most 512 MiB. The default 2 MiB makes a large transaction spill its pages to the WAL and
/// read them back (profiled: about a third of the write time in `pread`/`pwrite`); a million
/// teaching activities (117 MiB of CSV) make about 150 MiB of index pages, which must stay in
/// the cache while rows land all over them. The cache is a limit, not an allocation, and the
/// connection gets its usual size back before it returns to the pool.
fn import_cache_kib(upload_bytes: usize) -> i64 {
    ((upload_bytes as i64 * 2) / 1024).clamp(64 * 1024, 512 * 1024)
}

/// Enlarges the connection's page cache for the import; returns the size to restore.
async fn grow_cache(
    conn: &mut AnyConnection,
    backend: shanhai_store::Backend,
    upload_bytes: usize,
) -> Result<Option<i64>, StoreError> {
    if backend != shanhai_store::Backend::Sqlite {
        return Ok(None);
    }
    use sqlx::Row as _;
    let before: i64 = sql_with("PRAGMA cache_size".into(), vec![])
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    sql_with(
        format!("PRAGMA cache_size = -{}", import_cache_kib(upload_bytes)),
        vec![],
    )
    .execute(&mut *conn)
    .await?;
    Ok(Some(before))
}

/// Gives the pooled connection its usual page cache back before it returns to the pool.
async fn restore_cache(conn: &mut AnyConnection, before: Option<i64>) -> Result<(), StoreError> {
    if let Some(before) = before {
        sql_with(format!("PRAGMA cache_size = {before}"), vec![])
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Where each of the kind's columns is in the file; unknown headers and missing required
/// columns are problems of row 1.
fn header_positions<K: ImportKind>(header: &[String]) -> Result<Vec<Option<usize>>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut positions = vec![None; K::COLUMNS.len()];
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        match K::COLUMNS
            .iter()
            .position(|c| c.zh == h || c.en.eq_ignore_ascii_case(h))
        {
            Some(c) if positions[c].is_none() => positions[c] = Some(i),
            Some(c) => problems.push(Problem {
                row: 1,
                column: Some(&K::COLUMNS[c]),
                header: None,
                key: "error.import_duplicate_column",
                other_row: None,
            }),
            None => problems.push(Problem {
                row: 1,
                column: None,
                header: Some(h.clone()),
                key: "error.import_unknown_column",
                other_row: None,
            }),
        }
    }
    for (c, column) in K::COLUMNS.iter().enumerate() {
        if column.required && positions[c].is_none() {
            problems.push(Problem {
                row: 1,
                column: Some(column),
                header: None,
                key: "error.import_missing_column",
                other_row: None,
            });
        }
    }
    if problems.is_empty() {
        Ok(positions)
    } else {
        Err(problems)
    }
}

/// Remembers the file (by its SHA-256) and audits the import as one entry with its counts.
async fn record_import(
    conn: &mut AnyConnection,
    actor: &Actor,
    upload: &Upload<'_>,
    outcome: &Outcome,
) -> Result<(), StoreError> {
    let id = shanhai_domain::ids::new_id();
    let sha256 = hex::encode(Sha256::digest(upload.bytes));
    let file_name: String = upload.file_name.chars().take(200).collect();
    sql_with(
        insert_sql(
            "imports",
            &[
                "id",
                "kind",
                "file_name",
                "file_sha256",
                "row_count",
                "created",
                "unchanged",
                "actor_name",
                "created_at",
            ],
        ),
        vec![
            id.clone().into(),
            outcome.kind.into(),
            file_name.clone().into(),
            sha256.clone().into(),
            (outcome.rows as i64).into(),
            (outcome.created as i64).into(),
            (outcome.unchanged as i64).into(),
            actor.name.clone().into(),
            shanhai_store::now().into(),
        ],
    )
    .execute(&mut *conn)
    .await?;
    audit::record::<(), _>(
        conn,
        actor,
        Action::Create,
        "import",
        &id,
        None,
        Some(&serde_json::json!({
            "kind": outcome.kind,
            "file_name": file_name,
            "file_sha256": sha256,
            "rows": outcome.rows,
            "created": outcome.created,
            "unchanged": outcome.unchanged,
        })),
    )
    .await
}

/// Bound values per multi-row `INSERT` (SQLite allows 32,766; PostgreSQL 65,535).
const VALUES_PER_STATEMENT: usize = 2000;

/// Inserts rows with multi-row `INSERT`s of up to [`VALUES_PER_STATEMENT`] values each; `id`,
/// `created_at` and `updated_at` are added to every row.
///
/// On SQLite the placeholders are anonymous (`?`), not numbered (`$1`): binding a numbered
/// parameter makes sqlx look its name up with `sqlite3_bind_parameter_name`, which walks the
/// statement's parameter list, so binding a statement of n numbered parameters costs n² — that,
/// not SQLite, was why larger statements used to be slower (profiled: 29 % of an import's time,
/// and 40 rows per statement the best compromise). With `?` binding is linear and a statement
/// can carry a hundred rows or more. PostgreSQL needs `$n` and does not pay that cost.
pub(crate) async fn insert_many(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<(), StoreError> {
    let now = shanhai_store::now();
    let width = columns.len() + 3;
    let per_statement = (VALUES_PER_STATEMENT / width).max(1);
    let anonymous = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let mut all = columns.to_vec();
    all.extend(["id", "created_at", "updated_at"]);
    let head = format!("INSERT INTO {table} ({}) VALUES ", all.join(", "));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per_statement).collect();
        let mut sql = String::with_capacity(head.len() + chunk.len() * width * 6);
        sql.push_str(&head);
        let mut args = Vec::with_capacity(chunk.len() * width);
        for (r, mut row) in chunk.into_iter().enumerate() {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push(',');
                }
                if anonymous {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&(r * width + c + 1).to_string());
                }
            }
            sql.push(')');
            row.extend([
                shanhai_domain::ids::new_id().into(),
                now.clone().into(),
                now.clone().into(),
            ]);
            args.extend(row);
        }
        sql_with(sql, args).execute(&mut *conn).await?;
    }
    Ok(())
}

/// A code cell: the code itself (`teaching-round`) or its label in either language (教学查房).
pub(crate) fn code_of<T: Copy>(
    value: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T, Lang) -> &'static str,
) -> String {
    let value = value.trim();
    all.iter()
        .find(|v| {
            code(**v) == value
                || label(**v, Lang::Zh) == value
                || label(**v, Lang::En).eq_ignore_ascii_case(value)
        })
        .map_or_else(|| value.to_string(), |v| code(*v).to_string())
}

/// A whole number in a cell.
pub(crate) fn number(
    row: &Row<'_>,
    index: usize,
    columns: &'static [Column],
) -> Result<Option<i64>, Problem> {
    match row.optional(index) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Problem::at(&columns[index], "error.import_not_a_number")),
    }
}

/// Yes or no in a cell (是/否, yes/no, 1/0, true/false); empty is no.
pub(crate) fn yes_no(
    row: &Row<'_>,
    index: usize,
    columns: &'static [Column],
) -> Result<bool, Problem> {
    match row.cell(index).to_lowercase().as_str() {
        "" | "否" | "no" | "n" | "0" | "false" => Ok(false),
        "是" | "yes" | "y" | "1" | "true" => Ok(true),
        _ => Err(Problem::at(&columns[index], "error.import_not_yes_no")),
    }
}

/// The institution named in a cell.
pub(crate) fn institution<'c>(
    row: &Row<'_>,
    index: usize,
    columns: &'static [Column],
    cx: &'c Context,
) -> Result<&'c str, Problem> {
    let name = row.cell(index);
    if name.is_empty() {
        return Err(Problem::at(&columns[index], "error.required"));
    }
    cx.institution(name)
        .ok_or_else(|| Problem::at(&columns[index], "error.unknown_institution"))
}

/// The department named in a cell, at the institution; empty means none.
pub(crate) fn department(
    row: &Row<'_>,
    index: usize,
    columns: &'static [Column],
    cx: &Context,
    institution_id: &str,
) -> Result<Option<String>, Problem> {
    match row.optional(index) {
        None => Ok(None),
        Some(name) => cx
            .department(institution_id, name)
            .map(|d| Some(d.to_string()))
            .ok_or_else(|| Problem::at(&columns[index], "error.unknown_department")),
    }
}

/// The program named in a cell; empty means none.
pub(crate) fn program(
    row: &Row<'_>,
    index: usize,
    columns: &'static [Column],
    cx: &Context,
) -> Result<Option<String>, Problem> {
    match row.optional(index) {
        None => Ok(None),
        Some(name) => cx
            .program(name)
            .map(|d| Some(d.to_string()))
            .ok_or_else(|| Problem::at(&columns[index], "error.unknown_program")),
    }
}

/// The one person of that name (at the institution when given); none or several is a problem
/// of the name's column.
pub(crate) fn person(
    cx: &Context,
    name: &str,
    institution_id: Option<&str>,
    column: &'static Column,
) -> Result<String, Problem> {
    let mut found = cx.people_named(name, institution_id);
    match (found.next(), found.next()) {
        (Some(p), None) => Ok(p.id.clone()),
        (None, _) => Err(Problem::at(column, "error.unknown_person")),
        (Some(_), Some(_)) => Err(Problem::at(column, "error.import_ambiguous_person")),
    }
}

macro_rules! registry {
    ($($kind:ty),+ $(,)?) => {
        /// The kinds, by name: people and assignments, clinic sessions, teaching activities,
        /// techniques, reported KPIs.
        pub const KINDS: &[(&str, &str)] = &[$((<$kind>::NAME, <$kind>::LABEL)),+];

        /// The columns of a kind.
        pub fn columns(kind: &str) -> Option<&'static [Column]> {
            $(if kind == <$kind>::NAME { return Some(<$kind>::COLUMNS); })+
            None
        }

        /// Imports a file of the named kind (`None` for an unknown kind): checks every row and,
        /// unless `dry_run` or any row is bad, writes them all in one transaction.
        pub async fn import(
            db: &Db,
            kind: &str,
            actor: &Actor,
            who: Who,
            upload: Upload<'_>,
            dry_run: bool,
            progress: &dyn Progress,
        ) -> Result<Option<Outcome>, StoreError> {
            $(if kind == <$kind>::NAME {
                return run::<$kind>(db, actor, who, upload, dry_run, progress).await.map(Some);
            })+
            Ok(None)
        }
    };
}

registry!(
    people::People,
    clinics::ClinicSessions,
    teaching::TeachingActivities,
    techniques::Techniques,
    kpis::Kpis,
);
