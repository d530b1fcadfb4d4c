//! The job runtime shared by every job kind: workers claim leased jobs from the store, keep the
//! leases alive with heartbeats, run the kind's handler and complete the job, fenced by worker
//! and attempt. A panic fails only its job; transient errors retry with backoff; a crashed
//! process's jobs are reaped and run again.

use crate::Engine;
use fpshot_store::{Job, JobKind, Lease, Outcome};
use fpshot_types::{ApiError, now_utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

/// How a job run ended when it did not succeed.
#[derive(Debug)]
pub enum RunError {
    /// The job cannot succeed (bad input, deleted library): fail at once with this code.
    Fail(ApiError),
    /// Worth another attempt (database or disk briefly unavailable).
    Transient(String),
}

impl From<crate::EngineError> for RunError {
    /// The store or the disk failing is worth another attempt; anything else fails the job.
    fn from(e: crate::EngineError) -> Self {
        match e {
            crate::EngineError::Store(_) | crate::EngineError::Files(_) => {
                RunError::Transient(e.to_string())
            }
            other => RunError::Fail(other.to_api()),
        }
    }
}

impl From<fpshot_store::StoreError> for RunError {
    fn from(e: fpshot_store::StoreError) -> Self {
        crate::EngineError::Store(e).into()
    }
}

/// Jobs a worker claims per store round trip. Small, since every held lease must be heartbeated.
const CLAIM_BATCH: usize = 8;

pub struct JobRuntime {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl JobRuntime {
    /// Starts the workers, the reaper and the retention cleaner.
    pub fn start(engine: Engine) -> Self {
        let (shutdown, rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let process = fpshot_types::new_id();
        for n in 0..engine.config().workers.max(1) {
            let worker = Worker {
                engine: engine.clone(),
                id: format!("{process}/{n}"),
                held: Arc::default(),
            };
            tasks.spawn(worker.run(rx.clone()));
        }
        tasks.spawn(reaper(engine.clone(), rx.clone()));
        tasks.spawn(cleaner(engine, rx));
        JobRuntime { shutdown, tasks }
    }

    /// Stops claiming, lets running jobs finish for up to `grace`, then stops. Jobs still running
    /// then stay `Analyzing` and are run again after the next start.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.shutdown.send(true);
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!(
                "job runtime did not stop within {grace:?}; unfinished jobs run again at next start"
            );
            self.tasks.abort_all();
        }
    }
}

struct Worker {
    engine: Engine,
    id: String,
    /// Leases this worker holds: job id → attempt, kept alive by the heartbeat.
    held: Arc<Mutex<HashMap<String, i64>>>,
}

impl Worker {
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let heartbeat = tokio::spawn(heartbeat(
            self.engine.clone(),
            self.id.clone(),
            self.held.clone(),
        ));
        while !*shutdown.borrow() {
            let cfg = self.engine.config();
            let leases = match self
                .engine
                .store()
                .claim(&self.id, now_utc(), cfg.lease, CLAIM_BATCH)
                .await
            {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(worker = %self.id, error = %e, "claiming jobs failed");
                    Vec::new()
                }
            };
            if leases.is_empty() {
                tokio::select! {
                    _ = self.engine.wait_for_work(cfg.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            if let Ok(mut held) = self.held.lock() {
                held.extend(leases.iter().map(|l| (l.job.id.clone(), l.attempt)));
            }
            // Claimed jobs of different libraries run side by side (a job mostly waits on store
            // round trips); jobs of one library run one after another, in claim order. Everything
            // claimed is finished, even during shutdown: the leases are ours.
            let groups = group_by_library(leases);
            let this = &self;
            let runs = groups.into_iter().map(|group| async move {
                for lease in group {
                    // `instrument`, not `span.enter()`: a guard held across awaits corrupts the
                    // subscriber's span stack when the task moves between threads.
                    let span = tracing::info_span!(
                        "job",
                        job_id = %lease.job.id,
                        kind = lease.job.kind.as_str(),
                        attempt = lease.attempt
                    );
                    this.run_one(lease).instrument(span).await;
                }
            });
            futures::future::join_all(runs).await;
        }
        heartbeat.abort();
    }

    async fn run_one(&self, lease: Lease) {
        let Lease { job, attempt, .. } = lease;
        // A separate task, so that a panic inside a handler fails only this job.
        let engine = self.engine.clone();
        let run_job = job.clone();
        let result =
            tokio::spawn(async move { engine.run_job(&run_job).await }.in_current_span()).await;
        let store = self.engine.store();
        let now = now_utc();
        let written = match result {
            Ok(Ok(value)) => {
                store
                    .complete(&job.id, &self.id, attempt, Outcome::Success(value), now)
                    .await
            }
            Ok(Err(RunError::Fail(err))) => {
                store
                    .complete(&job.id, &self.id, attempt, fail(&err), now)
                    .await
            }
            Ok(Err(RunError::Transient(why))) if attempt < self.engine.config().max_attempts => {
                let backoff =
                    Duration::from_millis(250u64.saturating_mul(1 << attempt.clamp(0, 8)));
                tracing::warn!(error = %why, ?backoff, "transient job error; retrying");
                store
                    .retry_later(&job.id, &self.id, attempt, now + backoff)
                    .await
            }
            Ok(Err(RunError::Transient(why))) => {
                tracing::error!(error = %why, "job failed after {attempt} attempts");
                store
                    .complete(
                        &job.id,
                        &self.id,
                        attempt,
                        fail(&ApiError::unavailable()),
                        now,
                    )
                    .await
            }
            Err(join) => {
                tracing::error!(error = %join, "job handler panicked");
                store
                    .complete(&job.id, &self.id, attempt, fail(&ApiError::internal()), now)
                    .await
            }
        };
        match written {
            Ok(true) => {}
            Ok(false) => tracing::warn!("job result discarded: a newer attempt owns the job"),
            Err(e) => {
                tracing::error!(error = %e, "recording the job result failed; the job runs again")
            }
        }
        if let Ok(mut held) = self.held.lock() {
            held.remove(&job.id);
        }
    }
}

/// Splits claimed leases into per-library groups, keeping claim order inside each group; jobs
/// without a library each form their own group.
fn group_by_library(leases: Vec<Lease>) -> Vec<Vec<Lease>> {
    let mut groups: Vec<Vec<Lease>> = Vec::new();
    for lease in leases {
        let same = lease.job.fpdb_id.as_ref().and_then(|id| {
            groups
                .iter()
                .position(|g| g[0].job.fpdb_id.as_ref() == Some(id))
        });
        match same {
            Some(i) => groups[i].push(lease),
            None => groups.push(vec![lease]),
        }
    }
    groups
}

fn fail(err: &ApiError) -> Outcome {
    Outcome::Fail {
        code: err.code.as_string(),
        message: err.message.clone(),
    }
}

/// Extends every lease a worker holds, three times per lease period.
async fn heartbeat(engine: Engine, worker: String, held: Arc<Mutex<HashMap<String, i64>>>) {
    let lease = engine.config().lease;
    loop {
        tokio::time::sleep(lease / 3).await;
        let jobs: Vec<(String, i64)> = match held.lock() {
            Ok(h) => h.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            Err(_) => return,
        };
        for (job_id, attempt) in jobs {
            let expires = now_utc() + lease;
            if let Ok(false) = engine
                .store()
                .heartbeat(&job_id, &worker, attempt, expires)
                .await
            {
                tracing::warn!(job_id, "lease lost to a newer attempt");
            }
        }
    }
}

/// Puts jobs of dead workers back in the queue.
async fn reaper(engine: Engine, mut shutdown: watch::Receiver<bool>) {
    let lease = engine.config().lease;
    // This process holds the data directory's lock and the embedded store lives there, so every
    // lease that exists at start belongs to a previous process, which is gone: run those jobs
    // again right away, whatever lease it had. (A shared PostgreSQL store must scope this to
    // the node's own workers instead.)
    let every_lease = now_utc() + Duration::from_secs(100 * 365 * 24 * 3600);
    match engine.store().reap_expired(every_lease).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(jobs = n, "jobs of a previous run queued again");
            engine.wake_workers();
        }
        Err(e) => tracing::warn!(error = %e, "reaping jobs at start failed"),
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(lease / 2) => {}
            _ = shutdown.changed() => return,
        }
        match engine.store().reap_expired(now_utc()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::warn!(jobs = n, "jobs with expired leases queued again");
                engine.wake_workers();
            }
            Err(e) => tracing::warn!(error = %e, "reaping expired leases failed"),
        }
    }
}

