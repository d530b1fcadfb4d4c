//! A real fpshot server in a temporary data directory: SQLite store, engine, job runtime, one
//! account with one key, and the axum router with throttling switched off (the documented
//! per-account QPS limits would otherwise cap every figure at 100 requests/s).

use crate::error::{BenchError, Result};
use crate::signing::Credentials;
use fpshot_engine::{CreateFpShotDb, Engine, EngineConfig, JobRuntime};
use fpshot_server::{AppState, ServerConfig, ThrottleConfig};
use fpshot_store::{SqliteStore, Store};
use fpshot_types::FpDbStatus;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Fixture {
    /// Removed when the fixture is dropped.
    pub dir: tempfile::TempDir,
    pub engine: Engine,
    pub account: String,
    pub cred: Credentials,
    runtime: Option<JobRuntime>,
}

/// Engine settings of a bench run.
#[derive(Debug, Clone, Copy)]
pub struct Sizing {
    pub workers: usize,
    pub fpdb_quota: u32,
}

impl Fixture {
    /// Must run inside the tokio runtime that will serve the store calls.
    pub async fn start(parent: Option<&Path>, sizing: Sizing) -> Result<Self> {
        let dir = match parent {
            Some(p) => tempfile::Builder::new()
                .prefix("fpshot-bench-")
                .tempdir_in(p)?,
            None => tempfile::Builder::new().prefix("fpshot-bench-").tempdir()?,
        };
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("fpshot.db"))?);
        let account = store.create_account("bench").await?;
        let cred = Credentials {
            key_id: format!("LTAI{}", &fpshot_types::new_id()[..20]),
            secret: fpshot_types::new_id(),
        };
        store
            .create_key(&account.id, &cred.key_id, &cred.secret)
            .await?;
        let mut config = EngineConfig::new(dir.path().to_path_buf());
        config.workers = sizing.workers;
        config.fpdb_quota = sizing.fpdb_quota;
        let engine = Engine::new(store, config);
        let runtime = JobRuntime::start(engine.clone());
        Ok(Fixture {
            dir,
            engine,
            account: account.id,
            cred,
            runtime: Some(runtime),
        })
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("fpshot.db")
    }

    /// Creates `n` libraries and waits until every one is `active`.
    pub async fn libraries(&self, n: usize) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let db = self
                .engine
                .create_fpshot_db(
                    &self.account,
                    CreateFpShotDb {
                        name: format!("bench-{i}"),
                        model_id: Some(13),
                        ..Default::default()
                    },
                )
                .await?;
            ids.push(db.id);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let dbs = self.engine.list_fpshot_db(&self.account, &[]).await?;
            if dbs.found.iter().all(|d| d.status == FpDbStatus::Active) {
                return Ok(ids);
            }
            if Instant::now() > deadline {
                return Err(BenchError::Setup("libraries did not become active".into()));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Serves the fpshot router on a fresh 127.0.0.1 port (on the current runtime).
    pub async fn serve(&self) -> Result<SocketAddr> {
        let config = ServerConfig {
            throttle: ThrottleConfig {
                enabled: false,
                scale: 1,
            },
            ..ServerConfig::default()
        };
        let app = fpshot_server::router(AppState::new(self.engine.clone(), config));
        serve_router(app).await
    }

    pub async fn stop(mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown(Duration::from_secs(10)).await;
        }
    }
}

/// Binds 127.0.0.1:0 and serves `app` in a background task; returns the address.
pub async fn serve_router(app: axum::Router) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("bench server on {addr} stopped: {e}");
        }
    });
    Ok(addr)
}

/// Read-only probe of the job table, for the bench's progress checks (the store traits have no
/// count query; this reads the same file through its own connection, as WAL allows).
pub struct JobProbe {
    conn: rusqlite::Connection,
}

/// Final tally of a job run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub success: u64,
    pub fail: u64,
    pub unfinished: u64,
    /// Jobs that needed more than one attempt.
    pub retried: u64,
}

impl JobProbe {
    pub fn open(db: &Path) -> Result<Self> {
        let conn = rusqlite::Connection::open_with_flags(
            db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(JobProbe { conn })
    }

    pub fn unfinished(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM jobs WHERE status IN ('Queuing', 'Analyzing')",
            [],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    pub fn tally(&self) -> Result<Tally> {
        let mut t = Tally::default();
        let mut stmt = self
            .conn
            .prepare("SELECT status, count(*), sum(attempt > 1) FROM jobs GROUP BY status")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        for row in rows {
            let (status, n, retried) = row?;
            let n = n.max(0) as u64;
            match status.as_str() {
                "Success" => t.success += n,
                "Fail" => t.fail += n,
                _ => t.unfinished += n,
            }
            t.retried += retried.unwrap_or(0).max(0) as u64;
        }
        Ok(t)
    }

    /// The first failure's code and message, to say why jobs failed.
    pub fn first_failure(&self) -> Result<Option<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT code, message FROM jobs WHERE status = 'Fail' LIMIT 1")?;
        let mut rows = stmt.query_map([], |r| {
            Ok(format!(
                "{}: {}",
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, Option<String>>(1)?.unwrap_or_default()
            ))
        })?;
        Ok(rows.next().transpose()?)
    }
}
