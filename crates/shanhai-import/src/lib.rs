//! Import (C11): rosters and activity logs kept in spreadsheets, read from XLSX or CSV (UTF-8 or
//! GB18030), every row checked with the same domain parsers the API uses, then written in one
//! transaction — all rows or none.
//!
//! A kind of import is one module implementing [`ImportKind`] and one line in [`registry!`]. An
//! import reads the file once: each row is checked (nothing held but the natural keys seen) and,
//! while no row so far is bad, its record goes in a batch to the writer, which inserts it in the
//! import's one transaction; the first bad row stops the writing, the check reads on to name
//! every bad row, and the transaction is rolled back (see [`run`]). A row whose natural key is
//! already stored is left as it is and counted as unchanged, so importing the same file twice
//! creates nothing the second time.

mod clinic_sessions;
pub mod context;
mod kpis;
mod operations;
mod outreach;
mod people;
pub mod read;
mod rollup;
mod teaching;
mod techniques;
pub mod template;
pub mod workbook;
mod workload;

use context::Context;
pub use context::Who;
use csv::StringRecord;
use read::Sheet;
pub use rollup::Contribution;
use serde::Serialize;
use sha2::{Digest, Sha256};
use shanhai_domain::Lang;
use shanhai_store::audit::{self, Action, Actor};
use shanhai_store::query::{Arg, insert_sql, sql_with};
use shanhai_store::{Db, StoreError};
use sqlx::AnyConnection;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use utoipa::ToSchema;

/// Natural keys, hashed with foldhash: a million keys are hashed twice per import (stored keys
/// loaded, then each row looked up and remembered), and SipHash, the standard library's
/// DoS-resistant default, cost about 3 % of a million-row import. foldhash is seeded per process
/// too, and the keys come from one authenticated user's file.
pub type Keys = foldhash::HashSet<String>;

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

/// Maps a record's problems to the columns that feed their fields: every problem the checks
/// found, each at its column (a row reports them all, not only the first).
pub fn on_column(
    columns: &'static [Column],
    invalid: impl Into<shanhai_domain::Problems>,
) -> Vec<Problem> {
    let problems: shanhai_domain::Problems = invalid.into();
    problems
        .iter()
        .map(|invalid| Problem {
            row: 0,
            column: columns
                .iter()
                .find(|c| c.fields.contains(&invalid.field.as_str())),
            header: None,
            // A report names no numbers: a rule that states its limits in numbers reads as its
            // general form there.
            key: match invalid.key {
                "error.text_at_most" => "error.too_long",
                "error.items_at_most" => "error.too_many",
                _ if !invalid.numbers.is_empty() => "error.out_of_range",
                key => key,
            },
            other_row: None,
        })
        .collect()
}

/// A lookup or a cell that stops a row's checks is one problem of the row's list.
impl From<Problem> for Vec<Problem> {
    fn from(p: Problem) -> Vec<Problem> {
        vec![p]
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
    /// with one delta row per roll-up key on SQLite (see [`rollup`]); `None` leaves the
    /// triggers firing.
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
    ) -> impl Future<Output = Result<Keys, StoreError>> + Send;

    /// What a new record adds to the roll-up rule of [`Self::ROLLUP_TABLE`], as the rule's
    /// insert trigger would add it; summed while checking. `None` (the default) has one grouped
    /// statement count the imported rows instead. The import tests check the roll-ups against
    /// a recount after bulk imports.
    fn contribution(_record: &Self::Record) -> Option<Contribution<'_>> {
        None
    }

    /// Reads one row into a record and its natural key, or says what is wrong with it (the
    /// caller's scope included).
    fn parse(row: &Row<'_>, cx: &Context) -> Result<Parsed<Self::Record>, Vec<Problem>>;

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

/// The schema of a kind's name: one of [`KINDS`].
pub fn kind_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(KINDS.iter().map(|(name, _)| *name)))
        .into()
}

/// The report as the API returns it and the page and the command line show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    #[schema(schema_with = kind_schema)]
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

/// The file as imported: its name and where it is on disk (it is read as a stream).
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub path: &'a std::path::Path,
    /// The file's SHA-256 when the receiver already computed it; otherwise the import reads
    /// the file once more for it, before it opens its write transaction.
    pub sha256: Option<&'a str>,
}

/// Rows written per call of [`ImportKind::write`].
const WRITE_BATCH: usize = 2000;

