//! `shanhai restore --from FILE` (SQLite), and the lock that tells it a server is running.
//!
//! Every `shanhai serve` on SQLite holds a shared `flock` on `DATABASE.lock` for as long as it
//! runs; the kernel drops it when the process ends, however it ends (`kill -9` included), so a
//! crashed server never leaves a stale lock behind. A restore takes the same lock exclusively
//! and is refused while any server holds it; a server started during a restore is refused too.

use crate::cli::say;
use anyhow::{Context, Result, bail};
use shanhai_domain::Lang;
use shanhai_store::crypto::PatientCipher;
use shanhai_store::{Backend, Db};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The SQLite file a `sqlite://` URL names.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn lock_path(db_file: &Path) -> PathBuf {
    with_suffix(db_file, ".lock")
}

/// Held by a running server (shared: several servers may share one SQLite file).
pub struct ServerLock {
    _file: File,
}

impl ServerLock {
    /// For `serve` on SQLite; `None` on PostgreSQL (a restore there is pg_restore's business).
    pub fn take(url: &str, lang: Lang) -> Result<Option<ServerLock>> {
        let Some(db_file) = sqlite_file(url) else {
            return Ok(None);
        };
        if let Some(dir) = db_file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let path = lock_path(&db_file);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("{}", path.display()))?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Some(ServerLock { _file: file })),
            Err(TryLockError::WouldBlock) => bail!(
                "{} {}",
                say(
                    lang,
                    "正在恢复数据库，服务暂不能启动：",
                    "a restore is replacing the database; the server cannot start now:"
                ),
                db_file.display()
            ),
            Err(TryLockError::Error(e)) => Err(e).context(path.display().to_string()),
        }
    }
}

/// Restores `from` over the data directory's SQLite database; answers whether the restored
/// database passes `verify`'s checks.
pub async fn run(url: &str, data_dir: &Path, from: &Path, lang: Lang) -> Result<bool> {
    if Backend::from_url(url)? == Backend::Postgres {
        bail!(
            "{}\n  pg_restore --clean --if-exists --no-owner --dbname \"$SHANHAI_DATABASE_URL\" FILE\n{}",
            say(
                lang,
                "PostgreSQL 请用 pg_restore 恢复（先停止服务），例如：",
                "For PostgreSQL, restore with pg_restore (stop the servers first), e.g.:"
            ),
            say(
                lang,
                "然后运行 shanhai verify。详见 README 的 “Backups and restore” 一节。",
                "then run shanhai verify. See README, \"Backups and restore\"."
            )
        );
    }
    let Some(target) = sqlite_file(url) else {
        bail!("{url}");
    };
    if !from.is_file() {
        bail!(
            "{} {}",
            say(lang, "备份文件不存在：", "no such backup file:"),
            from.display()
        );
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }

    // 1. No server may be using the database, and none may start until we are done.
    let lock_file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(&target))?;
    match lock_file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => bail!(
            "{} {}",
            say(
                lang,
                "有服务正在使用该数据库，请先停止服务再恢复：",
                "a server is using this database; stop it before restoring:"
            ),
            target.display()
        ),
        Err(TryLockError::Error(e)) => return Err(e.into()),
    }

    // 2. The key: it must exist already (a new one could never read the backup) and match.
    let key_file = data_dir.join("keys").join("patient.key");
    if std::env::var_os("SHANHAI_PATIENT_KEY").is_none() && !key_file.is_file() {
        bail!(
            "{} {}",
            say(
                lang,
                "数据目录中没有患者数据密钥；请先把与该备份配套的密钥放到",
                "there is no patient-data key in the data directory; put the key that belongs with this backup at"
            ),
            key_file.display()
        );
    }
    let cipher = PatientCipher::load(data_dir).context(say(
        lang,
        "无法读取患者数据密钥",
        "cannot load the patient-data key",
    ))?;

    // 3. A checked copy beside the database: same file system, so the swap is one rename.
    let staged = with_suffix(&target, ".restoring");
    for leftover in [
        staged.clone(),
        with_suffix(&staged, "-wal"),
        with_suffix(&staged, "-shm"),
    ] {
        let _ = std::fs::remove_file(leftover);
    }
    std::fs::copy(from, &staged).with_context(|| {
        format!(
            "{} {} → {}",
            say(lang, "无法复制备份", "cannot copy the backup"),
            from.display(),
            staged.display()
        )
    })?;
    let checked = check_staged(&staged, &cipher, lang).await;
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&staged);
        return Err(e);
    }

    // 4. The current database, complete in its main file (WAL checkpointed), kept aside.
    let kept = if target.exists() {
        let current = Db::connect(&format!("sqlite://{}", target.display())).await?;
        current.checkpoint().await?;
        current.close().await;
        let kept = with_suffix(
            &target,
            &format!(
                ".before-restore-{}",
                chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
            ),
        );
        std::fs::hard_link(&target, &kept)
            .or_else(|_| std::fs::copy(&target, &kept).map(|_| ()))?;
        Some(kept)
    } else {
        None
    };
    // 5. The swap: one rename replaces the file; a stale WAL must not be replayed onto it.
    for stale in [with_suffix(&target, "-wal"), with_suffix(&target, "-shm")] {
        let _ = std::fs::remove_file(stale);
    }
    std::fs::rename(&staged, &target)?;
    if let Some(dir) = target.parent()
        && let Ok(d) = File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        let _ = d.sync_all();
    }
    println!(
        "{} {} → {}",
        say(lang, "已恢复：", "restored:"),
        from.display(),
        target.display()
    );
    if let Some(kept) = kept {
        println!(
            "{} {}",
            say(
                lang,
                "原数据库保留为",
                "the database it replaced is kept as"
            ),
            kept.display()
        );
    }

    // 6. The same checks as `shanhai verify`.
    let db = Db::connect(url).await?;
    let ok = crate::verify::run(&db, false, false, lang).await;
    db.close().await;
    drop(lock_file);
    ok
}