/// Deletes finished jobs past retention and expired nonces.
async fn cleaner(engine: Engine, mut shutdown: watch::Receiver<bool>) {
    loop {
        let now = now_utc();
        if let Err(e) = engine
            .store()
            .delete_finished_before(now - engine.config().job_retention)
            .await
        {
            tracing::warn!(error = %e, "job retention cleanup failed");
        }
        if let Err(e) = engine.store().purge_expired_nonces(now).await {
            tracing::warn!(error = %e, "nonce cleanup failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Runs the jobs of one kind. Registered per kind on the engine; tests register their own to
/// exercise the runtime (panics, transient errors) without real media.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, engine: &Engine, job: &Job) -> Result<serde_json::Value, RunError>;
}

struct FpDbDeleteHandler;

#[async_trait::async_trait]
impl JobHandler for FpDbDeleteHandler {
    async fn run(&self, engine: &Engine, job: &Job) -> Result<serde_json::Value, RunError> {
        engine.run_fpdb_delete_job(job).await
    }
}

/// The handlers this server version has for each job kind.
pub(crate) fn default_handlers() -> crate::Handlers {
    let mut h = crate::Handlers::new();
    h.insert(JobKind::FpDbDelete, Arc::new(FpDbDeleteHandler));
    h
}

impl Engine {
    /// Runs one job with its kind's handler.
    pub(crate) async fn run_job(&self, job: &Job) -> Result<serde_json::Value, RunError> {
        match self.handler(job.kind) {
            Some(h) => h.run(self, job).await,
            None => Err(RunError::Fail(ApiError::new(
                fpshot_types::Code::InvalidState,
                format!(
                    "Jobs of kind {} are not supported by this server version.",
                    job.kind.as_str()
                ),
            ))),
        }
    }
}
