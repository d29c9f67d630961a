use crate::{Result, StoreError};
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Connection, Executor, Row, Transaction};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Other(format!(
                "unsupported database URL (use sqlite://… or postgres://…): {}",
                redact_url(url)
            )))
        }
    }
}

/// Hides the password in a database URL so it can be logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "dispatch_clinics",
        sqlite: include_str!("../migrations/sqlite/0002_dispatch_clinics.sql"),
        postgres: include_str!("../migrations/postgres/0002_dispatch_clinics.sql"),
    },
    Migration {
        version: 3,
        name: "settings",
        sqlite: include_str!("../migrations/sqlite/0003_settings.sql"),
        postgres: include_str!("../migrations/postgres/0003_settings.sql"),
    },
    Migration {
        version: 4,
        name: "consultations",
        sqlite: include_str!("../migrations/sqlite/0004_consultations.sql"),
        postgres: include_str!("../migrations/postgres/0004_consultations.sql"),
    },
    Migration {
        version: 5,
        name: "referrals",
        sqlite: include_str!("../migrations/sqlite/0005_referrals.sql"),
        postgres: include_str!("../migrations/postgres/0005_referrals.sql"),
    },
    Migration {
        version: 6,
        name: "webhooks",
        sqlite: include_str!("../migrations/sqlite/0006_webhooks.sql"),
        postgres: include_str!("../migrations/postgres/0006_webhooks.sql"),
    },
    Migration {
        version: 7,
        name: "attachments",
        sqlite: include_str!("../migrations/sqlite/0007_attachments.sql"),
        postgres: include_str!("../migrations/postgres/0007_attachments.sql"),
    },
    Migration {
        version: 8,
        name: "capacity",
        sqlite: include_str!("../migrations/sqlite/0008_capacity.sql"),
        postgres: include_str!("../migrations/postgres/0008_capacity.sql"),
    },
    Migration {
        version: 9,
        name: "imports",
        sqlite: include_str!("../migrations/sqlite/0009_imports.sql"),
        postgres: include_str!("../migrations/postgres/0009_imports.sql"),
    },
    Migration {
        version: 10,
        name: "kpis",
        sqlite: include_str!("../migrations/sqlite/0010_kpis.sql"),
        postgres: include_str!("../migrations/postgres/0010_kpis.sql"),
    },
    Migration {
        version: 11,
        name: "rollups",
        sqlite: include_str!("../migrations/sqlite/0011_rollups.sql"),
        postgres: include_str!("../migrations/postgres/0011_rollups.sql"),
    },
    Migration {
        version: 12,
        name: "rollup_rules",
        sqlite: include_str!("../migrations/sqlite/0012_rollup_rules.sql"),
        postgres: include_str!("../migrations/postgres/0012_rollup_rules.sql"),
    },
    Migration {
        version: 13,
        name: "rollup_deltas",
        sqlite: include_str!("../migrations/sqlite/0013_rollup_deltas.sql"),
        postgres: include_str!("../migrations/postgres/0013_rollup_deltas.sql"),
    },
    Migration {
        version: 14,
        name: "rollup_edge_index",
        sqlite: include_str!("../migrations/sqlite/0014_rollup_edge_index.sql"),
        postgres: include_str!("../migrations/postgres/0014_rollup_edge_index.sql"),
    },
    Migration {
        version: 15,
        name: "workload_reports",
        sqlite: include_str!("../migrations/sqlite/0015_workload_reports.sql"),
        postgres: include_str!("../migrations/postgres/0015_workload_reports.sql"),
    },
    Migration {
        version: 16,
        name: "rollups_daily",
        sqlite: include_str!("../migrations/sqlite/0016_rollups_daily.sql"),
        postgres: include_str!("../migrations/postgres/0016_rollups_daily.sql"),
    },
    Migration {
        version: 17,
        name: "rollups_yearly",
        sqlite: include_str!("../migrations/sqlite/0017_rollups_yearly.sql"),
        postgres: include_str!("../migrations/postgres/0017_rollups_yearly.sql"),
    },
    Migration {
        version: 18,
        name: "rollups_program_order",
        sqlite: include_str!("../migrations/sqlite/0018_rollups_program_order.sql"),
        postgres: include_str!("../migrations/postgres/0018_rollups_program_order.sql"),
    },
    Migration {
        version: 19,
        name: "rollups_province",
        sqlite: include_str!("../migrations/sqlite/0019_rollups_province.sql"),
        postgres: include_str!("../migrations/postgres/0019_rollups_province.sql"),
    },
    Migration {
        version: 20,
        name: "booking_limits",
        sqlite: include_str!("../migrations/sqlite/0020_booking_limits.sql"),
        postgres: include_str!("../migrations/postgres/0020_booking_limits.sql"),
    },
    Migration {
        version: 21,
        name: "days_served",
        sqlite: include_str!("../migrations/sqlite/0021_days_served.sql"),
        postgres: include_str!("../migrations/postgres/0021_days_served.sql"),
    },
    Migration {
        version: 23,
        name: "people_and_referral_acceptance",
        sqlite: include_str!("../migrations/sqlite/0023_people_and_referral_acceptance.sql"),
        postgres: include_str!("../migrations/postgres/0023_people_and_referral_acceptance.sql"),
    },
    Migration {
        version: 24,
        name: "operations",
        sqlite: include_str!("../migrations/sqlite/0024_operations.sql"),
        postgres: include_str!("../migrations/postgres/0024_operations.sql"),
    },
    Migration {
        version: 25,
        name: "outreach_events",
        sqlite: include_str!("../migrations/sqlite/0025_outreach_events.sql"),
        postgres: include_str!("../migrations/postgres/0025_outreach_events.sql"),
    },
    Migration {
        version: 26,
        name: "teams",
        sqlite: include_str!("../migrations/sqlite/0026_teams.sql"),
        postgres: include_str!("../migrations/postgres/0026_teams.sql"),
    },
    Migration {
        version: 27,
        name: "training",
        sqlite: include_str!("../migrations/sqlite/0027_training.sql"),
        postgres: include_str!("../migrations/postgres/0027_training.sql"),
    },
    Migration {
        version: 28,
        name: "briefing_preferences",
        sqlite: include_str!("../migrations/sqlite/0028_briefing_preferences.sql"),
        postgres: include_str!("../migrations/postgres/0028_briefing_preferences.sql"),
    },
    Migration {
        version: 29,
        name: "planning",
        sqlite: include_str!("../migrations/sqlite/0029_planning.sql"),
        postgres: include_str!("../migrations/postgres/0029_planning.sql"),
    },
    Migration {
        version: 30,
        name: "plan_digest",
        sqlite: include_str!("../migrations/sqlite/0030_plan_digest.sql"),
        postgres: include_str!("../migrations/postgres/0030_plan_digest.sql"),
    },
    Migration {
        version: 31,
        name: "audit_archives",
        sqlite: include_str!("../migrations/sqlite/0031_audit_archives.sql"),
        postgres: include_str!("../migrations/postgres/0031_audit_archives.sql"),
    },
    Migration {
        version: 32,
        name: "calendar_feeds",
        sqlite: include_str!("../migrations/sqlite/0032_calendar_feeds.sql"),
        postgres: include_str!("../migrations/postgres/0032_calendar_feeds.sql"),
    },
];

