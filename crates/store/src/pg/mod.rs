//! The PostgreSQL store: one database shared by many fpshot nodes (feature `postgres`).
//!
//! Same schema shape and semantics as the SQLite store; claims use `FOR UPDATE SKIP LOCKED`, so
//! workers on many nodes take disjoint jobs without waiting on each other, and per-account quota
//! checks take a transaction-scoped advisory lock. Durability is PostgreSQL's own (a commit is
//! flushed to its WAL; concurrent commits are flushed together).

mod accounts;
mod codec;
mod jobs;
mod pipelines;

use crate::{Store, StoreError};
use async_trait::async_trait;
use codec::map_err;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use std::future::Future;
use std::sync::atomic::AtomicI64;
use std::time::Duration;
use tokio_postgres::NoTls;

type Result<T> = std::result::Result<T, StoreError>;

/// Append only, like the SQLite list.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/postgres/0001_init.sql")];

/// An arbitrary constant naming the advisory lock that serializes migrations across nodes.
const MIGRATION_LOCK: i64 = 0x6670_7368_6f74; // "fpshot"

#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Upper bound of every store call, waiting for a connection included.
    pub call_timeout: Duration,
    /// Connections in the pool.
    pub pool_size: usize,
    /// Tables live in this schema (created if missing) instead of the connection's default;
    /// lets tests and several deployments share one database.
    pub schema: Option<String>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            call_timeout: Duration::from_secs(10),
            pool_size: 16,
            schema: None,
        }
    }
}

/// The PostgreSQL implementation of [`Store`].
pub struct PgStore {
    pool: Pool,
    timeout: Duration,
    nonce_purged_at: AtomicI64,
}

impl PgStore {
    /// Connects (`postgres://user@host/db` or `host=... user=... dbname=...`) and migrates.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, PgOptions::default()).await
    }

    pub async fn connect_with(url: &str, opts: PgOptions) -> Result<Self> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Database(format!("bad PostgreSQL address: {e}")))?;
        let statement_ms = opts.call_timeout.as_millis();
        let mut options = format!("-c statement_timeout={statement_ms}");
        if let Some(schema) = &opts.schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                || schema.is_empty()
            {
                return Err(StoreError::Database(format!("bad schema name {schema:?}")));
            }
            options.push_str(&format!(" -c search_path={schema}"));
        }
        config.options(&options);
        config.connect_timeout(opts.call_timeout);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(opts.pool_size.max(1))
            .build()
            .map_err(|e| StoreError::Database(format!("cannot build the pool: {e}")))?;
        let store = PgStore {
            pool,
            timeout: opts.call_timeout,
            nonce_purged_at: AtomicI64::new(0),
        };
        store
            .timed(async {
                let mut c = store.client().await?;
                if let Some(schema) = &opts.schema {
                    c.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                        .await
                        .map_err(map_err)?;
                }
                migrate(&mut c).await
            })
            .await?;
        Ok(store)
    }

    async fn client(&self) -> Result<Object> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(format!("no PostgreSQL connection: {e}")))
    }

    /// Bounds a call by the store's timeout.
    async fn timed<T>(&self, f: impl Future<Output = Result<T>>) -> Result<T> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(out) => out,
            Err(_) => Err(StoreError::Unavailable(format!(
                "PostgreSQL call took longer than {:?}",
                self.timeout
            ))),
        }
    }

    /// The schema version of the connected database.
    pub async fn schema_version(&self) -> Result<i64> {
        self.timed(async {
            let c = self.client().await?;
            current_version(&c).await
        })
        .await
    }
}

async fn current_version<C: deadpool_postgres::GenericClient>(c: &C) -> Result<i64> {
    let row = c
        .query_one(
            "SELECT coalesce(max(version), 0)::BIGINT FROM schema_migrations",
            &[],
        )
        .await
        .map_err(map_err)?;
    row.try_get(0).map_err(map_err)
}

async fn migrate(c: &mut Object) -> Result<()> {
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)",
    )
    .await
    .map_err(map_err)?;
    let known = MIGRATIONS.len() as i64;
    let tx = c.transaction().await.map_err(map_err)?;
    // Nodes starting together migrate one after the other.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(map_err)?;
    let current = current_version(&tx).await?;
    if current > known {
        return Err(StoreError::Database(format!(
            "the database has schema version {current}, newer than this fpshot knows ({known}); \
             use a newer fpshot binary"
        )));
    }
    for (idx, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = idx as i64 + 1;
        tx.batch_execute(sql)
            .await
            .map_err(|e| StoreError::Database(format!("schema migration {version} failed: {e}")))?;
        let now = codec::to_ns(time::OffsetDateTime::now_utc());
        tx.execute(
            "INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)",
            &[&version, &now],
        )
        .await
        .map_err(map_err)?;
        tracing::info!(version, "PostgreSQL store schema migrated");
    }
    tx.commit().await.map_err(map_err)
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        self.timed(async {
            let c = self.client().await?;
            c.execute("SELECT 1", &[]).await.map_err(map_err)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
#[path = "pg_test.rs"]
mod tests;
