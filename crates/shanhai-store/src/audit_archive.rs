//! Audit retention (等保2.0 三级): entries are kept in the database for at least
//! [`MIN_KEEP_DAYS`]; older ones may be moved to an archive file, never edited. The file is JSON
//! lines (one entry per line, its columns exactly as stored, oldest first) with a SHA-256
//! checksum beside it (`FILE.sha256`, the format `sha256sum -c` reads) and in the
//! `audit_archives` table. The entries leave the table in the same transaction that records the
//! archive, and only after the file is on disk and read back; the database itself refuses any
//! other delete (migration 0031's trigger).

use crate::audit::{self, Action, Actor};
use crate::query::{self, int, opt_text, text};
use crate::{Db, Result, StoreError};
use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The shortest time an audit entry stays in the database.
pub const MIN_KEEP_DAYS: i64 = 180;

/// Rows read per query while writing the file.
const PAGE: i64 = 5_000;

/// One archive written.
#[derive(Debug, Clone, Serialize)]
pub struct Archived {
    pub id: String,
    pub file: PathBuf,
    pub entries: i64,
    pub sha256: String,
    pub before_date: String,
}

/// The latest date an archive may cut at today: entries from `today - MIN_KEEP_DAYS` on stay.
pub fn latest_cut(today_utc: NaiveDate) -> NaiveDate {
    today_utc - chrono::Duration::days(MIN_KEEP_DAYS)
}