/// A connection pool and the backend behind it.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyPoolOptions::new()
            // PostgreSQL away (restarting, network gone): a request waits this long for the
            // pool to reconnect, then answers 503 with Retry-After instead of hanging. Every
            // idle connection is pinged before it is handed out (sqlx's default), so the ones
            // a restart broke are dropped and replaced.
            .acquire_timeout(match backend {
                Backend::Sqlite => Duration::from_secs(30),
                Backend::Postgres => Duration::from_secs(10),
            })
            .test_before_acquire(true)
            // SQLite readers compete for the same few cores as the booking writer, which holds a
            // connection of its own; a handful is enough.
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            });
        let options = match backend {
            Backend::Sqlite => options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let pool = options.connect(url).await?;
        Ok(Db { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so a read-then-write transaction waits for the lock instead of
    /// failing with SQLITE_BUSY when it upgrades.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Applies the migrations this binary knows and the database has not seen. Several servers
    /// starting together on one PostgreSQL take turns through an advisory lock.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_lock(727274)")
                .execute(&mut *conn)
                .await?;
        }
        let applied = migrate_on(&mut conn, self.backend).await;
        // The roll-up triggers are generated from the rules in code: (re)installed, with a
        // rebuild, whenever they differ from what the database has.
        let applied = match applied {
            Ok(a) => crate::rollups::install_on(&mut conn, self.backend)
                .await
                .map(|_| a),
            Err(e) => Err(e),
        };
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_unlock(727274)")
                .execute(&mut *conn)
                .await?;
        }
        applied
    }

    /// Names of the tables and their columns, sorted, for comparing the two backends' schemas.
    pub async fn schema_outline(&self) -> Result<Vec<(String, String)>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT m.name AS table_name, p.name AS column_name \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
            }
            Backend::Postgres => {
                "SELECT table_name::text AS table_name, column_name::text AS column_name \
                 FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("table_name")?, r.try_get("column_name")?)))
            .collect()
    }

    /// Writes a consistent copy of an SQLite database to `path` while it is in use.
    pub async fn backup_to(&self, path: &str) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Other("backup_to is for SQLite".into()));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn migrate_on(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<i64>> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations \
         (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    let done: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("version"))
        .collect::<Result<_, _>>()?;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let sql = match backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(crate::now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        applied.push(m.version);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact_url("postgres://app:secret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact_url("sqlite:///data/shanhai.db"),
            "sqlite:///data/shanhai.db"
        );
    }
}
