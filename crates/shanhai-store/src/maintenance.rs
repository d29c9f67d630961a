//! What a restore asks of an SQLite file before and after it is swapped in.

use crate::{Backend, Db, Result, StoreError};
use sqlx::Row;

impl Db {
    fn sqlite_only(&self) -> Result<()> {
        match self.backend() {
            Backend::Sqlite => Ok(()),
            Backend::Postgres => Err(StoreError::Other("an SQLite file operation".into())),
        }
    }

    /// SQLite's `PRAGMA integrity_check`: `["ok"]` for a sound file, else what is wrong.
    pub async fn integrity_check(&self) -> Result<Vec<String>> {
        self.sqlite_only()?;
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>(0)?))
            .collect()
    }

    /// Whether the file holds a Shanhai schema at all (any migration applied).
    pub async fn has_shanhai_schema(&self) -> Result<bool> {
        self.sqlite_only()?;
        Ok(sqlx::query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'instance_settings'",
        )
        .fetch_optional(self.pool())
        .await?
        .is_some())
    }

    /// Folds the write-ahead log into the main file and empties it, so that the main file alone
    /// is the whole database.
    pub async fn checkpoint(&self) -> Result<()> {
        self.sqlite_only()?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