/// Rows checked between two yields of the checking side, so that the writing side (the other
/// half of the same task) hands the database its next statement promptly.
const YIELD_EVERY: usize = 64;

/// A batch of new records on its way to the writer, with the checker's estimate of how many new
/// rows the whole file holds (read by the first batch only).
struct Batch<R> {
    rows: Vec<(usize, R)>,
    estimate: usize,
}

/// The writing side's transaction, as the check left it.
struct Written<S> {
    tx: rollup::Tx,
    cache: Option<CacheBefore>,
    deferred: Option<rollup::Deferred>,
    state: S,
    problems: Vec<Problem>,
}

/// Imports a file of a known kind: see [`import`].
///
/// One pass over the file, in two halves of one task that run at once: the checker parses and
/// checks every row, and while every row so far is good it hands the new records, in batches,
/// to the writer, which inserts them in one transaction (opened with the first batch). The
/// database works on one batch on its own thread while the checker parses the next. The first
/// bad row stops the handing over; the checker goes on to the end of the file so the report
/// names every bad row, and the transaction is rolled back, so a file with any bad row writes
/// nothing. Only a file whose every row is good is committed, with its `imports` row and audit
/// entry in the same transaction.
pub async fn run<K: ImportKind>(
    db: &Db,
    actor: &Actor,
    who: Who,
    upload: Upload<'_>,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<Outcome, StoreError> {
    let t0 = std::time::Instant::now();
    let timings = std::env::var_os("SHANHAI_IMPORT_TIMINGS").is_some();
    let lap = |what: &str| {
        if timings {
            eprintln!("[import] {what}: {:.3} s", t0.elapsed().as_secs_f64());
        }
    };
    let mut outcome = Outcome {
        kind: K::NAME,
        rows: 0,
        created: 0,
        unchanged: 0,
        dry_run,
        problems: vec![],
        more_problems: 0,
    };
    // The file's hash is taken before the write transaction opens, off the async threads: a
    // large file must not hold SQLite's write lock while it is read.
    let sha256 = match (dry_run, upload.sha256) {
        (true, _) => String::new(),
        (false, Some(known)) => known.to_string(),
        (false, None) => {
            let path = upload.path.to_path_buf();
            tokio::task::spawn_blocking(move || file_sha256(&path))
                .await
                .map_err(|e| StoreError::Other(format!("hashing the file: {e}")))??
        }
    };
    let mut sheet = match Sheet::open(upload.path) {
        Ok(sheet) => sheet,
        Err(e) => {
            outcome.push(Problem::whole_row(e.key()));
            return Ok(outcome);
        }
    };
    let upload_bytes = std::fs::metadata(upload.path).map_or(0, |m| m.len() as usize);
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
    lap("context and stored keys loaded");

    let writes = !dry_run || K::CHECKED_ON_WRITE;
    // Set by the checker at the first bad row: nothing more is written, and the writer rolls
    // back as soon as it has seen the last batch.
    let failed = AtomicBool::new(false);
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Batch<K::Record>>(2);

    let writer = async {
        let mut written: Option<Written<K::State>> = None;
        while let Some(batch) = receiver.recv().await {
            if failed.load(Ordering::Relaxed) {
                continue;
            }
            let w = match &mut written {
                Some(w) => w,
                None => {
                    let bulk = rollup::is_bulk(db, K::ROLLUP_TABLE, batch.estimate).await?;
                    let mut tx = rollup::Tx::begin(db, bulk).await?;
                    let cache = tune_for_import(&mut tx, db.backend(), upload_bytes).await?;
                    let deferred = match K::ROLLUP_TABLE {
                        Some(table) => rollup::defer(&mut tx, db.backend(), table).await?,
                        None => None,
                    };
                    written.insert(Written {
                        tx,
                        cache,
                        deferred,
                        state: K::State::default(),
                        problems: vec![],
                    })
                }
            };
            let found = K::write(&mut w.tx, actor, &mut w.state, batch.rows).await?;
            w.problems.extend(found);
        }
        if failed.load(Ordering::Relaxed)
            && let Some(mut w) = written.take()
        {
            restore_tuning(&mut w.tx, w.cache).await?;
            w.tx.rollback().await?;
        }
        Ok::<_, StoreError>(written)
    };

    // The new records' roll-up contributions, summed by key as they are checked — only where
    // the import replaces the insert trigger (SQLite); PostgreSQL's triggers count every row.
    let mut sums = rollup::Sums::default();
    let sum_rollups = db.backend() == shanhai_store::Backend::Sqlite && K::ROLLUP_TABLE.is_some();
    let checker = async {
        let mut sender = writes.then_some(sender);
        let mut seen: foldhash::HashMap<String, usize> = foldhash::HashMap::default();
        let mut batch = Vec::with_capacity(WRITE_BATCH);
        let mut sent_any = false;
        let mut rows = sheet.rows();
        let mut record = StringRecord::new();
        while let Some(number) = rows.read(&mut record) {
            outcome.rows += 1;
            if outcome.rows.is_multiple_of(YIELD_EVERY) {
                if outcome.rows.is_multiple_of(4096) {
                    let (done, total) = rows.progress();
                    let phase = if sender.is_some() && sent_any {
                        Phase::Writing
                    } else {
                        Phase::Checking
                    };
                    progress.update(phase, done, total);
                }
                tokio::task::yield_now().await;
            }
            let row = Row {
                number,
                record: &record,
                positions: &positions,
            };
            let problems: Vec<Problem> = if record.iter().any(|c| c.contains('\u{fffd}')) {
                vec![Problem::whole_row("error.import_bad_encoding").in_row(number)]
            } else {
                match K::parse(&row, &cx) {
                    Err(ps) => ps.into_iter().map(|p| p.in_row(number)).collect(),
                    Ok(parsed) => {
                        let new = !stored.contains(&parsed.key);
                        let identity = parsed.identity.unwrap_or(parsed.key);
                        match seen.entry(identity) {
                            std::collections::hash_map::Entry::Occupied(first) => {
                                let mut p =
                                    Problem::whole_row("error.import_duplicate_row").in_row(number);
                                p.other_row = Some(*first.get());
                                vec![p]
                            }
                            std::collections::hash_map::Entry::Vacant(v) => {
                                v.insert(number);
                                if new {
                                    outcome.created += 1;
                                    if sender.is_some() {
                                        if sum_rollups {
                                            sums.add(K::contribution(&parsed.record));
                                        }
                                        batch.push((number, parsed.record));
                                    }
                                } else {
                                    outcome.unchanged += 1;
                                }
                                Vec::new()
                            }
                        }
                    }
                }
            };
            if !problems.is_empty() {
                for p in problems {
                    outcome.push(p);
                }
                if sender.take().is_some() {
                    failed.store(true, Ordering::Relaxed);
                    batch = Vec::new();
                }
            }
            if batch.len() == WRITE_BATCH
                && let Some(s) = &sender
            {
                // At most the new rows so far and every row left: what the writer's first
                // batch decides the index rebuild by (see `rollup::defer`). Overestimating
                // rebuilds indexes a file at least as large as the table could have inserted
                // into — work of the same order as reading the file.
                let estimate = if sent_any {
                    0
                } else {
                    outcome.created + rows.remaining_rows()
                };
                let full = std::mem::replace(&mut batch, Vec::with_capacity(WRITE_BATCH));
                if s.send(Batch {
                    rows: full,
                    estimate,
                })
                .await
                .is_err()
                {
                    // The writer failed; its error is what the import returns.
                    sender = None;
                }
                sent_any = true;
            }
        }
        // A file that stops part-way (a limit, a damaged workbook) is bad as a whole: the rows
        // after the failure were never checked, so nothing may be written.
        if let Some(e) = rows.take_failure() {
            outcome.push(Problem::whole_row(e.key()));
            if sender.take().is_some() {
                failed.store(true, Ordering::Relaxed);
            }
        }
        if let Some(s) = sender
            && !batch.is_empty()
        {
            let estimate = if sent_any { 0 } else { outcome.created };
            let _ = s
                .send(Batch {
                    rows: batch,
                    estimate,
                })
                .await;
        }
    };

    let ((), written) = tokio::join!(checker, writer);
    let written = written?;
    lap("checked and written");
    if outcome.rows == 0 {
        outcome.push(Problem::whole_row("error.import_empty"));
    }
    let Some(mut w) = written else {
        return Ok(outcome);
    };
    if !outcome.ok() || !w.problems.is_empty() || dry_run {
        // A bad row the checker found after the writer's last batch, or what only the database
        // could tell, or a dry run of a kind checked on write.
        restore_tuning(&mut w.tx, w.cache).await?;
        w.tx.rollback().await?;
        if outcome.ok() {
            w.problems.into_iter().for_each(|p| outcome.push(p));
        }
        return Ok(outcome);
    }
    if let Some(deferred) = w.deferred {
        deferred.finish(&mut w.tx, &sums).await?;
    }
    lap("indexes rebuilt, roll-ups added, trigger restored");
    record_import(&mut w.tx, actor, &upload, &sha256, &outcome).await?;
    restore_tuning(&mut w.tx, w.cache).await?;
    w.tx.commit().await?;
    lap("committed");
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

/// The connection's settings before the import changed them.
struct CacheBefore {
    cache_size: i64,
    threads: i64,
}

/// Enlarges the connection's page cache for the import and lets SQLite sort with a helper
/// thread (`PRAGMA threads`: the index rebuild of a large load sorts every row once per index);
/// returns the settings to restore.
async fn tune_for_import(
    conn: &mut AnyConnection,
    backend: shanhai_store::Backend,
    upload_bytes: usize,
) -> Result<Option<CacheBefore>, StoreError> {
    if backend != shanhai_store::Backend::Sqlite {
        return Ok(None);
    }
    let before = CacheBefore {
        cache_size: pragma(conn, "cache_size").await?,
        threads: pragma(conn, "threads").await?,
    };
    for set in [
        format!("PRAGMA cache_size = -{}", import_cache_kib(upload_bytes)),
        "PRAGMA threads = 2".to_string(),
    ] {
        sql_with(set, vec![]).execute(&mut *conn).await?;
    }
    Ok(Some(before))
}

async fn pragma(conn: &mut AnyConnection, name: &str) -> Result<i64, StoreError> {
    use sqlx::Row as _;
    Ok(sql_with(format!("PRAGMA {name}"), vec![])
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?)
}

/// Gives the pooled connection its usual settings back before it returns to the pool.
async fn restore_tuning(
    conn: &mut AnyConnection,
    before: Option<CacheBefore>,
) -> Result<(), StoreError> {
    if let Some(before) = before {
        for set in [
            format!("PRAGMA cache_size = {}", before.cache_size),
            format!("PRAGMA threads = {}", before.threads),
        ] {
            sql_with(set, vec![]).execute(&mut *conn).await?;
        }
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

/// The file's SHA-256, read as a stream.
fn file_sha256(path: &std::path::Path) -> Result<String, StoreError> {
    use std::io::Read as _;
    let io = |e: std::io::Error| StoreError::Other(format!("{}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match file.read(&mut buf).map_err(io)? {
            0 => return Ok(hex::encode(hasher.finalize())),
            n => hasher.update(&buf[..n]),
        }
    }
}

/// Remembers the file (by its SHA-256) and audits the import as one entry with its counts.
async fn record_import(
    conn: &mut AnyConnection,
    actor: &Actor,
    upload: &Upload<'_>,
    sha256: &str,
    outcome: &Outcome,
) -> Result<(), StoreError> {
    let id = shanhai_domain::ids::new_id();
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
            sha256.into(),
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

/// The natural keys stored in `table`: each row's `columns` (text, `NOT NULL`) joined by U+001F,
/// as the kinds' `key` functions join them. On SQLite the keys come a range of rowids at a time,
/// as one JSON array each (`json_group_array`): read row by row, sqlx's SQLite driver hands
/// every row from its worker thread to the caller's, and a million stored keys took 7–9 s of a
/// re-import that found every row unchanged.
pub(crate) async fn stored_keys_joined(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
) -> Result<Keys, StoreError> {
    use sqlx::Row as _;
    const ROWIDS_PER_READ: i64 = 16_384;
    let mut keys = Keys::default();
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        let joined = columns.join(" || char(31) || ");
        let (count, last): (i64, i64) = {
            let row = sql_with(
                format!("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM {table}"),
                vec![],
            )
            .fetch_one(&mut *conn)
            .await?;
            (row.try_get(0)?, row.try_get(1)?)
        };
        keys.reserve(count as usize);
        let sql = format!(
            "SELECT json_group_array({joined}) FROM {table} WHERE rowid > $1 AND rowid <= $2"
        );
        let mut from = 0;
        while from < last {
            let json: String = sql_with(
                sql.clone(),
                vec![Arg::Int(from), Arg::Int(from + ROWIDS_PER_READ)],
            )
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
            let some: Vec<String> = serde_json::from_str(&json)
                .map_err(|e| StoreError::Other(format!("stored keys of {table}: {e}")))?;
            keys.extend(some);
            from += ROWIDS_PER_READ;
        }
    } else {
        let joined = columns.join(" || chr(31) || ");
        for row in sql_with(format!("SELECT {joined} FROM {table}"), vec![])
            .fetch_all(&mut *conn)
            .await?
        {
            keys.insert(row.try_get(0)?);
        }
    }
    Ok(keys)
}

/// Rows per multi-row `INSERT`: one batch of [`WRITE_BATCH`] rows makes one statement.
const ROWS_PER_STATEMENT: usize = WRITE_BATCH;

/// Inserts rows, `id`, `created_at` and `updated_at` added to every row, with one statement per
/// [`ROWS_PER_STATEMENT`] rows. A column whose value is the same in every row of the statement
/// (`created_at` and `updated_at` always; in practice also the columns a file leaves empty or
/// fills alike) is bound once as a value of its own; the other columns go in one more bound
/// value, the rows as a JSON array of arrays, which the database unpacks itself (`jsonb_each` on
/// SQLite, `json_array_elements` on PostgreSQL; `->>` reads a cell on both, `NULL` for null, and
/// integer columns are cast to `BIGINT`). The values and their types are those the rows bound
/// one by one would have stored.
///
/// Why: binding every value separately cost more than the database's own work. Each value went
/// through `Arg`, sqlx's `AnyArguments` and its SQLite arguments — three heap copies — and was
/// freed on sqlx's SQLite worker thread, not the thread that allocated it; profiled on a
/// million-row import, `malloc`/`free` took about 30 % of the time. One JSON text per statement
/// is one allocation, and SQLite parses each row's array once (its JSON parse cache serves the
/// row's other cells). A cell is found by walking its row's array from the start, so each
/// column left out of the JSON saves work on every other column too.
pub(crate) async fn insert_many(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<(), StoreError> {
    let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let now = shanhai_store::now();
    let mut all = columns.to_vec();
    all.extend(["id", "created_at", "updated_at"]);
    let mut capacity = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let first = &chunk[0];
        let int: Vec<bool> = first
            .iter()
            .map(|a| matches!(a, Arg::Int(_) | Arg::OptInt(_)))
            .collect();
        let constant: Vec<bool> = (0..first.len())
            .map(|c| chunk.iter().all(|row| row[c] == first[c]))
            .collect();
        // The select list, in the table's column order: `$n` for a constant, a JSON cell for
        // the rest; the id is the last JSON cell, the timestamps two constants.
        let mut args: Vec<Arg> = vec![Arg::Text(String::new())];
        let mut cells = Vec::with_capacity(all.len());
        let mut json_cells = 0;
        for c in 0..first.len() {
            let value = if constant[c] {
                args.push(first[c].clone());
                format!("${}", args.len())
            } else {
                json_cells += 1;
                format!("j.value ->> {}", json_cells - 1)
            };
            cells.push(if int[c] {
                format!("CAST({value} AS BIGINT)")
            } else {
                value
            });
        }
        cells.push(format!("j.value ->> {json_cells}"));
        for _ in 0..2 {
            args.push(now.clone().into());
            cells.push(format!("${}", args.len()));
        }
        let source = if sqlite {
            "jsonb_each($1) AS j"
        } else {
            "json_array_elements(CAST($1 AS json)) AS j(value)"
        };
        let sql = format!(
            "INSERT INTO {table} ({}) SELECT {} FROM {source}",
            all.join(", "),
            cells.join(", ")
        );
        let mut json = String::with_capacity(capacity);
        json.push('[');
        let mut ids = ids::Batch::new(chunk.len());
        for (r, row) in chunk.iter().enumerate() {
            if r > 0 {
                json.push(',');
            }
            json.push('[');
            for (arg, _) in row.iter().zip(&constant).filter(|(_, c)| !**c) {
                push_json(&mut json, arg);
                json.push(',');
            }
            json.push('"');
            json.push_str(ids.next());
            json.push_str("\"]");
        }
        json.push(']');
        capacity = capacity.max(json.len() + json.len() / 8);
        args[0] = Arg::Text(json);
        sql_with(sql, args).execute(&mut *conn).await?;
    }
    Ok(())
}

/// UUIDv7 ids for bulk inserts without a call into the kernel's random generator per id (1.5–2 %
/// of a million-row import went to `getrandom`). RFC 9562's "fixed bit-length dedicated
/// counter" (method 1): the 74 bits after the version and variant are a counter that starts at
/// a random value (73 random bits from `rand`'s OS-seeded generator, the top bit clear so that it
/// cannot overflow) when a statement's millisecond is later than the last, and goes up by one
/// per id. So the ids of this process's bulk inserts are strictly increasing, and another
/// process's ids of the same millisecond collide with them no more often than random ones; the
/// random start costs one draw per statement, not per id.
mod ids {
    use std::sync::Mutex;

    /// The last millisecond and counter handed out.
    static LAST: Mutex<(u64, u128)> = Mutex::new((0, 0));

    const COUNTER_BITS: u32 = 74;

    pub(crate) struct Batch {
        millis: u64,
        counter: u128,
        text: [u8; 36],
    }

    impl Batch {
        /// Reserves `n` ids.
        pub(crate) fn new(n: usize) -> Batch {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
            let (millis, start) = if now > last.0 {
                let start = rand::random::<u128>() & ((1 << (COUNTER_BITS - 1)) - 1);
                (now, start)
            } else {
                // The same millisecond, or the clock went back: carry on from the last id.
                (last.0, last.1 + 1)
            };
            *last = (millis, start + n as u128);
            Batch {
                millis,
                counter: start,
                text: [0; 36],
            }
        }

        /// The next id, hyphenated in lower case.
        pub(crate) fn next(&mut self) -> &str {
            let c = self.counter;
            self.counter += 1;
            let mut bytes = [0u8; 10];
            // 74 counter bits: 12 in rand_a (after the version nibble), 62 in rand_b (after the
            // two variant bits).
            let rand_a = ((c >> 62) & 0xFFF) as u16;
            bytes[0] = (rand_a >> 8) as u8;
            bytes[1] = rand_a as u8;
            bytes[2..].copy_from_slice(&((c as u64) & ((1 << 62) - 1)).to_be_bytes());
            uuid::Builder::from_unix_timestamp_millis(self.millis, &bytes)
                .into_uuid()
                .hyphenated()
                .encode_lower(&mut self.text)
        }
    }
}

/// A value as JSON: a string, a whole number or null.
fn push_json(out: &mut String, arg: &Arg) {
    use std::fmt::Write as _;
    match arg {
        Arg::Text(s) | Arg::OptText(Some(s)) => push_json_str(out, s),
        Arg::Int(i) | Arg::OptInt(Some(i)) => {
            let _ = write!(out, "{i}");
        }
        Arg::OptText(None) | Arg::OptInt(None) => out.push_str("null"),
    }
}

/// A JSON string: `"` and `\` escaped, control characters as `\u00XX`, the rest as it is.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            // ASCII, so `i` is on a character boundary.
            out.push_str(&s[from..i]);
            match b {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                _ => {
                    let _ = write!(out, "\\u{b:04x}");
                }
            }
            from = i + 1;
        }
    }
    out.push_str(&s[from..]);
    out.push('"');
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
    let cell = row.cell(index);
    let is = |words: &[&str]| words.iter().any(|w| cell.eq_ignore_ascii_case(w));
    if is(&["", "否", "no", "n", "0", "false"]) {
        Ok(false)
    } else if is(&["是", "yes", "y", "1", "true"]) {
        Ok(true)
    } else {
        Err(Problem::at(&columns[index], "error.import_not_yes_no"))
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
        /// techniques, reported KPIs, workload reports.
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
    clinic_sessions::ClinicSessions,
    teaching::TeachingActivities,
    techniques::Techniques,
    kpis::Kpis,
    workload::WorkloadReports,
    operations::Operations,
    outreach::OutreachEvents,
);

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Connection, Executor, Row as _};

    #[test]
    fn json_strings_escape_quotes_backslashes_and_control_characters() {
        let mut out = String::new();
        push_json_str(&mut out, "a\"b\\c\td\n\u{1}中文😀");
        assert_eq!(out, r#""a\"b\\c\u0009d\u000a\u0001中文😀""#);
    }

    /// Every value lands as a bound value would: text as text, whole numbers as integers,
    /// nulls as null, across more than one statement.
    #[tokio::test]
    async fn insert_many_stores_each_value_as_bound() -> Result<(), Box<dyn std::error::Error>> {
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect("sqlite::memory:").await?;
        conn.execute(
            "CREATE TABLE t (n INTEGER NOT NULL, a TEXT, b INTEGER, c TEXT, d INTEGER, e TEXT, \
             id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
        )
        .await?;
        let odd = "引号\"反斜杠\\制表\t换行\n\u{1}😀 '单引号'";
        let rows: Vec<Vec<Arg>> = (0..ROWS_PER_STATEMENT as i64 + 5)
            .map(|n| match n {
                0 => vec![n.into(), odd.into(), Arg::OptInt(Some(i64::MIN))],
                1 => vec![n.into(), Arg::OptText(None), Arg::OptInt(None)],
                2 => vec![n.into(), "".into(), Arg::OptInt(Some(i64::MAX))],
                _ => vec![n.into(), format!("第{n}行").into(), Arg::OptInt(Some(n))],
            })
            // Columns the same in every row, bound once per statement: text, a null whole
            // number, and text that is the same in the second statement only.
            .enumerate()
            .map(|(i, mut row)| {
                let e = if i < ROWS_PER_STATEMENT && i % 2 == 0 {
                    "甲"
                } else {
                    "乙"
                };
                row.extend([odd.into(), Arg::OptInt(None), e.into()]);
                row
            })
            .collect();
        insert_many(&mut conn, "t", &["n", "a", "b", "c", "d", "e"], rows).await?;
        let got = sql_with(
            "SELECT n, a, b, typeof(n), typeof(a), typeof(b), length(id), created_at = updated_at, \
             c, typeof(d), e FROM t ORDER BY n"
                .into(),
            vec![],
        )
        .fetch_all(&mut conn)
        .await?;
        assert_eq!(got.len(), ROWS_PER_STATEMENT + 5);
        let row = |i: usize| -> Result<_, sqlx::Error> {
            let r = &got[i];
            Ok((
                r.try_get::<i64, _>(0)?,
                r.try_get::<Option<String>, _>(1)?,
                r.try_get::<Option<i64>, _>(2)?,
                r.try_get::<String, _>(3)?,
                r.try_get::<String, _>(4)?,
                r.try_get::<String, _>(5)?,
                r.try_get::<i64, _>(6)?,
                r.try_get::<i64, _>(7)?,
            ))
        };
        let text = |s: &str| Some(s.to_string());
        let types = |a: &str, b: &str| ("integer".to_string(), a.to_string(), b.to_string());
        let (n, a, b, tn, ta, tb, id, same) = row(0)?;
        assert_eq!((n, a, b, id, same), (0, text(odd), Some(i64::MIN), 36, 1));
        assert_eq!((tn, ta, tb), types("text", "integer"));
        let (n, a, b, tn, ta, tb, ..) = row(1)?;
        assert_eq!((n, a, b), (1, None, None));
        assert_eq!((tn, ta, tb), types("null", "null"));
        let (_, a, b, ..) = row(2)?;
        assert_eq!((a, b), (text(""), Some(i64::MAX)));
        let (n, a, b, ..) = row(ROWS_PER_STATEMENT + 4)?;
        let last = ROWS_PER_STATEMENT as i64 + 4;
        assert_eq!((n, a, b), (last, Some(format!("第{last}行")), Some(last)));
        for (i, r) in got.iter().enumerate() {
            let e = if i < ROWS_PER_STATEMENT && i % 2 == 0 {
                "甲"
            } else {
                "乙"
            };
            assert_eq!(
                (
                    r.try_get::<String, _>(8)?,
                    r.try_get::<String, _>(9)?,
                    r.try_get::<String, _>(10)?
                ),
                (odd.to_string(), "null".to_string(), e.to_string())
            );
        }
        Ok(())
    }

    /// Bulk ids are valid UUIDv7, in increasing order across batches, and all different.
    #[test]
    fn bulk_ids_are_increasing_uuid_v7() -> Result<(), uuid::Error> {
        let mut all = Vec::new();
        for n in [1, 2000, 3, 2000] {
            let mut batch = ids::Batch::new(n);
            for _ in 0..n {
                all.push(batch.next().to_string());
            }
        }
        for id in &all {
            let parsed = uuid::Uuid::try_parse(id)?;
            assert_eq!(parsed.get_version_num(), 7);
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
            assert_eq!(&parsed.hyphenated().to_string(), id);
        }
        assert!(all.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
        Ok(())
    }
}
