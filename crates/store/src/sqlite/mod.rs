//! The embedded store: one SQLite file in WAL mode.
//!
//! Durability: `journal_mode=WAL` with `synchronous=NORMAL`. A commit is in the WAL file (the OS
//! page cache) before the caller hears back, so a process crash or `kill -9` loses nothing that
//! was acknowledged; only a power loss or OS crash can lose the last commits (WAL is fsynced at
//! checkpoints). `synchronous=FULL` (`SqliteOptions::full_sync`) closes that gap at a large cost
//! per commit, which group commit amortizes.

mod accounts;
pub(crate) mod codec;
mod conn;
mod fpdbs;
mod jobs;
mod migrate;
mod pipelines;

#[cfg(any(test, feature = "postgres"))]
pub(crate) use jobs::RETENTION_CHUNK;
pub use pipelines::{
    DEFAULT_PIPELINE_NAME, DEFAULT_PIPELINE_PRIORITY, DEFAULT_PIPELINE_QUOTA_ALLOCATE,
    DEFAULT_PIPELINE_SPEED, DEFAULT_PIPELINE_SPEED_LEVEL, default_pipeline,
};

use crate::{Store, StoreError};
use async_trait::async_trait;
use conn::{Readers, Writer};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicI64;
use std::time::Duration;

type Result<T> = std::result::Result<T, StoreError>;

/// Tuning of the SQLite store; the defaults suit a single server.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Upper bound of every store call, queueing included; past it the call fails `Unavailable`.
    pub call_timeout: Duration,
    /// How long SQLite waits for a lock held by another connection or process.
    pub busy_timeout: Duration,
    /// Read-only connections beside the writer.
    pub readers: usize,
    /// `synchronous=FULL` instead of `NORMAL`: survives power loss, costs an fsync per commit.
    pub full_sync: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            call_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(5),
            readers: 4,
            full_sync: false,
        }
    }
}

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    writer: Writer,
    /// None for an in-memory database: its only connection is the writer's.
    readers: Option<Readers>,
    timeout: Duration,
    path: Option<PathBuf>,
    /// Unix seconds of the last automatic purge of expired nonces (see `record_nonce`).
    nonce_purged_at: AtomicI64,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, SqliteOptions::default())
    }

    pub fn open_with(path: &Path, opts: SqliteOptions) -> Result<Self> {
        let mut conn = Connection::open(path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        configure(&conn, &opts)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(codec::map_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Database(format!(
                "{} cannot use WAL mode (got {mode})",
                path.display()
            )));
        }
        migrate::migrate(&mut conn)?;
        let reader_path = path.to_path_buf();
        let reader_opts = opts.clone();
        let readers = Readers::new(
            opts.readers.max(1),
            Box::new(move || open_reader(&reader_path, &reader_opts)),
        )?;
        Ok(SqliteStore {
            writer: Writer::start(conn)?,
            readers: Some(readers),
            timeout: opts.call_timeout,
            path: Some(path.to_path_buf()),
            nonce_purged_at: AtomicI64::new(0),
        })
    }

    /// A private database that lives as long as this value (tests, `--data-dir` free runs).
    pub fn open_in_memory() -> Result<Self> {
        let opts = SqliteOptions::default();
        let mut conn = Connection::open_in_memory().map_err(codec::map_err)?;
        configure(&conn, &opts)?;
        migrate::migrate(&mut conn)?;
        Ok(SqliteStore {
            writer: Writer::start(conn)?,
            readers: None,
            timeout: opts.call_timeout,
            path: None,
            nonce_purged_at: AtomicI64::new(0),
        })
    }

    /// The database file, None in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64> {
        self.read(migrate::schema_version).await
    }

    /// Finishes queued writes and closes the writer connection (a clean stop). Dropping the
    /// store does the same without waiting.
    pub async fn close(self) {
        let writer = self.writer;
        let _ = tokio::task::spawn_blocking(move || writer.shutdown()).await;
    }

    /// Runs `f` in the writer's next group transaction; answers once that has committed. A
    /// failing `f` leaves no trace (it runs in its own SAVEPOINT).
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.writer.call(self.timeout, true, f).await
    }

    /// `write` for an `f` that changes the database with at most one statement (reads before it
    /// are fine): SQLite undoes a failed statement itself, so no SAVEPOINT is needed. The hot
    /// paths (nonces, enqueue, heartbeat, complete) use it.
    async fn write_one<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.writer.call(self.timeout, false, f).await
    }

    /// Runs a query on a reader connection (in memory: on the writer).
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        match &self.readers {
            Some(readers) => readers.call(self.timeout, f).await,
            None => self.writer.call(self.timeout, false, f).await,
        }
    }
}

fn configure(conn: &Connection, opts: &SqliteOptions) -> Result<()> {
    conn.busy_timeout(opts.busy_timeout)
        .map_err(codec::map_err)?;
    let sync = if opts.full_sync { "FULL" } else { "NORMAL" };
    conn.execute_batch(&format!(
        "PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
    ))
    .map_err(codec::map_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn open_reader(path: &Path, opts: &SqliteOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(opts.busy_timeout)
        .map_err(codec::map_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        self.read(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(codec::map_err)
        })
        .await
    }
}

#[cfg(test)]
#[path = "sqlite_test.rs"]
mod tests;

#[cfg(test)]
#[path = "crash_test.rs"]
mod crash_test;
