//! The domain layer of fpshot: pipelines, fingerprint libraries and their jobs, and the job
//! runtime that runs every job kind. Transports (the RPC server, the command line, a console)
//! are thin adapters over [`Engine`]; it knows nothing of HTTP.

mod config;
mod error;
mod fpdb;
mod fpdb_delete_job;
mod library_files;
mod pipeline;
mod runtime;

pub use config::EngineConfig;
pub use error::EngineError;
pub use fpdb::{CreateFpShotDb, ListFpShotDb};
pub use fpdb_delete_job::del_type_of;
pub use fpdb_delete_job::{FpDbDeleteJobList, SubmitFpDbDeleteJob};
pub use library_files::LibraryFiles;
pub use pipeline::{AddPipeline, UpdatePipeline};
pub use runtime::{JobHandler, JobRuntime, RunError};

use fpshot_store::{JobKind, Store};
use std::sync::Arc;
use tokio::sync::Notify;

/// The handler of each job kind.
pub type Handlers = std::collections::HashMap<JobKind, Arc<dyn JobHandler>>;

/// One engine per process; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    config: EngineConfig,
    files: LibraryFiles,
    handlers: Handlers,
    /// Account → id of its default pipeline, once known.
    default_pipelines: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// Woken whenever a job is enqueued or a pipeline resumes, so idle workers claim at once.
    wake: Notify,
}

/// The ids among `asked` that are not in `found` (unknown, or another account's), in the order
/// asked: the `NonExistIds` of every query by ids.
pub(crate) fn unknown_ids<'a>(
    asked: &[String],
    found: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let found: std::collections::HashSet<&str> = found.collect();
    asked
        .iter()
        .filter(|id| !found.contains(id.as_str()))
        .cloned()
        .collect()
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, config: EngineConfig) -> Self {
        Self::with_handlers(store, config, runtime::default_handlers())
    }

    /// An engine whose job kinds run with the given handlers (tests use it to inject faults).
    pub fn with_handlers(store: Arc<dyn Store>, config: EngineConfig, handlers: Handlers) -> Self {
        let files = LibraryFiles::new(config.data_dir.join("index"));
        let inner = Inner {
            store,
            config,
            files,
            handlers,
            default_pipelines: Default::default(),
            wake: Notify::new(),
        };
        Engine {
            inner: Arc::new(inner),
        }
    }

    /// The built-in handler of each job kind, to extend or override with [`Engine::with_handlers`].
    pub fn default_handlers() -> Handlers {
        runtime::default_handlers()
    }

    pub(crate) fn handler(&self, kind: JobKind) -> Option<&Arc<dyn JobHandler>> {
        self.inner.handlers.get(&kind)
    }

    pub(crate) fn cached_default_pipeline(&self, account_id: &str) -> Option<String> {
        let map = self.inner.default_pipelines.lock().ok()?;
        map.get(account_id).cloned()
    }

    pub(crate) fn remember_default_pipeline(&self, account_id: &str, id: &str) {
        if let Ok(mut map) = self.inner.default_pipelines.lock() {
            map.insert(account_id.to_string(), id.to_string());
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    pub fn files(&self) -> &LibraryFiles {
        &self.inner.files
    }

    /// Wakes idle workers (after an enqueue or a pipeline resume).
    pub fn wake_workers(&self) {
        self.inner.wake.notify_waiters();
    }

    pub(crate) async fn wait_for_work(&self, poll: std::time::Duration) {
        let _ = tokio::time::timeout(poll, self.inner.wake.notified()).await;
    }
}
