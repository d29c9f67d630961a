//! What the benchmarks need to run on PostgreSQL: a throwaway cluster (scripts/pg.sh) or a
//! given server, and a database of their own in it.

use anyhow::{Context, Result, anyhow, bail};
use shanhai_store::Db;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the workspace is: bench/ sits at its root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A PostgreSQL cluster started with scripts/pg.sh in `dir` (created there, or the one already
/// there started again), stopped at the end; the caller decides whether `dir` is removed.
pub struct Cluster {
    dir: PathBuf,
}

impl Cluster {
    pub fn start(dir: PathBuf) -> Result<(Cluster, String)> {
        let port = free_port()?;
        let script = workspace_root().join("scripts").join("pg.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(&dir)
            .arg(port.to_string())
            .output()
            .context("run scripts/pg.sh start")?;
        if !out.status.success() {
            bail!(
                "scripts/pg.sh start failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok((
            Cluster { dir },
            format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        ))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = workspace_root().join("scripts").join("pg.sh");
        let _ = Command::new("bash")
            .arg(&script)
            .arg("stop")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .status();
    }
}

/// A PostgreSQL database of the run's own on a server; [`PgDatabase::drop_database`] drops it.
pub struct PgDatabase {
    base: String,
    name: String,
}

impl PgDatabase {
    /// A fresh database with a new name.
    pub async fn create(base: &str) -> Result<(PgDatabase, String)> {
        let name = format!("shanhai_bench_{}", uuid::Uuid::now_v7().simple());
        let (db, url, _) = PgDatabase::named(base, &name).await?;
        Ok((db, url))
    }

    /// The database `name` on the server `base` (a URL to any database of it), created unless
    /// it exists; also returns whether it existed.
    pub async fn named(base: &str, name: &str) -> Result<(PgDatabase, String, bool)> {
        let admin = Db::connect(base).await.context("connect to PostgreSQL")?;
        let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(name.to_string())
            .fetch_optional(admin.pool())
            .await?
            .is_some();
        if !exists {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(admin.pool())
                .await
                .context("create database")?;
        }
        admin.close().await;
        let (prefix, _) = base
            .rsplit_once('/')
            .ok_or_else(|| anyhow!("the database URL needs a /DATABASE path"))?;
        let url = format!("{prefix}/{name}");
        Ok((
            PgDatabase {
                base: base.to_string(),
                name: name.to_string(),
            },
            url,
            exists,
        ))
    }

    pub async fn drop_database(&self) {
        if let Ok(admin) = Db::connect(&self.base).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(admin.pool())
            .await;
            admin.close().await;
        }
    }
}
