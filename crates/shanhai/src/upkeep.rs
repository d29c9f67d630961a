//! What `serve` does on a schedule besides serving: SQLite backups (`--backup-every`,
//! `--backup-keep`) and audit retention (`--audit-keep-days`).

use crate::cli::say;
use anyhow::{Result, bail};
use shanhai_domain::Lang;
use shanhai_store::audit::Actor;
use shanhai_store::audit_archive::{self, MIN_KEEP_DAYS};
use shanhai_store::{Backend, Db};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The schedule `serve` was given.
pub struct Upkeep {
    pub backup_every: Option<String>,
    pub backup_keep: usize,
    pub audit_keep_days: Option<i64>,
}

/// `24h`, `30m`, `90s`, `7d` (a number alone is seconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok()?;
    let seconds = match unit.trim() {
        "" | "s" => n,
        "m" | "min" => n.checked_mul(60)?,
        "h" => n.checked_mul(3_600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// Checks the schedule and starts it (the first backup and archive run at once).
pub fn start(db: &Db, data_dir: &Path, upkeep: &Upkeep, lang: Lang) -> Result<()> {
    if let Some(days) = upkeep.audit_keep_days {
        if days < MIN_KEEP_DAYS {
            bail!(
                "{} {MIN_KEEP_DAYS}",
                say(
                    lang,
                    "--audit-keep-days 不得少于（等保 三级要求审计日志至少保留 180 天）",
                    "--audit-keep-days must be at least (等保 level 3 keeps the audit log 180 days)"
                )
            );
        }
        tokio::spawn(audit_retention(
            db.clone(),
            data_dir.join("audit-archive"),
            days,
        ));
    }
    let Some(every) = &upkeep.backup_every else {
        return Ok(());
    };
    let Some(every) = parse_duration(every) else {
        bail!(
            "{} {every:?}",
            say(
                lang,
                "--backup-every 应为时长，如 24h、30m、90s：",
                "--backup-every takes a duration such as 24h, 30m or 90s:"
            )
        );
    };
    if db.backend() == Backend::Postgres {
        bail!(say(
            lang,
            "--backup-every 只用于 SQLite。PostgreSQL 请用 cron 定时执行 pg_dump --format=custom（见 README 的 “Backups and restore” 一节）。",
            "--backup-every is for SQLite. For PostgreSQL, run pg_dump --format=custom from cron (README, \"Backups and restore\")."
        ));
    }
    if upkeep.backup_keep == 0 {
        bail!(say(
            lang,
            "--backup-keep 至少为 1",
            "--backup-keep must be at least 1"
        ));
    }
    tokio::spawn(backups(
        db.clone(),
        data_dir.join("backups"),
        every,
        upkeep.backup_keep,
    ));
    Ok(())
}

async fn backups(db: Db, dir: PathBuf, every: Duration, keep: usize) {
    loop {
        match backup_once(&db, &dir, keep).await {
            Ok(file) => tracing::info!(file = %file.display(), "scheduled backup written"),
            Err(e) => tracing::error!("scheduled backup failed: {e:#}"),
        }
        tokio::time::sleep(every).await;
    }
}

/// One online backup (`VACUUM INTO` a partial file, then a rename), and the oldest removed
/// beyond `keep`.
pub async fn backup_once(db: &Db, dir: &Path, keep: usize) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = format!(
        "shanhai-{}.db",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    );
    let file = dir.join(&name);
    let partial = dir.join(format!("{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    if let Err(e) = db.backup_to(&partial.to_string_lossy()).await {
        let _ = std::fs::remove_file(&partial);
        return Err(e.into());
    }
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, &file)?;
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("shanhai-") && n.ends_with(".db"))
        })
        .collect();
    all.sort();
    let excess = all.len().saturating_sub(keep);
    for old in &all[..excess] {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::warn!(file = %old.display(), "old backup not removed: {e}");
        }
    }
    Ok(file)
}

async fn audit_retention(db: Db, dir: PathBuf, keep_days: i64) {
    loop {
        let before = chrono::Utc::now().date_naive() - chrono::Duration::days(keep_days);
        match audit_archive::archive(&db, &Actor::system("audit-retention"), before, &dir).await {
            Ok(Some(a)) => tracing::info!(
                file = %a.file.display(),
                entries = a.entries,
                "audit entries before {} archived",
                a.before_date
            ),
            Ok(None) => {}
            Err(e) => tracing::error!("audit archive failed: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(86_400)).await;
    }
}

/// `shanhai audit archive --before DATE [--to DIR]`.
pub async fn archive_command(
    db: &Db,
    data_dir: &Path,
    before: chrono::NaiveDate,
    to: Option<&Path>,
    lang: Lang,
) -> Result<()> {
    let dir = to
        .map(Path::to_path_buf)
        .unwrap_or_else(|| data_dir.join("audit-archive"));
    let latest = audit_archive::latest_cut(chrono::Utc::now().date_naive());
    if before > latest {
        bail!(
            "{} {latest}",
            say(
                lang,
                "审计日志至少保留 180 天（等保 三级）：--before 最晚为",
                "audit entries are kept at least 180 days (等保 level 3): --before may be at most"
            )
        );
    }
    match audit_archive::archive(db, &Actor::system("cli"), before, &dir).await? {
        Some(a) => println!(
            "{} {}: {} {} (SHA-256 {})",
            say(lang, "已归档", "archived to"),
            a.file.display(),
            a.entries,
            say(lang, "条", "entries"),
            a.sha256
        ),
        None => println!(
            "{} {before}",
            say(
                lang,
                "没有早于此日期的审计条目：",
                "no audit entries before"
            )
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1_800)));
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("0h"), None);
        assert_eq!(parse_duration("soon"), None);
    }
}