/// Opens the staged copy: SQLite's integrity check, migrations to this binary's schema, the
/// key's fingerprint; then leaves it closed, its WAL folded into the main file.
async fn check_staged(staged: &Path, cipher: &PatientCipher, lang: Lang) -> Result<()> {
    let db = Db::connect(&format!("sqlite://{}", staged.display()))
        .await
        .context(say(
            lang,
            "备份文件不是可读的 SQLite 数据库",
            "the backup is not a readable SQLite database",
        ))?;
    let result = async {
        let verdict = db.integrity_check().await.context(say(
                lang,
                "备份文件不是可读的 SQLite 数据库",
                "the backup is not a readable SQLite database",
        ))?;
        if verdict != ["ok"] {
            bail!(
                "{} {}",
                say(
                    lang,
                    "备份文件未通过 SQLite 完整性检查：",
                    "the backup fails SQLite's integrity check:"
                ),
                verdict.join("; ")
            );
        }
        if !db.has_shanhai_schema().await? {
            bail!(say(
                lang,
                "该文件不是山海的数据库备份",
                "the file is not a backup of a Shanhai database"
            ));
        }
        let applied = db
            .migrate()
            .await
            .context(say(lang, "数据库迁移失败", "migration failed"))?;
        if !applied.is_empty() {
            println!(
                "{} {applied:?}",
                say(lang, "已对备份应用数据库迁移", "applied migrations to the backup")
            );
        }
        shanhai_store::crypto::ensure_key_matches(&db, cipher)
            .await
            .map_err(|e| match e {
                shanhai_store::StoreError::Other(_) => anyhow::anyhow!(say(
                    lang,
                    "备份所用的患者数据密钥与本数据目录的不同：请使用与该备份配套的密钥（DATA_DIR/keys/patient.key 或 SHANHAI_PATIENT_KEY），否则其中的身份信息无法读取",
                    "the backup was made under another patient-data key than this data directory's: use the key that belongs with the backup (DATA_DIR/keys/patient.key or SHANHAI_PATIENT_KEY), or its identifiers cannot be read"
                )),
                other => anyhow::anyhow!(other),
            })?;
        db.checkpoint().await?;
        Ok(())
    }
    .await;
    db.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_file_is_read_from_the_url() {
        assert_eq!(
            sqlite_file("sqlite:///data/shanhai.db?mode=rwc"),
            Some(PathBuf::from("/data/shanhai.db"))
        );
        assert_eq!(
            sqlite_file("sqlite://data/shanhai.db"),
            Some(PathBuf::from("data/shanhai.db"))
        );
        assert_eq!(sqlite_file("postgres://x@y/z"), None);
    }
}