/// Writes every entry older than `before` (at < `before`, UTC) to a new file in `dir`, records
/// the archive and removes those entries. Answers `None` when there is nothing that old.
/// Refused when `before` would remove an entry younger than [`MIN_KEEP_DAYS`].
pub async fn archive(
    db: &Db,
    actor: &Actor,
    before: NaiveDate,
    dir: &Path,
) -> Result<Option<Archived>> {
    let today = chrono::Utc::now().date_naive();
    if before > latest_cut(today) {
        return Err(StoreError::Other(format!(
            "audit entries are kept at least {MIN_KEEP_DAYS} days: the latest date an archive \
             may end before today is {}",
            latest_cut(today)
        )));
    }
    let cut = before.format("%Y-%m-%d").to_string();
    let count = int(
        &query::sql_with(
            "SELECT COUNT(*) AS n FROM audit_log WHERE at < $1".into(),
            vec![cut.clone().into()],
        )
        .fetch_one(db.pool())
        .await?,
        "n",
    )?;
    if count == 0 {
        return Ok(None);
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let name = format!("audit-before-{cut}-{stamp}.jsonl");
    let file = dir.join(&name);
    let partial = dir.join(format!("{name}.partial"));
    let written = write_file(db, &cut, &partial).await;
    let (entries, sha256, first_at, last_at) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    // Read back what reached the disk: the checksum must be the one computed while writing.
    let (lines, on_disk) = checksum_file(&partial).map_err(io)?;
    if lines != entries || on_disk != sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(StoreError::Other(format!(
            "the archive file {} does not read back as written",
            partial.display()
        )));
    }
    std::fs::rename(&partial, &file).map_err(io)?;
    write_checksum(&file, &name, &sha256).map_err(io)?;
    sync_dir(dir);

    let id = shanhai_domain::ids::new_id();
    let recorded = async {
        let mut tx = db.begin_write().await?;
        let row = serde_json::json!({
            "before_date": cut, "file_name": name, "entries": entries, "sha256": sha256,
            "first_at": first_at, "last_at": last_at,
        });
        query::sql_with(
            "INSERT INTO audit_archives (id, before_date, file_name, entries, sha256, first_at, \
             last_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                .into(),
            vec![
                id.clone().into(),
                cut.clone().into(),
                name.clone().into(),
                entries.into(),
                sha256.clone().into(),
                first_at.clone().into(),
                last_at.clone().into(),
                crate::now().into(),
            ],
        )
        .execute(&mut *tx)
        .await?;
        let removed = query::sql_with(
            "DELETE FROM audit_log WHERE at < $1".into(),
            vec![cut.clone().into()],
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if i64::try_from(removed).unwrap_or(-1) != entries {
            // Another archive ran at the same time: leave it to that one.
            tx.rollback().await?;
            return Err(StoreError::Other(format!(
                "{removed} entries older than {cut} found, {entries} archived: another archive ran \
                 at the same time; nothing removed"
            )));
        }
        audit::record::<(), _>(
            &mut tx,
            actor,
            Action::Create,
            "audit_archive",
            &id,
            None,
            Some(&row),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    }
    .await;
    if let Err(e) = recorded {
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_file(checksum_path(&file));
        return Err(e);
    }
    Ok(Some(Archived {
        id,
        file,
        entries,
        sha256,
        before_date: cut,
    }))
}

/// One line of an archive: the entry's columns exactly as stored.
#[derive(Serialize)]
struct Line {
    id: String,
    at: String,
    actor_id: Option<String>,
    actor_name: String,
    action: String,
    entity: String,
    entity_id: String,
    before_json: Option<String>,
    after_json: Option<String>,
    ip: Option<String>,
}

type Written = (i64, String, Option<String>, Option<String>);

async fn write_file(db: &Db, cut: &str, path: &Path) -> Result<Written> {
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io)?;
    let mut out = std::io::BufWriter::new(out);
    let mut hash = Sha256::new();
    let mut entries = 0i64;
    let (mut first_at, mut last_at) = (None, None);
    let mut after: Option<(String, String)> = None;
    loop {
        let (sql, args) = match &after {
            None => (
                format!("SELECT * FROM audit_log WHERE at < $1 ORDER BY at, id LIMIT {PAGE}"),
                vec![cut.into()],
            ),
            Some((at, id)) => (
                format!(
                    "SELECT * FROM audit_log WHERE at < $1 AND (at > $2 OR (at = $2 AND id > $3)) \
                     ORDER BY at, id LIMIT {PAGE}"
                ),
                vec![cut.into(), at.clone().into(), id.clone().into()],
            ),
        };
        let rows = query::sql_with(sql, args).fetch_all(db.pool()).await?;
        for r in &rows {
            let line = Line {
                id: text(r, "id")?,
                at: text(r, "at")?,
                actor_id: opt_text(r, "actor_id")?,
                actor_name: text(r, "actor_name")?,
                action: text(r, "action")?,
                entity: text(r, "entity")?,
                entity_id: text(r, "entity_id")?,
                before_json: opt_text(r, "before_json")?,
                after_json: opt_text(r, "after_json")?,
                ip: opt_text(r, "ip")?,
            };
            let mut bytes =
                serde_json::to_vec(&line).map_err(|e| StoreError::Other(e.to_string()))?;
            bytes.push(b'\n');
            hash.update(&bytes);
            out.write_all(&bytes).map_err(io)?;
            entries += 1;
            if first_at.is_none() {
                first_at = Some(line.at.clone());
            }
            last_at = Some(line.at.clone());
            after = Some((line.at, line.id));
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok((entries, hex::encode(hash.finalize()), first_at, last_at))
}

/// Lines and SHA-256 of a file, as read from disk.
pub fn checksum_file(path: &Path) -> std::io::Result<(i64, String)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut hash = Sha256::new();
    let mut lines = 0i64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as i64;
        hash.update(&buf[..n]);
    }
    Ok((lines, hex::encode(hash.finalize())))
}

fn checksum_path(file: &Path) -> PathBuf {
    let mut p = file.as_os_str().to_owned();
    p.push(".sha256");
    PathBuf::from(p)
}

fn write_checksum(file: &Path, name: &str, sha256: &str) -> std::io::Result<()> {
    let mut f = std::fs::File::create(checksum_path(file))?;
    writeln!(f, "{sha256}  {name}")?;
    f.sync_all()
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Other(format!("audit archive: {e}"))
}

/// The archives recorded, oldest first: (before_date, file_name, entries, sha256).
pub async fn list(db: &Db) -> Result<Vec<(String, String, i64, String)>> {
    let rows = sqlx::query(
        "SELECT before_date, file_name, entries, sha256 FROM audit_archives ORDER BY created_at",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                text(r, "before_date")?,
                text(r, "file_name")?,
                int(r, "entries")?,
                text(r, "sha256")?,
            ))
        })
        .collect()
}
